use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

// dhat measures the Rust heap only while a profiler is running (worker with
// --heap-profile); otherwise it forwards to the system allocator.
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn main() -> ExitCode {
    let budget = epochmem::units::format_bytes(epochmem::limits::default_host_budget_bytes());
    let command = epochmem::cli::Cli::command().mut_subcommand("run", |run| {
        run.mut_arg("host_memory_mib", |arg| {
            arg.help(format!(
                "Host memory budget per run in MiB (worker RSS). Default: the scenario's \
                 limits.host_memory_mib, else half of physical memory ({budget} on this machine)"
            ))
        })
    });
    let cli = match epochmem::cli::Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let code = epochmem::app::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
