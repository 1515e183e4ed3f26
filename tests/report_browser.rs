//! Opens a rendered report in headless Chromium: the screenshot must show
//! a page with charts, the DOM must contain the inline charts, and the page
//! must log no errors. Needs Debian's chromium at `/usr/bin/chromium`
//! (`apt-get update && apt-get install -y chromium`); without it the test
//! fails with that advice instead of passing silently.

mod report_fixture;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use epochmem::report::render_report;
use report_fixture::fixture_results;

const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str = "install it with `apt-get update && apt-get install -y chromium`";
const WINDOW_WIDTH: u32 = 1280;
const WINDOW_HEIGHT: u32 = 2400;
/// Chromium normally finishes in a few seconds; a slow CI machine gets more.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(120);
/// Okabe-Ito blue, the first strategy's colour in every chart.
const FIRST_STRATEGY_RGB: [u8; 3] = [0, 114, 178];

struct ChromiumOutput {
    stdout: String,
    stderr: String,
}

/// Runs Chromium headless on `url` with a fresh profile, no network
/// services, and console messages logged to stderr.
fn run_chromium(work_dir: &Path, mode_args: &[String], url: &str) -> ChromiumOutput {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "Chromium not found at {CHROMIUM}; {INSTALL_HINT}"
    );
    let profile = tempfile::tempdir_in(work_dir).unwrap();
    let stdout_path = work_dir.join("chromium.stdout");
    let stderr_path = work_dir.join("chromium.stderr");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(mode_args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {CHROMIUM}: {error}; {INSTALL_HINT}"));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("Chromium did not finish within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = ChromiumOutput {
        stdout: std::fs::read_to_string(&stdout_path).unwrap(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap(),
    };
    assert!(
        status.success(),
        "Chromium exited with {status}; stderr:\n{}",
        output.stderr
    );
    output
}

/// Console lines that report an error: uncaught exceptions, console.error
/// calls and failed loads.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .filter(|line| {
            let line = line.to_lowercase();
            line.contains("uncaught") || line.contains("error") || line.contains("failed")
        })
        .collect()
}

fn render_fixture_page(dir: &Path) -> (PathBuf, String) {
    let files = render_report(&fixture_results(), &dir.join("report")).unwrap();
    let url = format!("file://{}", files.index_html.display());
    (files.index_html, url)
}

/// Decoded screenshot as 8-bit RGB(A) pixels.
struct Screenshot {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

fn decode_png(path: &Path) -> Screenshot {
    let mut decoder = png::Decoder::new(BufReader::new(File::open(path).unwrap()));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(frame.buffer_size());
    let channels = frame.color_type.samples();
    assert!(
        channels >= 3,
        "expected an RGB screenshot, got {:?}",
        frame.color_type
    );
    Screenshot {
        width: frame.width,
        height: frame.height,
        channels,
        pixels,
    }
}

impl Screenshot {
    fn rgb(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.pixels
            .chunks_exact(self.channels)
            .map(|pixel| [pixel[0], pixel[1], pixel[2]])
    }

    fn non_white_fraction(&self) -> f64 {
        let non_white = self
            .rgb()
            .filter(|[r, g, b]| *r < 235 || *g < 235 || *b < 235)
            .count();
        non_white as f64 / (self.width as f64 * self.height as f64)
    }

    fn luminance_std_dev(&self) -> f64 {
        let values: Vec<f64> = self
            .rgb()
            .map(|[r, g, b]| 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b))
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        variance.sqrt()
    }

    fn count_near(&self, target: [u8; 3]) -> usize {
        self.rgb()
            .filter(|pixel| pixel.iter().zip(target).all(|(a, b)| a.abs_diff(b) <= 12))
            .count()
    }
}

#[test]
fn screenshot_shows_page_with_charts() {
    let dir = tempfile::tempdir().unwrap();
    let (_, url) = render_fixture_page(dir.path());
    let screenshot_path = dir.path().join("report.png");
    let output = run_chromium(
        dir.path(),
        &[
            format!("--screenshot={}", screenshot_path.display()),
            format!("--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}"),
        ],
        &url,
    );

    let errors = console_errors(&output.stderr);
    assert!(
        errors.is_empty(),
        "the page logged errors:\n{}",
        errors.join("\n")
    );
    let screenshot = decode_png(&screenshot_path);
    assert_eq!(
        (screenshot.width, screenshot.height),
        (WINDOW_WIDTH, WINDOW_HEIGHT)
    );
    let non_white = screenshot.non_white_fraction();
    assert!(
        non_white > 0.03,
        "screenshot is almost blank: {:.3} non-white",
        non_white
    );
    assert!(
        non_white < 0.9,
        "screenshot is almost filled: {:.3} non-white",
        non_white
    );
    let spread = screenshot.luminance_std_dev();
    assert!(
        spread > 10.0,
        "screenshot has too little contrast: std dev {spread:.1}"
    );
    let chart_pixels = screenshot.count_near(FIRST_STRATEGY_RGB);
    assert!(
        chart_pixels > 500,
        "only {chart_pixels} pixels in the first strategy's colour"
    );
}

#[test]
fn dom_contains_inline_charts() {
    let dir = tempfile::tempdir().unwrap();
    let (index_html, url) = render_fixture_page(dir.path());
    let output = run_chromium(dir.path(), &["--dump-dom".to_owned()], &url);

    let errors = console_errors(&output.stderr);
    assert!(
        errors.is_empty(),
        "the page logged errors:\n{}",
        errors.join("\n")
    );
    assert!(
        output.stdout.contains("epochmem report: fixture_scenario"),
        "DOM lacks the title"
    );
    let source = std::fs::read_to_string(index_html).unwrap();
    let expected_charts = source.matches("<svg ").count();
    assert!(expected_charts > 0);
    assert_eq!(output.stdout.matches("<svg ").count(), expected_charts);
    assert!(
        !output.stdout.to_lowercase().contains("<script"),
        "a <script> element was parsed"
    );
}

#[test]
fn console_errors_are_detected() {
    let stderr = "[1:1:INFO:CONSOLE:1] \"Uncaught ReferenceError: x is not defined\", source: file:///a.html (1)\n\
                  [1:1:WARNING:idle_linux.cc:111] None of the known D-Bus ScreenSaver services could be used.";
    assert_eq!(console_errors(stderr).len(), 1);
}
