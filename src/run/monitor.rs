//! The worker's probes around the training loop: a step timeline, per-epoch
//! memory, run peaks and the device budget.

use std::time::Instant;

use super::protocol::WorkerEvent;
use super::timeline::TimelineRecorder;
use super::worker::emit;
use crate::probe::allocator::{self, CudaReading};
use crate::probe::rss;
use crate::results::{CudaAllocatorEvents, 
    EpochMemory, EpochRecord, Growth, GrowthClass, Signal, SignalPeak, Source, StepPoint, Timeline,
};
use crate::scenario::Scenario;
use crate::train::{EpochSummary, LoopMonitor};

/// Slopes below this many bytes per step count as constant memory.
const CONSTANT_GROWTH_BYTES_PER_STEP: f64 = 1.0;
/// Minimum time between two progress events on stdout.
const PROGRESS_INTERVAL_MS: u128 = 100;

/// A budget that was crossed, and by how much.
#[derive(Debug, Clone, Copy)]
pub struct BudgetCrossing {
    pub signal: Signal,
    pub value_bytes: u64,
}

pub struct FinishedMeasurements {
    pub epochs: Vec<EpochRecord>,
    pub timeline: Timeline,
    pub peaks: Vec<SignalPeak>,
    pub growth: Option<Growth>,
    pub cuda_events: Option<CudaAllocatorEvents>,
}

/// Least-squares sums for retained bytes against the step within an epoch.
#[derive(Default)]
struct GrowthFit {
    n: f64,
    sum_x: f64,
    sum_y: f64,
    sum_xy: f64,
    sum_xx: f64,
}

impl GrowthFit {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.sum_x += x;
        self.sum_y += y;
        self.sum_xy += x * y;
        self.sum_xx += x * x;
    }

    fn slope(&self) -> Option<f64> {
        let denominator = self.n * self.sum_xx - self.sum_x * self.sum_x;
        (self.n >= 2.0 && denominator > 0.0)
            .then(|| (self.n * self.sum_xy - self.sum_x * self.sum_y) / denominator)
    }
}

struct EpochStart {
    cpu_bytes: u64,
    cuda_bytes: Option<u64>,
    step_in_epoch: u64,
    retained_before_end: u64,
    cpu_before_end: u64,
}

pub struct Monitor {
    per_step: bool,
    cuda_index: Option<usize>,
    cuda_unavailable_reason: Option<String>,
    device_budget_bytes: Option<u64>,
    timeline: TimelineRecorder,
    epochs: Vec<EpochRecord>,
    current: Option<EpochStart>,
    fit: GrowthFit,
    global_step: u64,
    max_retained: u64,
    cpu_peak: u64,
    cuda_allocated_peak: Option<u64>,
    cuda_reserved_peak: Option<u64>,
    crossed: Option<BudgetCrossing>,
    last_progress: Instant,
    rss_reader: rss::RssReader,
}

impl Monitor {
    pub fn new(scenario: &Scenario, cuda_index: Option<usize>, device_budget_bytes: Option<u64>) -> Self {
        Self {
            per_step: scenario.probes.per_step,
            cuda_index,
            cuda_unavailable_reason: None,
            device_budget_bytes,
            timeline: TimelineRecorder::new(scenario.probes.max_timeline_points),
            epochs: Vec::new(),
            current: None,
            fit: GrowthFit::default(),
            global_step: 0,
            max_retained: 0,
            cpu_peak: 0,
            cuda_allocated_peak: None,
            cuda_reserved_peak: None,
            crossed: None,
            last_progress: Instant::now(),
            rss_reader: rss::RssReader::new(),
        }
    }

    /// Resets every peak so that the run's figures cover training only.
    pub fn start_measured_region(&mut self) {
        allocator::reset_cpu_peak();
        if let Err(error) = rss::reset_peak() {
            tracing::warn!(%error, "cannot reset VmHWM; the RSS peak includes start-up");
        }
        if let Some(index) = self.cuda_index {
            let _ = allocator::reset_cuda_peaks(index);
        }
    }

    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    pub fn budget_crossed(&self) -> Option<BudgetCrossing> {
        self.crossed
    }

    fn read_cuda(&mut self) -> Option<allocator::CudaAllocatorStats> {
        let index = self.cuda_index?;
        match allocator::read_cuda(index) {
            CudaReading::Available(stats) => Some(stats),
            CudaReading::Unavailable(reason) => {
                self.cuda_unavailable_reason = Some(reason);
                None
            }
        }
    }

    fn check_device_budget(&mut self, cuda: Option<allocator::CudaAllocatorStats>) -> anyhow::Result<()> {
        let (Some(budget), Some(stats)) = (self.device_budget_bytes, cuda) else {
            return Ok(());
        };
        if stats.reserved_current_bytes > budget {
            self.crossed = Some(BudgetCrossing {
                signal: Signal::CudaReservedBytes,
                value_bytes: stats.reserved_current_bytes,
            });
            anyhow::bail!(
                "CUDA reserved bytes {} crossed the device budget of {}",
                crate::units::format_bytes(stats.reserved_current_bytes),
                crate::units::format_bytes(budget)
            );
        }
        Ok(())
    }

    pub fn finish(mut self, rust_heap_peak: Option<u64>) -> FinishedMeasurements {
        let rss_peak = rss::read_status().ok().map(|m| m.peak_rss_bytes);
        let cuda_final = self.read_cuda();
        if let Some(stats) = cuda_final {
            self.cuda_allocated_peak = Some(self.cuda_allocated_peak.unwrap_or(0).max(stats.allocated_peak_bytes));
            self.cuda_reserved_peak = Some(self.cuda_reserved_peak.unwrap_or(0).max(stats.reserved_peak_bytes));
        }
        self.cpu_peak = self.cpu_peak.max(allocator::read_cpu().peak_bytes);
        let cuda_reason = || {
            Some(match self.cuda_index {
                None => "the run used the CPU".to_owned(),
                Some(_) => self.cuda_unavailable_reason.clone().unwrap_or_else(|| "not read".to_owned()),
            })
        };
        let peak = |signal: Signal, value: Option<u64>, reason: Option<String>| SignalPeak {
            signal,
            source: signal.source(),
            peak_bytes: value,
            unavailable_reason: if value.is_some() { None } else { reason },
        };
        let peaks = vec![
            peak(Signal::RetainedBytes, Some(self.max_retained), None),
            peak(Signal::CpuAllocatedBytes, Some(self.cpu_peak), None),
            peak(Signal::CudaAllocatedBytes, self.cuda_allocated_peak, cuda_reason()),
            peak(Signal::CudaReservedBytes, self.cuda_reserved_peak, cuda_reason()),
            peak(Signal::RssBytes, rss_peak, Some("/proc/self/status unreadable".to_owned())),
            peak(
                Signal::RustHeapBytes,
                rust_heap_peak,
                Some("run with --heap-profile to measure the Rust heap".to_owned()),
            ),
        ];
        let growth = self.fit.slope().map(|slope| Growth {
            source: Source::Logical,
            bytes_per_step: slope,
            class: if slope.abs() < CONSTANT_GROWTH_BYTES_PER_STEP {
                GrowthClass::Constant
            } else {
                GrowthClass::Linear
            },
        });
        FinishedMeasurements {
            epochs: self.epochs,
            timeline: self.timeline.finish(),
            peaks,
            growth,
            cuda_events: cuda_final.map(|stats| CudaAllocatorEvents {
                num_ooms: stats.num_ooms,
                num_alloc_retries: stats.num_alloc_retries,
            }),
        }
    }
}

impl LoopMonitor for Monitor {
    fn on_epoch_start(&mut self, _epoch: u32) {
        let cpu = allocator::read_cpu();
        self.cpu_peak = self.cpu_peak.max(cpu.peak_bytes);
        allocator::reset_cpu_peak();
        let cuda = self.read_cuda();
        if let (Some(stats), Some(index)) = (cuda, self.cuda_index) {
            self.cuda_allocated_peak = Some(self.cuda_allocated_peak.unwrap_or(0).max(stats.allocated_peak_bytes));
            self.cuda_reserved_peak = Some(self.cuda_reserved_peak.unwrap_or(0).max(stats.reserved_peak_bytes));
            let _ = allocator::reset_cuda_peaks(index);
        }
        self.current = Some(EpochStart {
            cpu_bytes: cpu.current_bytes,
            cuda_bytes: cuda.map(|s| s.allocated_current_bytes),
            step_in_epoch: 0,
            retained_before_end: 0,
            cpu_before_end: 0,
        });
    }

    fn on_step_end(&mut self, epoch: u32, global_step: u64, retained_bytes: u64) -> anyhow::Result<()> {
        self.global_step = global_step;
        self.max_retained = self.max_retained.max(retained_bytes);
        if let Some(current) = self.current.as_mut() {
            current.step_in_epoch += 1;
            self.fit.add(current.step_in_epoch as f64, retained_bytes as f64);
        }
        let needs_cuda = self.per_step || self.device_budget_bytes.is_some();
        let cuda = if needs_cuda { self.read_cuda() } else { None };
        if self.per_step {
            self.timeline.record(StepPoint {
                step: global_step,
                epoch,
                retained_bytes,
                cpu_allocated_bytes: allocator::read_cpu().current_bytes,
                cuda_allocated_bytes: cuda.map(|s| s.allocated_current_bytes),
                cuda_reserved_bytes: cuda.map(|s| s.reserved_current_bytes),
                rss_bytes: self.rss_reader.read(),
            });
        }
        if self.last_progress.elapsed().as_millis() >= PROGRESS_INTERVAL_MS {
            emit(&WorkerEvent::Step { epoch, step: global_step });
            self.last_progress = Instant::now();
        }
        self.check_device_budget(cuda)
    }

    fn on_before_epoch_end(&mut self, _epoch: u32, retained_bytes: u64) {
        self.max_retained = self.max_retained.max(retained_bytes);
        if let Some(current) = self.current.as_mut() {
            current.retained_before_end = retained_bytes;
            current.cpu_before_end = allocator::read_cpu().current_bytes;
        }
    }

    fn on_epoch_end(&mut self, summary: &EpochSummary, retained_bytes: u64) {
        let Some(start) = self.current.take() else { return };
        let cpu = allocator::read_cpu();
        self.cpu_peak = self.cpu_peak.max(cpu.peak_bytes);
        let cuda = self.read_cuda();
        let cuda_after = cuda.map(|s| s.allocated_current_bytes);
        let memory = EpochMemory {
            retained_bytes_before_epoch_end: start.retained_before_end,
            retained_bytes_after_epoch_end: retained_bytes,
            cpu_allocated_bytes_at_start: start.cpu_bytes,
            cpu_allocated_bytes_before_epoch_end: start.cpu_before_end,
            cpu_allocated_bytes_after_epoch_end: cpu.current_bytes,
            cpu_left_behind_bytes: cpu.current_bytes as i64 - start.cpu_bytes as i64,
            cpu_peak_bytes: cpu.peak_bytes,
            cuda_allocated_bytes_at_start: start.cuda_bytes,
            cuda_allocated_bytes_after_epoch_end: cuda_after,
            cuda_left_behind_bytes: match (cuda_after, start.cuda_bytes) {
                (Some(after), Some(before)) => Some(after as i64 - before as i64),
                _ => None,
            },
            cuda_peak_allocated_bytes: cuda.map(|s| s.allocated_peak_bytes),
        };
        let samples_per_second = if summary.train_seconds > 0.0 {
            summary.samples as f64 / summary.train_seconds
        } else {
            0.0
        };
        self.epochs.push(EpochRecord {
            epoch: summary.epoch,
            warmup: summary.epoch == 1,
            steps: summary.steps,
            train_seconds: summary.train_seconds,
            samples_per_second,
            train: summary.train,
            validation: summary.validation,
            memory,
        });
        emit(&WorkerEvent::EpochDone { epoch: summary.epoch, step: self.global_step });
    }
}
