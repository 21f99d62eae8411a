//! `conformance`: checks any token server against the contract, by URL.
//!
//! Exit status: 0 when no case failed (with `--strict`, none warned either; with `--expect`,
//! the run matched the baseline), 1 otherwise, 2 for bad arguments or a server that cannot
//! be reached or started at all.

use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use clap::Parser;
use conformance::identity_provider::IdentityProvider;
use conformance::listing::ListFormat;
use conformance::production::ALLOWED_ORIGIN;
use conformance::profile::Profile;
use conformance::report::Baseline;
use conformance::spawn::{self, SpawnSpec, Spawned};
use conformance::{ResponseFormat, Selection, ServerUnderTest};

#[derive(Debug, Parser)]
#[command(
    name = "conformance",
    version,
    about = "Checks a LiveKit token server (OpenVidu tutorial application server) against the \
             contract: POST /token, LiveKit's standard endpoint, webhooks, errors, CORS, HTTP \
             behaviour.",
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Base URL of the server, e.g. http://127.0.0.1:6080 ({port} is replaced by --spawn's
    /// port) [default with --spawn: http://127.0.0.1:{port}].
    #[arg(long, required_unless_present_any = ["list", "spawn"])]
    url: Option<String>,
    /// Start the server under test with this shell command, wait until its port answers,
    /// run, then stop it (SIGTERM, SIGKILL after 5 s). {port} is replaced by a free port;
    /// with the production profile, {jwks_url}, {issuer}, {audience} and {origin} by what
    /// the server must trust.
    #[arg(long, value_name = "CMD")]
    spawn: Option<String>,
    /// An environment variable for --spawn's server, NAME=VALUE (repeatable; {port} allowed).
    #[arg(long = "env", value_name = "NAME=VALUE", requires = "spawn")]
    envs: Vec<String>,
    /// The working directory of --spawn's server.
    #[arg(long, value_name = "DIR", requires = "spawn")]
    cwd: Option<PathBuf>,
    /// How long --spawn's server may take to accept connections, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, requires = "spawn")]
    ready_timeout: f64,
    /// The contract to judge: full (this project's), openvidu-basic (the seed's plain-text
    /// token), openvidu-v3 (the current tutorials' JSON), livekit-endpoint (LiveKit's
    /// standard endpoint). Cases on endpoints a profile does not require are skipped.
    #[arg(long, value_enum, default_value_t = Profile::Full)]
    profile: Profile,
    /// API key the server signs with (the expected `iss`).
    #[arg(long, default_value = "devkey")]
    api_key: String,
    /// API secret the server signs with.
    #[arg(long, default_value = "secret")]
    api_secret: String,
    /// Expected token lifetime in seconds (exp - nbf).
    #[arg(long, default_value_t = 21_600)]
    ttl: u32,
    /// Expected shape of token and error bodies with the full profile [default: text];
    /// `json` judges the full contract in OpenVidu 3's JSON shapes.
    #[arg(long, value_enum)]
    response_format: Option<ResponseFormat>,
    /// The `server_url` the standard endpoint (`POST /livekit/token`) must answer.
    #[arg(long, default_value = conformance::server_under_test::DEFAULT_LIVEKIT_URL)]
    livekit_url: String,
    /// The server lets clients set `room_config` on the standard endpoint (agent dispatch);
    /// without it, the suite expects the default 403.
    #[arg(long)]
    allow_room_config: bool,
    /// Run only cases whose ID starts with PREFIX (repeatable); named cases run even
    /// outside the profile.
    #[arg(long, value_name = "PREFIX")]
    only: Vec<String>,
    /// Skip cases whose ID starts with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    skip: Vec<String>,
    /// Print the cases (ID, level and requirement) and send nothing.
    #[arg(long)]
    list: bool,
    /// The format of --list: text, or a Markdown table (what CONTRACT.md holds).
    #[arg(long, value_enum, default_value_t = ListFormat::Text, requires = "list")]
    format: ListFormat,
    /// Also fail (exit 1) on WARN: cases where only SHOULD-level checks failed.
    #[arg(long)]
    strict: bool,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the results as JSON to FILE (schema: conformance/report.schema.json).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// A baseline of case IDs known to fail for this server: the exit status then reflects
    /// only unexpected results (a new failure, or a listed case that now passes).
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Write the IDs of this run's failing cases to FILE, as a baseline for --expect.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// With the production profile: the `iss` of the suite's caller tokens ({issuer} in
    /// --spawn's command and --env values).
    #[arg(long, default_value = conformance::identity_provider::DEFAULT_ISSUER)]
    caller_issuer: String,
    /// With the production profile: the `aud` of the suite's caller tokens ({audience}).
    #[arg(long, default_value = conformance::identity_provider::DEFAULT_AUDIENCE)]
    caller_audience: String,
    /// With the production profile: the loopback port the suite serves its JWKS on
    /// ({jwks_url}); 0 picks a free one, which only --spawn's server can be told.
    #[arg(long, default_value_t = 0)]
    jwks_port: u16,
    /// Also check CORS in a real browser: headless Chromium fetches a token and an error
    /// from another origin (needs chromium and chromedriver; SKIP when they are missing).
    /// Needs the browser feature: cargo install conformance --features browser.
    #[arg(long)]
    browser: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Sign a LiveKit webhook event (with LiveKit's own SDK) and print it as a curl command,
    /// or send it with --send.
    SignWebhook(SignWebhook),
    /// Print a caller token for production mode, signed with the suite's test key (its JWKS
    /// is conformance/keys/caller-jwks.json), valid for five minutes.
    SignCaller(SignCaller),
}

#[derive(Debug, clap::Args)]
struct SignCaller {
    /// The caller's identity (`sub`).
    #[arg(long, default_value = conformance::identity_provider::CALLER)]
    sub: String,
    /// The `iss`.
    #[arg(long, default_value = conformance::identity_provider::DEFAULT_ISSUER)]
    issuer: String,
    /// The `aud`.
    #[arg(long, default_value = conformance::identity_provider::DEFAULT_AUDIENCE)]
    audience: String,
    /// Extra claims, as a JSON object (e.g. '{"groups":["staff"]}').
    #[arg(long, default_value = "{}")]
    claims: String,
}

#[derive(Debug, clap::Args)]
struct SignWebhook {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:6080")]
    url: String,
    /// API key to sign with (the token's `iss`).
    #[arg(long, default_value = "devkey")]
    api_key: String,
    /// API secret to sign with.
    #[arg(long, default_value = "secret")]
    api_secret: String,
    /// The event's name.
    #[arg(long, default_value = "participant_joined")]
    event: String,
    /// The room's name.
    #[arg(long, default_value = "room1")]
    room: String,
    /// The participant's identity.
    #[arg(long, default_value = "alice")]
    participant: String,
    /// Send it and print the response instead of printing a curl command.
    #[arg(long)]
    send: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::SignWebhook(args)) => return sign_webhook(args),
        Some(Command::SignCaller(args)) => return sign_caller(args),
        None => {}
    }
    let format = match (cli.profile.format(), cli.response_format) {
        (Some(profile), Some(asked)) if profile != asked => {
            eprintln!(
                "conformance: the {} profile judges {profile:?}, not {asked:?}",
                cli.profile.name()
            );
            return ExitCode::from(2);
        }
        (Some(format), _) | (None, Some(format)) => format,
        (None, None) => ResponseFormat::Text,
    };
    let selection = Selection {
        only: cli.only.clone(),
        skip: cli.skip.clone(),
        profile: cli.profile,
    };
    if cli.list {
        print!(
            "{}",
            conformance::listing::listing(&selection, cli.format, cli.browser)
        );
        return ExitCode::SUCCESS;
    }
    match run(&cli, &selection, format) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("conformance: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs the suite (starting the server first with --spawn) and writes every output asked
/// for; `Err` is a usage or set-up problem (exit 2).
fn run(
    cli: &Cli,
    selection: &Selection,
    format: ResponseFormat,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // Refused before anything starts; `--list --browser` still lists the browser cases.
    #[cfg(not(feature = "browser"))]
    if cli.browser {
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
    let provider = match cli.profile {
        Profile::Production => Some(
            runtime
                .block_on(IdentityProvider::start(
                    cli.jwks_port,
                    &cli.caller_issuer,
                    &cli.caller_audience,
                ))
                .map_err(|err| format!("cannot serve the JWKS: {err}"))?,
        ),
        _ => None,
    };
    let placeholders: Vec<(&str, String)> = match &provider {
        Some(provider) => {
            println!(
                "identity provider: JWKS {} issuer {} audience {} origin {ALLOWED_ORIGIN}",
                provider.jwks_url(),
                provider.issuer(),
                provider.audience()
            );
            vec![
                ("{jwks_url}", provider.jwks_url()),
                ("{issuer}", provider.issuer().to_owned()),
                ("{audience}", provider.audience().to_owned()),
                ("{origin}", ALLOWED_ORIGIN.to_owned()),
            ]
        }
        None => Vec::new(),
    };
    let fill = |text: &str| {
        placeholders
            .iter()
            .fold(text.to_owned(), |text, (name, value)| {
                text.replace(name, value)
            })
    };
    let port = match &cli.spawn {
        Some(_) => Some(spawn::free_port().map_err(|err| format!("no free port: {err}"))?),
        None => None,
    };
    let url = match (&cli.url, port) {
        (Some(url), Some(port)) => spawn::fill_port(url, port),
        (Some(url), None) => url.clone(),
        (None, Some(port)) => format!("http://127.0.0.1:{port}"),
        (None, None) => return Err("--url is required".into()),
    };
    let mut spawned_server = None;
    if let (Some(command), Some(port)) = (&cli.spawn, port) {
        let uses_port = command.contains(spawn::PORT_PLACEHOLDER)
            || cli.envs.iter().any(|e| e.contains(spawn::PORT_PLACEHOLDER))
            || cli.url.is_some();
        if !uses_port {
            return Err(
                "say where the spawned server listens: put {port} in the command or an \
                        --env value, or give --url"
                    .into(),
            );
        }
        let env = cli
            .envs
            .iter()
            .map(|pair| {
                pair.split_once('=')
                    .map(|(name, value)| (name.to_owned(), fill(value)))
                    .ok_or_else(|| format!("--env takes NAME=VALUE, not {pair:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = SpawnSpec {
            command: fill(command),
            env,
            cwd: cli.cwd.clone(),
            ready_timeout: Duration::from_secs_f64(cli.ready_timeout.max(0.1)),
        };
        let mut spawned = Spawned::start(&spec, port)?;
        let address = conformance::server_under_test::authority(&url)?;
        if let Err(err) = spawned.wait_until_listening(&address, spec.ready_timeout) {
            return Err(format!("{err}\n--- the server's last output:\n{}", spawned.tail()).into());
        }
        spawned_server = Some(spawned);
    }
    let mut server = ServerUnderTest::new(url).with_credentials(&cli.api_key, &cli.api_secret);
    server.ttl_seconds = cli.ttl;
    server.format = format;
    server.livekit_url.clone_from(&cli.livekit_url);
    server.room_config_allowed = cli.allow_room_config;

    let report = match &provider {
        Some(provider) => {
            runtime.block_on(conformance::production::run(&server, provider, selection))?
        }
        None => runtime.block_on(conformance::run(&server, selection))?,
    };
    #[cfg(feature = "browser")]
    let report = {
        let mut report = report;
        if cli.browser {
            let outcomes = runtime.block_on(conformance::browser::run(&server, selection));
            report.outcomes.extend(outcomes);
        }
        report
    };
    println!("{report}");
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    if let Some(path) = &cli.junit {
        write(path, report.junit())?;
    }
    if let Some(path) = &cli.json {
        let json = report.json(cli.profile.name());
        write(
            path,
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        )?;
    }
    if let Some(path) = &cli.write_baseline {
        write(path, Baseline::of(&report, cli.strict).to_text())?;
    }
    let as_expected = match &cli.expect {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            let comparison = Baseline::parse(&text).compare(&report, cli.strict);
            for id in &comparison.new_failures {
                println!("new failure: {id}");
            }
            for id in &comparison.fixed {
                println!("fixed: {id} (remove it from the baseline)");
            }
            println!(
                "baseline: {} known, {} new, {} fixed",
                comparison.known.len(),
                comparison.new_failures.len(),
                comparison.fixed.len()
            );
            comparison.as_expected()
        }
        None => report.failing_ids(cli.strict).is_empty(),
    };
    if let Some(mut spawned) = spawned_server {
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

fn sign_caller(args: &SignCaller) -> ExitCode {
    let Ok(extra @ serde_json::Value::Object(_)) = serde_json::from_str(&args.claims) else {
        eprintln!("conformance: --claims takes a JSON object");
        return ExitCode::from(2);
    };
    println!(
        "{}",
        conformance::identity_provider::caller_token(
            &args.issuer,
            &args.audience,
            conformance::identity_provider::CallerKey::P256,
            &args.sub,
            &extra,
        )
    );
    ExitCode::SUCCESS
}

fn sign_webhook(args: &SignWebhook) -> ExitCode {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let body = serde_json::json!({
        "event": args.event,
        "room": {"sid": "RM_conformance", "name": args.room},
        "participant": {"sid": "PA_conformance", "identity": args.participant},
        "id": format!("EV_{now}"),
        "createdAt": now.to_string(),
    })
    .to_string();
    let server = ServerUnderTest::new(&args.url).with_credentials(&args.api_key, &args.api_secret);
    let signed = conformance::signing::sign(
        &server,
        conformance::case::Signer::LiveKit,
        conformance::case::Flaw::None,
        body.as_bytes(),
    );
    let authorization = match signed {
        Ok(authorization) => authorization,
        Err(err) => {
            eprintln!("conformance: {err}");
            return ExitCode::from(2);
        }
    };
    let url = server.url("/livekit/webhook");
    if !args.send {
        let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
        println!(
            "curl -i -X POST {} -H 'Content-Type: application/webhook+json' -H {} --data-binary {}",
            quote(&url),
            quote(&format!("Authorization: {authorization}")),
            quote(&body)
        );
        return ExitCode::SUCCESS;
    }
    let sent = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())
        .and_then(|runtime| {
            runtime.block_on(async {
                let response = conformance::runner::client()
                    .map_err(|err| err.to_string())?
                    .post(&url)
                    .header("content-type", "application/webhook+json")
                    .header("authorization", &authorization)
                    .body(body)
                    .send()
                    .await
                    .map_err(|err| conformance::Error::Request(err).to_string())?;
                let status = response.status();
                let body = conformance::runner::read_body(response)
                    .await
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&body).into_owned();
                Ok::<_, String>((status, text))
            })
        });
    match sent {
        Ok((status, text)) => {
            println!("{status}\n{text}");
            if status.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("conformance: {err}");
            ExitCode::from(2)
        }
    }
}
