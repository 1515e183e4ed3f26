//! The verdict on one metric of one strategy.

use serde::Serialize;

use super::limits::Limit;
use super::metric::{Better, Metric, Unit, Variability};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Better by more than both limits and more than the noise.
    Improved,
    /// Worse by more than both limits and more than the noise.
    Regressed,
    /// Changed by no more than one of the limits.
    Unchanged,
    /// Beyond both limits, but no larger than the spread over repeats, so
    /// the change cannot be distinguished from run-to-run noise.
    WithinNoise,
    /// Not measured in at least one run of either file.
    Unavailable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unchanged => "unchanged",
            Verdict::WithinNoise => "within noise",
            Verdict::Unavailable => "unavailable",
        }
    }
}

/// A metric's values over the repeats of one strategy in one file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatStats {
    pub median: f64,
    /// Maximum minus minimum.
    pub spread: f64,
    pub repeats: usize,
}

impl RepeatStats {
    /// Summarizes the values of the repeats; `None` for no values.
    pub fn from_values(values: &[f64]) -> Option<RepeatStats> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Some(RepeatStats {
            median,
            spread: sorted[sorted.len() - 1] - sorted[0],
            repeats: sorted.len(),
        })
    }
}

/// The comparison of one metric of one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct MetricComparison {
    pub strategy: String,
    pub metric: Metric,
    pub unit: Unit,
    pub better: Better,
    pub verdict: Verdict,
    /// Median over the baseline's repeats.
    pub baseline: Option<f64>,
    /// Median over the current repeats.
    pub current: Option<f64>,
    /// Current minus baseline, in the metric's unit.
    pub change: Option<f64>,
    /// The change in percent of the baseline; `None` when the baseline is 0.
    pub change_percent: Option<f64>,
    pub limit: Limit,
    /// Larger spread (maximum minus minimum) over the repeats of either
    /// file, for noisy metrics. `None` for deterministic metrics, and when
    /// both files have a single repeat.
    pub noise: Option<f64>,
    pub baseline_repeats: usize,
    pub current_repeats: usize,
    /// Reason the metric could not be compared.
    pub unavailable_reason: Option<String>,
}

/// Compares one metric of one strategy. `baseline_values` and
/// `current_values` contain one entry per repeat, `None` where the run did
/// not measure the metric. A metric missing from any run is unavailable,
/// never compared as zero.
pub fn compare_metric(
    strategy: &str,
    metric: Metric,
    limit: Limit,
    baseline_values: &[Option<f64>],
    current_values: &[Option<f64>],
) -> MetricComparison {
    let mut comparison = MetricComparison {
        strategy: strategy.to_owned(),
        metric,
        unit: metric.unit(),
        better: metric.better(),
        verdict: Verdict::Unavailable,
        baseline: None,
        current: None,
        change: None,
        change_percent: None,
        limit,
        noise: None,
        baseline_repeats: baseline_values.len(),
        current_repeats: current_values.len(),
        unavailable_reason: None,
    };

    let baseline = measured_stats(baseline_values);
    let current = measured_stats(current_values);
    let (baseline, current) = match (baseline, current) {
        (Some(baseline), Some(current)) => (baseline, current),
        (None, None) => {
            comparison.unavailable_reason = Some("measured in neither file".to_owned());
            return comparison;
        }
        (None, _) => {
            comparison.unavailable_reason = Some(missing_reason("baseline", baseline_values));
            return comparison;
        }
        (_, None) => {
            comparison.unavailable_reason = Some(missing_reason("current", current_values));
            return comparison;
        }
    };

    let change = current.median - baseline.median;
    comparison.baseline = Some(baseline.median);
    comparison.current = Some(current.median);
    comparison.change = Some(change);
    comparison.change_percent =
        (baseline.median != 0.0).then(|| change / baseline.median.abs() * 100.0);
    comparison.noise = match metric.variability() {
        Variability::Noisy if baseline.repeats > 1 || current.repeats > 1 => {
            Some(baseline.spread.max(current.spread))
        }
        _ => None,
    };
    comparison.verdict =
        judge_change(metric.better(), baseline.median, change, &limit, comparison.noise);
    comparison
}

/// Stats over the repeats, or `None` when any repeat lacks the value.
fn measured_stats(values: &[Option<f64>]) -> Option<RepeatStats> {
    let measured: Option<Vec<f64>> = values.iter().copied().collect();
    RepeatStats::from_values(&measured?)
}

fn missing_reason(role: &str, values: &[Option<f64>]) -> String {
    let missing = values.iter().filter(|value| value.is_none()).count();
    format!("not measured in {missing} of {} {role} runs", values.len())
}

/// Decides the verdict of a change from `baseline` by `change`.
///
/// The change must exceed both limits to count at all: the absolute limit,
/// and the relative one in percent of the baseline (any change from a
/// baseline of 0 exceeds the relative limit). A counted change no larger
/// than `noise` is within noise. Otherwise its direction decides between
/// regressed and improved.
pub fn judge_change(
    better: Better,
    baseline: f64,
    change: f64,
    limit: &Limit,
    noise: Option<f64>,
) -> Verdict {
    let magnitude = change.abs();
    let exceeds_absolute = magnitude > limit.absolute;
    let exceeds_relative = magnitude > baseline.abs() * limit.relative_percent / 100.0;
    if magnitude == 0.0 || !exceeds_absolute || !exceeds_relative {
        return Verdict::Unchanged;
    }
    if noise.is_some_and(|noise| magnitude <= noise) {
        return Verdict::WithinNoise;
    }
    let worse = match better {
        Better::Lower => change > 0.0,
        Better::Higher => change < 0.0,
    };
    if worse {
        Verdict::Regressed
    } else {
        Verdict::Improved
    }
}
