//! What every backend binary does around serving: load the settings, start logging, bind
//! the listener, announce it, wait for SIGINT/SIGTERM, and turn failures into exit codes.
//!
//! A backend's `main` is one call: `server_runtime::run(env!("CARGO_BIN_NAME"), serve)`.

use std::future::Future;
use std::io::{self, IsTerminal};
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::process::ExitCode;

use token_core::TokenService;
use tracing_subscriber::EnvFilter;

use crate::args::Args;
use crate::args::error::ConfigError;
use crate::config::{Config, LogFormat};
use crate::health_check::health_check;
use crate::metrics_port;

/// Resolves when the process is asked to stop; backends then finish in-flight requests.
pub type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Exit status for invalid settings (the same as clap's usage errors).
pub const EXIT_CONFIG: u8 = 2;

/// Runs a backend binary to completion and returns its exit status.
///
/// `serve` gets a bound, non-blocking listener, the token service and the shutdown signal;
/// it returns once every in-flight request has been answered. With `METRICS_PORT` the
/// metrics port is served beside it, on hyper (see [`serve_all`]).
pub fn run<S, F>(binary: &'static str, serve: S) -> ExitCode
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let config = match Args::load(binary) {
        Ok(config) => config,
        Err(ConfigError::Informational(text)) => {
            println!("{}", text.trim_end());
            return ExitCode::SUCCESS;
        }
        Err(ConfigError::Invalid(reason)) => {
            eprintln!("{binary}: invalid configuration: {reason}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if config.health_check {
        return health_check(config.listen);
    }
    init_logging(config.log_format);
    match serve_until_signal(binary, &config, serve) {
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

fn serve_until_signal<S, F>(binary: &'static str, config: &Config, serve: S) -> io::Result<()>
where
    S: Fn(TcpListener, TokenService, ShutdownSignal) -> F,
    F: Future<Output = io::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let requested = config.listen;
    let listener = bind(requested).map_err(|err| {
        io::Error::new(err.kind(), format!("cannot listen on {requested}: {err}"))
    })?;
    let address = listener.local_addr()?;
    let metrics = match config.metrics {
        Some(requested) => {
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
    for warning in &config.warnings {
        tracing::warn!(backend = binary, "{warning}");
    }
    // Before the "listening" line, so whoever waits for that line finds this one too.
    if let Some(metrics) = &metrics {
        tracing::info!(
            backend = binary,
            metrics_address = %metrics.local_addr()?,
            path = token_core::operations::metrics::METRICS_PATH,
            "serving metrics"
        );
    }
    if let Some(production) = config.service.production() {
        tracing::info!(
            jwks = %production.jwks,
            allowed_origins = %production.origins,
            "production mode: only authenticated callers get tokens"
        );
    }
    if let Some(store) = &config.service.limits.store {
        tracing::info!(
            store = %store.store,
            timeout_ms = store.timeout.as_millis() as u64,
            on_failure = store.failure.name(),
            shield = store.shield,
            "rate limits shared by every replica through the store"
        );
    }
    tracing::info!(
        backend = binary,
        %address,
        token_ttl_seconds = config.service.token_ttl.as_secs(),
        "listening"
    );
    let service = TokenService::new(&config.service);
    runtime.block_on(serve_all(serve, listener, metrics, service, shutdown))
}

/// Serves `service` on `listener` with the backend's own `serve` and, when `metrics` is given
/// and metrics are on, its metrics port on that listener (on hyper, whatever the backend),
/// until `shutdown`. Should either stop on its own, the other is stopped too.
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
    let (Some(metrics_listener), Some(metrics_port)) = (metrics, service.metrics_port()) else {
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
    let max_connections = service.max_connections();
    let tokens = async { stopping(serve(listener, service, signal(stopped.clone())).await) };
    let metrics = async {
        let signal = signal(stopped.clone());
        let served = metrics_port::serve(metrics_listener, metrics_port, max_connections, signal);
        stopping(served.await)
    };
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
