//! The subcommands that sign for an operator: a caller token for production mode
//! (`sign-caller`), and a LiveKit webhook, printed as a curl command or sent
//! (`sign-webhook`).

use std::process::ExitCode;

use crate::case::{Flaw, Signer};
use crate::clock::unix_now;
use crate::identity_provider::{CallerKey, caller_token};
use crate::server_under_test::ServerUnderTest;

/// `sign-caller`'s options.
#[derive(Debug, Clone)]
pub struct SignCaller {
    /// The caller's identity (`sub`).
    pub sub: String,
    /// The `iss`.
    pub issuer: String,
    /// The `aud`.
    pub audience: String,
    /// Extra claims, as a JSON object.
    pub claims: String,
}

/// `sign-webhook`'s options.
#[derive(Debug, Clone)]
pub struct SignWebhook {
    /// Base URL of the server.
    pub url: String,
    /// API key to sign with (the token's `iss`).
    pub api_key: String,
    /// API secret to sign with.
    pub api_secret: String,
    /// The event's name.
    pub event: String,
    /// The room's name.
    pub room: String,
    /// The participant's identity.
    pub participant: String,
    /// Send it and print the response instead of printing a curl command.
    pub send: bool,
}

/// Prints a caller token signed with the suite's P-256 test key; 2 when `--claims` is not
/// a JSON object.
pub fn sign_caller(args: &SignCaller) -> ExitCode {
    let Ok(extra @ serde_json::Value::Object(_)) = serde_json::from_str(&args.claims) else {
        eprintln!("conformance: --claims takes a JSON object");
        return ExitCode::from(2);
    };
    println!(
        "{}",
        caller_token(
            &args.issuer,
            &args.audience,
            CallerKey::P256,
            &args.sub,
            &extra,
        )
    );
    ExitCode::SUCCESS
}

/// Signs a webhook event with LiveKit's SDK and prints it as a curl command, or sends it
/// and prints the answer (1 when it is not a 2xx, 2 when it cannot be sent).
pub fn sign_webhook(args: &SignWebhook) -> ExitCode {
    let now = unix_now();
    let body = serde_json::json!({
        "event": args.event,
        "room": {"sid": "RM_conformance", "name": args.room},
        "participant": {"sid": "PA_conformance", "identity": args.participant},
        "id": format!("EV_{now}"),
        "createdAt": now.to_string(),
    })
    .to_string();
    let server = ServerUnderTest::new(&args.url).with_credentials(&args.api_key, &args.api_secret);
    let signed = crate::signing::sign(&server, Signer::LiveKit, Flaw::None, body.as_bytes());
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
    match send(&url, &authorization, body) {
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

/// Sends the signed webhook: its answer's status and body.
fn send(
    url: &str,
    authorization: &str,
    body: String,
) -> Result<(reqwest::StatusCode, String), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())?;
    runtime.block_on(async {
        let response = crate::runner::client()
            .map_err(|err| err.to_string())?
            .post(url)
            .header("content-type", "application/webhook+json")
            .header("authorization", authorization)
            .body(body)
            .send()
            .await
            .map_err(|err| crate::error::Error::Request(err).to_string())?;
        let status = response.status();
        let body = crate::runner::read_body(response).await.unwrap_or_default();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    })
}
