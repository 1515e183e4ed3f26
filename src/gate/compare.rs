//! Comparison of two results files: every metric of every strategy, and
//! the growth check.

use std::path::PathBuf;

use serde::Serialize;

use super::growth::{check_growth, GrowthCheck, GrowthVerdict};
use super::inputs::{check_comparable, comparison_warnings, GateInput, GateInputError};
use super::limits::{resolve_limits, LimitOverride};
use super::metric::{Metric, Variability};
use super::verdict::{compare_metric, MetricComparison, Verdict};
use crate::results::ResultsFile;

/// Everything the gate decided about one pair of results files.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub scenario: String,
    pub baseline_path: PathBuf,
    pub current_path: PathBuf,
    /// One entry per strategy and metric, strategies in the order they ran.
    pub metrics: Vec<MetricComparison>,
    /// One entry per strategy that the scenario marks `expect: constant`.
    pub growth_checks: Vec<GrowthCheck>,
    /// Differences that do not prevent the comparison but may explain it.
    pub warnings: Vec<String>,
}

impl GateReport {
    /// Number of regressed metrics plus failed growth checks.
    pub fn regression_count(&self) -> usize {
        let metrics = self.metrics.iter().filter(|m| m.verdict == Verdict::Regressed).count();
        let growth = self
            .growth_checks
            .iter()
            .filter(|check| check.verdict == GrowthVerdict::Regressed)
            .count();
        metrics + growth
    }

    /// 0 when nothing regressed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.regression_count() == 0 {
            0
        } else {
            1
        }
    }

    /// Looks up the comparison of one metric of one strategy.
    pub fn metric(&self, strategy: &str, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.strategy == strategy && m.metric == metric)
    }
}

/// Compares the current results with the baseline. Limits come from the
/// defaults, then the current scenario's `gate:` section, then `overrides`.
pub fn compare_results(
    baseline: &GateInput,
    current: &GateInput,
    overrides: &[LimitOverride],
) -> Result<GateReport, GateInputError> {
    check_comparable(baseline, current)?;
    let limits = resolve_limits(&current.results.scenario.resolved.gate, overrides);

    let mut metrics = Vec::new();
    for strategy in strategies_in_run_order(&current.results) {
        for metric in Metric::ALL {
            metrics.push(compare_metric(
                &strategy,
                metric,
                limits[&metric],
                &metric_values(&baseline.results, &strategy, metric),
                &metric_values(&current.results, &strategy, metric),
            ));
        }
    }

    let mut warnings = comparison_warnings(&baseline.results, &current.results);
    warnings.extend(missing_noise_warning(&metrics));
    Ok(GateReport {
        scenario: current.results.scenario.name.clone(),
        baseline_path: baseline.path.clone(),
        current_path: current.path.clone(),
        metrics,
        growth_checks: check_growth(&current.results),
        warnings,
    })
}

/// Warns when a noisy metric was judged by its limits alone because both
/// files have a single repeat of its strategy.
fn missing_noise_warning(metrics: &[MetricComparison]) -> Option<String> {
    let mut strategies: Vec<&str> = metrics
        .iter()
        .filter(|m| m.metric.variability() == Variability::Noisy)
        .filter(|m| m.verdict != Verdict::Unavailable && m.noise.is_none())
        .map(|m| m.strategy.as_str())
        .collect();
    strategies.dedup();
    if strategies.is_empty() {
        return None;
    }
    Some(format!(
        "{} ran once in both files, so RSS and throughput changes were judged without a noise \
         estimate; run the scenario with --repeats 3 or more for both files",
        strategies.join(", ")
    ))
}

fn strategies_in_run_order(results: &ResultsFile) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for run in &results.runs {
        if !names.contains(&run.strategy) {
            names.push(run.strategy.clone());
        }
    }
    names
}

/// Collects the metric's value in each run of the strategy, in repeat order.
fn metric_values(results: &ResultsFile, strategy: &str, metric: Metric) -> Vec<Option<f64>> {
    results
        .runs
        .iter()
        .filter(|run| run.strategy == strategy)
        .map(|run| metric.value(&run.summary))
        .collect()
}
