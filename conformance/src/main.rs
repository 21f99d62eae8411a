//! `conformance`: checks any token server against the contract, by URL.
//!
//! Exit status: 0 when no case failed, 1 when one did, 2 for bad arguments or a server that
//! cannot be reached at all.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use conformance::cases::CASES;
use conformance::{ResponseFormat, Selection, Target};

#[derive(Debug, Parser)]
#[command(
    name = "conformance",
    version,
    about = "Checks a LiveKit token server (OpenVidu tutorial application server) against the \
             contract: POST /token, errors, CORS, HTTP behaviour."
)]
struct Cli {
    /// Base URL of the server, e.g. http://127.0.0.1:6080.
    #[arg(long, required_unless_present = "list")]
    url: Option<String>,
    /// API key the server signs with (the expected `iss`).
    #[arg(long, default_value = "devkey")]
    api_key: String,
    /// API secret the server signs with.
    #[arg(long, default_value = "secret")]
    api_secret: String,
    /// Expected token lifetime in seconds (exp - nbf).
    #[arg(long, default_value_t = 21_600)]
    ttl: u32,
    /// Expected shape of token and error bodies.
    #[arg(long, value_enum, default_value_t = ResponseFormat::Text)]
    response_format: ResponseFormat,
    /// Run only cases whose ID starts with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    only: Vec<String>,
    /// Skip cases whose ID starts with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    skip: Vec<String>,
    /// Print the cases (ID and requirement) and send nothing.
    #[arg(long)]
    list: bool,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let selection = Selection {
        only: cli.only,
        skip: cli.skip,
    };
    if cli.list {
        for case in CASES
            .iter()
            .filter(|c| selection.why_skipped(c.id).is_none())
        {
            println!("{:<36} {}", case.id, case.requirement);
        }
        return ExitCode::SUCCESS;
    }
    let Some(url) = cli.url else {
        return ExitCode::from(2);
    };
    let mut target = Target::new(url).with_credentials(&cli.api_key, &cli.api_secret);
    target.ttl_seconds = cli.ttl;
    target.format = cli.response_format;

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("conformance: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let report = match runtime.block_on(conformance::run(&target, &selection)) {
        Ok(report) => report,
        Err(unreachable) => {
            eprintln!("conformance: {unreachable}");
            return ExitCode::from(2);
        }
    };
    println!("{report}");
    if let Some(path) = cli.junit
        && let Err(err) = std::fs::write(&path, report.junit())
    {
        eprintln!("conformance: cannot write {}: {err}", path.display());
        return ExitCode::from(2);
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
