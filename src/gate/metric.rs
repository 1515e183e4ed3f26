//! The per-run figures that the gate compares, with their unit and the
//! direction in which a change counts as better.

use serde::Serialize;

use crate::results::RunSummary;
use crate::scenario::{RawGate, RawLimit};
use crate::units::{format_bytes, format_signed_bytes};

/// A figure of [`RunSummary`] that the gate compares. The names are the
/// field names of `RunSummary` and of the scenario's `gate:` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Peak of the bytes the strategy retains (source: logical).
    LogicalPeakBytes,
    /// Peak of libtorch's CPU allocator (source: torch_cpu_allocator).
    TorchCpuAllocatorPeakBytes,
    /// Peak of the bytes in live CUDA tensors (source: cuda_caching_allocator).
    CudaAllocatedPeakBytes,
    /// Peak of the bytes the CUDA caching allocator has reserved from the driver.
    CudaReservedPeakBytes,
    /// Peak resident set size of the worker process (source: rss).
    RssPeakBytes,
    /// Training throughput after the warm-up epoch.
    SamplesPerSecond,
}

/// Whether a larger value of a metric is worse or better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// How much a metric varies between repeats of the same scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variability {
    /// The same for every run of a fixed scenario: allocator and logical
    /// byte counts follow from the seeded sequence of tensor allocations.
    Deterministic,
    /// Differs between runs (page faults, allocator caching, CPU load), so
    /// the gate also compares the change with the spread over repeats.
    Noisy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Bytes,
    SamplesPerSecond,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::LogicalPeakBytes,
        Metric::TorchCpuAllocatorPeakBytes,
        Metric::CudaAllocatedPeakBytes,
        Metric::CudaReservedPeakBytes,
        Metric::RssPeakBytes,
        Metric::SamplesPerSecond,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::LogicalPeakBytes => "logical_peak_bytes",
            Metric::TorchCpuAllocatorPeakBytes => "torch_cpu_allocator_peak_bytes",
            Metric::CudaAllocatedPeakBytes => "cuda_allocated_peak_bytes",
            Metric::CudaReservedPeakBytes => "cuda_reserved_peak_bytes",
            Metric::RssPeakBytes => "rss_peak_bytes",
            Metric::SamplesPerSecond => "samples_per_second",
        }
    }

    /// Looks a metric up by its name, as written in `--limit` and `gate:`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|metric| metric.name() == name)
    }

    pub fn better(self) -> Better {
        match self {
            Metric::SamplesPerSecond => Better::Higher,
            _ => Better::Lower,
        }
    }

    pub fn variability(self) -> Variability {
        match self {
            Metric::RssPeakBytes | Metric::SamplesPerSecond => Variability::Noisy,
            _ => Variability::Deterministic,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::SamplesPerSecond => Unit::SamplesPerSecond,
            _ => Unit::Bytes,
        }
    }

    /// Reads the metric from one run's summary; `None` when the run did not
    /// measure it.
    pub fn value(self, summary: &RunSummary) -> Option<f64> {
        let bytes = match self {
            Metric::LogicalPeakBytes => summary.logical_peak_bytes,
            Metric::TorchCpuAllocatorPeakBytes => summary.torch_cpu_allocator_peak_bytes,
            Metric::CudaAllocatedPeakBytes => summary.cuda_allocated_peak_bytes,
            Metric::CudaReservedPeakBytes => summary.cuda_reserved_peak_bytes,
            Metric::RssPeakBytes => summary.rss_peak_bytes,
            Metric::SamplesPerSecond => return summary.samples_per_second,
        };
        bytes.map(|b| b as f64)
    }

    /// Reads this metric's limit from a scenario's `gate:` section.
    pub fn scenario_limit(self, gate: &RawGate) -> Option<RawLimit> {
        match self {
            Metric::LogicalPeakBytes => gate.logical_peak_bytes,
            Metric::TorchCpuAllocatorPeakBytes => gate.torch_cpu_allocator_peak_bytes,
            Metric::CudaAllocatedPeakBytes => gate.cuda_allocated_peak_bytes,
            Metric::CudaReservedPeakBytes => gate.cuda_reserved_peak_bytes,
            Metric::RssPeakBytes => gate.rss_peak_bytes,
            Metric::SamplesPerSecond => gate.samples_per_second,
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Unit {
    /// Formats a value: bytes in binary units, throughput with one decimal.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Bytes => format_bytes(value.round().max(0.0) as u64),
            Unit::SamplesPerSecond => format!("{value:.1} samples/s"),
        }
    }

    /// Formats a signed difference, such as `+1.50 MiB` or `-120.0 samples/s`.
    pub fn format_change(self, change: f64) -> String {
        match self {
            Unit::Bytes => format_signed_bytes(change.round() as i64),
            Unit::SamplesPerSecond => format!("{change:+.1} samples/s"),
        }
    }
}
