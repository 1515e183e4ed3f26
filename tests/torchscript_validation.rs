//! Scenario validation of TorchScript model entries, and the analytic byte
//! counts of declared outputs. No module is loaded: validation only needs
//! the file to exist.

use std::path::{Path, PathBuf};

use epochmem::analytic::{epoch_outputs_bytes, output_bytes_per_sample};
use epochmem::scenario::{parse_scenario, ModelSpec, OutputDtype, Scenario, ScenarioError};
use tempfile::TempDir;

/// Creates a folder with an empty `model.pt`, which is all validation looks at.
fn module_folder() -> TempDir {
    let folder = tempfile::tempdir().expect("create a temporary folder");
    std::fs::write(folder.path().join("model.pt"), b"").expect("write model.pt");
    folder
}

fn scenario_text(model: &str, data: &str) -> String {
    format!(
        r#"
seed: 1
model: {model}
data: {data}
training: {{epochs: 1, batch_size: 10, learning_rate: 0.01}}
strategies: [{{kind: retain_all}}, {{kind: streaming}}]
"#
    )
}

fn parse(folder: &TempDir, model: &str, data: &str) -> Result<Scenario, ScenarioError> {
    let path: PathBuf = folder.path().join("scenario.yaml");
    parse_scenario(&scenario_text(model, data), &path)
}

fn invalid_key(error: ScenarioError) -> (String, String) {
    match error {
        ScenarioError::Invalid { key, message, .. } => (key, message),
        other => panic!("expected an invalid-key error, got {other}"),
    }
}

const FEATURES_DATA: &str = "{kind: synthetic, sample_shape: [16], samples: 40, classes: 4}";
const TOKEN_DATA: &str =
    "{kind: synthetic_tokens, sequence_length: 12, vocabulary: 32, samples: 40, classes: 4}";

#[test]
fn input_matching_the_data_is_accepted() {
    let folder = module_folder();
    let cases = [
        ("{kind: torchscript, path: model.pt, input: {shape: [16]}}", FEATURES_DATA),
        ("{kind: torchscript, path: model.pt, input: {shape: [12], dtype: int64}}", TOKEN_DATA),
        ("{kind: torchscript, path: model.pt, input: {shape: [64], dtype: float32}}", "{kind: digits}"),
        ("{kind: torchscript, path: model.pt, input: {shape: [1, 8, 8]}}", "{kind: digits, layout: image}"),
    ];
    for (model, data) in cases {
        let scenario = parse(&folder, model, data).unwrap_or_else(|error| panic!("{model}: {error}"));
        let ModelSpec::Torchscript { path, .. } = &scenario.model else { panic!("not a torchscript model") };
        assert_eq!(path, &folder.path().join("model.pt"), "{model}");
    }
}

#[test]
fn input_not_matching_the_data_is_rejected() {
    let folder = module_folder();
    let cases = [
        ("{kind: torchscript, path: model.pt, input: {shape: [4, 4]}}", FEATURES_DATA, "model.input.shape", "[16]"),
        ("{kind: torchscript, path: model.pt, input: {shape: [16], dtype: int64}}", FEATURES_DATA, "model.input.dtype", "synthetic_tokens"),
        ("{kind: torchscript, path: model.pt, input: {shape: [12]}}", TOKEN_DATA, "model.input.dtype", "dtype: int64"),
        ("{kind: torchscript, path: model.pt, input: {shape: [11], dtype: int64}}", TOKEN_DATA, "model.input.shape", "[12]"),
        ("{kind: torchscript, path: model.pt, input: {shape: [1, 8, 8]}}", "{kind: digits}", "model.input.shape", "[64]"),
    ];
    for (model, data, expected_key, expected_text) in cases {
        let error = parse(&folder, model, data).expect_err(model);
        let (key, message) = invalid_key(error);
        assert_eq!(key, expected_key, "{model}: {message}");
        assert!(message.contains(expected_text), "{model}: {message}");
    }
}

#[test]
fn missing_input_is_a_syntax_error() {
    let folder = module_folder();
    let error = parse(&folder, "{kind: torchscript, path: model.pt}", FEATURES_DATA).expect_err("no input");
    assert!(matches!(error, ScenarioError::Syntax { .. }), "{error}");
    assert!(error.to_string().contains("missing field `input`"), "{error}");
}

#[test]
fn missing_module_file_names_the_path() {
    let folder = module_folder();
    let model = "{kind: torchscript, path: absent.pt, input: {shape: [16]}}";
    let (key, message) = invalid_key(parse(&folder, model, FEATURES_DATA).expect_err("absent"));
    assert_eq!(key, "model.path");
    assert!(message.contains(&Path::new(folder.path()).join("absent.pt").display().to_string()), "{message}");
}

#[test]
fn declared_output_shape_enters_analytic_bytes() {
    let folder = module_folder();
    let model = "{kind: torchscript, path: model.pt, input: {shape: [16]}, extra_outputs: [\
                 {name: embedding, select: 1, shape: [8]}, \
                 {name: half_scores, select: 2, shape: [3, 2], dtype: float16}]}";
    let scenario = parse(&folder, model, FEATURES_DATA).expect("valid");

    let ModelSpec::Torchscript { extra_outputs, .. } = &scenario.model else { panic!("not a torchscript model") };
    assert_eq!(extra_outputs[0].dtype, Some(OutputDtype::Float32), "dtype defaults to float32 with a shape");
    assert_eq!(output_bytes_per_sample(&scenario, "embedding"), Some(8 * 4));
    assert_eq!(output_bytes_per_sample(&scenario, "half_scores"), Some(6 * 2));

    // Four batches of 10: loss 4 bytes, logits 10 x 4 x 4, targets 10 x 8,
    // embedding 10 x 32, half_scores 10 x 12.
    let per_step = 4 + 160 + 80 + 320 + 120;
    let everything = scenario.produced_outputs();
    assert_eq!(epoch_outputs_bytes(&scenario, &everything, 40), Some(4 * per_step));
}

#[test]
fn undeclared_output_shape_leaves_analytic_bytes_unknown() {
    let folder = module_folder();
    let model = "{kind: torchscript, path: model.pt, input: {shape: [16]}, extra_outputs: [\
                 {name: embedding, select: 1}, {name: flags, select: 2, dtype: bool}]}";
    let scenario = parse(&folder, model, FEATURES_DATA).expect("an undeclared shape is valid");

    let ModelSpec::Torchscript { extra_outputs, .. } = &scenario.model else { panic!("not a torchscript model") };
    assert_eq!(extra_outputs[0].dtype, None);
    assert_eq!(extra_outputs[1].dtype, Some(OutputDtype::Bool));
    assert_eq!(output_bytes_per_sample(&scenario, "embedding"), None);
    assert_eq!(output_bytes_per_sample(&scenario, "flags"), None);
    let everything = scenario.produced_outputs();
    assert_eq!(epoch_outputs_bytes(&scenario, &everything, 40), None);
    let metric_outputs: Vec<String> = ["loss", "logits", "targets"].map(String::from).to_vec();
    assert_eq!(epoch_outputs_bytes(&scenario, &metric_outputs, 40), Some(4 * (4 + 160 + 80)));
}

#[test]
fn extra_output_names_must_be_new_and_distinct() {
    let folder = module_folder();
    let cases = [
        ("[{name: logits, select: 1}]", "built-in output name"),
        ("[{name: hidden, select: 1}]", "built-in output name"),
        ("[{name: scores, select: 1}, {name: scores, select: 2}]", "listed twice"),
    ];
    for (extra_outputs, expected) in cases {
        let model = format!("{{kind: torchscript, path: model.pt, input: {{shape: [16]}}, extra_outputs: {extra_outputs}}}");
        let (key, message) = invalid_key(parse(&folder, &model, FEATURES_DATA).expect_err(extra_outputs));
        assert!(key.starts_with("model.extra_outputs["), "{extra_outputs}: {key}");
        assert!(message.contains(expected), "{extra_outputs}: {message}");
    }
}

#[test]
fn oversized_declared_output_is_rejected_before_running() {
    let folder = module_folder();
    let model = "{kind: torchscript, path: model.pt, input: {shape: [16]}, extra_outputs: [\
                 {name: huge, select: 1, shape: [1000000, 1000000]}]}";
    let (key, message) = invalid_key(parse(&folder, model, FEATURES_DATA).expect_err("too large"));
    assert_eq!(key, "step_outputs");
    assert!(message.contains("host memory budget"), "{message}");
}
