//! Reading the two results files and checking that they can be compared.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::results::{read_results, ResultsError, ResultsFile, RunStatus};

/// Role of an input file: the baseline or the current results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Baseline,
    Current,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Baseline => "baseline",
            Role::Current => "current results",
        })
    }
}

/// One results file given to the gate.
#[derive(Debug, Clone)]
pub struct GateInput {
    pub role: Role,
    pub path: PathBuf,
    pub results: ResultsFile,
}

/// Inputs that the gate cannot compare; `epochmem gate` exits with 2.
/// Every message names the file and the fix.
#[derive(Debug, Error)]
pub enum GateInputError {
    #[error("{role}: {cause}. {fix}")]
    Unreadable { role: Role, cause: ResultsError, fix: &'static str },
    #[error(
        "{role} {path} contains no runs, so there is nothing to compare; use a results file \
         of a run in which every strategy completed"
    )]
    NoRuns { role: Role, path: PathBuf },
    #[error(
        "the baseline {baseline_path} is from scenario {baseline_name:?} but the current results \
         {current_path} are from scenario {current_name:?}; compare results of one scenario, \
         such as --baseline reports/baselines/{current_name}.json"
    )]
    ScenarioMismatch {
        baseline_path: PathBuf,
        baseline_name: String,
        current_path: PathBuf,
        current_name: String,
    },
    #[error(
        "the baseline {baseline_path} and the current results {current_path} ran different \
         strategies (only in the baseline: {only_in_baseline}; only in the current results: \
         {only_in_current}); run the same strategies, or when the change is intended, store \
         the current results as the new baseline with `epochmem baseline save`"
    )]
    StrategyMismatch {
        baseline_path: PathBuf,
        current_path: PathBuf,
        only_in_baseline: String,
        only_in_current: String,
    },
    #[error(
        "{role} {path}: strategy {strategy:?} repeat {repeat} did not complete (status \
         {status}{message}); the gate compares completed runs only, so fix the failure and run \
         the scenario again"
    )]
    RunNotCompleted {
        role: Role,
        path: PathBuf,
        strategy: String,
        repeat: u32,
        status: &'static str,
        /// `: ` and the failure message, or empty.
        message: String,
    },
}

/// Reads one input, turning a read error into a message with its fix.
pub fn read_input(role: Role, path: &Path) -> Result<GateInput, GateInputError> {
    let results = read_results(path).map_err(|cause| {
        let fix = match (&cause, role) {
            (ResultsError::Read { .. }, Role::Baseline) => {
                "Create a baseline by running the scenario and storing its results with \
                 `epochmem baseline save RESULTS.json`, or pass the right file to --baseline"
            }
            (ResultsError::Read { .. }, Role::Current) => {
                "Run the scenario with `epochmem run SCENARIO` first, or pass the right file \
                 to --current"
            }
            (ResultsError::SchemaVersion { .. }, Role::Baseline) => {
                "Then store the new results as the baseline with `epochmem baseline save \
                 RESULTS.json`"
            }
            _ => "Pass a results.json written by `epochmem run`",
        };
        GateInputError::Unreadable { role, cause, fix }
    })?;
    Ok(GateInput { role, path: path.to_owned(), results })
}

/// Checks that both inputs are results of the same scenario and strategies
/// and that every run in them completed.
pub fn check_comparable(baseline: &GateInput, current: &GateInput) -> Result<(), GateInputError> {
    for input in [baseline, current] {
        if input.results.runs.is_empty() {
            return Err(GateInputError::NoRuns { role: input.role, path: input.path.clone() });
        }
    }

    if baseline.results.scenario.name != current.results.scenario.name {
        return Err(GateInputError::ScenarioMismatch {
            baseline_path: baseline.path.clone(),
            baseline_name: baseline.results.scenario.name.clone(),
            current_path: current.path.clone(),
            current_name: current.results.scenario.name.clone(),
        });
    }

    for input in [baseline, current] {
        check_runs_completed(input)?;
    }

    let baseline_strategies = strategy_names(&baseline.results);
    let current_strategies = strategy_names(&current.results);
    if baseline_strategies != current_strategies {
        let list = |names: Vec<&String>| match names.is_empty() {
            true => "none".to_owned(),
            false => names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
        };
        return Err(GateInputError::StrategyMismatch {
            baseline_path: baseline.path.clone(),
            current_path: current.path.clone(),
            only_in_baseline: list(baseline_strategies.difference(&current_strategies).collect()),
            only_in_current: list(current_strategies.difference(&baseline_strategies).collect()),
        });
    }
    Ok(())
}

/// Rejects the first run whose status is not `completed`.
pub fn check_runs_completed(input: &GateInput) -> Result<(), GateInputError> {
    let Some(run) = input.results.runs.iter().find(|run| run.status != RunStatus::Completed) else {
        return Ok(());
    };
    let message =
        run.failure.as_ref().map(|failure| format!(": {}", failure.message)).unwrap_or_default();
    Err(GateInputError::RunNotCompleted {
        role: input.role,
        path: input.path.clone(),
        strategy: run.strategy.clone(),
        repeat: run.repeat,
        status: run.status.as_str(),
        message,
    })
}

/// Names of the strategies that have runs in a results file.
pub fn strategy_names(results: &ResultsFile) -> BTreeSet<String> {
    results.runs.iter().map(|run| run.strategy.clone()).collect()
}

/// Differences between the inputs that do not prevent a comparison but can
/// explain a change: another machine, or an edited scenario.
pub fn comparison_warnings(baseline: &ResultsFile, current: &ResultsFile) -> Vec<String> {
    let mut warnings = Vec::new();

    let machine_fields = [
        ("cpu_model", &baseline.machine.cpu_model, &current.machine.cpu_model),
        ("device_used", &baseline.machine.device_used, &current.machine.device_used),
        ("libtorch_version", &baseline.machine.libtorch_version, &current.machine.libtorch_version),
    ];
    let mut differences: Vec<String> = machine_fields
        .iter()
        .filter(|(_, base, cur)| base != cur)
        .map(|(field, base, cur)| format!("{field} {base:?} vs {cur:?}"))
        .collect();
    if baseline.machine.logical_cores != current.machine.logical_cores {
        differences.push(format!(
            "logical_cores {} vs {}",
            baseline.machine.logical_cores, current.machine.logical_cores
        ));
    }
    if !differences.is_empty() {
        warnings.push(format!(
            "the baseline and the current results were measured on different machines or \
             libraries ({}), so RSS and throughput may differ for that reason alone; store a \
             baseline measured where the gate runs",
            differences.join(", ")
        ));
    }

    if baseline.scenario.yaml != current.scenario.yaml {
        warnings.push(
            "the scenario YAML differs between the baseline and the current results, so a \
             change may come from the scenario rather than from the code"
                .to_owned(),
        );
    }
    warnings
}
