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
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| parse_statm_rss(text.as_bytes()))
        .unwrap_or(0)
}

/// Reads the current RSS through a `/proc/self/statm` handle kept open, so a
/// per-step read costs one `pread` instead of an open, read and close.
pub struct RssReader {
    statm: Option<fs::File>,
    buffer: [u8; 128],
}

impl RssReader {
    pub fn new() -> Self {
        Self { statm: fs::File::open("/proc/self/statm").ok(), buffer: [0; 128] }
    }

    /// Current RSS in bytes, or 0 when `/proc/self/statm` is unreadable.
    pub fn read(&mut self) -> u64 {
        use std::os::unix::fs::FileExt;
        let Some(file) = &self.statm else { return 0 };
        match file.read_at(&mut self.buffer, 0) {
            Ok(length) => parse_statm_rss(&self.buffer[..length]).unwrap_or(0),
            Err(_) => 0,
        }
    }
}

impl Default for RssReader {
    fn default() -> Self {
        Self::new()
    }
}

/// Parses the resident size from statm, whose second field counts resident pages.
fn parse_statm_rss(statm: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(statm).ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
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

    /// RSS is process-wide: tests that allocate must not overlap.
    static RSS_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn parse_status_reads_kib_fields() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        let memory = parse_status(text).unwrap();
        assert_eq!(memory.rss_bytes, 1024 * 1024);
        assert_eq!(memory.peak_rss_bytes, 2048 * 1024);
    }

    #[test]
    fn statm_and_status_agree_on_rss() {
        let _serial = RSS_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let from_status = read_status().unwrap().rss_bytes;
        let from_statm = read_rss_bytes();
        let difference = from_status.abs_diff(from_statm);
        assert!(difference < 4 << 20, "status {from_status} vs statm {from_statm}");
    }

    #[test]
    fn rss_reader_rereads_current_value() {
        let _serial = RSS_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let mut reader = RssReader::new();
        let before = reader.read();
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let during = reader.read();
        assert!(during >= before + (60 << 20), "before {before}, during {during}");
        assert!(during.abs_diff(read_rss_bytes()) < 4 << 20);
    }

    #[test]
    fn reset_peak_lowers_high_water_mark() {
        let _serial = RSS_TESTS.lock().unwrap_or_else(|e| e.into_inner());
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
