//! The one raw HTTP/1.1 response reader, on `httparse`: for exchanges no HTTP client library
//! would make (stalled clients, oversized uploads, reused connections) here, and for the test
//! harness's binary checks and differential fuzzer.
//!
//! Bodies are framed as RFC 9112 §6.3 says: none after `HEAD`, 1xx, 204 and 304; chunked
//! (with extensions and trailers) when `Transfer-Encoding` ends in `chunked`; else by
//! `Content-Length`; else until the server closes.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The most header lines a response may have.
const MAX_HEADERS: usize = 64;

/// A response as read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Every header line: lower-case name to values, in the order received.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body, de-chunked (empty for `HEAD`).
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

/// Why no response was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The connection closed before a byte of the response.
    #[error("closed")]
    Closed,
    /// The connection closed inside the response.
    #[error("closed mid-response")]
    ClosedMidResponse,
    /// Nothing arrived for the reader's patience.
    #[error("timed out")]
    TimedOut,
    /// The bytes are not an HTTP/1.1 response.
    #[error("unparsable response: {0}")]
    Unparsable(String),
}

/// Reads responses from one connection, keeping bytes that arrive early (pipelined answers)
/// for the next call.
#[derive(Debug)]
pub struct ResponseReader {
    buffer: Vec<u8>,
    patience: Duration,
    closed: bool,
}

impl ResponseReader {
    /// A reader that waits at most `patience` for each read.
    pub fn new(patience: Duration) -> Self {
        Self {
            buffer: Vec::new(),
            patience,
            closed: false,
        }
    }

    /// Reads the next response; `head_request` when it answers a `HEAD` (no body follows).
    pub async fn response(
        &mut self,
        stream: &mut (impl AsyncRead + Unpin),
        head_request: bool,
    ) -> Result<RawResponse, ReadError> {
        loop {
            if let Some((response, used)) = parse(&self.buffer, head_request, self.closed)? {
                self.buffer.drain(..used);
                return Ok(response);
            }
            if self.closed {
                return Err(if self.buffer.is_empty() {
                    ReadError::Closed
                } else {
                    ReadError::ClosedMidResponse
                });
            }
            self.fill(stream).await?;
        }
    }

    /// Whether the server closes the connection within the patience; what it sends first
    /// is discarded.
    pub async fn closes(&mut self, stream: &mut (impl AsyncRead + Unpin)) -> bool {
        while !self.closed {
            if self.fill(stream).await.is_err() {
                return false;
            }
            self.buffer.clear();
        }
        true
    }

    /// Everything the server sends (or sent early) until it closes the connection, and
    /// whether it closed: it may not wait `patience` for any read.
    pub async fn until_close(
        &mut self,
        stream: &mut (impl AsyncRead + Unpin),
        patience: Duration,
    ) -> (Vec<u8>, bool) {
        let usual = std::mem::replace(&mut self.patience, patience);
        let mut closed = true;
        while !self.closed {
            if self.fill(stream).await.is_err() {
                closed = false;
                break;
            }
        }
        self.patience = usual;
        (std::mem::take(&mut self.buffer), closed)
    }

    async fn fill(&mut self, stream: &mut (impl AsyncRead + Unpin)) -> Result<(), ReadError> {
        let mut chunk = [0; 16 * 1024];
        match tokio::time::timeout(self.patience, stream.read(&mut chunk)).await {
            Err(_) => Err(ReadError::TimedOut),
            // A reset is a close, as far as a client can tell.
            Ok(Ok(0) | Err(_)) => {
                self.closed = true;
                Ok(())
            }
            Ok(Ok(read)) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                Ok(())
            }
        }
    }
}

/// One response from the start of `bytes` and how many bytes it took, or `None` when more
/// are needed; `closed` when no more will come.
fn parse(
    bytes: &[u8],
    head_request: bool,
    closed: bool,
) -> Result<Option<(RawResponse, usize)>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(ReadError::Unparsable(err.to_string())),
    };
    let status = parsed.code.unwrap_or_default();
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for header in parsed.headers.iter() {
        map.entry(header.name.to_ascii_lowercase())
            .or_default()
            .push(String::from_utf8_lossy(header.value).into_owned());
    }
    let rest = &bytes[head_len..];
    let body = if head_request || status < 200 || status == 204 || status == 304 {
        Some((Vec::new(), 0))
    } else if last_coding_is_chunked(&map) {
        dechunk(rest)?
    } else if let Some(length) = map.get("content-length").and_then(|v| v.first()) {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| ReadError::Unparsable(format!("Content-Length {length:?}")))?;
        (rest.len() >= length).then(|| (rest[..length].to_vec(), length))
    } else {
        closed.then(|| (rest.to_vec(), rest.len()))
    };
    Ok(body.map(|(body, used)| {
        let response = RawResponse {
            version: format!("HTTP/1.{}", parsed.version.unwrap_or(1)),
            status,
            reason: parsed.reason.unwrap_or_default().to_owned(),
            headers: map,
            body,
        };
        (response, head_len + used)
    }))
}

fn last_coding_is_chunked(headers: &BTreeMap<String, Vec<String>>) -> bool {
    headers
        .get("transfer-encoding")
        .and_then(|values| values.last())
        .and_then(|value| value.rsplit(',').next())
        .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
}

/// A chunked body's data and its length on the wire, or `None` while incomplete.
fn dechunk(bytes: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ReadError> {
    let unparsable = |what: &str| ReadError::Unparsable(format!("chunked body: {what}"));
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (size_len, size) = match httparse::parse_chunk_size(&bytes[at..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(unparsable("bad chunk size")),
        };
        at += size_len;
        if size == 0 {
            // The trailer section: header lines, then an empty line.
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            return match httparse::parse_headers(&bytes[at..], &mut trailers) {
                Ok(httparse::Status::Complete((len, _))) => Ok(Some((body, at + len))),
                Ok(httparse::Status::Partial) => Ok(None),
                Err(_) => Err(unparsable("bad trailer")),
            };
        }
        let size = usize::try_from(size).map_err(|_| unparsable("chunk too large"))?;
        let Some(end) = at.checked_add(size).filter(|end| end + 2 <= bytes.len()) else {
            return Ok(None);
        };
        if &bytes[end..end + 2] != b"\r\n" {
            return Err(unparsable("no CRLF after a chunk"));
        }
        body.extend_from_slice(&bytes[at..end]);
        at = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(bytes: &[u8], head_request: bool) -> Vec<Result<RawResponse, ReadError>> {
        let mut stream = bytes;
        let mut reader = ResponseReader::new(Duration::from_secs(1));
        let mut responses = Vec::new();
        loop {
            let response = reader.response(&mut stream, head_request).await;
            let last = response.is_err();
            responses.push(response);
            if last {
                return responses;
            }
        }
    }

    #[tokio::test]
    async fn frames_by_length_then_reads_the_pipelined_next() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\nhi\
                     HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let responses = read_all(wire, false).await;
        let first = responses[0].as_ref().expect("first");
        assert_eq!((first.status, first.body.as_slice()), (200, &b"hi"[..]));
        assert_eq!(first.header("x-a"), ["1", "2"]);
        assert!(!first.announces_close());
        let second = responses[1].as_ref().expect("second");
        assert_eq!((second.status, second.reason.as_str()), (404, "Not Found"));
        assert!(second.announces_close(), "HTTP/1.0 closes by default");
        assert_eq!(responses[2], Err(ReadError::Closed));
    }

    #[tokio::test]
    async fn dechunks_with_extensions_and_trailers() {
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                     3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n\
                     HTTP/1.1 204 No Content\r\n\r\n";
        let responses = read_all(wire, false).await;
        let chunked = responses[0].as_ref().expect("chunked");
        assert_eq!(chunked.body, b"abc0123456789");
        assert_eq!(responses[1].as_ref().map(|r| r.status), Ok(204));
        // A body that merely ends like a last chunk is not taken for one.
        let tricky =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n0\r\n\r\n\r\n0\r\n\r\n";
        let responses = read_all(tricky, false).await;
        assert_eq!(
            responses[0].as_ref().map(|r| r.body.clone()),
            Ok(b"0\r\n\r\n".to_vec())
        );
    }

    #[tokio::test]
    async fn reads_to_close_without_framing_and_skips_bodies_of_head() {
        let responses = read_all(b"HTTP/1.1 200 OK\r\n\r\nuntil close", false).await;
        assert_eq!(
            responses[0].as_ref().map(|r| r.body.clone()),
            Ok(b"until close".to_vec())
        );
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let responses = read_all(head, true).await;
        assert_eq!(responses.iter().filter(|r| r.is_ok()).count(), 2);
    }

    #[tokio::test]
    async fn truncated_and_malformed_answers_are_errors() {
        let cut = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false).await;
        assert_eq!(cut[0], Err(ReadError::ClosedMidResponse));
        let bad = read_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            false,
        )
        .await;
        assert!(matches!(bad[0], Err(ReadError::Unparsable(_))), "{bad:?}");
        let garbage = read_all(b"SMTP ready\r\n\r\n", false).await;
        assert!(
            matches!(garbage[0], Err(ReadError::Unparsable(_))),
            "{garbage:?}"
        );
    }
}
