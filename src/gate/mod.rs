//! Regression gate: compares current results with a baseline of the same
//! scenario and decides, per strategy and metric, whether memory or
//! throughput got worse.
//!
//! `epochmem gate` exits with 0 when nothing regressed, 1 when something
//! did, and 2 when the inputs cannot be compared. Limits, defaults and the
//! noise rule are described in `docs/gate.md`, and the defaults are set in
//! [`default_limit`].

mod baseline;
mod compare;
mod growth;
mod inputs;
mod limits;
mod metric;
mod render;
mod verdict;

use std::path::Path;

use anyhow::Context;

use crate::cli::GateArgs;
use crate::UsageError;

pub use baseline::save_baseline;
pub use compare::{compare_results, GateReport};
pub use growth::{check_growth, GrowthCheck, GrowthVerdict};
pub use inputs::{read_input, GateInput, GateInputError, Role};
pub use limits::{
    default_limit, parse_limit_override, parse_limit_overrides, resolve_limits, Limit, LimitBound,
    LimitOrigin, LimitOverride, LimitTable, LimitValues,
};
pub use metric::{Better, Metric, Unit, Variability};
pub use render::{render_console, render_json, render_markdown, GATE_JSON_VERSION};
pub use verdict::{compare_metric, judge_change, MetricComparison, RepeatStats, Verdict};

/// Runs the gate and returns the process exit status: 0 when nothing
/// regressed, 1 on a regression, 2 when the inputs cannot be compared.
/// The table goes to stdout, warnings to stderr.
pub fn run_gate(args: &GateArgs) -> anyhow::Result<i32> {
    let overrides = parse_limit_overrides(&args.limits)?;
    let report = read_and_compare(&args.baseline, &args.current, &overrides)
        .map_err(|error| UsageError(error.to_string()))?;

    for warning in &report.warnings {
        eprintln!("epochmem: warning: {warning}");
    }
    print!("{}", render_console(&report));

    if let Some(path) = &args.json {
        let json = render_json(&report).context("serializing the gate verdicts")?;
        write_output("--json", path, json.as_bytes())?;
    }
    if let Some(path) = &args.markdown {
        write_output("--markdown", path, render_markdown(&report).as_bytes())?;
    }
    Ok(report.exit_code())
}

fn read_and_compare(
    baseline: &Path,
    current: &Path,
    overrides: &[LimitOverride],
) -> Result<GateReport, GateInputError> {
    let baseline = read_input(Role::Baseline, baseline)?;
    let current = read_input(Role::Current, current)?;
    compare_results(&baseline, &current, overrides)
}

/// Writes an output file. A failure exits with 2, like other input and
/// output mistakes, so that CI does not read it as a regression.
fn write_output(flag: &str, path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    crate::results::write_file_atomically(path, contents).map_err(|error| {
        UsageError(format!(
            "cannot write the {flag} file {}: {error}; pass a path in a writable folder",
            path.display()
        ))
    })
}
