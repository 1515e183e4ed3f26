//! epochmem: measures what a training loop's output buffering costs in
//! memory and speed, by running one model on one seeded data stream under
//! several buffering strategies, each in its own worker process.

pub mod analytic;
pub mod app;
pub mod cli;
pub mod gate;
pub mod limits;
pub mod data;
pub mod logging;
pub mod model;
pub mod probe;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod strategy;
pub mod train;
pub mod units;

/// A mistake in the command line or its inputs; exits with status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The tch release epochmem is built with (pinned in Cargo.toml).
pub const TCH_VERSION: &str = "0.26.0";
