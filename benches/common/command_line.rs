//! Reads the arguments that `cargo bench` passes to every benchmark target,
//! so that measurements outside criterion's timing loop follow `--list`,
//! `--test` and a benchmark filter as criterion's benchmarks do.

/// Criterion options that take a value, so that the value is not taken for
/// a benchmark filter.
const OPTIONS_WITH_VALUE: [&str; 19] = [
    "--color",
    "-c",
    "--save-baseline",
    "-s",
    "--baseline",
    "-b",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// The request that the command line makes of a measurement outside criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `--list`: print the benchmark's name.
    List,
    /// A filter that does not select the measurement.
    Skip,
    Run {
        test_mode: bool,
    },
}

/// Reads the request for the measurement called `name`.
pub fn read_request(args: &[String], name: &str) -> Request {
    let has_flag = |flag: &str| args.iter().any(|arg| arg == flag);
    if has_flag("--list") {
        return Request::List;
    }
    // NOTE: criterion matches its filter as a regular expression, but this
    // only checks whether the filter and the name contain each other.
    if let Some(filter) = benchmark_filter(args) {
        if !name.contains(filter) && !filter.contains(name) {
            return Request::Skip;
        }
    }
    // As criterion decides: `cargo bench` passes --bench, `cargo bench --
    // --test` adds --test, and `cargo test --benches` passes neither.
    Request::Run {
        test_mode: has_flag("--test") || !has_flag("--bench"),
    }
}

/// Returns the first argument that is neither an option nor an option's value.
fn benchmark_filter(args: &[String]) -> Option<&str> {
    let mut next_is_value = false;
    for arg in args {
        if next_is_value {
            next_is_value = false;
        } else if arg.starts_with('-') {
            next_is_value = OPTIONS_WITH_VALUE.contains(&arg.as_str());
        } else {
            return Some(arg);
        }
    }
    None
}
