//! `conformance`: checks any token server against the contract, by URL.
//!
//! This file only parses the arguments; what the command does is the library's
//! `conformance::command`, which also documents the exit statuses.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use conformance::ResponseFormat;
use conformance::command::{
    RunOptions, SignCaller as SignCallerOptions, SignWebhook as SignWebhookOptions,
};
use conformance::listing::ListFormat;
use conformance::profile::Profile;

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
    /// The server's name in reports (the matrix's column) [default: its URL].
    #[arg(long)]
    name: Option<String>,
    /// Base URL of the server, e.g. http://127.0.0.1:6080 ({port} is replaced by --spawn's
    /// port) [default with --spawn: http://127.0.0.1:{port}]. Repeat it with each replica of
    /// one deployment to also check that its rate limit holds across them
    /// (limits/per-replica); the other cases run against the first.
    #[arg(long, required_unless_present_any = ["list", "spawn"])]
    url: Vec<String>,
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
    /// Print the raw bytes of each exchange, as sent and received, under its case (best
    /// with --only ID).
    #[arg(long)]
    show_exchange: bool,
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
    /// With the production profile: Wycheproof's JSON Web Signature vectors
    /// (testvectors_v1/json_web_signature_test.json from a checkout of C2SP/wycheproof),
    /// sent as callers' tokens with their keys in the JWKS (caller/forged/wycheproof).
    #[arg(long, value_name = "FILE")]
    wycheproof: Option<PathBuf>,
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
    /// Put JSON reports (--json) side by side: an HTML page of cases by servers, and a
    /// shields.io badge per server.
    Matrix(Matrix),
    /// Explain one case: its requirement, level, the defects a miss shows and why, its
    /// source, and the request it sends.
    Explain {
        /// The case's ID (an old ID of a renamed case works for one version).
        id: String,
    },
    /// Print a caller token for production mode, signed with the suite's test key (its JWKS
    /// is conformance/keys/caller-jwks.json), valid for five minutes.
    SignCaller(SignCaller),
}

#[derive(Debug, clap::Args)]
struct Matrix {
    /// The JSON reports, one per server (and profile), in column order.
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    /// Write the matrix as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE", required_unless_present = "badges")]
    html: Option<PathBuf>,
    /// Write a shields.io endpoint badge per server (NAME.json) into DIR.
    #[arg(long, value_name = "DIR")]
    badges: Option<PathBuf>,
    /// The page's title.
    #[arg(long, default_value = conformance::matrix::DEFAULT_TITLE)]
    title: String,
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
    match cli.command {
        Some(Command::SignWebhook(args)) => conformance::command::sign_webhook(&args.into()),
        Some(Command::SignCaller(args)) => conformance::command::sign_caller(&args.into()),
        Some(Command::Explain { id }) => conformance::command::explain(&id),
        Some(Command::Matrix(args)) => conformance::command::matrix(
            &args.reports,
            args.html.as_deref(),
            args.badges.as_deref(),
            &args.title,
        ),
        None => conformance::command::run(&cli.into()),
    }
}

impl From<Cli> for RunOptions {
    fn from(cli: Cli) -> Self {
        Self {
            url: cli.url.first().cloned(),
            replica_urls: if cli.url.len() > 1 {
                cli.url
            } else {
                Vec::new()
            },
            name: cli.name,
            spawn: cli.spawn,
            envs: cli.envs,
            cwd: cli.cwd,
            ready_timeout: cli.ready_timeout,
            profile: cli.profile,
            api_key: cli.api_key,
            api_secret: cli.api_secret,
            ttl: cli.ttl,
            response_format: cli.response_format,
            livekit_url: cli.livekit_url,
            allow_room_config: cli.allow_room_config,
            only: cli.only,
            skip: cli.skip,
            list: cli.list,
            show_exchange: cli.show_exchange,
            list_format: cli.format,
            strict: cli.strict,
            junit: cli.junit,
            json: cli.json,
            expect: cli.expect,
            write_baseline: cli.write_baseline,
            caller_issuer: cli.caller_issuer,
            caller_audience: cli.caller_audience,
            jwks_port: cli.jwks_port,
            wycheproof: cli.wycheproof,
            browser: cli.browser,
        }
    }
}

impl From<SignCaller> for SignCallerOptions {
    fn from(args: SignCaller) -> Self {
        Self {
            sub: args.sub,
            issuer: args.issuer,
            audience: args.audience,
            claims: args.claims,
        }
    }
}

impl From<SignWebhook> for SignWebhookOptions {
    fn from(args: SignWebhook) -> Self {
        Self {
            url: args.url,
            api_key: args.api_key,
            api_secret: args.api_secret,
            event: args.event,
            room: args.room,
            participant: args.participant,
            send: args.send,
        }
    }
}
