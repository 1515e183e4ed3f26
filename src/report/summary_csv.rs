//! `summary.csv`: one row per run, serialized from [`RunSummary`] so that
//! the columns are the struct's field names and cannot drift from it.
//!
//! [`RunSummary`]: crate::results::RunSummary

use super::{Exporter, RenderedReport, ReportError};

pub(super) struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    /// NOTE: the csv crate writes the header together with the first row,
    /// so a results file without runs gives an empty file.
    fn render(&self, report: &RenderedReport) -> Result<Vec<u8>, ReportError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for run in &report.view.results.runs {
            writer.serialize(&run.summary)?;
        }
        writer
            .into_inner()
            .map_err(|error| ReportError::Csv(error.into_error().into()))
    }
}
