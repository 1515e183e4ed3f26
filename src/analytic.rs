//! Byte counts computed from a scenario's shapes alone, without tensors.
//!
//! These are the reference values that measured retained bytes are checked
//! against: `numel x element size` summed over what a strategy holds.

use crate::scenario::{DataSpec, ModelSpec, ModuleOutputSpec, Scenario};

/// Bytes of the scalar float32 `loss` that every step returns.
pub const LOSS_BYTES: u64 = 4;
/// Bytes per sample of the int64 `targets`.
pub const TARGET_BYTES_PER_SAMPLE: u64 = 8;
/// Bytes per element of float32 outputs.
const FLOAT32_BYTES: u64 = 4;

/// Bytes per sample of a named output, or `None` when its shape is only
/// known at run time (a TorchScript extra output without a declared shape)
/// or the product overflows.
pub fn output_bytes_per_sample(scenario: &Scenario, output: &str) -> Option<u64> {
    let classes = scenario.data.classes();
    match output {
        "loss" => Some(0),
        "logits" => classes.checked_mul(FLOAT32_BYTES),
        "targets" => Some(TARGET_BYTES_PER_SAMPLE),
        "per_sample_loss" => Some(FLOAT32_BYTES),
        "hidden" => hidden_elements_per_sample(scenario)?.checked_mul(FLOAT32_BYTES),
        "input" => product(&scenario.data.sample_shape())?
            .checked_mul(scenario.data.input_element_bytes()),
        "payload" => {
            let payload = scenario.step_outputs.payload.as_ref()?;
            product(&payload.shape)?.checked_mul(payload.dtype.element_bytes())
        }
        name => {
            let extra = module_output(scenario, name)?;
            product(extra.shape.as_ref()?)?.checked_mul(extra.dtype?.element_bytes())
        }
    }
}

/// Checks whether the size of a named output follows from the scenario
/// alone. Only TorchScript extra outputs without a declared shape fail this.
pub fn output_size_is_known(scenario: &Scenario, output: &str) -> bool {
    module_output(scenario, output).is_none_or(|extra| extra.shape.is_some())
}

fn module_output<'a>(scenario: &'a Scenario, name: &str) -> Option<&'a ModuleOutputSpec> {
    match &scenario.model {
        ModelSpec::Torchscript { extra_outputs, .. } => {
            extra_outputs.iter().find(|extra| extra.name == name)
        }
        _ => None,
    }
}

/// Bytes per step that do not depend on the batch size.
pub fn output_fixed_bytes(output: &str) -> u64 {
    if output == "loss" {
        LOSS_BYTES
    } else {
        0
    }
}

/// Bytes of the named outputs of one step of `batch` samples.
pub fn outputs_bytes(scenario: &Scenario, outputs: &[String], batch: u64) -> Option<u64> {
    outputs.iter().try_fold(0u64, |total, name| {
        let per_sample = output_bytes_per_sample(scenario, name)?;
        let bytes = per_sample.checked_mul(batch)?.checked_add(output_fixed_bytes(name))?;
        total.checked_add(bytes)
    })
}

/// Bytes of everything one training step of `batch` samples returns.
/// `None` on overflow or when a shape is only known at run time.
pub fn step_output_bytes(scenario: &Scenario, batch: u64) -> Option<u64> {
    outputs_bytes(scenario, &scenario.produced_outputs(), batch)
}

/// Batch sizes of one pass over `samples` samples.
pub fn batch_sizes(samples: u64, batch_size: u64) -> impl Iterator<Item = u64> {
    let full = samples / batch_size;
    let rest = samples % batch_size;
    std::iter::repeat_n(batch_size, full as usize).chain((rest > 0).then_some(rest))
}

/// Bytes that holding `outputs` of every step over one pass of `samples`
/// samples adds up to.
pub fn epoch_outputs_bytes(
    scenario: &Scenario,
    outputs: &[String],
    samples: u64,
) -> Option<u64> {
    batch_sizes(samples, scenario.training.batch_size)
        .try_fold(0u64, |total, batch| total.checked_add(outputs_bytes(scenario, outputs, batch)?))
}

/// Host bytes of the whole data set (inputs and int64 labels), or `None`
/// for the digits file, whose size is known once it is read.
pub fn dataset_bytes(data: &DataSpec) -> Option<u64> {
    match data {
        DataSpec::Digits { .. } => Some(0),
        DataSpec::Synthetic { samples, .. } | DataSpec::SyntheticTokens { samples, .. } => {
            let per_sample = product(&data.sample_shape())?
                .checked_mul(data.input_element_bytes())?
                .checked_add(TARGET_BYTES_PER_SAMPLE)?;
            per_sample.checked_mul(*samples)
        }
    }
}

/// Elements per sample of the `hidden` output of a built-in model: the last
/// hidden width, or `sequence_length x d_model` for the transformer's
/// per-token states.
pub fn hidden_elements_per_sample(scenario: &Scenario) -> Option<u64> {
    match &scenario.model {
        ModelSpec::Mlp { hidden } => hidden.last().copied(),
        ModelSpec::Cnn { hidden, .. } => Some(*hidden),
        ModelSpec::Transformer { d_model, .. } => match scenario.data {
            DataSpec::SyntheticTokens { sequence_length, .. } => sequence_length.checked_mul(*d_model),
            _ => None,
        },
        ModelSpec::Torchscript { .. } => None,
    }
}

fn product(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |total, dim| total.checked_mul(*dim))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sizes_include_partial_last_batch() {
        assert_eq!(batch_sizes(10, 4).collect::<Vec<_>>(), vec![4, 4, 2]);
        assert_eq!(batch_sizes(8, 4).collect::<Vec<_>>(), vec![4, 4]);
        assert_eq!(batch_sizes(3, 4).collect::<Vec<_>>(), vec![3]);
    }
}
