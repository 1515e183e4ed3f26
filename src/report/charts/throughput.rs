//! Throughput per strategy: the mean over completed repeats as a bar, each
//! repeat as a dot and the spread from the slowest to the fastest repeat
//! as a whisker.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::legend::{self, LegendEntry, LegendMark};
use super::{
    annotation_style, build_plot, draw_svg, split_canvas, styled_mesh, Chart, CHART_HEIGHT,
    CHART_WIDTH, LABEL_GAP_PIXELS,
};
use crate::report::scale::zero_based_range;
use crate::report::view::{ReportView, ThroughputSpread};
use crate::report::ReportError;

const BAR_WIDTH: f64 = 0.6;
const WHISKER_CAP_WIDTH: f64 = 0.12;
/// Colour of repeat dots and whiskers, dark enough on every palette colour.
const SPREAD_COLOUR: RGBColor = RGBColor(40, 40, 40);

struct Slot {
    colour: RGBColor,
    /// `None` when the strategy has no completed run with a throughput.
    spread: Option<ThroughputSpread>,
}

/// Draws samples per second per strategy, or returns `None` when no
/// strategy has a run.
pub(super) fn throughput_chart(view: &ReportView) -> Result<Option<Chart>, ReportError> {
    // Scale.
    let strategies: Vec<_> = view.strategies_with_runs().collect();
    if strategies.is_empty() {
        return Ok(None);
    }
    let slots: Vec<Slot> = strategies
        .iter()
        .map(|strategy| Slot {
            colour: strategy.colour,
            spread: strategy.throughput(),
        })
        .collect();
    let max_value = slots
        .iter()
        .filter_map(|slot| slot.spread.as_ref())
        .map(|spread| spread.max)
        .fold(0.0, f64::max);
    let y_range = zero_based_range(max_value * 1.08);
    let x_range = -0.5..slots.len() as f64 - 0.5;

    let mut legend_entries: Vec<LegendEntry> = strategies
        .iter()
        .map(|strategy| LegendEntry::new(strategy.name, strategy.colour, LegendMark::Swatch))
        .collect();
    legend_entries.push(LegendEntry::new(
        "one repeat",
        SPREAD_COLOUR,
        LegendMark::Dot,
    ));
    if slots.iter().any(|slot| {
        slot.spread
            .as_ref()
            .is_some_and(|spread| spread.values.len() > 1)
    }) {
        legend_entries.push(LegendEntry::new(
            "slowest to fastest repeat",
            SPREAD_COLOUR,
            LegendMark::Line,
        ));
    }
    let title = "Throughput per strategy (completed runs, warm-up epoch excluded)";
    let file_name = "throughput.svg".to_owned();

    let svg = draw_svg(&file_name, (CHART_WIDTH, CHART_HEIGHT), |canvas| {
        // Chart.
        let (legend_strip, plot_area) = split_canvas(canvas, title, &legend_entries)?;
        let mut chart = build_plot(&plot_area, x_range.clone(), y_range.clone(), 12)?;

        // Mesh.
        styled_mesh(&mut chart)
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("Throughput (samples/s)")
            .draw()?;

        // Series.
        let half = BAR_WIDTH / 2.0;
        for (index, slot) in slots.iter().enumerate() {
            let x = index as f64;
            let Some(spread) = &slot.spread else {
                chart.draw_series(std::iter::once(Text::new(
                    "unavailable",
                    (x, y_range.start),
                    annotation_style(HPos::Center, VPos::Bottom),
                )))?;
                continue;
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - half, 0.0), (x + half, spread.mean)],
                slot.colour.filled(),
            )))?;
            if spread.values.len() > 1 {
                let whisker = [
                    vec![(x, spread.min), (x, spread.max)],
                    vec![
                        (x - WHISKER_CAP_WIDTH, spread.min),
                        (x + WHISKER_CAP_WIDTH, spread.min),
                    ],
                    vec![
                        (x - WHISKER_CAP_WIDTH, spread.max),
                        (x + WHISKER_CAP_WIDTH, spread.max),
                    ],
                ];
                chart.draw_series(
                    whisker
                        .into_iter()
                        .map(|path| PathElement::new(path, SPREAD_COLOUR.stroke_width(2))),
                )?;
            }
            chart.draw_series(
                spread
                    .values
                    .iter()
                    .map(|value| Circle::new((x, *value), 4, SPREAD_COLOUR.filled())),
            )?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x + half, spread.mean))
                    + Text::new(
                        format!("{:.0}", spread.mean),
                        (0, -LABEL_GAP_PIXELS),
                        annotation_style(HPos::Right, VPos::Bottom),
                    ),
            ))?;
        }

        // Legend.
        legend::draw_legend(&legend_strip, &legend_entries)
    })?;

    Ok(Some(Chart {
        file_name,
        title: title.to_owned(),
        caption: "Mean samples per second over the epochs after the first, averaged over the \
                  completed repeats of each strategy. Runs that did not complete are left out."
            .to_owned(),
        svg,
    }))
}
