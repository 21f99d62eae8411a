//! What the `conformance` command does, as library calls: the binary only parses its
//! arguments into these options and calls [`run`], [`sign_caller`] or [`sign_webhook`].
//!
//! - `setup`: starting what a run needs: the identity provider, and `--spawn`'s server.
//! - `outputs`: the report on stdout, its files, and the exit status (`--expect`).
//! - `sign`: the `sign-caller` and `sign-webhook` subcommands.
//!
//! Exit status ([`exit`]): 0 when no case failed (with `--strict`, none warned either; with
//! `--expect`, the run matched the baseline), 1 otherwise, 2 for bad arguments, and 3 when
//! the suite could not do its part (a harness error: its JWKS cannot be served, the browser
//! does not start, the server cannot be reached or a spawned one never listens), so the
//! server was not, or not fully, judged. A FAIL outranks a harness error.

mod outputs;
mod setup;
mod sign;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

pub use sign::{SignCaller, SignWebhook, sign_caller, sign_webhook};

use crate::listing::{ListFormat, listing};
use crate::profile::Profile;
use crate::runner::Selection;
use crate::server_under_test::{ResponseFormat, ServerUnderTest};

/// The exit statuses.
pub mod exit {
    /// Nothing failed (or the run matched its baseline).
    pub const PASSED: u8 = 0;
    /// A case failed (or warned with `--strict`, or the run differed from its baseline).
    pub const FAILED: u8 = 1;
    /// Bad arguments: nothing was run.
    pub const USAGE: u8 = 2;
    /// The suite could not do its part, so the server was not, or not fully, judged.
    pub const HARNESS_ERROR: u8 = 3;
}

/// Why a run stopped before its report: the user's mistake, or the suite's own failure.
#[derive(Debug)]
enum Stop {
    /// Bad arguments or files.
    Usage(String),
    /// The suite could not do its part.
    Harness(String),
}

impl Stop {
    fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => exit::USAGE,
            Self::Harness(_) => exit::HARNESS_ERROR,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "{message}"),
            Self::Harness(message) => write!(f, "harness error: {message}"),
        }
    }
}

impl From<crate::error::Error> for Stop {
    fn from(err: crate::error::Error) -> Self {
        match err {
            crate::error::Error::InvalidUrl { .. } => Self::Usage(err.to_string()),
            // Whether the suite or the server is at fault, nothing was judged.
            _ => Self::Harness(err.to_string()),
        }
    }
}

/// What a run is asked to do: the command line's options, parsed.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--url`: the server's base URL (`{port}` filled with `--spawn`'s port).
    pub url: Option<String>,
    /// Every `--url` when several are given: one deployment's replicas.
    pub replica_urls: Vec<String>,
    /// `--name`: the server's name in reports.
    pub name: Option<String>,
    /// `--spawn`: the shell command starting the server under test.
    pub spawn: Option<String>,
    /// `--env`: `NAME=VALUE` pairs for the spawned server.
    pub envs: Vec<String>,
    /// `--cwd`: the spawned server's working directory.
    pub cwd: Option<PathBuf>,
    /// `--ready-timeout`, in seconds.
    pub ready_timeout: f64,
    /// `--profile`.
    pub profile: Profile,
    /// `--api-key`.
    pub api_key: String,
    /// `--api-secret`.
    pub api_secret: String,
    /// `--ttl`, in seconds.
    pub ttl: u32,
    /// `--response-format`.
    pub response_format: Option<ResponseFormat>,
    /// `--livekit-url`.
    pub livekit_url: String,
    /// `--allow-room-config`.
    pub allow_room_config: bool,
    /// `--only` prefixes.
    pub only: Vec<String>,
    /// `--skip` prefixes.
    pub skip: Vec<String>,
    /// `--list`: print the cases and send nothing.
    pub list: bool,
    /// `--show-exchange`: print each exchange's bytes.
    pub show_exchange: bool,
    /// `--format` of `--list`.
    pub list_format: ListFormat,
    /// `--strict`: WARN fails too.
    pub strict: bool,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--expect FILE`: the baseline of known failures.
    pub expect: Option<PathBuf>,
    /// `--write-baseline FILE`.
    pub write_baseline: Option<PathBuf>,
    /// `--caller-issuer`.
    pub caller_issuer: String,
    /// `--caller-audience`.
    pub caller_audience: String,
    /// `--jwks-port`.
    pub jwks_port: u16,
    /// `--wycheproof`: Wycheproof's JSON Web Signature vectors, for the production profile.
    pub wycheproof: Option<PathBuf>,
    /// `--browser`.
    pub browser: bool,
}

/// Runs the command as `options` say (or lists the cases) and returns its exit status;
/// a usage or set-up problem is printed on stderr, with status 2.
pub fn run(options: &RunOptions) -> ExitCode {
    let format = match (options.profile.format(), options.response_format) {
        (Some(profile), Some(asked)) if profile != asked => {
            eprintln!(
                "conformance: the {} profile judges {profile:?}, not {asked:?}",
                options.profile.name()
            );
            return ExitCode::from(exit::USAGE);
        }
        (Some(format), _) | (None, Some(format)) => format,
        (None, None) => ResponseFormat::Text,
    };
    let selection = Selection {
        only: current_ids(&options.only),
        skip: current_ids(&options.skip),
        profile: options.profile,
    };
    if options.show_exchange && !crate::exchange_log::enable() {
        eprintln!("conformance: --show-exchange cannot record: a logger is installed");
        return ExitCode::from(exit::USAGE);
    }
    if options.list {
        print!(
            "{}",
            listing(&selection, options.list_format, options.browser)
        );
        return ExitCode::SUCCESS;
    }
    match run_suite(options, &selection, format) {
        Ok(code) => ExitCode::from(code),
        Err(stop) => {
            eprintln!("conformance: {stop}");
            ExitCode::from(stop.code())
        }
    }
}

/// `conformance explain ID`: the case, or exit 2 for an unknown ID.
pub fn explain(id: &str) -> ExitCode {
    match crate::explain::explain(id) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("conformance: {err}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// `conformance matrix`: the reports at `reports` as an HTML page and badges; exit 2 when a
/// report cannot be read or a file written.
pub fn matrix(
    reports: &[PathBuf],
    html: Option<&std::path::Path>,
    badges: Option<&std::path::Path>,
    title: &str,
) -> ExitCode {
    let written = crate::matrix::read(reports).and_then(|matrix| {
        if let Some(path) = html {
            std::fs::write(path, matrix.html(title))
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            println!("matrix: {}", path.display());
        }
        if let Some(dir) = badges {
            for badge in matrix.write_badges(dir)? {
                println!("badge: {}", badge.display());
            }
        }
        Ok(())
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("conformance: {err}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// `limits/per-replica` over `--url`'s replicas, with the request the profile's clients
/// send (a caller's token with the production profile's `provider`).
async fn across_replicas(
    options: &RunOptions,
    provider: Option<&crate::identity_provider::IdentityProvider>,
) -> Result<crate::report::Outcome, Stop> {
    let client = crate::runner::client()?;
    let probe = crate::replicas::Probe::for_profile(options.profile, provider);
    Ok(crate::replicas::run(&client, &options.replica_urls, &probe).await)
}

/// `--only` or `--skip` prefixes with a renamed case's old ID replaced by its new one, and
/// a note saying so.
fn current_ids(prefixes: &[String]) -> Vec<String> {
    prefixes
        .iter()
        .map(|prefix| match crate::aliases::resolve(prefix) {
            (current, Some(alias)) => {
                eprintln!("conformance: note: {}", alias.note());
                current.to_owned()
            }
            (current, None) => current.to_owned(),
        })
        .collect()
}

/// Runs the suite (starting the server first with `--spawn`), writes every output asked
/// for, and returns the exit status; `Err` is what stopped it before a report.
fn run_suite(
    options: &RunOptions,
    selection: &Selection,
    format: ResponseFormat,
) -> Result<u8, Stop> {
    if options.spawn.is_some() && !options.replica_urls.is_empty() {
        return Err(Stop::Usage(
            "several --url are the replicas of a running deployment: not with --spawn".into(),
        ));
    }
    // Refused before anything starts; `--list --browser` still lists the browser cases.
    #[cfg(not(feature = "browser"))]
    if options.browser {
        return Err(Stop::Usage(
            "--browser needs the browser feature: cargo install conformance --features browser"
                .into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|err| Stop::Harness(format!("cannot start the runtime: {err}")))?;
    // The identity provider serves on the runtime's worker while a spawned server starts.
    let provider = setup::identity_provider(options, &runtime)?;
    let (url, spawned) = setup::server(options, provider.as_ref())?;
    let mut server =
        ServerUnderTest::new(url).with_credentials(&options.api_key, &options.api_secret);
    server.name.clone_from(&options.name);
    server.ttl_seconds = options.ttl;
    server.format = format;
    server.livekit_url.clone_from(&options.livekit_url);
    server.room_config_allowed = options.allow_room_config;

    let report = match &provider {
        Some(provider) => runtime.block_on(crate::production::run(&server, provider, selection))?,
        None => runtime.block_on(crate::runner::run(&server, selection))?,
    };
    #[cfg(feature = "browser")]
    let report = {
        let mut report = report;
        if options.browser {
            let outcomes = runtime.block_on(crate::browser::run(&server, selection));
            report.outcomes.extend(outcomes);
        }
        report
    };
    let mut report = report;
    report.run.case_set = Some(crate::catalogue::case_set_digest());
    if !options.replica_urls.is_empty() {
        let outcome = runtime.block_on(across_replicas(options, provider.as_ref()))?;
        report.outcomes.push(outcome);
    }
    let as_expected = outputs::write(options, &report).map_err(Stop::Usage)?;
    if let Some(mut spawned) = spawned {
        let tail = spawned.tail();
        let status = spawned.stop();
        if !as_expected {
            eprintln!("--- the server's last output ({status:?}):\n{tail}");
        }
    }
    Ok(if !as_expected {
        exit::FAILED
    } else if report.harness_errors() > 0 {
        eprintln!(
            "conformance: harness error: {} cases were not judged (ERROR lines above)",
            report.harness_errors()
        );
        exit::HARNESS_ERROR
    } else {
        exit::PASSED
    })
}
