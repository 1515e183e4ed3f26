//! TorchScript models through the real binary: training under every
//! strategy, retained bytes against the analytic count, and the errors for
//! modules that cannot be trained. The fixtures come from
//! `scripts/make_torchscript_fixtures.py`, and the constants below repeat
//! their shapes.

mod torchscript_support;

use std::path::Path;

use epochmem::results::RunStatus;
use torchscript_support::{
    allocator_growth_bytes, batch_sizes, completed_run, fixtures, logical_peak_bytes,
    metric_outputs_bytes, run_scenario, validate_scenario,
};

/// Shapes of the fixtures, as the fixture script writes them.
const FEATURES: u64 = 16;
const EMBEDDING: u64 = 8;
const CLASSES: u64 = 4;
const SEQUENCE_LENGTH: u64 = 12;
const TOKEN_WIDTH: u64 = 16;

/// Builds a scenario for the traced MLP fixtures: 210 samples, 42 held out, so the
/// 168 training samples make five batches of 32 and one of 8.
fn mlp_scenario(name: &str, module: &Path, classes: u64, extra_outputs: &str) -> String {
    format!(
        r#"
name: {name}
seed: 3
model:
  kind: torchscript
  path: {module}
  input: {{shape: [{FEATURES}], dtype: float32}}
  extra_outputs: {extra_outputs}
data: {{kind: synthetic, sample_shape: [{FEATURES}], samples: 210, classes: {classes}}}
training: {{epochs: 3, batch_size: 32, learning_rate: 0.02, validation_split: 0.2}}
strategies:
  - kind: retain_all
  - kind: explicit_buffer
    keep: [loss, logits, targets]
  - kind: streaming
"#,
        module = module.display()
    )
}

const MLP_TRAIN_SAMPLES: u64 = 168;

#[test]
fn traced_tuple_module_trains_under_every_strategy() {
    let module = fixtures().join("mlp_tuple.pt");
    let yaml = mlp_scenario("traced", &module, CLASSES, "[{name: embedding, select: 1, shape: [8]}]")
        .replace("keep: [loss, logits, targets]", "keep: [loss, logits, targets, embedding]");
    let invocation = run_scenario(&yaml);
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    let results = invocation.results("traced").expect("results.json");

    let expected_bytes: u64 = batch_sizes(MLP_TRAIN_SAMPLES, 32)
        .into_iter()
        .map(|batch| metric_outputs_bytes(batch, CLASSES) + batch * EMBEDDING * 4)
        .sum();
    for name in ["retain_all", "explicit_buffer"] {
        let run = completed_run(&results, name);
        assert_eq!(run.analytic_retained_bytes_per_epoch, Some(expected_bytes), "{name}");
        assert_eq!(logical_peak_bytes(run), expected_bytes, "{name}");
        for epoch in [2, 3] {
            assert_eq!(allocator_growth_bytes(run, epoch), expected_bytes as i64, "{name} epoch {epoch}");
        }
    }
    let streaming = completed_run(&results, "streaming");
    assert_eq!(streaming.analytic_retained_bytes_per_epoch, Some(0));
    assert_eq!(logical_peak_bytes(streaming), 0);

    for run in &results.runs {
        assert_eq!(run.metric_check.matches_reference, Some(true), "{}: {:?}", run.strategy, run.metric_check);
    }
    let accuracy = streaming.epochs.last().unwrap().train.accuracy.unwrap();
    assert!(accuracy > 0.4, "train accuracy {accuracy} is near chance (0.25)");
}

#[test]
fn scripted_dict_module_trains_on_tokens() {
    let module = fixtures().join("tokens_dict.pt");
    let yaml = format!(
        r#"
name: scripted
seed: 5
model:
  kind: torchscript
  path: {module}
  input: {{shape: [{SEQUENCE_LENGTH}], dtype: int64}}
  logits: logits
  extra_outputs:
    - {{name: token_states, select: token_states, shape: [{SEQUENCE_LENGTH}, {TOKEN_WIDTH}], dtype: float32}}
data: {{kind: synthetic_tokens, sequence_length: {SEQUENCE_LENGTH}, vocabulary: 32, samples: 150, classes: {CLASSES}}}
training: {{epochs: 3, batch_size: 32, learning_rate: 0.01}}
strategies:
  - kind: retain_all
  - kind: explicit_buffer
    keep: [loss, logits, targets, token_states]
  - kind: streaming
"#,
        module = module.display()
    );
    let invocation = run_scenario(&yaml);
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    let results = invocation.results("scripted").expect("results.json");

    let expected_bytes: u64 = batch_sizes(150, 32)
        .into_iter()
        .map(|batch| metric_outputs_bytes(batch, CLASSES) + batch * SEQUENCE_LENGTH * TOKEN_WIDTH * 4)
        .sum();
    for name in ["retain_all", "explicit_buffer"] {
        let run = completed_run(&results, name);
        assert_eq!(run.analytic_retained_bytes_per_epoch, Some(expected_bytes), "{name}");
        assert_eq!(logical_peak_bytes(run), expected_bytes, "{name}");
        assert_eq!(allocator_growth_bytes(run, 2), expected_bytes as i64, "{name}");
    }
    for run in &results.runs {
        assert_eq!(run.metric_check.matches_reference, Some(true), "{}: {:?}", run.strategy, run.metric_check);
    }
}

#[test]
fn undeclared_output_shape_has_no_analytic_bytes() {
    let module = fixtures().join("mlp_tuple.pt");
    let yaml = mlp_scenario("undeclared", &module, CLASSES, "[{name: embedding, select: 1}]");
    let invocation = run_scenario(&yaml);
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    let results = invocation.results("undeclared").expect("results.json");

    let metric_bytes: u64 =
        batch_sizes(MLP_TRAIN_SAMPLES, 32).into_iter().map(|batch| metric_outputs_bytes(batch, CLASSES)).sum();
    let retain_all = completed_run(&results, "retain_all");
    assert_eq!(retain_all.analytic_retained_bytes_per_epoch, None);
    assert_eq!(logical_peak_bytes(retain_all), metric_bytes + MLP_TRAIN_SAMPLES * EMBEDDING * 4);
    let explicit_buffer = completed_run(&results, "explicit_buffer");
    assert_eq!(explicit_buffer.analytic_retained_bytes_per_epoch, Some(metric_bytes));
}

/// Each case: fixture file, scenario edit, and texts the error must contain.
struct BadModuleCase {
    name: &'static str,
    file: &'static str,
    classes: u64,
    extra_outputs: &'static str,
    expected: &'static [&'static str],
}

const BAD_MODULE_CASES: &[BadModuleCase] = &[
    BadModuleCase {
        name: "frozen parameters",
        file: "frozen.pt",
        classes: CLASSES,
        extra_outputs: "[]",
        expected: &["model.path", "no trainable parameters", "requires_grad=True"],
    },
    BadModuleCase {
        name: "state dict instead of TorchScript",
        file: "not_torchscript.pt",
        classes: CLASSES,
        extra_outputs: "[]",
        expected: &["not a loadable TorchScript module", "state dict", "torch.jit.save"],
    },
    BadModuleCase {
        name: "missing file",
        file: "no_such_module.pt",
        classes: CLASSES,
        extra_outputs: "[]",
        expected: &["model.path", "not found"],
    },
    BadModuleCase {
        name: "declared extra output shape differs",
        file: "mlp_tuple.pt",
        classes: CLASSES,
        extra_outputs: "[{name: embedding, select: 1, shape: [9]}]",
        expected: &["model.extra_outputs[0]", "\"embedding\"", "[32, 8] float32", "[32, 9] float32"],
    },
    BadModuleCase {
        name: "declared extra output dtype differs",
        file: "mlp_tuple.pt",
        classes: CLASSES,
        extra_outputs: "[{name: embedding, select: 1, shape: [8], dtype: float16}]",
        expected: &["\"embedding\"", "[32, 8] float32", "[32, 8] float16"],
    },
    BadModuleCase {
        name: "logits do not match the data's classes",
        file: "mlp_tuple.pt",
        classes: 5,
        extra_outputs: "[]",
        expected: &["model.logits", "[32, 4] float32", "[32, 5] float32"],
    },
    BadModuleCase {
        name: "extra output index out of range",
        file: "mlp_tuple.pt",
        classes: CLASSES,
        extra_outputs: "[{name: scores, select: 2}]",
        expected: &["at index 2", "not found", "a tuple of 2 values"],
    },
];

#[test]
fn bad_modules_exit_2_naming_the_file() {
    for case in BAD_MODULE_CASES {
        let module = fixtures().join(case.file);
        let yaml = mlp_scenario("bad", &module, case.classes, case.extra_outputs);
        let invocation = run_scenario(&yaml);
        assert_eq!(invocation.exit_code, Some(2), "{}: {}", case.name, invocation.stderr);
        let module_text = module.display().to_string();
        assert!(invocation.stderr.contains(&module_text), "{}: {}", case.name, invocation.stderr);
        for expected in case.expected {
            assert!(invocation.stderr.contains(expected), "{}: no {expected:?} in {}", case.name, invocation.stderr);
        }
        assert!(
            !invocation.folder.path().join("reports").exists(),
            "{}: a rejected scenario left a reports folder",
            case.name
        );
    }
}

#[test]
fn validate_command_loads_the_module() {
    let frozen = mlp_scenario("frozen", &fixtures().join("frozen.pt"), CLASSES, "[]");
    let invocation = validate_scenario(&frozen);
    assert_eq!(invocation.exit_code, Some(2), "{}", invocation.stderr);
    assert!(invocation.stderr.contains("frozen.pt"), "{}", invocation.stderr);
    assert!(invocation.stderr.contains("no trainable parameters"), "{}", invocation.stderr);

    let traced = mlp_scenario("traced", &fixtures().join("mlp_tuple.pt"), CLASSES, "[]");
    let invocation = validate_scenario(&traced);
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    assert!(invocation.stdout.contains("valid"), "{}", invocation.stdout);
}

#[test]
fn forward_failure_in_worker_is_a_crashed_run() {
    // The probe batch has 8 samples, so the module passes the parent's check;
    // the last training batch has 4 and fails inside the workers.
    let module = fixtures().join("fixed_batch.pt");
    let yaml = format!(
        r#"
name: fixed_batch
seed: 3
model:
  kind: torchscript
  path: {module}
  input: {{shape: [{FEATURES}]}}
data: {{kind: synthetic, sample_shape: [{FEATURES}], samples: 20, classes: {CLASSES}}}
training: {{epochs: 2, batch_size: 8, learning_rate: 0.01}}
strategies:
  - kind: retain_all
  - kind: streaming
"#,
        module = module.display()
    );
    let invocation = run_scenario(&yaml);
    assert_eq!(invocation.exit_code, Some(0), "{}", invocation.stderr);
    let results = invocation.results("fixed_batch").expect("results.json");

    assert_eq!(results.runs.len(), 2);
    for run in &results.runs {
        assert_eq!(run.status, RunStatus::Crashed, "{}", run.strategy);
        let failure = run.failure.as_ref().expect("a crashed run has a failure");
        assert!(failure.message.contains(&module.display().to_string()), "{}", failure.message);
        assert!(failure.message.contains("forward failed"), "{}", failure.message);
        assert_eq!(failure.step_reached, 2, "{}", failure.message);
    }
}
