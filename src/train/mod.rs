//! The training loop, calling strategy hooks in Lightning 2.x order:
//!
//! ```text
//! for epoch: on_train_epoch_start
//!     for batch: training_step -> backward, optimizer step -> on_train_batch_end
//!     on_train_epoch_end
//!     validation: validation_step -> on_validation_batch_end; on_validation_epoch_end
//! ```

mod step;

use std::time::Instant;

use tch::{nn, nn::OptimizerConfig, Device};

use crate::data::{epoch_order, make_batch, Batch, Dataset};
use crate::model::BuiltModel;
use crate::results::PhaseMetrics;
use crate::scenario::{OptimizerKind, Scenario};
use crate::strategy::{Phase, Strategy};

pub use step::run_step;

/// Receiver of the loop's measurement points, such as the worker's probes.
pub trait LoopMonitor {
    fn on_epoch_start(&mut self, _epoch: u32) {}
    /// After `on_train_batch_end`, once the step's outputs are dropped.
    /// Returning an error stops the run (a budget was crossed).
    fn on_step_end(&mut self, _epoch: u32, _global_step: u64, _retained_bytes: u64) -> anyhow::Result<()> {
        Ok(())
    }
    /// After the last step of an epoch, before `on_train_epoch_end`.
    fn on_before_epoch_end(&mut self, _epoch: u32, _retained_bytes: u64) {}
    /// After `on_train_epoch_end` and validation.
    fn on_epoch_end(&mut self, _summary: &EpochSummary, _retained_bytes: u64) {}
}

/// Metrics and timing of one epoch.
#[derive(Debug, Clone)]
pub struct EpochSummary {
    pub epoch: u32,
    pub steps: u64,
    pub samples: u64,
    /// Wall time of the training steps, without validation.
    pub train_seconds: f64,
    pub train: PhaseMetrics,
    pub validation: Option<PhaseMetrics>,
}

/// Trains `model` on `dataset` for the scenario's epochs under `strategy`.
pub fn train(
    scenario: &Scenario,
    device: Device,
    model: &BuiltModel,
    dataset: &Dataset,
    strategy: &mut dyn Strategy,
    monitor: &mut dyn LoopMonitor,
) -> anyhow::Result<Vec<EpochSummary>> {
    let mut optimizer = build_optimizer(scenario, &model.var_store)?;
    let batch_size = scenario.training.batch_size as usize;
    let mut global_step = 0u64;
    let mut epochs = Vec::new();

    for epoch in 1..=scenario.training.epochs {
        monitor.on_epoch_start(epoch);
        let order = epoch_order(scenario.seed, epoch, dataset.train.len(), true);
        let started = Instant::now();
        let mut steps = 0u64;

        for indices in order.chunks(batch_size) {
            let batch = make_batch(&dataset.train, indices, device);
            run_training_step(scenario, model, &batch, &mut optimizer, strategy)?;
            drop(batch);

            steps += 1;
            global_step += 1;
            monitor.on_step_end(epoch, global_step, strategy.retained_bytes())?;
        }
        let train_seconds = started.elapsed().as_secs_f64();

        monitor.on_before_epoch_end(epoch, strategy.retained_bytes());
        let train_metrics = strategy.on_epoch_end(Phase::Train);
        let validation = match &dataset.validation {
            Some(split) => Some(validate(scenario, device, model, split, strategy)?),
            None => None,
        };

        let summary = EpochSummary {
            epoch,
            steps,
            samples: dataset.train.len(),
            train_seconds,
            train: train_metrics,
            validation,
        };
        monitor.on_epoch_end(&summary, strategy.retained_bytes());
        epochs.push(summary);
    }
    Ok(epochs)
}

/// Runs one training step as the loop does: `training_step`, backward, the
/// optimizer step and the strategy's hooks in Lightning 2.x order. The step's
/// outputs are dropped on return, except what the strategy holds.
pub fn run_training_step(
    scenario: &Scenario,
    model: &BuiltModel,
    batch: &Batch,
    optimizer: &mut nn::Optimizer,
    strategy: &mut dyn Strategy,
) -> anyhow::Result<()> {
    let outputs = run_step(scenario, model, batch, true)?;
    strategy.on_step(Phase::Train, &outputs);

    optimizer.zero_grad();
    outputs.get("loss").expect("loss is always returned").backward();
    optimizer.step();

    strategy.on_batch_end(Phase::Train, &outputs);
    Ok(())
}

fn validate(
    scenario: &Scenario,
    device: Device,
    model: &BuiltModel,
    split: &crate::data::Split,
    strategy: &mut dyn Strategy,
) -> anyhow::Result<PhaseMetrics> {
    let order = epoch_order(scenario.seed, 0, split.len(), false);
    tch::no_grad(|| -> anyhow::Result<()> {
        for indices in order.chunks(scenario.training.batch_size as usize) {
            let batch = make_batch(split, indices, device);
            let outputs = run_step(scenario, model, &batch, false)?;
            strategy.on_step(Phase::Validation, &outputs);
            strategy.on_batch_end(Phase::Validation, &outputs);
        }
        Ok(())
    })?;
    Ok(strategy.on_epoch_end(Phase::Validation))
}

/// Builds the scenario's optimizer over every trainable variable of the model.
pub fn build_optimizer(scenario: &Scenario, var_store: &nn::VarStore) -> anyhow::Result<nn::Optimizer> {
    let rate = scenario.training.learning_rate;
    let optimizer = match scenario.training.optimizer {
        OptimizerKind::Sgd => nn::Sgd::default().build(var_store, rate)?,
        OptimizerKind::Adam => nn::Adam::default().build(var_store, rate)?,
    };
    Ok(optimizer)
}
