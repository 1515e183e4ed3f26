//! Turns what the parent saw of a worker into a [`RunRecord`], and compares
//! its epoch metrics with the reference strategy's.

use super::protocol::WorkerOutcome;
use super::supervisor::{signal_name, StopReason, WorkerExit, HOST_BUDGET_SIGNAL};
use crate::results::{
    EpochRecord, MetricCheck, PhaseMetrics, RunFailure, RunRecord, RunStatus, RunSummary, Signal,
};
use crate::scenario::StrategySpec;

/// Metrics that differ by more than this relative amount are a mismatch.
/// Strategies feed the same batches through the same arithmetic, so equal
/// runs agree exactly; the tolerance only absorbs printing round trips.
const METRIC_RELATIVE_TOLERANCE: f64 = 1e-9;

pub fn build_record(spec: &StrategySpec, repeat: u32, exit: WorkerExit) -> RunRecord {
    let outcome = exit.outcome.clone().unwrap_or_else(WorkerOutcome::empty);
    let step_reached = outcome
        .failure
        .as_ref()
        .map_or(exit.last_step, |f| f.step_reached.max(exit.last_step));
    let (status, failure) = classify(&exit, &outcome, step_reached);
    let mut record = RunRecord {
        strategy: spec.name.clone(),
        kind: spec.kind,
        repeat,
        status,
        failure,
        wall_seconds: exit.wall_seconds,
        baseline_rss_bytes: outcome.baseline_rss_bytes,
        cuda_libraries_loaded: outcome.cuda_libraries_loaded,
        cuda_allocator_events: outcome.cuda_allocator_events,
        epochs: outcome.epochs,
        timeline: outcome.timeline,
        rss_samples: exit.rss_samples,
        peaks: outcome.peaks,
        growth: outcome.growth,
        analytic_retained_bytes_per_epoch: outcome.analytic_retained_bytes_per_epoch,
        metric_check: MetricCheck {
            reference_strategy: String::new(),
            matches_reference: None,
            differences: Vec::new(),
            metric_never_updated: false,
        },
        heap_profile: outcome.heap_profile,
        summary: placeholder_summary(spec, repeat),
    };
    record.metric_check.metric_never_updated = metric_never_updated(&record.epochs);
    record
}

fn classify(exit: &WorkerExit, outcome: &WorkerOutcome, step_reached: u64) -> (RunStatus, Option<RunFailure>) {
    let failure = |message: String, signal: Option<String>, exceeded: Option<(Signal, u64)>| RunFailure {
        message,
        step_reached,
        signal,
        exceeded_signal: exceeded.map(|(s, _)| s),
        exceeded_value_bytes: exceeded.map(|(_, v)| v),
        stderr_tail: (!exit.stderr_tail.trim().is_empty()).then(|| exit.stderr_tail.clone()),
    };
    let signal = exit.signal.map(signal_name);
    match exit.stopped {
        Some(StopReason::HostBudget { rss_bytes }) => {
            return (
                RunStatus::ExceededMemory,
                Some(failure(
                    format!(
                        "worker RSS reached {} and crossed the host memory budget",
                        crate::units::format_bytes(rss_bytes)
                    ),
                    signal,
                    Some((HOST_BUDGET_SIGNAL, rss_bytes)),
                )),
            )
        }
        Some(StopReason::TimeLimit) => {
            return (RunStatus::TimedOut, Some(failure("the run passed its time limit".into(), signal, None)))
        }
        Some(StopReason::Interrupted) => {
            return (
                RunStatus::Interrupted,
                Some(failure("the invocation was interrupted".into(), signal, None)),
            )
        }
        None => {}
    }
    if let Some(reported) = &outcome.failure {
        let exceeded = reported
            .exceeded_signal
            .map(|s| (s, reported.exceeded_value_bytes.unwrap_or(0)));
        let status = if reported.exceeded_memory { RunStatus::ExceededMemory } else { RunStatus::Crashed };
        return (status, Some(failure(reported.message.clone(), signal, exceeded)));
    }
    if let Some(name) = signal {
        return (
            RunStatus::Killed,
            Some(failure(format!("the worker was killed by {name}"), Some(name), None)),
        );
    }
    if exit.code != Some(0) || exit.outcome.is_none() {
        let message = format!(
            "the worker exited with status {} without a complete outcome",
            exit.code.map_or("unknown".to_owned(), |c| c.to_string())
        );
        return (RunStatus::Crashed, Some(failure(message, None, None)));
    }
    (RunStatus::Completed, None)
}

fn metric_never_updated(epochs: &[EpochRecord]) -> bool {
    epochs.iter().any(|epoch| {
        epoch.train.metric_updates == 0 || epoch.validation.is_some_and(|v| v.metric_updates == 0)
    })
}

/// Compares `record`'s epoch metrics with `reference`'s and fills its
/// metric check. A run is its own reference when it is the first strategy.
pub fn check_metrics(record: &mut RunRecord, reference: Option<&RunRecord>, reference_name: &str) {
    record.metric_check.reference_strategy = reference_name.to_owned();
    let Some(reference) = reference.filter(|r| r.status == crate::results::RunStatus::Completed) else {
        record.metric_check.matches_reference = None;
        return;
    };
    if record.status != crate::results::RunStatus::Completed {
        record.metric_check.matches_reference = None;
        return;
    }
    let mut differences = Vec::new();
    for (mine, theirs) in record.epochs.iter().zip(&reference.epochs) {
        compare_phase(&mut differences, mine.epoch, "train", &mine.train, &theirs.train);
        match (&mine.validation, &theirs.validation) {
            (Some(a), Some(b)) => compare_phase(&mut differences, mine.epoch, "validation", a, b),
            (None, None) => {}
            _ => differences.push(format!("epoch {}: validation ran in one run only", mine.epoch)),
        }
    }
    if record.epochs.len() != reference.epochs.len() {
        differences.push(format!(
            "{} epochs, reference has {}",
            record.epochs.len(),
            reference.epochs.len()
        ));
    }
    record.metric_check.matches_reference = Some(differences.is_empty());
    record.metric_check.differences = differences;
}

fn compare_phase(differences: &mut Vec<String>, epoch: u32, phase: &str, mine: &PhaseMetrics, theirs: &PhaseMetrics) {
    for (metric, a, b) in [
        ("mean_loss", mine.mean_loss, theirs.mean_loss),
        ("accuracy", mine.accuracy, theirs.accuracy),
    ] {
        let equal = match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= METRIC_RELATIVE_TOLERANCE * a.abs().max(b.abs()).max(1e-300),
            (None, None) => true,
            _ => false,
        };
        if !equal {
            let show = |v: Option<f64>| v.map_or("never computed".to_owned(), |v| format!("{v:.6}"));
            differences.push(format!(
                "epoch {epoch} {phase} {metric}: {} vs reference {}",
                show(a),
                show(b)
            ));
        }
    }
}

fn placeholder_summary(spec: &StrategySpec, repeat: u32) -> RunSummary {
    RunSummary {
        strategy: spec.name.clone(),
        repeat,
        status: RunStatus::Crashed,
        steps_completed: 0,
        wall_seconds: 0.0,
        samples_per_second: None,
        warmup_samples_per_second: None,
        logical_peak_bytes: None,
        torch_cpu_allocator_peak_bytes: None,
        cuda_allocated_peak_bytes: None,
        cuda_reserved_peak_bytes: None,
        rss_peak_bytes: None,
        rss_baseline_bytes: None,
        rust_heap_peak_bytes: None,
        retained_bytes_per_step: None,
        final_train_loss: None,
        final_train_accuracy: None,
        final_validation_loss: None,
        final_validation_accuracy: None,
        metrics_match_reference: None,
    }
}

/// Fills the flat summary from the rest of the record.
pub fn summarize(record: &mut RunRecord) {
    let later: Vec<f64> = record.epochs.iter().filter(|e| !e.warmup).map(|e| e.samples_per_second).collect();
    let warmup = record.epochs.iter().find(|e| e.warmup).map(|e| e.samples_per_second);
    let samples_per_second = if later.is_empty() {
        warmup
    } else {
        Some(later.iter().sum::<f64>() / later.len() as f64)
    };
    let last = record.epochs.last();
    // The worker's VmHWM covers the measured region only. The parent's
    // samples stand in when the worker died before reporting it.
    let rss_peak = record
        .peak(Signal::RssBytes)
        .or_else(|| record.rss_samples.iter().map(|s| s.rss_bytes).max());
    record.summary = RunSummary {
        strategy: record.strategy.clone(),
        repeat: record.repeat,
        status: record.status,
        steps_completed: record.failure.as_ref().map_or_else(
            || record.epochs.iter().map(|e| e.steps).sum(),
            |f| f.step_reached,
        ),
        wall_seconds: record.wall_seconds,
        samples_per_second,
        warmup_samples_per_second: warmup,
        logical_peak_bytes: record.peak(Signal::RetainedBytes),
        torch_cpu_allocator_peak_bytes: record.peak(Signal::CpuAllocatedBytes),
        cuda_allocated_peak_bytes: record.peak(Signal::CudaAllocatedBytes),
        cuda_reserved_peak_bytes: record.peak(Signal::CudaReservedBytes),
        rss_peak_bytes: rss_peak,
        rss_baseline_bytes: record.baseline_rss_bytes,
        rust_heap_peak_bytes: record.peak(Signal::RustHeapBytes),
        retained_bytes_per_step: record.growth.as_ref().map(|g| g.bytes_per_step),
        final_train_loss: last.and_then(|e| e.train.mean_loss),
        final_train_accuracy: last.and_then(|e| e.train.accuracy),
        final_validation_loss: last.and_then(|e| e.validation.and_then(|v| v.mean_loss)),
        final_validation_accuracy: last.and_then(|e| e.validation.and_then(|v| v.accuracy)),
        metrics_match_reference: record.metric_check.matches_reference,
    };
}
