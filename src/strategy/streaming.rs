//! `streaming`: running metrics updated per batch, no tensors held.

use super::{MetricAccumulator, Phase, Strategy, StepOutputs};
use crate::results::PhaseMetrics;

#[derive(Clone)]
pub struct StreamingStrategy {
    dead_hook: bool,
    train: MetricAccumulator,
    validation: MetricAccumulator,
}

impl StreamingStrategy {
    pub fn new(dead_hook: bool) -> Self {
        Self {
            dead_hook,
            train: MetricAccumulator::default(),
            validation: MetricAccumulator::default(),
        }
    }

    fn update(&mut self, phase: Phase, outputs: &StepOutputs) {
        let accumulator = match phase {
            Phase::Train => &mut self.train,
            Phase::Validation => &mut self.validation,
        };
        accumulator.update(
            outputs.required("loss"),
            outputs.required("logits"),
            outputs.required("targets"),
            outputs.batch_size,
        );
    }
}

impl Strategy for StreamingStrategy {
    fn on_batch_end(&mut self, phase: Phase, outputs: &StepOutputs) {
        if !self.dead_hook {
            self.update(phase, outputs);
        }
    }

    fn on_step_end_never_called(&mut self, phase: Phase, outputs: &StepOutputs) {
        if self.dead_hook {
            self.update(phase, outputs);
        }
    }

    fn on_epoch_end(&mut self, phase: Phase) -> PhaseMetrics {
        let accumulator = match phase {
            Phase::Train => &mut self.train,
            Phase::Validation => &mut self.validation,
        };
        std::mem::take(accumulator).finish()
    }

    fn retained_bytes(&self) -> u64 {
        0
    }
}
