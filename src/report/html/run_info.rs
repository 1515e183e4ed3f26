//! The "What was run" section: scenario, strategies, machine and invocation.

use maud::{html, Markup};

use super::column_headers;

use crate::report::format;
use crate::results::ResultsFile;
use crate::scenario::{
    BufferDevice, DataSpec, DigitsLayout, GrowthExpectation, ModelSpec, OptimizerKind, Scenario,
    StrategySpec,
};
use crate::units::format_bytes;

pub(super) fn what_was_run(results: &ResultsFile) -> Markup {
    let scenario = &results.scenario.resolved;
    let machine = &results.machine;
    let invocation = &results.invocation;
    html! {
        section #what-was-run {
            h2 { "What was run" }
            div.info-grid {
                div {
                    h3 { "Scenario" }
                    dl {
                        dt { "Name" } dd { (results.scenario.name) }
                        dt { "File" } dd { code { (results.scenario.path) } }
                        dt { "Model" } dd { (describe_model(&scenario.model)) }
                        dt { "Data" } dd { (describe_data(&scenario.data)) }
                        dt { "Training" } dd { (describe_training(scenario)) }
                        dt { "Seed" } dd { (scenario.seed) }
                        dt { "Repeats" } dd { (scenario.repeats) }
                    }
                }
                div {
                    h3 { "Machine" }
                    dl {
                        dt { "Host" } dd { (machine.hostname) }
                        dt { "OS" } dd { (machine.os) }
                        dt { "CPU" } dd { (machine.cpu_model) " (" (machine.logical_cores) " logical cores)" }
                        dt { "Memory" } dd { (format_bytes(machine.physical_memory_bytes)) }
                        dt { "libtorch" } dd { (machine.libtorch_version) " (tch " (machine.tch_version) ")" }
                        dt { "Device" } dd {
                            (machine.device_used) " (requested: " (machine.device_requested) ")"
                            @if let Some(name) = &machine.cuda_device_name { ", " (name) }
                        }
                    }
                }
                div {
                    h3 { "Invocation" }
                    dl {
                        dt { "Status" } dd { (format::invocation_status(invocation.status)) }
                        dt { "Started" } dd { (invocation.started_at) }
                        dt { "Finished" } dd { (invocation.finished_at.as_deref().unwrap_or("not finished")) }
                        dt { "Command" } dd { code { (invocation.command_line.join(" ")) } }
                        dt { "Host memory budget" } dd { (format_bytes(invocation.host_memory_budget_bytes)) " per run" }
                        dt { "Device memory budget" } dd {
                            @match invocation.device_memory_budget_bytes {
                                Some(bytes) => { (format_bytes(bytes)) " per run" },
                                None => "none",
                            }
                        }
                        dt { "Time limit" } dd {
                            @match invocation.time_limit_seconds {
                                Some(seconds) => { (seconds) " s per run" },
                                None => "none",
                            }
                        }
                    }
                }
            }
            h3 { "Strategies" }
            div.table-wrap { (strategies_table(&scenario.strategies)) }
        }
    }
}

fn strategies_table(strategies: &[StrategySpec]) -> Markup {
    html! {
        table {
            thead {
                tr {
                    (column_headers(&[
                        "Name", "Kind", "Holds", "Detach", "Buffer device",
                        "Cleared at epoch end", "Expected growth",
                    ]))
                }
            }
            tbody {
                @for strategy in strategies {
                    tr {
                        th scope="row" { (strategy.name) }
                        td { (strategy.kind.as_str()) }
                        td {
                            @if strategy.dead_hook {
                                "metric state, updated in a hook the loop never calls"
                            } @else if strategy.keep.is_empty() {
                                "metric state only"
                            } @else {
                                (strategy.keep.join(", "))
                            }
                        }
                        td { (yes_no(strategy.detach)) }
                        td {
                            @match strategy.device {
                                BufferDevice::Keep => "training device",
                                BufferDevice::Cpu => "cpu",
                            }
                        }
                        td { (yes_no(strategy.clear)) }
                        td {
                            @match strategy.expect {
                                Some(GrowthExpectation::Constant) => "constant",
                                Some(GrowthExpectation::Linear) => "linear",
                                None => "not set",
                            }
                        }
                    }
                }
            }
        }
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn describe_model(model: &ModelSpec) -> String {
    match model {
        ModelSpec::Mlp { hidden } => format!("mlp, hidden widths {hidden:?}"),
        ModelSpec::Cnn { channels, hidden } => format!("cnn, channels {channels:?}, hidden {hidden}"),
        ModelSpec::Transformer { d_model, heads, layers, feed_forward } => format!(
            "transformer, d_model {d_model}, {heads} heads, {layers} layers, feed-forward {feed_forward}"
        ),
        ModelSpec::Torchscript { path, .. } => format!("TorchScript module {}", path.display()),
    }
}

fn describe_data(data: &DataSpec) -> String {
    match data {
        DataSpec::Digits { path, layout } => {
            let layout = match layout {
                DigitsLayout::Flat => "flat [64]",
                DigitsLayout::Image => "image [1, 8, 8]",
            };
            format!("digits from {}, {layout}", path.display())
        }
        DataSpec::Synthetic {
            sample_shape,
            samples,
            classes,
        } => {
            format!("synthetic, {samples} samples of shape {sample_shape:?}, {classes} classes")
        }
        DataSpec::SyntheticTokens {
            sequence_length,
            vocabulary,
            samples,
            classes,
        } => format!(
            "synthetic tokens, {samples} sequences of {sequence_length} tokens from {vocabulary}, \
             {classes} classes"
        ),
    }
}

fn describe_training(scenario: &Scenario) -> String {
    let training = &scenario.training;
    let validation = if training.validation_split > 0.0 {
        format!(
            ", {:.0} % held out for validation",
            training.validation_split * 100.0
        )
    } else {
        String::new()
    };
    let optimizer = match training.optimizer {
        OptimizerKind::Sgd => "SGD",
        OptimizerKind::Adam => "Adam",
    };
    format!(
        "{} epochs, batch size {}, {optimizer} with learning rate {}{validation}, {} threads",
        training.epochs, training.batch_size, training.learning_rate, scenario.threads
    )
}
