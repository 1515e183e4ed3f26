//! Set-up shared by the benchmark targets: a small scenario and a driver that
//! runs the training loop's own step, one step at a time.

// Each benchmark target compiles this module and uses a different part of it.
#![allow(dead_code)]

pub mod command_line;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use epochmem::data::{epoch_order, load_dataset, make_batch, Dataset};
use epochmem::model::{build_model, BuiltModel};
use epochmem::scenario::{parse_scenario, Scenario, StrategyKind, StrategySpec};
use epochmem::strategy::{build_strategy, Phase, Strategy};
use epochmem::train::{build_optimizer, run_training_step, LoopMonitor};
use tch::{nn, Device};

/// The shapes of `scenarios/digits_mlp.yaml` (64 features, 10 classes, an MLP
/// with hidden widths 256 and 128, batches of 32, the same step outputs) on
/// synthetic data, so no file is read. 4096 samples make 128 steps an epoch.
pub const SCENARIO_YAML: &str = "\
name: bench_mlp
seed: 7
device: cpu
model:
  kind: mlp
  hidden: [256, 128]
data:
  kind: synthetic
  sample_shape: [64]
  samples: 4096
  classes: 10
training:
  epochs: 2
  batch_size: 32
  optimizer: adam
  learning_rate: 0.001
step_outputs:
  hidden: true
  input: true
  per_sample_loss: true
strategies:
  - kind: retain_all
  - kind: explicit_buffer
    keep: [loss, logits, targets]
  - kind: streaming
";

/// Bootstrap resamples per benchmark, against criterion's default of
/// 100 000. With the default, drawing the plots of the resampled
/// distributions made `cargo bench --bench harness_overhead` take 2 min 19 s
/// instead of 29 s on a busy 2-core machine.
const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// Criterion's settings for every target, which the command line can override.
pub fn criterion_config() -> Criterion {
    Criterion::default().nresamples(BOOTSTRAP_RESAMPLES)
}

/// A no-op monitor: the loop without probes.
pub struct NoProbes;

impl LoopMonitor for NoProbes {}

/// Parses the benchmark scenario and sets libtorch's intra-op threads to its
/// `threads` (1 by default), as the worker does.
pub fn bench_scenario() -> Scenario {
    let scenario = parse_scenario(SCENARIO_YAML, Path::new("benches/bench_mlp.yaml"))
        .expect("the benchmark scenario is valid");
    tch::set_num_threads(scenario.threads as i32);
    scenario
}

/// Generates the scenario's seeded synthetic data.
pub fn bench_dataset(scenario: &Scenario) -> Dataset {
    load_dataset(scenario).expect("synthetic data needs no file")
}

/// Finds the scenario's strategy entry of the given kind.
pub fn strategy_spec(scenario: &Scenario, kind: StrategyKind) -> &StrategySpec {
    scenario
        .strategies
        .iter()
        .find(|spec| spec.kind == kind)
        .unwrap_or_else(|| panic!("the benchmark scenario has a {} entry", kind.as_str()))
}

/// Runs training steps under one strategy, in the seeded batch order of
/// `epochmem::train::train`, and times them.
pub struct StepDriver<'a> {
    scenario: &'a Scenario,
    dataset: &'a Dataset,
    model: BuiltModel,
    optimizer: nn::Optimizer,
    strategy: Box<dyn Strategy>,
    /// 1-based; 0 before the first step.
    epoch: u32,
    order: Vec<i64>,
    batches_done_in_epoch: usize,
    global_step: u64,
}

impl<'a> StepDriver<'a> {
    pub fn new(scenario: &'a Scenario, dataset: &'a Dataset, spec: &StrategySpec) -> Self {
        tch::manual_seed(scenario.seed as i64);
        let model = build_model(scenario, Device::Cpu).expect("the benchmark model builds");
        let optimizer = build_optimizer(scenario, &model.var_store).expect("the optimizer builds");
        Self {
            scenario,
            dataset,
            model,
            optimizer,
            strategy: build_strategy(spec),
            epoch: 0,
            order: Vec::new(),
            batches_done_in_epoch: 0,
            global_step: 0,
        }
    }

    /// Runs `steps` training steps, each followed by `monitor.on_step_end`,
    /// and returns the time they took. When an epoch's batches run out, the
    /// epoch-end hook runs untimed, so buffers never hold more than one
    /// epoch. The `epoch_end` benchmarks time that hook.
    pub fn time_steps(&mut self, steps: u64, monitor: &mut dyn LoopMonitor) -> Duration {
        let batch_size = self.scenario.training.batch_size as usize;
        let mut elapsed = Duration::ZERO;
        for _ in 0..steps {
            if self.batches_done_in_epoch * batch_size >= self.order.len() {
                self.start_next_epoch(monitor);
            }
            let first = self.batches_done_in_epoch * batch_size;
            let indices = &self.order[first..(first + batch_size).min(self.order.len())];

            let started = Instant::now();
            let batch = make_batch(&self.dataset.train, indices, Device::Cpu);
            run_training_step(
                self.scenario,
                &self.model,
                &batch,
                &mut self.optimizer,
                self.strategy.as_mut(),
            )
            .expect("the benchmark step runs");
            drop(batch);
            self.global_step += 1;
            monitor
                .on_step_end(self.epoch, self.global_step, self.strategy.retained_bytes())
                .expect("the benchmarks set no memory budget");
            elapsed += started.elapsed();

            self.batches_done_in_epoch += 1;
        }
        elapsed
    }

    fn start_next_epoch(&mut self, monitor: &mut dyn LoopMonitor) {
        if self.epoch > 0 {
            self.strategy.on_epoch_end(Phase::Train);
        }
        self.epoch += 1;
        self.order = epoch_order(
            self.scenario.seed,
            self.epoch,
            self.dataset.train.len(),
            true,
        );
        self.batches_done_in_epoch = 0;
        monitor.on_epoch_start(self.epoch);
    }
}
