//! Renders reports of built-in-code results files into temporary folders
//! and checks the files: SVGs parse and name every strategy, text from the
//! scenario is escaped, the CSV follows `RunSummary`, and values that were
//! not measured never read as zero.

mod report_fixture;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use epochmem::report::{render_index, render_report, CHARTS_DIR};
use epochmem::results::{write_results_atomically, InvocationStatus, RunSummary};
use epochmem::scenario::StrategyKind;
use report_fixture::*;

struct Rendered {
    _dir: tempfile::TempDir,
    out: PathBuf,
    html: String,
}

fn render_fixture() -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let files = render_report(&fixture_results(), &out).expect("the fixture renders");
    assert_eq!(files.index_html, out.join("index.html"));
    let html = fs::read_to_string(&files.index_html).unwrap();
    Rendered {
        _dir: dir,
        out,
        html,
    }
}

fn chart_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(out.join(CHARTS_DIR))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn report_writes_page_charts_and_summaries() {
    let rendered = render_fixture();
    for name in ["index.html", "summary.csv", "summary.md"] {
        assert!(rendered.out.join(name).is_file(), "{name} is missing");
    }
    let names: Vec<String> = chart_files(&rendered.out)
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "memory-retained_bytes.svg",
        "memory-cpu_allocated_bytes.svg",
        "memory-rss_bytes.svg",
        "rss-over-time.svg",
        "peaks.svg",
        "throughput.svg",
        "left-behind-torch_cpu_allocator.svg",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn charts_skip_unmeasured_signals() {
    let rendered = render_fixture();
    let names: Vec<String> = chart_files(&rendered.out)
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|name| name.contains("cuda")),
        "CUDA chart drawn without data: {names:?}"
    );
}

#[test]
fn every_svg_parses_as_xml() {
    let rendered = render_fixture();
    let charts = chart_files(&rendered.out);
    assert!(!charts.is_empty());
    for chart in charts {
        svg_text(&chart);
    }
}

#[test]
fn every_chart_names_every_strategy() {
    let rendered = render_fixture();
    for chart in chart_files(&rendered.out) {
        let text = svg_text(&chart);
        for strategy in fixture_strategies() {
            assert!(
                text.contains(strategy),
                "{} does not name {strategy}",
                chart.display()
            );
        }
    }
}

/// Words the title of each chart file contains, by file name prefix.
const CHART_TITLES: [(&str, &str); 5] = [
    ("memory-", "over training steps"),
    ("rss-over-time", "over wall time"),
    ("peaks", "Peak memory per strategy"),
    ("throughput", "Throughput per strategy"),
    ("left-behind-", "left behind per epoch"),
];

#[test]
fn every_chart_has_title_and_units() {
    let rendered = render_fixture();
    for chart in chart_files(&rendered.out) {
        let text = svg_text(&chart);
        let name = chart.file_name().unwrap().to_string_lossy().into_owned();
        let (_, title) = CHART_TITLES
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no expected title for {name}"));
        assert!(text.contains(title), "{name} lacks the title {title:?}");
        let has_unit = ["(B)", "(KiB)", "(MiB)", "(GiB)", "(samples/s)"]
            .iter()
            .any(|unit| text.contains(unit));
        assert!(has_unit, "{name} has no axis unit");
    }
}

#[test]
fn charts_are_inlined_in_page() {
    let rendered = render_fixture();
    let inline_svgs = rendered.html.matches("<svg ").count();
    assert_eq!(inline_svgs, chart_files(&rendered.out).len());
}

#[test]
fn memory_timeline_marks_epoch_boundaries() {
    let rendered = render_fixture();
    let text = svg_text(
        &rendered
            .out
            .join(CHARTS_DIR)
            .join("memory-retained_bytes.svg"),
    );
    assert!(text.contains("epoch 1"));
    assert!(text.contains("epoch 2"));
    assert!(text.contains("epoch boundary"));
}

#[test]
fn peaks_chart_marks_theoretical_bytes() {
    let rendered = render_fixture();
    let text = svg_text(&rendered.out.join(CHARTS_DIR).join("peaks.svg"));
    assert!(text.contains("theoretical retained bytes per epoch"));
}

#[test]
fn page_escapes_scenario_text() {
    let rendered = render_fixture();
    let lowercase = rendered.html.to_lowercase();
    assert!(!lowercase.contains("<script"), "raw <script> in the page");
    assert!(rendered
        .html
        .contains("&lt;script&gt;alert(&quot;yaml&quot;)&lt;/script&gt; &amp; more"));
    assert!(rendered.html.contains("explicit_&lt;script&gt;"));
    assert!(rendered.html.contains("&amp; friends"));
}

#[test]
fn page_loads_nothing_external() {
    let rendered = render_fixture();
    for forbidden in ["<link", "src=", "@import", "url(", "<script"] {
        assert!(
            !rendered.html.contains(forbidden),
            "the page contains {forbidden:?}"
        );
    }
    for link in rendered.html.split("href=\"").skip(1) {
        let target = link.split('"').next().unwrap();
        assert!(
            !target.contains("://"),
            "the page links outside its folder: {target}"
        );
    }
}

#[test]
fn markdown_escapes_scenario_text() {
    let rendered = render_fixture();
    let markdown = fs::read_to_string(rendered.out.join("summary.md")).unwrap();
    assert!(
        !markdown.to_lowercase().contains("<script"),
        "raw <script> in summary.md"
    );
    assert!(markdown.contains("&lt;script&gt;"));
}

#[test]
fn page_shows_run_details() {
    let rendered = render_fixture();
    for expected in [
        "2.13.0",
        "test-host",
        "cpu",
        "Scenario YAML as run",
        "Test CPU",
    ] {
        assert!(rendered.html.contains(expected), "page lacks {expected:?}");
    }
}

#[test]
fn page_calls_out_crash_and_mismatch() {
    let rendered = render_fixture();
    assert!(rendered.html.contains("crashed at step 5"));
    assert!(rendered
        .html
        .contains("epoch metrics differ from the reference strategy retain_all"));
    assert!(rendered.html.contains("Worker output of failed runs"));
}

#[test]
fn page_shows_peak_sources() {
    let rendered = render_fixture();
    for source in [
        "source: logical",
        "source: torch_cpu_allocator",
        "source: rss",
    ] {
        assert!(rendered.html.contains(source), "page lacks {source:?}");
    }
}

#[test]
fn unavailable_values_are_not_zero() {
    let rendered = render_fixture();
    // No measured byte figure of the fixture is zero, and no throughput is.
    assert!(
        !rendered.html.contains(">0 B<"),
        "an unmeasured byte value reads 0 B"
    );
    assert!(
        !rendered.html.contains(">0.0<"),
        "an unmeasured throughput reads 0.0"
    );
    assert!(rendered
        .html
        .contains(&format!("title=\"{NO_HEAP_PROFILE_REASON}\">unavailable")));
    assert!(rendered.html.contains(NO_CUDA_REASON));
    let throughput = svg_text(&rendered.out.join(CHARTS_DIR).join("throughput.svg"));
    assert!(
        throughput.contains("unavailable"),
        "the crashed run's throughput is not marked"
    );
}

#[test]
fn csv_header_matches_run_summary_fields() {
    let rendered = render_fixture();
    let results = fixture_results();
    let mut reader = csv::Reader::from_path(rendered.out.join("summary.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let json = serde_json::to_value(&results.runs[0].summary).unwrap();
    let fields: BTreeSet<String> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(header.len(), fields.len());
    assert_eq!(header.iter().cloned().collect::<BTreeSet<_>>(), fields);
}

#[test]
fn csv_has_one_row_per_run() {
    let rendered = render_fixture();
    let results = fixture_results();
    let mut reader = csv::Reader::from_path(rendered.out.join("summary.csv")).unwrap();
    let rows: Vec<RunSummary> = reader.deserialize().map(Result::unwrap).collect();
    let expected: Vec<RunSummary> = results.runs.iter().map(|run| run.summary.clone()).collect();
    assert_eq!(rows, expected);
}

#[test]
fn csv_leaves_unavailable_cells_empty() {
    let rendered = render_fixture();
    let mut reader = csv::Reader::from_path(rendered.out.join("summary.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = header
        .iter()
        .position(|name| name == "cuda_allocated_peak_bytes")
        .unwrap();
    for record in reader.records() {
        assert_eq!(&record.unwrap()[column], "");
    }
}

#[test]
fn markdown_has_one_row_per_strategy() {
    let rendered = render_fixture();
    let markdown = fs::read_to_string(rendered.out.join("summary.md")).unwrap();
    let table_rows = markdown
        .lines()
        .filter(|line| line.starts_with('|'))
        .count();
    assert_eq!(table_rows, 2 + fixture_strategies().len(), "{markdown}");
    assert!(markdown.contains("**Findings**"));
    assert!(
        markdown.lines().count() < 40,
        "summary.md is too long for a job summary"
    );
}

#[test]
fn interrupted_invocation_is_announced() {
    let results = ResultsBuilder::new()
        .run(RunBuilder::new("retain_all", StrategyKind::RetainAll))
        .status(InvocationStatus::Interrupted)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let files = render_report(&results, dir.path()).unwrap();
    let html = fs::read_to_string(files.index_html).unwrap();
    assert!(html.contains("Interrupted."));
    assert!(
        html.contains("no run was recorded"),
        "strategies never run are not listed"
    );
    let markdown = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(markdown.contains("**Interrupted:**"));
}

#[test]
fn results_without_runs_still_render() {
    let results = ResultsBuilder::new()
        .status(InvocationStatus::Interrupted)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let files = render_report(&results, dir.path()).unwrap();
    let html = fs::read_to_string(files.index_html).unwrap();
    assert!(html.contains("No run recorded data to chart."));
}

#[test]
fn index_links_scenarios_but_not_baselines() {
    let root = tempfile::tempdir().unwrap();
    let results = fixture_results();
    for folder in ["alpha", "beta", "baselines"] {
        write_results_atomically(&root.path().join(folder).join("results.json"), &results).unwrap();
    }
    render_report(&results, &root.path().join("alpha")).unwrap();
    fs::create_dir_all(root.path().join("broken")).unwrap();
    fs::write(root.path().join("broken/results.json"), "{ not json").unwrap();

    let index = render_index(root.path()).unwrap();
    assert_eq!(index, root.path().join("index.html"));
    let html = fs::read_to_string(index).unwrap();
    assert!(html.contains("href=\"alpha/index.html\""));
    assert!(html.contains("beta"));
    assert!(
        html.contains("no report rendered"),
        "beta has results but no report"
    );
    assert!(!html.contains("baselines"));
    assert!(html.contains("unreadable"));
}

#[test]
fn report_command_renders_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let results_path = dir.path().join("results.json");
    write_results_atomically(&results_path, &fixture_results()).unwrap();
    let out = dir.path().join("rendered");
    let output = Command::new(env!("CARGO_BIN_EXE_epochmem"))
        .arg("report")
        .arg(&results_path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.join("index.html").is_file());
    assert!(out.join("summary.csv").is_file());
}
