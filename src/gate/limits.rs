//! Gate limits: the defaults, the scenario's `gate:` overrides and the
//! `--limit` overrides from the command line, merged in that order.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metric::{Metric, Unit};
use crate::scenario::RawGate;
use crate::UsageError;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Relative and absolute limit of one metric. A change counts as a
/// regression, or as an improvement, only when it exceeds both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitValues {
    /// Percent of the baseline value.
    pub relative_percent: f64,
    /// In the metric's unit: bytes, or samples per second.
    pub absolute: f64,
}

/// Returns the default limit of a metric. This is the one place where the
/// defaults are set.
///
/// The logical count and the allocator byte counts follow from the seeded
/// sequence of allocations, so a fixed scenario reproduces them exactly and
/// their limits are tight. A change of at most 1% of the peak, or of at most
/// 4 KiB, passes, so a few small tensors such as a metric's state may come
/// and go. RSS and throughput vary between runs, so their limits are looser.
/// For those two the gate also reports changes inside the spread over
/// repeats as within noise.
pub fn default_limit(metric: Metric) -> LimitValues {
    let (relative_percent, absolute) = match metric {
        Metric::LogicalPeakBytes => (1.0, 4.0 * KIB),
        Metric::TorchCpuAllocatorPeakBytes => (1.0, 4.0 * KIB),
        // The caching allocator rounds every block up to 512 bytes.
        Metric::CudaAllocatedPeakBytes => (1.0, 4.0 * KIB),
        // The caching allocator reserves small blocks in 2 MiB segments and
        // rounds large ones up to 2 MiB (kSmallBuffer and kRoundLarge in
        // c10/core/AllocatorConfig.h of libtorch 2.13.0), so a small change
        // in allocation order can move the peak by one segment.
        Metric::CudaReservedPeakBytes => (1.0, 2.0 * MIB),
        // RSS includes the libtorch libraries and pages that glibc keeps
        // after free. Repeats of scenarios/digits_mlp.yaml on a 2-core
        // x86-64 VM (CPU, libtorch 2.13.0) spread by under 0.5 MiB of about
        // 137 MiB. NOTE: other machines and allocators may spread more, so
        // the limit leaves a wide margin above that one measurement.
        Metric::RssPeakBytes => (5.0, 8.0 * MIB),
        // Throughput differs by orders of magnitude between models, so no
        // absolute floor fits every scenario; only the relative limit applies.
        Metric::SamplesPerSecond => (10.0, 0.0),
    };
    LimitValues { relative_percent, absolute }
}

/// Source of a limit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitOrigin {
    Default,
    /// The `gate:` section of the current results' scenario.
    Scenario,
    /// A `--limit` flag.
    CommandLine,
}

/// The limit that applies to one metric, with the origin of each value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    pub relative_percent: f64,
    pub relative_percent_origin: LimitOrigin,
    /// In the metric's unit: bytes, or samples per second.
    pub absolute: f64,
    pub absolute_origin: LimitOrigin,
}

impl Limit {
    /// Formats the limit for tables, e.g. `1% and 4.00 KiB`.
    pub fn describe(&self, unit: Unit) -> String {
        let absolute = match unit {
            Unit::Bytes => unit.format(self.absolute),
            Unit::SamplesPerSecond => format!("{} samples/s", self.absolute),
        };
        format!("{}% and {absolute}", self.relative_percent)
    }
}

/// One `--limit` flag, parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitOverride {
    pub metric: Metric,
    pub bound: LimitBound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitBound {
    RelativePercent(f64),
    /// In the metric's unit: bytes, or samples per second.
    Absolute(f64),
}

/// The limit of every metric.
pub type LimitTable = BTreeMap<Metric, Limit>;

/// Merges the defaults, the scenario's `gate:` section and the command-line
/// overrides, later ones winning. Each of a limit's two values is
/// overridden on its own, so `--limit rss_peak_bytes=15%` keeps the
/// absolute RSS limit.
pub fn resolve_limits(scenario_gate: &RawGate, overrides: &[LimitOverride]) -> LimitTable {
    let mut table = LimitTable::new();
    for metric in Metric::ALL {
        let defaults = default_limit(metric);
        let mut limit = Limit {
            relative_percent: defaults.relative_percent,
            relative_percent_origin: LimitOrigin::Default,
            absolute: defaults.absolute,
            absolute_origin: LimitOrigin::Default,
        };
        if let Some(raw) = metric.scenario_limit(scenario_gate) {
            if let Some(percent) = raw.relative_percent {
                limit.relative_percent = percent.0;
                limit.relative_percent_origin = LimitOrigin::Scenario;
            }
            if let Some(absolute) = raw.absolute {
                limit.absolute = absolute.0;
                limit.absolute_origin = LimitOrigin::Scenario;
            }
        }
        table.insert(metric, limit);
    }
    for limit_override in overrides {
        let limit = table.get_mut(&limit_override.metric).expect("every metric has a limit");
        match limit_override.bound {
            LimitBound::RelativePercent(percent) => {
                limit.relative_percent = percent;
                limit.relative_percent_origin = LimitOrigin::CommandLine;
            }
            LimitBound::Absolute(absolute) => {
                limit.absolute = absolute;
                limit.absolute_origin = LimitOrigin::CommandLine;
            }
        }
    }
    table
}

/// Parses every `--limit` flag.
pub fn parse_limit_overrides(flags: &[String]) -> Result<Vec<LimitOverride>, UsageError> {
    flags.iter().map(|flag| parse_limit_override(flag)).collect()
}

/// Parses one `--limit` value: `METRIC=PERCENT%` sets the relative limit,
/// `METRIC=ABSOLUTE` the absolute one. Byte metrics accept the suffixes
/// `B`, `KiB`, `MiB` and `GiB`; throughput takes a plain number of
/// samples per second.
pub fn parse_limit_override(flag: &str) -> Result<LimitOverride, UsageError> {
    let invalid = |reason: String| {
        UsageError(format!(
            "invalid --limit {flag:?}: {reason}; expected METRIC=PERCENT% or METRIC=ABSOLUTE, \
             such as rss_peak_bytes=15% or rss_peak_bytes=32MiB"
        ))
    };

    let (name, value) = flag.split_once('=').ok_or_else(|| invalid("missing '='".to_owned()))?;
    let name = name.trim();
    let metric = Metric::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        invalid(format!("unknown metric {name:?}, expected one of {}", known.join(", ")))
    })?;

    let value = value.trim();
    if let Some(percent) = value.strip_suffix('%') {
        let percent = parse_non_negative(percent).map_err(invalid)?;
        return Ok(LimitOverride { metric, bound: LimitBound::RelativePercent(percent) });
    }

    let (number, scale) = match metric.unit() {
        Unit::Bytes => split_byte_suffix(value),
        Unit::SamplesPerSecond => (value, 1.0),
    };
    let absolute = parse_non_negative(number).map_err(invalid)? * scale;
    Ok(LimitOverride { metric, bound: LimitBound::Absolute(absolute) })
}

/// Splits `32MiB` into `32` and the factor of its binary unit.
fn split_byte_suffix(value: &str) -> (&str, f64) {
    const SUFFIXES: [(&str, f64); 4] =
        [("GiB", 1024.0 * MIB), ("MiB", MIB), ("KiB", KIB), ("B", 1.0)];
    for (suffix, scale) in SUFFIXES {
        if let Some(number) = value.strip_suffix(suffix) {
            return (number.trim_end(), scale);
        }
    }
    (value, 1.0)
}

fn parse_non_negative(text: &str) -> Result<f64, String> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(number) if number.is_finite() && number >= 0.0 => Ok(number),
        Ok(_) => Err(format!("{text:?} must be a finite number of at least 0")),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}
