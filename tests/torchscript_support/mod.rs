//! Helpers for the tests that run the real `epochmem` binary on small
//! scenarios: TorchScript fixtures, scenario runs and their results.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use epochmem::results::{read_results, ResultsFile, RunRecord, RunStatus, Signal};
use tempfile::TempDir;

/// Folder with the files that `scripts/make_torchscript_fixtures.py` writes,
/// built once per test binary under Cargo's temporary folder for tests.
pub fn fixtures() -> &'static Path {
    static FIXTURES: OnceLock<PathBuf> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} not found; run scripts/setup.sh, which installs the torch wheel and links .venv",
            python.display()
        );
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("torchscript-fixtures-{}", env!("CARGO_CRATE_NAME")));
        let output = Command::new(&python)
            .arg(root.join("scripts/make_torchscript_fixtures.py"))
            .arg(&out)
            .output()
            .expect("start the fixture script");
        assert!(
            output.status.success(),
            "make_torchscript_fixtures.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    })
}

/// One `epochmem` invocation on a scenario written to a temporary folder.
pub struct Invocation {
    /// Holds the scenario and the reports until the test ends.
    pub folder: TempDir,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Invocation {
    /// Reads the results file of scenario `name`, when the run wrote one.
    pub fn results(&self, name: &str) -> Option<ResultsFile> {
        let path = self.results_path(name);
        path.exists().then(|| read_results(&path).expect("readable results.json"))
    }

    pub fn results_path(&self, name: &str) -> PathBuf {
        self.folder.path().join("reports").join(name).join("results.json")
    }

    pub fn scenario_path(&self) -> PathBuf {
        self.folder.path().join("scenario.yaml")
    }
}

/// Writes `yaml` to `scenario.yaml` in a new temporary folder and runs
/// `epochmem run` on it without rendering the report.
pub fn run_scenario(yaml: &str) -> Invocation {
    run_command(yaml, &["run", "--no-report", "--reports-dir", "reports"])
}

/// Writes `yaml` to `scenario.yaml` and runs `epochmem validate` on it.
pub fn validate_scenario(yaml: &str) -> Invocation {
    run_command(yaml, &["validate"])
}

fn run_command(yaml: &str, arguments: &[&str]) -> Invocation {
    let folder = tempfile::tempdir().expect("create a temporary folder");
    std::fs::write(folder.path().join("scenario.yaml"), yaml).expect("write the scenario");
    let (command, options) = arguments.split_first().expect("a subcommand");
    let output = Command::new(env!("CARGO_BIN_EXE_epochmem"))
        .current_dir(folder.path())
        .arg(command)
        .arg("scenario.yaml")
        .args(options)
        .output()
        .expect("start epochmem");
    Invocation {
        folder,
        exit_code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The run of strategy `name` (repeat 0), which must have completed.
pub fn completed_run<'a>(results: &'a ResultsFile, name: &str) -> &'a RunRecord {
    let run = results
        .runs
        .iter()
        .find(|run| run.strategy == name && run.repeat == 0)
        .unwrap_or_else(|| panic!("no run of {name} in results.json"));
    assert_eq!(run.status, RunStatus::Completed, "{name}: {:?}", run.failure);
    run
}

/// Returns the peak of the logical retained-bytes signal of a run.
pub fn logical_peak_bytes(run: &RunRecord) -> u64 {
    run.peak(Signal::RetainedBytes).expect("retained bytes are always recorded")
}

/// Growth of the CPU allocator's current bytes over the training steps of
/// `epoch` (1-based): what the strategy held at its end, for detached
/// outputs on the CPU.
pub fn allocator_growth_bytes(run: &RunRecord, epoch: usize) -> i64 {
    let memory = &run.epochs[epoch - 1].memory;
    memory.cpu_allocated_bytes_before_epoch_end as i64 - memory.cpu_allocated_bytes_at_start as i64
}

/// Bytes one step of `batch` samples returns for loss (a float32 scalar),
/// logits (`[batch, classes]` float32) and targets (`[batch]` int64).
pub fn metric_outputs_bytes(batch: u64, classes: u64) -> u64 {
    4 + batch * classes * 4 + batch * 8
}

/// Batch sizes of one pass over `samples` samples.
pub fn batch_sizes(samples: u64, batch_size: u64) -> Vec<u64> {
    let mut sizes = vec![batch_size; (samples / batch_size) as usize];
    if !samples.is_multiple_of(batch_size) {
        sizes.push(samples % batch_size);
    }
    sizes
}
