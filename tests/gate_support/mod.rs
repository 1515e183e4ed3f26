//! Fixture builder for the gate tests: complete results files built in
//! code, so each test changes only the figures it is about.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use epochmem::gate::{GateInput, Role};
use epochmem::results::{
    EpochMemory, EpochRecord, Growth, GrowthClass, Invocation, InvocationStatus, MachineInfo,
    MetricCheck, PhaseMetrics, ResultsFile, RunFailure, RunRecord, RunStatus, RunSummary,
    ScenarioInfo, Source, StepPoint, Timeline, SCHEMA_VERSION,
};
use epochmem::scenario::{parse_scenario, DeviceRequest, Scenario};

pub const MIB: u64 = 1024 * 1024;

/// Three strategies; `streaming` is marked `expect: constant`.
pub const SCENARIO_YAML: &str = "\
name: gate_fixture
seed: 7
model: { kind: mlp, hidden: [16] }
data: { kind: synthetic, sample_shape: [8], samples: 64, classes: 2 }
training: { epochs: 2, batch_size: 16, learning_rate: 0.01 }
strategies:
  - kind: retain_all
    expect: linear
  - kind: explicit_buffer
  - kind: streaming
    expect: constant
";

pub const STRATEGIES: [&str; 3] = ["retain_all", "explicit_buffer", "streaming"];

/// Steps per epoch of the fixture runs: 64 samples in batches of 16.
pub const STEPS_PER_EPOCH: u64 = 4;

pub fn scenario_from_yaml(yaml: &str) -> Scenario {
    parse_scenario(yaml, Path::new("scenarios/gate_fixture.yaml"))
        .expect("fixture scenario is valid")
}

/// Builds a results file of the fixture scenario in which every strategy
/// ran `repeats` times and completed with the same figures.
pub fn results(repeats: u32) -> ResultsFile {
    results_for(scenario_from_yaml(SCENARIO_YAML), repeats)
}

/// Builds a results file of `scenario` with `repeats` completed runs per
/// strategy.
pub fn results_for(scenario: Scenario, repeats: u32) -> ResultsFile {
    let mut runs = Vec::new();
    for spec in &scenario.strategies {
        for repeat in 0..repeats {
            runs.push(completed_run(&spec.name, spec.kind, repeat));
        }
    }
    ResultsFile {
        schema_version: SCHEMA_VERSION,
        epochmem_version: "0.1.0".to_owned(),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            path: "scenarios/gate_fixture.yaml".to_owned(),
            yaml: scenario.yaml.clone(),
            strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            resolved: scenario,
        },
        machine: MachineInfo {
            hostname: "fixture-host".to_owned(),
            os: "linux".to_owned(),
            cpu_model: "fixture cpu".to_owned(),
            logical_cores: 2,
            physical_memory_bytes: 8 << 30,
            libtorch_version: "2.13.0".to_owned(),
            tch_version: "0.26.0".to_owned(),
            device_requested: DeviceRequest::Cpu,
            device_used: "cpu".to_owned(),
            cuda_device_name: None,
        },
        invocation: Invocation {
            status: InvocationStatus::Complete,
            started_at: "2025-01-01T00:00:00Z".to_owned(),
            finished_at: Some("2025-01-01T00:01:00Z".to_owned()),
            command_line: vec!["epochmem".to_owned(), "run".to_owned()],
            host_memory_budget_bytes: 4 << 30,
            device_memory_budget_bytes: None,
            time_limit_seconds: None,
        },
        runs,
    }
}

/// Builds a completed CPU run with flat retained bytes: 1 MiB logical peak,
/// 8 MiB CPU allocator peak, 300 MiB RSS peak, 10 000 samples/s, and no
/// CUDA figures.
pub fn completed_run(
    strategy: &str,
    kind: epochmem::scenario::StrategyKind,
    repeat: u32,
) -> RunRecord {
    let retained = 4096;
    let epochs: Vec<EpochRecord> = (1..=2).map(|epoch| epoch_record(epoch, retained)).collect();
    let points: Vec<StepPoint> = (1..=2 * STEPS_PER_EPOCH)
        .map(|step| step_point(step, ((step - 1) / STEPS_PER_EPOCH + 1) as u32, retained))
        .collect();
    RunRecord {
        strategy: strategy.to_owned(),
        kind,
        repeat,
        status: RunStatus::Completed,
        failure: None,
        wall_seconds: 2.0,
        baseline_rss_bytes: Some(250 * MIB),
        cuda_libraries_loaded: false,
        cuda_allocator_events: None,
        epochs,
        timeline: Timeline { recorded_steps: 2 * STEPS_PER_EPOCH, points },
        rss_samples: Vec::new(),
        peaks: Vec::new(),
        growth: Some(Growth {
            source: Source::Logical,
            bytes_per_step: 0.0,
            class: GrowthClass::Constant,
        }),
        analytic_retained_bytes_per_epoch: Some(retained),
        metric_check: MetricCheck {
            reference_strategy: "retain_all".to_owned(),
            matches_reference: Some(true),
            differences: Vec::new(),
            metric_never_updated: false,
        },
        heap_profile: None,
        summary: RunSummary {
            strategy: strategy.to_owned(),
            repeat,
            status: RunStatus::Completed,
            steps_completed: 2 * STEPS_PER_EPOCH,
            wall_seconds: 2.0,
            samples_per_second: Some(10_000.0),
            warmup_samples_per_second: Some(8_000.0),
            logical_peak_bytes: Some(MIB),
            torch_cpu_allocator_peak_bytes: Some(8 * MIB),
            cuda_allocated_peak_bytes: None,
            cuda_reserved_peak_bytes: None,
            rss_peak_bytes: Some(300 * MIB),
            rss_baseline_bytes: Some(250 * MIB),
            rust_heap_peak_bytes: None,
            retained_bytes_per_step: Some(0.0),
            final_train_loss: Some(0.5),
            final_train_accuracy: Some(0.8),
            final_validation_loss: None,
            final_validation_accuracy: None,
            metrics_match_reference: Some(true),
        },
    }
}

fn epoch_record(epoch: u32, retained: u64) -> EpochRecord {
    let metrics = PhaseMetrics {
        mean_loss: Some(0.5),
        accuracy: Some(0.8),
        samples: 64,
        metric_updates: STEPS_PER_EPOCH,
    };
    EpochRecord {
        epoch,
        warmup: epoch == 1,
        steps: STEPS_PER_EPOCH,
        train_seconds: 0.5,
        samples_per_second: 10_000.0,
        train: metrics,
        validation: None,
        memory: EpochMemory {
            retained_bytes_before_epoch_end: retained,
            retained_bytes_after_epoch_end: retained,
            cpu_allocated_bytes_at_start: 4 * MIB,
            cpu_allocated_bytes_before_epoch_end: 4 * MIB,
            cpu_allocated_bytes_after_epoch_end: 4 * MIB,
            cpu_left_behind_bytes: 0,
            cpu_peak_bytes: 8 * MIB,
            cuda_allocated_bytes_at_start: None,
            cuda_allocated_bytes_after_epoch_end: None,
            cuda_left_behind_bytes: None,
            cuda_peak_allocated_bytes: None,
        },
    }
}

fn step_point(step: u64, epoch: u32, retained: u64) -> StepPoint {
    StepPoint {
        step,
        epoch,
        retained_bytes: retained,
        cpu_allocated_bytes: 4 * MIB,
        cuda_allocated_bytes: None,
        cuda_reserved_bytes: None,
        rss_bytes: 300 * MIB,
    }
}

/// Applies `change` to every run of `strategy`, in repeat order.
pub fn edit_runs(
    results: &mut ResultsFile,
    strategy: &str,
    mut change: impl FnMut(&mut RunRecord),
) {
    let mut found = false;
    for run in results.runs.iter_mut().filter(|run| run.strategy == strategy) {
        change(run);
        found = true;
    }
    assert!(found, "the fixture has no runs of strategy {strategy:?}");
}

/// Sets the throughput of each repeat of `strategy`, in repeat order.
pub fn set_throughput(results: &mut ResultsFile, strategy: &str, per_repeat: &[f64]) {
    let mut values = per_repeat.iter();
    edit_runs(results, strategy, |run| {
        run.summary.samples_per_second = Some(*values.next().expect("one value per repeat"));
    });
}

/// Marks one run as crashed, as the run stage records a worker that failed.
pub fn crash_run(results: &mut ResultsFile, strategy: &str, repeat: u32) {
    let run = results
        .runs
        .iter_mut()
        .find(|run| run.strategy == strategy && run.repeat == repeat)
        .expect("the run exists");
    run.status = RunStatus::Crashed;
    run.summary.status = RunStatus::Crashed;
    run.failure = Some(RunFailure {
        message: "worker exited with status 101".to_owned(),
        step_reached: 3,
        signal: None,
        exceeded_signal: None,
        exceeded_value_bytes: None,
        stderr_tail: None,
    });
}

pub fn gate_input(role: Role, results: ResultsFile) -> GateInput {
    let path = match role {
        Role::Baseline => PathBuf::from("reports/baselines/gate_fixture.json"),
        Role::Current => PathBuf::from("reports/gate_fixture/results.json"),
    };
    GateInput { role, path, results }
}

/// Writes a results file as JSON and returns its path.
pub fn write_results(folder: &Path, file_name: &str, results: &ResultsFile) -> PathBuf {
    let path = folder.join(file_name);
    std::fs::write(&path, serde_json::to_vec_pretty(results).expect("results serialize"))
        .expect("write the fixture file");
    path
}

/// Runs the real `epochmem` binary with `args` and waits for it.
pub fn epochmem(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_epochmem"))
        .args(args)
        .env_remove("EPOCHMEM_LOG")
        .output()
        .expect("start the epochmem binary")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
