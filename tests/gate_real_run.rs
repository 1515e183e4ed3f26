//! The gate on results that the real `epochmem run` wrote: a tiny
//! synthetic scenario run twice, the first run saved as the baseline.

mod gate_support;

use std::path::{Path, PathBuf};

use gate_support::{epochmem, stderr, SCENARIO_YAML};

/// Runs the fixture scenario into `reports` and returns its results path.
fn run_scenario(scenario: &Path, reports: &Path) -> PathBuf {
    let output = epochmem(&[
        "run",
        scenario.to_str().unwrap(),
        "--reports-dir",
        reports.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    reports.join("gate_fixture/results.json")
}

#[test]
fn real_runs_pass_against_saved_baseline() {
    let folder = tempfile::tempdir().unwrap();
    let scenario = folder.path().join("gate_fixture.yaml");
    std::fs::write(&scenario, SCENARIO_YAML).unwrap();
    let first = run_scenario(&scenario, &folder.path().join("first"));
    let second = run_scenario(&scenario, &folder.path().join("second"));
    let baselines = folder.path().join("baselines");

    let saved = epochmem(&[
        "baseline",
        "save",
        first.to_str().unwrap(),
        "--dir",
        baselines.to_str().unwrap(),
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));

    // Throughput and RSS of single runs on a shared machine are noisy, so
    // their limits are opened wide; the byte counts keep their defaults.
    let json = folder.path().join("gate.json");
    let gated = epochmem(&[
        "gate",
        "--baseline",
        baselines.join("gate_fixture.json").to_str().unwrap(),
        "--current",
        second.to_str().unwrap(),
        "--limit",
        "samples_per_second=100%",
        "--limit",
        "rss_peak_bytes=50%",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(gated.status.code(), Some(0), "{}", String::from_utf8_lossy(&gated.stdout));

    let verdicts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let metrics = verdicts["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 3 * 6);
    for entry in metrics {
        let metric = entry["metric"].as_str().unwrap();
        if metric == "logical_peak_bytes" || metric == "torch_cpu_allocator_peak_bytes" {
            // Byte counts are reproducible for a fixed scenario.
            assert_eq!(entry["change"], 0.0, "{entry}");
            assert_eq!(entry["verdict"], "unchanged", "{entry}");
        }
    }
    assert_eq!(verdicts["growth_checks"][0]["strategy"], "streaming");
    assert_eq!(verdicts["growth_checks"][0]["verdict"], "passed");
}
