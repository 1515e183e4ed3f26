//! Output-buffering strategies: what a loop's hooks do with step outputs.
//!
//! The loop calls the hooks in Lightning 2.x order. `retain_all` stores each
//! step's whole output map as Lightning 1.x did for
//! `training_epoch_end(outputs)`; `explicit_buffer` appends selected outputs
//! to its own list in `training_step` and aggregates and clears it in
//! `on_train_epoch_end`; `streaming` updates running sums in
//! `on_train_batch_end` and holds no tensors.

mod buffer;
mod metrics;
mod streaming;

use tch::Tensor;

use crate::results::PhaseMetrics;
use crate::scenario::{StrategyKind, StrategySpec};

pub use buffer::BufferingStrategy;
pub use metrics::MetricAccumulator;
pub use streaming::StreamingStrategy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Train,
    Validation,
}

/// Everything one `training_step` (or `validation_step`) returns, by name,
/// in the scenario's output order. `loss`, `logits` and `targets` are always
/// present.
pub struct StepOutputs {
    pub batch_size: u64,
    pub tensors: Vec<(String, Tensor)>,
}

impl StepOutputs {
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    fn required(&self, name: &str) -> &Tensor {
        self.get(name).unwrap_or_else(|| panic!("training_step always returns {name}"))
    }
}

/// Hooks a strategy implements. Defaults do nothing.
pub trait Strategy {
    /// Runs inside `training_step` / `validation_step`, where Lightning 2.x
    /// user code appends to its own buffer.
    fn on_step(&mut self, _phase: Phase, _outputs: &StepOutputs) {}

    /// `on_train_batch_end` / `on_validation_batch_end`.
    fn on_batch_end(&mut self, _phase: Phase, _outputs: &StepOutputs) {}

    /// `training_step_end`: Lightning 2.0 stopped calling it, and so does
    /// this loop. Only the dead-hook variant of streaming overrides it.
    fn on_step_end_never_called(&mut self, _phase: Phase, _outputs: &StepOutputs) {}

    /// `on_train_epoch_end` / `on_validation_epoch_end`: returns the epoch
    /// metrics computed from what the strategy holds, then releases what it
    /// is configured to release.
    fn on_epoch_end(&mut self, phase: Phase) -> PhaseMetrics;

    /// `numel x element size` summed over every tensor the strategy holds.
    fn retained_bytes(&self) -> u64;
}

/// Builds the strategy of a scenario entry.
pub fn build_strategy(spec: &StrategySpec) -> Box<dyn Strategy> {
    match spec.kind {
        StrategyKind::RetainAll | StrategyKind::ExplicitBuffer => {
            Box::new(BufferingStrategy::new(spec))
        }
        StrategyKind::Streaming => Box::new(StreamingStrategy::new(spec.dead_hook)),
    }
}

/// Bytes of a tensor's elements: `numel x element size`.
pub fn tensor_bytes(tensor: &Tensor) -> u64 {
    tensor.numel() as u64 * tensor.kind().elt_size_in_bytes() as u64
}
