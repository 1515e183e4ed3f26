//! Figures that every part of the report shares, derived once from a results
//! file: strategies in scenario order with their colours and runs, the
//! memory signals that were measured, and the findings to call out.

use plotters::style::RGBColor;

use crate::results::{ResultsFile, RunRecord, RunStatus, Signal, StepPoint};
use crate::scenario::GrowthExpectation;
use crate::units::format_bytes;

use super::palette::strategy_colour;

/// Signals in the order tables and charts show them.
pub(crate) const PEAK_SIGNALS: [Signal; 7] = [
    Signal::RetainedBytes,
    Signal::CpuAllocatedBytes,
    Signal::CudaAllocatedBytes,
    Signal::CudaReservedBytes,
    Signal::CudaActiveBytes,
    Signal::RssBytes,
    Signal::RustHeapBytes,
];

/// Signals recorded after every training step (the fields of [`StepPoint`]).
pub(crate) const TIMELINE_SIGNALS: [Signal; 5] = [
    Signal::RetainedBytes,
    Signal::CpuAllocatedBytes,
    Signal::CudaAllocatedBytes,
    Signal::CudaReservedBytes,
    Signal::RssBytes,
];

/// Returns the name of a signal for titles and column headers.
pub(crate) fn signal_title(signal: Signal) -> &'static str {
    match signal {
        Signal::RetainedBytes => "Retained bytes",
        Signal::CpuAllocatedBytes => "CPU allocator bytes",
        Signal::CudaAllocatedBytes => "CUDA allocated bytes",
        Signal::CudaReservedBytes => "CUDA reserved bytes",
        Signal::CudaActiveBytes => "CUDA active bytes",
        Signal::RssBytes => "Resident set size",
        Signal::RustHeapBytes => "Rust heap bytes",
    }
}

/// Returns the value of `signal` in one step point, or `None` for signals
/// that step points do not record and for CUDA values that were not measured.
pub(crate) fn step_value(point: &StepPoint, signal: Signal) -> Option<u64> {
    match signal {
        Signal::RetainedBytes => Some(point.retained_bytes),
        Signal::CpuAllocatedBytes => Some(point.cpu_allocated_bytes),
        Signal::CudaAllocatedBytes => point.cuda_allocated_bytes,
        Signal::CudaReservedBytes => point.cuda_reserved_bytes,
        Signal::RssBytes => Some(point.rss_bytes),
        Signal::CudaActiveBytes | Signal::RustHeapBytes => None,
    }
}

/// Returns a run's peak of `signal` as its summary states it, so the report
/// shows the figures that the console table, `summary.csv` and the gate use.
pub(crate) fn run_peak(run: &RunRecord, signal: Signal) -> Option<u64> {
    let summary = &run.summary;
    match signal {
        Signal::RetainedBytes => summary.logical_peak_bytes,
        Signal::CpuAllocatedBytes => summary.torch_cpu_allocator_peak_bytes,
        Signal::CudaAllocatedBytes => summary.cuda_allocated_peak_bytes,
        Signal::CudaReservedBytes => summary.cuda_reserved_peak_bytes,
        Signal::RssBytes => summary.rss_peak_bytes,
        Signal::RustHeapBytes => summary.rust_heap_peak_bytes,
        Signal::CudaActiveBytes => run.peak(signal),
    }
}

/// Checks whether a run's peaks list `signal` as not measured.
pub(crate) fn marked_unavailable(run: &RunRecord, signal: Signal) -> bool {
    run.peaks
        .iter()
        .any(|peak| peak.signal == signal && peak.peak_bytes.is_none())
}

/// Returns `(step, bytes)` after every recorded step of `run`, or `None` when the
/// run did not measure `signal` per step.
pub(crate) fn step_series(run: &RunRecord, signal: Signal) -> Option<Vec<(u64, u64)>> {
    if marked_unavailable(run, signal) {
        return None;
    }
    let series: Vec<(u64, u64)> = run
        .timeline
        .points
        .iter()
        .filter_map(|point| Some((point.step, step_value(point, signal)?)))
        .collect();
    (!series.is_empty()).then_some(series)
}

/// A results file with its runs grouped by strategy.
pub(crate) struct ReportView<'a> {
    pub results: &'a ResultsFile,
    /// Scenario order first, then strategies that only the runs name.
    pub strategies: Vec<StrategyRuns<'a>>,
}

/// One strategy and every run (repeat) of it.
pub(crate) struct StrategyRuns<'a> {
    pub name: &'a str,
    /// The same in every chart and table of the report.
    pub colour: RGBColor,
    /// Sorted by repeat, and empty when the invocation stopped before it ran.
    pub runs: Vec<&'a RunRecord>,
}

/// Samples per second of a strategy's completed runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ThroughputSpread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// One value per completed repeat.
    pub values: Vec<f64>,
}

impl StrategyRuns<'_> {
    /// Returns the lowest repeat, whose timelines the charts draw.
    pub fn representative(&self) -> Option<&RunRecord> {
        self.runs.first().copied()
    }

    /// Highest peak of `signal` over the runs that measured it.
    pub fn peak(&self, signal: Signal) -> Option<u64> {
        self.runs
            .iter()
            .filter_map(|run| run_peak(run, signal))
            .max()
    }

    /// Bytes the strategy should hold at the end of one epoch, from shapes.
    pub fn analytic_retained_bytes(&self) -> Option<u64> {
        self.runs
            .iter()
            .find_map(|run| run.analytic_retained_bytes_per_epoch)
    }

    /// Returns the throughput over the completed runs. Failed runs are left
    /// out so that a run cut short does not pull the figure.
    pub fn throughput(&self) -> Option<ThroughputSpread> {
        let values: Vec<f64> = self
            .runs
            .iter()
            .filter(|run| run.status == RunStatus::Completed)
            .filter_map(|run| run.summary.samples_per_second)
            .filter(|value| value.is_finite())
            .collect();
        if values.is_empty() {
            return None;
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(ThroughputSpread {
            mean,
            min,
            max,
            values,
        })
    }

    /// Name for legends, with the representative run's status when that run
    /// did not complete.
    pub fn legend_label(&self) -> String {
        match self.representative() {
            Some(run) if run.status != RunStatus::Completed => {
                format!("{} ({})", self.name, run.status.as_str())
            }
            _ => self.name.to_owned(),
        }
    }
}

/// Something in the results that a reader should not miss.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub strategy: String,
    /// `None` when the finding is about the strategy, not one run.
    pub repeat: Option<u32>,
    pub kind: FindingKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FindingKind {
    RunFailed,
    MetricMismatch,
    MetricNeverUpdated,
    UnexpectedGrowth,
    NotRun,
}

impl<'a> ReportView<'a> {
    pub fn new(results: &'a ResultsFile) -> Self {
        let mut names: Vec<&str> = results
            .scenario
            .strategies
            .iter()
            .map(String::as_str)
            .collect();
        for run in &results.runs {
            if !names.contains(&run.strategy.as_str()) {
                names.push(&run.strategy);
            }
        }
        let strategies = names
            .into_iter()
            .enumerate()
            .map(|(index, name)| {
                let mut runs: Vec<&RunRecord> = results
                    .runs
                    .iter()
                    .filter(|run| run.strategy == name)
                    .collect();
                runs.sort_by_key(|run| run.repeat);
                StrategyRuns {
                    name,
                    colour: strategy_colour(index),
                    runs,
                }
            })
            .collect();
        ReportView {
            results,
            strategies,
        }
    }

    /// Strategies that have at least one run.
    pub fn strategies_with_runs(&self) -> impl Iterator<Item = &StrategyRuns<'a>> {
        self.strategies
            .iter()
            .filter(|strategy| !strategy.runs.is_empty())
    }

    /// Returns a strategy's colour by name, or grey for an unknown name.
    pub fn colour_of(&self, name: &str) -> RGBColor {
        self.strategies
            .iter()
            .find(|strategy| strategy.name == name)
            .map_or(super::palette::NEUTRAL_GREY, |strategy| strategy.colour)
    }

    /// Peak signals that at least one run measured, in [`PEAK_SIGNALS`] order.
    pub fn measured_signals(&self) -> Vec<Signal> {
        PEAK_SIGNALS
            .into_iter()
            .filter(|signal| {
                self.results
                    .runs
                    .iter()
                    .any(|run| run_peak(run, *signal).is_some())
            })
            .collect()
    }

    /// Signals that no run measured, with the first reason a run gave.
    pub fn unavailable_signals(&self) -> Vec<(Signal, String)> {
        let measured = self.measured_signals();
        PEAK_SIGNALS
            .into_iter()
            .filter(|signal| !measured.contains(signal))
            .filter_map(|signal| {
                let reason = self
                    .results
                    .runs
                    .iter()
                    .flat_map(|run| &run.peaks)
                    .find_map(|peak| {
                        (peak.signal == signal).then(|| peak.unavailable_reason.clone())
                    })?;
                Some((
                    signal,
                    reason.unwrap_or_else(|| "no reason recorded".to_owned()),
                ))
            })
            .collect()
    }

    /// Returns the global step after which each epoch ended, taken from the
    /// run that recorded the most epochs. Every strategy reads the same
    /// batches, so all runs share these boundaries.
    pub fn epoch_end_steps(&self) -> Vec<u64> {
        let longest = self.results.runs.iter().max_by_key(|run| run.epochs.len());
        let Some(run) = longest else {
            return Vec::new();
        };
        run.epochs
            .iter()
            .scan(0u64, |step, epoch| {
                *step += epoch.steps;
                Some(*step)
            })
            .collect()
    }

    /// Runs that did not complete, metric mismatches, dead metric hooks,
    /// growth other than the scenario expects, and strategies never run.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for strategy in &self.strategies {
            if strategy.runs.is_empty() {
                findings.push(Finding {
                    strategy: strategy.name.to_owned(),
                    repeat: None,
                    kind: FindingKind::NotRun,
                    message: "no run was recorded".to_owned(),
                });
            }
            for run in &strategy.runs {
                findings.extend(self.run_findings(run));
            }
        }
        findings
    }

    fn run_findings(&self, run: &RunRecord) -> Vec<Finding> {
        let finding = |kind, message| Finding {
            strategy: run.strategy.clone(),
            repeat: Some(run.repeat),
            kind,
            message,
        };
        let mut findings = Vec::new();
        if run.status != RunStatus::Completed {
            findings.push(finding(FindingKind::RunFailed, describe_failure(run)));
        }
        if run.metric_check.matches_reference == Some(false) {
            let mut message = format!(
                "epoch metrics differ from the reference strategy {}",
                run.metric_check.reference_strategy
            );
            if !run.metric_check.differences.is_empty() {
                message.push_str(": ");
                message.push_str(&run.metric_check.differences.join("; "));
            }
            findings.push(finding(FindingKind::MetricMismatch, message));
        }
        if run.metric_check.metric_never_updated {
            findings.push(finding(
                FindingKind::MetricNeverUpdated,
                "the metric state was never updated, so its epoch metrics are not real: the \
                 update sits in a hook that the loop never calls"
                    .to_owned(),
            ));
        }
        if let Some(message) = self.unexpected_growth(run) {
            findings.push(finding(FindingKind::UnexpectedGrowth, message));
        }
        findings
    }

    fn unexpected_growth(&self, run: &RunRecord) -> Option<String> {
        let growth = run.growth.as_ref()?;
        let spec = self
            .results
            .scenario
            .resolved
            .strategies
            .iter()
            .find(|s| s.name == run.strategy)?;
        let expected = spec.expect?;
        let measured = match growth.class {
            crate::results::GrowthClass::Constant => GrowthExpectation::Constant,
            crate::results::GrowthClass::Linear => GrowthExpectation::Linear,
        };
        (expected != measured).then(|| {
            format!(
                "the scenario expects {} growth of retained bytes, but it grew {} ({} per step)",
                growth_name(expected),
                growth_name(measured),
                format_bytes_per_step(growth.bytes_per_step)
            )
        })
    }
}

fn growth_name(growth: GrowthExpectation) -> &'static str {
    match growth {
        GrowthExpectation::Constant => "constant",
        GrowthExpectation::Linear => "linear",
    }
}

/// Formats a growth rate such as `+1.50 KiB/step`.
pub(crate) fn format_bytes_per_step(bytes_per_step: f64) -> String {
    let sign = if bytes_per_step < 0.0 { "-" } else { "+" };
    format!(
        "{sign}{}/step",
        format_bytes(bytes_per_step.abs().round() as u64)
    )
}

/// Describes in one line why a run did not complete: status, message, the
/// step it reached, and the signal or memory budget involved.
fn describe_failure(run: &RunRecord) -> String {
    let Some(failure) = &run.failure else {
        return format!("{} (no failure details recorded)", run.status.as_str());
    };
    let mut text = format!(
        "{} at step {}: {}",
        run.status.as_str(),
        failure.step_reached,
        failure.message
    );
    if let Some(signal) = &failure.signal {
        text.push_str(&format!(" (signal {signal})"));
    }
    if let (Some(signal), Some(bytes)) = (failure.exceeded_signal, failure.exceeded_value_bytes) {
        text.push_str(&format!(
            "; {} reached {}",
            signal.as_str(),
            format_bytes(bytes)
        ));
    }
    text
}
