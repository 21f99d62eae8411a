//! Reading a request body under the contract's size limit, the same way on every framework.
//!
//! Each framework exposes the body as a stream of byte chunks; this reads at most the
//! endpoint's limit. Past that it keeps reading and discarding for a bounded while
//! before the 413 goes out, so a client still uploading can finish and read the answer
//! instead of meeting a reset connection (the "lingering close" web servers do). Frameworks'
//! own limits either stop reading at once (hyper resets the upload) or, in warp's case,
//! refuse chunked bodies outright, so none can serve here.

use std::time::Duration;

use bytes::Buf;
use futures_util::{Stream, StreamExt};

use crate::http::contract::{ContractError, REQUEST_BODY_TIMEOUT};

/// How much of an oversized body is read and discarded before answering 413.
pub const MAX_DRAIN_BYTES: usize = 1024 * 1024;
/// How long an oversized body is read and discarded before answering 413.
pub const MAX_DRAIN_TIME: Duration = Duration::from_secs(2);

/// Reads a whole request body of at most `limit` bytes, within [`REQUEST_BODY_TIMEOUT`].
pub async fn read_body<S, B, E>(body: S, limit: usize) -> Result<Vec<u8>, ContractError>
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
{
    tokio::time::timeout(REQUEST_BODY_TIMEOUT, read_limited(body, limit))
        .await
        .unwrap_or(Err(ContractError::BodyTimeout))
}

/// Drains `body` unread, at most `budget` bytes, and resolves only if it breaks: for an
/// answer that waits on a shared store with the body unread, raced against it, so that a
/// break is answered at once (an engine may close a connection whose body broke while the
/// application waited: actix-http does).
pub async fn until_broken<S, B, E>(body: S, budget: usize)
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut left = budget;
    while let Some(chunk) = body.next().await {
        match chunk {
            Err(_) => return,
            Ok(chunk) => {
                left = left.saturating_sub(chunk.remaining());
                if left == 0 {
                    break;
                }
            }
        }
    }
    std::future::pending().await
}

async fn read_limited<S, B, E>(body: S, limit: usize) -> Result<Vec<u8>, ContractError>
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| ContractError::BodyUnreadable)?;
        if bytes.len() + chunk.remaining() > limit {
            let discard = async {
                let mut budget = MAX_DRAIN_BYTES;
                while let Some(Ok(chunk)) = body.next().await {
                    budget = budget.saturating_sub(chunk.remaining());
                    if budget == 0 {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(MAX_DRAIN_TIME, discard).await;
            return Err(ContractError::PayloadTooLarge(limit));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            bytes.extend_from_slice(part);
            let read = part.len();
            chunk.advance(read);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::contract::MAX_TOKEN_BODY_BYTES;
    use futures_util::stream;

    fn chunks(sizes: &[usize]) -> impl Stream<Item = Result<&'static [u8], ()>> {
        static DATA: [u8; 64 * 1024] = [b'x'; 64 * 1024];
        stream::iter(
            sizes
                .iter()
                .map(|&size| Ok(&DATA[..size]))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn the_limit_is_exact_across_chunks() {
        let limit = MAX_TOKEN_BODY_BYTES;
        let body = read_body(chunks(&[10_000, limit - 10_000]), limit).await;
        assert_eq!(body.map(|b| b.len()), Ok(limit));
        let body = read_body(chunks(&[10_000, limit - 10_000, 1]), limit).await;
        assert_eq!(body, Err(ContractError::PayloadTooLarge(limit)));
        assert_eq!(read_body(chunks(&[]), limit).await, Ok(Vec::new()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_times_out() {
        let stalled = stream::iter([Ok::<_, ()>(&b"{"[..])]).chain(stream::pending());
        assert_eq!(
            read_body(stalled, 10).await,
            Err(ContractError::BodyTimeout)
        );
    }

    #[tokio::test]
    async fn a_failing_stream_is_unreadable() {
        let failing = stream::iter([Ok(&b"{"[..]), Err(())]);
        assert_eq!(
            read_body(failing, 10).await,
            Err(ContractError::BodyUnreadable)
        );
    }
}
