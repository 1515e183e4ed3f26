//! `training_step`: the forward pass and the outputs it returns.

use tch::{Kind, Reduction, Tensor};

use crate::data::Batch;
use crate::model::BuiltModel;
use crate::scenario::{PayloadDtype, Scenario};
use crate::strategy::StepOutputs;

/// Runs the forward pass on one batch and returns the scenario's outputs.
pub fn run_step(
    scenario: &Scenario,
    model: &BuiltModel,
    batch: &Batch,
    train: bool,
) -> anyhow::Result<StepOutputs> {
    let forward = model.model.forward(&batch.inputs, train)?;
    let batch_size = batch.labels.size()[0];
    let logits = forward.logits;
    check_logits(&logits, batch_size, scenario.data.classes() as i64)?;
    let loss = logits.cross_entropy_for_logits(&batch.labels);

    let spec = &scenario.step_outputs;
    let mut tensors = Vec::with_capacity(8);
    tensors.push(("loss".to_owned(), loss));
    if spec.per_sample_loss {
        // Computed apart from the mean loss, so its autograd graph is never
        // consumed by backward and stays alive as long as the output does.
        let per_sample = logits.cross_entropy_loss::<Tensor>(&batch.labels, None, Reduction::None, -100, 0.0);
        tensors.push(("per_sample_loss".to_owned(), per_sample));
    }
    if let Some(payload) = &spec.payload {
        tensors.push(("payload".to_owned(), make_payload(&logits, &payload.shape, payload.dtype)));
    }
    if spec.hidden {
        let hidden = forward.hidden.ok_or_else(|| anyhow::anyhow!("the model returned no hidden activation"))?;
        tensors.push(("hidden".to_owned(), hidden));
    }
    if spec.input {
        tensors.push(("input".to_owned(), batch.inputs.shallow_clone()));
    }
    tensors.extend(forward.extras);
    tensors.push(("logits".to_owned(), logits));
    tensors.push(("targets".to_owned(), batch.labels.shallow_clone()));
    Ok(StepOutputs { batch_size: batch_size as u64, tensors })
}

fn check_logits(logits: &Tensor, batch: i64, classes: i64) -> anyhow::Result<()> {
    let size = logits.size();
    if size != [batch, classes] {
        anyhow::bail!(
            "the model's logits have shape {size:?}, expected [{batch}, {classes}] (batch, classes \
             of the data)"
        );
    }
    if logits.kind() != Kind::Float {
        anyhow::bail!("the model's logits are {:?}, expected float32", logits.kind());
    }
    Ok(())
}

/// Builds a `[batch, ..shape]` tensor derived from the logits, so that it shares
/// their autograd graph unless detached, materialised in its own storage.
fn make_payload(logits: &Tensor, shape: &[u64], dtype: PayloadDtype) -> Tensor {
    let batch = logits.size()[0];
    let per_sample: i64 = shape.iter().product::<u64>() as i64;
    let kind = match dtype {
        PayloadDtype::Float32 => Kind::Float,
        PayloadDtype::Float16 => Kind::Half,
        PayloadDtype::Bfloat16 => Kind::BFloat16,
        PayloadDtype::Float64 => Kind::Double,
    };
    let mut full_shape = vec![batch];
    full_shape.extend(shape.iter().map(|d| *d as i64));
    logits
        .narrow(1, 0, 1)
        .expand([batch, per_sample], false)
        .to_kind(kind)
        .contiguous()
        .view(full_shape.as_slice())
}
