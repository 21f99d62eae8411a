//! Measures every backend against a baseline on this machine, fairly: same release
//! profile, same settings, each gated by the conformance suite before it is timed.
//!
//! - [`baseline`]: the bare hyper server answering a fixed token, the ceiling.
//! - [`server`]: starting the targets (pinned to their own core when there are two), and
//!   what `/proc` says about them: CPU time, peak RSS.
//! - [`load`]: the closed-loop keep-alive load generator, latency in `hdrhistogram`.
//! - [`report`]: figures and ratios to the baseline as Markdown, JSON and an SVG chart.
//! - [`compare`] runs the comparison; [`soak`] sends a million mixed requests to each backend
//!   and watches its memory.

/// Every backend binary the comparison builds and times, from the one list.
pub fn backends() -> Vec<&'static str> {
    testkit::backends::BACKENDS
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

pub mod baseline;
pub mod build_cost;
pub mod load;
pub mod report;
pub mod server;

use std::net::SocketAddr;
use std::time::Duration;

use hdrhistogram::Histogram;
use load::{Budget, RequestKind, all_valid};
use report::{Gate, Machine, Method, NoisyRow, OpenLoopRow, Report, Row, TargetReport};
use server::{Running, TargetSpec};

/// What to measure and how long.
#[derive(Debug, Clone)]
pub struct Config {
    /// The targets, baseline included.
    pub targets: Vec<TargetSpec>,
    /// Connection counts to sweep.
    pub concurrency: Vec<usize>,
    /// Unmeasured time before each run.
    pub warmup: Duration,
    /// Measured time per run.
    pub measure: Duration,
    /// Runs per target and concurrency.
    pub repetitions: usize,
    /// Credentials of URL targets, for the conformance gate.
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
    /// Time `--target` servers that fail the conformance gate too (marked, never ranked).
    pub ungated: bool,
}

/// Runs the comparison; `progress` gets a line whenever something starts.
pub async fn compare(config: &Config, progress: &dyn Fn(&str)) -> Report {
    let mut targets: Vec<TargetReport> = Vec::new();
    // The open-loop rates are fractions of the ceiling: the baseline, measured first.
    let mut ceiling = None;
    for spec in &config.targets {
        progress(&format!("{}: starting", spec.name()));
        let target = measure_target(config, spec, ceiling, progress).await;
        if target.gate == Gate::Exempt {
            ceiling = target.rows.iter().map(|r| r.rps_median).reduce(f64::max);
        }
        targets.push(target);
    }
    let mut report = Report {
        machine: machine(),
        method: Method {
            concurrency: config.concurrency.clone(),
            warmup_seconds: config.warmup.as_secs_f64(),
            measure_seconds: config.measure.as_secs_f64(),
            repetitions: config.repetitions,
            pinning: if config.pinned {
                format!(
                    "Servers were pinned to CPU {} and the load generator to CPU {} (taskset); \
                     both share one machine and talk over loopback.",
                    server::SERVER_CPU,
                    server::LOAD_CPU
                )
            } else {
                "Nothing was pinned (fewer than two CPUs, or no taskset): servers and the \
                 load generator shared the CPUs."
                    .to_owned()
            },
        },
        targets,
    };
    report.compute_ratios();
    report
}

async fn start(config: &Config, spec: &TargetSpec) -> Result<Running, String> {
    match spec {
        TargetSpec::Baseline => server::start_process(&config.bench_exe, &["serve-baseline"]).await,
        TargetSpec::Binary(name) => {
            server::start_process(&server::binary_dir()?.join(name), &[]).await
        }
        TargetSpec::Url(_, url) => {
            let authority = url
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default();
            let address = tokio::net::lookup_host(authority)
                .await
                .map_err(|err| format!("{url}: {err}"))?
                .next()
                .ok_or_else(|| format!("{url}: no address"))?;
            Ok(Running {
                address,
                process: None,
                startup: None,
                binary_bytes: None,
                workdir: None,
            })
        }
    }
}

async fn gate(config: &Config, spec: &TargetSpec, address: SocketAddr) -> Gate {
    let (key, secret) = match spec {
        TargetSpec::Baseline => return Gate::Exempt,
        TargetSpec::Binary(_) => (server::API_KEY, server::API_SECRET),
        TargetSpec::Url(..) => (
            config.url_credentials.0.as_str(),
            config.url_credentials.1.as_str(),
        ),
    };
    let target =
        conformance::Target::new(format!("http://{address}")).with_credentials(key, secret);
    match conformance::run(&target, &conformance::Selection::default()).await {
        Ok(report) if report.failed() == 0 => Gate::Passed(report.passed()),
        Ok(report) => Gate::Failed(report.failed_ids().into_iter().map(str::to_owned).collect()),
        Err(err) => Gate::Unavailable(err.to_string()),
    }
}

async fn measure_target(
    config: &Config,
    spec: &TargetSpec,
    ceiling: Option<f64>,
    progress: &dyn Fn(&str),
) -> TargetReport {
    let mut report = TargetReport {
        name: spec.name().to_owned(),
        gate: Gate::Exempt,
        startup_ms: None,
        binary_bytes: None,
        peak_rss_kib: None,
        rows: Vec::new(),
        open_loop: Vec::new(),
        noisy: None,
        idle_kib_per_connection: None,
        build: None,
    };
    let running = match start(config, spec).await {
        Ok(running) => running,
        Err(err) => {
            report.gate = Gate::Unavailable(err);
            return report;
        }
    };
    report.startup_ms = running.startup.map(|d| d.as_secs_f64() * 1000.0);
    report.binary_bytes = running.binary_bytes;
    progress(&format!("{}: conformance gate", spec.name()));
    report.gate = gate(config, spec, running.address).await;
    let ungated = config.ungated && matches!(spec, TargetSpec::Url(..));
    match report.gate {
        Gate::Unavailable(_) => return report,
        Gate::Failed(_) if !ungated => return report,
        _ => {}
    }
    let pid = running.process.as_ref().map(|p| p.pid());
    for &connections in &config.concurrency {
        let mut rates = Vec::new();
        let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
        let (mut unexpected, mut errors, mut requests) = (0, 0, 0);
        let mut cpu = Duration::ZERO;
        for repetition in 1..=config.repetitions {
            progress(&format!(
                "{}: {connections} connections, run {repetition}/{}",
                spec.name(),
                config.repetitions
            ));
            let warmup = Budget::Time {
                warmup: Duration::ZERO,
                measure: config.warmup,
            };
            load::run(running.address, connections, warmup, all_valid).await;
            let before = pid.and_then(server::cpu_time);
            let measured = Budget::Time {
                warmup: Duration::ZERO,
                measure: config.measure,
            };
            let result = load::run(running.address, connections, measured, all_valid).await;
            if let (Some(before), Some(after)) = (before, pid.and_then(server::cpu_time)) {
                cpu += after.saturating_sub(before);
            }
            rates.push(result.rate());
            let _ = latency.add(&result.latency);
            unexpected += result.unexpected_status;
            errors += result.errors;
            requests += result.requests;
        }
        rates.sort_by(f64::total_cmp);
        report.rows.push(Row {
            concurrency: connections,
            rps_median: rates[rates.len() / 2],
            rps_min: rates.first().copied().unwrap_or_default(),
            rps_max: rates.last().copied().unwrap_or_default(),
            p50_us: latency.value_at_quantile(0.5),
            p90_us: latency.value_at_quantile(0.9),
            p99_us: latency.value_at_quantile(0.99),
            p999_us: latency.value_at_quantile(0.999),
            non_2xx: unexpected,
            errors,
            cpu_us_per_request: pid
                .filter(|_| requests > 0)
                .map(|_| cpu.as_secs_f64() * 1e6 / requests as f64),
            vs_baseline: None,
            vs_hyper: None,
        });
    }
    let ceiling = ceiling.or_else(|| report.rows.iter().map(|r| r.rps_median).reduce(f64::max));
    for &fraction in &config.open_loop_fractions {
        let Some(rate) = ceiling.map(|c| c * fraction) else {
            break;
        };
        let repetitions = config.repetitions.max(1);
        let mut runs = Vec::with_capacity(repetitions);
        for run in 1..=repetitions {
            progress(&format!(
                "{}: open loop at {rate:.0} req/s, run {run}/{repetitions}",
                spec.name(),
            ));
            let result = load::run_open_loop(
                running.address,
                config.fixed_connections,
                rate,
                config.warmup,
                config.measure,
            )
            .await;
            runs.push(result);
        }
        // The run with the median p99 stands for the rate: one stall of the machine (a few
        // tens of ms, seen on the test VM) moves a single run's p99, not the median.
        let p99 = |run: &load::OpenLoopResult| run.load.latency.value_at_quantile(0.99);
        runs.sort_by_key(p99);
        let p99_range_us = (runs.first().map_or(0, p99), runs.last().map_or(0, p99));
        let median = &runs[runs.len() / 2];
        let result = &median.load;
        report.open_loop.push(OpenLoopRow {
            fraction,
            target_rps: rate,
            achieved_rps: result.rate(),
            p50_us: result.latency.value_at_quantile(0.5),
            p99_us: result.latency.value_at_quantile(0.99),
            p99_range_us,
            p999_us: result.latency.value_at_quantile(0.999),
            max_us: result.latency.max(),
            generator_stall_us: u64::try_from(median.generator_stall.as_micros())
                .unwrap_or(u64::MAX),
            unexpected: runs
                .iter()
                .map(|run| run.load.unexpected_status + run.load.errors)
                .sum(),
        });
    }
    if report.gate != Gate::Exempt {
        progress(&format!("{}: noisy load", spec.name()));
        let budget = Budget::Time {
            warmup: config.warmup,
            measure: config.measure,
        };
        let result = load::run(
            running.address,
            config.fixed_connections,
            budget,
            load::noisy,
        )
        .await;
        report.noisy = Some(NoisyRow {
            rps: result.rate(),
            // Eight in ten requests of the mix are valid.
            valid_rps: result.rate() * 0.8,
            unexpected: result.unexpected_status + result.errors,
        });
    }
    if let Some(pid) = pid.filter(|_| config.idle_connections > 0) {
        progress(&format!("{}: idle connections", spec.name()));
        let before = server::memory_kib(pid, "VmRSS");
        let idle = load::idle_connections(running.address, config.idle_connections).await;
        let after = server::memory_kib(pid, "VmRSS");
        if let (Ok(_held), Some(before), Some(after)) = (idle, before, after) {
            report.idle_kib_per_connection =
                Some(after.saturating_sub(before) as f64 / config.idle_connections as f64);
        }
    }
    report.peak_rss_kib = pid.and_then(|pid| server::memory_kib(pid, "VmHWM"));
    report
}

/// One backend's soak: a long run of mixed requests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakResult {
    /// The backend.
    pub name: String,
    /// Requests answered.
    pub requests: u64,
    /// Answers whose status was not the one expected for the request, plus transport errors.
    pub unexpected: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// Resident memory (KiB) after start-up, half-way, and at the end.
    pub rss_kib: [Option<u64>; 3],
}

/// Mostly valid requests, some invalid, a few oversized.
pub fn soak_mix(sequence: u64) -> RequestKind {
    match sequence % 100 {
        0 => RequestKind::Oversized,
        1..=9 => RequestKind::Invalid,
        _ => RequestKind::Valid,
    }
}

/// Sends `requests` mixed requests (in two halves) to each target.
pub async fn soak(
    config: &Config,
    targets: &[TargetSpec],
    requests: u64,
    progress: &dyn Fn(&str),
) -> Vec<SoakResult> {
    let mut results = Vec::new();
    for spec in targets {
        let name = spec.name();
        let running = match start(config, spec).await {
            Ok(running) => running,
            Err(err) => {
                progress(&format!("{name}: cannot start: {err}"));
                continue;
            }
        };
        let pid = running.process.as_ref().map(|p| p.pid());
        let rss = || pid.and_then(|pid| server::memory_kib(pid, "VmRSS"));
        let mut rss_kib = [rss(), None, None];
        let started = std::time::Instant::now();
        let (mut answered, mut unexpected) = (0, 0);
        for (half, rss_after) in rss_kib.iter_mut().skip(1).enumerate() {
            progress(&format!("{name}: soak, half {}/2", half + 1));
            let result = load::run(
                running.address,
                16,
                Budget::Requests(requests / 2),
                soak_mix,
            )
            .await;
            answered += result.requests;
            unexpected += result.unexpected_status + result.errors;
            *rss_after = rss();
        }
        results.push(SoakResult {
            name: spec.name().to_owned(),
            requests: answered,
            unexpected,
            seconds: started.elapsed().as_secs_f64(),
            rss_kib,
        });
    }
    results
}

/// The soak results as a Markdown table.
pub fn soak_markdown(results: &[SoakResult]) -> String {
    let mut out = String::from(
        "| backend | requests | unexpected | seconds | req/s | RSS start MiB | RSS middle MiB | RSS end MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mib =
        |kib: Option<u64>| kib.map_or("–".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
    for r in results {
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.0} | {} | {} | {} |\n",
            r.name,
            r.requests,
            r.unexpected,
            r.seconds,
            r.requests as f64 / r.seconds,
            mib(r.rss_kib[0]),
            mib(r.rss_kib[1]),
            mib(r.rss_kib[2]),
        ));
    }
    out
}

impl Default for Config {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
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

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned()).filter(|s| !s.is_empty())
}

/// What this machine is.
pub fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|line| {
                line.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    Machine {
        host: command_output("hostname", &[]).unwrap_or_else(|| "unknown-host".to_owned()),
        cpu,
        cpus: server::machine_cpus(),
        kernel: command_output("uname", &["-r"]).unwrap_or_default(),
        date: command_output("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default(),
    }
}
