//! A results file built in code for the report tests. It has three
//! strategies over two epochs of four steps each, a repeat, a crashed run, a
//! metric mismatch and signals that were not measured. A strategy name and
//! the scenario text contain markup (`<script>`, `&`).

#![allow(dead_code)]

use std::path::Path;

use epochmem::results::{
    EpochMemory, EpochRecord, Growth, GrowthClass, Invocation, InvocationStatus, MachineInfo,
    MetricCheck, PhaseMetrics, ResultsFile, RssSample, RunFailure, RunRecord, RunStatus,
    RunSummary, ScenarioInfo, Signal, SignalPeak, StepPoint, Timeline, SCHEMA_VERSION,
};
use epochmem::scenario::{parse_scenario, DeviceRequest, StrategyKind};

/// A strategy name with markup, as only a hand-edited results file can have
/// (scenario validation rejects such names).
pub const MARKUP_STRATEGY: &str = "explicit_<script>alert('name')</script>&buffer";
pub const SCENARIO_NAME: &str = "fixture_scenario";
pub const STEPS_PER_EPOCH: u64 = 4;
pub const EPOCHS: u32 = 2;
/// The step after which the crashed run stopped.
pub const CRASH_STEP: u64 = 5;
/// Reason given for the CUDA signals, which no run measured.
pub const NO_CUDA_REASON: &str = "no CUDA device was used";
/// Reason given for the Rust heap, which only the first run measured.
pub const NO_HEAP_PROFILE_REASON: &str = "run without --heap-profile";

pub const SCENARIO_YAML: &str = r#"# Markup in a comment: <script>alert("yaml")</script> & more
name: fixture_scenario
description: "Buffering <script>alert('description')</script> & friends"
seed: 7
model: {kind: mlp, hidden: [16]}
data: {kind: synthetic, sample_shape: [8], samples: 64, classes: 4}
training: {epochs: 2, batch_size: 16, learning_rate: 0.01}
strategies:
  - kind: retain_all
  - kind: explicit_buffer
    name: explicit_buffer
    clear: false
  - kind: streaming
"#;

/// How a fixture run behaves.
#[derive(Clone)]
pub struct RunBuilder {
    strategy: String,
    kind: StrategyKind,
    repeat: u32,
    status: RunStatus,
    /// Retained bytes after a given step (1-based global) of a given epoch.
    retained: fn(u64, u32) -> u64,
    samples_per_second: f64,
    measure_rust_heap: bool,
    metrics_match: Option<bool>,
}

impl RunBuilder {
    pub fn new(strategy: &str, kind: StrategyKind) -> Self {
        RunBuilder {
            strategy: strategy.to_owned(),
            kind,
            repeat: 0,
            status: RunStatus::Completed,
            retained: |_, _| 64,
            samples_per_second: 1000.0,
            measure_rust_heap: false,
            metrics_match: Some(true),
        }
    }

    pub fn repeat(mut self, repeat: u32) -> Self {
        self.repeat = repeat;
        self
    }

    pub fn crashed(mut self) -> Self {
        self.status = RunStatus::Crashed;
        self
    }

    pub fn retained(mut self, retained: fn(u64, u32) -> u64) -> Self {
        self.retained = retained;
        self
    }

    pub fn samples_per_second(mut self, value: f64) -> Self {
        self.samples_per_second = value;
        self
    }

    pub fn with_rust_heap(mut self) -> Self {
        self.measure_rust_heap = true;
        self
    }

    pub fn metrics_match(mut self, matches: Option<bool>) -> Self {
        self.metrics_match = matches;
        self
    }

    fn last_step(&self) -> u64 {
        match self.status {
            RunStatus::Completed => STEPS_PER_EPOCH * u64::from(EPOCHS),
            _ => CRASH_STEP,
        }
    }

    pub fn build(&self) -> RunRecord {
        let completed = self.status == RunStatus::Completed;
        let points: Vec<StepPoint> = (1..=self.last_step())
            .map(|step| {
                let epoch = ((step - 1) / STEPS_PER_EPOCH) as u32 + 1;
                let retained = (self.retained)(step, epoch);
                StepPoint {
                    step,
                    epoch,
                    retained_bytes: retained,
                    cpu_allocated_bytes: 3 * 1024 * 1024 + retained * 2,
                    cuda_allocated_bytes: None,
                    cuda_reserved_bytes: None,
                    rss_bytes: 200 * 1024 * 1024 + retained * 3,
                }
            })
            .collect();
        let epochs = self.epochs(completed);
        let peak_of = |value: fn(&StepPoint) -> u64| points.iter().map(value).max();
        let retained_peak = peak_of(|p| p.retained_bytes);
        let cpu_peak = peak_of(|p| p.cpu_allocated_bytes);
        let rss_peak = peak_of(|p| p.rss_bytes);
        let rust_heap_peak = self.measure_rust_heap.then_some(12_345);
        let samples_per_second = completed.then_some(self.samples_per_second);

        RunRecord {
            strategy: self.strategy.clone(),
            kind: self.kind,
            repeat: self.repeat,
            status: self.status,
            failure: (!completed).then(|| RunFailure {
                message: "worker exited with status 1: <script>alert('failure')</script> & \
                          out of luck"
                    .to_owned(),
                step_reached: CRASH_STEP,
                signal: None,
                exceeded_signal: None,
                exceeded_value_bytes: None,
                stderr_tail: Some(
                    "thread 'main' panicked: <script>alert('stderr')</script>".to_owned(),
                ),
            }),
            wall_seconds: 1.25,
            baseline_rss_bytes: Some(190 * 1024 * 1024),
            cuda_libraries_loaded: false,
            cuda_allocator_events: None,
            epochs,
            timeline: Timeline {
                recorded_steps: points.len() as u64,
                points: points.clone(),
            },
            rss_samples: (0..10)
                .map(|index| RssSample {
                    elapsed_ms: index * 100,
                    rss_bytes: 180 * 1024 * 1024 + index * 2 * 1024 * 1024,
                })
                .collect(),
            peaks: vec![
                measured(Signal::RetainedBytes, retained_peak),
                measured(Signal::CpuAllocatedBytes, cpu_peak),
                unavailable(Signal::CudaAllocatedBytes, NO_CUDA_REASON),
                unavailable(Signal::CudaReservedBytes, NO_CUDA_REASON),
                measured(Signal::RssBytes, rss_peak),
                match rust_heap_peak {
                    Some(bytes) => measured(Signal::RustHeapBytes, Some(bytes)),
                    None => unavailable(Signal::RustHeapBytes, NO_HEAP_PROFILE_REASON),
                },
            ],
            growth: Some(Growth {
                source: epochmem::results::Source::Logical,
                bytes_per_step: 1000.0,
                class: GrowthClass::Linear,
            }),
            analytic_retained_bytes_per_epoch: Some(4 * 1024),
            metric_check: MetricCheck {
                reference_strategy: "retain_all".to_owned(),
                matches_reference: if completed { self.metrics_match } else { None },
                differences: if self.metrics_match == Some(false) {
                    vec!["epoch 1 train accuracy 0.5 <> 0.75 & more".to_owned()]
                } else {
                    Vec::new()
                },
                metric_never_updated: false,
            },
            heap_profile: None,
            summary: RunSummary {
                strategy: self.strategy.clone(),
                repeat: self.repeat,
                status: self.status,
                steps_completed: self.last_step(),
                wall_seconds: 1.25,
                samples_per_second,
                warmup_samples_per_second: samples_per_second.map(|value| value / 2.0),
                logical_peak_bytes: retained_peak,
                torch_cpu_allocator_peak_bytes: cpu_peak,
                cuda_allocated_peak_bytes: None,
                cuda_reserved_peak_bytes: None,
                rss_peak_bytes: rss_peak,
                rss_baseline_bytes: Some(190 * 1024 * 1024),
                rust_heap_peak_bytes: rust_heap_peak,
                retained_bytes_per_step: Some(1000.0),
                final_train_loss: completed.then_some(0.5123),
                final_train_accuracy: completed.then_some(0.75),
                final_validation_loss: None,
                final_validation_accuracy: None,
                metrics_match_reference: if completed { self.metrics_match } else { None },
            },
        }
    }

    fn epochs(&self, completed: bool) -> Vec<EpochRecord> {
        let finished_epochs = if completed {
            EPOCHS
        } else {
            (CRASH_STEP / STEPS_PER_EPOCH) as u32
        };
        (1..=finished_epochs)
            .map(|epoch| {
                let last_step = u64::from(epoch) * STEPS_PER_EPOCH;
                let before_end = (self.retained)(last_step, epoch);
                let after_end = (self.retained)(last_step + 1, epoch + 1).min(before_end);
                let at_start = 3 * 1024 * 1024 + u64::from(epoch) * 1024;
                EpochRecord {
                    epoch,
                    warmup: epoch == 1,
                    steps: STEPS_PER_EPOCH,
                    train_seconds: 0.5,
                    samples_per_second: self.samples_per_second,
                    train: PhaseMetrics {
                        mean_loss: Some(0.9 / f64::from(epoch)),
                        accuracy: Some(0.5 + 0.1 * f64::from(epoch)),
                        samples: 64,
                        metric_updates: STEPS_PER_EPOCH,
                    },
                    validation: None,
                    memory: EpochMemory {
                        retained_bytes_before_epoch_end: before_end,
                        retained_bytes_after_epoch_end: after_end,
                        cpu_allocated_bytes_at_start: at_start,
                        cpu_allocated_bytes_before_epoch_end: at_start + before_end * 2,
                        cpu_allocated_bytes_after_epoch_end: at_start + after_end * 2 + 512,
                        cpu_left_behind_bytes: (after_end * 2 + 512) as i64,
                        cpu_peak_bytes: at_start + before_end * 2 + 4096,
                        cuda_allocated_bytes_at_start: None,
                        cuda_allocated_bytes_after_epoch_end: None,
                        cuda_left_behind_bytes: None,
                        cuda_peak_allocated_bytes: None,
                    },
                }
            })
            .collect()
    }
}

fn measured(signal: Signal, peak_bytes: Option<u64>) -> SignalPeak {
    SignalPeak {
        signal,
        source: signal.source(),
        peak_bytes,
        unavailable_reason: None,
    }
}

fn unavailable(signal: Signal, reason: &str) -> SignalPeak {
    SignalPeak {
        signal,
        source: signal.source(),
        peak_bytes: None,
        unavailable_reason: Some(reason.to_owned()),
    }
}

/// Bytes a strategy holding every step's outputs has after `step`: it grows
/// through the epoch and is cleared at the epoch end.
pub fn retain_all_bytes(step: u64, _epoch: u32) -> u64 {
    1024 * (((step - 1) % STEPS_PER_EPOCH) + 1)
}

/// Bytes of a buffer that is never cleared: it grows across epochs.
pub fn never_cleared_bytes(step: u64, _epoch: u32) -> u64 {
    512 * step
}

/// Builds results files around [`SCENARIO_YAML`].
pub struct ResultsBuilder {
    runs: Vec<RunBuilder>,
    status: InvocationStatus,
}

impl ResultsBuilder {
    pub fn new() -> Self {
        ResultsBuilder {
            runs: Vec::new(),
            status: InvocationStatus::Complete,
        }
    }

    pub fn run(mut self, run: RunBuilder) -> Self {
        self.runs.push(run);
        self
    }

    pub fn status(mut self, status: InvocationStatus) -> Self {
        self.status = status;
        self
    }

    pub fn build(&self) -> ResultsFile {
        let mut resolved = parse_scenario(SCENARIO_YAML, Path::new("scenarios/fixture.yaml"))
            .expect("fixture YAML is valid");
        resolved.strategies[1].name = MARKUP_STRATEGY.to_owned();
        ResultsFile {
            schema_version: SCHEMA_VERSION,
            epochmem_version: "0.1.0".to_owned(),
            scenario: ScenarioInfo {
                name: SCENARIO_NAME.to_owned(),
                path: "scenarios/fixture.yaml".to_owned(),
                yaml: SCENARIO_YAML.to_owned(),
                strategies: resolved.strategies.iter().map(|s| s.name.clone()).collect(),
                resolved,
            },
            machine: MachineInfo {
                hostname: "test-host".to_owned(),
                os: "Linux".to_owned(),
                cpu_model: "Test CPU".to_owned(),
                logical_cores: 2,
                physical_memory_bytes: 24 << 30,
                libtorch_version: "2.13.0".to_owned(),
                tch_version: "0.26.0".to_owned(),
                device_requested: DeviceRequest::Cpu,
                device_used: "cpu".to_owned(),
                cuda_device_name: None,
            },
            invocation: Invocation {
                status: self.status,
                started_at: "2026-01-01T00:00:00Z".to_owned(),
                finished_at: Some("2026-01-01T00:01:00Z".to_owned()),
                command_line: vec![
                    "epochmem".to_owned(),
                    "run".to_owned(),
                    "fixture.yaml".to_owned(),
                ],
                host_memory_budget_bytes: 8 << 30,
                device_memory_budget_bytes: None,
                time_limit_seconds: None,
            },
            runs: self.runs.iter().map(RunBuilder::build).collect(),
        }
    }
}

impl Default for ResultsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// The standard fixture: retain_all twice, the never-cleared buffer with
/// the markup name and a metric mismatch, and a crashed streaming run.
pub fn fixture_results() -> ResultsFile {
    ResultsBuilder::new()
        .run(
            RunBuilder::new("retain_all", StrategyKind::RetainAll)
                .retained(retain_all_bytes)
                .with_rust_heap(),
        )
        .run(
            RunBuilder::new("retain_all", StrategyKind::RetainAll)
                .repeat(1)
                .retained(retain_all_bytes)
                .samples_per_second(1100.0),
        )
        .run(
            RunBuilder::new(MARKUP_STRATEGY, StrategyKind::ExplicitBuffer)
                .retained(never_cleared_bytes)
                .samples_per_second(900.0)
                .metrics_match(Some(false)),
        )
        .run(RunBuilder::new("streaming", StrategyKind::Streaming).crashed())
        .build()
}

/// Strategy names of the fixture, in scenario order.
pub fn fixture_strategies() -> [&'static str; 3] {
    ["retain_all", MARKUP_STRATEGY, "streaming"]
}

/// Collects every text node of an SVG file, joined with newlines, and fails
/// the test when the file is not valid XML.
pub fn svg_text(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let document = roxmltree::Document::parse(&source)
        .unwrap_or_else(|error| panic!("{} is not valid XML: {error}", path.display()));
    document
        .descendants()
        .filter_map(|node| node.text())
        .collect::<Vec<_>>()
        .join("\n")
}
