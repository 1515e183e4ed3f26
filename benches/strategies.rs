//! The time each output-buffering strategy costs: one training step under
//! it, its `on_train_epoch_end` hook alone, and all of its hook work over an
//! epoch, for epochs of several lengths.

mod common;

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use epochmem::data::{epoch_order, make_batch, Dataset};
use epochmem::model::build_model;
use epochmem::scenario::{Scenario, StrategyKind};
use epochmem::strategy::{build_strategy, Phase, StepOutputs, Strategy, StreamingStrategy};
use epochmem::train::run_step;
use tch::Device;

use common::{bench_dataset, bench_scenario, NoProbes, StepDriver};

/// Epoch lengths of the epoch-end benchmarks, in training steps.
const EPOCH_LENGTHS_STEPS: [usize; 3] = [16, 64, 256];

fn bench_train_step(c: &mut Criterion) {
    let scenario = bench_scenario();
    let dataset = bench_dataset(&scenario);

    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements(scenario.training.batch_size));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for spec in &scenario.strategies {
        let mut driver = StepDriver::new(&scenario, &dataset, spec);
        group.bench_function(spec.name.as_str(), |b| {
            b.iter_custom(|steps| driver.time_steps(steps, &mut NoProbes))
        });
    }
    group.finish();
}

/// Times `on_train_epoch_end` alone, after an epoch of real step outputs went
/// through the strategy's step hooks untimed.
fn bench_epoch_end(c: &mut Criterion) {
    let scenario = bench_scenario();
    let dataset = bench_dataset(&scenario);
    let outputs = record_step_outputs(&scenario, &dataset, EPOCH_LENGTHS_STEPS[2]);

    let mut group = c.benchmark_group("epoch_end");
    configure_epoch_group(&mut group);
    for steps in EPOCH_LENGTHS_STEPS {
        let epoch = &outputs[..steps];
        for spec in &scenario.strategies {
            let id = BenchmarkId::new(spec.name.as_str(), steps);
            if spec.kind == StrategyKind::Streaming {
                // A fed streaming strategy is cloned, not fed again: feeding
                // it costs far more than the hook, and criterion sizes its
                // iteration counts by the timed part alone.
                let mut fed = StreamingStrategy::new(spec.dead_hook);
                feed_epoch(&mut fed, epoch);
                group.bench_function(id, |b| {
                    b.iter_batched_ref(
                        || fed.clone(),
                        |strategy| strategy.on_epoch_end(Phase::Train),
                        BatchSize::SmallInput,
                    )
                });
            } else {
                group.bench_function(id, |b| {
                    b.iter_batched_ref(
                        || {
                            let mut strategy = build_strategy(spec);
                            feed_epoch(strategy.as_mut(), epoch);
                            strategy
                        },
                        |strategy| strategy.on_epoch_end(Phase::Train),
                        BatchSize::SmallInput,
                    )
                });
            }
        }
    }
    group.finish();
}

/// Times every hook call of one epoch: the step hooks that hold or stream
/// each step's outputs, then `on_train_epoch_end`. Buffering strategies do
/// their metric work at epoch end, streaming does it step by step.
fn bench_epoch_hooks(c: &mut Criterion) {
    let scenario = bench_scenario();
    let dataset = bench_dataset(&scenario);
    let outputs = record_step_outputs(&scenario, &dataset, EPOCH_LENGTHS_STEPS[2]);

    let mut group = c.benchmark_group("epoch_hooks");
    configure_epoch_group(&mut group);
    for steps in EPOCH_LENGTHS_STEPS {
        let epoch = &outputs[..steps];
        for spec in &scenario.strategies {
            group.bench_function(BenchmarkId::new(spec.name.as_str(), steps), |b| {
                b.iter(|| {
                    let mut strategy = build_strategy(spec);
                    feed_epoch(strategy.as_mut(), epoch);
                    strategy.on_epoch_end(Phase::Train)
                })
            });
        }
    }
    group.finish();
}

/// Flat sampling and few samples: at 256 steps one iteration takes
/// milliseconds, which criterion's default linear sampling would stretch
/// past its measurement time.
fn configure_epoch_group(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
}

/// Calls the step hooks of a training step for each output, as the loop does.
fn feed_epoch(strategy: &mut dyn Strategy, outputs: &[StepOutputs]) {
    for step in outputs {
        strategy.on_step(Phase::Train, step);
        strategy.on_batch_end(Phase::Train, step);
    }
}

/// Runs `training_step` on `count` batches of the seeded batch order and
/// keeps what it returns. No gradients are recorded, so the outputs keep no
/// autograd graphs alive, and the strategies detach what they hold anyway.
fn record_step_outputs(scenario: &Scenario, dataset: &Dataset, count: usize) -> Vec<StepOutputs> {
    tch::manual_seed(scenario.seed as i64);
    let model = build_model(scenario, Device::Cpu).expect("the benchmark model builds");
    let order = epoch_order(scenario.seed, 1, dataset.train.len(), true);
    let batches: Vec<&[i64]> = order
        .chunks(scenario.training.batch_size as usize)
        .collect();
    (0..count)
        .map(|step| {
            let batch = make_batch(&dataset.train, batches[step % batches.len()], Device::Cpu);
            tch::no_grad(|| run_step(scenario, &model, &batch, true))
                .expect("the benchmark step runs")
        })
        .collect()
}

criterion_group! {
    name = benches;
    config = common::criterion_config();
    targets = bench_train_step, bench_epoch_end, bench_epoch_hooks
}
criterion_main!(benches);
