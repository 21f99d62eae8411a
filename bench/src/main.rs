//! `bench`: the framework comparison (`cargo run --release -p bench`), its short version
//! (`--quick`), and the soak (`--soak`). Results go to stdout and `bench/results/`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bench::server::ContenderSpec;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Compares the backends against a bare hyper baseline."
)]
struct Cli {
    /// A short run (a few minutes: 1 s per point, one repetition, no build cost) that proves
    /// the harness works.
    #[arg(long)]
    quick: bool,
    /// Instead of comparing, soak each backend with a million mixed requests.
    #[arg(long)]
    soak: bool,
    /// Instead of comparing, measure what rate limits, metrics and production mode's caller
    /// authentication (ES256, RS256, EdDSA) cost each backend: CPU per request and req/s,
    /// on 64 connections.
    #[arg(long)]
    cost: bool,
    /// Requests per backend in the soak.
    #[arg(long, default_value_t = 1_000_000)]
    soak_requests: u64,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds before each run.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Runs per contender and concurrency.
    #[arg(long, default_value_t = 3)]
    repetitions: usize,
    /// Connection counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64,256")]
    concurrency: Vec<usize>,
    /// Open-loop rates as fractions of the baseline's best closed-loop req/s, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.25,0.5,0.75")]
    open_loop: Vec<f64>,
    /// Measure only this backend (repeatable; the names are those of README's backend table,
    /// and an unknown one lists them) [default: all].
    #[arg(long, value_name = "NAME")]
    backend: Vec<String>,
    /// An extra contender, NAME=URL (repeatable), e.g. an official tutorial server (also
    /// accepted under its old name, --target).
    #[arg(long, value_name = "NAME=URL", alias = "target")]
    contender: Vec<String>,
    /// Time --contender servers even when they fail the conformance gate (marked as failing,
    /// never ranked with conforming ones).
    #[arg(long)]
    ungated: bool,
    /// Skip the build cost (clean and incremental release builds of each backend, several
    /// minutes each); --quick always skips it.
    #[arg(long)]
    no_build_cost: bool,
    /// API key of --contender servers, for their conformance gate.
    #[arg(long, default_value = "devkey")]
    api_key: String,
    /// API secret of --contender servers.
    #[arg(long, default_value = "secret")]
    api_secret: String,
    /// Where to write report.md, report.json and chart.svg
    /// [default: bench/results/<date>-<host>].
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    // `bench serve-baseline` is how the comparison starts the baseline as its own process.
    if std::env::args().nth(1).as_deref() == Some("serve-baseline") {
        return serve_baseline();
    }
    // `bench render DIR` writes DIR's report.md and chart.svg again from its report.json.
    if std::env::args().nth(1).as_deref() == Some("render") {
        return render(std::env::args().nth(2).map(PathBuf::from));
    }
    let cli = Cli::parse();
    let selected = match bench::select_backends(&cli.backend) {
        Ok(selected) => selected,
        Err(err) => {
            eprintln!("bench: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = build_backends(&selected) {
        eprintln!("bench: {err}");
        return ExitCode::FAILURE;
    }
    // Before pinning: a build uses every CPU.
    let mut build_costs = std::collections::BTreeMap::new();
    if !cli.quick && !cli.no_build_cost && !cli.soak && !cli.cost {
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let scratch = std::env::temp_dir().join("bench-build-cost");
        for binary in &selected {
            eprintln!("bench: build cost of {binary} (a clean release build, then a rebuild)");
            match bench::build_cost::measure(&workspace, binary, &scratch) {
                Ok(cost) => {
                    build_costs.insert(binary.trim_start_matches("server-").to_owned(), cost);
                }
                Err(err) => eprintln!("bench: build cost of {binary}: {err}"),
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
    // Before any thread starts, so every thread of the load generator inherits the CPU.
    let pinned = bench::server::pin_self();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("bench: {err}");
            return ExitCode::FAILURE;
        }
    };
    let progress = |line: &str| eprint!("\r\x1b[K{line}");
    let machine = bench::machine();
    let out = cli.out.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("results")
            .join(format!("{}-{}", machine.date, machine.host))
    });
    if let Err(err) = std::fs::create_dir_all(&out) {
        eprintln!("bench: cannot create {}: {err}", out.display());
        return ExitCode::FAILURE;
    }
    let backends: Vec<ContenderSpec> = selected
        .iter()
        .map(|b| ContenderSpec::Binary((*b).to_owned()))
        .collect();
    let backends_count = backends.len();
    if cli.soak {
        let config = bench::Config::default();
        let soak = bench::soak(&config, &backends, cli.soak_requests, &progress);
        let results = runtime.block_on(soak);
        eprintln!();
        let table = bench::soak_markdown(&results);
        println!("{table}");
        let _ = std::fs::write(out.join("soak.md"), &table);
        let failed = results.len() < backends_count || results.iter().any(|r| r.unexpected > 0);
        return if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    if cli.cost {
        let config = bench::Config {
            warmup: Duration::from_secs_f64(cli.warmup),
            measure: Duration::from_secs_f64(cli.duration),
            repetitions: cli.repetitions.max(1),
            pinned,
            ..bench::Config::default()
        };
        let rows = runtime.block_on(bench::cost::cost(&config, &selected, &progress));
        progress("one signature check of each algorithm, in-process");
        let checks = bench::cost::signature_checks(config.repetitions);
        eprintln!();
        let machine = format!(
            "{}, {} CPUs, Linux {} (host {}), {}",
            machine.cpu, machine.cpus, machine.kernel, machine.host, machine.date
        );
        let table = format!(
            "{}\n{}\nMachine: {machine}.\n\nMethod: {} connections, {} s warm-up and {} s \
             measured, median of {} runs; {}.\n",
            bench::cost::cost_markdown(&rows),
            bench::cost::signature_markdown(&checks),
            config.fixed_connections,
            config.warmup.as_secs_f64(),
            config.measure.as_secs_f64(),
            config.repetitions,
            if pinned {
                "server and load generator pinned to one CPU each"
            } else {
                "nothing pinned"
            },
        );
        println!("{table}");
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "rows": rows,
            "signature_checks": checks,
        }))
        .unwrap_or_default();
        let _ = std::fs::write(out.join("cost.md"), &table);
        let _ = std::fs::write(out.join("cost.json"), json);
        let complete = rows.len() == selected.len() * bench::cost::CONFIGURATIONS.len();
        return if complete && rows.iter().all(|row| row.unexpected == 0) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut config = bench::Config {
        contenders: std::iter::once(ContenderSpec::Baseline)
            .chain(backends)
            .collect(),
        concurrency: cli.concurrency.clone(),
        warmup: Duration::from_secs_f64(cli.warmup),
        measure: Duration::from_secs_f64(cli.duration),
        repetitions: cli.repetitions.max(1),
        url_credentials: (cli.api_key.clone(), cli.api_secret.clone()),
        pinned,
        ungated: cli.ungated,
        open_loop_fractions: cli.open_loop.clone(),
        ..bench::Config::default()
    };
    for extra in &cli.contender {
        let Some((name, url)) = extra.split_once('=') else {
            eprintln!("bench: --contender takes NAME=URL, not {extra:?}");
            return ExitCode::from(2);
        };
        config
            .contenders
            .push(ContenderSpec::Url(name.to_owned(), url.to_owned()));
    }
    if cli.quick {
        config.warmup = Duration::from_millis(300);
        config.measure = Duration::from_secs(1);
        config.repetitions = 1;
        config.concurrency = vec![1, 16, 64, 256];
    }
    let mut report = runtime.block_on(bench::compare(&config, &progress));
    for contender in &mut report.contenders {
        contender.build = build_costs.remove(&contender.name);
    }
    eprintln!();
    let markdown = report.markdown();
    println!("{markdown}");
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    for (file, contents) in [
        ("report.md", &markdown),
        ("report.json", &json),
        ("chart.svg", &report.svg()),
    ] {
        if let Err(err) = std::fs::write(out.join(file), contents) {
            eprintln!("bench: cannot write {file}: {err}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("bench: wrote {}", out.display());
    ExitCode::SUCCESS
}

/// Builds the backends next to this binary, in its profile (a no-op when up to date): the
/// comparison is only fair between binaries built alike.
fn build_backends(backends: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command.args(["build", "--quiet"]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    for backend in backends {
        command.args(["-p", backend]);
    }
    let status = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building the backends failed: {status}"))
    }
}

/// Renders a results directory's Markdown and chart from its JSON, the measured data.
fn render(dir: Option<PathBuf>) -> ExitCode {
    let Some(dir) = dir else {
        eprintln!("bench: usage: bench render DIR (a results directory with report.json)");
        return ExitCode::from(2);
    };
    let report: bench::report::Report = match std::fs::read_to_string(dir.join("report.json"))
        .map_err(|err| err.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|err| err.to_string()))
    {
        Ok(report) => report,
        Err(err) => {
            eprintln!("bench: cannot read {}/report.json: {err}", dir.display());
            return ExitCode::from(2);
        }
    };
    for (file, contents) in [
        ("report.md", report.markdown()),
        ("chart.svg", report.svg()),
    ] {
        if let Err(err) = std::fs::write(dir.join(file), contents) {
            eprintln!("bench: cannot write {file}: {err}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn serve_baseline() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("baseline: {err}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let listener = server_runtime::bind(([127, 0, 0, 1], 0).into())?;
        println!("baseline listening address={}", listener.local_addr()?);
        let shutdown = server_runtime::shutdown_signal()?;
        bench::baseline::serve(listener, shutdown).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("baseline: {err}");
            ExitCode::FAILURE
        }
    }
}
