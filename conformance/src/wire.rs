//! Raw HTTP/1.1 over TCP, for requests no HTTP client would send: one request's bytes in,
//! the server's whole answer out, including whether it kept the connection.
//!
//! The differential fuzzer (`tests/wire.rs`) sends each generated request to every backend
//! through [`exchange`] and compares the [`RawAnswer`]s.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one answer may take. Generated requests never make a server wait for more
/// bytes, so reaching it means the server hung.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The request sent after an answer to learn whether the connection is still open.
const PROBE: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n";

/// A final response as read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// Every header line: lower-case name to values, in the order received.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body (empty for `HEAD`).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Whether the response says the connection closes after it: `Connection: close`, or
    /// HTTP/1.0 without `Connection: keep-alive`.
    pub fn announces_close(&self) -> bool {
        let says = |word: &str| {
            self.header("connection").iter().any(|value| {
                value
                    .split(',')
                    .any(|item| item.trim().eq_ignore_ascii_case(word))
            })
        };
        says("close") || (self.version == "HTTP/1.0" && !says("keep-alive"))
    }

    /// The values of header `name` (lower-case).
    pub fn header(&self, name: &str) -> &[String] {
        self.headers.get(name).map_or(&[], Vec::as_slice)
    }
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The final response, or why none was read (`closed`, `timed out`, `unparsable`).
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
    let mut stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(err) => {
            return RawAnswer {
                response: Err(format!("connect: {err}")),
                interim: 0,
                next: None,
                closed: true,
            };
        }
    };
    let _ = stream.set_nodelay(true);
    let mut reader = Reader::default();
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
            other => break other,
        }
    };
    if response.is_err() {
        return RawAnswer {
            response,
            interim,
            next: None,
            closed: true,
        };
    }
    let announced_close = response.as_ref().is_ok_and(RawResponse::announces_close);
    let (next, closed) = if announced_close {
        // After an announced close a client sends and reads nothing more, so when the server
        // then closes (actix-http may linger a second) or what it still writes (actix-http
        // answers bytes pipelined behind the request) is nobody's business.
        (None, true)
    } else if half_close {
        (None, reader.closed_soon(&mut stream).await)
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
        response,
        interim,
        next,
        closed,
    }
}

#[derive(Default)]
struct Reader {
    buffer: Vec<u8>,
}

enum Fill {
    Read,
    Closed,
    TimedOut,
}

impl Reader {
    async fn fill(&mut self, stream: &mut TcpStream) -> Fill {
        let mut chunk = [0; 16 * 1024];
        match tokio::time::timeout(ANSWER_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => Fill::Closed,
            Err(_) => Fill::TimedOut,
            Ok(Ok(read)) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                Fill::Read
            }
        }
    }

    /// Reads one response; the body by `Content-Length` (every server here sends one).
    async fn response(
        &mut self,
        stream: &mut TcpStream,
        head_request: bool,
    ) -> Result<RawResponse, String> {
        loop {
            if let Some(response) = self.parse(head_request)? {
                return Ok(response);
            }
            match self.fill(stream).await {
                Fill::Read => {}
                Fill::TimedOut => return Err("timed out".to_owned()),
                Fill::Closed if self.buffer.is_empty() => return Err("closed".to_owned()),
                Fill::Closed => return Err("closed mid-response".to_owned()),
            }
        }
    }

    fn parse(&mut self, head_request: bool) -> Result<Option<RawResponse>, String> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        let head_len = match parsed.parse(&self.buffer) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(err) => return Err(format!("unparsable response: {err}")),
        };
        let status = parsed.code.unwrap_or_default();
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for header in parsed.headers.iter() {
            map.entry(header.name.to_ascii_lowercase())
                .or_default()
                .push(String::from_utf8_lossy(header.value).into_owned());
        }
        let length = if head_request || status < 200 || status == 204 || status == 304 {
            0
        } else {
            map.get("content-length")
                .and_then(|values| values.first())
                .and_then(|value| value.parse::<usize>().ok())
                .ok_or("a response without Content-Length")?
        };
        if self.buffer.len() < head_len + length {
            return Ok(None);
        }
        let version = format!("HTTP/1.{}", parsed.version.unwrap_or(1));
        let body = self.buffer[head_len..head_len + length].to_vec();
        self.buffer.drain(..head_len + length);
        Ok(Some(RawResponse {
            version,
            status,
            headers: map,
            body,
        }))
    }

    /// Whether the server closes the connection within the timeout; bytes it sends before
    /// are discarded.
    async fn closed_soon(&mut self, stream: &mut TcpStream) -> bool {
        loop {
            match self.fill(stream).await {
                Fill::Closed => return true,
                Fill::TimedOut => return false,
                Fill::Read => self.buffer.clear(),
            }
        }
    }
}
