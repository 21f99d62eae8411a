//! What every backend binary does around serving: load the settings, start logging, bind
//! the listener, announce it, wait for SIGINT/SIGTERM, and turn failures into exit codes.
//!
//! A backend's `main` is one call: `startup::run(env!("CARGO_BIN_NAME"), serve)`.

use std::future::Future;
use std::io::{self, IsTerminal};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::pin::Pin;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use crate::config::{ConfigError, LogFormat, Settings};
use crate::service::TokenService;

/// Resolves when the process is asked to stop; backends then finish in-flight requests.
pub type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Exit status for invalid settings (the same as clap's usage errors).
pub const EXIT_CONFIG: u8 = 2;

/// Runs a backend binary to completion and returns its exit status.
///
/// `serve` gets a bound, non-blocking listener, the token service and the shutdown signal;
/// it returns once every in-flight request has been answered. With `METRICS_PORT` it is
/// called a second time, for the metrics port (see [`serve_all`]).
pub fn run<S, F>(binary: &'static str, serve: S) -> ExitCode
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let settings = match Settings::load(binary) {
        Ok(settings) => settings,
        Err(ConfigError::Informational(text)) => {
            println!("{}", text.trim_end());
            return ExitCode::SUCCESS;
        }
        Err(ConfigError::Invalid(reason)) => {
            eprintln!("{binary}: invalid configuration: {reason}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if settings.health_check {
        return health_check(&settings);
    }
    init_logging(settings.log_format);
    match serve_until_signal(binary, &settings, serve) {
        Ok(()) => {
            tracing::info!(backend = binary, "stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(backend = binary, "{err}");
            ExitCode::FAILURE
        }
    }
}

fn serve_until_signal<S, F>(binary: &'static str, settings: &Settings, serve: S) -> io::Result<()>
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let requested = SocketAddr::new(settings.host, settings.port);
    let listener = bind(requested).map_err(|err| {
        io::Error::new(err.kind(), format!("cannot listen on {requested}: {err}"))
    })?;
    let address = listener.local_addr()?;
    let metrics = match settings.metrics_port {
        Some(port) => {
            let requested = SocketAddr::new(settings.metrics_host, port);
            let listener = bind(requested).map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("cannot listen for metrics on {requested}: {err}"),
                )
            })?;
            Some(listener)
        }
        None => None,
    };
    // Signal handlers are installed before the server is announced, so a SIGTERM sent as soon
    // as the address is known is never missed.
    let shutdown = runtime.block_on(async { shutdown_signal() })?;
    for warning in settings.warnings() {
        tracing::warn!(backend = binary, "{warning}");
    }
    // Before the "listening" line, so whoever waits for that line finds this one too.
    if let Some(metrics) = &metrics {
        tracing::info!(
            backend = binary,
            metrics_address = %metrics.local_addr()?,
            path = crate::metrics::METRICS_PATH,
            "serving metrics"
        );
    }
    if let Some(production) = &settings.production {
        tracing::info!(
            jwks = %production.jwks,
            allowed_origins = %production.origins,
            "production mode: only authenticated callers get tokens"
        );
    }
    tracing::info!(
        backend = binary,
        %address,
        token_ttl_seconds = settings.token_ttl().as_secs(),
        "listening"
    );
    let service = TokenService::new(settings);
    runtime.block_on(serve_all(serve, listener, metrics, service, shutdown))
}

/// Serves `service` on `listener` and, when `metrics` is given and metrics are on, its
/// metrics on that listener, both with the backend's own `serve`, until `shutdown`. Should
/// either stop on its own, the other is stopped too.
///
/// Beside them, production mode's callers' keys are loaded at once and kept fresh
/// ([`TokenService::keep_keys_fresh`]), until serving ends: no task outlives the server.
pub async fn serve_all<S, F>(
    serve: S,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    service: TokenService,
    shutdown: ShutdownSignal,
) -> io::Result<()>
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let keys = service.clone();
    tokio::select! {
        served = serve_ports(serve, listener, metrics, service, shutdown) => served,
        never = keys.keep_keys_fresh() => match never {},
    }
}

/// [`serve_all`] without the keys.
async fn serve_ports<S, F>(
    serve: S,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    service: TokenService,
    shutdown: ShutdownSignal,
) -> io::Result<()>
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let (Some(metrics_listener), Some(metrics_service)) = (metrics, service.metrics_service())
    else {
        return serve(listener, service, shutdown).await;
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = |mut stopped: tokio::sync::watch::Receiver<bool>| -> ShutdownSignal {
        Box::pin(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
    };
    let stopping = |result: io::Result<()>| {
        stop.send_replace(true);
        result
    };
    let tokens = async { stopping(serve(listener, service, signal(stopped.clone())).await) };
    let metrics =
        async { stopping(serve(metrics_listener, metrics_service, signal(stopped.clone())).await) };
    let relay = async {
        let mut stopped = stopped.clone();
        tokio::select! {
            () = shutdown => { stop.send_replace(true); }
            _ = stopped.wait_for(|stop| *stop) => {}
        }
    };
    let (tokens, metrics, ()) = tokio::join!(tokens, metrics, relay);
    tokens.and(metrics)
}

/// Binds a listener ready for any async runtime (non-blocking).
pub fn bind(address: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The HTTP engines' own log targets. They are off unless `RUST_LOG` names them: each engine
/// logs malformed requests its own way (actix-http at ERROR, hyper not at all), and the
/// request log line is `token-core`'s, the same for every backend.
const ENGINE_LOG_TARGETS: [&str; 5] = [
    "actix_http",
    "actix_server",
    "hyper",
    "hyper_util",
    "salvo_core",
];

/// Log lines go to stdout; the level comes from `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let requested = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    // Directives written later win over earlier ones for the same target.
    let directives = ENGINE_LOG_TARGETS
        .iter()
        .map(|target| format!("{target}=off"))
        .chain([requested])
        .collect::<Vec<_>>()
        .join(",");
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.with_ansi(io::stdout().is_terminal()).init(),
        LogFormat::Json => logs.json().init(),
    }
}

/// `GET /healthz` on the server's own host and port: exit 0 on a 200, 1 otherwise.
///
/// Written on `std::net` because a container health check must work in an image with no
/// shell or curl, and one request does not justify an HTTP client in the server.
fn health_check(settings: &Settings) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let address = SocketAddr::new(probed_host(settings.host), settings.port);
    let probe = || -> io::Result<bool> {
        let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
    };
    match probe() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("unhealthy: GET /healthz on {address} did not answer 200");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("unhealthy: GET /healthz on {address}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The address that reaches a server listening on `host`: the host itself, or for every
/// interface (`0.0.0.0`, `::`) the loopback of the same family.
pub fn probed_host(host: IpAddr) -> IpAddr {
    match host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        host => host,
    }
}

/// A future that resolves on the first SIGINT or SIGTERM. Must be called inside a runtime.
pub fn shutdown_signal() -> io::Result<ShutdownSignal> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(Box::pin(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("shutdown signal received: finishing in-flight requests");
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::pin(async {
            // Without Unix signals, Ctrl-C is the only request to stop.
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown signal received: finishing in-flight requests");
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_check_probes_the_listening_host() {
        for (listening, probed) in [
            ("0.0.0.0", "127.0.0.1"),
            ("::", "::1"),
            ("::1", "::1"),
            ("127.0.0.1", "127.0.0.1"),
            ("192.0.2.7", "192.0.2.7"),
            ("2001:db8::7", "2001:db8::7"),
        ] {
            let listening: IpAddr = listening.parse().expect("an address");
            let probed: IpAddr = probed.parse().expect("an address");
            assert_eq!(probed_host(listening), probed, "{listening}");
        }
    }
}
