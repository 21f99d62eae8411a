//! The token server on actix-web: routes and CORS mapped onto `token-core`.
//!
//! [`app`] builds the application (tests can call it directly); [`serve`] runs it on a
//! listener until the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use token_core::contract::{REQUEST_HEAD_TIMEOUT, RequestTimer, SHUTDOWN_GRACE};
use token_core::{ContractError, Endpoint, Reply, RequestHeaders, TokenService, cors};

/// The whole application: every endpoint, 404/405 replies, CORS, one log line per request.
pub fn app(
    service: TokenService,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = Cors::default()
        .allow_any_origin()
        // Without this actix-cors echoes the origin; the contract's policy is the wildcard.
        .send_wildcard()
        .allowed_methods(cors::ALLOW_METHODS)
        .allow_any_header()
        .max_age(usize::try_from(cors::MAX_AGE_SECONDS).ok());
    let mut app = App::new().app_data(web::Data::new(service));
    for endpoint in Endpoint::ALL {
        let method = Method::from_bytes(endpoint.method().as_bytes())
            .expect("token-core's endpoint methods are valid");
        app = app.service(
            web::resource(endpoint.path())
                .route(web::method(method).to(
                    move |service: web::Data<TokenService>,
                          request: HttpRequest,
                          body: web::Payload| {
                        handle(endpoint, service, request, body)
                    },
                ))
                .default_service(web::to(
                    move |service: web::Data<TokenService>| async move {
                        to_response(service.method_not_allowed(endpoint))
                    },
                )),
        );
    }
    app.default_service(web::to(|service: web::Data<TokenService>| async move {
        to_response(service.error_reply(ContractError::NotFound))
    }))
    .wrap(cors)
    .wrap_fn(|request, app| {
        let timer = RequestTimer::start(request.method().as_str(), request.path());
        let response = app.call(request);
        async move {
            let response = response.await?;
            timer.finish(response.status().as_u16());
            Ok(response)
        }
    })
}

/// Serves [`app`] on `listener` until `shutdown` resolves and in-flight requests are done.
pub async fn serve<F>(
    listener: std::net::TcpListener,
    service: TokenService,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let server = HttpServer::new(move || app(service.clone()))
        // The same settings hyper-serve gives the hyper-based backends.
        .tcp_nodelay(true)
        .client_request_timeout(REQUEST_HEAD_TIMEOUT)
        .keep_alive(REQUEST_HEAD_TIMEOUT)
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)?
        // Signals are the caller's business: it hands us `shutdown` instead.
        .disable_signals()
        .run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.await;
        handle.stop(true).await;
    });
    server.await
}

async fn handle(
    endpoint: Endpoint,
    service: web::Data<TokenService>,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let headers = request.headers();
    let request = RequestHeaders::from_lookup(|name| headers.get(name).map(|v| v.as_bytes()));
    to_response(service.handle(endpoint, request, body).await)
}

fn to_response(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for header in reply.headers() {
        response.insert_header(header);
    }
    if reply.close_connection {
        // actix-web drops a hand-set `Connection` header; this is its way to send one.
        response.force_close();
    }
    response.body(reply.body)
}
