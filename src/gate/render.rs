//! The gate's outputs: a table for the terminal, a Markdown table for CI
//! job summaries, and JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::compare::GateReport;
use super::growth::GrowthCheck;
use super::verdict::{MetricComparison, Verdict};

/// Version of the layout of the `--json` file.
pub const GATE_JSON_VERSION: u32 = 1;

const METRIC_HEADER: [&str; 8] =
    ["strategy", "metric", "baseline", "current", "change", "limit", "noise", "verdict"];
const GROWTH_HEADER: [&str; 4] = ["strategy", "expected", "verdict", "evidence"];

/// The `--json` file.
#[derive(Debug, Serialize)]
struct GateJson<'a> {
    /// Version of this layout; see [`GATE_JSON_VERSION`].
    gate_json_version: u32,
    /// `passed` or `failed`.
    outcome: &'static str,
    /// The exit status of `epochmem gate`: 0 passed, 1 failed.
    exit_code: i32,
    /// Regressed metrics plus failed growth checks.
    regressions: usize,
    #[serde(flatten)]
    report: &'a GateReport,
}

/// Serializes the verdicts as pretty-printed JSON.
pub fn render_json(report: &GateReport) -> serde_json::Result<String> {
    let document = GateJson {
        gate_json_version: GATE_JSON_VERSION,
        outcome: outcome(report),
        exit_code: report.exit_code(),
        regressions: report.regression_count(),
        report,
    };
    serde_json::to_string_pretty(&document)
}

/// Renders the verdicts as aligned plain-text tables and a closing line.
pub fn render_console(report: &GateReport) -> String {
    let mut text = String::new();
    let metric_rows: Vec<Vec<String>> = report.metrics.iter().map(metric_cells).collect();
    text.push_str(&aligned_table(&METRIC_HEADER, &metric_rows));

    if !report.growth_checks.is_empty() {
        text.push_str("\nGrowth checks (strategies marked expect: constant):\n");
        let growth_rows: Vec<Vec<String>> = report.growth_checks.iter().map(growth_cells).collect();
        text.push_str(&aligned_table(&GROWTH_HEADER, &growth_rows));
    }

    let _ = writeln!(text, "\n{}", headline(report));
    let _ = writeln!(
        text,
        "baseline {}, current {}",
        report.baseline_path.display(),
        report.current_path.display()
    );
    text
}

/// Renders the verdicts as Markdown, for `$GITHUB_STEP_SUMMARY` and the like.
pub fn render_markdown(report: &GateReport) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "### {}\n", headline(report));
    let _ = writeln!(
        text,
        "Baseline `{}`, current `{}`.\n",
        report.baseline_path.display(),
        report.current_path.display()
    );

    let metric_rows: Vec<Vec<String>> = report
        .metrics
        .iter()
        .map(|comparison| {
            let mut cells = metric_cells(comparison);
            if comparison.verdict == Verdict::Regressed {
                let verdict = cells.last_mut().expect("the verdict is the last cell");
                *verdict = format!("**{verdict}**");
            }
            cells
        })
        .collect();
    text.push_str(&markdown_table(&METRIC_HEADER, &metric_rows));

    if !report.growth_checks.is_empty() {
        text.push_str("\n#### Growth checks\n\n");
        let growth_rows: Vec<Vec<String>> = report.growth_checks.iter().map(growth_cells).collect();
        text.push_str(&markdown_table(&GROWTH_HEADER, &growth_rows));
    }

    if !report.warnings.is_empty() {
        text.push('\n');
        for warning in &report.warnings {
            let _ = writeln!(text, "> Warning: {warning}");
        }
    }
    text
}

fn outcome(report: &GateReport) -> &'static str {
    if report.regression_count() == 0 {
        "passed"
    } else {
        "failed"
    }
}

fn headline(report: &GateReport) -> String {
    match report.regression_count() {
        0 => format!("epochmem gate passed: no regressions in scenario {}", report.scenario),
        1 => format!("epochmem gate failed: 1 regression in scenario {}", report.scenario),
        count => {
            format!("epochmem gate failed: {count} regressions in scenario {}", report.scenario)
        }
    }
}

fn metric_cells(comparison: &MetricComparison) -> Vec<String> {
    let unit = comparison.unit;
    let value = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| unit.format(v));
    let change = match (comparison.change, comparison.change_percent) {
        (Some(change), Some(percent)) => format!("{} ({percent:+.2}%)", unit.format_change(change)),
        (Some(change), None) => unit.format_change(change),
        _ => "-".to_owned(),
    };
    let verdict = match &comparison.unavailable_reason {
        Some(reason) => format!("{}: {reason}", comparison.verdict.as_str()),
        None => comparison.verdict.as_str().to_owned(),
    };
    vec![
        comparison.strategy.clone(),
        comparison.metric.name().to_owned(),
        value(comparison.baseline),
        value(comparison.current),
        change,
        comparison.limit.describe(unit),
        value(comparison.noise),
        verdict,
    ]
}

fn growth_cells(check: &GrowthCheck) -> Vec<String> {
    vec![
        check.strategy.clone(),
        "constant".to_owned(),
        check.verdict.as_str().to_owned(),
        check.evidence.clone(),
    ]
}

fn aligned_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut text = String::new();
    let header: Vec<String> = header.iter().map(|cell| cell.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        let _ = writeln!(text, "{}", cells.join("  ").trim_end());
    }
    text
}

fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "| {} |", header.join(" | "));
    let _ = writeln!(text, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|cell| cell.replace('|', "\\|")).collect();
        let _ = writeln!(text, "| {} |", cells.join(" | "));
    }
    text
}
