//! The results file: what one `epochmem run` measured, versioned.
//!
//! Every byte figure names its source (see [`Source`]) so that a logical
//! count is never compared with an RSS figure by accident.

mod io;

use serde::{Deserialize, Serialize};

use crate::scenario::{DeviceRequest, Scenario, StrategyKind};

pub use io::{read_results, write_file_atomically, write_results_atomically, ResultsError};

/// Version of the results layout. Bump it on any change that an older
/// reader would misread; the gate refuses to compare different versions.
pub const SCHEMA_VERSION: u32 = 1;

/// Origin of a memory figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `numel x element size` of what the strategy holds.
    Logical,
    /// The counting c10 CPU allocator installed by the probe shim.
    TorchCpuAllocator,
    /// The CUDA caching allocator's statistics.
    CudaCachingAllocator,
    /// Process resident set size from `/proc` or sysinfo.
    Rss,
    /// The harness's own Rust heap, measured by dhat.
    RustHeap,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Logical => "logical",
            Source::TorchCpuAllocator => "torch_cpu_allocator",
            Source::CudaCachingAllocator => "cuda_caching_allocator",
            Source::Rss => "rss",
            Source::RustHeap => "rust_heap",
        }
    }
}

/// A memory signal that a run can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Bytes the strategy retains (source: logical).
    RetainedBytes,
    /// Bytes allocated through libtorch's CPU allocator.
    CpuAllocatedBytes,
    /// Bytes in live CUDA tensors.
    CudaAllocatedBytes,
    /// Bytes the CUDA caching allocator has reserved from the driver.
    CudaReservedBytes,
    /// Bytes in CUDA blocks in use, including rounding.
    CudaActiveBytes,
    /// Resident set size of the worker process.
    RssBytes,
    /// Rust heap of the worker process.
    RustHeapBytes,
}

impl Signal {
    pub fn source(self) -> Source {
        match self {
            Signal::RetainedBytes => Source::Logical,
            Signal::CpuAllocatedBytes => Source::TorchCpuAllocator,
            Signal::CudaAllocatedBytes | Signal::CudaReservedBytes | Signal::CudaActiveBytes => {
                Source::CudaCachingAllocator
            }
            Signal::RssBytes => Source::Rss,
            Signal::RustHeapBytes => Source::RustHeap,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::RetainedBytes => "retained_bytes",
            Signal::CpuAllocatedBytes => "cpu_allocated_bytes",
            Signal::CudaAllocatedBytes => "cuda_allocated_bytes",
            Signal::CudaReservedBytes => "cuda_reserved_bytes",
            Signal::CudaActiveBytes => "cuda_active_bytes",
            Signal::RssBytes => "rss_bytes",
            Signal::RustHeapBytes => "rust_heap_bytes",
        }
    }
}

/// One `results.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultsFile {
    pub schema_version: u32,
    pub epochmem_version: String,
    pub scenario: ScenarioInfo,
    pub machine: MachineInfo,
    pub invocation: Invocation,
    /// One record per strategy and repeat, in the order they ran.
    pub runs: Vec<RunRecord>,
}

/// The scenario as run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub path: String,
    /// The YAML text exactly as read.
    pub yaml: String,
    /// Strategy names in scenario order.
    pub strategies: Vec<String>,
    /// The validated scenario with defaults applied.
    pub resolved: Scenario,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineInfo {
    pub hostname: String,
    pub os: String,
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_memory_bytes: u64,
    pub libtorch_version: String,
    pub tch_version: String,
    /// The device the scenario asked for.
    pub device_requested: DeviceRequest,
    /// The device the runs used, such as `cpu` or `cuda:0`.
    pub device_used: String,
    /// Name of the CUDA device, when one was used.
    pub cuda_device_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvocationStatus {
    /// Runs are still going; the file is rewritten after each run.
    Running,
    Complete,
    /// Stopped by SIGINT or SIGTERM before every run finished.
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    pub status: InvocationStatus,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: Option<String>,
    pub command_line: Vec<String>,
    pub host_memory_budget_bytes: u64,
    pub device_memory_budget_bytes: Option<u64>,
    pub time_limit_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Completed,
    /// The worker exited with an error or a non-zero status.
    Crashed,
    /// Killed by a signal it did not expect (OOM killer, SIGSEGV, ...).
    Killed,
    /// Stopped by the parent because a memory budget was crossed, or a
    /// CUDA out-of-memory error was caught in the worker.
    ExceededMemory,
    TimedOut,
    /// Stopped because the invocation was interrupted.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Crashed => "crashed",
            RunStatus::Killed => "killed",
            RunStatus::ExceededMemory => "exceeded_memory",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// Reason a run did not complete.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFailure {
    pub message: String,
    /// Last global training step the worker reported, 0 if none.
    pub step_reached: u64,
    /// Signal name such as `SIGKILL`, when the worker died from one.
    pub signal: Option<String>,
    /// The memory signal that crossed its budget, and its value.
    pub exceeded_signal: Option<Signal>,
    pub exceeded_value_bytes: Option<u64>,
    /// Last lines the worker wrote to stderr.
    pub stderr_tail: Option<String>,
}

/// One strategy run (one worker process).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub strategy: String,
    pub kind: StrategyKind,
    /// 0-based repeat index.
    pub repeat: u32,
    pub status: RunStatus,
    pub failure: Option<RunFailure>,
    /// Wall time of the worker, from spawn to exit, as the parent saw it.
    pub wall_seconds: f64,
    /// RSS of the worker after libtorch start-up and data loading, before
    /// the first step: the floor every strategy pays.
    pub baseline_rss_bytes: Option<u64>,
    /// Whether the CUDA part of libtorch was loaded into the worker.
    pub cuda_libraries_loaded: bool,
    /// Out-of-memory and retry counts of the CUDA caching allocator over the
    /// run; `None` when CUDA was not measured.
    #[serde(default)]
    pub cuda_allocator_events: Option<CudaAllocatorEvents>,
    pub epochs: Vec<EpochRecord>,
    /// Memory after every training step, downsampled keeping local peaks.
    pub timeline: Timeline,
    /// RSS of the worker sampled by the parent (source: rss via sysinfo).
    pub rss_samples: Vec<RssSample>,
    /// Peak of every signal over the measured region.
    pub peaks: Vec<SignalPeak>,
    /// Growth of retained memory with steps.
    pub growth: Option<Growth>,
    /// Bytes the strategy should hold at the end of one training epoch,
    /// from shapes alone; `None` when a shape is only known at run time.
    pub analytic_retained_bytes_per_epoch: Option<u64>,
    pub metric_check: MetricCheck,
    /// Path of the dhat JSON profile, with `--heap-profile`.
    pub heap_profile: Option<String>,
    pub summary: RunSummary,
}

/// Event counts of the CUDA caching allocator (source: cuda_caching_allocator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CudaAllocatorEvents {
    /// Allocations that failed with out-of-memory.
    pub num_ooms: u64,
    /// Allocations that succeeded only after the cache was freed and retried.
    pub num_alloc_retries: u64,
}

/// Step timeline of one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// Steps recorded before downsampling.
    pub recorded_steps: u64,
    pub points: Vec<StepPoint>,
}

/// Memory right after one training step (after `on_train_batch_end`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    /// 1-based global training step.
    pub step: u64,
    /// 1-based epoch.
    pub epoch: u32,
    /// Source: logical.
    pub retained_bytes: u64,
    /// Source: torch_cpu_allocator.
    pub cpu_allocated_bytes: u64,
    /// Source: cuda_caching_allocator; `None` when unavailable.
    pub cuda_allocated_bytes: Option<u64>,
    pub cuda_reserved_bytes: Option<u64>,
    /// Source: rss (`/proc/self/statm`).
    pub rss_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RssSample {
    /// Milliseconds since the worker was spawned.
    pub elapsed_ms: u64,
    pub rss_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignalPeak {
    pub signal: Signal,
    pub source: Source,
    /// `None` when the signal could not be measured in this run.
    pub peak_bytes: Option<u64>,
    /// Reason the signal is unavailable, when it is.
    pub unavailable_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrowthClass {
    Constant,
    Linear,
}

/// Least-squares fit of retained bytes against the step within an epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Growth {
    pub source: Source,
    pub bytes_per_step: f64,
    pub class: GrowthClass,
}

/// Epoch metrics of one phase, computed by the strategy from what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhaseMetrics {
    pub mean_loss: Option<f64>,
    pub accuracy: Option<f64>,
    pub samples: u64,
    /// How many batches updated the metric state; 0 means the metric never
    /// moved (a dead hook).
    pub metric_updates: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: u32,
    /// The first epoch includes lazy allocations and warm-up; its throughput
    /// is reported apart.
    pub warmup: bool,
    pub steps: u64,
    pub train_seconds: f64,
    pub samples_per_second: f64,
    pub train: PhaseMetrics,
    pub validation: Option<PhaseMetrics>,
    pub memory: EpochMemory,
}

/// Memory at the edges of one epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochMemory {
    /// Source: logical. Held after the last step, before `on_train_epoch_end`.
    pub retained_bytes_before_epoch_end: u64,
    /// Source: logical. Held after `on_train_epoch_end` and validation.
    pub retained_bytes_after_epoch_end: u64,
    /// Source: torch_cpu_allocator, at `on_train_epoch_start`.
    pub cpu_allocated_bytes_at_start: u64,
    /// Source: torch_cpu_allocator, after the last step.
    pub cpu_allocated_bytes_before_epoch_end: u64,
    /// Source: torch_cpu_allocator, after the epoch end hooks and validation.
    pub cpu_allocated_bytes_after_epoch_end: u64,
    /// After-epoch-end minus at-start: what the epoch left behind.
    pub cpu_left_behind_bytes: i64,
    pub cpu_peak_bytes: u64,
    pub cuda_allocated_bytes_at_start: Option<u64>,
    pub cuda_allocated_bytes_after_epoch_end: Option<u64>,
    pub cuda_left_behind_bytes: Option<i64>,
    pub cuda_peak_allocated_bytes: Option<u64>,
}

/// Comparison of a run's epoch metrics with the scenario's first strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricCheck {
    pub reference_strategy: String,
    /// `None` when there was nothing to compare (the reference crashed).
    pub matches_reference: Option<bool>,
    pub differences: Vec<String>,
    /// True when the strategy's metric state was never updated.
    pub metric_never_updated: bool,
}

/// Flat per-run figures: one CSV row, and what the gate compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub strategy: String,
    pub repeat: u32,
    pub status: RunStatus,
    pub steps_completed: u64,
    pub wall_seconds: f64,
    /// Mean over the epochs after the first; the first epoch's alone when
    /// there is only one.
    pub samples_per_second: Option<f64>,
    pub warmup_samples_per_second: Option<f64>,
    pub logical_peak_bytes: Option<u64>,
    pub torch_cpu_allocator_peak_bytes: Option<u64>,
    pub cuda_allocated_peak_bytes: Option<u64>,
    pub cuda_reserved_peak_bytes: Option<u64>,
    pub rss_peak_bytes: Option<u64>,
    pub rss_baseline_bytes: Option<u64>,
    pub rust_heap_peak_bytes: Option<u64>,
    pub retained_bytes_per_step: Option<f64>,
    pub final_train_loss: Option<f64>,
    pub final_train_accuracy: Option<f64>,
    pub final_validation_loss: Option<f64>,
    pub final_validation_accuracy: Option<f64>,
    pub metrics_match_reference: Option<bool>,
}

impl RunRecord {
    /// Peak of one signal, when it was measured.
    pub fn peak(&self, signal: Signal) -> Option<u64> {
        self.peaks.iter().find(|p| p.signal == signal).and_then(|p| p.peak_bytes)
    }
}
