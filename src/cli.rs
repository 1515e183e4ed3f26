//! Command-line interface: argument types and dispatch to the pipeline stages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit status for user errors: bad scenario, missing file, bad flags.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "epochmem",
    version,
    about = "Measure what a training loop's output buffering costs in memory and speed",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every strategy of a scenario, each in its own worker process, and
    /// write results.json and the report.
    Run(RunArgs),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// Render the HTML report, CSV and Markdown summary from a results file.
    Report(ReportArgs),
    /// Compare current results with a baseline; exit 1 on a regression.
    Gate(GateArgs),
    /// Manage committed baselines.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Internal: one strategy run, started by `epochmem run`.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario YAML file.
    pub scenario: PathBuf,
    /// Folder under which `<scenario name>/results.json` and the report go.
    #[arg(long, default_value = "reports")]
    pub reports_dir: PathBuf,
    /// Run only these strategies (by name); repeatable.
    #[arg(long = "strategy")]
    pub strategies: Vec<String>,
    /// Override the scenario's repeats per strategy.
    #[arg(long)]
    pub repeats: Option<u32>,
    /// Override the scenario's epochs.
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Host memory budget per run in MiB (worker RSS). Default: the
    /// scenario's `limits.host_memory_mib`, else half of physical memory.
    #[arg(long)]
    pub host_memory_mib: Option<u64>,
    /// CUDA memory budget per run in MiB (caching allocator reserved bytes).
    #[arg(long)]
    pub device_memory_mib: Option<u64>,
    /// Wall-clock limit per run in seconds.
    #[arg(long)]
    pub time_limit_seconds: Option<f64>,
    /// Write dhat's JSON heap profile of each worker next to results.json.
    #[arg(long)]
    pub heap_profile: bool,
    /// Skip rendering the report after the runs.
    #[arg(long)]
    pub no_report: bool,
    /// Disable the per-step probes (for overhead measurements).
    #[arg(long)]
    pub no_step_probes: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario YAML files.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `epochmem run`.
    pub results: PathBuf,
    /// Output folder. Default: the folder of the results file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Baseline results.json.
    #[arg(long)]
    pub baseline: PathBuf,
    /// Current results.json.
    #[arg(long)]
    pub current: PathBuf,
    /// Write the verdicts as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a Markdown table of the verdicts to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Override a limit: METRIC=PERCENT% or METRIC=ABSOLUTE, repeatable,
    /// e.g. `--limit rss_peak_bytes=15%`.
    #[arg(long = "limit")]
    pub limits: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store a results file as the committed baseline of its scenario under
    /// `reports/baselines/<scenario>.json`.
    Save(BaselineSaveArgs),
}

#[derive(Debug, Args)]
pub struct BaselineSaveArgs {
    /// A results.json written by `epochmem run`.
    pub results: PathBuf,
    /// Folder of the baselines.
    #[arg(long, default_value = "reports/baselines")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Output path of the worker's outcome JSON.
    #[arg(long)]
    pub output: PathBuf,
}
