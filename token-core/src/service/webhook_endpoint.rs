//! `POST /livekit/webhook`: LiveKit's signature checked from the head alone, the body read
//! only once the signature is good.

use bytes::Buf;
use futures_util::Stream;

use futures_util::future::Either;

use crate::http::body::{read_body, until_broken};
use crate::http::contract::{ContractError, Endpoint, MAX_WEBHOOK_BODY_BYTES};
use crate::http::head::RequestHead;
use crate::livekit::webhook::VouchedHash;
use crate::service::answer::Sender;
use crate::service::discarding::MAX_DISCARDED_BODY_BYTES;
use crate::service::reply::Reply;
use crate::service::token_service::TokenService;

impl TokenService {
    /// Answers `POST /livekit/webhook`: the token in `Authorization` is verified from the
    /// head alone, and a forged one answered at once with the connection closed, its body
    /// never read; a verified one's body is read (at most [`MAX_WEBHOOK_BODY_BYTES`]) and
    /// checked against the hash the token vouches for.
    pub(super) async fn receive_webhook<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        let verify = || self.verify_webhook(head);
        let vouched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(verify))
            .unwrap_or(Err(ContractError::Internal));
        let refused = match vouched {
            Ok(vouched) => match read_body(body, MAX_WEBHOOK_BODY_BYTES).await {
                Ok(body) => {
                    let sender = Sender::LiveKit(&vouched);
                    return self.reply_to(Endpoint::Webhook, head, &body, sender);
                }
                Err(err) => err,
            },
            Err(err) => {
                // A 401, or the 429 it becomes past the failure limit: counted as answered.
                // While a shared store counts it, the body is drained unread: one that
                // breaks first is answered at once, uncounted (see `until_broken`).
                let count = std::pin::pin!(self.count_failure(head, err.clone()));
                let broken = std::pin::pin!(until_broken(body, MAX_DISCARDED_BODY_BYTES));
                let refusal = match futures_util::future::select(count, broken).await {
                    Either::Left((refusal, _)) => refusal,
                    Either::Right(((), _)) => err,
                };
                self.count(|metrics| metrics.webhook(Err(&refusal)));
                let mut reply = self.error_reply(refusal);
                reply.close_connection = true;
                return reply;
            }
        };
        // Too large, too slow or broken: never received.
        self.count(|metrics| metrics.webhook(Err(&refused)));
        self.error_reply(refused)
    }

    /// A webhook's `Authorization`, verified.
    pub(super) fn verify_webhook(
        &self,
        head: &RequestHead<'_>,
    ) -> Result<VouchedHash, ContractError> {
        if head.has_authorization() && head.authorization().is_none() {
            return Err(ContractError::InvalidAuthorization(
                "more than one Authorization header",
            ));
        }
        self.inner.webhooks.verify_token(head.authorization())
    }
}
