//! A legend strip above the plot area, shared by every chart, so a legend
//! never covers data and lists strategies in the same order and colours.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{tick_label_style, Canvas, DrawResult};

/// Sample drawn next to an entry's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegendMark {
    /// A filled square, for bars.
    Swatch,
    Line,
    DashedLine,
    /// A small circle, for single values.
    Dot,
}

#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub label: String,
    pub colour: RGBColor,
    pub mark: LegendMark,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, colour: RGBColor, mark: LegendMark) -> Self {
        LegendEntry {
            label: label.into(),
            colour,
            mark,
        }
    }
}

const MARK_WIDTH: i32 = 26;
const MARK_TO_LABEL: i32 = 6;
const ENTRY_GAP: i32 = 22;
const ROW_HEIGHT: i32 = 24;
const SIDE_PADDING: i32 = 12;

/// Top-left corner of every entry, wrapping to a new row when the next
/// entry would not fit the strip's width, and the strip's height.
fn layout(area: &Canvas<'_>, entries: &[LegendEntry]) -> DrawResult<(Vec<(i32, i32)>, u32)> {
    let width = area.dim_in_pixel().0 as i32;
    let style = tick_label_style();
    let mut corners = Vec::with_capacity(entries.len());
    let (mut x, mut y) = (SIDE_PADDING, 0);
    for entry in entries {
        let (label_width, _) = area.estimate_text_size(&entry.label, &style)?;
        let entry_width = MARK_WIDTH + MARK_TO_LABEL + label_width as i32;
        if x > SIDE_PADDING && x + entry_width > width - SIDE_PADDING {
            x = SIDE_PADDING;
            y += ROW_HEIGHT;
        }
        corners.push((x, y));
        x += entry_width + ENTRY_GAP;
    }
    let rows_height = if entries.is_empty() {
        0
    } else {
        y + ROW_HEIGHT
    };
    Ok((corners, rows_height as u32 + 6))
}

/// Height in pixels that the legend strip needs on `area`'s width.
pub(super) fn strip_height(area: &Canvas<'_>, entries: &[LegendEntry]) -> DrawResult<u32> {
    Ok(layout(area, entries)?.1)
}

/// Draws the entries into the strip made by [`super::split_canvas`].
pub(super) fn draw_legend(strip: &Canvas<'_>, entries: &[LegendEntry]) -> DrawResult {
    let (corners, _) = layout(strip, entries)?;
    let label_style = tick_label_style().pos(Pos::new(HPos::Left, VPos::Center));
    for (entry, (x, y)) in entries.iter().zip(corners) {
        let middle = y + ROW_HEIGHT / 2;
        draw_mark(strip, entry, x, middle)?;
        strip.draw(&Text::new(
            entry.label.clone(),
            (x + MARK_WIDTH + MARK_TO_LABEL, middle),
            label_style.clone(),
        ))?;
    }
    Ok(())
}

fn draw_mark(strip: &Canvas<'_>, entry: &LegendEntry, x: i32, middle: i32) -> DrawResult {
    let colour = entry.colour;
    match entry.mark {
        LegendMark::Swatch => strip.draw(&Rectangle::new(
            [(x + 5, middle - 8), (x + MARK_WIDTH - 5, middle + 8)],
            colour.filled(),
        )),
        LegendMark::Line => strip.draw(&PathElement::new(
            vec![(x, middle), (x + MARK_WIDTH, middle)],
            colour.stroke_width(3),
        )),
        LegendMark::DashedLine => {
            for start in [x, x + 10, x + 20] {
                strip.draw(&PathElement::new(
                    vec![(start, middle), ((start + 6).min(x + MARK_WIDTH), middle)],
                    colour.stroke_width(2),
                ))?;
            }
            Ok(())
        }
        LegendMark::Dot => strip.draw(&Circle::new(
            (x + MARK_WIDTH / 2, middle),
            4,
            colour.filled(),
        )),
    }
}
