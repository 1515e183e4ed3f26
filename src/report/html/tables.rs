//! The per-run summary tables and the per-epoch table of the report page.

use maud::{html, Markup};

use super::column_headers;

use crate::report::format::{self, UNAVAILABLE};
use crate::report::palette::css_hex;
use crate::report::view::{format_bytes_per_step, run_peak, signal_title, ReportView};
use crate::results::{EpochRecord, RunRecord, RunStatus, Signal};
use crate::units::{format_bytes, format_signed_bytes};

pub(super) fn summary_section(view: &ReportView) -> Markup {
    let signals = view.measured_signals();
    let unavailable = view.unavailable_signals();
    html! {
        section #summary {
            h2 { "Summary" }
            h3 { "Memory" }
            p.note {
                "Peak of each signal over the run. The source under each heading names where the "
                "figure comes from, so compare within a column, not across. The RSS peak is the "
                "worker's high-water mark over training, reset after start-up and data loading."
            }
            div.table-wrap { (memory_table(view, &signals)) }
            @if !unavailable.is_empty() {
                p.note {
                    "Not measured in any run: "
                    @for (index, (signal, reason)) in unavailable.iter().enumerate() {
                        @if index > 0 { "; " }
                        (signal_title(*signal)) " (" (reason) ")"
                    }
                    "."
                }
            }
            h3 { "Speed and epoch metrics" }
            div.table-wrap { (speed_table(view)) }
        }
    }
}

/// Headers of the cells that [`run_cells`] renders.
const RUN_COLUMNS: [&str; 3] = ["Strategy", "Repeat", "Status"];

/// Renders strategy, repeat and status: the first cells of every per-run row.
fn run_cells(view: &ReportView, run: &RunRecord) -> Markup {
    let failed = run.status != RunStatus::Completed;
    html! {
        th scope="row" {
            span.swatch style=(format!("background:{}", css_hex(view.colour_of(&run.strategy)))) {}
            (run.strategy)
        }
        td.num { (run.repeat) }
        td.status.failed[failed] { (run.status.as_str()) }
    }
}

fn memory_table(view: &ReportView, signals: &[Signal]) -> Markup {
    html! {
        table {
            thead {
                tr {
                    (column_headers(&RUN_COLUMNS))
                    @for signal in signals {
                        th scope="col" {
                            (signal_title(*signal)) br;
                            small { "source: " (signal.source().as_str()) }
                        }
                    }
                    th scope="col" { "Theoretical retained per epoch" br; small { "from shapes" } }
                    th scope="col" { "Retained growth" br; small { "within an epoch" } }
                    th scope="col" { "Baseline RSS" br; small { "source: rss" } }
                }
            }
            tbody {
                @for strategy in &view.strategies {
                    @for run in &strategy.runs {
                        tr {
                            (run_cells(view, run))
                            @for signal in signals {
                                (peak_cell(run, *signal))
                            }
                            (optional_bytes_cell(run.analytic_retained_bytes_per_epoch, None))
                            @match &run.growth {
                                Some(growth) => td.num {
                                    (format_bytes_per_step(growth.bytes_per_step))
                                },
                                None => td.unavailable { (UNAVAILABLE) },
                            }
                            (optional_bytes_cell(run.baseline_rss_bytes, None))
                        }
                    }
                }
            }
        }
    }
}

fn peak_cell(run: &RunRecord, signal: Signal) -> Markup {
    let reason = run
        .peaks
        .iter()
        .find(|peak| peak.signal == signal)
        .and_then(|peak| peak.unavailable_reason.as_deref());
    optional_bytes_cell(run_peak(run, signal), reason)
}

/// Renders a byte figure, or "unavailable" with the reason as a tooltip.
fn optional_bytes_cell(bytes: Option<u64>, reason: Option<&str>) -> Markup {
    html! {
        @match bytes {
            Some(bytes) => td.num { (format_bytes(bytes)) },
            None => td.unavailable title=[reason] { (UNAVAILABLE) },
        }
    }
}

fn speed_table(view: &ReportView) -> Markup {
    let show_validation = view.results.runs.iter().any(|run| {
        run.summary.final_validation_loss.is_some()
            || run.summary.final_validation_accuracy.is_some()
    });
    html! {
        table {
            thead {
                tr {
                    (column_headers(&RUN_COLUMNS))
                    (column_headers(&["Steps", "Wall time"]))
                    th scope="col" { "Throughput" br; small { "samples/s, after warm-up" } }
                    th scope="col" { "Warm-up throughput" br; small { "samples/s, first epoch" } }
                    (column_headers(&["Final train loss", "Final train accuracy"]))
                    @if show_validation {
                        (column_headers(&["Final validation loss", "Final validation accuracy"]))
                    }
                    (column_headers(&["Metrics vs reference"]))
                }
            }
            tbody {
                @for strategy in &view.strategies {
                    @for run in &strategy.runs {
                        @let summary = &run.summary;
                        @let check = format::metric_match(
                            run.metric_check.matches_reference,
                            run.metric_check.metric_never_updated,
                        );
                        tr {
                            (run_cells(view, run))
                            td.num { (summary.steps_completed) }
                            td.num { (format::seconds(run.wall_seconds)) }
                            (text_cell(format::optional_samples_per_second(summary.samples_per_second)))
                            (text_cell(format::optional_samples_per_second(summary.warmup_samples_per_second)))
                            (text_cell(format::loss(summary.final_train_loss)))
                            (text_cell(format::accuracy(summary.final_train_accuracy)))
                            @if show_validation {
                                (text_cell(format::loss(summary.final_validation_loss)))
                                (text_cell(format::accuracy(summary.final_validation_accuracy)))
                            }
                            td.check.failed[check != "match"] { (check) }
                        }
                    }
                }
            }
        }
    }
}

/// Renders a numeric cell, styled as unavailable when `text` is
/// [`UNAVAILABLE`].
fn text_cell(text: String) -> Markup {
    html! {
        @if text == UNAVAILABLE {
            td.unavailable { (text) }
        } @else {
            td.num { (text) }
        }
    }
}

pub(super) fn epochs_section(view: &ReportView) -> Markup {
    let show_validation = view
        .results
        .runs
        .iter()
        .flat_map(|run| &run.epochs)
        .any(|epoch| epoch.validation.is_some());
    let show_cuda = view
        .results
        .runs
        .iter()
        .flat_map(|run| &run.epochs)
        .any(|epoch| epoch.memory.cuda_left_behind_bytes.is_some());
    let columns = EpochColumns {
        show_validation,
        show_cuda,
    };
    html! {
        section #epochs {
            h2 { "Epochs" }
            p.note {
                "Retained bytes come from the strategy's own count (source: logical); allocator "
                "figures from libtorch's CPU allocator (source: torch_cpu_allocator). Left behind "
                "is the allocator's bytes after the epoch-end hooks and validation minus its bytes "
                "at the epoch start."
            }
            div.table-wrap {
                table {
                    thead { (columns.header()) }
                    tbody {
                        @for strategy in &view.strategies {
                            @for run in &strategy.runs {
                                @for epoch in &run.epochs {
                                    tr {
                                        (run_cells(view, run))
                                        (columns.cells(epoch))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Optional column groups of the epoch table.
struct EpochColumns {
    show_validation: bool,
    show_cuda: bool,
}

impl EpochColumns {
    fn header(&self) -> Markup {
        html! {
            tr {
                (column_headers(&RUN_COLUMNS))
                (column_headers(&["Epoch", "Steps", "Samples/s", "Train loss", "Train accuracy"]))
                @if self.show_validation {
                    (column_headers(&["Validation loss", "Validation accuracy"]))
                }
                (column_headers(&[
                    "Retained before epoch end", "Retained after epoch end",
                    "CPU allocator peak", "CPU left behind",
                ]))
                @if self.show_cuda {
                    (column_headers(&["CUDA left behind"]))
                }
            }
        }
    }

    fn cells(&self, epoch: &EpochRecord) -> Markup {
        let memory = &epoch.memory;
        html! {
            td.num {
                (epoch.epoch)
                @if epoch.warmup { " " small { "(warm-up)" } }
            }
            td.num { (epoch.steps) }
            td.num { (format::samples_per_second(epoch.samples_per_second)) }
            (text_cell(format::loss(epoch.train.mean_loss)))
            (text_cell(format::accuracy(epoch.train.accuracy)))
            @if self.show_validation {
                (text_cell(format::loss(epoch.validation.and_then(|v| v.mean_loss))))
                (text_cell(format::accuracy(epoch.validation.and_then(|v| v.accuracy))))
            }
            td.num { (format_bytes(memory.retained_bytes_before_epoch_end)) }
            td.num { (format_bytes(memory.retained_bytes_after_epoch_end)) }
            td.num { (format_bytes(memory.cpu_peak_bytes)) }
            td.num { (format_signed_bytes(memory.cpu_left_behind_bytes)) }
            @if self.show_cuda {
                @match memory.cuda_left_behind_bytes {
                    Some(bytes) => td.num { (format_signed_bytes(bytes)) },
                    None => td.unavailable { (UNAVAILABLE) },
                }
            }
        }
    }
}
