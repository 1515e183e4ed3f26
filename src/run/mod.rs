//! The `run`, `validate` and `report` commands: the parent side of a run.

mod invocation;
pub mod monitor;
mod record;
mod supervisor;
mod table;
pub mod protocol;
pub mod timeline;
pub mod worker;

use std::path::Path;

use anyhow::Context;

use crate::cli::{ReportArgs, RunArgs, ValidateArgs};
use crate::scenario::load_scenario;

/// `epochmem validate FILE...`: checks every file, reports each error, and
/// fails when any file is invalid.
pub fn validate_command(args: &ValidateArgs) -> anyhow::Result<i32> {
    let mut failures = 0;
    for path in &args.scenarios {
        let checked = load_scenario(path).and_then(|scenario| {
            // A CPU scenario's module runs one probe batch here. On other
            // devices only loading is checked (see `check_module`).
            let run_forward = scenario.device == crate::scenario::DeviceRequest::Cpu;
            crate::model::check_module(&scenario, run_forward)?;
            Ok(scenario)
        });
        // The device is checked as `run` would check it, so a scenario that
        // requests a missing GPU fails here too.
        let checked = checked
            .map_err(anyhow::Error::from)
            .and_then(|scenario| invocation::resolve_device(&scenario).map(|device| (scenario, device)));
        match checked {
            Ok((scenario, device)) => println!(
                "{}: valid ({} strategies, device {} -> {} here)",
                path.display(),
                scenario.strategies.len(),
                scenario.device,
                device.name
            ),
            Err(error) => {
                eprintln!("epochmem: error: {error}");
                failures += 1;
            }
        }
    }
    Ok(if failures == 0 { 0 } else { crate::cli::EXIT_USAGE })
}

/// `epochmem report RESULTS.json [--out DIR]`.
pub fn report_command(args: &ReportArgs) -> anyhow::Result<i32> {
    let results = crate::results::read_results(&args.results)?;
    let out_dir = match &args.out {
        Some(dir) => dir.clone(),
        None => args.results.parent().unwrap_or(Path::new(".")).to_owned(),
    };
    let files = crate::report::render_report(&results, &out_dir)
        .with_context(|| format!("rendering the report into {}", out_dir.display()))?;
    println!("{}", files.index_html.display());
    Ok(0)
}

/// `epochmem run SCENARIO`.
pub fn run_command(args: &RunArgs) -> anyhow::Result<i32> {
    invocation::run_invocation(args)
}
