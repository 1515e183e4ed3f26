//! Pure-logic tests of the gate on results files built in code.

mod gate_support;

use epochmem::gate::{
    compare_results, default_limit, parse_limit_override, render_console, render_json,
    render_markdown, resolve_limits, GateInputError, GateReport, GrowthVerdict, LimitBound,
    LimitOrigin, LimitOverride, Metric, RepeatStats, Role, Variability, Verdict,
};
use epochmem::results::{GrowthClass, ResultsFile};
use epochmem::scenario::RawGate;
use gate_support::*;

fn compare(baseline: ResultsFile, current: ResultsFile) -> GateReport {
    compare_with(baseline, current, &[])
}

fn compare_with(
    baseline: ResultsFile,
    current: ResultsFile,
    overrides: &[LimitOverride],
) -> GateReport {
    compare_results(
        &gate_input(Role::Baseline, baseline),
        &gate_input(Role::Current, current),
        overrides,
    )
    .expect("the fixture files are comparable")
}

fn compare_error(baseline: ResultsFile, current: ResultsFile) -> GateInputError {
    compare_results(&gate_input(Role::Baseline, baseline), &gate_input(Role::Current, current), &[])
        .expect_err("the inputs must be rejected")
}

fn verdict(report: &GateReport, strategy: &str, metric: Metric) -> Verdict {
    report.metric(strategy, metric).expect("the metric was compared").verdict
}

fn growth_verdict(report: &GateReport, strategy: &str) -> GrowthVerdict {
    report
        .growth_checks
        .iter()
        .find(|check| check.strategy == strategy)
        .expect("the strategy has a growth check")
        .verdict
}

// Verdicts on metrics.

#[test]
fn identical_results_pass() {
    let report = compare(results(1), results(1));

    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.regression_count(), 0);
    for strategy in STRATEGIES {
        for metric in [
            Metric::LogicalPeakBytes,
            Metric::TorchCpuAllocatorPeakBytes,
            Metric::RssPeakBytes,
            Metric::SamplesPerSecond,
        ] {
            assert_eq!(
                verdict(&report, strategy, metric),
                Verdict::Unchanged,
                "{strategy} {metric}"
            );
        }
    }
}

#[test]
fn identical_results_compare_every_strategy_and_metric() {
    let report = compare(results(2), results(2));

    assert_eq!(report.metrics.len(), STRATEGIES.len() * Metric::ALL.len());
    assert_eq!(report.scenario, "gate_fixture");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn allocator_peak_rise_of_ten_percent_regresses() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(8 * MIB + 8 * MIB / 10);
    });

    let report = compare(results(1), current);

    let comparison = report.metric("retain_all", Metric::TorchCpuAllocatorPeakBytes).unwrap();
    assert_eq!(comparison.verdict, Verdict::Regressed);
    assert!((comparison.change_percent.unwrap() - 10.0).abs() < 1e-3);
    assert_eq!(comparison.change, Some((8 * MIB / 10) as f64));
    assert_eq!(
        verdict(&report, "explicit_buffer", Metric::TorchCpuAllocatorPeakBytes),
        Verdict::Unchanged
    );
    assert_eq!(report.regression_count(), 1);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn allocator_peak_drop_is_improved() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(6 * MIB);
    });

    let report = compare(results(1), current);

    assert_eq!(
        verdict(&report, "retain_all", Metric::TorchCpuAllocatorPeakBytes),
        Verdict::Improved
    );
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn throughput_rise_is_improved() {
    let mut current = results(1);
    set_throughput(&mut current, "streaming", &[13_000.0]);

    let report = compare(results(1), current);

    assert_eq!(verdict(&report, "streaming", Metric::SamplesPerSecond), Verdict::Improved);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn throughput_drop_inside_noise_is_within_noise() {
    let mut baseline = results(3);
    set_throughput(&mut baseline, "streaming", &[10_000.0, 9_000.0, 10_500.0]);
    let mut current = results(3);
    set_throughput(&mut current, "streaming", &[8_800.0, 8_900.0, 9_900.0]);

    let report = compare(baseline, current);

    let comparison = report.metric("streaming", Metric::SamplesPerSecond).unwrap();
    // The medians differ by 11%, beyond the 10% default, but the baseline's
    // repeats spread over 1500 samples/s, more than the 1100 of the drop.
    assert_eq!(comparison.baseline, Some(10_000.0));
    assert_eq!(comparison.current, Some(8_900.0));
    assert_eq!(comparison.noise, Some(1_500.0));
    assert_eq!(comparison.verdict, Verdict::WithinNoise);
    assert_eq!(report.exit_code(), 0);
    assert!(render_console(&report).contains("within noise"));
}

#[test]
fn throughput_drop_beyond_noise_regresses() {
    let mut baseline = results(3);
    set_throughput(&mut baseline, "streaming", &[10_000.0, 9_000.0, 10_500.0]);
    let mut current = results(3);
    set_throughput(&mut current, "streaming", &[5_000.0, 5_100.0, 4_900.0]);

    let report = compare(baseline, current);

    let comparison = report.metric("streaming", Metric::SamplesPerSecond).unwrap();
    assert_eq!(comparison.verdict, Verdict::Regressed);
    assert!((comparison.change_percent.unwrap() + 50.0).abs() < 1e-9);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn throughput_drop_inside_limit_is_unchanged() {
    let mut current = results(1);
    set_throughput(&mut current, "streaming", &[9_500.0]);

    let report = compare(results(1), current);

    assert_eq!(verdict(&report, "streaming", Metric::SamplesPerSecond), Verdict::Unchanged);
}

#[test]
fn single_repeat_has_no_noise_estimate() {
    let mut current = results(1);
    set_throughput(&mut current, "streaming", &[8_000.0]);

    let report = compare(results(1), current);

    let comparison = report.metric("streaming", Metric::SamplesPerSecond).unwrap();
    assert_eq!(comparison.noise, None);
    assert_eq!(comparison.verdict, Verdict::Regressed);
}

#[test]
fn byte_counts_ignore_spread_over_repeats() {
    // Deterministic metrics are judged by their limits alone, even when
    // their repeats differ.
    let mut baseline = results(2);
    let mut peaks = [8 * MIB, 12 * MIB].into_iter();
    edit_runs(&mut baseline, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = peaks.next();
    });
    let mut current = results(2);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(11 * MIB);
    });

    let report = compare(baseline, current);

    let comparison = report.metric("retain_all", Metric::TorchCpuAllocatorPeakBytes).unwrap();
    assert_eq!(comparison.noise, None);
    assert_eq!(comparison.baseline, Some((10 * MIB) as f64));
    assert_eq!(comparison.verdict, Verdict::Regressed);
}

#[test]
fn change_must_exceed_both_limits() {
    // 2 KiB on 1 MiB: 0.2% and under the 4 KiB absolute limit.
    let mut below_both = results(1);
    edit_runs(&mut below_both, "retain_all", |run| {
        run.summary.logical_peak_bytes = Some(MIB + 2048);
    });
    // 64 KiB on 8 MiB: beyond 4 KiB but only 0.78%, under the 1% limit.
    let mut below_relative = results(1);
    edit_runs(&mut below_relative, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(8 * MIB + 64 * 1024);
    });

    let first = compare(results(1), below_both);
    let second = compare(results(1), below_relative);

    assert_eq!(verdict(&first, "retain_all", Metric::LogicalPeakBytes), Verdict::Unchanged);
    assert_eq!(
        verdict(&second, "retain_all", Metric::TorchCpuAllocatorPeakBytes),
        Verdict::Unchanged
    );
}

#[test]
fn rise_from_zero_baseline_regresses() {
    let mut baseline = results(1);
    edit_runs(&mut baseline, "streaming", |run| run.summary.logical_peak_bytes = Some(0));
    let mut current = results(1);
    edit_runs(&mut current, "streaming", |run| run.summary.logical_peak_bytes = Some(64 * 1024));

    let report = compare(baseline, current);

    let comparison = report.metric("streaming", Metric::LogicalPeakBytes).unwrap();
    assert_eq!(comparison.verdict, Verdict::Regressed);
    assert_eq!(comparison.change_percent, None);
}

#[test]
fn cuda_metrics_unavailable_on_cpu() {
    let report = compare(results(1), results(1));

    for metric in [Metric::CudaAllocatedPeakBytes, Metric::CudaReservedPeakBytes] {
        let comparison = report.metric("retain_all", metric).unwrap();
        assert_eq!(comparison.verdict, Verdict::Unavailable);
        assert_eq!(comparison.baseline, None);
        assert_eq!(comparison.change, None);
        assert!(comparison.unavailable_reason.as_deref().unwrap().contains("neither"));
    }
}

#[test]
fn value_missing_in_current_is_unavailable_not_zero() {
    let mut current = results(2);
    let mut repeat = 0;
    edit_runs(&mut current, "retain_all", |run| {
        if repeat == 1 {
            run.summary.rss_peak_bytes = None;
        }
        repeat += 1;
    });

    let report = compare(results(2), current);

    let comparison = report.metric("retain_all", Metric::RssPeakBytes).unwrap();
    assert_eq!(comparison.verdict, Verdict::Unavailable);
    assert_eq!(comparison.current, None);
    assert_eq!(
        comparison.unavailable_reason.as_deref(),
        Some("not measured in 1 of 2 current runs")
    );
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn value_missing_in_baseline_is_unavailable() {
    let mut baseline = results(1);
    edit_runs(&mut baseline, "explicit_buffer", |run| run.summary.samples_per_second = None);

    let report = compare(baseline, results(1));

    let comparison = report.metric("explicit_buffer", Metric::SamplesPerSecond).unwrap();
    assert_eq!(comparison.verdict, Verdict::Unavailable);
    assert!(comparison.unavailable_reason.as_deref().unwrap().contains("baseline"));
}

#[test]
fn repeat_stats_median_and_spread() {
    let odd = RepeatStats::from_values(&[3.0, 1.0, 2.0]).unwrap();
    let even = RepeatStats::from_values(&[4.0, 1.0, 3.0, 2.0]).unwrap();

    assert_eq!(odd.median, 2.0);
    assert_eq!(odd.spread, 2.0);
    assert_eq!(even.median, 2.5);
    assert_eq!(even.spread, 3.0);
    assert_eq!(even.repeats, 4);
    assert_eq!(RepeatStats::from_values(&[]), None);
}

// Limits.

#[test]
fn default_limits_tight_for_byte_counts() {
    for metric in Metric::ALL {
        let limit = default_limit(metric);
        match metric.variability() {
            Variability::Deterministic => assert!(limit.relative_percent <= 1.0, "{metric}"),
            Variability::Noisy => assert!(limit.relative_percent >= 5.0, "{metric}"),
        }
    }
    assert_eq!(default_limit(Metric::LogicalPeakBytes).absolute, 4096.0);
}

#[test]
fn scenario_gate_section_overrides_defaults() {
    let yaml = format!(
        "{SCENARIO_YAML}gate:\n  torch_cpu_allocator_peak_bytes: {{ relative_percent: 20 }}\n  \
         rss_peak_bytes: {{ absolute: 1048576 }}\n"
    );
    let scenario = scenario_from_yaml(&yaml);
    let mut current = results_for(scenario.clone(), 1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(8 * MIB + 8 * MIB / 10);
    });
    let baseline = results_for(scenario, 1);

    let report = compare(baseline, current);

    let comparison = report.metric("retain_all", Metric::TorchCpuAllocatorPeakBytes).unwrap();
    assert_eq!(comparison.verdict, Verdict::Unchanged);
    assert_eq!(comparison.limit.relative_percent, 20.0);
    assert_eq!(comparison.limit.relative_percent_origin, LimitOrigin::Scenario);
    assert_eq!(comparison.limit.absolute_origin, LimitOrigin::Default);
    let rss = report.metric("retain_all", Metric::RssPeakBytes).unwrap();
    assert_eq!(rss.limit.absolute, MIB as f64);
    assert_eq!(rss.limit.relative_percent, 5.0);
}

#[test]
fn command_line_limit_wins_over_scenario() {
    let yaml = format!(
        "{SCENARIO_YAML}gate:\n  rss_peak_bytes: {{ relative_percent: 20, absolute: 0 }}\n"
    );
    let scenario = scenario_from_yaml(&yaml);
    let overrides = [parse_limit_override("rss_peak_bytes=15%").unwrap()];

    let limits = resolve_limits(&scenario.gate, &overrides);

    let rss = limits[&Metric::RssPeakBytes];
    assert_eq!(rss.relative_percent, 15.0);
    assert_eq!(rss.relative_percent_origin, LimitOrigin::CommandLine);
    assert_eq!(rss.absolute, 0.0);
    assert_eq!(rss.absolute_origin, LimitOrigin::Scenario);
}

#[test]
fn command_line_limit_loosens_regression() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.torch_cpu_allocator_peak_bytes = Some(8 * MIB + 8 * MIB / 10);
    });
    let overrides = [parse_limit_override("torch_cpu_allocator_peak_bytes=1MiB").unwrap()];

    let report = compare_with(results(1), current, &overrides);

    assert_eq!(
        verdict(&report, "retain_all", Metric::TorchCpuAllocatorPeakBytes),
        Verdict::Unchanged
    );
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn limits_without_overrides_are_defaults() {
    let limits = resolve_limits(&RawGate::default(), &[]);

    for metric in Metric::ALL {
        let limit = limits[&metric];
        assert_eq!(limit.relative_percent, default_limit(metric).relative_percent);
        assert_eq!(limit.absolute, default_limit(metric).absolute);
        assert_eq!(limit.relative_percent_origin, LimitOrigin::Default);
    }
}

#[test]
fn limit_flag_parses_good_values() {
    let cases = [
        ("rss_peak_bytes=15%", Metric::RssPeakBytes, LimitBound::RelativePercent(15.0)),
        ("rss_peak_bytes=32MiB", Metric::RssPeakBytes, LimitBound::Absolute(32.0 * 1048576.0)),
        ("logical_peak_bytes=2 KiB", Metric::LogicalPeakBytes, LimitBound::Absolute(2048.0)),
        (
            "cuda_reserved_peak_bytes=1GiB",
            Metric::CudaReservedPeakBytes,
            LimitBound::Absolute(1073741824.0),
        ),
        (
            "torch_cpu_allocator_peak_bytes=4096",
            Metric::TorchCpuAllocatorPeakBytes,
            LimitBound::Absolute(4096.0),
        ),
        (
            "cuda_allocated_peak_bytes=512B",
            Metric::CudaAllocatedPeakBytes,
            LimitBound::Absolute(512.0),
        ),
        ("samples_per_second=250", Metric::SamplesPerSecond, LimitBound::Absolute(250.0)),
        ("samples_per_second=2.5%", Metric::SamplesPerSecond, LimitBound::RelativePercent(2.5)),
        (" logical_peak_bytes = 0% ", Metric::LogicalPeakBytes, LimitBound::RelativePercent(0.0)),
    ];
    for (flag, metric, bound) in cases {
        let parsed = parse_limit_override(flag).unwrap_or_else(|e| panic!("{flag}: {e}"));
        assert_eq!(parsed, LimitOverride { metric, bound }, "{flag}");
    }
}

#[test]
fn limit_flag_rejects_bad_values() {
    let cases = [
        ("rss_peak_bytes", "missing '='"),
        ("rss_peak=5%", "unknown metric \"rss_peak\""),
        ("=5%", "unknown metric \"\""),
        ("rss_peak_bytes=", "is not a number"),
        ("rss_peak_bytes=-1%", "at least 0"),
        ("rss_peak_bytes=abc", "is not a number"),
        ("rss_peak_bytes=5%%", "is not a number"),
        ("rss_peak_bytes=NaN", "finite"),
        ("rss_peak_bytes=inf", "finite"),
        ("rss_peak_bytes=12TiB", "is not a number"),
        ("samples_per_second=5MiB", "is not a number"),
    ];
    for (flag, expected) in cases {
        let error = parse_limit_override(flag).expect_err(flag).to_string();
        assert!(error.contains(expected), "{flag}: {error}");
        assert!(error.contains("--limit"), "{flag}: {error}");
    }
}

#[test]
fn unknown_metric_message_lists_metrics() {
    let error = parse_limit_override("rss=5%").unwrap_err().to_string();

    for metric in Metric::ALL {
        assert!(error.contains(metric.name()), "{error}");
    }
}

// Inputs that cannot be compared.

#[test]
fn different_scenario_rejected() {
    let mut current = results(1);
    current.scenario.name = "other_scenario".to_owned();

    let error = compare_error(results(1), current);

    assert!(matches!(error, GateInputError::ScenarioMismatch { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("\"gate_fixture\""), "{message}");
    assert!(message.contains("\"other_scenario\""), "{message}");
    assert!(message.contains("reports/baselines/other_scenario.json"), "{message}");
}

#[test]
fn different_strategies_rejected() {
    let mut current = results(1);
    current.runs.retain(|run| run.strategy != "explicit_buffer");
    edit_runs(&mut current, "streaming", |run| run.strategy = "streaming_v2".to_owned());

    let error = compare_error(results(1), current);

    assert!(matches!(error, GateInputError::StrategyMismatch { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("only in the baseline: explicit_buffer, streaming"), "{message}");
    assert!(message.contains("only in the current results: streaming_v2"), "{message}");
}

#[test]
fn crashed_run_in_current_rejected() {
    let mut current = results(2);
    crash_run(&mut current, "explicit_buffer", 1);

    let error = compare_error(results(2), current);

    let message = error.to_string();
    assert!(matches!(error, GateInputError::RunNotCompleted { role: Role::Current, .. }));
    assert!(message.contains("\"explicit_buffer\" repeat 1"), "{message}");
    assert!(message.contains("status crashed: worker exited with status 101"), "{message}");
    assert!(message.contains("reports/gate_fixture/results.json"), "{message}");
}

#[test]
fn crashed_run_in_baseline_rejected() {
    let mut baseline = results(1);
    crash_run(&mut baseline, "streaming", 0);

    let error = compare_error(baseline, results(1));

    assert!(matches!(error, GateInputError::RunNotCompleted { role: Role::Baseline, .. }));
    assert!(error.to_string().starts_with("baseline reports/baselines/gate_fixture.json"));
}

#[test]
fn results_without_runs_rejected() {
    let mut current = results(1);
    current.runs.clear();

    let error = compare_error(results(1), current);

    assert!(matches!(error, GateInputError::NoRuns { role: Role::Current, .. }), "{error}");
}

// Growth check.

#[test]
fn constant_strategy_flat_passes() {
    let report = compare(results(2), results(2));

    assert_eq!(report.growth_checks.len(), 1, "only streaming is marked constant");
    assert_eq!(growth_verdict(&report, "streaming"), GrowthVerdict::Passed);
    let evidence = &report.growth_checks[0].evidence;
    assert!(evidence.contains("growth fit, timeline, epoch ends"), "{evidence}");
}

#[test]
fn constant_strategy_growing_within_epoch_fails() {
    let mut current = results(1);
    edit_runs(&mut current, "streaming", |run| {
        run.growth = None;
        for point in &mut run.timeline.points {
            let step_in_epoch = (point.step - 1) % STEPS_PER_EPOCH + 1;
            point.retained_bytes = 4096 * step_in_epoch;
        }
    });

    let report = compare(results(1), current);

    assert_eq!(growth_verdict(&report, "streaming"), GrowthVerdict::Regressed);
    let evidence = &report.growth_checks[0].evidence;
    assert!(
        evidence.contains("within epoch 1 from 4.00 KiB at step 1 to 16.00 KiB at step 4"),
        "{evidence}"
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn constant_strategy_with_linear_fit_fails() {
    let mut current = results(1);
    edit_runs(&mut current, "streaming", |run| {
        let growth = run.growth.as_mut().unwrap();
        growth.class = GrowthClass::Linear;
        growth.bytes_per_step = 2560.0;
    });

    let report = compare(results(1), current);

    assert_eq!(growth_verdict(&report, "streaming"), GrowthVerdict::Regressed);
    assert!(report.growth_checks[0].evidence.contains("2560.0 retained bytes more per step"));
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn constant_strategy_growing_across_epochs_fails() {
    let mut current = results(1);
    edit_runs(&mut current, "streaming", |run| {
        run.growth = None;
        run.timeline.points.clear();
        run.epochs[1].memory.retained_bytes_after_epoch_end = 8192;
    });

    let report = compare(results(1), current);

    assert_eq!(growth_verdict(&report, "streaming"), GrowthVerdict::Regressed);
    assert!(report.growth_checks[0].evidence.contains("not cleared"));
}

#[test]
fn constant_strategy_without_records_unavailable() {
    let mut current = results(1);
    edit_runs(&mut current, "streaming", |run| {
        run.growth = None;
        run.timeline.points.clear();
        run.epochs.truncate(1);
    });

    let report = compare(results(1), current);

    assert_eq!(growth_verdict(&report, "streaming"), GrowthVerdict::Unavailable);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn linear_strategy_growth_not_gated() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.growth.as_mut().unwrap().class = GrowthClass::Linear;
    });

    let report = compare(results(1), current);

    assert!(report.growth_checks.iter().all(|check| check.strategy != "retain_all"));
    assert_eq!(report.exit_code(), 0);
}

// Outputs.

#[test]
fn markdown_marks_regressions() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.logical_peak_bytes = Some(2 * MIB);
    });

    let markdown = render_markdown(&compare(results(1), current));

    assert!(markdown.starts_with("### epochmem gate failed: 1 regression in scenario gate_fixture"));
    assert!(markdown
        .contains("| strategy | metric | baseline | current | change | limit | noise | verdict |"));
    assert!(markdown.contains(
        "| retain_all | logical_peak_bytes | 1.00 MiB | 2.00 MiB | +1.00 MiB (+100.00%) | 1% and 4.00 KiB | - | **regressed** |"
    ), "{markdown}");
    assert!(markdown.contains("#### Growth checks"));
}

#[test]
fn json_lists_verdicts() {
    let mut current = results(1);
    edit_runs(&mut current, "retain_all", |run| {
        run.summary.logical_peak_bytes = Some(2 * MIB);
    });

    let json = render_json(&compare(results(1), current)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();

    assert_eq!(value["gate_json_version"], 1);
    assert_eq!(value["outcome"], "failed");
    assert_eq!(value["exit_code"], 1);
    assert_eq!(value["regressions"], 1);
    assert_eq!(value["scenario"], "gate_fixture");
    let first = &value["metrics"][0];
    assert_eq!(first["strategy"], "retain_all");
    assert_eq!(first["metric"], "logical_peak_bytes");
    assert_eq!(first["verdict"], "regressed");
    assert_eq!(first["better"], "lower");
    assert_eq!(first["unit"], "bytes");
    assert_eq!(first["baseline"], MIB as f64);
    assert_eq!(first["limit"]["relative_percent"], 1.0);
    assert_eq!(first["limit"]["absolute_origin"], "default");
    assert_eq!(value["growth_checks"][0]["verdict"], "passed");
}

#[test]
fn machine_difference_warns() {
    let mut current = results(2);
    current.machine.cpu_model = "other cpu".to_owned();

    let report = compare(results(2), current);

    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].contains("cpu_model \"fixture cpu\" vs \"other cpu\""));
}

#[test]
fn single_repeats_warn_about_noise() {
    let report = compare(results(1), results(1));

    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(warning.starts_with("retain_all, explicit_buffer, streaming ran once"), "{warning}");
    assert!(warning.contains("--repeats 3"), "{warning}");
}

#[test]
fn one_repeated_file_gives_noise() {
    let report = compare(results(1), results(3));

    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let comparison = report.metric("streaming", Metric::SamplesPerSecond).unwrap();
    assert_eq!(comparison.noise, Some(0.0));
}
