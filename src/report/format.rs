//! Text for figures that the HTML page and the Markdown summary share.
//! Values that were not measured become "unavailable", never 0.

use crate::results::InvocationStatus;
use crate::units::format_bytes;

pub(crate) const UNAVAILABLE: &str = "unavailable";

pub(crate) fn optional_bytes(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| UNAVAILABLE.to_owned(), format_bytes)
}

pub(crate) fn samples_per_second(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

pub(crate) fn optional_samples_per_second(value: Option<f64>) -> String {
    value.map_or_else(|| UNAVAILABLE.to_owned(), samples_per_second)
}

pub(crate) fn loss(value: Option<f64>) -> String {
    value.map_or_else(|| UNAVAILABLE.to_owned(), |loss| format!("{loss:.4}"))
}

/// Formats an accuracy given as a fraction of 1 as a percentage.
pub(crate) fn accuracy(value: Option<f64>) -> String {
    value.map_or_else(
        || UNAVAILABLE.to_owned(),
        |fraction| format!("{:.2} %", fraction * 100.0),
    )
}

pub(crate) fn seconds(value: f64) -> String {
    format!("{value:.2} s")
}

/// Names the outcome of comparing a run's metrics with the reference
/// strategy's.
pub(crate) fn metric_match(matches_reference: Option<bool>, never_updated: bool) -> &'static str {
    match (never_updated, matches_reference) {
        (true, _) => "never updated",
        (false, Some(true)) => "match",
        (false, Some(false)) => "differ",
        (false, None) => "not compared",
    }
}

pub(crate) fn invocation_status(status: InvocationStatus) -> &'static str {
    match status {
        InvocationStatus::Running => "running",
        InvocationStatus::Complete => "complete",
        InvocationStatus::Interrupted => "interrupted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_read_unavailable() {
        assert_eq!(optional_bytes(None), "unavailable");
        assert_eq!(optional_samples_per_second(None), "unavailable");
        assert_eq!(loss(None), "unavailable");
        assert_eq!(accuracy(None), "unavailable");
    }

    #[test]
    fn measured_zero_stays_zero() {
        assert_eq!(optional_bytes(Some(0)), "0 B");
    }

    #[test]
    fn accuracy_is_shown_as_percentage() {
        assert_eq!(accuracy(Some(0.875)), "87.50 %");
    }

    #[test]
    fn metric_match_prefers_never_updated() {
        assert_eq!(metric_match(Some(true), true), "never updated");
        assert_eq!(metric_match(None, false), "not compared");
    }
}
