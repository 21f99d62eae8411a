//! Our backends served in this process, on `127.0.0.1:0`, through their library API: the
//! one place tests link backends.

use crate::backends::Backend;
use conformance::{ResponseFormat, ServerUnderTest};
use server_runtime::{Config, ShutdownSignal};
use token_core::TokenService;
use token_core::service::config::Mode;
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

/// A configuration from flags, as a binary would parse them, in the given response format.
pub fn settings(format: &str) -> Config {
    settings_with(format, &[])
}

/// [`settings`] with extra flags.
pub fn settings_with(format: &str, extra: &[&str]) -> Config {
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

/// A configuration of production mode trusting the conformance suite's identity provider at
/// `jwks_url` (its default issuer and audience), with pages of `origin` allowed, in `format`,
/// plus `extra` flags.
pub fn production_settings(format: &str, jwks_url: &str, origin: &str, extra: &[&str]) -> Config {
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
            testkit::binary_checks::production::ANY_ROOM_POLICY,
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
pub fn start(backend: &Backend, settings: &Config) -> Running {
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
        token_core::service::reply::ResponseFormat::Text => ResponseFormat::Text,
        token_core::service::reply::ResponseFormat::Json => ResponseFormat::Json,
    };
    Running {
        under_test,
        metrics_address,
        stop: Some(stop),
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
