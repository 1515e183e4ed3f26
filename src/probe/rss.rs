//! Resident set size of the current process, from `/proc/self`.

use std::fs;

/// Current RSS and its high-water mark, from `/proc/self/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMemory {
    pub rss_bytes: u64,
    pub peak_rss_bytes: u64,
}

/// Reads VmRSS and VmHWM from `/proc/self/status`.
pub fn read_status() -> std::io::Result<ProcessMemory> {
    let status = fs::read_to_string("/proc/self/status")?;
    parse_status(&status).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "/proc/self/status has no VmRSS or VmHWM line",
        )
    })
}

fn parse_status(status: &str) -> Option<ProcessMemory> {
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    };
    Some(ProcessMemory {
        rss_bytes: field("VmRSS:")?,
        peak_rss_bytes: field("VmHWM:")?,
    })
}

/// Current RSS from `/proc/self/statm`, cheaper to read than `status`.
pub fn read_rss_bytes() -> u64 {
    let page = page_size();
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| text.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page)
}

/// Resets VmHWM to the current RSS by writing 5 to `/proc/self/clear_refs`
/// (Linux 4.0 and later).
pub fn reset_peak() -> std::io::Result<()> {
    fs::write("/proc/self/clear_refs", "5")
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_status_reads_kib_fields() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        let memory = parse_status(text).unwrap();
        assert_eq!(memory.rss_bytes, 1024 * 1024);
        assert_eq!(memory.peak_rss_bytes, 2048 * 1024);
    }

    #[test]
    fn statm_and_status_agree_on_rss() {
        let from_status = read_status().unwrap().rss_bytes;
        let from_statm = read_rss_bytes();
        let difference = from_status.abs_diff(from_statm);
        assert!(difference < 4 << 20, "status {from_status} vs statm {from_statm}");
    }

    #[test]
    fn reset_peak_lowers_high_water_mark() {
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        drop(block);
        let before = read_status().unwrap();
        reset_peak().unwrap();
        let after = read_status().unwrap();
        assert!(after.peak_rss_bytes <= before.peak_rss_bytes);
        assert!(after.peak_rss_bytes <= after.rss_bytes + (1 << 20));
    }
}
