//! Unwanted bodies (a 404's, a 405's, a preflight's) are read and discarded before the
//! answer goes out, so the connection can carry the next request.

use bytes::Buf;
use futures_util::Stream;

use crate::http::body::read_body;
use crate::http::contract::MAX_TOKEN_BODY_BYTES;
use crate::service::reply::Reply;

/// The most of an unwanted body (a 404's, a 405's, a preflight's) read and discarded before
/// answering; past it the answer closes the connection.
pub const MAX_DISCARDED_BODY_BYTES: usize = MAX_TOKEN_BODY_BYTES;

/// Reads and discards an unwanted body before `reply` goes out, so the connection can carry
/// the next request; a body too long, too slow or broken closes it instead.
pub async fn discarding<S, B, E>(body: S, mut reply: Reply) -> Reply
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
{
    if read_body(body, MAX_DISCARDED_BODY_BYTES).await.is_err() {
        reply.close_connection = true;
    }
    reply
}
