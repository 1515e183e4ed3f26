//! `probe_overhead/interleaved`: the share of a training step that the
//! per-step probes cost, from steps that switch between probes off and on in
//! blocks, so that a change in the load of a shared machine hits both sides
//! alike.

use std::time::Duration;

use epochmem::run::monitor::Monitor;
use epochmem::scenario::StrategyKind;

use crate::common::{bench_dataset, bench_scenario, strategy_spec, NoProbes, StepDriver};
use crate::stdout_redirect::with_stdout_discarded;

pub const NAME: &str = "probe_overhead/interleaved";
/// Largest share of a training step the per-step probes may cost.
const MAX_PROBE_OVERHEAD: f64 = 0.02;
/// Steps run on one side before switching to the other. A probe can slow
/// the step after it (by evicting caches), and with blocks of 16 steps
/// that effect lands on the other side only once per block.
const BLOCK_STEPS: usize = 16;

/// Times training steps that switch between probes off and on every
/// `BLOCK_STEPS` steps, and prints the median step of each side.
pub fn measure_probe_overhead(test_mode: bool) {
    let blocks_per_side = if test_mode { 2 } else { 96 };
    let scenario = bench_scenario();
    let dataset = bench_dataset(&scenario);
    let mut driver = StepDriver::new(
        &scenario,
        &dataset,
        strategy_spec(&scenario, StrategyKind::Streaming),
    );
    let mut monitor = Monitor::new(&scenario, None, None);

    driver.time_steps(4 * BLOCK_STEPS as u64, &mut NoProbes);
    let mut unprobed = Vec::new();
    let mut probed = Vec::new();
    with_stdout_discarded(|| {
        for _ in 0..blocks_per_side {
            for _ in 0..BLOCK_STEPS {
                unprobed.push(driver.time_steps(1, &mut NoProbes));
            }
            for _ in 0..BLOCK_STEPS {
                probed.push(driver.time_steps(1, &mut monitor));
            }
        }
    });

    let off = median(&mut unprobed);
    let on = median(&mut probed);
    let overhead = on.as_secs_f64() / off.as_secs_f64() - 1.0;
    println!(
        "{NAME}: {} steps per side in alternating blocks of {BLOCK_STEPS}. Median step {:.1} µs with \
         probes off, {:.1} µs with per-step probes on, a difference of {:+.2}% (limit {:.0}%)",
        unprobed.len(),
        off.as_secs_f64() * 1e6,
        on.as_secs_f64() * 1e6,
        overhead * 100.0,
        MAX_PROBE_OVERHEAD * 100.0
    );
    if test_mode {
        println!("{NAME}: --test runs a few steps only, so these figures are not a measurement");
    } else if overhead > MAX_PROBE_OVERHEAD {
        eprintln!(
            "{NAME}: warning: the per-step probes cost more than {:.0}% of a step",
            MAX_PROBE_OVERHEAD * 100.0
        );
    }
}

fn median(durations: &mut [Duration]) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}
