//! The worker process: one strategy run, started by `epochmem run` with the
//! same binary. It reads a [`WorkerRequest`] on stdin, reports progress on
//! stdout and writes a [`WorkerOutcome`] to its `--output` file.

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;

use anyhow::Context;
use tch::Device;

use super::monitor::Monitor;
use super::protocol::{WorkerEvent, WorkerFailure, WorkerOutcome, WorkerRequest};
use crate::cli::WorkerArgs;
use crate::probe::{allocator, cuda, rss};
use crate::results::Signal;

pub fn worker_main(args: &WorkerArgs) -> anyhow::Result<i32> {
    // Die with the parent: an orphaned worker would keep allocating with no
    // parent left to enforce its budget.
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag on this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the worker request")?;
    let request: WorkerRequest = serde_json::from_str(&input).context("parsing the worker request")?;

    // The CUDA libraries must be loaded before libtorch is first asked about
    // CUDA, and the counting allocator installed before the first tensor.
    let device = parse_device(&request.device)?;
    if device != Device::Cpu {
        cuda::load_cuda_libraries().map_err(anyhow::Error::msg)?;
    }
    allocator::install_cpu_counter().map_err(anyhow::Error::msg)?;

    let profiler = request.heap_profile_path.as_ref().map(|path| {
        dhat::Profiler::builder().file_name(path).build()
    });

    let outcome = run_measured(&request, device);
    let outcome = WorkerOutcome {
        heap_profile: request.heap_profile_path.clone(),
        ..outcome
    };
    drop(profiler);

    let json = serde_json::to_vec(&outcome)?;
    crate::results::write_file_atomically(&args.output, &json)
        .with_context(|| format!("writing the worker outcome to {}", args.output.display()))?;
    Ok(if outcome.failure.is_some() { 3 } else { 0 })
}

fn parse_device(text: &str) -> anyhow::Result<Device> {
    if text == "cpu" {
        return Ok(Device::Cpu);
    }
    text.strip_prefix("cuda:")
        .and_then(|index| index.parse::<usize>().ok())
        .map(Device::Cuda)
        .ok_or_else(|| anyhow::anyhow!("invalid worker device {text:?}"))
}

/// Runs the strategy and turns every way it can end into an outcome, so the
/// parent always receives what was measured before a failure.
fn run_measured(request: &WorkerRequest, device: Device) -> WorkerOutcome {
    let scenario = &request.scenario;
    let spec = &scenario.strategies[request.strategy_index];
    tch::set_num_threads(scenario.threads as i32);

    let dataset = match crate::data::load_dataset(scenario) {
        Ok(dataset) => dataset,
        Err(error) => return failed_outcome(format!("{error:#}")),
    };
    tch::manual_seed(scenario.seed as i64);
    let model = match crate::model::build_model(scenario, device) {
        Ok(model) => model,
        Err(error) => return failed_outcome(format!("{error:#}")),
    };
    let mut strategy = crate::strategy::build_strategy(spec);

    let train_samples = dataset.train.len();
    let analytic = crate::analytic::epoch_outputs_bytes(scenario, &spec.keep, train_samples);
    let steps_per_epoch = train_samples.div_ceil(scenario.training.batch_size);
    let baseline_rss_bytes = rss::read_status().map(|m| m.rss_bytes).ok();
    emit(&WorkerEvent::Started {
        baseline_rss_bytes: baseline_rss_bytes.unwrap_or(0),
        total_steps: steps_per_epoch * u64::from(scenario.training.epochs),
    });

    let cuda_index = match device {
        Device::Cuda(index) => Some(index),
        _ => None,
    };
    let mut monitor = Monitor::new(scenario, cuda_index, request.device_budget_bytes);
    monitor.start_measured_region();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        crate::train::train(scenario, device, &model, &dataset, strategy.as_mut(), &mut monitor)
    }));
    let failure = match result {
        Ok(Ok(_)) => None,
        Ok(Err(error)) => Some(classify_failure(&format!("{error:#}"), &monitor)),
        Err(panic) => Some(classify_failure(&panic_message(panic.as_ref()), &monitor)),
    };
    let finished = monitor.finish(heap_peak_bytes(request));
    WorkerOutcome {
        baseline_rss_bytes,
        cuda_libraries_loaded: cuda::cuda_libraries_loaded(),
        cuda_allocator_events: finished.cuda_events,
        epochs: finished.epochs,
        timeline: finished.timeline,
        peaks: finished.peaks,
        growth: finished.growth,
        analytic_retained_bytes_per_epoch: analytic,
        heap_profile: None,
        failure,
    }
}

fn heap_peak_bytes(request: &WorkerRequest) -> Option<u64> {
    request
        .heap_profile_path
        .as_ref()
        .map(|_| dhat::HeapStats::get().max_bytes as u64)
}

fn classify_failure(message: &str, monitor: &Monitor) -> WorkerFailure {
    if let Some(crossed) = monitor.budget_crossed() {
        return WorkerFailure {
            exceeded_memory: true,
            message: message.to_owned(),
            step_reached: monitor.global_step(),
            exceeded_signal: Some(crossed.signal),
            exceeded_value_bytes: Some(crossed.value_bytes),
        };
    }
    let out_of_memory = message.contains("out of memory") || message.contains("OutOfMemoryError");
    WorkerFailure {
        exceeded_memory: out_of_memory,
        message: message.to_owned(),
        step_reached: monitor.global_step(),
        exceeded_signal: out_of_memory.then_some(Signal::CudaReservedBytes),
        exceeded_value_bytes: None,
    }
}

fn failed_outcome(message: String) -> WorkerOutcome {
    WorkerOutcome {
        cuda_libraries_loaded: cuda::cuda_libraries_loaded(),
        failure: Some(WorkerFailure {
            exceeded_memory: false,
            message,
            step_reached: 0,
            exceeded_signal: None,
            exceeded_value_bytes: None,
        }),
        ..WorkerOutcome::empty()
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "the worker panicked".to_owned()
    }
}

/// Writes one progress event as a JSON line on stdout.
pub fn emit(event: &WorkerEvent) {
    let mut stdout = std::io::stdout().lock();
    if let Ok(line) = serde_json::to_string(event) {
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }
}

