//! No secret is ever printed: invalid values of the settings that carry one are refused with
//! one line naming the setting, never the value; `--help` shows none; and the credentials a
//! JWKS URL may carry (a password, a query) never reach the logs, even when its fetch fails.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use conformance::identity_provider::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use conformance::supervisor::Supervised;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{command, credentialed, start, temp_dir};

/// A secret planted in invalid values; no output may show it, or any part of it.
const SECRET: &str = "planted-secret-6c1f3b9e2d7a4058";
/// A password planted in a JWKS URL.
const PASSWORD: &str = "planted-password-1a2b3c4d5e6f7a8b";
/// A user name planted in a JWKS URL (some providers take a token as the user name).
const USER: &str = "planted-user-0f9e8d7c6b5a";
/// A query token planted in a JWKS URL.
const QUERY_TOKEN: &str = "planted-query-9e8d7c6b5a4f3e2d";
const ORIGIN: &str = "https://app.example";

/// What of a planted value gives it away: the distinctive half, so a message that shows
/// part of a value is caught too.
fn giveaways() -> [&'static str; 4] {
    ["6c1f3b9e2d", "1a2b3c4d5e", "0f9e8d7c6b", "9e8d7c6b5a"]
}

fn assert_hidden(what: &str, output: &str) {
    for giveaway in giveaways() {
        assert!(
            !output.contains(giveaway),
            "{what}: a planted secret ({giveaway}...) is printed:\n{output}"
        );
    }
}

/// Sets a valid production configuration on `command`, apart from the JWKS source.
fn production(command: &mut Command, dir: &Path) {
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, "[[rule]]\nrooms = [\"*\"]\n").expect("policy file");
    command
        .env("TOKEN_SERVER_MODE", "production")
        .env("CALLER_ISSUER", DEFAULT_ISSUER)
        .env("CALLER_AUDIENCE", DEFAULT_AUDIENCE)
        .env("CORS_ALLOWED_ORIGINS", ORIGIN)
        .env("TOKEN_POLICY_FILE", policy);
}

/// An invalid configuration holding a planted secret.
struct Case {
    /// The setting the one line must name.
    named: &'static str,
    /// Whether production mode's other settings are set (only it reads a JWKS URL).
    production: bool,
    environment: Vec<(&'static str, String)>,
    /// The text of a `.env` file.
    dotenv: Option<String>,
}

impl Case {
    /// `name` set to `value`, the line naming `name`.
    fn env(name: &'static str, value: String) -> Self {
        Self {
            named: name,
            production: false,
            environment: vec![(name, value)],
            dotenv: None,
        }
    }

    fn in_production(mut self) -> Self {
        self.production = true;
        self
    }

    fn also(mut self, name: &'static str, value: String) -> Self {
        self.environment.push((name, value));
        self
    }
}

/// Each secret-carrying setting, given an invalid value holding a secret, stops the binary
/// with status 2 and one line naming the setting, and the secret appears on neither stream;
/// `--help` with every secret-carrying setting set shows none of them.
pub fn refuses_secrets_without_printing_them(exe: &str) {
    let dir = temp_dir();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write a file");
        path.display().to_string()
    };
    let duplicated = format!("APIa: {SECRET}\nAPIa: {SECRET}-2\n");
    let secret_file = file("secret", &format!("{SECRET}\nsecond line\n"));
    let key_file = file("keys.yaml", &duplicated);
    let broken_key_file = file("broken.yaml", &format!("APIa: \"{SECRET}\nAPIb: x\n"));
    let list_key_file = file("list.yaml", &format!("APIa:\n  - {SECRET}\n"));
    let jwks_file = file("jwks.json", r#"{"keys":[]}"#);
    let keys = |text: String| Case::env("LIVEKIT_KEYS", text);
    let jwks_url = |url: String| Case::env("CALLER_JWKS_URL", url).in_production();
    let redis_url =
        |url: String| Case::env("REDIS_URL", url).also("RATE_LIMIT_STORE", "redis".to_owned());
    let redis_url_file = file(
        "redis-url",
        &format!("http://default:{PASSWORD}@redis.example\n"),
    );
    let cases = [
        keys(duplicated),
        keys(format!("APIa: {SECRET} APIb:")),
        keys(SECRET.to_owned()),
        keys(format!("APIa: [{SECRET}]")),
        keys(format!("APIa: @{SECRET}")),
        keys(format!("? [{SECRET}]\n: x")),
        Case::env("LIVEKIT_API_SECRET", format!("{SECRET}\nsecond line")),
        Case::env("LIVEKIT_API_SECRET_FILE", secret_file),
        Case::env("LIVEKIT_KEY_FILE", key_file),
        Case::env("LIVEKIT_KEY_FILE", broken_key_file),
        Case::env("LIVEKIT_KEY_FILE", list_key_file),
        Case {
            named: ".env",
            production: false,
            environment: Vec::new(),
            dotenv: Some(format!("SERVER_PORT=0\nLIVEKIT_API_SECRET=\"{SECRET}\n")),
        },
        jwks_url(format!("http://{USER}:{PASSWORD}@idp.example.com/jwks")),
        jwks_url(format!("http://idp.example.com/jwks?token={QUERY_TOKEN}")),
        jwks_url(format!(
            "https://{USER}:{PASSWORD}@/jwks?token={QUERY_TOKEN}"
        )),
        jwks_url(format!(
            "https://{USER}:{PASSWORD}@idp.example.com:99999/jwks?token={QUERY_TOKEN}"
        )),
        jwks_url(format!(
            "https://{USER}:{PASSWORD}@idp.example.com/jwks?token={QUERY_TOKEN}"
        ))
        .also("CALLER_JWKS_FILE", jwks_file),
        redis_url(format!("http://default:{PASSWORD}@redis.example:6379")),
        redis_url(format!("redis://{USER}:{PASSWORD}@")),
        redis_url(format!("redis://default:{PASSWORD}@redis.example:port")),
        // Without RATE_LIMIT_STORE=redis the URL would do nothing: refused too.
        Case::env(
            "REDIS_URL",
            format!("redis://default:{PASSWORD}@redis.example"),
        ),
        Case::env("REDIS_URL_FILE", redis_url_file).also("RATE_LIMIT_STORE", "redis".to_owned()),
    ];
    for Case {
        named: setting,
        production: in_production,
        environment,
        dotenv,
    } in cases
    {
        let case_dir = temp_dir();
        let mut invalid = credentialed(exe, case_dir.path());
        if in_production {
            production(&mut invalid, case_dir.path());
        }
        for (name, value) in &environment {
            invalid.env(name, value);
        }
        if let Some(text) = &dotenv {
            // A `.env` line is read only when the environment lacks the variable.
            invalid.env_remove("LIVEKIT_API_SECRET");
            std::fs::write(case_dir.path().join(".env"), text).expect("write .env");
        }
        let what = format!("{environment:?} {dotenv:?}");
        let mut child = Supervised::spawn(invalid).expect("start the binary");
        let Some(status) = child.wait_for_exit(Duration::from_secs(20)) else {
            panic!("{what} was accepted: the server kept running");
        };
        let output = child.tail(usize::MAX);
        assert_hidden(&what, &output);
        assert_eq!(
            status.code(),
            Some(2),
            "{what}: {status}, output {output:?}"
        );
        assert_eq!(output.lines().count(), 1, "{what}: output {output:?}");
        assert!(
            output.contains(setting),
            "{what}: {output:?} does not name {setting}"
        );
        assert!(!output.contains("panicked"), "{what}: {output:?}");
    }

    let mut help = command(exe, dir.path());
    help.env("LIVEKIT_API_SECRET", SECRET)
        .env("LIVEKIT_KEYS", format!("APIa: {SECRET}"))
        .env(
            "CALLER_JWKS_URL",
            format!("https://{USER}:{PASSWORD}@idp.example.com/jwks?token={QUERY_TOKEN}"),
        )
        .arg("--help");
    let output = help.output().expect("run --help");
    assert!(output.status.success(), "--help failed: {output:?}");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("CALLER_JWKS_URL"), "{printed}");
    assert_hidden("--help", &printed);
}

/// How a fake identity provider fails.
#[derive(Clone, Copy, Debug)]
enum Failure {
    /// It answers 500.
    ServerError,
    /// It closes each connection unanswered.
    Hangup,
}

/// A JWKS URL on loopback whose fetch fails as `failure` says; the listener serves until
/// the test's runtime ends.
async fn failing_provider(failure: Failure) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the provider");
    let port = listener.local_addr().expect("its address").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            if let Failure::ServerError = failure {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\
                          connection: close\r\n\r\n",
                    )
                    .await;
            }
            drop(stream);
        }
    });
    port
}

/// In production with a JWKS URL holding a user, a password and a query token, whose fetch
/// fails, the start-up line and the failure's warning name the provider's host and path
/// but show none of them, in either log format and at any level.
pub async fn jwks_url_credentials_stay_out_of_logs(exe: &str) {
    for (failure, format, evidence) in [
        (Failure::Hangup, "text", "error sending request"),
        (Failure::ServerError, "json", "500 Internal Server Error"),
    ] {
        let port = failing_provider(failure).await;
        let dir = temp_dir();
        let mut command = credentialed(exe, dir.path());
        production(&mut command, dir.path());
        command
            .env(
                "CALLER_JWKS_URL",
                format!("http://{USER}:{PASSWORD}@127.0.0.1:{port}/jwks?token={QUERY_TOKEN}"),
            )
            .env("LOG_FORMAT", format)
            .env("RUST_LOG", "trace");
        let mut server = start(command);
        let client = conformance::runner::client().expect("an HTTP client");
        let answer = client
            .post(format!("{}/token", server.url()))
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("authorization", "Bearer a.b.c")
            .body(r#"{"roomName":"room1","participantName":"alice"}"#)
            .send()
            .await
            .expect("a response");
        assert_eq!(answer.status(), 503, "{failure:?}: no keys, no verdict");
        assert!(
            server.wait_for_output(evidence, Duration::from_secs(20)),
            "{failure:?}: the failed fetch is not logged:\n{}",
            server.output()
        );
        server.terminate().expect("SIGTERM");
        server.wait_for_exit(Duration::from_secs(10));
        let logs = server.output();
        assert_hidden(&format!("{failure:?} {format} logs"), &logs);
        assert!(
            logs.contains(&format!("127.0.0.1:{port}/jwks")),
            "{failure:?}: the logs do not name the JWKS URL's host and path:\n{logs}"
        );
    }
}
