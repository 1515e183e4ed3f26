//! End-to-end runs of the real binary: the three strategies, their metrics,
//! and their retained bytes checked against shape arithmetic and against the
//! counting CPU allocator.

mod common;

use common::*;
use epochmem::results::{GrowthClass, RunStatus, Signal};

const THREE_STRATEGIES: &str = "step_outputs:
  hidden: true
  input: true
strategies:
  - kind: retain_all
  - kind: explicit_buffer
  - kind: streaming
";

// 240 training samples (320 minus a 0.25 validation split), batch 16: 15 steps.
const TRAIN_SAMPLES: u64 = 240;
const STEPS: u64 = 15;
// Per sample: logits 4 x f32, targets i64, hidden 32 x f32, input 16 x f32.
const RETAIN_ALL_BYTES_PER_SAMPLE: u64 = 4 * 4 + 8 + 32 * 4 + 16 * 4;
const METRIC_BYTES_PER_SAMPLE: u64 = 4 * 4 + 8;
const LOSS_BYTES: u64 = 4;

#[test]
fn strategies_agree_and_hold_analytic_bytes() {
    let workspace = Workspace::new();
    let output = workspace.run(&tiny_scenario("three", 2, THREE_STRATEGIES), &[]);
    assert_success(&output);
    let results = workspace.results("three");
    assert_eq!(results.runs.len(), 3);

    let retain_expected = RETAIN_ALL_BYTES_PER_SAMPLE * TRAIN_SAMPLES + LOSS_BYTES * STEPS;
    let buffer_expected = METRIC_BYTES_PER_SAMPLE * TRAIN_SAMPLES + LOSS_BYTES * STEPS;

    let retain = run_named(&results, "retain_all");
    let buffer = run_named(&results, "explicit_buffer");
    let streaming = run_named(&results, "streaming");
    for run in [retain, buffer, streaming] {
        assert_eq!(run.status, RunStatus::Completed, "{}", run.strategy);
        assert_eq!(run.metric_check.matches_reference, Some(true), "{}: {:?}", run.strategy, run.metric_check);
        assert!(!run.cuda_libraries_loaded, "a CPU run must not map libtorch_cuda");
    }
    assert_eq!(retain.analytic_retained_bytes_per_epoch, Some(retain_expected));
    assert_eq!(retain.peak(Signal::RetainedBytes), Some(retain_expected));
    assert_eq!(buffer.analytic_retained_bytes_per_epoch, Some(buffer_expected));
    assert_eq!(buffer.peak(Signal::RetainedBytes), Some(buffer_expected));
    assert_eq!(streaming.peak(Signal::RetainedBytes), Some(0));

    // Epoch metrics are bit-equal, not merely close.
    let losses: Vec<f64> = results.runs.iter().map(|r| r.epochs[1].train.mean_loss.unwrap()).collect();
    assert_eq!(losses[0], losses[1]);
    assert_eq!(losses[0], losses[2]);
}

#[test]
fn allocator_growth_matches_logical_bytes() {
    let workspace = Workspace::new();
    let output = workspace.run(&tiny_scenario("growth", 2, THREE_STRATEGIES), &[]);
    assert_success(&output);
    let results = workspace.results("growth");

    for name in ["retain_all", "explicit_buffer"] {
        let run = run_named(&results, name);
        let analytic = run.analytic_retained_bytes_per_epoch.unwrap() as f64;
        // Epoch 2: gradients and optimizer state already exist, so the
        // allocator's growth over the steps is what the strategy holds.
        let growth = allocator_growth(run, 1) as f64;
        assert!(
            (growth - analytic).abs() <= 0.01 * analytic,
            "{name}: allocator growth {growth} vs analytic {analytic}"
        );
        assert_eq!(run.epochs[1].memory.cpu_left_behind_bytes, 0, "{name} clears its buffer");
    }
    let streaming = run_named(&results, "streaming");
    let retain_analytic = run_named(&results, "retain_all").analytic_retained_bytes_per_epoch.unwrap() as i64;
    assert!(allocator_growth(streaming, 1).abs() <= retain_analytic / 100, "streaming holds nothing");
    assert_eq!(streaming.growth.as_ref().map(|g| g.class), Some(GrowthClass::Constant));
    assert_eq!(run_named(&results, "retain_all").growth.as_ref().map(|g| g.class), Some(GrowthClass::Linear));
}

#[test]
fn first_epoch_growth_includes_adam_state() {
    let workspace = Workspace::new();
    let yaml = tiny_scenario("adam", 2, "strategies:\n  - kind: streaming\n");
    assert_success(&workspace.run(&yaml, &[]));
    let run = &workspace.results("adam").runs[0];
    // MLP 16 -> 32 -> 4: weights and biases in float32.
    let parameter_bytes = ((16 * 32 + 32) + (32 * 4 + 4)) * 4;
    // Gradients plus Adam's two moment buffers appear during the first epoch.
    assert_eq!(run.epochs[0].memory.cpu_left_behind_bytes, 3 * parameter_bytes);
    assert_eq!(run.epochs[1].memory.cpu_left_behind_bytes, 0);
}

#[test]
fn undetached_outputs_keep_their_graph() {
    let workspace = Workspace::new();
    let strategies = "step_outputs:
  per_sample_loss: true
strategies:
  - kind: retain_all
    name: detached
  - kind: retain_all
    name: attached
    detach: false
";
    assert_success(&workspace.run(&tiny_scenario("graph", 2, strategies), &[]));
    let results = workspace.results("graph");
    let detached = run_named(&results, "detached");
    let attached = run_named(&results, "attached");
    let analytic = detached.analytic_retained_bytes_per_epoch.unwrap() as i64;
    assert_eq!(attached.analytic_retained_bytes_per_epoch, Some(analytic as u64));
    assert!((allocator_growth(detached, 1) - analytic).abs() <= analytic / 100);
    // The separately computed per-sample loss keeps its log-softmax output
    // alive through its autograd graph: at least batch x classes floats per step.
    let graph_bytes = allocator_growth(attached, 1) - analytic;
    assert!(graph_bytes >= (TRAIN_SAMPLES * 4 * 4) as i64, "graph kept only {graph_bytes} bytes");
    assert_eq!(attached.metric_check.matches_reference, Some(true));
}

#[test]
fn forgotten_clear_grows_across_epochs() {
    let workspace = Workspace::new();
    let strategies = "strategies:
  - kind: explicit_buffer
    name: cleared
  - kind: explicit_buffer
    name: never_cleared
    clear: false
";
    assert_success(&workspace.run(&tiny_scenario("clear", 3, strategies), &[]));
    let results = workspace.results("clear");
    let leaky = run_named(&results, "never_cleared");
    let per_epoch = leaky.analytic_retained_bytes_per_epoch.unwrap();
    // The validation buffer is never cleared either: 80 samples in 5 steps.
    let validation_per_epoch = METRIC_BYTES_PER_SAMPLE * 80 + LOSS_BYTES * 5;
    let held: Vec<u64> = leaky.epochs.iter().map(|e| e.memory.retained_bytes_after_epoch_end).collect();
    let per_pass = per_epoch + validation_per_epoch;
    assert_eq!(held, vec![per_pass, 2 * per_pass, 3 * per_pass]);
    assert!(leaky.epochs[2].memory.cpu_left_behind_bytes >= per_epoch as i64);
    assert_eq!(run_named(&results, "cleared").epochs[2].memory.retained_bytes_after_epoch_end, 0);
    // Aggregating a buffer that still holds earlier epochs gives wrong
    // metrics from the second epoch on, and the run says so.
    assert_eq!(leaky.metric_check.matches_reference, Some(false));
    assert!(leaky.metric_check.differences.iter().any(|d| d.starts_with("epoch 2")));
    assert!(!leaky.metric_check.differences.iter().any(|d| d.starts_with("epoch 1 ")));
}

#[test]
fn dead_hook_is_flagged() {
    let workspace = Workspace::new();
    let strategies = "strategies:
  - kind: streaming
  - kind: streaming
    dead_hook: true
";
    let output = workspace.run(&tiny_scenario("dead", 2, strategies), &[]);
    assert_success(&output);
    let results = workspace.results("dead");
    let dead = run_named(&results, "streaming_dead_hook");
    assert!(dead.metric_check.metric_never_updated);
    assert_eq!(dead.metric_check.matches_reference, Some(false));
    assert_eq!(dead.epochs[0].train.metric_updates, 0);
    assert_eq!(dead.epochs[0].train.mean_loss, None);
    assert_eq!(dead.peak(Signal::RetainedBytes), Some(0));
    assert!(stdout(&output).contains("NEVER UPDATED"), "{}", stdout(&output));
}

#[test]
fn results_record_machine_and_sources() {
    let workspace = Workspace::new();
    assert_success(&workspace.run(&tiny_scenario("meta", 1, "strategies:\n  - kind: retain_all\n"), &[]));
    let results = workspace.results("meta");
    assert_eq!(results.schema_version, epochmem::results::SCHEMA_VERSION);
    assert!(results.machine.libtorch_version.starts_with("2.13.0"), "{}", results.machine.libtorch_version);
    assert_eq!(results.machine.device_used, "cpu");
    assert!(results.scenario.yaml.contains("name: meta"));
    let run = &results.runs[0];
    let cuda = run.peaks.iter().find(|p| p.signal == Signal::CudaAllocatedBytes).unwrap();
    assert_eq!(cuda.peak_bytes, None, "no CUDA figure on a CPU run");
    assert!(cuda.unavailable_reason.is_some());
    assert_eq!(run.cuda_allocator_events, None, "no CUDA event counts on a CPU run");
    let rss = run.summary.rss_peak_bytes.unwrap();
    let baseline = run.baseline_rss_bytes.unwrap();
    assert!(rss >= baseline, "RSS peak {rss} below the baseline {baseline}");
    assert!(!run.rss_samples.is_empty(), "the parent sampled the worker's RSS");
    assert_eq!(run.timeline.points.len() as u64, run.timeline.recorded_steps);
    assert_eq!(run.timeline.points.last().unwrap().step, 15);
}

#[test]
fn heap_profile_writes_dhat_json() {
    let workspace = Workspace::new();
    let yaml = tiny_scenario("heap", 1, "strategies:\n  - kind: streaming\n");
    assert_success(&workspace.run(&yaml, &["--heap-profile"]));
    let run = &workspace.results("heap").runs[0];
    let path = run.heap_profile.as_ref().expect("the record names the profile");
    let profile: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(profile.get("pps").is_some_and(|p| p.is_array()), "dhat's JSON has program points");
    let heap = run.peak(Signal::RustHeapBytes).expect("Rust heap peak is measured");
    assert!(heap > 0);
    assert_eq!(run.summary.rust_heap_peak_bytes, Some(heap));
}
