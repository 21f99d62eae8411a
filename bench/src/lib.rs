//! Measures every backend against a baseline on this machine, fairly: same release
//! profile, same settings, each gated by the conformance suite before it is timed.
//! Run: `cargo run --release -p bench`.
//!
//! - [`baseline`]: the bare hyper server answering a fixed token, the ceiling.
//! - [`server`]: starting the contenders (pinned to their own core when there are two), and
//!   what `/proc` says about them: CPU time, peak RSS.
//! - [`load`]: the closed-loop keep-alive load generator, latency in `hdrhistogram`.
//! - [`report`]: figures and ratios to the baseline as Markdown, JSON and an SVG chart.
//! - `compare`: [`compare()`] runs the comparison: each contender started, gated, then measured
//!   one measurement at a time (closed loop per concurrency, open loop, noisy load, idle
//!   cost); `open_loop`: the open-loop measurement, reported by its median run.
//! - `soak`: [`soak()`] sends a million mixed requests to each backend and watches its memory.
//! - `machine`: [`machine()`], what the machine is, for the report.

pub mod baseline;
pub mod build_cost;
mod compare;
pub mod cost;
pub mod load;
mod machine;
mod open_loop;
pub mod report;
pub mod server;
mod soak;

use std::time::Duration;

pub use compare::compare;
pub use machine::machine;
use server::ContenderSpec;
pub use soak::{SoakResult, soak, soak_markdown, soak_mix};

/// Every backend binary the comparison builds and times, from the one list.
pub fn backends() -> Vec<&'static str> {
    cross_backend::backends::BACKENDS
        .iter()
        .map(|backend| backend.binary)
        .collect()
}

/// The backend binaries named by `--backend` (`axum` or `server-axum`), in the order of
/// [`backends`]; all of them when none is named.
pub fn select_backends(names: &[String]) -> Result<Vec<&'static str>, String> {
    let names_it =
        |binary: &str, name: &str| binary == name || binary.strip_prefix("server-") == Some(name);
    let all = backends();
    if let Some(unknown) = names
        .iter()
        .find(|name| !all.iter().any(|binary| names_it(binary, name)))
    {
        return Err(format!(
            "unknown backend {unknown:?}; the backends are {}",
            all.iter()
                .map(|b| b.trim_start_matches("server-"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|binary| names.is_empty() || names.iter().any(|name| names_it(binary, name)))
        .collect())
}

/// What to measure and how long.
#[derive(Debug, Clone)]
pub struct Config {
    /// The contenders, baseline included.
    pub contenders: Vec<ContenderSpec>,
    /// Connection counts to sweep.
    pub concurrency: Vec<usize>,
    /// Unmeasured time before each run.
    pub warmup: Duration,
    /// Measured time per run.
    pub measure: Duration,
    /// Runs per contender and concurrency.
    pub repetitions: usize,
    /// Credentials of URL contenders, for the conformance gate.
    pub url_credentials: (String, String),
    /// Whether this process was pinned to the load generator's core.
    pub pinned: bool,
    /// The `bench` executable, which serves the baseline as its own process.
    pub bench_exe: std::path::PathBuf,
    /// Open-loop rates, as fractions of the baseline's best closed-loop req/s.
    pub open_loop_fractions: Vec<f64>,
    /// Connections of the open-loop and noisy runs.
    pub fixed_connections: usize,
    /// Idle keep-alive connections held for the idle-cost figure (0: not measured).
    pub idle_connections: usize,
    /// Time `--contender` servers that fail the conformance gate too (marked, never ranked).
    pub ungated: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            contenders: Vec::new(),
            concurrency: vec![1, 16, 64, 256],
            warmup: Duration::from_secs(1),
            measure: Duration::from_secs(5),
            repetitions: 3,
            url_credentials: ("devkey".to_owned(), "secret".to_owned()),
            pinned: false,
            bench_exe: std::env::current_exe().unwrap_or_default(),
            open_loop_fractions: vec![0.1, 0.25, 0.5, 0.75],
            fixed_connections: 64,
            idle_connections: 1000,
            ungated: false,
        }
    }
}
