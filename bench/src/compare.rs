//! The comparison: each contender started, gated by the conformance suite, then measured.

use std::net::SocketAddr;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::Config;
use crate::load::{self, Budget, all_valid};
use crate::report::{ContenderReport, Gate, Method, NoisyRow, Report, Row};
use crate::server::{self, ContenderSpec, Running};

/// Runs the comparison; `progress` gets a line whenever something starts.
pub async fn compare(config: &Config, progress: &dyn Fn(&str)) -> Report {
    let mut contenders: Vec<ContenderReport> = Vec::new();
    // The open-loop rates are fractions of the ceiling: the baseline, measured first.
    let mut ceiling = None;
    for spec in &config.contenders {
        progress(&format!("{}: starting", spec.name()));
        let contender = measure_contender(config, spec, ceiling, progress).await;
        if contender.gate == Gate::Exempt {
            ceiling = contender.rows.iter().map(|r| r.rps_median).reduce(f64::max);
        }
        contenders.push(contender);
    }
    let mut report = Report {
        machine: crate::machine(),
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
        contenders,
    };
    report.compute_ratios();
    report
}

/// Starts the contender's process, or finds its URL's address.
pub(crate) async fn start(config: &Config, spec: &ContenderSpec) -> Result<Running, String> {
    match spec {
        ContenderSpec::Baseline => {
            server::start_process(&config.bench_exe, &["serve-baseline"], None).await
        }
        ContenderSpec::Binary(name) => {
            server::start_process(&server::binary_dir()?.join(name), &[], None).await
        }
        ContenderSpec::Url(_, url) => {
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

async fn gate(config: &Config, spec: &ContenderSpec, address: SocketAddr) -> Gate {
    let (key, secret) = match spec {
        ContenderSpec::Baseline => return Gate::Exempt,
        ContenderSpec::Binary(_) => (server::API_KEY, server::API_SECRET),
        ContenderSpec::Url(..) => (
            config.url_credentials.0.as_str(),
            config.url_credentials.1.as_str(),
        ),
    };
    let under_test = conformance::ServerUnderTest::new(format!("http://{address}"))
        .with_credentials(key, secret);
    match conformance::run(&under_test, &conformance::Selection::default()).await {
        // A contender must meet the whole contract, as `--strict` asks.
        Ok(report) if report.failing_ids(true).is_empty() => Gate::Passed(report.passed()),
        Ok(report) => Gate::Failed(
            report
                .failing_ids(true)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        Err(err) => Gate::Unavailable(err.to_string()),
    }
}

/// Starts and gates one contender, then takes every measurement in turn; `ceiling` is the
/// baseline's best req/s, the open-loop rates' reference (the contender's own when `None`).
async fn measure_contender(
    config: &Config,
    spec: &ContenderSpec,
    ceiling: Option<f64>,
    progress: &dyn Fn(&str),
) -> ContenderReport {
    let mut report = ContenderReport {
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
    let ungated = config.ungated && matches!(spec, ContenderSpec::Url(..));
    match report.gate {
        Gate::Unavailable(_) => return report,
        Gate::Failed(_) if !ungated => return report,
        _ => {}
    }
    let name = spec.name();
    let address = running.address;
    let pid = running.process.as_ref().map(|p| p.pid());
    for &connections in &config.concurrency {
        let row = closed_loop(config, name, address, pid, connections, None, progress).await;
        report.rows.push(row);
    }
    let ceiling = ceiling.or_else(|| report.rows.iter().map(|r| r.rps_median).reduce(f64::max));
    if let Some(ceiling) = ceiling {
        for &fraction in &config.open_loop_fractions {
            let row = crate::open_loop::at_rate(config, name, address, fraction, ceiling, progress);
            report.open_loop.push(row.await);
        }
    }
    if report.gate != Gate::Exempt {
        report.noisy = Some(noisy(config, name, address, progress).await);
    }
    if let Some(pid) = pid.filter(|_| config.idle_connections > 0) {
        report.idle_kib_per_connection = idle_cost(config, name, address, pid, progress).await;
    }
    report.peak_rss_kib = pid.and_then(|pid| server::memory_kib(pid, "VmHWM"));
    report
}

/// Closed-loop load on `connections` keep-alive connections, each repetition after its own
/// warm-up; the server's CPU time is read around the measured part (when `pid` is ours).
pub(crate) async fn closed_loop(
    config: &Config,
    name: &str,
    address: SocketAddr,
    pid: Option<u32>,
    connections: usize,
    authorization: load::Authorization,
    progress: &dyn Fn(&str),
) -> Row {
    let mut rates = Vec::new();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    let (mut unexpected, mut errors, mut requests) = (0, 0, 0);
    let mut cpu = Duration::ZERO;
    for repetition in 1..=config.repetitions {
        progress(&format!(
            "{name}: {connections} connections, run {repetition}/{}",
            config.repetitions
        ));
        let warmup = Budget::Time {
            warmup: Duration::ZERO,
            measure: config.warmup,
        };
        load::run(
            address,
            connections,
            warmup,
            all_valid,
            authorization.clone(),
        )
        .await;
        let before = pid.and_then(server::cpu_time);
        let measured = Budget::Time {
            warmup: Duration::ZERO,
            measure: config.measure,
        };
        let result = load::run(
            address,
            connections,
            measured,
            all_valid,
            authorization.clone(),
        )
        .await;
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
    Row {
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
    }
}

/// The noisy mix on the fixed connections: how a token server copes with bad requests.
async fn noisy(
    config: &Config,
    name: &str,
    address: SocketAddr,
    progress: &dyn Fn(&str),
) -> NoisyRow {
    progress(&format!("{name}: noisy load"));
    let budget = Budget::Time {
        warmup: config.warmup,
        measure: config.measure,
    };
    let result = load::run(address, config.fixed_connections, budget, load::noisy, None).await;
    NoisyRow {
        rps: result.rate(),
        // Eight in ten requests of the mix are valid.
        valid_rps: result.rate() * 0.8,
        unexpected: result.unexpected_status + result.errors,
    }
}

/// Resident memory per idle keep-alive connection: RSS before and while holding
/// `config.idle_connections` of them.
async fn idle_cost(
    config: &Config,
    name: &str,
    address: SocketAddr,
    pid: u32,
    progress: &dyn Fn(&str),
) -> Option<f64> {
    progress(&format!("{name}: idle connections"));
    let before = server::memory_kib(pid, "VmRSS");
    let idle = load::idle_connections(address, config.idle_connections).await;
    let after = server::memory_kib(pid, "VmRSS");
    let (Ok(_held), Some(before), Some(after)) = (idle, before, after) else {
        return None;
    };
    Some(after.saturating_sub(before) as f64 / config.idle_connections as f64)
}
