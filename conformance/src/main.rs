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
             contract: POST /token, webhooks, errors, CORS, HTTP behaviour.",
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
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
    /// The `server_url` the standard endpoint (`POST /livekit/token`) must answer.
    #[arg(long, default_value = conformance::target::DEFAULT_LIVEKIT_URL)]
    livekit_url: String,
    /// The server lets clients set `room_config` on the standard endpoint (agent dispatch);
    /// without it, the suite expects the default 403.
    #[arg(long)]
    allow_room_config: bool,
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
    /// Also check CORS in a real browser: headless Chromium fetches a token and an error
    /// from another origin (needs chromium and chromedriver; SKIP when they are missing).
    #[arg(long)]
    browser: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Sign a LiveKit webhook event (with LiveKit's own SDK) and print it as a curl command,
    /// or send it with --send.
    SignWebhook(SignWebhook),
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
    if let Some(Command::SignWebhook(args)) = cli.command {
        return sign_webhook(&args);
    }
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
        if cli.browser {
            for (id, requirement) in conformance::browser::CHECKS
                .iter()
                .filter(|(id, _)| selection.why_skipped(id).is_none())
            {
                println!("{id:<36} {requirement}");
            }
        }
        return ExitCode::SUCCESS;
    }
    let Some(url) = cli.url else {
        return ExitCode::from(2);
    };
    let mut target = Target::new(url).with_credentials(&cli.api_key, &cli.api_secret);
    target.ttl_seconds = cli.ttl;
    target.format = cli.response_format;
    target.livekit_url.clone_from(&cli.livekit_url);
    target.room_config_allowed = cli.allow_room_config;

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
    let mut report = match runtime.block_on(conformance::run(&target, &selection)) {
        Ok(report) => report,
        Err(unreachable) => {
            eprintln!("conformance: {unreachable}");
            return ExitCode::from(2);
        }
    };
    if cli.browser {
        let outcomes = runtime.block_on(conformance::browser::run(&target, &selection));
        report.outcomes.extend(outcomes);
    }
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
    let target = Target::new(&args.url).with_credentials(&args.api_key, &args.api_secret);
    let signed = conformance::signing::sign(
        &target,
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
    let url = target.url("/livekit/webhook");
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
                    .post(&url)
                    .header("content-type", "application/webhook+json")
                    .header("authorization", &authorization)
                    .body(body)
                    .send()
                    .await
                    .map_err(|err| conformance::runner::error_chain(&err))?;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
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
