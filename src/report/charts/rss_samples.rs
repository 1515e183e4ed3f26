//! Worker RSS over wall time as the parent sampled it, one line per
//! strategy. Unlike the step timelines it covers start-up and the time
//! after the last step, and it has data for runs that died before a step.

use super::byte_lines::{self, ByteLine};
use super::{
    build_plot, draw_svg, legend, split_canvas, styled_mesh, Chart, CHART_HEIGHT, CHART_WIDTH,
};
use crate::report::scale::{zero_based_range, ByteUnit};
use crate::report::view::ReportView;
use crate::report::ReportError;

/// Draws the parent's RSS samples, or returns `None` when no run has any.
pub(super) fn rss_samples_chart(view: &ReportView) -> Result<Option<Chart>, ReportError> {
    // Scale.
    let lines: Vec<ByteLine> = view
        .strategies_with_runs()
        .filter_map(|strategy| {
            let run = strategy.representative()?;
            let points: Vec<(f64, u64)> = run
                .rss_samples
                .iter()
                .map(|sample| (sample.elapsed_ms as f64 / 1000.0, sample.rss_bytes))
                .collect();
            (!points.is_empty()).then(|| ByteLine {
                label: strategy.legend_label(),
                colour: strategy.colour,
                points,
            })
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let max_bytes = byte_lines::max_bytes(&lines);
    let unit = ByteUnit::for_max(max_bytes as f64);
    let y_range = zero_based_range(unit.convert(max_bytes as f64));
    let x_range = zero_based_range(byte_lines::max_x(&lines));

    let legend_entries = byte_lines::line_legend(&lines);
    let title = "Worker resident set size over wall time (source: rss, sampled by the parent)";
    let file_name = "rss-over-time.svg".to_owned();

    let svg = draw_svg(&file_name, (CHART_WIDTH, CHART_HEIGHT), |canvas| {
        // Chart.
        let (legend_strip, plot_area) = split_canvas(canvas, title, &legend_entries)?;
        let mut plot = build_plot(&plot_area, x_range.clone(), y_range.clone(), 48)?;

        // Mesh.
        styled_mesh(&mut plot)
            .x_desc("Time since the worker started (s)")
            .y_desc(format!("Resident set size ({})", unit.name))
            .draw()?;

        // Series.
        byte_lines::draw_byte_lines(&mut plot, &lines, unit)?;

        // Legend.
        legend::draw_legend(&legend_strip, &legend_entries)
    })?;

    Ok(Some(Chart {
        file_name,
        title: title.to_owned(),
        caption: "The worker's whole resident set, start-up and data loading included, sampled \
                  by the parent process at a fixed interval."
            .to_owned(),
        svg,
    }))
}
