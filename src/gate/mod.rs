//! Regression gate: compares current results with a baseline.

use std::path::PathBuf;

use crate::cli::{BaselineSaveArgs, GateArgs};

/// Runs the gate and returns the process exit status: 0 when nothing
/// regressed, 1 on a regression, 2 when the inputs cannot be compared.
pub fn run_gate(_args: &GateArgs) -> anyhow::Result<i32> {
    anyhow::bail!("the gate is not implemented yet")
}

/// Copies a results file to the baselines folder; returns the new path.
pub fn save_baseline(_args: &BaselineSaveArgs) -> anyhow::Result<PathBuf> {
    anyhow::bail!("baseline save is not implemented yet")
}
