//! Starts one worker process and watches it: RSS sampling, the host memory
//! budget, the time limit and interruption.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::protocol::{WorkerEvent, WorkerOutcome, WorkerRequest};
use crate::results::{RssSample, Signal};

/// Limits the parent enforces on a worker.
pub struct Supervision<'a> {
    pub host_budget_bytes: u64,
    pub time_limit: Option<Duration>,
    pub sample_interval: Duration,
    pub interrupted: &'a AtomicBool,
}

/// Reason the parent stopped a worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopReason {
    HostBudget { rss_bytes: u64 },
    TimeLimit,
    Interrupted,
}

/// Observations the parent made of one worker.
pub struct WorkerExit {
    pub wall_seconds: f64,
    pub rss_samples: Vec<RssSample>,
    pub last_step: u64,
    pub stopped: Option<StopReason>,
    /// Exit code, when the worker exited normally.
    pub code: Option<i32>,
    /// Signal that ended the worker, when one did.
    pub signal: Option<i32>,
    pub stderr_tail: String,
    /// The outcome file, when the worker wrote one.
    pub outcome: Option<WorkerOutcome>,
}

/// Signal sent to a worker that must stop; followed by SIGKILL after a grace.
const STOP_GRACE: Duration = Duration::from_secs(2);
const STDERR_TAIL_BYTES: usize = 4000;

/// Runs one worker to its end under `supervision`.
pub fn run_worker(
    request: &WorkerRequest,
    outcome_path: &Path,
    supervision: &Supervision<'_>,
    mut on_event: impl FnMut(&WorkerEvent),
) -> anyhow::Result<WorkerExit> {
    let executable = std::env::current_exe().context("locating the epochmem executable")?;
    let started = Instant::now();
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(executable)
        // Its own process group: a terminal's Ctrl-C reaches only the parent,
        // which then stops the worker and records it as interrupted.
        .process_group(0)
        .arg("worker")
        .arg("--output")
        .arg(outcome_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting a worker process")?;

    let request_json = serde_json::to_vec(request)?;
    {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // A worker that dies at once closes its stdin; its exit status gives the reason.
        let _ = stdin.write_all(&request_json);
    }
    let events = spawn_event_reader(&mut child);
    let stderr = spawn_stderr_reader(&mut child);

    let pid = Pid::from_u32(child.id());
    let mut system = System::new();
    let mut rss_samples = Vec::new();
    let mut last_step = 0u64;
    let mut stopped = None;
    let status = loop {
        while let Ok(event) = events.try_recv() {
            if let WorkerEvent::Step { step, .. } | WorkerEvent::EpochDone { step, .. } = event {
                last_step = step;
            }
            on_event(&event);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        // A worker that has exited but is not reaped yet reads as 0 bytes.
        if let Some(process) = system.process(pid).filter(|p| p.memory() > 0) {
            let rss_bytes = process.memory();
            rss_samples.push(RssSample { elapsed_ms: started.elapsed().as_millis() as u64, rss_bytes });
            if stopped.is_none() && rss_bytes > supervision.host_budget_bytes {
                stopped = Some(StopReason::HostBudget { rss_bytes });
                stop(&mut child);
            }
        }
        if stopped.is_none() {
            if supervision.interrupted.load(Ordering::SeqCst) {
                stopped = Some(StopReason::Interrupted);
                stop(&mut child);
            } else if supervision.time_limit.is_some_and(|limit| started.elapsed() > limit) {
                stopped = Some(StopReason::TimeLimit);
                stop(&mut child);
            }
        }
        std::thread::sleep(supervision.sample_interval);
    };
    if stopped.is_none() && supervision.interrupted.load(Ordering::SeqCst) && !status.success() {
        stopped = Some(StopReason::Interrupted);
    }
    for event in events.try_iter() {
        if let WorkerEvent::Step { step, .. } | WorkerEvent::EpochDone { step, .. } = event {
            last_step = step;
        }
        on_event(&event);
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let stderr_tail = stderr.join().unwrap_or_default();
    let outcome = std::fs::read(outcome_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<WorkerOutcome>(&bytes).ok());
    let _ = std::fs::remove_file(outcome_path);

    use std::os::unix::process::ExitStatusExt;
    Ok(WorkerExit {
        wall_seconds,
        rss_samples,
        last_step,
        stopped,
        code: status.code(),
        signal: status.signal(),
        stderr_tail,
        outcome,
    })
}

/// Sends SIGTERM, then SIGKILL if the worker is still alive after a grace.
fn stop(child: &mut Child) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions; the pid is our child,
    // which has not been reaped yet.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
}

fn spawn_event_reader(child: &mut Child) -> mpsc::Receiver<WorkerEvent> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<WorkerEvent>(&line) {
                Ok(event) => {
                    if sender.send(event).is_err() {
                        break;
                    }
                }
                Err(_) => tracing::debug!(line, "worker printed a line that is not an event"),
            }
        }
    });
    receiver
}

fn spawn_stderr_reader(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        let start = text.len().saturating_sub(STDERR_TAIL_BYTES);
        String::from_utf8_lossy(&text[start..]).into_owned()
    })
}

/// Name of a signal number, such as `SIGKILL`.
pub fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGILL => "SIGILL".into(),
        other => format!("signal {other}"),
    }
}

/// The signal a host-budget stop reports.
pub const HOST_BUDGET_SIGNAL: Signal = Signal::RssBytes;

/// Shared interruption flag set by SIGINT/SIGTERM handlers.
pub fn install_interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the flag is set exits at once with status 130.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))?;
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    Ok(flag)
}
