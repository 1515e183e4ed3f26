//! Runs the real binary on a tiny scenario and checks the report that
//! `epochmem run` writes next to results.json, and that `epochmem report`
//! renders the same page again from the results file.

mod common;
mod report_fixture;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use report_fixture::svg_text;

const STRATEGIES: [&str; 3] = ["retain_all", "explicit_no_clear", "streaming"];
const REPEATS: usize = 2;

fn strategies_yaml() -> String {
    "strategies:
  - kind: retain_all
  - kind: explicit_buffer
    name: explicit_no_clear
    clear: false
  - kind: streaming
"
    .to_owned()
}

/// Runs `epochmem run` with the report, as a user would.
fn run_with_report(workspace: &Workspace, name: &str) -> std::process::Output {
    let scenario = workspace.write("scenario.yaml", &tiny_scenario(name, 2, &strategies_yaml()));
    Command::new(BINARY)
        .arg("run")
        .arg(&scenario)
        .arg("--reports-dir")
        .arg(workspace.reports())
        .arg("--repeats")
        .arg(REPEATS.to_string())
        .output()
        .expect("run epochmem")
}

#[test]
fn run_writes_report_files() {
    let workspace = Workspace::new();
    let output = run_with_report(&workspace, "tiny_report");
    assert_success(&output);
    let report = workspace.reports().join("tiny_report");

    for name in ["results.json", "index.html", "summary.csv", "summary.md"] {
        assert!(report.join(name).is_file(), "{name} is missing");
    }
    let root_index = fs::read_to_string(workspace.reports().join("index.html")).unwrap();
    assert!(
        root_index.contains("href=\"tiny_report/index.html\""),
        "{root_index}"
    );

    let charts: Vec<_> = fs::read_dir(report.join("charts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(
        charts.len() >= 6,
        "only {} charts: {charts:?}",
        charts.len()
    );
    for chart in &charts {
        let text = svg_text(chart);
        for strategy in STRATEGIES {
            assert!(
                text.contains(strategy),
                "{} does not name {strategy}",
                chart.display()
            );
        }
    }
}

#[test]
fn run_report_matches_results() {
    let workspace = Workspace::new();
    let output = run_with_report(&workspace, "tiny_rows");
    assert_success(&output);
    let report = workspace.reports().join("tiny_rows");
    let results = workspace.results("tiny_rows");
    assert_eq!(results.runs.len(), STRATEGIES.len() * REPEATS);

    let mut reader = csv::Reader::from_path(report.join("summary.csv")).unwrap();
    assert_eq!(reader.records().count(), results.runs.len());

    let html = fs::read_to_string(report.join("index.html")).unwrap();
    for strategy in STRATEGIES {
        assert!(html.contains(strategy), "the page does not name {strategy}");
    }
    for source in [
        "source: logical",
        "source: torch_cpu_allocator",
        "source: rss",
    ] {
        assert!(html.contains(source), "the page lacks {source:?}");
    }
    assert!(html.contains(&results.machine.libtorch_version));
    assert!(!html.contains("<script"));

    let markdown = fs::read_to_string(report.join("summary.md")).unwrap();
    let table_rows = markdown
        .lines()
        .filter(|line| line.starts_with('|'))
        .count();
    assert_eq!(table_rows, 2 + STRATEGIES.len(), "{markdown}");
}

#[test]
fn report_command_rerenders_same_page() {
    let workspace = Workspace::new();
    let output = run_with_report(&workspace, "tiny_again");
    assert_success(&output);
    let report = workspace.reports().join("tiny_again");
    let out = workspace.path().join("rerendered");

    let rerender = Command::new(BINARY)
        .arg("report")
        .arg(report.join("results.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run epochmem report");
    assert_success(&rerender);
    assert_eq!(
        stdout(&rerender).trim(),
        out.join("index.html").display().to_string()
    );

    let first = fs::read_to_string(report.join("index.html")).unwrap();
    let second = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        first == second,
        "epochmem report rendered a different page from the same results"
    );
    // The CSV keeps full float precision, and serde_json without its
    // float_roundtrip feature may read a float back one ulp off, so the
    // files are compared by shape here, not byte for byte.
    let rows = |path: &Path| {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().clone();
        (header, reader.records().count())
    };
    assert_eq!(
        rows(&report.join("summary.csv")),
        rows(&out.join("summary.csv"))
    );
}
