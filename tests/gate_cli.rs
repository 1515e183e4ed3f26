//! Exit statuses and messages of the real `epochmem gate` and
//! `epochmem baseline save` binaries, on results files in a temporary folder.

mod gate_support;

use std::path::Path;
use std::process::Output;

use epochmem::results::{read_results, InvocationStatus};
use gate_support::*;

fn gate(baseline: &Path, current: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "gate",
        "--baseline",
        baseline.to_str().unwrap(),
        "--current",
        current.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    epochmem(&args)
}

fn baseline_save(results: &Path, dir: &Path) -> Output {
    epochmem(&["baseline", "save", results.to_str().unwrap(), "--dir", dir.to_str().unwrap()])
}

/// Runs the gate on two results files that cannot be compared, checks
/// that it exits with 2 and prints no table, and returns its stderr.
fn gate_rejects(
    baseline: &epochmem::results::ResultsFile,
    current: &epochmem::results::ResultsFile,
) -> String {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) = write_pair(folder.path(), baseline, current);

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    stderr(&output)
}

/// A baseline file and a current file, each of the fixture with one repeat.
fn write_pair(
    folder: &Path,
    baseline: &epochmem::results::ResultsFile,
    current: &epochmem::results::ResultsFile,
) -> (std::path::PathBuf, std::path::PathBuf) {
    (
        write_results(folder, "baseline.json", baseline),
        write_results(folder, "current.json", current),
    )
}

fn allocator_rise_of_ten_percent() -> epochmem::results::ResultsFile {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(8 * MIB + 8 * MIB / 10);
    });
    current
}

// Verdicts.

#[test]
fn gate_identical_results_exit_zero() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) = write_pair(folder.path(), &results(1), &results(1));

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("epochmem gate passed: no regressions in scenario gate_fixture"));
    assert!(table.contains("strategy"), "{table}");
    assert!(!table.contains("regressed"), "{table}");
}

#[test]
fn gate_allocator_rise_exits_one() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) =
        write_pair(folder.path(), &results(1), &allocator_rise_of_ten_percent());

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("epochmem gate failed: 1 regression"), "{table}");
    let row = table
        .lines()
        .find(|line| {
            line.starts_with("retain_all") && line.contains("torch_cpu_allocator_peak_bytes")
        })
        .expect("a row for the allocator peak");
    assert!(row.contains("regressed"), "{row}");
    assert!(row.contains("+10.00%"), "{row}");
}

#[test]
fn gate_throughput_inside_noise_exits_zero() {
    let folder = tempfile::tempdir().unwrap();
    let mut baseline_results = results(3);
    set_throughput(&mut baseline_results, "streaming", &[10_000.0, 9_000.0, 10_500.0]);
    let mut current_results = results(3);
    set_throughput(&mut current_results, "streaming", &[8_800.0, 8_900.0, 9_900.0]);
    let (baseline, current) = write_pair(folder.path(), &baseline_results, &current_results);

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let row = stdout(&output)
        .lines()
        .find(|line| line.starts_with("streaming") && line.contains("samples_per_second"))
        .expect("a row for the throughput")
        .to_owned();
    assert!(row.contains("within noise"), "{row}");
}

#[test]
fn gate_throughput_beyond_noise_exits_one() {
    let folder = tempfile::tempdir().unwrap();
    let mut baseline_results = results(3);
    set_throughput(&mut baseline_results, "streaming", &[10_000.0, 9_000.0, 10_500.0]);
    let mut current_results = results(3);
    set_throughput(&mut current_results, "streaming", &[5_000.0, 5_100.0, 4_900.0]);
    let (baseline, current) = write_pair(folder.path(), &baseline_results, &current_results);

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn gate_constant_strategy_growth_exits_one() {
    let folder = tempfile::tempdir().unwrap();
    let mut current_results = results(1);
    edit_runs(&mut current_results, "streaming", |run| {
        for point in &mut run.timeline.points {
            point.retained_bytes = 4096 * point.step;
        }
    });
    let (baseline, current) = write_pair(folder.path(), &results(1), &current_results);

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("retained bytes rise within epoch 1"));
}

#[test]
fn gate_writes_json_and_markdown() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) =
        write_pair(folder.path(), &results(1), &allocator_rise_of_ten_percent());
    let json_path = folder.path().join("out/gate.json");
    let markdown_path = folder.path().join("out/gate.md");

    let output = gate(
        &baseline,
        &current,
        &["--json", json_path.to_str().unwrap(), "--markdown", markdown_path.to_str().unwrap()],
    );

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["outcome"], "failed");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["current_path"], current.to_str().unwrap());
    let markdown = std::fs::read_to_string(&markdown_path).unwrap();
    assert!(markdown.starts_with("### epochmem gate failed"), "{markdown}");
    assert!(markdown.contains("**regressed**"), "{markdown}");
}

#[test]
fn gate_limit_flag_loosens_limit() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) =
        write_pair(folder.path(), &results(1), &allocator_rise_of_ten_percent());

    let output = gate(&baseline, &current, &["--limit", "torch_cpu_allocator_peak_bytes=15%"]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

// Inputs that cannot be compared exit with 2.

#[test]
fn gate_bad_limit_flag_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) = write_pair(folder.path(), &results(1), &results(1));

    let output = gate(&baseline, &current, &["--limit", "rss_peak_bytes=lots"]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("invalid --limit \"rss_peak_bytes=lots\""), "{message}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn gate_missing_baseline_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let current = write_results(folder.path(), "current.json", &results(1));
    let missing = folder.path().join("no_such_baseline.json");

    let output = gate(&missing, &current, &[]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("baseline: "), "{message}");
    assert!(message.contains("no_such_baseline.json: cannot read results file"), "{message}");
    assert!(message.contains("epochmem baseline save"), "{message}");
}

#[test]
fn gate_missing_current_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let baseline = write_results(folder.path(), "baseline.json", &results(1));
    let missing = folder.path().join("no_such_results.json");

    let output = gate(&baseline, &missing, &[]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("current results: "), "{message}");
    assert!(message.contains("epochmem run SCENARIO"), "{message}");
}

#[test]
fn gate_unreadable_json_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let baseline = write_results(folder.path(), "baseline.json", &results(1));
    let current = folder.path().join("current.json");
    std::fs::write(&current, "{\"schema_version\": 1, \"runs\": [").unwrap();

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("not a valid epochmem results file"), "{message}");
    assert!(message.contains("current.json"), "{message}");
}

#[test]
fn gate_different_schema_version_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let mut old = serde_json::to_value(results(1)).unwrap();
    old["schema_version"] = serde_json::json!(0);
    let baseline = folder.path().join("baseline.json");
    std::fs::write(&baseline, serde_json::to_vec(&old).unwrap()).unwrap();
    let current = write_results(folder.path(), "current.json", &results(1));

    let output = gate(&baseline, &current, &[]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("results schema version 0"), "{message}");
    assert!(message.contains("baseline.json"), "{message}");
    assert!(message.contains("epochmem baseline save"), "{message}");
}

#[test]
fn gate_different_scenario_exits_two() {
    let mut other = results(1);
    other.scenario.name = "other_scenario".to_owned();

    let message = gate_rejects(&results(1), &other);

    assert!(message.contains("from scenario \"gate_fixture\""), "{message}");
    assert!(message.contains("from scenario \"other_scenario\""), "{message}");
}

#[test]
fn gate_different_strategies_exits_two() {
    let mut fewer = results(1);
    fewer.runs.retain(|run| run.strategy != "streaming");

    let message = gate_rejects(&results(1), &fewer);

    assert!(message.contains("only in the baseline: streaming"), "{message}");
}

#[test]
fn gate_crashed_run_exits_two() {
    let mut crashed = results(1);
    crash_run(&mut crashed, "retain_all", 0);

    let message = gate_rejects(&results(1), &crashed);

    assert!(message.contains("strategy \"retain_all\" repeat 0 did not complete"), "{message}");
    assert!(message.contains("current.json"), "{message}");
}

#[test]
fn gate_unwritable_output_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let (baseline, current) = write_pair(folder.path(), &results(1), &results(1));
    let blocker = folder.path().join("a_file");
    std::fs::write(&blocker, "").unwrap();
    let json_path = blocker.join("gate.json");

    let output = gate(&baseline, &current, &["--json", json_path.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot write the --json file"), "{}", stderr(&output));
}

// Baseline save.

#[test]
fn baseline_save_stores_by_scenario_name() {
    let folder = tempfile::tempdir().unwrap();
    let results_path = write_results(folder.path(), "results.json", &results(2));
    let baselines = folder.path().join("reports/baselines");

    let output = baseline_save(&results_path, &baselines);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let saved = baselines.join("gate_fixture.json");
    assert!(stderr(&output).contains(saved.to_str().unwrap()), "{}", stderr(&output));
    let stored = read_results(&saved).expect("the baseline is a valid results file");
    assert_eq!(stored.runs.len(), 6);
    assert_eq!(stored.scenario.name, "gate_fixture");

    let compared = gate(&saved, &results_path, &[]);
    assert_eq!(compared.status.code(), Some(0), "{}", stderr(&compared));
}

#[test]
fn baseline_save_rejects_crashed_run() {
    let folder = tempfile::tempdir().unwrap();
    let mut crashed = results(1);
    crash_run(&mut crashed, "streaming", 0);
    let results_path = write_results(folder.path(), "results.json", &crashed);
    let baselines = folder.path().join("baselines");

    let output = baseline_save(&results_path, &baselines);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("strategy \"streaming\" repeat 0 did not complete"), "{message}");
    assert!(!baselines.exists(), "nothing may be written");
}

#[test]
fn baseline_save_rejects_interrupted_invocation() {
    let folder = tempfile::tempdir().unwrap();
    let mut interrupted = results(1);
    interrupted.invocation.status = InvocationStatus::Interrupted;
    let results_path = write_results(folder.path(), "results.json", &interrupted);
    let baselines = folder.path().join("baselines");

    let output = baseline_save(&results_path, &baselines);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("was interrupted"), "{}", stderr(&output));
}

#[test]
fn baseline_save_rejects_path_in_scenario_name() {
    let folder = tempfile::tempdir().unwrap();
    let mut edited = results(1);
    edited.scenario.name = "../escape".to_owned();
    let results_path = write_results(folder.path(), "results.json", &edited);
    let baselines = folder.path().join("baselines");

    let output = baseline_save(&results_path, &baselines);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot name a baseline file"), "{}", stderr(&output));
    assert!(!folder.path().join("escape.json").exists());
}

#[test]
fn baseline_save_missing_file_exits_two() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing.json");

    let output = epochmem(&["baseline", "save", missing.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read results file"), "{}", stderr(&output));
}
