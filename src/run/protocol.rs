//! Messages between parent and worker: the request on the worker's stdin,
//! progress events as JSON lines on stdout, and its outcome as a JSON file.

use serde::{Deserialize, Serialize};

use crate::results::{CudaAllocatorEvents, EpochRecord, Growth, SignalPeak, Signal, Timeline};
use crate::scenario::Scenario;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerRequest {
    pub scenario: Scenario,
    pub strategy_index: usize,
    pub repeat: u32,
    /// `cpu` or `cuda:N`, resolved by the parent.
    pub device: String,
    /// CUDA caching-allocator budget in bytes (reserved bytes).
    pub device_budget_bytes: Option<u64>,
    /// Output path of dhat's JSON heap profile, if profiling.
    pub heap_profile_path: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// Data and model are ready; the measured region starts.
    Started { baseline_rss_bytes: u64, total_steps: u64 },
    Step { epoch: u32, step: u64 },
    EpochDone { epoch: u32, step: u64 },
}

/// Failure of a worker, as the worker itself reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerFailure {
    pub exceeded_memory: bool,
    pub message: String,
    pub step_reached: u64,
    pub exceeded_signal: Option<Signal>,
    pub exceeded_value_bytes: Option<u64>,
}

/// Everything a worker measured, written to its `--output` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerOutcome {
    pub baseline_rss_bytes: Option<u64>,
    pub cuda_libraries_loaded: bool,
    #[serde(default)]
    pub cuda_allocator_events: Option<CudaAllocatorEvents>,
    pub epochs: Vec<EpochRecord>,
    pub timeline: Timeline,
    pub peaks: Vec<SignalPeak>,
    pub growth: Option<Growth>,
    pub analytic_retained_bytes_per_epoch: Option<u64>,
    pub heap_profile: Option<String>,
    pub failure: Option<WorkerFailure>,
}

impl WorkerOutcome {
    /// Creates an outcome with nothing measured, for a worker that reported none.
    pub fn empty() -> Self {
        Self {
            baseline_rss_bytes: None,
            cuda_libraries_loaded: false,
            cuda_allocator_events: None,
            epochs: Vec::new(),
            timeline: Timeline::default(),
            peaks: Vec::new(),
            growth: None,
            analytic_retained_bytes_per_epoch: None,
            heap_profile: None,
            failure: None,
        }
    }
}
