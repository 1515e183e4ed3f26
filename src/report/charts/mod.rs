//! The report's charts as SVG, one file per chart. Every chart function
//! takes the same steps in the same order: scale (units and ranges from the
//! data), chart (canvas, title, plot area), mesh (axes with units), series,
//! legend.

mod byte_lines;
mod left_behind;
mod legend;
mod memory_timeline;
mod peaks;
mod rss_samples;
mod throughput;

use std::ops::Range;

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::view::{ReportView, TIMELINE_SIGNALS};
use super::ReportError;
use legend::LegendEntry;

/// One rendered chart.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// File name inside the report's `charts/` folder.
    pub file_name: String,
    pub title: String,
    /// Reading guide shown under the chart on the page.
    pub caption: String,
    pub svg: String,
}

/// Renders every chart that the results have data for, in page order.
pub(crate) fn render_charts(view: &ReportView) -> Result<Vec<Chart>, ReportError> {
    let mut charts = Vec::new();
    for signal in TIMELINE_SIGNALS {
        charts.extend(memory_timeline::memory_timeline_chart(view, signal)?);
    }
    charts.extend(rss_samples::rss_samples_chart(view)?);
    charts.extend(peaks::peaks_chart(view)?);
    charts.extend(throughput::throughput_chart(view)?);
    for source in left_behind::LeftBehindSource::ALL {
        charts.extend(left_behind::left_behind_chart(view, source)?);
    }
    Ok(charts)
}

type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A plot with `f64` axes, which every chart uses.
type Plot<'c, 's> = ChartContext<'c, SVGBackend<'s>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type DrawResult<T = ()> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

/// Width of every chart in pixels. The page scales the SVGs to its width.
const CHART_WIDTH: u32 = 960;
/// Height of single-panel charts in pixels.
const CHART_HEIGHT: u32 = 440;

const FONT_FAMILY: &str = "sans-serif";

fn title_style() -> TextStyle<'static> {
    (FONT_FAMILY, 22).into_font().style(FontStyle::Bold).into()
}

fn axis_label_style() -> TextStyle<'static> {
    (FONT_FAMILY, 16).into()
}

fn tick_label_style() -> TextStyle<'static> {
    (FONT_FAMILY, 14).into()
}

/// Style of small text drawn at a point, such as a value above a bar;
/// `h_pos` and `v_pos` place the text relative to that point.
fn annotation_style(h_pos: HPos, v_pos: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, 13)).pos(Pos::new(h_pos, v_pos))
}

/// Draws onto a fresh SVG canvas and returns the SVG text. `file_name`
/// names the chart in the error if plotters fails.
fn draw_svg(
    file_name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Canvas<'_>) -> DrawResult,
) -> Result<String, ReportError> {
    let mut svg = String::new();
    {
        let canvas = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        canvas
            .fill(&WHITE)
            .and_then(|()| draw(&canvas))
            .and_then(|()| canvas.present())
            .map_err(|error| ReportError::Draw {
                chart: file_name.to_owned(),
                message: error.to_string(),
            })?;
    }
    Ok(svg)
}

/// Splits the canvas into the title, a legend strip sized for `legend`, and
/// the plot area below, and returns `(legend strip, plot area)`.
fn split_canvas<'a>(
    canvas: &Canvas<'a>,
    title: &str,
    legend: &[LegendEntry],
) -> DrawResult<(Canvas<'a>, Canvas<'a>)> {
    let below_title = canvas.margin(8, 0, 8, 8).titled(title, title_style())?;
    let strip_height = legend::strip_height(&below_title, legend)?;
    Ok(below_title.split_vertically(strip_height))
}

/// Builds a single-panel plot on `area` with the margins all charts share;
/// `x_label_area` is the height in pixels left for the x-axis labels.
fn build_plot<'c, 's>(
    area: &Canvas<'s>,
    x_range: Range<f64>,
    y_range: Range<f64>,
    x_label_area: u32,
) -> DrawResult<Plot<'c, 's>> {
    ChartBuilder::on(area)
        .margin_right(24)
        .x_label_area_size(x_label_area)
        .y_label_area_size(78)
        .build_cartesian_2d(x_range, y_range)
}

/// Starts the mesh of `plot` with the shared text styles and without the
/// light grid lines between labels.
fn styled_mesh<'c, 'p, 's>(
    plot: &'p mut Plot<'c, 's>,
) -> MeshStyle<'c, 'p, RangedCoordf64, RangedCoordf64, SVGBackend<'s>> {
    let mut mesh = plot.configure_mesh();
    mesh.axis_desc_style(axis_label_style())
        .label_style(tick_label_style())
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&format_tick)
        .y_label_formatter(&format_tick);
    mesh
}

/// Formats a tick value with at most two decimals and no trailing zeros,
/// such as `140`, `1.5` or `0.25`.
fn format_tick(value: &f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Gap in pixels between a data point and a value label above it, so the
/// label clears a line drawn at the same height.
const LABEL_GAP_PIXELS: i32 = 4;
