//! Serde types that mirror the scenario YAML one to one.
//!
//! Field-level checks (positive sizes, finite rates, known names) happen while
//! deserializing, so serde_yaml reports them with the key path, line and
//! column. Checks that involve several fields live in `validate.rs`.

use std::num::NonZeroU64;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::kind_tagged;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Name used for the report folder; defaults to the file stem.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Seed for model initialisation, the data split and the batch order.
    pub seed: u64,
    /// `cpu`, `cuda`, `cuda:N` or `auto`. Default: `cpu`.
    #[serde(default)]
    pub device: Option<String>,
    /// libtorch intra-op threads in each worker. Default: 1, which keeps
    /// results reproducible and runs comparable across machines.
    pub threads: Option<NonZeroU64>,
    /// Child processes per strategy. Default: 1.
    pub repeats: Option<NonZeroU64>,
    #[serde(deserialize_with = "kind_tagged::model")]
    pub model: RawModel,
    #[serde(deserialize_with = "kind_tagged::data")]
    pub data: RawData,
    pub training: RawTraining,
    #[serde(default)]
    pub step_outputs: RawStepOutputs,
    #[serde(deserialize_with = "kind_tagged::strategies")]
    pub strategies: Vec<RawStrategy>,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub probes: RawProbes,
    #[serde(default)]
    pub gate: RawGate,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawModel {
    /// Fully connected network: input, `hidden` widths with ReLU, classes.
    Mlp { hidden: Vec<NonZeroU64> },
    /// Two 3x3 convolutions with max pooling, then a linear head. Needs
    /// image-shaped samples `[channels, height, width]`.
    Cnn {
        channels: Vec<NonZeroU64>,
        hidden: NonZeroU64,
    },
    /// Token embedding, `layers` pre-norm encoder blocks, mean pooling and a
    /// linear head. Needs `synthetic_tokens` data.
    Transformer {
        d_model: NonZeroU64,
        heads: NonZeroU64,
        layers: NonZeroU64,
        feed_forward: NonZeroU64,
    },
    /// A TorchScript module exported from Python.
    Torchscript {
        path: PathBuf,
        /// Shape and dtype of one input sample, which must match the data's
        /// samples.
        input: RawModuleInput,
        /// Index (tuple output) or key (dict output) of the logits. Default: 0.
        logits: Option<OutputSelector>,
        /// Further module outputs that `training_step` returns, by name.
        #[serde(default)]
        extra_outputs: Vec<RawModuleOutput>,
    },
}

/// The input sample a TorchScript module's `forward` takes, without the
/// batch dimension.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawModuleInput {
    pub shape: Vec<NonZeroU64>,
    /// Default: float32.
    #[serde(default)]
    pub dtype: InputDtype,
}

/// Element type of a model's input: float32 features or int64 token ids.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InputDtype {
    #[default]
    Float32,
    Int64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum OutputSelector {
    Index(u64),
    Key(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawModuleOutput {
    pub name: String,
    pub select: OutputSelector,
    /// Shape of the output per sample, without the batch dimension: the
    /// module returns `[batch, ..shape]`. When set, every step checks it and
    /// the analytic byte counts include the output.
    pub shape: Option<Vec<NonZeroU64>>,
    /// Element type, checked at every step when set. Default: float32 when
    /// `shape` is set.
    pub dtype: Option<OutputDtype>,
}

/// Element type of a TorchScript module's output tensor.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputDtype {
    Bool,
    Uint8,
    Int8,
    Int16,
    Int32,
    Int64,
    Float16,
    Bfloat16,
    Float32,
    Float64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawData {
    /// The handwritten digits set shipped in `data/digits.csv.gz`.
    Digits {
        /// Default: `data/digits.csv.gz` of the repository. A relative path
        /// is resolved against the scenario file's folder.
        path: Option<PathBuf>,
        /// `flat` gives `[64]` samples, `image` gives `[1, 8, 8]`. Default: flat.
        #[serde(default)]
        layout: DigitsLayout,
    },
    /// Gaussian samples whose class shifts their mean, so a model can learn.
    Synthetic {
        sample_shape: Vec<NonZeroU64>,
        samples: NonZeroU64,
        classes: NonZeroU64,
    },
    /// Random token sequences whose class decides which tokens are frequent.
    SyntheticTokens {
        sequence_length: NonZeroU64,
        vocabulary: NonZeroU64,
        samples: NonZeroU64,
        classes: NonZeroU64,
    },
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DigitsLayout {
    #[default]
    Flat,
    Image,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraining {
    pub epochs: NonZeroU64,
    pub batch_size: NonZeroU64,
    #[serde(default)]
    pub optimizer: OptimizerKind,
    pub learning_rate: LearningRate,
    /// Fraction of the samples held out for validation, in [0, 1). Default: 0.
    #[serde(default)]
    pub validation_split: UnitFraction,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    Sgd,
    #[default]
    Adam,
}

/// Declares a float newtype whose check runs during deserialization, so
/// the error names the YAML key even where serde_yaml's path stops at the
/// enclosing map.
macro_rules! checked_float {
    ($(#[$doc:meta])* $name:ident, $key:literal, $valid:expr, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(pub f64);

        impl TryFrom<f64> for $name {
            type Error = String;
            fn try_from(value: f64) -> Result<Self, Self::Error> {
                let valid: fn(f64) -> bool = $valid;
                if valid(value) {
                    Ok(Self(value))
                } else {
                    Err(format!(concat!($key, ": invalid value {}: expected ", $expected), value))
                }
            }
        }

        impl From<$name> for f64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

checked_float!(
    /// Optimizer learning rate: finite and greater than 0.
    LearningRate,
    "learning_rate",
    |v| v.is_finite() && v > 0.0,
    "a finite number greater than 0, such as 0.001"
);

checked_float!(
    /// A duration in seconds: finite and greater than 0.
    PositiveSeconds,
    "time_limit_seconds",
    |v| v.is_finite() && v > 0.0,
    "a finite number of seconds greater than 0"
);

checked_float!(
    /// A gate limit: finite and at least 0.
    NonNegativeFinite,
    "gate limit",
    |v| v.is_finite() && v >= 0.0,
    "a finite number of at least 0"
);

checked_float!(
    /// Validation fraction in [0, 1).
    UnitFraction,
    "validation_split",
    |v| v.is_finite() && (0.0..1.0).contains(&v),
    "a fraction in [0, 1), such as 0.2"
);

impl Default for UnitFraction {
    fn default() -> Self {
        Self(0.0)
    }
}

/// Tensors that `training_step` returns beside `loss`, `logits` and
/// `targets`, which it always returns.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawStepOutputs {
    /// The last hidden activation, `[batch, width]`.
    #[serde(default)]
    pub hidden: bool,
    /// The input batch itself.
    #[serde(default)]
    pub input: bool,
    /// Per-sample cross-entropy, computed apart from the mean loss, so an
    /// undetached copy keeps its own autograd graph.
    #[serde(default)]
    pub per_sample_loss: bool,
    /// A synthetic tensor of `[batch, ..shape]` derived from the logits.
    pub payload: Option<RawPayload>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayload {
    pub shape: Vec<NonZeroU64>,
    #[serde(default)]
    pub dtype: PayloadDtype,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PayloadDtype {
    #[default]
    Float32,
    Float16,
    Bfloat16,
    Float64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawStrategy {
    /// Lightning 1.x: every step's whole output map is kept for
    /// `training_epoch_end(outputs)`.
    RetainAll {
        name: Option<String>,
        /// Default: true. False keeps each output's autograd graph alive.
        detach: Option<bool>,
        #[serde(default)]
        device: BufferDevice,
        expect: Option<GrowthExpectation>,
    },
    /// Lightning 2.x: the user appends selected outputs to a list and
    /// aggregates and clears it in `on_train_epoch_end`.
    ExplicitBuffer {
        name: Option<String>,
        /// Outputs to buffer. Default: `[loss, logits, targets]`, which the
        /// epoch metrics need.
        keep: Option<Vec<String>>,
        detach: Option<bool>,
        #[serde(default)]
        device: BufferDevice,
        /// Default: true. False skips the clear, so the buffer grows across
        /// epochs.
        clear: Option<bool>,
        expect: Option<GrowthExpectation>,
    },
    /// Lightning 2.x `on_train_batch_end` updating running metrics.
    Streaming {
        name: Option<String>,
        /// True puts the metric update in `training_step_end`, a hook the
        /// loop never calls (as Lightning 2.0 silently stopped calling it).
        #[serde(default)]
        dead_hook: bool,
        expect: Option<GrowthExpectation>,
    },
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BufferDevice {
    /// Keep buffered tensors on the training device.
    #[default]
    Keep,
    /// Copy buffered tensors to host memory.
    Cpu,
}

/// Expected growth of a strategy's retained memory with epoch length.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GrowthExpectation {
    Constant,
    Linear,
}

/// Safety limits per run.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Host memory budget per run in MiB (the worker's RSS).
    pub host_memory_mib: Option<NonZeroU64>,
    /// Device memory budget per run in MiB (CUDA caching allocator).
    pub device_memory_mib: Option<NonZeroU64>,
    /// Wall-clock limit per run in seconds.
    pub time_limit_seconds: Option<PositiveSeconds>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProbes {
    /// Interval at which the parent samples the worker's RSS. Default: 20 ms.
    pub rss_sample_interval_ms: Option<NonZeroU64>,
    /// Points kept in each run's step timeline before downsampling. Default: 2000.
    pub max_timeline_points: Option<NonZeroU64>,
    /// Default: true. False turns the per-step probes off (for overhead
    /// measurements); epoch and run figures are still recorded.
    pub per_step: Option<bool>,
}

/// Regression-gate limits per metric; unset fields take the gate's defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawGate {
    pub logical_peak_bytes: Option<RawLimit>,
    pub torch_cpu_allocator_peak_bytes: Option<RawLimit>,
    pub cuda_allocated_peak_bytes: Option<RawLimit>,
    pub cuda_reserved_peak_bytes: Option<RawLimit>,
    pub rss_peak_bytes: Option<RawLimit>,
    pub samples_per_second: Option<RawLimit>,
}

/// A change counts as a regression only when it exceeds both limits.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    /// Relative limit in percent of the baseline.
    pub relative_percent: Option<NonNegativeFinite>,
    /// Absolute limit in the metric's unit (bytes or samples/s).
    pub absolute: Option<NonNegativeFinite>,
}
