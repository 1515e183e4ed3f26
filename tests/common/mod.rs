//! Helpers shared by the integration tests: run the real binary on scenario
//! text written into a temporary folder, and read what it wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use epochmem::results::{read_results, ResultsFile, RunRecord};

pub const BINARY: &str = env!("CARGO_BIN_EXE_epochmem");

/// A temporary folder holding one scenario file and its reports.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("create a temporary folder") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the scenario");
        path
    }

    pub fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// Runs `epochmem run` on scenario text, without the report.
    pub fn run(&self, yaml: &str, extra: &[&str]) -> Output {
        let scenario = self.write("scenario.yaml", yaml);
        let mut command = Command::new(BINARY);
        command
            .arg("run")
            .arg(&scenario)
            .arg("--reports-dir")
            .arg(self.reports())
            .arg("--no-report")
            .args(extra);
        command.output().expect("run epochmem")
    }

    pub fn results(&self, name: &str) -> ResultsFile {
        read_results(&self.reports().join(name).join("results.json")).expect("read results.json")
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts a successful exit and shows stderr when it was not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "epochmem failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

pub fn run_named<'a>(results: &'a ResultsFile, strategy: &str) -> &'a RunRecord {
    results
        .runs
        .iter()
        .find(|run| run.strategy == strategy)
        .unwrap_or_else(|| panic!("no run of {strategy}"))
}

/// Returns a small synthetic scenario: 16 features, 4 classes, an MLP of width 32.
/// `extra` is appended verbatim (step_outputs, strategies, ...).
pub fn tiny_scenario(name: &str, epochs: u32, extra: &str) -> String {
    format!(
        "name: {name}
seed: 3
device: cpu
model:
  kind: mlp
  hidden: [32]
data:
  kind: synthetic
  sample_shape: [16]
  samples: 320
  classes: 4
training:
  epochs: {epochs}
  batch_size: 16
  optimizer: adam
  learning_rate: 0.01
  validation_split: 0.25
{extra}"
    )
}

/// Allocator growth over the training steps of one epoch.
pub fn allocator_growth(run: &RunRecord, epoch: usize) -> i64 {
    let memory = &run.epochs[epoch].memory;
    memory.cpu_allocated_bytes_before_epoch_end as i64 - memory.cpu_allocated_bytes_at_start as i64
}
