use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = epochmem::cli::Cli::parse();
    let code = epochmem::app::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
