//! HTML report, charts, CSV and Markdown summary of a results file.

use std::path::{Path, PathBuf};

use crate::results::ResultsFile;

/// Files one report rendering wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub index_html: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Renders the report of one results file into `out_dir`.
pub fn render_report(_results: &ResultsFile, _out_dir: &Path) -> anyhow::Result<ReportFiles> {
    anyhow::bail!("report rendering is not implemented yet")
}

/// Writes `reports_root/index.html` linking every scenario report below it.
pub fn render_index(_reports_root: &Path) -> anyhow::Result<PathBuf> {
    anyhow::bail!("report index is not implemented yet")
}
