//! Malformed, hostile and impossible scenarios: each gives one error that
//! names the file, the key and the fix, exits with status 2, and leaves no
//! results behind.

mod common;

use std::process::Command;

use common::*;

const VALID: &str = "seed: 1
model: {kind: mlp, hidden: [8]}
data: {kind: synthetic, sample_shape: [4], samples: 64, classes: 2}
training:
  epochs: 1
  batch_size: 8
  learning_rate: 0.01
strategies:
  - kind: streaming
";

struct Case {
    name: &'static str,
    yaml: String,
    expected: &'static [&'static str],
}

fn with(find: &str, replace: &str) -> String {
    assert!(VALID.contains(find), "{find} not in the valid scenario");
    VALID.replacen(find, replace, 1)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "unknown key",
            yaml: format!("{VALID}bogus: 1\n"),
            expected: &[":10:1:", "unknown field `bogus`", "expected one of"],
        },
        Case {
            name: "wrong type",
            yaml: with("seed: 1", "seed: one"),
            expected: &[":1:7:", "seed", "invalid type"],
        },
        Case {
            name: "zero batch size",
            yaml: with("batch_size: 8", "batch_size: 0"),
            expected: &[":6:15:", "training.batch_size", "nonzero"],
        },
        Case {
            name: "negative size",
            yaml: with("samples: 64", "samples: -64"),
            expected: &[":3:1:", "data.samples", "-64", "nonzero"],
        },
        Case {
            name: "negative learning rate",
            yaml: with("learning_rate: 0.01", "learning_rate: -0.5"),
            expected: &["learning_rate", "-0.5", "greater than 0"],
        },
        Case {
            name: "nan learning rate",
            yaml: with("learning_rate: 0.01", "learning_rate: .nan"),
            expected: &["learning_rate", "NaN"],
        },
        Case {
            name: "kept output never produced",
            yaml: with("- kind: streaming", "- kind: explicit_buffer\n    keep: [loss, logits, targets, hidden]"),
            expected: &["strategies[0].keep", "\"hidden\"", "no training_step produces it", "step_outputs"],
        },
        Case {
            name: "buffer without metric inputs",
            yaml: with("- kind: streaming", "- kind: explicit_buffer\n    keep: [loss]"),
            expected: &["strategies[0].keep", "add logits, targets"],
        },
        Case {
            name: "missing data file",
            yaml: with(
                "data: {kind: synthetic, sample_shape: [4], samples: 64, classes: 2}",
                "data: {kind: digits, path: no-such-digits.csv.gz}",
            ),
            expected: &["data.path", "no-such-digits.csv.gz", "not found"],
        },
        Case {
            name: "data path is a directory",
            yaml: with(
                "data: {kind: synthetic, sample_shape: [4], samples: 64, classes: 2}",
                "data: {kind: digits, path: .}",
            ),
            expected: &["data.path", "is a directory"],
        },
        Case {
            name: "unknown device",
            yaml: format!("{VALID}device: tpu\n"),
            expected: &["device", "\"tpu\"", "cpu, cuda, cuda:N or auto"],
        },
        Case {
            name: "unknown strategy kind",
            yaml: with("- kind: streaming", "- kind: keep_everything"),
            expected: &["strategies[0].kind", "unknown kind `keep_everything`", "retain_all"],
        },
        Case {
            name: "misspelled strategy option",
            yaml: with("- kind: streaming", "- kind: explicit_buffer\n    kep: [loss]"),
            expected: &["strategies[0].kep", "unknown field", "keep"],
        },
        Case {
            name: "missing model kind",
            yaml: with("model: {kind: mlp, hidden: [8]}", "model: {hidden: [8]}"),
            expected: &[":2:1:", "model", "missing the `kind:` key"],
        },
        Case {
            // Found by the scenario_parse fuzz target: an empty tag panicked.
            name: "empty model kind",
            yaml: with("model: {kind: mlp, hidden: [8]}", "model: {kind: \"\", hidden: [8]}"),
            expected: &["model.kind", "invalid value \"\""],
        },
        Case {
            name: "multi-line strategy kind",
            yaml: with("- kind: streaming", "- kind: |\n      !streaming"),
            expected: &["strategies[0].kind", "invalid value"],
        },
        Case {
            name: "duplicate strategy names",
            yaml: format!("{VALID}  - kind: streaming\n"),
            expected: &["strategies[1].name", "already used by strategies[0]"],
        },
        Case {
            name: "no strategies",
            yaml: with("strategies:\n  - kind: streaming\n", "strategies: []\n"),
            expected: &["strategies", "at least one"],
        },
        Case {
            name: "absurd payload",
            // 10^15 float32 elements per sample.
            yaml: format!("{VALID}step_outputs:\n  payload: {{shape: [1000000, 1000000, 1000]}}\n"),
            expected: &["step_outputs", "32000000000000132 bytes", "PiB", "host memory budget"],
        },
        Case {
            name: "overflowing payload",
            yaml: format!("{VALID}step_outputs:\n  payload: {{shape: [4294967296, 4294967296, 4294967296]}}\n"),
            expected: &["step_outputs", "overflow"],
        },
        Case {
            name: "absurd data set",
            yaml: with("samples: 64", "samples: 1000000000000000"),
            expected: &["data", "host memory", "lower"],
        },
        Case {
            name: "cnn on flat samples",
            yaml: with("model: {kind: mlp, hidden: [8]}", "model: {kind: cnn, channels: [4, 8], hidden: 16}"),
            expected: &["model.kind", "image-shaped"],
        },
        Case {
            name: "split leaves no validation data",
            yaml: with("learning_rate: 0.01", "learning_rate: 0.01\n  validation_split: 0.001"),
            expected: &["training.validation_split", "at least one"],
        },
        Case {
            name: "deeply nested yaml",
            yaml: format!("{VALID}description: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            expected: &["description", "invalid type"],
        },
        Case {
            name: "alias bomb",
            yaml: {
                let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
                for level in 1..12 {
                    let refs = vec![format!("*a{}", level - 1); 10].join(", ");
                    text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
                }
                text
            },
            expected: &["unknown field `a0`"],
        },
        Case {
            name: "not yaml",
            yaml: "\u{0}\u{1}{[}: :".to_owned(),
            expected: &["scenario.yaml"],
        },
    ]
}

#[test]
fn validate_rejects_each_malformed_case() {
    let workspace = Workspace::new();
    for case in cases() {
        let path = workspace.write("scenario.yaml", &case.yaml);
        let output = Command::new(BINARY).arg("validate").arg(&path).output().unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "case {:?}: {message}", case.name);
        assert!(message.contains("scenario.yaml"), "case {:?} names no file: {message}", case.name);
        for fragment in case.expected {
            assert!(message.contains(fragment), "case {:?}: {fragment:?} missing from: {message}", case.name);
        }
        assert!(!message.contains("panicked"), "case {:?} panicked: {message}", case.name);
    }
}

#[test]
fn run_leaves_nothing_behind_on_invalid_scenario() {
    let workspace = Workspace::new();
    for case in cases().into_iter().take(5) {
        let output = workspace.run(&case.yaml, &[]);
        assert_eq!(output.status.code(), Some(2), "case {:?}: {}", case.name, stderr(&output));
        assert!(!workspace.reports().exists(), "case {:?} created the reports folder", case.name);
    }
}

#[test]
fn scenario_path_problems_are_reported() {
    let workspace = Workspace::new();
    let missing = Command::new(BINARY).args(["validate", "no-such-scenario.yaml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no-such-scenario.yaml: cannot read scenario file"));

    let directory = Command::new(BINARY).arg("validate").arg(workspace.path()).output().unwrap();
    assert_eq!(directory.status.code(), Some(2));
    assert!(stderr(&directory).contains("is a directory"));

    let huge = workspace.write("huge.yaml", &format!("{VALID}# {}\n", "x".repeat(2 << 20)));
    let too_large = Command::new(BINARY).arg("validate").arg(&huge).output().unwrap();
    assert_eq!(too_large.status.code(), Some(2));
    assert!(stderr(&too_large).contains("larger than the 1048576 bytes"), "{}", stderr(&too_large));
}

#[test]
fn validate_checks_every_file() {
    let workspace = Workspace::new();
    let good = workspace.write("good.yaml", VALID);
    let bad = workspace.write("bad.yaml", &with("batch_size: 8", "batch_size: 0"));
    let output = Command::new(BINARY).arg("validate").arg(&good).arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("good.yaml: valid"));
    assert!(stderr(&output).contains("bad.yaml:6:15"));
}

#[test]
fn shipped_scenarios_are_valid() {
    let scenarios = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(scenarios)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let output = Command::new(BINARY).arg("validate").args(&files).output().unwrap();
    assert_success(&output);
}

#[test]
fn cuda_request_without_gpu_is_a_usage_error() {
    if epochmem::probe::cuda::driver_present() {
        eprintln!("an NVIDIA driver is installed; this case needs a machine without one");
        return;
    }
    let workspace = Workspace::new();
    let output = workspace.run(&format!("{VALID}device: cuda\n"), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("cuda:0"), "{message}");
    assert!(message.contains("device: cpu"), "{message}");
    assert!(!workspace.reports().exists());

    let path = workspace.write("cuda.yaml", &format!("{VALID}device: cuda\n"));
    let validated = Command::new(BINARY).arg("validate").arg(&path).output().unwrap();
    assert_eq!(validated.status.code(), Some(2), "{}", stdout(&validated));
    assert!(stderr(&validated).contains("no NVIDIA driver"), "{}", stderr(&validated));
}
