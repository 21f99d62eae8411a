//! What the `conformance` command does, as library calls: the binary only parses its
//! arguments into these options and calls [`run`], [`sign_caller`] or [`sign_webhook`].
//!
//! - `setup`: starting what a run needs: the identity provider, and `--spawn`'s server.
//! - `outputs`: the report on stdout, its files, and the exit status (`--expect`).
//! - `sign`: the `sign-caller` and `sign-webhook` subcommands.
//!
//! Exit status: 0 when no case failed (with `--strict`, none warned either; with `--expect`,
//! the run matched the baseline), 1 otherwise, 2 for bad arguments or a server that cannot
//! be reached or started at all.

mod outputs;
mod setup;
mod sign;

use std::path::PathBuf;
use std::process::ExitCode;

pub use sign::{SignCaller, SignWebhook, sign_caller, sign_webhook};

use crate::listing::{ListFormat, listing};
use crate::profile::Profile;
use crate::runner::Selection;
use crate::server_under_test::{ResponseFormat, ServerUnderTest};

/// What a run is asked to do: the command line's options, parsed.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--url`: the server's base URL (`{port}` filled with `--spawn`'s port).
    pub url: Option<String>,
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
            return ExitCode::from(2);
        }
        (Some(format), _) | (None, Some(format)) => format,
        (None, None) => ResponseFormat::Text,
    };
    let selection = Selection {
        only: options.only.clone(),
        skip: options.skip.clone(),
        profile: options.profile,
    };
    if options.list {
        print!(
            "{}",
            listing(&selection, options.list_format, options.browser)
        );
        return ExitCode::SUCCESS;
    }
    match run_suite(options, &selection, format) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("conformance: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs the suite (starting the server first with `--spawn`) and writes every output asked
/// for; `Err` is a usage or set-up problem (exit 2).
fn run_suite(
    options: &RunOptions,
    selection: &Selection,
    format: ResponseFormat,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // Refused before anything starts; `--list --browser` still lists the browser cases.
    #[cfg(not(feature = "browser"))]
    if options.browser {
        return Err(
            "--browser needs the browser feature: cargo install conformance --features browser"
                .into(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    // The identity provider serves on the runtime's worker while a spawned server starts.
    let provider = setup::identity_provider(options, &runtime)?;
    let (url, spawned) = setup::server(options, provider.as_ref())?;
    let mut server =
        ServerUnderTest::new(url).with_credentials(&options.api_key, &options.api_secret);
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
    let as_expected = outputs::write(options, &report)?;
    if let Some(mut spawned) = spawned {
        let tail = spawned.tail();
        let status = spawned.stop();
        if !as_expected {
            eprintln!("--- the server's last output ({status:?}):\n{tail}");
        }
    }
    Ok(if as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
