//! The metrics port (`METRICS_PORT`) as its own small service: token-core's
//! [`MetricsPort`] answers, served on `hyper-serve` whatever the backend of the token port.

use std::future::Future;
use std::io;
use std::net::TcpListener;

use token_core::service::metrics_port::MetricsPort;

/// Serves `port` on `listener`, at most `max_connections` at once (the token port's cap),
/// until `shutdown` resolves and in-flight scrapes are done.
pub async fn serve<F>(
    listener: TcpListener,
    port: MetricsPort,
    max_connections: usize,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()>,
{
    let app = hyper_serve::responder::app(port);
    hyper_serve::serve(listener, app, max_connections, shutdown).await
}
