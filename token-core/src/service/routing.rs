//! Routing: which answer a request gets by its framing, path and method, before any
//! endpoint reads its body.

use bytes::Buf;
use futures_util::future::Either;
use futures_util::{FutureExt as _, Stream};

use crate::http::body::read_body;
use crate::http::contract::{ContractError, Endpoint};
use crate::http::head::RequestHead;
use crate::operations::limits::Limit;
use crate::service::answer::Sender;
use crate::service::discarding::discarding;
use crate::service::reply::Reply;
use crate::service::token_service::TokenService;

impl TokenService {
    pub(super) async fn decide<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        if let Some(reason) = head.framing_error() {
            tracing::debug!("request refused: bad framing: {reason}");
            return Reply::bad_framing();
        }
        if head.is_tunnel() {
            let no_body = futures_util::stream::empty::<Result<&[u8], ()>>();
            let mut reply = self.route(head, no_body).await;
            reply.close_connection = true;
            return reply;
        }
        self.route(head, body).await
    }

    async fn route<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        let Some(endpoint) = Endpoint::from_path(head.path()) else {
            return discarding(body, self.error_reply(ContractError::NotFound)).await;
        };
        let method = head.method();
        let reply =
            if method == endpoint.method() || (method == "HEAD" && endpoint.method() == "GET") {
                return self.handle(endpoint, head, body).await;
            } else if head.is_preflight() {
                match &self.inner.production {
                    Some(production) if production.allowed_origin(head).is_none() => {
                        self.endpoint_error(endpoint, ContractError::OriginNotAllowed)
                    }
                    _ => Reply::preflight(head.requested_headers()),
                }
            } else if method == "OPTIONS" {
                Reply::options(endpoint.allow())
            } else {
                self.error_reply(ContractError::MethodNotAllowed(endpoint.allow()))
            };
        discarding(body, reply).await
    }

    /// Answers a request for `endpoint` in its own method: counts a token request against
    /// its client's limit while its body is read under the endpoint's limit (a readiness
    /// probe asks whether the limits can be checked), then replies as [`TokenService::reply`]
    /// does.
    async fn handle<S, B, E>(&self, endpoint: Endpoint, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        // A probe with a body is answered from what is known: nothing is awaited while an
        // engine may find its body broken (see below).
        let ready = match endpoint {
            Endpoint::Ready if head.has_body() => self.inner.limits.ready_now(),
            Endpoint::Ready => self.inner.limits.ready().await,
            _ => Ok(()),
        };
        if let Err(refusal) = ready {
            return discarding(body, self.endpoint_error(endpoint, refusal)).await;
        }
        if endpoint == Endpoint::Webhook {
            return self.receive_webhook(head, body).await;
        }
        let Some(limit) = endpoint.body_limit() else {
            return discarding(body, self.reply(endpoint, head, &[])).await;
        };
        // The body is read while a shared store answers the check. An engine may close a
        // connection whose body broke while the application waited (actix-http does), so a
        // body that breaks before the store answers is answered at once, uncounted; in
        // memory the check always answers first, and the order is the contract's.
        let check = std::pin::pin!(self.inner.limits.check(Limit::Tokens, head));
        let read = std::pin::pin!(read_body(body, limit));
        let body = match futures_util::future::select(check, read).await {
            Either::Left((Ok(()), read)) => read.await,
            Either::Left((Err(refusal), read)) => {
                let mut refusal = self.endpoint_error(endpoint, refusal);
                // As `discarding`: a body too long, too slow or broken closes the connection.
                refusal.close_connection |= read.await.is_err();
                return refusal;
            }
            Either::Right((Err(err), _)) => Err(err),
            Either::Right((Ok(body), check)) => match check.await {
                Ok(()) => Ok(body),
                Err(refusal) => return self.endpoint_error(endpoint, refusal),
            },
        };
        match body {
            Ok(body) => {
                // A panic while authenticating is a 500 too, like one while replying.
                let authenticated = std::panic::AssertUnwindSafe(self.authenticate(endpoint, head))
                    .catch_unwind()
                    .await
                    .unwrap_or(Err(ContractError::Internal));
                match authenticated {
                    Ok(caller) => {
                        self.reply_to(endpoint, head, &body, Sender::from(caller.as_ref()))
                    }
                    Err(err) => self.endpoint_error(endpoint, err),
                }
            }
            Err(err) => self.endpoint_error(endpoint, err),
        }
    }
}
