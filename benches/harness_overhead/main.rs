//! The time the harness adds to a training run: the per-step probes of the
//! worker's monitor, timed with the training step they follow, and the
//! bookkeeping behind each step and each run, timed alone.
//!
//! After criterion's groups, `probe_overhead/interleaved` prints the share
//! of a training step that the per-step probes cost (see `interleaved.rs`).

#[path = "../common/mod.rs"]
mod common;
mod interleaved;
mod stdout_redirect;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use epochmem::probe::{allocator, rss};
use epochmem::results::{read_results, write_results_atomically, ResultsFile, StepPoint};
use epochmem::run::monitor::Monitor;
use epochmem::run::timeline::TimelineRecorder;
use epochmem::scenario::{Scenario, StrategyKind};
use epochmem::train::LoopMonitor;

use common::command_line::{self, Request};
use common::{bench_dataset, bench_scenario, strategy_spec, NoProbes, StepDriver, SCENARIO_YAML};
use stdout_redirect::with_stdout_discarded;

fn main() {
    // The worker installs the counting allocator before its first tensor, and
    // so does this process. Nothing can remove it later, so both sides of
    // `probe_overhead` run with it. The `probe_throughput` target compares
    // runs with and without it in separate processes.
    allocator::install_cpu_counter().expect("the counting CPU allocator installs");

    let args: Vec<String> = std::env::args().skip(1).collect();
    let interleaved_request = command_line::read_request(&args, interleaved::NAME);

    let mut criterion = common::criterion_config().configure_from_args();
    bench_probe_overhead(&mut criterion);
    bench_step_bookkeeping(&mut criterion);
    bench_run_bookkeeping(&mut criterion);
    criterion.final_summary();

    match interleaved_request {
        Request::List => println!("{}: benchmark", interleaved::NAME),
        Request::Skip => {}
        Request::Run { test_mode } => interleaved::measure_probe_overhead(test_mode),
    }
}

/// Times training steps with the worker's per-step probes off and on.
fn bench_probe_overhead(c: &mut Criterion) {
    let scenario = bench_scenario();
    let dataset = bench_dataset(&scenario);
    let spec = strategy_spec(&scenario, StrategyKind::Streaming);

    let mut group = c.benchmark_group("probe_overhead");
    group.throughput(Throughput::Elements(scenario.training.batch_size));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let mut unprobed = StepDriver::new(&scenario, &dataset, spec);
    group.bench_function("probes_off", |b| {
        b.iter_custom(|steps| unprobed.time_steps(steps, &mut NoProbes))
    });

    let mut probed = StepDriver::new(&scenario, &dataset, spec);
    let mut monitor = Monitor::new(&scenario, None, None);
    group.bench_function("probes_on", |b| {
        b.iter_custom(|steps| with_stdout_discarded(|| probed.time_steps(steps, &mut monitor)))
    });
    group.finish();
}

/// Times the monitor's per-step probes, and each of their parts alone.
fn bench_step_bookkeeping(c: &mut Criterion) {
    let scenario = bench_scenario();
    let mut group = c.benchmark_group("step_bookkeeping");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));

    group.bench_function("cpu_allocator_read", |b| b.iter(allocator::read_cpu));
    let mut reader = rss::RssReader::new();
    group.bench_function("rss_read", |b| b.iter(|| reader.read()));

    // One recorder for every iteration, as in a long run: its memory stays
    // bounded, and its occasional downsampling is part of the mean.
    let mut recorder = TimelineRecorder::new(scenario.probes.max_timeline_points);
    let mut step = 0u64;
    group.bench_function("timeline_record", |b| {
        b.iter(|| {
            step += 1;
            recorder.record(step_point(step));
        })
    });

    let mut monitor = Monitor::new(&scenario, None, None);
    monitor.on_epoch_start(1);
    let mut global_step = 0u64;
    let retained_bytes = 64 << 10;
    group.bench_function("step_probes", |b| {
        b.iter_custom(|steps| {
            with_stdout_discarded(|| {
                let started = Instant::now();
                for _ in 0..steps {
                    global_step += 1;
                    monitor
                        .on_step_end(1, global_step, retained_bytes)
                        .expect("no memory budget is set");
                }
                started.elapsed()
            })
        })
    });

    group.finish();
}

/// Times rewriting the results file, which `epochmem run` does after every run.
fn bench_run_bookkeeping(c: &mut Criterion) {
    let scenario = bench_scenario();
    let mut group = c.benchmark_group("run_bookkeeping");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));

    // Prepared on the first call, so that a filter or --list that skips this
    // benchmark also skips the `epochmem run` behind it.
    let mut prepared: Option<ResultsRewrite> = None;
    group.bench_function("results_write", |b| {
        let rewrite = prepared.get_or_insert_with(|| ResultsRewrite::prepare(&scenario));
        b.iter(|| {
            write_results_atomically(&rewrite.path, &rewrite.results)
                .expect("the results file is written")
        })
    });
    group.finish();
}

/// A results file from a real run, and where the benchmark rewrites it.
struct ResultsRewrite {
    /// Kept so the folder lives as long as the benchmark writes into it.
    _folder: tempfile::TempDir,
    path: PathBuf,
    results: ResultsFile,
}

impl ResultsRewrite {
    fn prepare(scenario: &Scenario) -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder is created");
        let results = results_of_a_real_run(scenario, folder.path());
        let path = folder.path().join("rewritten.json");
        write_results_atomically(&path, &results).expect("the results file is written");
        println!(
            "run_bookkeeping/results_write: {} runs, {} timeline points, {} bytes of JSON",
            results.runs.len(),
            results
                .runs
                .iter()
                .map(|run| run.timeline.points.len())
                .sum::<usize>(),
            std::fs::metadata(&path).map_or(0, |metadata| metadata.len())
        );
        Self {
            _folder: folder,
            path,
            results,
        }
    }
}

/// Builds a timeline point with plausible values for a CPU run.
fn step_point(step: u64) -> StepPoint {
    StepPoint {
        step,
        epoch: 1 + (step / 128) as u32,
        retained_bytes: (step % 128) * 4096,
        cpu_allocated_bytes: 8 << 20,
        cuda_allocated_bytes: None,
        cuda_reserved_bytes: None,
        rss_bytes: 300 << 20,
    }
}

/// Runs the benchmark scenario with the `epochmem` binary, every strategy in
/// its own worker as usual, and reads back the results file it wrote.
fn results_of_a_real_run(scenario: &Scenario, folder: &Path) -> ResultsFile {
    let scenario_path = folder.join("bench_mlp.yaml");
    std::fs::write(&scenario_path, SCENARIO_YAML).expect("the scenario file is written");
    let output = Command::new(env!("CARGO_BIN_EXE_epochmem"))
        .arg("run")
        .arg(&scenario_path)
        .arg("--reports-dir")
        .arg(folder)
        .arg("--no-report")
        .output()
        .expect("the epochmem binary starts");
    assert!(
        output.status.success(),
        "epochmem run {} failed with {}:\n{}",
        scenario_path.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let results_path: PathBuf = scenario.report_dir(folder).join("results.json");
    read_results(&results_path).expect("epochmem run wrote a readable results file")
}
