//! The report page: one self-contained `index.html` with inline CSS and the
//! charts' SVG inline, so it loads nothing else and can be mailed as one
//! file. maud escapes every interpolated string. Only the SVG from plotters
//! (which escapes its own text) and the stylesheet are inserted unescaped.

mod run_info;
mod tables;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::charts::Chart;
use super::view::{Finding, FindingKind, ReportView};
use super::{Exporter, RenderedReport, ReportError, CHARTS_DIR};
use crate::results::{InvocationStatus, RunStatus};

const STYLESHEET: &str = include_str!("style.css");

/// Writes `index.html`.
pub(super) struct HtmlPage;

impl Exporter for HtmlPage {
    fn file_name(&self) -> &'static str {
        "index.html"
    }

    fn render(&self, report: &RenderedReport) -> Result<Vec<u8>, ReportError> {
        Ok(page(report).into_string().into_bytes())
    }
}

/// Renders the `head` element of a report page: encoding, viewport, title
/// and the inline stylesheet.
pub(in crate::report) fn page_head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            style { (PreEscaped(STYLESHEET)) }
        }
    }
}

/// Renders one `th` column header per name.
pub(in crate::report) fn column_headers(names: &[&str]) -> Markup {
    html! {
        @for name in names {
            th scope="col" { (name) }
        }
    }
}

fn page(report: &RenderedReport) -> Markup {
    let results = report.view.results;
    let name = &results.scenario.name;
    html! {
        (DOCTYPE)
        html lang="en" {
            (page_head(&format!("epochmem report: {name}")))
            body {
                main {
                    header {
                        h1 { "epochmem report: " (name) }
                        @if let Some(description) = &results.scenario.resolved.description {
                            p.description { (description) }
                        }
                    }
                    (status_banner(&report.view))
                    (findings_section(&report.view))
                    (run_info::what_was_run(results))
                    (tables::summary_section(&report.view))
                    (charts_section(&report.charts))
                    (tables::epochs_section(&report.view))
                    (failure_details_section(&report.view))
                    section #scenario-yaml {
                        h2 { "Scenario YAML as run" }
                        p.note { "From " code { (results.scenario.path) } }
                        pre { code { (results.scenario.yaml) } }
                    }
                    footer {
                        "Rendered by epochmem " (env!("CARGO_PKG_VERSION"))
                        " from a results file written by epochmem " (results.epochmem_version)
                        " (schema version " (results.schema_version) ")."
                    }
                }
            }
        }
    }
}

/// Renders a warning when the invocation did not finish, so that a partial
/// report is not read as a complete one.
fn status_banner(view: &ReportView) -> Markup {
    let results = view.results;
    let recorded = results.runs.len();
    html! {
        @match results.invocation.status {
            InvocationStatus::Interrupted => {
                div.banner.warning role="alert" {
                    strong { "Interrupted. " }
                    "This invocation was stopped before every run finished. The report covers the "
                    (recorded) " runs recorded before the stop."
                }
            }
            InvocationStatus::Running => {
                div.banner.warning role="alert" {
                    strong { "Incomplete. " }
                    "The invocation was still running when this report was rendered. The report "
                    "covers the " (recorded) " runs finished by then."
                }
            }
            InvocationStatus::Complete => {}
        }
    }
}

fn findings_section(view: &ReportView) -> Markup {
    let findings = view.findings();
    let completed = view
        .results
        .runs
        .iter()
        .filter(|run| run.status == RunStatus::Completed)
        .count();
    html! {
        section #findings {
            h2 { "Findings" }
            @if findings.is_empty() {
                p.all-clear {
                    "All " (completed) " runs completed, and every strategy's epoch metrics match "
                    "the reference strategy's."
                }
            } @else {
                ul.findings {
                    @for finding in &findings {
                        li class=(finding_class(finding)) {
                            strong { (finding.strategy) }
                            @if let Some(repeat) = finding.repeat {
                                " (repeat " (repeat) ")"
                            }
                            ": " (finding.message)
                        }
                    }
                }
            }
        }
    }
}

fn finding_class(finding: &Finding) -> &'static str {
    match finding.kind {
        FindingKind::RunFailed | FindingKind::NotRun => "finding failure",
        FindingKind::MetricMismatch | FindingKind::MetricNeverUpdated => "finding mismatch",
        FindingKind::UnexpectedGrowth => "finding growth",
    }
}

fn charts_section(charts: &[Chart]) -> Markup {
    html! {
        section #charts {
            h2 { "Charts" }
            @if charts.is_empty() {
                p.note { "No run recorded data to chart." }
            }
            @for chart in charts {
                figure.chart {
                    // The SVG comes from plotters, which escapes the text it draws.
                    div.chart-svg role="img" aria-label=(chart.title) { (PreEscaped(&chart.svg)) }
                    figcaption {
                        (chart.caption) " "
                        a href=(format!("{CHARTS_DIR}/{}", chart.file_name)) { "SVG file" }
                    }
                }
            }
        }
    }
}

/// Renders the worker's last stderr lines for every run that did not
/// complete.
fn failure_details_section(view: &ReportView) -> Markup {
    let failed: Vec<_> = view
        .results
        .runs
        .iter()
        .filter(|run| run.status != RunStatus::Completed)
        .filter_map(|run| Some((run, run.failure.as_ref()?.stderr_tail.as_ref()?)))
        .collect();
    html! {
        @if !failed.is_empty() {
            section #failures {
                h2 { "Worker output of failed runs" }
                @for (run, stderr_tail) in failed {
                    details {
                        summary {
                            (run.strategy) " (repeat " (run.repeat) "): " (run.status.as_str())
                        }
                        pre { code { (stderr_tail) } }
                    }
                }
            }
        }
    }
}
