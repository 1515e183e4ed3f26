//! Memory after every training step, one line per strategy, for one signal,
//! with the epoch boundaries marked.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::byte_lines::{self, ByteLine};
use super::legend::{self, LegendEntry, LegendMark};
use super::{
    annotation_style, build_plot, draw_svg, split_canvas, styled_mesh, Chart, CHART_HEIGHT,
    CHART_WIDTH,
};
use crate::report::palette::NEUTRAL_GREY;
use crate::report::scale::{zero_based_range, ByteUnit};
use crate::report::view::{signal_title, step_series, ReportView};
use crate::report::ReportError;
use crate::results::Signal;

/// Draws `signal` over training steps, or returns `None` when no run
/// recorded the signal per step.
pub(super) fn memory_timeline_chart(
    view: &ReportView,
    signal: Signal,
) -> Result<Option<Chart>, ReportError> {
    // Scale.
    let lines: Vec<ByteLine> = view
        .strategies_with_runs()
        .filter_map(|strategy| {
            let series = step_series(strategy.representative()?, signal)?;
            Some(ByteLine {
                label: strategy.legend_label(),
                colour: strategy.colour,
                points: series
                    .into_iter()
                    .map(|(step, bytes)| (step as f64, bytes))
                    .collect(),
            })
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let max_bytes = byte_lines::max_bytes(&lines);
    let last_step = byte_lines::max_x(&lines).max(1.0);
    let unit = ByteUnit::for_max(max_bytes as f64);
    let y_range = zero_based_range(unit.convert(max_bytes as f64));
    let x_range = 0.5..last_step + 0.5;
    let epoch_starts = epoch_start_steps(&view.epoch_end_steps(), last_step as u64);

    let mut legend_entries = byte_lines::line_legend(&lines);
    if epoch_starts.len() > 1 {
        legend_entries.push(LegendEntry::new(
            "epoch boundary",
            NEUTRAL_GREY,
            LegendMark::DashedLine,
        ));
    }
    let title = format!(
        "{} over training steps (source: {})",
        signal_title(signal),
        signal.source().as_str()
    );
    let file_name = format!("memory-{}.svg", signal.as_str());

    let svg = draw_svg(&file_name, (CHART_WIDTH, CHART_HEIGHT), |canvas| {
        // Chart.
        let (legend_strip, plot_area) = split_canvas(canvas, &title, &legend_entries)?;
        let mut plot = build_plot(&plot_area, x_range.clone(), y_range.clone(), 48)?;

        // Mesh.
        styled_mesh(&mut plot)
            .x_desc("Training step")
            .y_desc(format!("{} ({})", signal_title(signal), unit.name))
            .x_label_formatter(&|step| format!("{step:.0}"))
            .draw()?;

        // Series.
        for (index, start) in epoch_starts.iter().enumerate() {
            let x = *start as f64 - 0.5;
            if index > 0 {
                plot.draw_series(DashedLineSeries::new(
                    [(x, y_range.start), (x, y_range.end)],
                    6,
                    4,
                    NEUTRAL_GREY.stroke_width(1),
                ))?;
            }
            let label_x = x + (x_range.end - x_range.start) * 0.004;
            plot.draw_series(std::iter::once(Text::new(
                format!("epoch {}", index + 1),
                (label_x, y_range.end),
                annotation_style(HPos::Left, VPos::Top).color(&NEUTRAL_GREY),
            )))?;
        }
        byte_lines::draw_byte_lines(&mut plot, &lines, unit)?;

        // Legend.
        legend::draw_legend(&legend_strip, &legend_entries)
    })?;

    Ok(Some(Chart {
        file_name,
        caption: caption(signal).to_owned(),
        title,
        svg,
    }))
}

/// Returns the first global step of each epoch that started by `last_step`.
fn epoch_start_steps(epoch_end_steps: &[u64], last_step: u64) -> Vec<u64> {
    std::iter::once(1)
        .chain(epoch_end_steps.iter().map(|end| end + 1))
        .filter(|start| *start <= last_step)
        .collect()
}

fn caption(signal: Signal) -> &'static str {
    match signal {
        Signal::RetainedBytes => {
            "Bytes each strategy holds after every step. Keeping every step's outputs rises \
             through each epoch and drops at the epoch end; a buffer that is never cleared keeps \
             rising across epochs; streaming stays flat."
        }
        Signal::CpuAllocatedBytes => {
            "Bytes in libtorch's CPU allocator after every step. Unlike retained bytes, this \
             includes autograd graphs that undetached outputs keep alive."
        }
        Signal::CudaAllocatedBytes => "Bytes in live CUDA tensors after every step.",
        Signal::CudaReservedBytes => {
            "Bytes the CUDA caching allocator holds from the driver after every step. It keeps \
             freed blocks, so this falls less than allocated bytes."
        }
        Signal::RssBytes => {
            "Resident set size of the worker after every step. Allocators keep freed pages, so \
             it falls less than the other signals when outputs are released."
        }
        Signal::CudaActiveBytes | Signal::RustHeapBytes => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_start_steps_stop_at_last_step() {
        assert_eq!(epoch_start_steps(&[4, 8, 12], 12), vec![1, 5, 9]);
        assert_eq!(epoch_start_steps(&[4, 8, 12], 6), vec![1, 5]);
        assert_eq!(epoch_start_steps(&[], 3), vec![1]);
    }
}
