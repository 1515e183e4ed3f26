//! Peak memory per strategy: one panel (bar group) per measured signal,
//! each with its own byte unit because the signals differ by orders of
//! magnitude, and the theoretical retained bytes marked.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::legend::{self, LegendEntry, LegendMark};
use super::{
    annotation_style, axis_label_style, draw_svg, split_canvas, styled_mesh, Canvas, Chart,
    DrawResult, CHART_WIDTH, LABEL_GAP_PIXELS,
};
use crate::report::scale::{zero_based_range, ByteUnit};
use crate::report::view::{signal_title, ReportView};
use crate::report::ReportError;
use crate::results::Signal;
use crate::units::format_bytes;

const PANEL_COLUMNS: usize = 3;
const PANEL_HEIGHT: u32 = 300;
/// Height of the title and a one-row legend.
const HEADER_HEIGHT: u32 = 90;
/// Bar width as a fraction of one strategy's slot.
const BAR_WIDTH: f64 = 0.7;
/// Slot width in pixels below which values are not written above bars.
const MIN_LABELLED_SLOT_PIXELS: u32 = 72;

struct Bar {
    colour: RGBColor,
    /// `None` when the strategy did not measure the signal.
    peak_bytes: Option<u64>,
    theoretical_bytes: Option<u64>,
}

struct Panel {
    signal: Signal,
    unit: ByteUnit,
    y_range: std::ops::Range<f64>,
    bars: Vec<Bar>,
}

/// Draws the highest peak per strategy and signal, or returns `None` when
/// no signal was measured.
pub(super) fn peaks_chart(view: &ReportView) -> Result<Option<Chart>, ReportError> {
    // Scale.
    let strategies: Vec<_> = view.strategies_with_runs().collect();
    let panels: Vec<Panel> = view
        .measured_signals()
        .into_iter()
        .map(|signal| {
            let bars: Vec<Bar> = strategies
                .iter()
                .map(|strategy| Bar {
                    colour: strategy.colour,
                    peak_bytes: strategy.peak(signal),
                    theoretical_bytes: (signal == Signal::RetainedBytes)
                        .then(|| strategy.analytic_retained_bytes())
                        .flatten(),
                })
                .collect();
            let max_bytes = bars
                .iter()
                .flat_map(|bar| [bar.peak_bytes, bar.theoretical_bytes])
                .flatten()
                .max()
                .unwrap_or(0);
            let unit = ByteUnit::for_max(max_bytes as f64);
            let y_range = zero_based_range(unit.convert(max_bytes as f64) * 1.08);
            Panel {
                signal,
                unit,
                y_range,
                bars,
            }
        })
        .collect();
    if panels.is_empty() {
        return Ok(None);
    }
    let columns = panels.len().min(PANEL_COLUMNS);
    let rows = panels.len().div_ceil(columns);

    let mut legend_entries: Vec<LegendEntry> = strategies
        .iter()
        .map(|strategy| LegendEntry::new(strategy.name, strategy.colour, LegendMark::Swatch))
        .collect();
    let any_theoretical = panels
        .iter()
        .flat_map(|panel| &panel.bars)
        .any(|bar| bar.theoretical_bytes.is_some());
    if any_theoretical {
        legend_entries.push(LegendEntry::new(
            "theoretical retained bytes per epoch",
            BLACK,
            LegendMark::Line,
        ));
    }
    let title = "Peak memory per strategy (highest over repeats)";
    let file_name = "peaks.svg".to_owned();
    let size = (CHART_WIDTH, HEADER_HEIGHT + rows as u32 * PANEL_HEIGHT);

    let svg = draw_svg(&file_name, size, |canvas| {
        // Chart: one panel per signal, each drawn by `draw_panel`.
        let (legend_strip, plot_area) = split_canvas(canvas, title, &legend_entries)?;
        let panel_areas = plot_area.split_evenly((rows, columns));
        for (panel, area) in panels.iter().zip(&panel_areas) {
            draw_panel(area, panel)?;
        }

        // Legend.
        legend::draw_legend(&legend_strip, &legend_entries)
    })?;

    Ok(Some(Chart {
        file_name,
        title: title.to_owned(),
        caption: "Highest value each signal reached in any repeat of a strategy. The black mark \
                  is what the strategy should hold at the end of one epoch, computed from the \
                  output shapes; a forgotten clear holds that amount once per epoch."
            .to_owned(),
        svg,
    }))
}

/// Draws one signal's bars: mesh, then series, on the panel's own scale.
fn draw_panel(area: &Canvas<'_>, panel: &Panel) -> DrawResult {
    let slots = panel.bars.len();
    let x_range = -0.5..slots as f64 - 0.5;
    let caption = format!(
        "{} ({})",
        signal_title(panel.signal),
        panel.signal.source().as_str()
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, axis_label_style())
        .margin(8)
        .x_label_area_size(8)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, panel.y_range.clone())?;

    // Mesh.
    styled_mesh(&mut chart)
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(format!("Peak ({})", panel.unit.name))
        .draw()?;

    // Series.
    let slot_pixels = chart.plotting_area().dim_in_pixel().0 / slots.max(1) as u32;
    let label_values = slot_pixels >= MIN_LABELLED_SLOT_PIXELS;
    let half = BAR_WIDTH / 2.0;
    for (index, bar) in panel.bars.iter().enumerate() {
        let x = index as f64;
        let Some(peak) = bar.peak_bytes else {
            chart.draw_series(std::iter::once(Text::new(
                "unavailable",
                (x, panel.y_range.start),
                annotation_style(HPos::Center, VPos::Bottom),
            )))?;
            continue;
        };
        let height = panel.unit.convert(peak as f64);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x - half, 0.0), (x + half, height)],
            bar.colour.filled(),
        )))?;
        let mut label_height = height;
        if let Some(theoretical) = bar.theoretical_bytes {
            let level = panel.unit.convert(theoretical as f64);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - half - 0.08, level), (x + half + 0.08, level)],
                BLACK.stroke_width(3),
            )))?;
            label_height = label_height.max(level);
        }
        if label_values {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, label_height))
                    + Text::new(
                        format_bytes(peak),
                        (0, -LABEL_GAP_PIXELS),
                        annotation_style(HPos::Center, VPos::Bottom),
                    ),
            ))?;
        }
    }
    Ok(())
}
