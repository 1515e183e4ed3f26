//! `epochmem baseline save`: stores a results file as the committed
//! baseline of its scenario.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::BaselineSaveArgs;
use crate::results::{read_results, write_file_atomically, InvocationStatus, RunStatus};
use crate::UsageError;

/// Writes the results file to `<dir>/<scenario name>.json` through a
/// temporary file and a rename, and returns that path. Rejects results
/// whose invocation did not finish or whose runs did not all complete,
/// because the gate cannot compare against them.
pub fn save_baseline(args: &BaselineSaveArgs) -> anyhow::Result<PathBuf> {
    let path = &args.results;
    let results = read_results(path)?;
    let rejected = |reason: String| UsageError(format!("{}: {reason}", path.display()));

    if results.invocation.status != InvocationStatus::Complete {
        let status = match results.invocation.status {
            InvocationStatus::Running => "is still running",
            _ => "was interrupted",
        };
        return Err(rejected(format!(
            "the `epochmem run` that wrote this file {status}; only results of a finished run can \
             become a baseline"
        ))
        .into());
    }
    if results.runs.is_empty() {
        return Err(rejected("contains no runs; run the scenario again".to_owned()).into());
    }
    if let Some(run) = results.runs.iter().find(|run| run.status != RunStatus::Completed) {
        return Err(rejected(format!(
            "strategy {:?} repeat {} did not complete (status {}); a baseline must contain only \
             completed runs, so fix the failure and run the scenario again",
            run.strategy,
            run.repeat,
            run.status.as_str()
        ))
        .into());
    }

    let name = &results.scenario.name;
    if !is_safe_file_stem(name) {
        return Err(rejected(format!(
            "scenario name {name:?} cannot name a baseline file; use ASCII letters, digits, '_', \
             '-' or '.', not starting with '.'"
        ))
        .into());
    }

    let target = args.dir.join(format!("{name}.json"));
    let json = serde_json::to_vec_pretty(&results).context("serializing the results")?;
    write_file_atomically(&target, &json)
        .with_context(|| format!("cannot write the baseline {}", target.display()))?;
    Ok(target)
}

/// Scenario names are validated when the scenario is read, but a results
/// file can be edited by hand, so the name is checked again before it
/// becomes part of a path.
fn is_safe_file_stem(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
