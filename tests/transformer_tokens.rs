//! The built-in transformer through the real binary: per-token hidden
//! states held by retain_all against the analytic count, equal metrics
//! across strategies, and learning above chance.

mod torchscript_support;

use std::path::Path;

use epochmem::scenario::{load_scenario, ModelSpec};
use torchscript_support::{
    allocator_growth_bytes, batch_sizes, completed_run, logical_peak_bytes, metric_outputs_bytes,
    run_scenario,
};

const SEQUENCE_LENGTH: u64 = 16;
const D_MODEL: u64 = 16;
const CLASSES: u64 = 4;
/// 120 samples with 30 held out: five batches of 16 and one of 10.
const TRAIN_SAMPLES: u64 = 90;

fn tiny_scenario() -> String {
    format!(
        r#"
name: tiny_transformer
seed: 21
model: {{kind: transformer, d_model: {D_MODEL}, heads: 2, layers: 1, feed_forward: 32}}
data: {{kind: synthetic_tokens, sequence_length: {SEQUENCE_LENGTH}, vocabulary: 32, samples: 120, classes: {CLASSES}}}
training: {{epochs: 3, batch_size: 16, learning_rate: 0.005, validation_split: 0.25}}
step_outputs: {{hidden: true}}
strategies:
  - kind: retain_all
  - kind: explicit_buffer
  - kind: streaming
"#
    )
}

#[test]
fn retain_all_holds_per_token_states() {
    let invocation = run_scenario(&tiny_scenario());
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    let results = invocation.results("tiny_transformer").expect("results.json");

    let batches = batch_sizes(TRAIN_SAMPLES, 16);
    let metric_bytes: u64 = batches.iter().map(|batch| metric_outputs_bytes(*batch, CLASSES)).sum();
    let hidden_bytes: u64 = batches.iter().map(|batch| batch * SEQUENCE_LENGTH * D_MODEL * 4).sum();

    let retain_all = completed_run(&results, "retain_all");
    assert_eq!(retain_all.analytic_retained_bytes_per_epoch, Some(metric_bytes + hidden_bytes));
    assert_eq!(logical_peak_bytes(retain_all), metric_bytes + hidden_bytes);
    for epoch in [2, 3] {
        assert_eq!(allocator_growth_bytes(retain_all, epoch), (metric_bytes + hidden_bytes) as i64, "epoch {epoch}");
    }

    let explicit_buffer = completed_run(&results, "explicit_buffer");
    assert_eq!(explicit_buffer.analytic_retained_bytes_per_epoch, Some(metric_bytes));
    assert_eq!(logical_peak_bytes(explicit_buffer), metric_bytes);

    let streaming = completed_run(&results, "streaming");
    assert_eq!(logical_peak_bytes(streaming), 0);

    for run in &results.runs {
        assert_eq!(run.metric_check.matches_reference, Some(true), "{}: {:?}", run.strategy, run.metric_check);
    }
    let last = streaming.epochs.last().expect("three epochs");
    let accuracy = last.validation.and_then(|v| v.accuracy).expect("validation accuracy");
    assert!(accuracy > 0.5, "validation accuracy {accuracy} after 3 epochs; chance is 0.25");
}

#[test]
fn shipped_transformer_scenario_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/transformer_tokens.yaml");
    let scenario = load_scenario(&path).unwrap_or_else(|error| panic!("{error}"));
    assert!(matches!(scenario.model, ModelSpec::Transformer { .. }));
    assert!(scenario.step_outputs.hidden, "the scenario exists to show per-token retention");
    let kinds: Vec<&str> = scenario.strategies.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["retain_all", "explicit_buffer", "streaming"]);
}
