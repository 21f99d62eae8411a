//! One raw HTTP/1.1 exchange over TCP, for the differential fuzzer: a request's bytes in,
//! the server's whole answer out, including what it did with the connection afterwards.

use std::net::SocketAddr;
use std::time::Duration;

use conformance::wire::{RawResponse, ResponseReader};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long one answer may take. Generated requests never make a server wait for more
/// bytes, so reaching it means the server hung.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The request sent after an answer to learn whether the connection is still open.
const PROBE: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n";

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The final response, or why none was read (`closed`, `timed out`, `unparsable ...`).
    pub response: Result<RawResponse, String>,
    /// How many interim (1xx) responses came first.
    pub interim: usize,
    /// What the connection did next: `Some(status)` when it answered the probe request
    /// sent after the response, `None` when it was closed. Not probed (also `None`) after a
    /// request that half-closed the connection or a response that announced a close; then
    /// `closed` tells.
    pub next: Option<u16>,
    /// Whether the server closed the connection after answering.
    pub closed: bool,
}

/// Sends `request` on a new connection to `address` and reads the answer. With
/// `half_close`, the client shuts its writing side after the request (a truncated body
/// then ends there) and only waits for the server to close; otherwise a probe request
/// tells whether the connection still serves.
pub async fn exchange(
    address: SocketAddr,
    request: &[u8],
    head_request: bool,
    half_close: bool,
) -> RawAnswer {
    let unanswered = |response, interim| RawAnswer {
        response: Err(response),
        interim,
        next: None,
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
    let _ = stream.write_all(request).await;
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
    let (next, closed) = if response.announces_close() {
        // After an announced close a client sends and reads nothing more, so when the server
        // then closes (actix-http may linger a second) or what it still writes (actix-http
        // answers bytes pipelined behind the request) is nobody's business.
        (None, true)
    } else if half_close {
        (None, reader.closes(&mut stream).await)
    } else {
        // A server that closed may have answered bytes sent before the probe (Linux keeps
        // what arrived before a reset readable), so the probe's fate is read either way.
        let _ = stream.write_all(PROBE).await;
        match reader.response(&mut stream, false).await {
            Ok(probe) => (Some(probe.status), false),
            Err(_) => (None, true),
        }
    };
    RawAnswer {
        response: Ok(response),
        interim,
        next,
        closed,
    }
}
