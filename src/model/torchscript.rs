//! TorchScript modules exported from Python (`torch.jit.trace` or
//! `torch.jit.script`), trained with the scenario's optimizer.

use std::path::{Path, PathBuf};

use tch::{nn, IValue, Tensor, TrainableCModule};
use thiserror::Error;

use super::{Model, ModelOutput};
use crate::scenario::{ModuleOutputSpec, OutputSelector};

#[derive(Debug, Error)]
pub enum TorchscriptError {
    #[error("{path}: not a loadable TorchScript module ({message}); export it with torch.jit.trace or torch.jit.script and torch.jit.save")]
    Load { path: PathBuf, message: String },
    #[error("{path}: forward failed: {message}")]
    Forward { path: PathBuf, message: String },
    #[error("{path}: output {selector} not found: the module returned {found}")]
    MissingOutput {
        path: PathBuf,
        selector: String,
        found: String,
    },
    #[error("{path}: output {selector} is {found}, expected a tensor")]
    NotATensor {
        path: PathBuf,
        selector: String,
        found: String,
    },
}

pub struct TorchscriptModel {
    path: PathBuf,
    module: std::cell::RefCell<TrainableCModule>,
    logits: OutputSelector,
    extra_outputs: Vec<ModuleOutputSpec>,
}

impl TorchscriptModel {
    pub fn load(
        path: &Path,
        root: &nn::Path,
        logits: OutputSelector,
        extra_outputs: Vec<ModuleOutputSpec>,
    ) -> Result<Self, TorchscriptError> {
        let module = TrainableCModule::load(path, root.clone()).map_err(|error| TorchscriptError::Load {
            path: path.to_owned(),
            message: first_line(&error.to_string()),
        })?;
        Ok(Self {
            path: path.to_owned(),
            module: std::cell::RefCell::new(module),
            logits,
            extra_outputs,
        })
    }

    fn select(&self, output: &IValue, selector: &OutputSelector) -> Result<Tensor, TorchscriptError> {
        let found = describe(output);
        let missing = || TorchscriptError::MissingOutput {
            path: self.path.clone(),
            selector: selector_text(selector),
            found: found.clone(),
        };
        let value = match (output, selector) {
            (IValue::Tensor(tensor), OutputSelector::Index(0)) => return Ok(tensor.shallow_clone()),
            (IValue::Tuple(items) | IValue::GenericList(items), OutputSelector::Index(index)) => {
                items.get(*index as usize).ok_or_else(missing)?
            }
            (IValue::TensorList(items), OutputSelector::Index(index)) => {
                return items.get(*index as usize).map(Tensor::shallow_clone).ok_or_else(missing)
            }
            (IValue::GenericDict(entries), OutputSelector::Key(key)) => entries
                .iter()
                .find(|(name, _)| matches!(name, IValue::String(name) if name == key))
                .map(|(_, value)| value)
                .ok_or_else(missing)?,
            _ => return Err(missing()),
        };
        match value {
            IValue::Tensor(tensor) => Ok(tensor.shallow_clone()),
            other => Err(TorchscriptError::NotATensor {
                path: self.path.clone(),
                selector: selector_text(selector),
                found: describe(other),
            }),
        }
    }
}

impl Model for TorchscriptModel {
    fn forward(&self, inputs: &Tensor, train: bool) -> anyhow::Result<ModelOutput> {
        let mut module = self.module.borrow_mut();
        if train {
            module.set_train();
        } else {
            module.set_eval();
        }
        let output = module
            .forward_is(&[IValue::Tensor(inputs.shallow_clone())])
            .map_err(|error| TorchscriptError::Forward {
                path: self.path.clone(),
                message: first_line(&error.to_string()),
            })?;
        let logits = self.select(&output, &self.logits)?;
        let mut extras = Vec::with_capacity(self.extra_outputs.len());
        for extra in &self.extra_outputs {
            extras.push((extra.name.clone(), self.select(&output, &extra.select)?));
        }
        Ok(ModelOutput { logits, hidden: None, extras })
    }
}

fn selector_text(selector: &OutputSelector) -> String {
    match selector {
        OutputSelector::Index(index) => format!("at index {index}"),
        OutputSelector::Key(key) => format!("with key {key:?}"),
    }
}

fn describe(value: &IValue) -> String {
    match value {
        IValue::Tensor(tensor) => format!("a tensor of shape {:?}", tensor.size()),
        IValue::Tuple(items) => format!("a tuple of {} values", items.len()),
        IValue::GenericList(items) => format!("a list of {} values", items.len()),
        IValue::TensorList(items) => format!("a list of {} tensors", items.len()),
        IValue::GenericDict(entries) => {
            let keys: Vec<String> = entries
                .iter()
                .map(|(key, _)| match key {
                    IValue::String(key) => format!("{key:?}"),
                    _ => "?".to_owned(),
                })
                .collect();
            format!("a dict with keys [{}]", keys.join(", "))
        }
        IValue::None => "None".to_owned(),
        IValue::Double(_) | IValue::Int(_) | IValue::Bool(_) => "a scalar".to_owned(),
        _ => "a non-tensor value".to_owned(),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_owned()
}
