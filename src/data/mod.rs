//! Data sets: the shipped digits file and seeded synthetic data, split into
//! training and validation sets and served in seeded batch order.

mod digits;
mod synthetic;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

use crate::scenario::{DataSpec, DigitsLayout, Scenario};

pub use digits::{read_digits, DigitsError};

/// Inputs and int64 labels of one split, on the host.
pub struct Split {
    pub inputs: Tensor,
    pub labels: Tensor,
}

impl Split {
    pub fn len(&self) -> u64 {
        self.labels.size()[0] as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One batch, copied out of its split, so it owns its storage.
pub struct Batch {
    pub inputs: Tensor,
    pub labels: Tensor,
}

pub struct Dataset {
    pub train: Split,
    pub validation: Option<Split>,
}

/// Loads or generates the scenario's data and splits it with the seed.
pub fn load_dataset(scenario: &Scenario) -> anyhow::Result<Dataset> {
    let (inputs, labels) = match &scenario.data {
        DataSpec::Digits { path, layout } => {
            let (inputs, labels) = read_digits(path)?;
            let inputs = match layout {
                DigitsLayout::Flat => inputs,
                DigitsLayout::Image => inputs.view([-1, 1, 8, 8]),
            };
            (inputs, labels)
        }
        DataSpec::Synthetic { sample_shape, samples, classes } => {
            synthetic::gaussian_classes(scenario.seed, sample_shape, *samples, *classes)
        }
        DataSpec::SyntheticTokens { sequence_length, vocabulary, samples, classes } => {
            synthetic::token_sequences(scenario.seed, *sequence_length, *vocabulary, *samples, *classes)
        }
    };
    split(scenario, inputs, labels)
}

fn split(scenario: &Scenario, inputs: Tensor, labels: Tensor) -> anyhow::Result<Dataset> {
    let total = labels.size()[0] as u64;
    let validation_count = (total as f64 * scenario.training.validation_split).floor() as u64;
    if validation_count >= total || (scenario.training.validation_split > 0.0 && validation_count == 0) {
        return Err(crate::UsageError(format!(
            "{}: training.validation_split: {} of {total} samples leaves no samples for \
             training or none for validation; choose a split between 0 and 1 that leaves both \
             at least one sample",
            scenario.source_path.display(),
            scenario.training.validation_split
        ))
        .into());
    }
    let mut order: Vec<i64> = (0..total as i64).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x5151_7e57));
    let (validation_order, train_order) = order.split_at(validation_count as usize);
    let take = |indices: &[i64]| {
        let index = Tensor::from_slice(indices);
        Split {
            inputs: inputs.index_select(0, &index),
            labels: labels.index_select(0, &index),
        }
    };
    Ok(Dataset {
        train: take(train_order),
        validation: (validation_count > 0).then(|| take(validation_order)),
    })
}

/// Batch order of one epoch: a seeded shuffle for training, the stored
/// order for validation. The same seed gives every strategy the same order.
pub fn epoch_order(seed: u64, epoch: u32, samples: u64, shuffle: bool) -> Vec<i64> {
    let mut order: Vec<i64> = (0..samples as i64).collect();
    if shuffle {
        let stream = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(epoch);
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(stream));
    }
    order
}

/// Copies the samples at `indices` into a new batch on `device`.
pub fn make_batch(split: &Split, indices: &[i64], device: Device) -> Batch {
    let index = Tensor::from_slice(indices);
    let inputs = split.inputs.index_select(0, &index);
    let labels = split.labels.index_select(0, &index);
    match device {
        Device::Cpu => Batch { inputs, labels },
        device => Batch {
            inputs: inputs.to_device(device),
            labels: labels.to_device(device),
        },
    }
}

/// Converts a Kind to its element size in bytes.
pub fn element_bytes(kind: Kind) -> u64 {
    kind.elt_size_in_bytes() as u64
}
