//! Lines of byte values, one per strategy, shared by the charts of memory
//! over training steps and over wall time.

use plotters::prelude::*;

use super::legend::{LegendEntry, LegendMark};
use super::{DrawResult, Plot};
use crate::report::scale::ByteUnit;

/// Below this many points a line also marks each point, so a run of one or
/// two steps still shows up.
const MARK_POINTS_BELOW: usize = 30;

/// One strategy's line.
pub(super) struct ByteLine {
    pub label: String,
    pub colour: RGBColor,
    /// `(x, bytes)` in x order.
    pub points: Vec<(f64, u64)>,
}

pub(super) fn max_bytes(lines: &[ByteLine]) -> u64 {
    lines
        .iter()
        .flat_map(|line| &line.points)
        .map(|(_, bytes)| *bytes)
        .max()
        .unwrap_or(0)
}

pub(super) fn max_x(lines: &[ByteLine]) -> f64 {
    lines
        .iter()
        .flat_map(|line| &line.points)
        .map(|(x, _)| *x)
        .fold(0.0, f64::max)
}

/// Builds one legend entry per line, in line order.
pub(super) fn line_legend(lines: &[ByteLine]) -> Vec<LegendEntry> {
    lines
        .iter()
        .map(|line| LegendEntry::new(line.label.clone(), line.colour, LegendMark::Line))
        .collect()
}

/// Stroke width of the last line drawn. Earlier lines are wider.
const THINNEST_STROKE: u32 = 2;
/// Stroke width of the first line drawn.
const WIDEST_STROKE: u32 = 6;

/// Draws every line with its values converted to `unit`. Strategies often
/// share values (two buffers that hold the same outputs), so each line is
/// drawn thinner than the one before, and a covered line still shows at the
/// edges of the line on top.
pub(super) fn draw_byte_lines(
    plot: &mut Plot<'_, '_>,
    lines: &[ByteLine],
    unit: ByteUnit,
) -> DrawResult {
    for (index, line) in lines.iter().enumerate() {
        let lines_after = (lines.len() - 1 - index) as u32;
        let width = (THINNEST_STROKE + lines_after).min(WIDEST_STROKE);
        let coordinates = line
            .points
            .iter()
            .map(|(x, bytes)| (*x, unit.convert(*bytes as f64)));
        let mut series = LineSeries::new(coordinates, line.colour.stroke_width(width));
        if line.points.len() < MARK_POINTS_BELOW {
            series = series.point_size(3);
        }
        plot.draw_series(series)?;
    }
    Ok(())
}
