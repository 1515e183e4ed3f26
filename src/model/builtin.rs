//! Built-in models. Each returns its logits and its last hidden activation.

use tch::nn::{self, Module};
use tch::{Kind, Tensor};

use super::{Model, ModelOutput};

/// Fully connected layers with ReLU between them.
pub struct Mlp {
    layers: Vec<nn::Linear>,
    head: nn::Linear,
}

impl Mlp {
    pub fn new(root: &nn::Path, sample_shape: &[i64], hidden: &[u64], classes: i64) -> Self {
        let mut width: i64 = sample_shape.iter().product();
        let mut layers = Vec::new();
        for (index, next) in hidden.iter().enumerate() {
            layers.push(nn::linear(root / format!("layer{index}"), width, *next as i64, Default::default()));
            width = *next as i64;
        }
        let head = nn::linear(root / "head", width, classes, Default::default());
        Self { layers, head }
    }
}

impl Model for Mlp {
    fn forward(&self, inputs: &Tensor, _train: bool) -> anyhow::Result<ModelOutput> {
        let mut hidden = inputs.flatten(1, -1);
        for layer in &self.layers {
            hidden = layer.forward(&hidden).relu();
        }
        let logits = self.head.forward(&hidden);
        let hidden = (!self.layers.is_empty()).then_some(hidden);
        Ok(ModelOutput { logits, hidden, extras: Vec::new() })
    }
}

/// Two 3x3 convolutions with 2x2 max pooling, a hidden layer and a head.
pub struct Cnn {
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    fc: nn::Linear,
    head: nn::Linear,
}

impl Cnn {
    pub fn new(root: &nn::Path, sample_shape: &[i64], channels: &[u64], hidden: u64, classes: i64) -> Self {
        let config = nn::ConvConfig { padding: 1, ..Default::default() };
        let (c0, c1, c2) = (sample_shape[0], channels[0] as i64, channels[1] as i64);
        let flat = c2 * (sample_shape[1] / 4) * (sample_shape[2] / 4);
        Self {
            conv1: nn::conv2d(root / "conv1", c0, c1, 3, config),
            conv2: nn::conv2d(root / "conv2", c1, c2, 3, config),
            fc: nn::linear(root / "fc", flat, hidden as i64, Default::default()),
            head: nn::linear(root / "head", hidden as i64, classes, Default::default()),
        }
    }
}

impl Model for Cnn {
    fn forward(&self, inputs: &Tensor, _train: bool) -> anyhow::Result<ModelOutput> {
        let x = self.conv1.forward(inputs).relu().max_pool2d_default(2);
        let x = self.conv2.forward(&x).relu().max_pool2d_default(2);
        let hidden = self.fc.forward(&x.flatten(1, -1)).relu();
        let logits = self.head.forward(&hidden);
        Ok(ModelOutput { logits, hidden: Some(hidden), extras: Vec::new() })
    }
}

pub struct TransformerShape {
    pub vocabulary: i64,
    pub sequence_length: i64,
    pub d_model: i64,
    pub heads: i64,
    pub layers: i64,
    pub feed_forward: i64,
    pub classes: i64,
}

struct EncoderLayer {
    norm1: nn::LayerNorm,
    qkv: nn::Linear,
    out: nn::Linear,
    norm2: nn::LayerNorm,
    ff1: nn::Linear,
    ff2: nn::Linear,
}

/// Token and position embeddings, pre-norm encoder layers, mean pooling and a
/// linear head. Its hidden output is the per-token states
/// `[batch, sequence, d_model]`.
pub struct Transformer {
    embedding: nn::Embedding,
    positions: Tensor,
    layers: Vec<EncoderLayer>,
    final_norm: nn::LayerNorm,
    head: nn::Linear,
    heads: i64,
}

impl Transformer {
    pub fn new(root: &nn::Path, shape: TransformerShape) -> Self {
        let d = shape.d_model;
        let layers = (0..shape.layers)
            .map(|index| {
                let path = root / format!("layer{index}");
                EncoderLayer {
                    norm1: nn::layer_norm(&path / "norm1", vec![d], Default::default()),
                    qkv: nn::linear(&path / "qkv", d, 3 * d, Default::default()),
                    out: nn::linear(&path / "out", d, d, Default::default()),
                    norm2: nn::layer_norm(&path / "norm2", vec![d], Default::default()),
                    ff1: nn::linear(&path / "ff1", d, shape.feed_forward, Default::default()),
                    ff2: nn::linear(&path / "ff2", shape.feed_forward, d, Default::default()),
                }
            })
            .collect();
        Self {
            embedding: nn::embedding(root / "embedding", shape.vocabulary, d, Default::default()),
            positions: root.randn("positions", &[shape.sequence_length, d], 0.0, 0.02),
            layers,
            final_norm: nn::layer_norm(root / "final_norm", vec![d], Default::default()),
            head: nn::linear(root / "head", d, shape.classes, Default::default()),
            heads: shape.heads,
        }
    }
}

impl Model for Transformer {
    // `x += y` on a tch Tensor is the in-place `add_`, which would modify the
    // residual stream that layer norm saved for backward.
    #[allow(clippy::assign_op_pattern)]
    fn forward(&self, tokens: &Tensor, _train: bool) -> anyhow::Result<ModelOutput> {
        let (batch, length) = (tokens.size()[0], tokens.size()[1]);
        let d = self.positions.size()[1];
        let head_dim = d / self.heads;
        let mut x = self.embedding.forward(tokens) + self.positions.unsqueeze(0);
        for layer in &self.layers {
            let qkv = layer
                .qkv
                .forward(&layer.norm1.forward(&x))
                .view([batch, length, 3, self.heads, head_dim])
                .permute([2, 0, 3, 1, 4]);
            let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
            let attention =
                Tensor::scaled_dot_product_attention(&q, &k, &v, None::<Tensor>, 0.0, false, None, false);
            let attention = attention.transpose(1, 2).reshape([batch, length, d]);
            x = x + layer.out.forward(&attention);
            let feed_forward = layer.ff2.forward(&layer.ff1.forward(&layer.norm2.forward(&x)).gelu("none"));
            x = x + feed_forward;
        }
        let states = self.final_norm.forward(&x);
        let logits = self.head.forward(&states.mean_dim(1, false, Kind::Float));
        Ok(ModelOutput { logits, hidden: Some(states), extras: Vec::new() })
    }
}
