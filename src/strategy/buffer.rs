//! `retain_all` and `explicit_buffer`: strategies that hold step outputs.

use tch::{Device, Tensor};

use super::{tensor_bytes, MetricAccumulator, Phase, Strategy, StepOutputs};
use crate::results::PhaseMetrics;
use crate::scenario::{BufferDevice, StrategyKind, StrategySpec};

/// Outputs of one step as held by a buffer.
struct HeldStep {
    batch_size: u64,
    tensors: Vec<(String, Tensor)>,
}

/// Buffer of step outputs kept until epoch end. `retain_all` stores the whole
/// output map in `on_batch_end`, because the Lightning 1.x loop collected the
/// return value of `training_step`. `explicit_buffer` appends its `keep` list
/// inside the step, as Lightning 2.x user code does.
pub struct BufferingStrategy {
    kind: StrategyKind,
    keep: Vec<String>,
    detach: bool,
    to_host: bool,
    clear: bool,
    train: Vec<HeldStep>,
    validation: Vec<HeldStep>,
    retained_bytes: u64,
}

impl BufferingStrategy {
    pub fn new(spec: &StrategySpec) -> Self {
        Self {
            kind: spec.kind,
            keep: spec.keep.clone(),
            detach: spec.detach,
            to_host: spec.device == BufferDevice::Cpu,
            clear: spec.clear,
            train: Vec::new(),
            validation: Vec::new(),
            retained_bytes: 0,
        }
    }

    fn hold(&mut self, phase: Phase, outputs: &StepOutputs) {
        let mut tensors = Vec::with_capacity(self.keep.len());
        for name in &self.keep {
            let Some(tensor) = outputs.get(name) else { continue };
            let mut held = if self.detach { tensor.detach() } else { tensor.shallow_clone() };
            if self.to_host && held.device() != Device::Cpu {
                held = held.to_device(Device::Cpu);
            }
            self.retained_bytes += tensor_bytes(&held);
            tensors.push((name.clone(), held));
        }
        let step = HeldStep { batch_size: outputs.batch_size, tensors };
        match phase {
            Phase::Train => self.train.push(step),
            Phase::Validation => self.validation.push(step),
        }
    }

    fn buffer(&mut self, phase: Phase) -> &mut Vec<HeldStep> {
        match phase {
            Phase::Train => &mut self.train,
            Phase::Validation => &mut self.validation,
        }
    }
}

impl Strategy for BufferingStrategy {
    fn on_step(&mut self, phase: Phase, outputs: &StepOutputs) {
        if self.kind == StrategyKind::ExplicitBuffer {
            self.hold(phase, outputs);
        }
    }

    fn on_batch_end(&mut self, phase: Phase, outputs: &StepOutputs) {
        if self.kind == StrategyKind::RetainAll {
            self.hold(phase, outputs);
        }
    }

    fn on_epoch_end(&mut self, phase: Phase) -> PhaseMetrics {
        let clear = self.clear;
        let buffer = self.buffer(phase);
        let mut metrics = MetricAccumulator::default();
        for step in buffer.iter() {
            let find = |name: &str| {
                step.tensors
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t)
                    .unwrap_or_else(|| panic!("validation guarantees the buffer keeps {name}"))
            };
            metrics.update(find("loss"), find("logits"), find("targets"), step.batch_size);
        }
        if clear {
            let released: u64 = buffer
                .drain(..)
                .flat_map(|step| step.tensors)
                .map(|(_, tensor)| tensor_bytes(&tensor))
                .sum();
            self.retained_bytes -= released;
        }
        metrics.finish()
    }

    fn retained_bytes(&self) -> u64 {
        self.retained_bytes
    }
}
