//! One `epochmem run`: validate, resolve the device, run every strategy and
//! repeat in its own worker, write results after each run, then report.

use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::protocol::{WorkerEvent, WorkerRequest};
use super::record::{build_record, check_metrics, summarize};
use super::supervisor::{install_interrupt_flag, run_worker, Supervision};
use crate::cli::RunArgs;
use crate::results::{
    write_results_atomically, Invocation, InvocationStatus, MachineInfo, ResultsFile, RunRecord,
    RunStatus, ScenarioInfo, SCHEMA_VERSION,
};
use crate::scenario::{load_scenario, DeviceRequest, Scenario};
use crate::UsageError;

const LOCK_FILE: &str = ".epochmem.lock";

pub fn run_invocation(args: &RunArgs) -> anyhow::Result<i32> {
    let mut scenario = load_scenario(&args.scenario)?;
    apply_overrides(&mut scenario, args)?;
    let host_budget = scenario
        .limits
        .host_memory_bytes
        .unwrap_or_else(crate::limits::default_host_budget_bytes);
    let device = resolve_device(&scenario)?;
    // NOTE: only a CPU run gets the probe batch. For a CUDA device the
    // parent checks only that the module loads and has trainable parameters,
    // so an output mismatch shows up as a crashed run. A probe on the GPU
    // would give the parent a CUDA context of its own, and a probe on the CPU
    // could reject a module that runs only on the GPU.
    crate::model::check_module(&scenario, device.name == "cpu")?;

    let out_dir = scenario.report_dir(&args.reports_dir);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating the output folder {}", out_dir.display()))?;
    let _lock = lock_output(&out_dir)?;
    let results_path = out_dir.join("results.json");
    let interrupted = install_interrupt_flag()?;

    let mut results = ResultsFile {
        schema_version: SCHEMA_VERSION,
        epochmem_version: env!("CARGO_PKG_VERSION").to_owned(),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            path: scenario.source_path.display().to_string(),
            yaml: scenario.yaml.clone(),
            strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            resolved: scenario.clone(),
        },
        machine: machine_info(&scenario, &device.name),
        invocation: Invocation {
            status: InvocationStatus::Running,
            started_at: now_rfc3339(),
            finished_at: None,
            command_line: std::env::args().collect(),
            host_memory_budget_bytes: host_budget,
            device_memory_budget_bytes: scenario.limits.device_memory_bytes,
            time_limit_seconds: scenario.limits.time_limit_seconds,
        },
        runs: Vec::new(),
    };
    write_results_atomically(&results_path, &results)?;

    let progress = Progress::new(&scenario);
    let supervision = Supervision {
        host_budget_bytes: host_budget,
        time_limit: scenario.limits.time_limit_seconds.map(Duration::from_secs_f64),
        sample_interval: Duration::from_millis(scenario.probes.rss_sample_interval_ms),
        interrupted: &interrupted,
    };
    eprintln!(
        "epochmem: {} on {} (requested: {}): {} x {}, host budget {} per run",
        scenario.name,
        device.name,
        scenario.device,
        plural(scenario.strategies.len() as u64, "strategy", "strategies"),
        plural(u64::from(scenario.repeats), "repeat", "repeats"),
        crate::units::format_bytes(host_budget)
    );

    'runs: for repeat in 0..scenario.repeats {
        for (index, spec) in scenario.strategies.iter().enumerate() {
            if interrupted.load(Ordering::SeqCst) {
                break 'runs;
            }
            let request = WorkerRequest {
                scenario: scenario.clone(),
                strategy_index: index,
                repeat,
                device: device.name.clone(),
                device_budget_bytes: scenario.limits.device_memory_bytes,
                heap_profile_path: args
                    .heap_profile
                    .then(|| out_dir.join(format!("dhat-{}-{repeat}.json", spec.name)).display().to_string()),
            };
            let outcome_path = out_dir.join(format!(".worker-{}-{repeat}.json", spec.name));
            progress.start_run(&spec.name, repeat);
            let exit = run_worker(&request, &outcome_path, &supervision, |event| progress.event(event))?;
            let mut record = build_record(spec, repeat, exit);
            let reference = results.runs.iter().find(|r| r.strategy == scenario.strategies[0].name && r.repeat == repeat);
            if index == 0 {
                check_metrics_self(&mut record, &scenario.strategies[0].name);
            } else {
                check_metrics(&mut record, reference, &scenario.strategies[0].name);
            }
            summarize(&mut record);
            progress.finish_run(&record);
            results.runs.push(record);
            write_results_atomically(&results_path, &results)?;
        }
    }

    let was_interrupted = interrupted.load(Ordering::SeqCst);
    results.invocation.status = if was_interrupted {
        InvocationStatus::Interrupted
    } else {
        InvocationStatus::Complete
    };
    results.invocation.finished_at = Some(now_rfc3339());
    write_results_atomically(&results_path, &results)?;
    progress.clear();

    print_ignoring_closed_pipe(&super::table::summary_table(&results));
    print_ignoring_closed_pipe(&format!("results: {}", results_path.display()));
    if !args.no_report {
        match crate::report::render_report(&results, &out_dir) {
            Ok(files) => {
                print_ignoring_closed_pipe(&format!("report:  {}", files.index_html.display()));
                if let Err(error) = crate::report::render_index(&args.reports_dir) {
                    eprintln!("epochmem: warning: cannot update the report index: {error:#}");
                }
            }
            Err(error) => eprintln!(
                "epochmem: warning: the report could not be rendered ({error:#}); results.json is \
                 complete, retry with `epochmem report {}`",
                results_path.display()
            ),
        }
    }
    Ok(if was_interrupted { 130 } else { 0 })
}

/// Prints a line to stdout, ignoring write errors: with stdout piped into
/// `head`, `println!` would panic and the report would never be rendered.
fn print_ignoring_closed_pipe(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn check_metrics_self(record: &mut RunRecord, name: &str) {
    let copy = record.clone();
    check_metrics(record, Some(&copy), name);
}

fn apply_overrides(scenario: &mut Scenario, args: &RunArgs) -> anyhow::Result<()> {
    if !args.strategies.is_empty() {
        for name in &args.strategies {
            if !scenario.strategies.iter().any(|s| &s.name == name) {
                let known: Vec<&str> = scenario.strategies.iter().map(|s| s.name.as_str()).collect();
                return Err(UsageError(format!(
                    "--strategy {name}: no such strategy in {}; it has {}",
                    scenario.source_path.display(),
                    known.join(", ")
                ))
                .into());
            }
        }
        scenario.strategies.retain(|s| args.strategies.contains(&s.name));
    }
    if let Some(repeats) = args.repeats {
        if repeats == 0 {
            return Err(UsageError("--repeats must be at least 1".into()).into());
        }
        scenario.repeats = repeats;
    }
    if let Some(epochs) = args.epochs {
        if epochs == 0 {
            return Err(UsageError("--epochs must be at least 1".into()).into());
        }
        scenario.training.epochs = epochs;
    }
    if let Some(mib) = args.host_memory_mib {
        if mib == 0 {
            return Err(UsageError("--host-memory-mib must be at least 1".into()).into());
        }
        scenario.limits.host_memory_bytes = Some(mib.saturating_mul(1 << 20));
    }
    if let Some(mib) = args.device_memory_mib {
        if mib == 0 {
            return Err(UsageError("--device-memory-mib must be at least 1".into()).into());
        }
        scenario.limits.device_memory_bytes = Some(mib.saturating_mul(1 << 20));
    }
    if let Some(seconds) = args.time_limit_seconds {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(UsageError(format!("--time-limit-seconds {seconds}: expected a number greater than 0")).into());
        }
        scenario.limits.time_limit_seconds = Some(seconds);
    }
    if args.no_step_probes {
        scenario.probes.per_step = false;
    }
    Ok(())
}

/// The device the workers will use.
pub struct ResolvedDevice {
    pub name: String,
}

pub(super) fn resolve_device(scenario: &Scenario) -> anyhow::Result<ResolvedDevice> {
    use crate::probe::cuda;
    let cpu = ResolvedDevice { name: "cpu".into() };
    match scenario.device {
        DeviceRequest::Cpu => Ok(cpu),
        DeviceRequest::Auto => {
            if !cuda::driver_present() || cuda::load_cuda_libraries().is_err() {
                return Ok(cpu);
            }
            if tch::Cuda::device_count() > 0 {
                Ok(ResolvedDevice { name: "cuda:0".into() })
            } else {
                Ok(cpu)
            }
        }
        DeviceRequest::Cuda { index } => {
            let fix = "set `device: cpu` or `device: auto` in the scenario, or run on a machine with an NVIDIA GPU";
            if !cuda::driver_present() {
                return Err(UsageError(format!(
                    "{}: device cuda:{index} requested, but no NVIDIA driver is installed \
                     (libcuda.so.1 not found); {fix}",
                    scenario.source_path.display()
                ))
                .into());
            }
            cuda::load_cuda_libraries().map_err(|error| {
                UsageError(format!("{}: device cuda:{index}: {error}; {fix}", scenario.source_path.display()))
            })?;
            let count = tch::Cuda::device_count() as usize;
            if index >= count {
                return Err(UsageError(format!(
                    "{}: device cuda:{index} requested, but {count} CUDA devices are usable; {fix}",
                    scenario.source_path.display()
                ))
                .into());
            }
            Ok(ResolvedDevice { name: format!("cuda:{index}") })
        }
    }
}

/// Takes an exclusive lock on the output folder so that two invocations do
/// not interleave their writes.
fn lock_output(out_dir: &Path) -> anyhow::Result<File> {
    let path: PathBuf = out_dir.join(LOCK_FILE);
    let file = File::create(&path).with_context(|| format!("creating the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(UsageError(format!(
            "another epochmem run holds the lock {}; wait for it to finish or use another \
             --reports-dir",
            path.display()
        ))
        .into()),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(anyhow::Error::new(error).context(format!("locking {}", path.display())))
        }
    }
}

fn machine_info(scenario: &Scenario, device_used: &str) -> MachineInfo {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    system.refresh_cpu_all();
    MachineInfo {
        hostname: sysinfo::System::host_name().unwrap_or_default(),
        os: sysinfo::System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_owned()),
        cpu_model: system.cpus().first().map(|cpu| cpu.brand().trim().to_owned()).unwrap_or_default(),
        logical_cores: system.cpus().len(),
        physical_memory_bytes: system.total_memory(),
        libtorch_version: crate::probe::cuda::libtorch_version(),
        tch_version: crate::TCH_VERSION.to_owned(),
        device_requested: scenario.device,
        device_used: device_used.to_owned(),
        cuda_device_name: None,
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Progress display: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(scenario: &Scenario) -> Self {
        let _ = scenario;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} steps {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Self { bar }
    }

    fn start_run(&self, strategy: &str, repeat: u32) {
        match &self.bar {
            Some(bar) => {
                bar.reset();
                bar.set_prefix(format!("{strategy} #{repeat}"));
            }
            None => eprintln!("epochmem: running {strategy} (repeat {repeat})"),
        }
    }

    fn event(&self, event: &WorkerEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            WorkerEvent::Started { total_steps, .. } => bar.set_length(*total_steps),
            WorkerEvent::Step { step, .. } | WorkerEvent::EpochDone { step, .. } => bar.set_position(*step),
        }
    }

    fn finish_run(&self, record: &RunRecord) {
        let line = format!(
            "epochmem: {} (repeat {}) {} in {:.1} s",
            record.strategy,
            record.repeat,
            record.status.as_str(),
            record.wall_seconds
        );
        let detail = match (&record.failure, record.status) {
            (Some(failure), status) if status != RunStatus::Completed => {
                format!(" at step {}: {}", failure.step_reached, failure.message)
            }
            _ => String::new(),
        };
        match &self.bar {
            Some(bar) => bar.println(format!("{line}{detail}")),
            None => eprintln!("{line}{detail}"),
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
