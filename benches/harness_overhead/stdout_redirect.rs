//! Silences stdout while the monitor runs. The monitor writes a progress
//! line to stdout every 100 ms for its parent process, which would otherwise
//! interleave with criterion's report.

use std::fs::File;
use std::os::fd::AsRawFd;

/// Runs `work` with file descriptor 1 pointed at /dev/null.
pub fn with_stdout_discarded<T>(work: impl FnOnce() -> T) -> T {
    let _restore = StdoutRedirect::to_null();
    work()
}

/// Points fd 1 at /dev/null until dropped, then restores it.
struct StdoutRedirect {
    saved_stdout: i32,
}

impl StdoutRedirect {
    fn to_null() -> Self {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let null = File::options()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null opens");
        // SAFETY: dup and dup2 only copy descriptors this process owns; the
        // copy of fd 1 is restored and closed in `drop`.
        let saved_stdout = unsafe { libc::dup(1) };
        assert!(
            saved_stdout >= 0,
            "dup(1) failed: {}",
            std::io::Error::last_os_error()
        );
        let redirected = unsafe { libc::dup2(null.as_raw_fd(), 1) };
        assert!(
            redirected >= 0,
            "dup2 onto fd 1 failed: {}",
            std::io::Error::last_os_error()
        );
        Self { saved_stdout }
    }
}

impl Drop for StdoutRedirect {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: `saved_stdout` is the descriptor `dup` returned in `to_null`,
        // still open and owned here.
        unsafe {
            libc::dup2(self.saved_stdout, 1);
            libc::close(self.saved_stdout);
        }
    }
}
