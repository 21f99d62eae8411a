//! Our backends served in this process, on `127.0.0.1:0`, through their library API: the
//! one place tests link backends.

use crate::backends::Backend;
use conformance::judge::decode_segment;
use conformance::{ResponseFormat, ServerUnderTest};
use serde_json::Value;
use server_runtime::{Config as Settings, ShutdownSignal};
use token_core::TokenService;
use token_core::config::Mode;
use tokio::sync::oneshot;

/// The settings every in-process test uses: production-shaped credentials, a short TTL.
pub const API_KEY: &str = "APIinprocess";
pub const API_SECRET: &str = "in-process-secret-0123456789abcdef";
pub const TTL_SECONDS: u32 = 900;

/// Both response formats, as the suite names them and as the servers' flag spells them.
pub const FORMATS: [(ResponseFormat, &str); 2] = [
    (ResponseFormat::Text, "text"),
    (ResponseFormat::Json, "json"),
];

/// Settings from flags, as a binary would parse them, in the given response format.
pub fn settings(format: &str) -> Settings {
    settings_with(format, &[])
}

/// [`settings`] with extra flags.
pub fn settings_with(format: &str, extra: &[&str]) -> Settings {
    let ttl = TTL_SECONDS.to_string();
    let args = [
        "test",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--api-key",
        API_KEY,
        "--api-secret",
        API_SECRET,
        "--token-ttl-seconds",
        &ttl,
        "--response-format",
        format,
    ];
    server_runtime::Args::from_args("test", args.iter().chain(extra)).expect("valid test settings")
}

/// Settings of production mode trusting the conformance suite's identity provider at
/// `jwks_url` (its default issuer and audience), with pages of `origin` allowed, in `format`,
/// plus `extra` flags.
pub fn production_settings(format: &str, jwks_url: &str, origin: &str, extra: &[&str]) -> Settings {
    use conformance::identity_provider::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
    let production = [
        "--mode",
        "production",
        "--caller-issuer",
        DEFAULT_ISSUER,
        "--caller-audience",
        DEFAULT_AUDIENCE,
        "--caller-jwks-url",
        jwks_url,
        "--cors-allowed-origins",
        origin,
        // The suite's keys are published: only a local trial may trust them.
        "--try-production-locally",
    ];
    let policy = if extra.contains(&"--token-policy-file") {
        &[][..]
    } else {
        &[
            "--token-policy-file",
            crate::binary_checks::production::ANY_ROOM_POLICY,
        ][..]
    };
    let flags: Vec<&str> = production
        .iter()
        .chain(policy)
        .chain(extra)
        .copied()
        .collect();
    settings_with(format, &flags)
}

/// A backend serving in this process; stops when dropped.
#[derive(Debug)]
pub struct Running {
    pub under_test: ServerUnderTest,
    /// Where its metrics are served, with `--metrics-port`.
    pub metrics_address: Option<std::net::SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
}

impl Running {
    /// The loopback address it listens on.
    pub fn address(&self) -> std::net::SocketAddr {
        self.under_test
            .base_url
            .trim_start_matches("http://")
            .parse()
            .expect("an in-process server listens on a socket address")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts `backend` with `settings` on a free loopback port.
pub fn start(backend: &Backend, settings: &Settings) -> Running {
    let listener = server_runtime::bind(std::net::SocketAddr::new(settings.listen.ip(), 0))
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    let metrics = settings.metrics.map(|_| {
        server_runtime::bind(std::net::SocketAddr::new(settings.listen.ip(), 0))
            .expect("bind a loopback port for metrics")
    });
    let metrics_address = metrics
        .as_ref()
        .map(|listener| listener.local_addr().expect("bound address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown: ShutdownSignal = Box::pin(async {
        let _ = stopped.await;
    });
    tokio::spawn(server_runtime::serve_all(
        backend.serve,
        listener,
        metrics,
        TokenService::new(&settings.service),
        shutdown,
    ));
    let mut under_test = ServerUnderTest::new(format!("http://{address}")).with_credentials(
        settings.service.credentials.signing_key(),
        settings.service.credentials.signing_secret().expose(),
    );
    under_test.ttl_seconds =
        u32::try_from(settings.service.token_ttl.as_secs()).unwrap_or(u32::MAX);
    under_test
        .livekit_url
        .clone_from(&settings.service.livekit_url);
    under_test.room_config_allowed =
        matches!(&settings.service.mode, Mode::Tutorial(tutorial) if tutorial.allow_room_config);
    under_test.format = match settings.service.response_format {
        token_core::reply::ResponseFormat::Text => ResponseFormat::Text,
        token_core::reply::ResponseFormat::Json => ResponseFormat::Json,
    };
    Running {
        under_test,
        metrics_address,
        stop: Some(stop),
    }
}

/// A response body as the differential tests compare it. Tokens (bare, in `{"token": ...}`
/// or in the standard endpoint's `participant_token`) are compared by their JWT header and
/// claims, without what differs by design: `nbf` and `exp` (minted at different instants) and
/// generated room names and identities (random, `room-<16 hex>` / `participant-<16 hex>`, also
/// in the standard endpoint's `room_name`).
/// Anything else is compared as text.
pub fn comparable_body(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body).into_owned();
    let (jwt, envelope) = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut fields)) => {
            let jwt = ["token", "participant_token"]
                .iter()
                .find_map(|key| fields.get(*key).and_then(Value::as_str).map(str::to_owned));
            for key in ["token", "participant_token"] {
                if let Some(value) = fields.get_mut(key) {
                    *value = Value::from("<jwt>");
                }
            }
            unrandomise(fields.get_mut("room_name"), "room-");
            (jwt, Value::Object(fields))
        }
        _ => (Some(text.clone()), Value::Null),
    };
    if let Some(jwt) = jwt
        && let (Ok(header), Ok(Value::Object(mut claims))) =
            (decode_segment(&jwt, 0), decode_segment(&jwt, 1))
    {
        claims.remove("nbf");
        claims.remove("exp");
        unrandomise(claims.get_mut("sub"), "participant-");
        unrandomise(
            claims
                .get_mut("video")
                .and_then(|video| video.get_mut("room")),
            "room-",
        );
        return serde_json::json!({
            "jwt header": header,
            "claims": claims,
            "envelope": envelope,
            "length": text.len(),
        });
    }
    Value::String(text)
}

/// Replaces a generated name (`prefix` and 16 hexadecimal digits) by a placeholder.
fn unrandomise(value: Option<&mut Value>, prefix: &str) {
    if let Some(value) = value
        && let Some(digits) = value.as_str().and_then(|text| text.strip_prefix(prefix))
        && digits.len() == 16
        && digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        *value = Value::from(format!("{prefix}<random>"));
    }
}

/// Serves `app` (a backend wrapped to misbehave on purpose) on a free loopback port for the
/// rest of the test's runtime; the server under test has the test credentials and TTL.
pub async fn serve_wrapped(app: axum::Router) -> ServerUnderTest {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut under_test =
        ServerUnderTest::new(format!("http://{address}")).with_credentials(API_KEY, API_SECRET);
    under_test.ttl_seconds = TTL_SECONDS;
    under_test
}
