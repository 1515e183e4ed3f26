//! TorchScript modules exported from Python (`torch.jit.trace` or
//! `torch.jit.script`), trained with the scenario's optimizer.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use tch::{nn, CModule, Device, IValue, Kind, Tensor};
use thiserror::Error;

use super::{Model, ModelOutput};
use crate::scenario::{
    DataSpec, InputDtype, ModelSpec, ModuleOutputSpec, OutputDtype, OutputSelector, Scenario,
    ScenarioError,
};

#[derive(Debug, Error)]
pub enum TorchscriptError {
    #[error("{path}: not a loadable TorchScript module ({message}); export it with torch.jit.trace or torch.jit.script and torch.jit.save")]
    Load { path: PathBuf, message: String },
    #[error("{path}: the module has no trainable parameters ({frozen} frozen ones with requires_grad=False); export a module whose parameters have requires_grad=True")]
    NoTrainableParameters { path: PathBuf, frozen: usize },
    #[error("{path}: forward failed: {message}")]
    Forward { path: PathBuf, message: String },
    #[error("{path}: output {selector} ({key}) not found: the module returned {found}")]
    MissingOutput {
        path: PathBuf,
        key: String,
        selector: String,
        found: String,
    },
    #[error("{path}: output {selector} ({key}) is {found}, expected a tensor")]
    NotATensor {
        path: PathBuf,
        key: String,
        selector: String,
        found: String,
    },
    #[error("{path}: output {output} is {found}, but {key} expects {expected}")]
    OutputMismatch {
        path: PathBuf,
        key: String,
        /// Name and selector, such as `"embedding" at index 1`.
        output: String,
        expected: String,
        found: String,
    },
}

impl TorchscriptError {
    /// Returns the scenario key whose declaration the module does not meet.
    fn scenario_key(&self) -> String {
        match self {
            TorchscriptError::Load { .. }
            | TorchscriptError::NoTrainableParameters { .. }
            | TorchscriptError::Forward { .. } => "model.path".to_owned(),
            TorchscriptError::MissingOutput { key, .. }
            | TorchscriptError::NotATensor { key, .. }
            | TorchscriptError::OutputMismatch { key, .. } => key.clone(),
        }
    }
}

/// Declarations from the scenario about a module's outputs.
pub struct OutputContract {
    pub logits: OutputSelector,
    /// Classes of the data: the logits must be `[batch, classes]` float32.
    pub classes: i64,
    pub extra_outputs: Vec<ModuleOutputSpec>,
}

pub struct TorchscriptModel {
    path: PathBuf,
    module: RefCell<CModule>,
    contract: OutputContract,
}

impl TorchscriptModel {
    /// Loads the module onto `root`'s device and adds its parameters to
    /// `root`'s variable store, trainable where they have `requires_grad`,
    /// as `tch::TrainableCModule::load` does.
    pub fn load(path: &Path, root: &nn::Path, contract: OutputContract) -> Result<Self, TorchscriptError> {
        let module = CModule::load_on_device(path, root.device()).map_err(|error| {
            TorchscriptError::Load { path: path.to_owned(), message: describe_load_failure(&error.to_string()) }
        })?;
        let parameters = module.named_parameters().map_err(|error| TorchscriptError::Load {
            path: path.to_owned(),
            message: summarize_torch_error(&error.to_string()),
        })?;
        let mut trainable = 0;
        for (name, tensor) in &parameters {
            let requires_grad = tensor.requires_grad();
            trainable += usize::from(requires_grad);
            let _registered = root.add(&name.replace('.', "_"), tensor.shallow_clone(), requires_grad);
        }
        if trainable == 0 {
            return Err(TorchscriptError::NoTrainableParameters {
                path: path.to_owned(),
                frozen: parameters.len(),
            });
        }
        Ok(Self { path: path.to_owned(), module: RefCell::new(module), contract })
    }

    /// Runs the module and checks every selected output against the
    /// contract, so a mismatch never reaches the byte counts.
    fn run(&self, inputs: &Tensor, train: bool) -> Result<ModelOutput, TorchscriptError> {
        let forward_error = |error: tch::TchError| TorchscriptError::Forward {
            path: self.path.clone(),
            message: summarize_torch_error(&error.to_string()),
        };
        let mut module = self.module.borrow_mut();
        if train {
            module.f_set_train().map_err(forward_error)?;
        } else {
            module.f_set_eval().map_err(forward_error)?;
        }
        let output = module.forward_is(&[IValue::Tensor(inputs.shallow_clone())]).map_err(forward_error)?;
        let batch = inputs.size()[0];

        let logits_key = "model.logits";
        let logits = self.select(&output, &self.contract.logits, logits_key)?;
        self.check_output(
            &logits,
            OutputCheck {
                key: logits_key,
                name: "logits",
                selector: &self.contract.logits,
                shape: Some(vec![batch, self.contract.classes]),
                kind: Some(Kind::Float),
                meaning: "[batch, data.classes]",
            },
        )?;

        let mut extras = Vec::with_capacity(self.contract.extra_outputs.len());
        for (index, extra) in self.contract.extra_outputs.iter().enumerate() {
            let key = format!("model.extra_outputs[{index}]");
            let tensor = self.select(&output, &extra.select, &key)?;
            let shape = extra.shape.as_ref().map(|shape| {
                std::iter::once(batch).chain(shape.iter().map(|d| *d as i64)).collect::<Vec<i64>>()
            });
            self.check_output(
                &tensor,
                OutputCheck {
                    key: &key,
                    name: &extra.name,
                    selector: &extra.select,
                    shape,
                    kind: extra.dtype.map(output_kind),
                    meaning: "[batch, ..shape]",
                },
            )?;
            extras.push((extra.name.clone(), tensor));
        }
        Ok(ModelOutput { logits, hidden: None, extras })
    }

    fn select(&self, output: &IValue, selector: &OutputSelector, key: &str) -> Result<Tensor, TorchscriptError> {
        let missing = || TorchscriptError::MissingOutput {
            path: self.path.clone(),
            key: key.to_owned(),
            selector: selector_text(selector),
            found: describe(output),
        };
        let value = match (output, selector) {
            (IValue::Tensor(tensor), OutputSelector::Index(0)) => return Ok(tensor.shallow_clone()),
            (IValue::Tuple(items) | IValue::GenericList(items), OutputSelector::Index(index)) => {
                items.get(*index as usize).ok_or_else(missing)?
            }
            (IValue::TensorList(items), OutputSelector::Index(index)) => {
                return items.get(*index as usize).map(Tensor::shallow_clone).ok_or_else(missing)
            }
            (IValue::GenericDict(entries), OutputSelector::Key(name)) => entries
                .iter()
                .find(|(entry, _)| matches!(entry, IValue::String(entry) if entry == name))
                .map(|(_, value)| value)
                .ok_or_else(missing)?,
            _ => return Err(missing()),
        };
        match value {
            IValue::Tensor(tensor) => Ok(tensor.shallow_clone()),
            other => Err(TorchscriptError::NotATensor {
                path: self.path.clone(),
                key: key.to_owned(),
                selector: selector_text(selector),
                found: describe(other),
            }),
        }
    }

    fn check_output(&self, tensor: &Tensor, check: OutputCheck) -> Result<(), TorchscriptError> {
        let size = tensor.size();
        let kind = tensor.kind();
        let shape_matches = check.shape.as_ref().is_none_or(|shape| *shape == size);
        let kind_matches = check.kind.is_none_or(|expected| expected == kind);
        if shape_matches && kind_matches {
            return Ok(());
        }
        let expected_shape = check.shape.as_ref().map_or("any shape".to_owned(), |shape| format!("{shape:?}"));
        let expected_kind = check.kind.map_or("any dtype", kind_name);
        Err(TorchscriptError::OutputMismatch {
            path: self.path.clone(),
            key: check.key.to_owned(),
            output: format!("{:?} {}", check.name, selector_text(check.selector)),
            expected: format!("{expected_shape} {expected_kind} ({})", check.meaning),
            found: format!("{size:?} {}", kind_name(kind)),
        })
    }
}

impl Model for TorchscriptModel {
    fn forward(&self, inputs: &Tensor, train: bool) -> anyhow::Result<ModelOutput> {
        Ok(self.run(inputs, train)?)
    }
}

/// One output and what the scenario declares about it.
struct OutputCheck<'a> {
    key: &'a str,
    name: &'a str,
    selector: &'a OutputSelector,
    /// Whole expected shape, batch dimension included.
    shape: Option<Vec<i64>>,
    kind: Option<Kind>,
    /// Formula of the expected shape, such as `[batch, ..shape]`, for the
    /// error message.
    meaning: &'static str,
}

/// Loads the scenario's TorchScript module on the CPU, so that a missing,
/// unloadable or frozen module is a scenario error before any worker starts.
/// With `run_forward` it also runs one zero batch of the declared input
/// through it in training mode (and evaluation mode when the scenario
/// validates) and checks every declared output. Does nothing for built-in
/// models.
pub fn check_module(scenario: &Scenario, run_forward: bool) -> Result<(), ScenarioError> {
    let ModelSpec::Torchscript { path, input, logits, extra_outputs } = &scenario.model else {
        return Ok(());
    };
    let invalid = |error: TorchscriptError| ScenarioError::Invalid {
        path: scenario.source_path.clone(),
        key: error.scenario_key(),
        message: error.to_string(),
    };
    let var_store = nn::VarStore::new(Device::Cpu);
    let contract = OutputContract {
        logits: logits.clone(),
        classes: scenario.data.classes() as i64,
        extra_outputs: extra_outputs.clone(),
    };
    let model = TorchscriptModel::load(path, &var_store.root(), contract).map_err(invalid)?;
    if !run_forward {
        return Ok(());
    }

    let mut shape = vec![probe_batch_size(scenario)];
    shape.extend(input.shape.iter().map(|d| *d as i64));
    let kind = match input.dtype {
        InputDtype::Float32 => Kind::Float,
        InputDtype::Int64 => Kind::Int64,
    };
    let inputs = Tensor::zeros(shape.as_slice(), (kind, Device::Cpu));
    tch::no_grad(|| {
        model.run(&inputs, true)?;
        if scenario.training.validation_split > 0.0 {
            model.run(&inputs, false)?;
        }
        Ok(())
    })
    .map_err(invalid)
}

/// Size of the first training batch where the data's size is known without
/// reading a file, else the configured batch size.
fn probe_batch_size(scenario: &Scenario) -> i64 {
    let batch_size = scenario.training.batch_size;
    let batch = match scenario.data {
        DataSpec::Synthetic { samples, .. } | DataSpec::SyntheticTokens { samples, .. } => {
            let validation = (samples as f64 * scenario.training.validation_split).floor() as u64;
            batch_size.min(samples.saturating_sub(validation).max(1))
        }
        DataSpec::Digits { .. } => batch_size,
    };
    batch as i64
}

fn output_kind(dtype: OutputDtype) -> Kind {
    match dtype {
        OutputDtype::Bool => Kind::Bool,
        OutputDtype::Uint8 => Kind::Uint8,
        OutputDtype::Int8 => Kind::Int8,
        OutputDtype::Int16 => Kind::Int16,
        OutputDtype::Int32 => Kind::Int,
        OutputDtype::Int64 => Kind::Int64,
        OutputDtype::Float16 => Kind::Half,
        OutputDtype::Bfloat16 => Kind::BFloat16,
        OutputDtype::Float32 => Kind::Float,
        OutputDtype::Float64 => Kind::Double,
    }
}

/// Returns the scenario's name for a tensor kind, such as `float32`.
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "bool",
        Kind::Uint8 => "uint8",
        Kind::Int8 => "int8",
        Kind::Int16 => "int16",
        Kind::Int => "int32",
        Kind::Int64 => "int64",
        Kind::Half => "float16",
        Kind::BFloat16 => "bfloat16",
        Kind::Float => "float32",
        Kind::Double => "float64",
        _ => "a dtype that scenarios cannot declare",
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

/// States why libtorch could not read a file as a TorchScript archive.
fn describe_load_failure(text: &str) -> String {
    let summary = summarize_torch_error(text);
    // libtorch 2.13 appends advice about corrupted checkpoints to every zip
    // reader error. That advice misleads for files that were never TorchScript.
    let summary = match summary.find(". This is an internal miniz error") {
        Some(end) => summary[..end].to_owned(),
        None => summary,
    };
    if summary.contains("constants.pkl") {
        format!(
            "{summary}: a torch.save archive without TorchScript code, such as a saved state dict"
        )
    } else {
        summary
    }
}

/// Shortens a libtorch error to the line that states the cause. TorchScript
/// interpreter errors put a traceback first and the Python-style
/// `RuntimeError: ...` line last.
fn summarize_torch_error(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let cause = lines.iter().rev().find(|line| {
        line.split_once(": ").is_some_and(|(prefix, _)| prefix.ends_with("Error") && !prefix.contains(' '))
    });
    cause.or(lines.first()).map_or_else(|| text.to_owned(), |line| (*line).to_owned())
}
