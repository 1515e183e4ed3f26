//! Turns scenario YAML into a [`Scenario`], applying defaults in one place.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::raw::{RawData, RawModel, RawModuleInput, RawModuleOutput, RawScenario, RawStrategy};
use super::{
    produced_outputs, DataSpec, DeviceRequest, Limits, ModelSpec, ModuleInputSpec,
    ModuleOutputSpec, OutputDtype, OutputSelector, PayloadSpec, ProbeSettings, Scenario,
    StepOutputSpec, StrategyKind, StrategySpec, TrainingSpec, ALWAYS_PRODUCED_OUTPUTS,
};
use crate::limits::default_host_budget_bytes;

/// Scenario files larger than this are rejected before parsing.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 1024 * 1024;

const DEFAULT_RSS_SAMPLE_INTERVAL_MS: u64 = 20;
const DEFAULT_MAX_TIMELINE_POINTS: usize = 2000;

/// A scenario that cannot be read or is not valid. Every variant names the
/// file; `Invalid` also names the YAML key.
#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("{path}: cannot read scenario file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: is a directory, expected a scenario YAML file")]
    IsDirectory { path: PathBuf },
    #[error("{path}: file is {size} bytes, larger than the {max} bytes a scenario may have")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("{path}:{location}{message}")]
    Syntax {
        path: PathBuf,
        location: String,
        message: String,
    },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Reads and validates a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let metadata = std::fs::metadata(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    if metadata.is_dir() {
        return Err(ScenarioError::IsDirectory { path: path.to_owned() });
    }
    if metadata.len() > MAX_SCENARIO_FILE_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_owned(),
            size: metadata.len(),
            max: MAX_SCENARIO_FILE_BYTES,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_scenario(&text, path)
}

/// Parses and validates scenario text; `path` names the file in errors and
/// anchors relative paths inside the scenario.
pub fn parse_scenario(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = serde_yaml::from_str(text).map_err(|error| {
        let message = error.to_string();
        // Errors inside kind-selected sections carry no useful location of
        // their own; point them at their top-level key instead.
        let section_line = super::kind_tagged::SECTIONS
            .iter()
            .find(|section| message.starts_with(*section))
            .and_then(|section| top_level_key_line(text, section));
        let location = match (section_line, error.location()) {
            (Some(line), _) => format!("{line}:1: "),
            (None, Some(at)) => format!("{}:{}: ", at.line(), at.column()),
            (None, None) => " ".to_owned(),
        };
        ScenarioError::Syntax {
            path: path.to_owned(),
            location,
            message: strip_serde_location(&message),
        }
    })?;
    Validator { path }.validate(raw, text)
}

/// 1-based line of a top-level `key:` in the YAML text.
fn top_level_key_line(text: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    text.lines().position(|line| line.starts_with(&prefix)).map(|index| index + 1)
}

/// serde_yaml appends " at line L column C"; the location is already in the
/// prefix of our message.
fn strip_serde_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

struct Validator<'a> {
    path: &'a Path,
}

impl Validator<'_> {
    fn invalid(&self, key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_owned(),
            key: key.into(),
            message: message.into(),
        }
    }

    fn validate(&self, raw: RawScenario, text: &str) -> Result<Scenario, ScenarioError> {
        let name = match &raw.name {
            Some(name) => name.clone(),
            None => self
                .path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scenario".to_owned()),
        };
        self.check_name(&name)?;

        let device = self.parse_device(raw.device.as_deref().unwrap_or("cpu"))?;
        let data = self.resolve_data(&raw.data)?;
        let model = self.resolve_model(&raw.model)?;
        self.check_model_fits_data(&model, &data)?;

        let step_outputs = StepOutputSpec {
            hidden: raw.step_outputs.hidden,
            input: raw.step_outputs.input,
            per_sample_loss: raw.step_outputs.per_sample_loss,
            payload: raw.step_outputs.payload.as_ref().map(|payload| PayloadSpec {
                shape: payload.shape.iter().map(|d| d.get()).collect(),
                dtype: payload.dtype,
            }),
        };
        if step_outputs.hidden && matches!(model, ModelSpec::Torchscript { .. }) {
            return Err(self.invalid(
                "step_outputs.hidden",
                "a TorchScript model has no known hidden layer; declare the tensor under \
                 model.extra_outputs instead",
            ));
        }
        if let (ModelSpec::Mlp { hidden }, true) = (&model, step_outputs.hidden) {
            if hidden.is_empty() {
                return Err(self.invalid(
                    "step_outputs.hidden",
                    "the mlp has no hidden layers (model.hidden is empty); add a width or set \
                     hidden: false",
                ));
            }
        }

        let training = TrainingSpec {
            epochs: u32::try_from(raw.training.epochs.get())
                .map_err(|_| self.invalid("training.epochs", "must be at most 4294967295"))?,
            batch_size: raw.training.batch_size.get(),
            optimizer: raw.training.optimizer,
            learning_rate: raw.training.learning_rate.0,
            validation_split: raw.training.validation_split.0,
        };
        self.check_split(&data, training.validation_split)?;

        let produced = produced_outputs(&step_outputs, &model);
        let strategies = self.resolve_strategies(&raw.strategies, &produced)?;

        let limits = Limits {
            host_memory_bytes: raw.limits.host_memory_mib.map(|mib| mib.get().saturating_mul(1 << 20)),
            device_memory_bytes: raw
                .limits
                .device_memory_mib
                .map(|mib| mib.get().saturating_mul(1 << 20)),
            time_limit_seconds: raw.limits.time_limit_seconds.map(|s| s.0),
        };
        let probes = ProbeSettings {
            rss_sample_interval_ms: raw
                .probes
                .rss_sample_interval_ms
                .map_or(DEFAULT_RSS_SAMPLE_INTERVAL_MS, |ms| ms.get()),
            max_timeline_points: raw
                .probes
                .max_timeline_points
                .map_or(DEFAULT_MAX_TIMELINE_POINTS, |n| n.get() as usize)
                .max(16),
            per_step: raw.probes.per_step.unwrap_or(true),
        };

        let scenario = Scenario {
            name,
            description: raw.description.clone(),
            source_path: self.path.to_owned(),
            yaml: text.to_owned(),
            seed: raw.seed,
            device,
            threads: raw.threads.map_or(1, |t| t.get() as usize),
            repeats: u32::try_from(raw.repeats.map_or(1, |r| r.get()))
                .map_err(|_| self.invalid("repeats", "must be at most 4294967295"))?,
            model,
            data,
            training,
            step_outputs,
            strategies,
            limits,
            probes,
            gate: raw.gate.clone(),
        };
        self.check_sizes(&scenario)?;
        Ok(scenario)
    }

    fn check_name(&self, name: &str) -> Result<(), ScenarioError> {
        let valid = !name.is_empty()
            && name.len() <= 100
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            && !name.starts_with('.');
        if valid {
            Ok(())
        } else {
            Err(self.invalid(
                "name",
                format!(
                    "invalid scenario name {name:?}: it names the report folder, so use 1 to 100 \
                     ASCII letters, digits, '_', '-' or '.', not starting with '.'"
                ),
            ))
        }
    }

    fn parse_device(&self, text: &str) -> Result<DeviceRequest, ScenarioError> {
        match text {
            "cpu" => Ok(DeviceRequest::Cpu),
            "cuda" => Ok(DeviceRequest::Cuda { index: 0 }),
            "auto" => Ok(DeviceRequest::Auto),
            other => other
                .strip_prefix("cuda:")
                .and_then(|index| index.parse::<usize>().ok())
                .map(|index| DeviceRequest::Cuda { index })
                .ok_or_else(|| {
                    self.invalid(
                        "device",
                        format!("invalid device {other:?}: expected cpu, cuda, cuda:N or auto"),
                    )
                }),
        }
    }

    fn resolve_relative(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_owned();
        }
        let base = self.path.parent().unwrap_or_else(|| Path::new("."));
        base.join(path)
    }

    fn check_existing_file(&self, key: &str, path: &Path) -> Result<(), ScenarioError> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(self.invalid(
                key,
                format!("{} is a directory, expected a file", path.display()),
            )),
            Err(error) => Err(self.invalid(
                key,
                format!(
                    "file {} not found ({error}); a relative path is resolved against the \
                     scenario file's folder",
                    path.display()
                ),
            )),
        }
    }

    fn resolve_data(&self, raw: &RawData) -> Result<DataSpec, ScenarioError> {
        Ok(match raw {
            RawData::Digits { path, layout } => {
                let path = match path {
                    Some(path) => self.resolve_relative(path),
                    None => Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv.gz"),
                };
                self.check_existing_file("data.path", &path)?;
                DataSpec::Digits { path, layout: *layout }
            }
            RawData::Synthetic { sample_shape, samples, classes } => {
                if sample_shape.is_empty() {
                    return Err(self.invalid(
                        "data.sample_shape",
                        "must list at least one dimension, such as [64]",
                    ));
                }
                if classes.get() < 2 {
                    return Err(self.invalid("data.classes", "must be at least 2"));
                }
                DataSpec::Synthetic {
                    sample_shape: sample_shape.iter().map(|d| d.get()).collect(),
                    samples: samples.get(),
                    classes: classes.get(),
                }
            }
            RawData::SyntheticTokens { sequence_length, vocabulary, samples, classes } => {
                if classes.get() < 2 {
                    return Err(self.invalid("data.classes", "must be at least 2"));
                }
                if vocabulary.get() < classes.get() {
                    return Err(self.invalid(
                        "data.vocabulary",
                        format!(
                            "must be at least data.classes ({}), because each class favours its \
                             own tokens",
                            classes.get()
                        ),
                    ));
                }
                DataSpec::SyntheticTokens {
                    sequence_length: sequence_length.get(),
                    vocabulary: vocabulary.get(),
                    samples: samples.get(),
                    classes: classes.get(),
                }
            }
        })
    }

    fn resolve_model(&self, raw: &RawModel) -> Result<ModelSpec, ScenarioError> {
        Ok(match raw {
            RawModel::Mlp { hidden } => ModelSpec::Mlp {
                hidden: hidden.iter().map(|w| w.get()).collect(),
            },
            RawModel::Cnn { channels, hidden } => {
                if channels.len() != 2 {
                    return Err(self.invalid(
                        "model.channels",
                        format!(
                            "the cnn has exactly two convolutions, so list two channel counts \
                             such as [8, 16], not {}",
                            channels.len()
                        ),
                    ));
                }
                ModelSpec::Cnn {
                    channels: channels.iter().map(|c| c.get()).collect(),
                    hidden: hidden.get(),
                }
            }
            RawModel::Transformer { d_model, heads, layers, feed_forward } => {
                if d_model.get() % heads.get() != 0 {
                    return Err(self.invalid(
                        "model.heads",
                        format!(
                            "d_model ({}) must be divisible by heads ({})",
                            d_model.get(),
                            heads.get()
                        ),
                    ));
                }
                ModelSpec::Transformer {
                    d_model: d_model.get(),
                    heads: heads.get(),
                    layers: layers.get(),
                    feed_forward: feed_forward.get(),
                }
            }
            RawModel::Torchscript { path, input, logits, extra_outputs } => {
                self.resolve_torchscript(path, input, logits.as_ref(), extra_outputs)?
            }
        })
    }

    fn resolve_torchscript(
        &self,
        path: &Path,
        input: &RawModuleInput,
        logits: Option<&OutputSelector>,
        extra_outputs: &[RawModuleOutput],
    ) -> Result<ModelSpec, ScenarioError> {
        let path = self.resolve_relative(path);
        self.check_existing_file("model.path", &path)?;
        let mut seen: HashSet<&str> = HashSet::new();
        for (index, output) in extra_outputs.iter().enumerate() {
            let key = format!("model.extra_outputs[{index}].name");
            if ALWAYS_PRODUCED_OUTPUTS.contains(&output.name.as_str())
                || ["hidden", "input", "per_sample_loss", "payload"].contains(&output.name.as_str())
            {
                return Err(self.invalid(
                    key,
                    format!("{:?} is a built-in output name; choose another", output.name),
                ));
            }
            if !seen.insert(output.name.as_str()) {
                return Err(self.invalid(key, format!("{:?} is listed twice", output.name)));
            }
        }
        let extra_outputs = extra_outputs
            .iter()
            .map(|output| {
                let shape: Option<Vec<u64>> =
                    output.shape.as_ref().map(|shape| shape.iter().map(|d| d.get()).collect());
                // The analytic byte count needs a dtype once a shape is declared.
                let dtype = match (&shape, output.dtype) {
                    (Some(_), None) => Some(OutputDtype::Float32),
                    (_, dtype) => dtype,
                };
                ModuleOutputSpec { name: output.name.clone(), select: output.select.clone(), shape, dtype }
            })
            .collect();
        Ok(ModelSpec::Torchscript {
            path,
            input: ModuleInputSpec {
                shape: input.shape.iter().map(|d| d.get()).collect(),
                dtype: input.dtype,
            },
            logits: logits.cloned().unwrap_or(OutputSelector::Index(0)),
            extra_outputs,
        })
    }

    fn check_model_fits_data(&self, model: &ModelSpec, data: &DataSpec) -> Result<(), ScenarioError> {
        let tokens = matches!(data, DataSpec::SyntheticTokens { .. });
        match model {
            ModelSpec::Transformer { .. } if !tokens => Err(self.invalid(
                "model.kind",
                "the transformer model needs token sequences: set data.kind: synthetic_tokens",
            )),
            ModelSpec::Mlp { .. } | ModelSpec::Cnn { .. } if tokens => Err(self.invalid(
                "data.kind",
                "synthetic_tokens data needs model.kind: transformer (or a torchscript model)",
            )),
            ModelSpec::Cnn { .. } if data.sample_shape().len() != 3 => Err(self.invalid(
                "model.kind",
                format!(
                    "the cnn needs image-shaped samples [channels, height, width], but the data \
                     gives {:?}; use data.layout: image for digits or a 3-dimensional \
                     sample_shape",
                    data.sample_shape()
                ),
            )),
            ModelSpec::Cnn { .. } => {
                let shape = data.sample_shape();
                if shape[1] < 4 || shape[2] < 4 {
                    Err(self.invalid(
                        "data.sample_shape",
                        "the cnn pools twice, so height and width must be at least 4",
                    ))
                } else {
                    Ok(())
                }
            }
            ModelSpec::Torchscript { input, .. } => self.check_module_input(input, data),
            _ => Ok(()),
        }
    }

    /// The data, not the module, decides what each batch holds, so the
    /// declared input must describe the data's samples.
    fn check_module_input(&self, input: &ModuleInputSpec, data: &DataSpec) -> Result<(), ScenarioError> {
        let data_dtype = data.input_dtype();
        if input.dtype != data_dtype {
            let fix = match input.dtype {
                super::InputDtype::Int64 => "int64 token ids come only from data.kind: synthetic_tokens",
                super::InputDtype::Float32 => {
                    "synthetic_tokens data gives int64 token ids, so declare dtype: int64"
                }
            };
            return Err(self.invalid(
                "model.input.dtype",
                format!(
                    "the module input is declared {}, but the data gives {} samples; {fix}",
                    input.dtype.as_str(),
                    data_dtype.as_str()
                ),
            ));
        }
        let sample_shape = data.sample_shape();
        if input.shape != sample_shape {
            return Err(self.invalid(
                "model.input.shape",
                format!(
                    "the module input is declared {:?}, but the data gives samples of shape \
                     {sample_shape:?}; declare the data's sample shape or change the data \
                     (data.sample_shape, data.layout or data.sequence_length)",
                    input.shape
                ),
            ));
        }
        Ok(())
    }

    fn check_split(&self, data: &DataSpec, split: f64) -> Result<(), ScenarioError> {
        let samples = match data {
            DataSpec::Digits { .. } => return Ok(()), // checked once the file is read
            DataSpec::Synthetic { samples, .. } | DataSpec::SyntheticTokens { samples, .. } => {
                *samples
            }
        };
        let validation = (samples as f64 * split).floor() as u64;
        if validation >= samples || (split > 0.0 && validation == 0) {
            return Err(self.invalid(
                "training.validation_split",
                format!(
                    "{split} of {samples} samples leaves {} for training and {validation} for \
                     validation; both need at least one",
                    samples - validation.min(samples)
                ),
            ));
        }
        Ok(())
    }

    fn resolve_strategies(
        &self,
        raw: &[RawStrategy],
        produced: &[String],
    ) -> Result<Vec<StrategySpec>, ScenarioError> {
        if raw.is_empty() {
            return Err(self.invalid(
                "strategies",
                "list at least one strategy: retain_all, explicit_buffer or streaming",
            ));
        }
        let mut names: Vec<String> = Vec::new();
        let mut resolved = Vec::new();
        for (index, entry) in raw.iter().enumerate() {
            let spec = match entry {
                RawStrategy::RetainAll { name, detach, device, expect } => StrategySpec {
                    name: name.clone().unwrap_or_else(|| "retain_all".into()),
                    kind: StrategyKind::RetainAll,
                    detach: detach.unwrap_or(true),
                    device: *device,
                    keep: produced.to_vec(),
                    clear: true,
                    dead_hook: false,
                    expect: *expect,
                },
                RawStrategy::ExplicitBuffer { name, keep, detach, device, clear, expect } => {
                    let keep = keep.clone().unwrap_or_else(|| {
                        ALWAYS_PRODUCED_OUTPUTS.iter().map(|s| s.to_string()).collect()
                    });
                    self.check_keep(index, &keep, produced)?;
                    StrategySpec {
                        name: name.clone().unwrap_or_else(|| "explicit_buffer".into()),
                        kind: StrategyKind::ExplicitBuffer,
                        detach: detach.unwrap_or(true),
                        device: *device,
                        keep,
                        clear: clear.unwrap_or(true),
                        dead_hook: false,
                        expect: *expect,
                    }
                }
                RawStrategy::Streaming { name, dead_hook, expect } => StrategySpec {
                    name: name.clone().unwrap_or_else(|| {
                        if *dead_hook { "streaming_dead_hook".into() } else { "streaming".into() }
                    }),
                    kind: StrategyKind::Streaming,
                    detach: true,
                    device: Default::default(),
                    keep: Vec::new(),
                    clear: true,
                    dead_hook: *dead_hook,
                    expect: *expect,
                },
            };
            self.check_strategy_name(index, &spec.name)?;
            if let Some(first) = names.iter().position(|n| *n == spec.name) {
                return Err(self.invalid(
                    format!("strategies[{index}].name"),
                    format!(
                        "{:?} is already used by strategies[{first}]; give each entry a distinct \
                         name:",
                        spec.name
                    ),
                ));
            }
            names.push(spec.name.clone());
            resolved.push(spec);
        }
        Ok(resolved)
    }

    fn check_strategy_name(&self, index: usize, name: &str) -> Result<(), ScenarioError> {
        if !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Ok(());
        }
        Err(self.invalid(
            format!("strategies[{index}].name"),
            format!("invalid name {name:?}: use 1 to 64 ASCII letters, digits, '_' or '-'"),
        ))
    }

    fn check_keep(&self, index: usize, keep: &[String], produced: &[String]) -> Result<(), ScenarioError> {
        let key = format!("strategies[{index}].keep");
        let mut seen = HashSet::new();
        for name in keep {
            if !produced.contains(name) {
                return Err(self.invalid(
                    key,
                    format!(
                        "{name:?} is kept but no training_step produces it; the steps produce \
                         {}. Enable it under step_outputs or remove it from keep",
                        produced.join(", ")
                    ),
                ));
            }
            if !seen.insert(name) {
                return Err(self.invalid(key, format!("{name:?} is listed twice")));
            }
        }
        let missing: Vec<&str> = ALWAYS_PRODUCED_OUTPUTS
            .iter()
            .copied()
            .filter(|needed| !keep.iter().any(|k| k == needed))
            .collect();
        if !missing.is_empty() {
            return Err(self.invalid(
                key,
                format!(
                    "the epoch metrics (mean loss, accuracy) are computed from the buffer, so it \
                     must keep loss, logits and targets; add {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Rejects sizes that could never run, before anything is allocated.
    fn check_sizes(&self, scenario: &Scenario) -> Result<(), ScenarioError> {
        let budget = scenario.limits.host_memory_bytes.unwrap_or_else(default_host_budget_bytes);
        let batch = scenario.training.batch_size;
        // TorchScript outputs without a declared shape have no analytic size
        // and are left out of this check.
        let known: Vec<String> = scenario
            .produced_outputs()
            .into_iter()
            .filter(|name| crate::analytic::output_size_is_known(scenario, name))
            .collect();
        let per_step = crate::analytic::outputs_bytes(scenario, &known, batch);
        match per_step {
            Some(bytes) if bytes <= budget => {}
            Some(bytes) => {
                return Err(self.invalid(
                    "step_outputs",
                    format!(
                        "one training step would return {bytes} bytes ({}) of outputs at batch \
                         size {batch}, more than the host memory budget of {budget} bytes; \
                         shrink the payload shape or the batch size",
                        crate::units::format_bytes(bytes)
                    ),
                ))
            }
            None => {
                return Err(self.invalid(
                    "step_outputs",
                    format!(
                        "the outputs of one training step at batch size {batch} overflow a \
                         64-bit byte count; shrink the payload shape or the batch size"
                    ),
                ))
            }
        }
        let dataset = crate::analytic::dataset_bytes(&scenario.data);
        match dataset {
            Some(bytes) if bytes <= budget => Ok(()),
            other => Err(self.invalid(
                "data",
                format!(
                    "the data set needs {} of host memory, more than the budget of {}; lower \
                     data.samples or the sample shape",
                    other.map_or("more than 2^64 bytes".to_owned(), crate::units::format_bytes),
                    crate::units::format_bytes(budget)
                ),
            )),
        }
    }
}
