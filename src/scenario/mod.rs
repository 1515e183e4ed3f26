//! Scenario files: parsing, validation and the typed form the runs use.

mod kind_tagged;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use raw::{
    BufferDevice, DigitsLayout, GrowthExpectation, InputDtype, OptimizerKind, OutputDtype,
    OutputSelector, PayloadDtype, RawGate, RawLimit, RawScenario,
};
pub use validate::{load_scenario, parse_scenario, ScenarioError, MAX_SCENARIO_FILE_BYTES};

/// Outputs that every `training_step` returns.
pub const ALWAYS_PRODUCED_OUTPUTS: [&str; 3] = ["loss", "logits", "targets"];

/// A validated scenario with every default applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    /// The file it was read from.
    pub source_path: PathBuf,
    /// The YAML text exactly as read.
    pub yaml: String,
    pub seed: u64,
    pub device: DeviceRequest,
    pub threads: usize,
    pub repeats: u32,
    pub model: ModelSpec,
    pub data: DataSpec,
    pub training: TrainingSpec,
    pub step_outputs: StepOutputSpec,
    pub strategies: Vec<StrategySpec>,
    pub limits: Limits,
    pub probes: ProbeSettings,
    pub gate: RawGate,
}

/// Training device requested by a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRequest {
    Cpu,
    Cuda { index: usize },
    /// CUDA device 0 when one is usable, else the CPU.
    Auto,
}

impl std::fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceRequest::Cpu => write!(f, "cpu"),
            DeviceRequest::Cuda { index } => write!(f, "cuda:{index}"),
            DeviceRequest::Auto => write!(f, "auto"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSpec {
    Mlp {
        hidden: Vec<u64>,
    },
    Cnn {
        channels: Vec<u64>,
        hidden: u64,
    },
    Transformer {
        d_model: u64,
        heads: u64,
        layers: u64,
        feed_forward: u64,
    },
    Torchscript {
        path: PathBuf,
        input: ModuleInputSpec,
        logits: OutputSelector,
        extra_outputs: Vec<ModuleOutputSpec>,
    },
}

/// One input sample of a TorchScript module, without the batch dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleInputSpec {
    pub shape: Vec<u64>,
    pub dtype: InputDtype,
}

/// A TorchScript module output that `training_step` returns by `name`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleOutputSpec {
    pub name: String,
    pub select: OutputSelector,
    /// Declared shape per sample, without the batch dimension.
    #[serde(default)]
    pub shape: Option<Vec<u64>>,
    /// Declared element type, float32 when only `shape` was declared.
    #[serde(default)]
    pub dtype: Option<OutputDtype>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSpec {
    Digits {
        path: PathBuf,
        layout: DigitsLayout,
    },
    Synthetic {
        sample_shape: Vec<u64>,
        samples: u64,
        classes: u64,
    },
    SyntheticTokens {
        sequence_length: u64,
        vocabulary: u64,
        samples: u64,
        classes: u64,
    },
}

impl DataSpec {
    /// Shape of one input sample.
    pub fn sample_shape(&self) -> Vec<u64> {
        match self {
            DataSpec::Digits { layout: DigitsLayout::Flat, .. } => vec![64],
            DataSpec::Digits { layout: DigitsLayout::Image, .. } => vec![1, 8, 8],
            DataSpec::Synthetic { sample_shape, .. } => sample_shape.clone(),
            DataSpec::SyntheticTokens { sequence_length, .. } => vec![*sequence_length],
        }
    }

    /// Number of classes of the labels.
    pub fn classes(&self) -> u64 {
        match self {
            DataSpec::Digits { .. } => 10,
            DataSpec::Synthetic { classes, .. } | DataSpec::SyntheticTokens { classes, .. } => {
                *classes
            }
        }
    }

    /// Element type of the inputs: token ids are int64, features float32.
    pub fn input_dtype(&self) -> InputDtype {
        match self {
            DataSpec::SyntheticTokens { .. } => InputDtype::Int64,
            _ => InputDtype::Float32,
        }
    }

    /// Bytes of one input element.
    pub fn input_element_bytes(&self) -> u64 {
        match self.input_dtype() {
            InputDtype::Int64 => 8,
            InputDtype::Float32 => 4,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingSpec {
    pub epochs: u32,
    pub batch_size: u64,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub validation_split: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StepOutputSpec {
    pub hidden: bool,
    pub input: bool,
    pub per_sample_loss: bool,
    pub payload: Option<PayloadSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PayloadSpec {
    pub shape: Vec<u64>,
    pub dtype: PayloadDtype,
}

impl PayloadDtype {
    pub fn element_bytes(self) -> u64 {
        match self {
            PayloadDtype::Float16 | PayloadDtype::Bfloat16 => 2,
            PayloadDtype::Float32 => 4,
            PayloadDtype::Float64 => 8,
        }
    }
}

impl OutputDtype {
    pub fn element_bytes(self) -> u64 {
        match self {
            OutputDtype::Bool | OutputDtype::Uint8 | OutputDtype::Int8 => 1,
            OutputDtype::Int16 | OutputDtype::Float16 | OutputDtype::Bfloat16 => 2,
            OutputDtype::Int32 | OutputDtype::Float32 => 4,
            OutputDtype::Int64 | OutputDtype::Float64 => 8,
        }
    }

    /// Returns the name a scenario uses for it, such as `float32`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputDtype::Bool => "bool",
            OutputDtype::Uint8 => "uint8",
            OutputDtype::Int8 => "int8",
            OutputDtype::Int16 => "int16",
            OutputDtype::Int32 => "int32",
            OutputDtype::Int64 => "int64",
            OutputDtype::Float16 => "float16",
            OutputDtype::Bfloat16 => "bfloat16",
            OutputDtype::Float32 => "float32",
            OutputDtype::Float64 => "float64",
        }
    }
}

impl InputDtype {
    /// Returns the name a scenario uses for it, such as `int64`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputDtype::Float32 => "float32",
            InputDtype::Int64 => "int64",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    RetainAll,
    ExplicitBuffer,
    Streaming,
}

impl StrategyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::RetainAll => "retain_all",
            StrategyKind::ExplicitBuffer => "explicit_buffer",
            StrategyKind::Streaming => "streaming",
        }
    }
}

/// One strategy entry with its options resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategySpec {
    /// Unique label within the scenario.
    pub name: String,
    pub kind: StrategyKind,
    /// Detach outputs before holding them (buffering strategies).
    pub detach: bool,
    pub device: BufferDevice,
    /// Outputs the strategy holds: every produced output for `retain_all`,
    /// the `keep` list for `explicit_buffer`, none for `streaming`.
    pub keep: Vec<String>,
    /// Clear the buffer at epoch end.
    pub clear: bool,
    /// Metric update placed in a hook the loop never calls.
    pub dead_hook: bool,
    pub expect: Option<GrowthExpectation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    pub host_memory_bytes: Option<u64>,
    pub device_memory_bytes: Option<u64>,
    pub time_limit_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeSettings {
    pub rss_sample_interval_ms: u64,
    pub max_timeline_points: usize,
    pub per_step: bool,
}

impl Scenario {
    /// Names of every output `training_step` returns, in a fixed order.
    pub fn produced_outputs(&self) -> Vec<String> {
        produced_outputs(&self.step_outputs, &self.model)
    }

    /// Folder under which this scenario's reports go.
    pub fn report_dir(&self, reports_root: &Path) -> PathBuf {
        reports_root.join(&self.name)
    }
}

fn produced_outputs(outputs: &StepOutputSpec, model: &ModelSpec) -> Vec<String> {
    let mut names: Vec<String> = ALWAYS_PRODUCED_OUTPUTS.iter().map(|s| s.to_string()).collect();
    if outputs.hidden {
        names.push("hidden".into());
    }
    if outputs.input {
        names.push("input".into());
    }
    if outputs.per_sample_loss {
        names.push("per_sample_loss".into());
    }
    if outputs.payload.is_some() {
        names.push("payload".into());
    }
    if let ModelSpec::Torchscript { extra_outputs, .. } = model {
        names.extend(extra_outputs.iter().map(|o| o.name.clone()));
    }
    names
}
