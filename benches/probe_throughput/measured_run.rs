//! One measured training run in a process of its own: the parent starts the
//! benchmark binary again with `--run-arm ARM --epochs N`, the child trains
//! with that arm's probes and prints what it timed on stdout.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use epochmem::model::build_model;
use epochmem::probe::allocator;
use epochmem::run::monitor::Monitor;
use epochmem::scenario::StrategyKind;
use epochmem::strategy::build_strategy;
use epochmem::train::{train, EpochSummary, LoopMonitor};
use tch::Device;

use crate::common::{bench_dataset, bench_scenario, strategy_spec, NoProbes};

const RUN_ARM_FLAG: &str = "--run-arm";
const EPOCHS_FLAG: &str = "--epochs";
const EPOCH_RATES_PREFIX: &str = "epoch_samples_per_second=";
const WALL_STEP_PREFIX: &str = "wall_step_seconds=";
const CPU_STEP_PREFIX: &str = "cpu_step_seconds=";

/// The set of probes that a run has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// No counting allocator and no monitor.
    ProbesOff,
    /// Counting allocator and the worker's monitor with `per_step: false`,
    /// as `epochmem run --no-step-probes` runs.
    EpochProbes,
    /// Counting allocator and the monitor with per-step probes, as
    /// `epochmem run` runs by default.
    AllProbes,
}

impl Arm {
    pub const ALL: [Arm; 3] = [Arm::ProbesOff, Arm::EpochProbes, Arm::AllProbes];

    pub fn name(self) -> &'static str {
        match self {
            Arm::ProbesOff => "probes_off",
            Arm::EpochProbes => "epoch_probes",
            Arm::AllProbes => "all_probes",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|arm| arm.name() == name)
    }
}

/// The timings of one run, the first (warm-up) epoch left out.
#[derive(Debug, Clone, Default)]
pub struct RunTimings {
    /// Samples per wall-clock second of each epoch, as `train_seconds` in
    /// the results file counts them.
    pub epoch_samples_per_second: Vec<f64>,
    /// Wall-clock seconds of each step, probes included.
    pub wall_step_seconds: Vec<f64>,
    /// Process CPU seconds of each step, probes included.
    pub cpu_step_seconds: Vec<f64>,
}

/// Starts this binary on one arm and returns what the run printed.
pub fn run_in_child(executable: &Path, arm: Arm, epochs: u32) -> RunTimings {
    let output = Command::new(executable)
        .args([RUN_ARM_FLAG, arm.name(), EPOCHS_FLAG, &epochs.to_string()])
        .output()
        .expect("the benchmark binary starts itself");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the {} run failed with {}:\n{}",
        arm.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let values_after = |prefix: &str| -> Vec<f64> {
        let line = stdout
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| {
                panic!("the {} run printed no {prefix} line:\n{stdout}", arm.name())
            });
        line.split(',')
            .map(|value| {
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("invalid value {value:?} after {prefix}"))
            })
            .collect()
    };
    RunTimings {
        epoch_samples_per_second: values_after(EPOCH_RATES_PREFIX),
        wall_step_seconds: values_after(WALL_STEP_PREFIX),
        cpu_step_seconds: values_after(CPU_STEP_PREFIX),
    }
}

/// Runs the arm that the arguments name, as the child process, and returns
/// true, or returns false when they name none.
pub fn run_requested_arm(args: &[String]) -> bool {
    let Some(arm_name) = flag_value(args, RUN_ARM_FLAG) else {
        return false;
    };
    let arm = Arm::from_name(arm_name).unwrap_or_else(|| {
        panic!(
            "invalid {RUN_ARM_FLAG} {arm_name:?}: expected probes_off, epoch_probes or all_probes"
        )
    });
    let epochs = flag_value(args, EPOCHS_FLAG)
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{EPOCHS_FLAG} N is missing or not a whole number"));
    let timings = train_with_probes(arm, epochs);
    println!(
        "{EPOCH_RATES_PREFIX}{}",
        join(&timings.epoch_samples_per_second)
    );
    println!("{WALL_STEP_PREFIX}{}", join(&timings.wall_step_seconds));
    println!("{CPU_STEP_PREFIX}{}", join(&timings.cpu_step_seconds));
    true
}

/// Trains the streaming strategy of the benchmark scenario with the arm's
/// probes, in this process.
fn train_with_probes(arm: Arm, epochs: u32) -> RunTimings {
    assert!(
        epochs >= 2,
        "the first epoch is left out, so a run needs at least 2"
    );
    if arm != Arm::ProbesOff {
        // Before the first tensor, as in the worker.
        allocator::install_cpu_counter().expect("the counting CPU allocator installs");
    }
    let mut scenario = bench_scenario();
    scenario.training.epochs = epochs;
    scenario.probes.per_step = arm == Arm::AllProbes;
    let dataset = bench_dataset(&scenario);
    tch::manual_seed(scenario.seed as i64);
    let model = build_model(&scenario, Device::Cpu).expect("the benchmark model builds");
    let mut strategy = build_strategy(strategy_spec(&scenario, StrategyKind::Streaming));

    let probes: Box<dyn LoopMonitor> = match arm {
        Arm::ProbesOff => Box::new(NoProbes),
        Arm::EpochProbes | Arm::AllProbes => {
            let mut monitor = Monitor::new(&scenario, None, None);
            monitor.start_measured_region();
            Box::new(monitor)
        }
    };
    let mut clock = StepClock {
        inner: probes,
        previous_step_end: None,
        timings: RunTimings::default(),
    };
    let summaries = train(
        &scenario,
        Device::Cpu,
        &model,
        &dataset,
        strategy.as_mut(),
        &mut clock,
    )
    .expect("the benchmark run trains");

    let mut timings = clock.timings;
    timings.epoch_samples_per_second = summaries[1..]
        .iter()
        .map(|epoch| epoch.samples as f64 / epoch.train_seconds)
        .collect();
    timings
}

/// Passes every call on to `inner` and times each step from one
/// `on_step_end` call to the next, so that a step's time includes the
/// probes that ran after the step before it. The first step of each epoch
/// is not timed, and neither is any step of the first epoch.
struct StepClock {
    inner: Box<dyn LoopMonitor>,
    /// Wall clock and process CPU time when `on_step_end` was last entered.
    previous_step_end: Option<(Instant, Duration)>,
    timings: RunTimings,
}

impl LoopMonitor for StepClock {
    fn on_epoch_start(&mut self, epoch: u32) {
        self.previous_step_end = None;
        self.inner.on_epoch_start(epoch);
    }

    fn on_step_end(
        &mut self,
        epoch: u32,
        global_step: u64,
        retained_bytes: u64,
    ) -> anyhow::Result<()> {
        let now = (Instant::now(), process_cpu_time());
        if let (Some((wall, cpu)), true) = (self.previous_step_end, epoch > 1) {
            self.timings
                .wall_step_seconds
                .push((now.0 - wall).as_secs_f64());
            self.timings
                .cpu_step_seconds
                .push((now.1 - cpu).as_secs_f64());
        }
        self.previous_step_end = Some(now);
        self.inner.on_step_end(epoch, global_step, retained_bytes)
    }

    fn on_before_epoch_end(&mut self, epoch: u32, retained_bytes: u64) {
        self.inner.on_before_epoch_end(epoch, retained_bytes);
    }

    fn on_epoch_end(&mut self, summary: &EpochSummary, retained_bytes: u64) {
        self.inner.on_epoch_end(summary, retained_bytes);
    }
}

fn process_cpu_time() -> Duration {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid out-parameter for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut time) };
    assert_eq!(
        status,
        0,
        "clock_gettime failed: {}",
        std::io::Error::last_os_error()
    );
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let position = args.iter().position(|arg| arg == flag)?;
    args.get(position + 1).map(String::as_str)
}

fn join(values: &[f64]) -> String {
    values
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
