//! The summary table printed at the end of `epochmem run`.

use crate::results::{ResultsFile, RunStatus};
use crate::units::format_bytes;

/// Formats one line per run: status, throughput, peaks with their sources, final
/// metrics, and whether they match the reference strategy.
pub fn summary_table(results: &ResultsFile) -> String {
    let header = [
        "strategy",
        "rep",
        "status",
        "samples/s",
        "retained peak (logical)",
        "CPU alloc peak (torch)",
        "CUDA alloc peak",
        "RSS peak",
        "train loss",
        "train acc",
        "metrics",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    let bytes = |value: Option<u64>| value.map_or("unavailable".to_owned(), format_bytes);
    for run in &results.runs {
        let summary = &run.summary;
        let metrics = if run.metric_check.metric_never_updated {
            "NEVER UPDATED".to_owned()
        } else {
            match summary.metrics_match_reference {
                Some(true) => "match".to_owned(),
                Some(false) => "MISMATCH".to_owned(),
                None => "-".to_owned(),
            }
        };
        let status = match run.status {
            RunStatus::Completed => "completed".to_owned(),
            other => format!("{} @ step {}", other.as_str(), summary.steps_completed),
        };
        rows.push(vec![
            run.strategy.clone(),
            run.repeat.to_string(),
            status,
            summary.samples_per_second.map_or("-".into(), |v| format!("{v:.0}")),
            bytes(summary.logical_peak_bytes),
            bytes(summary.torch_cpu_allocator_peak_bytes),
            bytes(summary.cuda_allocated_peak_bytes),
            bytes(summary.rss_peak_bytes),
            summary.final_train_loss.map_or("-".into(), |v| format!("{v:.4}")),
            summary.final_train_accuracy.map_or("-".into(), |v| format!("{:.1}%", v * 100.0)),
            metrics,
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for (index, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            text.push_str(&rule.join("  "));
            text.push('\n');
        }
    }
    let baseline: Vec<String> = results
        .runs
        .iter()
        .filter_map(|r| r.baseline_rss_bytes.map(|b| format!("{} {}", r.strategy, format_bytes(b))))
        .collect();
    if !baseline.is_empty() {
        text.push_str(&format!(
            "worker RSS before the first step (libtorch start-up, data, model; CUDA libraries {}): {}\n",
            if results.runs.iter().any(|r| r.cuda_libraries_loaded) { "loaded" } else { "not loaded" },
            baseline.join(", ")
        ));
    }
    for run in &results.runs {
        for difference in &run.metric_check.differences {
            text.push_str(&format!("metric mismatch: {}: {difference}\n", run.strategy));
        }
    }
    text
}
