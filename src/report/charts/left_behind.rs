//! Memory left behind per epoch: allocator bytes after the epoch-end hooks
//! and validation minus bytes at the epoch start, one bar per strategy in
//! each epoch's group.

use plotters::prelude::*;

use super::legend::{self, LegendEntry, LegendMark};
use super::{build_plot, draw_svg, split_canvas, styled_mesh, Chart, CHART_HEIGHT, CHART_WIDTH};
use crate::report::scale::{signed_range, ByteUnit};
use crate::report::view::ReportView;
use crate::report::ReportError;
use crate::results::{EpochMemory, Source};

/// Maximum number of epoch labels under the axis. plotters 0.3 steps float
/// ticks by 1, 2 or 5 times a power of ten, so asking for at most one label
/// per epoch keeps the ticks on whole epochs.
const MAX_EPOCH_LABELS: u32 = 20;
/// Width of one epoch's group of bars, in epochs.
const GROUP_WIDTH: f64 = 0.8;

/// The allocator whose epoch-edge figures a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LeftBehindSource {
    TorchCpuAllocator,
    CudaCachingAllocator,
}

impl LeftBehindSource {
    pub const ALL: [LeftBehindSource; 2] = [
        LeftBehindSource::TorchCpuAllocator,
        LeftBehindSource::CudaCachingAllocator,
    ];

    fn source(self) -> Source {
        match self {
            LeftBehindSource::TorchCpuAllocator => Source::TorchCpuAllocator,
            LeftBehindSource::CudaCachingAllocator => Source::CudaCachingAllocator,
        }
    }

    fn left_behind_bytes(self, memory: &EpochMemory) -> Option<i64> {
        match self {
            LeftBehindSource::TorchCpuAllocator => Some(memory.cpu_left_behind_bytes),
            LeftBehindSource::CudaCachingAllocator => memory.cuda_left_behind_bytes,
        }
    }
}

struct StrategyBars {
    colour: RGBColor,
    /// `(epoch, bytes)` for the epochs that have a figure.
    values: Vec<(u32, i64)>,
}

/// Draws the bytes left behind per epoch, or returns `None` when no run has
/// a figure from `source`.
pub(super) fn left_behind_chart(
    view: &ReportView,
    source: LeftBehindSource,
) -> Result<Option<Chart>, ReportError> {
    // Scale.
    let strategies: Vec<_> = view.strategies_with_runs().collect();
    let groups: Vec<StrategyBars> = strategies
        .iter()
        .map(|strategy| StrategyBars {
            colour: strategy.colour,
            values: strategy
                .representative()
                .map(|run| {
                    run.epochs
                        .iter()
                        .filter_map(|epoch| {
                            Some((epoch.epoch, source.left_behind_bytes(&epoch.memory)?))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let all_values = || groups.iter().flat_map(|group| group.values.iter());
    let Some(last_epoch) = all_values().map(|(epoch, _)| *epoch).max() else {
        return Ok(None);
    };
    let max_abs = all_values()
        .map(|(_, bytes)| bytes.unsigned_abs())
        .max()
        .unwrap_or(0);
    let unit = ByteUnit::for_max(max_abs as f64);
    let min_value = all_values()
        .map(|(_, bytes)| unit.convert(*bytes as f64))
        .fold(0.0, f64::min);
    let max_value = all_values()
        .map(|(_, bytes)| unit.convert(*bytes as f64))
        .fold(0.0, f64::max);
    let y_range = signed_range(min_value, max_value);
    let x_range = 0.5..last_epoch as f64 + 0.5;

    let legend_entries: Vec<LegendEntry> = strategies
        .iter()
        .map(|strategy| {
            LegendEntry::new(strategy.legend_label(), strategy.colour, LegendMark::Swatch)
        })
        .collect();
    let source_name = source.source().as_str();
    let title = format!("Memory left behind per epoch (source: {source_name})");
    let file_name = format!("left-behind-{source_name}.svg");

    let svg = draw_svg(&file_name, (CHART_WIDTH, CHART_HEIGHT), |canvas| {
        // Chart.
        let (legend_strip, plot_area) = split_canvas(canvas, &title, &legend_entries)?;
        let mut chart = build_plot(&plot_area, x_range.clone(), y_range.clone(), 48)?;

        // Mesh.
        styled_mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("Epoch")
            .x_labels(last_epoch.min(MAX_EPOCH_LABELS) as usize)
            .x_label_formatter(&|epoch| format!("{epoch:.0}"))
            .y_desc(format!("Left behind ({})", unit.name))
            .draw()?;

        // Series.
        let bar_width = GROUP_WIDTH / groups.len().max(1) as f64;
        for (index, group) in groups.iter().enumerate() {
            let offset = -GROUP_WIDTH / 2.0 + index as f64 * bar_width;
            chart.draw_series(group.values.iter().map(|(epoch, bytes)| {
                let left = f64::from(*epoch) + offset;
                let height = unit.convert(*bytes as f64);
                Rectangle::new(
                    [(left, 0.0), (left + bar_width * 0.9, height)],
                    group.colour.filled(),
                )
            }))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.5, 0.0), (last_epoch as f64 + 0.5, 0.0)],
            BLACK.stroke_width(1),
        )))?;

        // Legend.
        legend::draw_legend(&legend_strip, &legend_entries)
    })?;

    Ok(Some(Chart {
        file_name,
        title,
        caption: "Allocator bytes after the epoch-end hooks and validation, minus the bytes at \
                  the epoch start. The first epoch of every strategy also leaves the gradients \
                  and the optimizer state, which are created at the first step. After that, a \
                  buffer cleared at the epoch end leaves close to nothing (an empty bar is 0 B), \
                  and a forgotten clear leaves one epoch's outputs behind every epoch."
            .to_owned(),
        svg,
    }))
}
