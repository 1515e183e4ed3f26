//! dhat in testing mode: the harness's own Rust heap stays bounded however
//! many steps a streaming run takes. One test per file, because dhat's
//! profiler is process-wide.

use std::path::Path;

use epochmem::run::monitor::Monitor;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn scenario(samples: u64) -> epochmem::scenario::Scenario {
    let yaml = format!(
        "seed: 1
model: {{kind: mlp, hidden: [8]}}
data: {{kind: synthetic, sample_shape: [4], samples: {samples}, classes: 2}}
training: {{epochs: 1, batch_size: 4, learning_rate: 0.01}}
probes: {{max_timeline_points: 64}}
strategies: [{{kind: streaming}}]
"
    );
    epochmem::scenario::parse_scenario(&yaml, Path::new("heap.yaml")).unwrap()
}

/// Trains a streaming run in this process with the worker's real probes.
fn run_streaming(samples: u64) -> u64 {
    let scenario = scenario(samples);
    let dataset = epochmem::data::load_dataset(&scenario).unwrap();
    let model = epochmem::model::build_model(&scenario, tch::Device::Cpu).unwrap();
    let mut strategy = epochmem::strategy::build_strategy(&scenario.strategies[0]);
    let mut monitor = Monitor::new(&scenario, None, None);
    monitor.start_measured_region();
    epochmem::train::train(&scenario, tch::Device::Cpu, &model, &dataset, strategy.as_mut(), &mut monitor)
        .unwrap();
    let finished = monitor.finish(None);
    finished.timeline.recorded_steps
}

#[test]
fn streaming_heap_does_not_grow_with_steps() {
    let profile = tempfile::tempdir().unwrap();
    let _profiler = dhat::Profiler::builder()
        .testing()
        .file_name(profile.path().join("dhat-heap.json"))
        .build();
    epochmem::probe::allocator::install_cpu_counter().unwrap();

    // Warm-up: one-time allocations of libtorch bindings and the probes.
    run_streaming(800);
    let after_short = dhat::HeapStats::get();
    let steps = run_streaming(8 * 800);
    let after_long = dhat::HeapStats::get();

    assert_eq!(steps, 1600);
    // An unbounded timeline alone would add 1,400 points of 56 bytes.
    let growth = after_long.max_bytes.saturating_sub(after_short.max_bytes);
    dhat::assert!(growth < 16 * 1024, "peak Rust heap grew by {growth} bytes for 8x the steps");
    dhat::assert_eq!(after_long.curr_bytes, after_short.curr_bytes);
}
