//! `summary.md`: one table row per strategy and the findings, short enough
//! for a CI job summary. CI systems render HTML inside Markdown, so every
//! text from the results is HTML-escaped as well as table-escaped.

use std::fmt::Write;

use super::format::{self, UNAVAILABLE};
use super::view::{signal_title, Finding, ReportView, StrategyRuns};
use super::{Exporter, RenderedReport, ReportError};
use crate::results::{InvocationStatus, RunStatus, Signal};

/// Findings listed before the rest are cut to a count.
const MAX_FINDINGS: usize = 10;
/// Characters of one finding's message kept in the summary.
const MAX_MESSAGE_CHARS: usize = 240;

/// Peak signals the summary can show, when measured.
const SUMMARY_SIGNALS: [Signal; 5] = [
    Signal::RetainedBytes,
    Signal::CpuAllocatedBytes,
    Signal::CudaAllocatedBytes,
    Signal::CudaReservedBytes,
    Signal::RssBytes,
];

pub(super) struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, report: &RenderedReport) -> Result<Vec<u8>, ReportError> {
        Ok(summary_markdown(&report.view).into_bytes())
    }
}

fn summary_markdown(view: &ReportView) -> String {
    let results = view.results;
    let mut text = String::new();
    // Writing to a String cannot fail, so the results of writeln! are ignored.
    let _ = writeln!(
        text,
        "## epochmem: {} ({}, {})\n",
        markdown_cell(&results.scenario.name),
        markdown_cell(&results.machine.device_used),
        markdown_cell(&results.machine.libtorch_version),
    );
    match results.invocation.status {
        InvocationStatus::Interrupted => {
            text.push_str("**Interrupted:** the invocation stopped before every run finished.\n\n")
        }
        InvocationStatus::Running => {
            text.push_str("**Incomplete:** the invocation was still running.\n\n")
        }
        InvocationStatus::Complete => {}
    }
    write_table(&mut text, view);
    write_findings(&mut text, &view.findings());
    text
}

fn write_table(text: &mut String, view: &ReportView) {
    let measured = view.measured_signals();
    let signals: Vec<Signal> = SUMMARY_SIGNALS
        .into_iter()
        .filter(|signal| measured.contains(signal))
        .collect();

    text.push_str("| strategy | runs completed |");
    for signal in &signals {
        let _ = write!(
            text,
            " {} peak ({}) |",
            signal_title(*signal),
            signal.source().as_str()
        );
    }
    text.push_str(" samples/s | metrics |\n|---|---|");
    text.push_str(&"---|".repeat(signals.len()));
    text.push_str("---|---|\n");

    for strategy in &view.strategies {
        let completed = strategy
            .runs
            .iter()
            .filter(|run| run.status == RunStatus::Completed)
            .count();
        let _ = write!(
            text,
            "| {} | {completed}/{} |",
            markdown_cell(strategy.name),
            strategy.runs.len()
        );
        for signal in &signals {
            let _ = write!(
                text,
                " {} |",
                format::optional_bytes(strategy.peak(*signal))
            );
        }
        let _ = writeln!(
            text,
            " {} | {} |",
            throughput_cell(strategy),
            metrics_cell(strategy)
        );
    }
}

/// Mean samples per second, with the range when there are repeats.
fn throughput_cell(strategy: &StrategyRuns) -> String {
    match strategy.throughput() {
        None => UNAVAILABLE.to_owned(),
        Some(spread) if spread.values.len() > 1 => format!(
            "{} ({}–{})",
            format::samples_per_second(spread.mean),
            format::samples_per_second(spread.min),
            format::samples_per_second(spread.max)
        ),
        Some(spread) => format::samples_per_second(spread.mean),
    }
}

/// Returns the worst metric check over the strategy's runs.
fn metrics_cell(strategy: &StrategyRuns) -> &'static str {
    let checks: Vec<&str> = strategy
        .runs
        .iter()
        .map(|run| {
            format::metric_match(
                run.metric_check.matches_reference,
                run.metric_check.metric_never_updated,
            )
        })
        .collect();
    ["never updated", "differ", "not compared", "match"]
        .into_iter()
        .find(|check| checks.contains(check))
        .unwrap_or(UNAVAILABLE)
}

fn write_findings(text: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    text.push_str("\n**Findings**\n\n");
    for finding in findings.iter().take(MAX_FINDINGS) {
        let repeat = finding
            .repeat
            .map(|repeat| format!(" (repeat {repeat})"))
            .unwrap_or_default();
        let message: String = finding.message.chars().take(MAX_MESSAGE_CHARS).collect();
        let ellipsis = if finding.message.chars().count() > MAX_MESSAGE_CHARS {
            "…"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "- **{}**{repeat}: {}{ellipsis}",
            markdown_cell(&finding.strategy),
            markdown_cell(&message)
        );
    }
    if findings.len() > MAX_FINDINGS {
        let _ = writeln!(
            text,
            "- … and {} more in index.html",
            findings.len() - MAX_FINDINGS
        );
    }
}

/// Text safe inside a Markdown table cell: HTML-escaped by maud, with pipes
/// escaped, line breaks flattened, and Markdown emphasis and code marks
/// escaped so a name cannot restyle the table.
fn markdown_cell(text: &str) -> String {
    let escaped = maud::html! { (text) }.into_string();
    let mut cell = String::with_capacity(escaped.len());
    for character in escaped.chars() {
        match character {
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                cell.push('\\');
                cell.push(character);
            }
            '\n' | '\r' => cell.push(' '),
            other => cell.push(other),
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cell_escapes_html_and_pipes() {
        assert_eq!(markdown_cell("<b>a|b</b>"), "&lt;b&gt;a\\|b&lt;/b&gt;");
    }

    #[test]
    fn markdown_cell_flattens_line_breaks() {
        assert_eq!(markdown_cell("one\ntwo"), "one two");
    }

    #[test]
    fn markdown_cell_escapes_emphasis() {
        assert_eq!(markdown_cell("retain_all"), "retain\\_all");
    }
}
