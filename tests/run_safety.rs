//! Runs that must fail safely: memory budgets, time limits, signals,
//! interruption and a locked output folder.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use epochmem::results::{InvocationStatus, RunStatus, Signal};

/// Returns a scenario whose retain_all run grows by 16 KiB per sample (a [4096]
/// float32 payload): 24,000 samples reach 375 MiB of retained outputs.
fn growing_scenario(name: &str) -> String {
    format!(
        "name: {name}
seed: 5
model: {{kind: mlp, hidden: [16]}}
data: {{kind: synthetic, sample_shape: [16], samples: 24000, classes: 4}}
training: {{epochs: 1, batch_size: 64, learning_rate: 0.01}}
step_outputs:
  payload: {{shape: [4096]}}
strategies:
  - kind: retain_all
  - kind: streaming
"
    )
}

/// Returns a scenario whose runs take a few seconds each.
fn slow_scenario(name: &str) -> String {
    format!(
        "name: {name}
seed: 5
model: {{kind: mlp, hidden: [256, 256]}}
data: {{kind: synthetic, sample_shape: [64], samples: 8000, classes: 4}}
training: {{epochs: 30, batch_size: 32, learning_rate: 0.001}}
strategies:
  - kind: streaming
  - kind: explicit_buffer
  - kind: retain_all
"
    )
}

#[test]
fn host_budget_stops_retain_all_and_streaming_finishes() {
    let workspace = Workspace::new();
    let budget_mib = 300;
    let output = workspace.run(&growing_scenario("budget"), &["--host-memory-mib", &budget_mib.to_string()]);
    assert_success(&output);
    let results = workspace.results("budget");

    let retain = run_named(&results, "retain_all");
    assert_eq!(retain.status, RunStatus::ExceededMemory, "{:?}", retain.failure);
    let failure = retain.failure.as_ref().unwrap();
    assert_eq!(failure.exceeded_signal, Some(Signal::RssBytes));
    assert!(failure.exceeded_value_bytes.unwrap() > budget_mib << 20);
    assert!(failure.step_reached > 0, "step {}", failure.step_reached);
    assert!(failure.step_reached < 375, "step {}", failure.step_reached);

    let streaming = run_named(&results, "streaming");
    assert_eq!(streaming.status, RunStatus::Completed);
    assert_eq!(results.invocation.status, InvocationStatus::Complete);
    assert_eq!(results.invocation.host_memory_budget_bytes, budget_mib << 20);
    assert!(stdout(&output).contains("exceeded_memory"), "{}", stdout(&output));
}

#[test]
fn time_limit_records_timed_out() {
    let workspace = Workspace::new();
    let output = workspace.run(
        &slow_scenario("slow"),
        &["--time-limit-seconds", "5", "--strategy", "streaming", "--epochs", "200"],
    );
    assert_success(&output);
    let run = &workspace.results("slow").runs[0];
    assert_eq!(run.status, RunStatus::TimedOut);
    assert!(run.failure.as_ref().unwrap().step_reached > 0);
    assert!(run.wall_seconds < 15.0, "stopped after {} s", run.wall_seconds);
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // Fields after the command name, which ends with the last ')'.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            children.push(child);
        }
    }
    children
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    let status = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(status, 0, "kill({pid}, {signal})");
}

#[test]
fn worker_killed_by_signal_is_recorded_and_others_run() {
    let workspace = Workspace::new();
    let scenario = workspace.write("scenario.yaml", &slow_scenario("killed"));
    let mut parent = Command::new(BINARY)
        .args(["run", "--no-report", "--epochs", "3", "--reports-dir"])
        .arg(workspace.reports())
        .arg(&scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut worker = None;
    wait_until("the first worker", Duration::from_secs(60), || {
        worker = children_of(parent.id()).first().copied();
        worker.is_some()
    });
    std::thread::sleep(Duration::from_millis(300));
    send_signal(worker.unwrap(), libc::SIGKILL);
    let status = parent.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let results = workspace.results("killed");
    let killed = run_named(&results, "streaming");
    assert_eq!(killed.status, RunStatus::Killed);
    assert_eq!(killed.failure.as_ref().unwrap().signal.as_deref(), Some("SIGKILL"));
    assert_eq!(run_named(&results, "explicit_buffer").status, RunStatus::Completed);
    assert_eq!(run_named(&results, "retain_all").status, RunStatus::Completed);
    // No reference metrics to compare with once the first strategy died.
    assert_eq!(run_named(&results, "retain_all").metric_check.matches_reference, None);
}

#[test]
fn interrupt_keeps_finished_runs() {
    let workspace = Workspace::new();
    let scenario = workspace.write("scenario.yaml", &slow_scenario("interrupted"));
    let results_path = workspace.reports().join("interrupted/results.json");
    let parent = Command::new(BINARY)
        .args(["run", "--epochs", "2", "--reports-dir"])
        .arg(workspace.reports())
        .arg(&scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the first finished run", Duration::from_secs(120), || {
        epochmem::results::read_results(&results_path).is_ok_and(|r| !r.runs.is_empty())
    });
    wait_until("the second worker", Duration::from_secs(60), || !children_of(parent.id()).is_empty());
    send_signal(parent.id(), libc::SIGINT);
    let output = parent.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));

    let results = workspace.results("interrupted");
    assert_eq!(results.invocation.status, InvocationStatus::Interrupted);
    assert_eq!(results.runs[0].status, RunStatus::Completed);
    assert!(results.runs.len() < 3, "no run starts after the interrupt");
    if let Some(second) = results.runs.get(1) {
        assert!(
            matches!(second.status, RunStatus::Interrupted | RunStatus::Killed),
            "{:?}",
            second.status
        );
    }
    let report = workspace.reports().join("interrupted/index.html");
    let page = std::fs::read_to_string(&report).expect("the report is rendered from what exists");
    assert!(page.to_lowercase().contains("interrupted"), "the report says the run was interrupted");
}

#[test]
fn locked_output_folder_is_refused() {
    let workspace = Workspace::new();
    let folder = workspace.reports().join("locked");
    std::fs::create_dir_all(&folder).unwrap();
    let lock = File::create(folder.join(".epochmem.lock")).unwrap();
    lock.try_lock().unwrap();
    let output = workspace.run(&slow_scenario("locked"), &["--epochs", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(".epochmem.lock"), "{message}");
    assert!(message.contains("another epochmem run"), "{message}");
    assert!(!folder.join("results.json").exists());
}

#[test]
fn worker_error_is_recorded_as_crash() {
    let workspace = Workspace::new();
    // A gzip file whose CSV has a bad row passes validation (the file exists)
    // but fails inside the worker.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, b"1,2,3\n").unwrap();
    std::fs::write(workspace.path().join("bad.csv.gz"), encoder.finish().unwrap()).unwrap();
    let yaml = "name: crash
seed: 1
model: {kind: mlp, hidden: [8]}
data: {kind: digits, path: bad.csv.gz}
training: {epochs: 1, batch_size: 8, learning_rate: 0.01}
strategies: [{kind: streaming}]
";
    let output = workspace.run(yaml, &[]);
    assert_success(&output);
    let run = &workspace.results("crash").runs[0];
    assert_eq!(run.status, RunStatus::Crashed);
    let message = &run.failure.as_ref().unwrap().message;
    assert!(message.contains("bad.csv.gz: line 1: expected 65 columns"), "{message}");
    assert_eq!(run.failure.as_ref().unwrap().step_reached, 0);
}
