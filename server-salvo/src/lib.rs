//! The token server on salvo: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the service (tests can call it directly); [`serve`] runs it on salvo's own
//! server until the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper_serve::{AcceptBackoff, Admitted, ConnectionLimit, SHUTDOWN_GRACE, translate};
use salvo_core::conn::tcp::{TcpAcceptor, TcpCoupler};
use salvo_core::conn::{Accepted, Acceptor, Holding};
use salvo_core::fuse::FuseFactory;
use salvo_core::http::ResBody;
use salvo_core::{Depot, FlowCtrl, Handler, Request, Response, Router, Server, Service};
use token_core::TokenService;
use tokio::sync::watch;

/// The whole application: an empty router and one service-wide handler that answers every
/// request, because `token-core` routes (salvo's router answers unknown paths and methods
/// its own way, and its path matching decodes percent-escapes).
pub fn app(service: TokenService) -> Service {
    Service::new(Router::new()).hoop(Contract(service))
}

/// Hands the request to `token-core` and writes its reply into salvo's response.
struct Contract(TokenService);

#[salvo_core::async_trait]
impl Handler for Contract {
    async fn handle(
        &self,
        request: &mut Request,
        _depot: &mut Depot,
        response: &mut Response,
        _ctrl: &mut FlowCtrl,
    ) {
        let body = request.take_body().into_data_stream();
        let head = translate::request_head(
            request.method(),
            translate::target(request.uri()),
            request.version(),
            request.headers(),
        )
        .from_peer(
            request
                .remote_addr()
                .clone()
                .into_std()
                .map(|peer| peer.ip()),
        );
        let reply = self.0.respond(&head, body).await;
        let (parts, body) = translate::response::<String>(reply, &head).into_parts();
        response.status_code(parts.status);
        *response.headers_mut() = parts.headers;
        // Always a body, even an empty one: salvo writes its own error page for an error
        // status without one.
        response.body(ResBody::Once(body.into()));
    }
}

/// Serves [`app`] on `listener` until `shutdown` resolves and in-flight requests are done.
///
/// On salvo's own server, which runs hyper and takes `hyper-serve`'s HTTP/1 settings.
pub async fn serve<F>(
    listener: std::net::TcpListener,
    service: TokenService,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    // salvo's acceptor has no TCP_NODELAY setting; Linux copies it from the listening socket
    // to every accepted one, as `hyper-serve` sets it per connection.
    socket2::SockRef::from(&listener).set_tcp_nodelay(true)?;
    let (closing, closing_seen) = watch::channel(false);
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let limit = ConnectionLimit::new(service.max_connections());
    let acceptor = ClosingAcceptor::new(listener, closing_seen, limit)?;
    let mut server = Server::new(acceptor);
    hyper_serve::configure(server.http1_mut());
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.await;
        closing.send_replace(true);
        // Only once the listener is closed: salvo stops polling the acceptor on this command.
        closing.closed().await;
        handle.stop_graceful(SHUTDOWN_GRACE);
    });
    server.try_serve(app(service)).await
}

/// salvo's TCP acceptor, closed as soon as shutdown begins (salvo's server keeps its
/// listener open while it drains, so new connections would hang; the other backends refuse
/// them), and given `hyper-serve`'s connection cap and accept backoff, which salvo lacks.
struct ClosingAcceptor {
    open: Option<(TcpAcceptor, watch::Receiver<bool>)>,
    holdings: Vec<Holding>,
    limit: ConnectionLimit,
    backoff: AcceptBackoff,
}

impl ClosingAcceptor {
    fn new(
        listener: tokio::net::TcpListener,
        closing: watch::Receiver<bool>,
        limit: ConnectionLimit,
    ) -> io::Result<Self> {
        let listener = TcpAcceptor::try_from(listener)?;
        let holdings = listener.holdings().to_vec();
        let open = Some((listener, closing));
        let backoff = AcceptBackoff::new();
        Ok(Self {
            open,
            holdings,
            limit,
            backoff,
        })
    }
}

type TcpStream = <TcpAcceptor as Acceptor>::Stream;

impl Acceptor for ClosingAcceptor {
    type Coupler = TcpCoupler<Self::Stream>;
    type Stream = Admitted<TcpStream>;

    fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    async fn accept(
        &mut self,
        fuse_factory: Option<Arc<dyn FuseFactory + Sync + Send + 'static>>,
    ) -> io::Result<Accepted<Self::Coupler, Self::Stream>> {
        let Self {
            open,
            limit,
            backoff,
            ..
        } = self;
        if let Some((listener, closing)) = open {
            let accepting = async {
                let permit = limit.admit().await;
                loop {
                    match listener.accept(fuse_factory.clone()).await {
                        Ok(accepted) => {
                            backoff.reset();
                            return accepted.map_into(
                                |_| TcpCoupler::new(),
                                |stream| Admitted::new(stream, permit),
                            );
                        }
                        Err(err) => {
                            tracing::warn!("accept failed: {err}");
                            backoff.wait().await;
                        }
                    }
                }
            };
            tokio::select! {
                accepted = accepting => return Ok(accepted),
                _ = closing.wait_for(|closing| *closing) => {}
            }
        }
        // Dropping the listener closes it; dropping the receiver tells `serve` it is closed.
        self.open = None;
        std::future::pending().await
    }
}
