//! Strategy colours: the Okabe-Ito palette, whose colours stay apart for
//! readers with the common forms of colour blindness.

use plotters::style::RGBColor;

/// Okabe-Ito colours in the order strategies get them. Black comes last
/// because the charts also use it for reference marks.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];

/// Colour of the strategy at `index` in scenario order.
///
/// NOTE: a scenario with more than eight strategies reuses colours from the
/// start, so the legends' labels are then the only way to tell those apart.
pub(crate) fn strategy_colour(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// Formats the colour as a CSS hex value such as `#0072b2`.
pub(crate) fn css_hex(colour: RGBColor) -> String {
    let RGBColor(red, green, blue) = colour;
    format!("#{red:02x}{green:02x}{blue:02x}")
}

/// Grey for epoch boundaries and other marks that belong to no strategy.
pub(crate) const NEUTRAL_GREY: RGBColor = RGBColor(110, 110, 110);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_colour_cycles_after_palette() {
        assert_eq!(strategy_colour(0), strategy_colour(8));
        assert_ne!(strategy_colour(0), strategy_colour(1));
    }

    #[test]
    fn css_hex_is_lowercase_six_digits() {
        assert_eq!(css_hex(RGBColor(0, 114, 178)), "#0072b2");
    }
}
