use std::process::ExitCode;

use clap::Parser;

// dhat measures the Rust heap only while a profiler is running (worker with
// --heap-profile); otherwise it forwards to the system allocator.
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn main() -> ExitCode {
    let cli = epochmem::cli::Cli::parse();
    let code = epochmem::app::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
