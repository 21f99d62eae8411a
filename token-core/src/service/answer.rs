//! The answer to a request whose whole body has been read, behind the panic boundary: a
//! panic becomes a 500 with the usual error body, so no framework's handling of panics (a
//! dropped connection, a dead worker) is ever reached.

use crate::http::contract::{ContractError, Endpoint};
use crate::http::head::RequestHead;
use crate::livekit::webhook::VouchedHash;
use crate::production::caller_auth::Caller;
use crate::service::reply::{Reply, ResponseFormat, SuccessBody};
use crate::service::token_service::TokenService;

impl TokenService {
    /// Answers a request for `endpoint` in its own method whose whole body has been read.
    ///
    /// A panic below this point becomes a 500 with the usual error body, so no framework's
    /// handling of panics (a dropped connection, a dead worker) is ever reached.
    pub fn reply(&self, endpoint: Endpoint, head: &RequestHead<'_>, body: &[u8]) -> Reply {
        self.reply_to(endpoint, head, body, Sender::Unknown)
    }

    /// [`TokenService::reply`] to a `sender` already authenticated.
    pub(super) fn reply_to(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
        body: &[u8],
        sender: Sender<'_>,
    ) -> Reply {
        let answer =
            std::panic::AssertUnwindSafe(|| self.reply_or_panic(endpoint, head, body, sender));
        std::panic::catch_unwind(answer)
            .unwrap_or_else(|_| self.endpoint_error(endpoint, ContractError::Internal))
    }

    fn reply_or_panic(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
        body: &[u8],
        sender: Sender<'_>,
    ) -> Reply {
        let caller = match sender {
            Sender::Caller(caller) => Some(caller),
            _ => None,
        };
        let format = self.inner.format;
        let issued = || self.count(|metrics| metrics.token_issued(endpoint));
        let result = match endpoint {
            Endpoint::Token => self
                .mint_to(head.content_type(), body, caller)
                .inspect(|_| issued())
                .map(|jwt| Reply::success(format, SuccessBody::Token(&jwt))),
            Endpoint::TokenSource => self
                .mint_source_to(head.content_type(), body, caller)
                .inspect(|_| issued())
                .map(|(request, jwt)| Reply::created(&self.inner.livekit_url, &jwt, &request)),
            Endpoint::Webhook => {
                let received = match sender {
                    Sender::LiveKit(vouched) => vouched.receive(body),
                    _ => self
                        .verify_webhook(head)
                        .and_then(|vouched| vouched.receive(body)),
                }
                .map(|event| event.log(&self.inner.log_names))
                // Counted in the metrics only: `respond` verifies webhooks before reading
                // their body, and counts failures against the limit there.
                .inspect_err(|err| self.count(|metrics| metrics.auth_failure(err)));
                self.count(|metrics| metrics.webhook(received.as_ref().copied()));
                received.map(|()| Reply::success(format, SuccessBody::Status("ok")))
            }
            // Probes read the status; plain `ok` in every format keeps them trivial.
            Endpoint::Health => Ok(Reply::success(
                ResponseFormat::Text,
                SuccessBody::Status("ok"),
            )),
            // Ready once production mode can verify callers; tutorial mode always is.
            Endpoint::Ready => match &self.inner.production {
                Some(production) => production.ready(),
                None => Ok(()),
            }
            .map(|()| Reply::success(ResponseFormat::Text, SuccessBody::Status("ok"))),
        };
        result.unwrap_or_else(|err| self.endpoint_error(endpoint, err))
    }
}

/// Who sent a body, as far as it is known before the body is parsed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sender<'a> {
    /// Not authenticated (tutorial mode), or not yet ([`TokenService::reply`]).
    Unknown,
    /// A caller authenticated by its bearer token, in production mode.
    Caller(&'a Caller),
    /// LiveKit, by a verified webhook token.
    LiveKit(&'a VouchedHash),
}

impl<'a> From<Option<&'a Caller>> for Sender<'a> {
    fn from(caller: Option<&'a Caller>) -> Self {
        caller.map_or(Self::Unknown, Self::Caller)
    }
}
