//! The report of one results file: `index.html` with the charts inline,
//! the charts as SVG files under `charts/`, `summary.csv` with one row per
//! run and `summary.md` for CI job summaries. [`render_index`] writes the
//! page that links every scenario report under a reports root.

mod charts;
mod format;
mod html;
mod index;
mod palette;
mod scale;
mod summary_csv;
mod summary_markdown;
mod view;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::results::{write_file_atomically, ResultsFile};
use charts::Chart;
use view::ReportView;

pub use index::render_index;

/// Folder of the chart files inside a report folder.
pub const CHARTS_DIR: &str = "charts";

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("drawing the chart {chart} failed: {message}")]
    Draw { chart: String, message: String },
    #[error("{path}: cannot write report file: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot list the reports folder: {source}")]
    ListReports {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("serializing summary.csv failed: {0}")]
    Csv(#[from] csv::Error),
}

/// Files one report rendering wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub index_html: PathBuf,
    /// Every file written, `index_html` included, in the order written.
    pub files: Vec<PathBuf>,
}

/// A results file with its charts drawn: what every exporter reads.
struct RenderedReport<'a> {
    view: ReportView<'a>,
    charts: Vec<Chart>,
}

/// One output file of a report.
trait Exporter {
    /// Name of the file inside the report folder.
    fn file_name(&self) -> &'static str;
    fn render(&self, report: &RenderedReport) -> Result<Vec<u8>, ReportError>;
}

/// Exporters in writing order. The page goes last, so a report folder with
/// an `index.html` has every other file as well.
const EXPORTERS: [&dyn Exporter; 3] = [
    &summary_csv::SummaryCsv,
    &summary_markdown::SummaryMarkdown,
    &html::HtmlPage,
];

/// Renders the report of one results file into `out_dir`, creating it, and
/// replaces each file atomically so a reader never sees half a file.
pub fn render_report(results: &ResultsFile, out_dir: &Path) -> anyhow::Result<ReportFiles> {
    let view = ReportView::new(results);
    let charts = charts::render_charts(&view)?;
    let report = RenderedReport { view, charts };

    let mut files = Vec::new();
    for chart in &report.charts {
        let path = out_dir.join(CHARTS_DIR).join(&chart.file_name);
        write_report_file(&path, chart.svg.as_bytes())?;
        files.push(path);
    }
    for exporter in EXPORTERS {
        let path = out_dir.join(exporter.file_name());
        write_report_file(&path, &exporter.render(&report)?)?;
        files.push(path);
    }
    Ok(ReportFiles {
        index_html: out_dir.join(html::HtmlPage.file_name()),
        files,
    })
}

fn write_report_file(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    write_file_atomically(path, contents).map_err(|source| ReportError::Write {
        path: path.to_owned(),
        source,
    })
}
