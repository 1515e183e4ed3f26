//! Axis scales: binary byte units chosen from the data, and padded ranges.

use std::ops::Range;

/// A binary byte unit for one axis, such as MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ByteUnit {
    pub name: &'static str,
    pub bytes: f64,
}

const BYTE_UNITS: [ByteUnit; 5] = [
    ByteUnit {
        name: "B",
        bytes: 1.0,
    },
    ByteUnit {
        name: "KiB",
        bytes: 1024.0,
    },
    ByteUnit {
        name: "MiB",
        bytes: 1_048_576.0,
    },
    ByteUnit {
        name: "GiB",
        bytes: 1_073_741_824.0,
    },
    ByteUnit {
        name: "TiB",
        bytes: 1_099_511_627_776.0,
    },
];

impl ByteUnit {
    /// Picks the largest unit in which `max_abs_bytes` is at least 1, so axis
    /// values stay between 1 and 1024.
    pub fn for_max(max_abs_bytes: f64) -> Self {
        BYTE_UNITS
            .iter()
            .rev()
            .find(|unit| max_abs_bytes >= unit.bytes)
            .copied()
            .unwrap_or(BYTE_UNITS[0])
    }

    /// Converts a byte count into this unit.
    pub fn convert(self, bytes: f64) -> f64 {
        bytes / self.bytes
    }
}

/// Fraction of the data range added above the data so the highest value
/// does not touch the chart's frame.
const HEADROOM: f64 = 0.08;

/// Returns a range from zero to a little above `max`, or `0..1` when every
/// value is zero, so an all-zero series still gets a drawable axis.
pub(crate) fn zero_based_range(max: f64) -> Range<f64> {
    if max > 0.0 {
        0.0..max * (1.0 + HEADROOM)
    } else {
        0.0..1.0
    }
}

/// Value range that includes zero, `min` and `max`, padded on the sides
/// that have data.
pub(crate) fn signed_range(min: f64, max: f64) -> Range<f64> {
    let low = min.min(0.0);
    let high = max.max(0.0);
    let span = high - low;
    if span <= 0.0 {
        return -1.0..1.0;
    }
    let pad = span * HEADROOM;
    let low = if low < 0.0 { low - pad } else { low };
    let high = if high > 0.0 { high + pad } else { high };
    low..high
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_unit_picks_largest_unit_below_max() {
        assert_eq!(ByteUnit::for_max(0.0).name, "B");
        assert_eq!(ByteUnit::for_max(1023.0).name, "B");
        assert_eq!(ByteUnit::for_max(1024.0).name, "KiB");
        assert_eq!(ByteUnit::for_max(5.0 * 1_048_576.0).name, "MiB");
        assert_eq!(ByteUnit::for_max(3.0 * 1_073_741_824.0).name, "GiB");
    }

    #[test]
    fn byte_unit_converts_bytes() {
        assert_eq!(ByteUnit::for_max(2048.0).convert(3072.0), 3.0);
    }

    #[test]
    fn zero_based_range_of_all_zero_data() {
        assert_eq!(zero_based_range(0.0), 0.0..1.0);
    }

    #[test]
    fn signed_range_keeps_zero_visible() {
        let range = signed_range(5.0, 10.0);
        assert_eq!(range.start, 0.0);
        assert!(range.end > 10.0);
        let range = signed_range(-4.0, -2.0);
        assert!(range.start < -4.0);
        assert_eq!(range.end, 0.0);
    }

    #[test]
    fn signed_range_of_all_zero_data() {
        assert_eq!(signed_range(0.0, 0.0), -1.0..1.0);
    }
}
