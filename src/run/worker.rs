//! The worker process: one strategy run.

use crate::cli::WorkerArgs;

pub fn worker_main(_args: &WorkerArgs) -> anyhow::Result<i32> {
    anyhow::bail!("worker is not implemented yet")
}
