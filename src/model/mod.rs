//! Models: built-in MLP, CNN and transformer, and TorchScript modules.

mod builtin;
mod torchscript;

use tch::{nn, Device, Tensor};

use crate::scenario::{ModelSpec, Scenario};

pub use torchscript::{check_module, TorchscriptError};

/// Outputs of one forward pass.
pub struct ModelOutput {
    pub logits: Tensor,
    /// Last hidden activation of a built-in model (`[batch, width]`, or
    /// `[batch, sequence, d_model]` for the transformer).
    pub hidden: Option<Tensor>,
    /// Named extra outputs of a TorchScript module.
    pub extras: Vec<(String, Tensor)>,
}

pub trait Model {
    fn forward(&self, inputs: &Tensor, train: bool) -> anyhow::Result<ModelOutput>;
}

/// A model with its trainable parameters.
pub struct BuiltModel {
    pub var_store: nn::VarStore,
    pub model: Box<dyn Model>,
}

/// Builds the scenario's model on `device`. Call `tch::manual_seed` first so
/// every strategy starts from the same weights.
pub fn build_model(scenario: &Scenario, device: Device) -> anyhow::Result<BuiltModel> {
    let var_store = nn::VarStore::new(device);
    let root = var_store.root();
    let sample_shape: Vec<i64> = scenario.data.sample_shape().iter().map(|d| *d as i64).collect();
    let classes = scenario.data.classes() as i64;
    let model: Box<dyn Model> = match &scenario.model {
        ModelSpec::Mlp { hidden } => Box::new(builtin::Mlp::new(&root, &sample_shape, hidden, classes)),
        ModelSpec::Cnn { channels, hidden } => {
            Box::new(builtin::Cnn::new(&root, &sample_shape, channels, *hidden, classes))
        }
        ModelSpec::Transformer { d_model, heads, layers, feed_forward } => {
            let crate::scenario::DataSpec::SyntheticTokens { vocabulary, sequence_length, .. } =
                scenario.data
            else {
                anyhow::bail!("the transformer model needs synthetic_tokens data");
            };
            Box::new(builtin::Transformer::new(
                &root,
                builtin::TransformerShape {
                    vocabulary: vocabulary as i64,
                    sequence_length: sequence_length as i64,
                    d_model: *d_model as i64,
                    heads: *heads as i64,
                    layers: *layers as i64,
                    feed_forward: *feed_forward as i64,
                    classes,
                },
            ))
        }
        ModelSpec::Torchscript { path, logits, extra_outputs, .. } => {
            let contract = torchscript::OutputContract {
                logits: logits.clone(),
                classes,
                extra_outputs: extra_outputs.clone(),
            };
            Box::new(torchscript::TorchscriptModel::load(path, &root, contract)?)
        }
    };
    if var_store.trainable_variables().is_empty() {
        anyhow::bail!(
            "the model has no trainable parameters; export a module whose parameters have \
             requires_grad=True"
        );
    }
    Ok(BuiltModel { var_store, model })
}
