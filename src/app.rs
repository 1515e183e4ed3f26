//! Dispatch of the subcommands, and mapping of errors to exit statuses.

use crate::cli::{BaselineCommand, Cli, Command, EXIT_USAGE};
use crate::scenario::ScenarioError;

/// Runs one command line and returns the process exit status.
pub fn run(cli: Cli) -> i32 {
    crate::logging::init();
    let outcome = match cli.command {
        Command::Run(args) => crate::run::run_command(&args),
        Command::Validate(args) => crate::run::validate_command(&args),
        Command::Report(args) => crate::run::report_command(&args),
        Command::Gate(args) => crate::gate::run_gate(&args),
        Command::Baseline(BaselineCommand::Save(args)) => {
            crate::gate::save_baseline(&args).map(|path| {
                eprintln!("epochmem: baseline saved to {}", path.display());
                0
            })
        }
        Command::Worker(args) => crate::run::worker::worker_main(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("epochmem: error: {error:#}");
            exit_code_for(&error)
        }
    }
}

/// User mistakes (bad scenario, missing or unreadable input) exit with 2,
/// everything else with 1.
fn exit_code_for(error: &anyhow::Error) -> i32 {
    let user_error = error.chain().any(|cause| {
        cause.is::<ScenarioError>()
            || cause.is::<crate::results::ResultsError>()
            || cause.is::<crate::UsageError>()
    });
    if user_error {
        EXIT_USAGE
    } else {
        1
    }
}
