//! Training throughput with every probe off, with the epoch-level probes
//! only, and with all probes on, printed with each arm's ratio to the run
//! without probes. The probes may cost at most 2% of throughput.
//!
//! This target has its own timing loop instead of criterion's. The counting
//! CPU allocator cannot be removed from a process once installed, so every
//! run trains in a fresh process. Throughput is reported per epoch, as the
//! results file counts it, and from the median step time by the wall clock
//! and by process CPU time. The 2% check uses the median step's CPU time,
//! which other processes on a shared machine disturb the least. The median
//! ignores a minority of interrupted steps, and CPU time leaves out the time
//! this process spent descheduled.

#[path = "../common/mod.rs"]
mod common;
mod measured_run;

use common::command_line::{self, Request};
use measured_run::{run_in_child, Arm, RunTimings};

const TARGET_NAME: &str = "probe_throughput";
/// Largest share of throughput the probes may cost.
const MAX_PROBE_OVERHEAD: f64 = 0.02;
/// Environment variable that sets the runs per arm under `cargo bench`.
/// More runs give steadier figures on a busy machine, at about 1 s of CPU
/// time each.
const RUNS_PER_ARM_VARIABLE: &str = "EPOCHMEM_BENCH_RUNS_PER_ARM";
const DEFAULT_RUNS_PER_ARM: usize = 5;

/// How many runs per arm, and how long each.
struct Settings {
    runs_per_arm: usize,
    /// At least 2, because the first epoch of each run is left out.
    epochs: u32,
}

/// An arm's throughput in samples/s, pooled over its runs.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    /// Median over the runs of each run's mean epoch throughput, the figure
    /// that the results file reports for a run.
    median_run: f64,
    /// Batch size over the median step time by the wall clock.
    median_step_wall: f64,
    /// Batch size over the median step time by process CPU time.
    median_step_cpu: f64,
    /// The lowest and highest of the same CPU-time figure per run.
    cpu_run_range: (f64, f64),
}

/// The result of comparing the arms.
struct Finding {
    /// Share of throughput that all probes cost, by the median step's CPU time.
    overhead: f64,
    /// Range of the probes_off runs' CPU-time figures divided by their
    /// median, which shows how much identical runs varied.
    unprobed_spread: f64,
    /// Whether some all_probes run was as fast as some probes_off run.
    ranges_overlap: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if measured_run::run_requested_arm(&args) {
        return;
    }
    match command_line::read_request(&args, TARGET_NAME) {
        Request::List => println!("{TARGET_NAME}: benchmark"),
        Request::Skip => {}
        Request::Run { test_mode: true } => {
            compare_arms(&Settings {
                runs_per_arm: 1,
                epochs: 2,
            });
            println!("{TARGET_NAME}: --test runs each arm once, briefly, so these figures are not a measurement");
        }
        Request::Run { test_mode: false } => {
            let finding = compare_arms(&Settings {
                runs_per_arm: runs_per_arm(),
                epochs: 6,
            });
            report_finding(&finding);
        }
    }
}

/// Prints whether all probes stay within the limit, exceed it, or whether
/// the runs varied too much to tell.
fn report_finding(finding: &Finding) {
    println!(
        "{TARGET_NAME}: all probes cost {:.1}% of throughput by the median step's CPU time (limit {:.0}%)",
        finding.overhead * 100.0,
        MAX_PROBE_OVERHEAD * 100.0
    );
    let rerun = format!("Rerun on an idle machine, or with more runs ({RUNS_PER_ARM_VARIABLE}=15)");
    if finding.overhead <= MAX_PROBE_OVERHEAD {
        if finding.unprobed_spread <= MAX_PROBE_OVERHEAD {
            println!("{TARGET_NAME}: within the limit");
        } else {
            eprintln!(
                "{TARGET_NAME}: warning: inconclusive, because the probes_off runs alone spread over \
                 {:.1}% of their median, more than the limit. {rerun}",
                finding.unprobed_spread * 100.0
            );
        }
    } else if finding.ranges_overlap {
        eprintln!(
            "{TARGET_NAME}: warning: inconclusive, because some all_probes runs were as fast as some \
             probes_off runs. {rerun}"
        );
    } else {
        eprintln!(
            "{TARGET_NAME}: warning: all probes cost more than the limit, and every all_probes run \
             was slower than every probes_off run"
        );
    }
}

fn runs_per_arm() -> usize {
    let Ok(text) = std::env::var(RUNS_PER_ARM_VARIABLE) else {
        return DEFAULT_RUNS_PER_ARM;
    };
    match text.parse() {
        Ok(runs) if runs > 0 => runs,
        _ => panic!(
            "{RUNS_PER_ARM_VARIABLE}={text:?} is invalid: expected a whole number of at least 1"
        ),
    }
}

/// Runs every arm `runs_per_arm` times, interleaved so that a slow spell of
/// a shared machine hits all arms alike, and prints the estimates.
fn compare_arms(settings: &Settings) -> Finding {
    let executable = std::env::current_exe().expect("the benchmark knows its own path");
    let mut runs: Vec<Vec<RunTimings>> = vec![Vec::new(); Arm::ALL.len()];
    for _ in 0..settings.runs_per_arm {
        for (arm_runs, arm) in runs.iter_mut().zip(Arm::ALL) {
            arm_runs.push(run_in_child(&executable, arm, settings.epochs));
        }
    }

    let scenario = common::bench_scenario();
    let batch_size = scenario.training.batch_size as f64;
    let steps_per_epoch = common::bench_dataset(&scenario)
        .train
        .len()
        .div_ceil(scenario.training.batch_size);
    let estimates: Vec<Estimate> = runs
        .iter()
        .map(|arm_runs| estimate(arm_runs, batch_size))
        .collect();

    println!(
        "{TARGET_NAME}: runs per arm: {}, each a fresh process training {} epochs of {steps_per_epoch} \
         steps, the first epoch of each run left out",
        settings.runs_per_arm, settings.epochs
    );
    println!(
        "{TARGET_NAME}: samples/s, with the ratio to probes_off: the median run's mean over epochs, and \
         the batch size over the median step time by the wall clock and by CPU time, with the range of \
         the runs' own CPU-time figures"
    );
    let reference = estimates[0];
    for (estimate, arm) in estimates.iter().zip(Arm::ALL) {
        println!(
            "{TARGET_NAME}/{:<13} epochs {:>6.0} ({:.3}) | median step: wall clock {:>6.0} ({:.3}), \
             CPU time {:>6.0} ({:.3}), runs {:.0} to {:.0}",
            arm.name(),
            estimate.median_run,
            estimate.median_run / reference.median_run,
            estimate.median_step_wall,
            estimate.median_step_wall / reference.median_step_wall,
            estimate.median_step_cpu,
            estimate.median_step_cpu / reference.median_step_cpu,
            estimate.cpu_run_range.0,
            estimate.cpu_run_range.1,
        );
    }
    let probed = estimates[2];
    Finding {
        overhead: 1.0 - probed.median_step_cpu / reference.median_step_cpu,
        unprobed_spread: (reference.cpu_run_range.1 - reference.cpu_run_range.0)
            / reference.median_step_cpu,
        ranges_overlap: probed.cpu_run_range.1 >= reference.cpu_run_range.0,
    }
}

fn estimate(runs: &[RunTimings], batch_size: f64) -> Estimate {
    let run_means: Vec<f64> = runs
        .iter()
        .map(|run| {
            run.epoch_samples_per_second.iter().sum::<f64>()
                / run.epoch_samples_per_second.len() as f64
        })
        .collect();
    let wall_steps: Vec<f64> = runs
        .iter()
        .flat_map(|run| run.wall_step_seconds.iter().copied())
        .collect();
    let cpu_steps: Vec<f64> = runs
        .iter()
        .flat_map(|run| run.cpu_step_seconds.iter().copied())
        .collect();
    let cpu_per_run: Vec<f64> = runs
        .iter()
        .map(|run| batch_size / median(&run.cpu_step_seconds))
        .collect();
    Estimate {
        median_run: median(&run_means),
        median_step_wall: batch_size / median(&wall_steps),
        median_step_cpu: batch_size / median(&cpu_steps),
        cpu_run_range: (
            cpu_per_run.iter().copied().fold(f64::INFINITY, f64::min),
            cpu_per_run
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max),
        ),
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}
