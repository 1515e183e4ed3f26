//! Seeded synthetic data that a model can learn, so accuracy means something.

use tch::{Device, Kind, Tensor};

/// Gaussian noise around one random prototype per class.
pub fn gaussian_classes(seed: u64, shape: &[u64], samples: u64, classes: u64) -> (Tensor, Tensor) {
    tch::manual_seed(seed as i64);
    let shape: Vec<i64> = shape.iter().map(|d| *d as i64).collect();
    let options = (Kind::Float, Device::Cpu);
    let labels = Tensor::arange(samples as i64, (Kind::Int64, Device::Cpu)).remainder(classes as i64);
    let mut prototype_shape = vec![classes as i64];
    prototype_shape.extend(&shape);
    let prototypes = Tensor::randn(prototype_shape.as_slice(), options);
    let mut sample_shape = vec![samples as i64];
    sample_shape.extend(&shape);
    let noise = Tensor::randn(sample_shape.as_slice(), options) * 1.5;
    (prototypes.index_select(0, &labels) + noise, labels)
}

/// Token sequences in which half of the tokens come from a band of the
/// vocabulary that belongs to the sequence's class.
pub fn token_sequences(
    seed: u64,
    sequence_length: u64,
    vocabulary: u64,
    samples: u64,
    classes: u64,
) -> (Tensor, Tensor) {
    tch::manual_seed(seed as i64);
    let options = (Kind::Int64, Device::Cpu);
    let (n, length) = (samples as i64, sequence_length as i64);
    let labels = Tensor::arange(n, options).remainder(classes as i64);
    let band = (vocabulary / classes) as i64;
    let uniform = Tensor::randint(vocabulary as i64, [n, length], options);
    let in_band = Tensor::randint(band, [n, length], options) + (&labels * band).unsqueeze(1);
    let pick_band = Tensor::rand([n, length], (Kind::Float, Device::Cpu)).lt(0.5);
    (in_band.where_self(&pick_band, &uniform), labels)
}
