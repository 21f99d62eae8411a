//! One raw HTTP/1.1 exchange over TCP, for the differential fuzzer: a request's bytes in,
//! the server's whole answer out, including what it did with the connection afterwards.

use std::net::SocketAddr;
use std::time::Duration;

use conformance::wire::{RawResponse, ResponseReader};
use serde_json::Value;

use crate::comparable::comparable_body;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long one answer may take. Generated requests never make a server wait for more
/// bytes, so reaching it means the server hung.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a server that announced a close may take to close. Every engine closes at once
/// (actix-web is told not to linger), so a connection still open then stays open.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The pause between the pieces of a request sent in several writes.
pub const PAUSE_BETWEEN_PIECES: Duration = Duration::from_millis(3);

/// The request sent after an answer to learn whether the connection is still open.
const PROBE: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n";

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The final response, or why none was read (`closed`, `timed out`, `unparsable ...`).
    pub response: Result<RawResponse, String>,
    /// How many interim (1xx) responses came first.
    pub interim: usize,
    /// The answer to a probe request sent after the response, when the connection stayed
    /// open for it. Not sent after a request that half-closed the connection or a response
    /// that announced a close.
    pub next: Option<RawResponse>,
    /// After a response that announced a close: every byte the server sent after it, until
    /// it closed (a client reads none of them).
    pub after_close: Option<Vec<u8>>,
    /// Whether the server closed the connection after answering: observed, never assumed.
    pub closed: bool,
}

impl RawAnswer {
    /// The answer without what differs by design between backends answering one sequence
    /// of requests: `Date`, and tokens minted at other instants (see [`comparable_body`]).
    pub fn comparable(&self) -> (Result<Value, String>, Option<Value>, bool) {
        let response = |response: &RawResponse| {
            let mut headers = response.headers.clone();
            headers.remove("date");
            serde_json::json!({
                "version": response.version,
                "status": response.status,
                "reason": response.reason,
                "headers": headers,
                "body": comparable_body(&response.body),
            })
        };
        (
            self.response.as_ref().map(response).map_err(Clone::clone),
            self.next.as_ref().map(response),
            self.closed,
        )
    }
}

/// Sends `pieces` (one request, in as many writes, [`PAUSE_BETWEEN_PIECES`] apart) on a new
/// connection to `address` and reads the answer. With `half_close`, the client shuts its
/// writing side after the request (a truncated body then ends there) and only waits for the
/// server to close; otherwise a probe request tells whether the connection still serves.
pub async fn exchange(
    address: SocketAddr,
    pieces: &[&[u8]],
    head_request: bool,
    half_close: bool,
) -> RawAnswer {
    let unanswered = |response, interim| RawAnswer {
        response: Err(response),
        interim,
        next: None,
        after_close: None,
        closed: true,
    };
    let mut stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(err) => return unanswered(format!("connect: {err}"), 0),
    };
    let _ = stream.set_nodelay(true);
    let mut reader = ResponseReader::new(ANSWER_TIMEOUT);
    // A server may answer and close before reading everything (a 431 to a huge head): the
    // answer is read all the same.
    for (index, piece) in pieces.iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(PAUSE_BETWEEN_PIECES).await;
        }
        if stream.write_all(piece).await.is_err() {
            break;
        }
    }
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut interim = 0;
    let response = loop {
        match reader.response(&mut stream, head_request).await {
            Ok(response) if response.status < 200 => interim += 1,
            Ok(response) => break response,
            Err(err) => return unanswered(err.to_string(), interim),
        }
    };
    let (next, after_close, closed) = if response.announces_close() {
        // A client sends nothing more; what the server still sends, and whether it closes,
        // is read.
        let (rest, closed) = reader.until_close(&mut stream, CLOSE_TIMEOUT).await;
        (None, Some(rest), closed)
    } else if half_close {
        (None, None, reader.closes(&mut stream).await)
    } else {
        // A server that closed may have answered bytes sent before the probe (Linux keeps
        // what arrived before a reset readable), so the probe's fate is read either way.
        let _ = stream.write_all(PROBE).await;
        match reader.response(&mut stream, false).await {
            Ok(probe) => (Some(probe), None, false),
            Err(_) => (None, None, true),
        }
    };
    RawAnswer {
        response: Ok(response),
        interim,
        next,
        after_close,
        closed,
    }
}
