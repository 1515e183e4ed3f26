//! `index.html` at the reports root: one row per scenario folder that
//! contains a `results.json`, linking its report.

use std::path::{Path, PathBuf};

use maud::{html, Markup, DOCTYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::format;
use super::html::{column_headers, page_head};
use super::ReportError;
use crate::results::{
    read_results, write_file_atomically, InvocationStatus, ResultsFile, RunStatus,
};

/// Folder of committed gate baselines, which are not scenario reports.
const BASELINES_FOLDER: &str = "baselines";
const RESULTS_FILE: &str = "results.json";
const REPORT_FILE: &str = "index.html";

/// Characters percent-encoded in a folder name used as a link: all but
/// unreserved URL characters, so a name with spaces or `#` still links.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

struct ScenarioEntry {
    folder_name: String,
    has_report: bool,
    /// The results, or why they could not be read.
    results: Result<ResultsFile, String>,
}

/// Writes `reports_root/index.html` linking every scenario report below it.
pub fn render_index(reports_root: &Path) -> anyhow::Result<PathBuf> {
    let entries = find_scenarios(reports_root)?;
    let page = index_page(&entries).into_string();
    let path = reports_root.join(REPORT_FILE);
    write_file_atomically(&path, page.as_bytes()).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Direct subfolders of `reports_root` that contain a results file, by name.
fn find_scenarios(reports_root: &Path) -> Result<Vec<ScenarioEntry>, ReportError> {
    let list_error = |source| ReportError::ListReports {
        path: reports_root.to_owned(),
        source,
    };
    let mut entries = Vec::new();
    for dir_entry in std::fs::read_dir(reports_root).map_err(list_error)? {
        let dir_entry = dir_entry.map_err(list_error)?;
        let folder = dir_entry.path();
        let folder_name = dir_entry.file_name().to_string_lossy().into_owned();
        let results_path = folder.join(RESULTS_FILE);
        if folder_name == BASELINES_FOLDER || !folder.is_dir() || !results_path.is_file() {
            continue;
        }
        entries.push(ScenarioEntry {
            folder_name,
            has_report: folder.join(REPORT_FILE).is_file(),
            results: read_results(&results_path).map_err(|error| error.to_string()),
        });
    }
    entries.sort_by(|a, b| a.folder_name.cmp(&b.folder_name));
    Ok(entries)
}

fn index_page(entries: &[ScenarioEntry]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (page_head("epochmem reports"))
            body {
                main {
                    h1 { "epochmem reports" }
                    @if entries.is_empty() {
                        p.note { "No scenario folder with a " code { (RESULTS_FILE) } " was found here." }
                    } @else {
                        div.table-wrap {
                            table {
                                thead {
                                    tr {
                                        (column_headers(&[
                                            "Scenario", "Status", "Started", "Runs completed",
                                            "Device", "libtorch", "Files",
                                        ]))
                                    }
                                }
                                tbody {
                                    @for entry in entries { (scenario_row(entry)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn scenario_row(entry: &ScenarioEntry) -> Markup {
    let folder = utf8_percent_encode(&entry.folder_name, PATH_SEGMENT).to_string();
    html! {
        tr {
            th scope="row" {
                @if entry.has_report {
                    a href=(format!("{folder}/{REPORT_FILE}")) { (entry.folder_name) }
                } @else {
                    (entry.folder_name)
                }
            }
            @match &entry.results {
                Ok(results) => {
                    @let completed = results.runs.iter().filter(|run| run.status == RunStatus::Completed).count();
                    td.status.failed[results.invocation.status != InvocationStatus::Complete] {
                        (format::invocation_status(results.invocation.status))
                    }
                    td { (results.invocation.started_at) }
                    td.num.failed[completed < results.runs.len()] { (completed) "/" (results.runs.len()) }
                    td { (results.machine.device_used) }
                    td { (results.machine.libtorch_version) }
                },
                Err(message) => {
                    td.failed colspan="5" { "unreadable: " (message) }
                },
            }
            td {
                a href=(format!("{folder}/{RESULTS_FILE}")) { (RESULTS_FILE) }
                @if entry.has_report {
                    " · " a href=(format!("{folder}/summary.csv")) { "summary.csv" }
                } @else {
                    " · no report rendered"
                }
            }
        }
    }
}
