//! The growth check: a strategy marked `expect: constant` in the scenario
//! must hold the same number of bytes however long an epoch is.

use serde::Serialize;

use crate::results::{GrowthClass, ResultsFile, RunRecord, StepPoint};
use crate::scenario::GrowthExpectation;
use crate::units::format_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrowthVerdict {
    Passed,
    /// Retained memory grows; the gate fails.
    Regressed,
    /// The runs recorded nothing that shows growth or its absence.
    Unavailable,
}

impl GrowthVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            GrowthVerdict::Passed => "passed",
            GrowthVerdict::Regressed => "regressed",
            GrowthVerdict::Unavailable => "unavailable",
        }
    }
}

/// The growth check of one strategy over all its current runs.
#[derive(Debug, Clone, Serialize)]
pub struct GrowthCheck {
    pub strategy: String,
    pub expectation: GrowthExpectation,
    pub verdict: GrowthVerdict,
    /// Evidence for the verdict, such as the epoch and steps where the
    /// retained bytes rose.
    pub evidence: String,
}

/// Growth evidence from one run.
enum RunGrowth {
    Grows(String),
    /// No growth; the names of the records that were checked.
    Flat(Vec<&'static str>),
    Unknown,
}

/// Checks every strategy of the current results that the scenario marks
/// `expect: constant`. Strategies marked `linear` are not checked, because
/// there growth is the documented cost of the strategy.
pub fn check_growth(current: &ResultsFile) -> Vec<GrowthCheck> {
    current
        .scenario
        .resolved
        .strategies
        .iter()
        .filter(|spec| spec.expect == Some(GrowthExpectation::Constant))
        .filter_map(|spec| {
            let runs: Vec<&RunRecord> =
                current.runs.iter().filter(|run| run.strategy == spec.name).collect();
            (!runs.is_empty()).then(|| check_strategy(&spec.name, &runs))
        })
        .collect()
}

fn check_strategy(strategy: &str, runs: &[&RunRecord]) -> GrowthCheck {
    let mut checked: Vec<&'static str> = Vec::new();
    for run in runs {
        match inspect_run(run) {
            RunGrowth::Grows(evidence) => {
                return GrowthCheck {
                    strategy: strategy.to_owned(),
                    expectation: GrowthExpectation::Constant,
                    verdict: GrowthVerdict::Regressed,
                    evidence: format!("repeat {}: {evidence}", run.repeat),
                };
            }
            RunGrowth::Flat(records) => {
                for record in records {
                    if !checked.contains(&record) {
                        checked.push(record);
                    }
                }
            }
            RunGrowth::Unknown => {}
        }
    }

    let (verdict, evidence) = if checked.is_empty() {
        (
            GrowthVerdict::Unavailable,
            "the runs have no growth fit, no epoch with two timeline points and a single \
             epoch; enable probes.per_step or run at least two epochs"
                .to_owned(),
        )
    } else {
        (
            GrowthVerdict::Passed,
            format!(
                "retained bytes stay flat in {} ({})",
                match runs.len() {
                    1 => "the only run".to_owned(),
                    count => format!("all {count} runs"),
                },
                checked.join(", ")
            ),
        )
    };
    GrowthCheck {
        strategy: strategy.to_owned(),
        expectation: GrowthExpectation::Constant,
        verdict,
        evidence,
    }
}

/// Looks for growth of the logical retained bytes in one run.
///
/// A run grows when any of these holds:
/// - the run's least-squares growth fit classifies it as linear;
/// - within one epoch, the timeline's retained bytes at the last recorded
///   step exceed those at the first recorded step. Logical counts are
///   exact, and a constant-size state already exists after the first step,
///   so any rise is growth with the number of steps;
/// - the bytes still retained after epoch end rise from the first epoch to
///   the last, as with a buffer that is never cleared.
fn inspect_run(run: &RunRecord) -> RunGrowth {
    let mut checked = Vec::new();

    if let Some(growth) = &run.growth {
        if growth.class == GrowthClass::Linear {
            return RunGrowth::Grows(format!(
                "the growth fit finds {:.1} retained bytes more per step",
                growth.bytes_per_step
            ));
        }
        checked.push("growth fit");
    }

    let mut timeline_checked = false;
    for (first, last) in epoch_edges(&run.timeline.points) {
        timeline_checked = true;
        if last.retained_bytes > first.retained_bytes {
            return RunGrowth::Grows(format!(
                "retained bytes rise within epoch {} from {} at step {} to {} at step {}",
                first.epoch,
                format_bytes(first.retained_bytes),
                first.step,
                format_bytes(last.retained_bytes),
                last.step
            ));
        }
    }
    if timeline_checked {
        checked.push("timeline");
    }

    if let (Some(first), Some(last)) = (run.epochs.first(), run.epochs.last()) {
        if run.epochs.len() >= 2 {
            let before = first.memory.retained_bytes_after_epoch_end;
            let after = last.memory.retained_bytes_after_epoch_end;
            if after > before {
                return RunGrowth::Grows(format!(
                    "retained bytes after epoch end rise from {} (epoch {}) to {} (epoch {}), \
                     so the buffer is not cleared",
                    format_bytes(before),
                    first.epoch,
                    format_bytes(after),
                    last.epoch
                ));
            }
            checked.push("epoch ends");
        }
    }

    if checked.is_empty() {
        RunGrowth::Unknown
    } else {
        RunGrowth::Flat(checked)
    }
}

/// Pairs the first and last timeline point of every epoch that has at
/// least two points, in step order.
fn epoch_edges(points: &[StepPoint]) -> Vec<(StepPoint, StepPoint)> {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|point| point.step);
    sorted
        .chunk_by(|a, b| a.epoch == b.epoch)
        .filter(|epoch| epoch.len() >= 2)
        .map(|epoch| (epoch[0], epoch[epoch.len() - 1]))
        .collect()
}
