//! The one raw HTTP/1.1 response reader, on `httparse`: for exchanges no HTTP client library
//! would make (stalled clients, oversized uploads, reused connections) here, and for the test
//! harness's binary checks and differential fuzzer.
//!
//! Bodies are framed as RFC 9112 §6.3 says: none after `HEAD`, 1xx, 204 and 304; chunked
//! (with extensions and trailers) when `Transfer-Encoding` ends in `chunked`; else by
//! `Content-Length`; else until the server closes.
//!
//! The server's bytes are untrusted: no length it announces (`Content-Length`, a chunk size)
//! is allocated before the bytes arrive, and nothing past [`MAX_RESPONSE_BYTES`] is ever
//! buffered; a response that would need more is a [`ReadError::TooLarge`].

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The most header lines a response may have.
const MAX_HEADERS: usize = 64;
/// The most bytes the reader holds for one response, head and body: far above any answer
/// of the contract (tokens and messages are a few KiB), so a hostile server cannot make the
/// suite buffer without bound.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How much one read takes from the connection.
const READ_SIZE: usize = 16 * 1024;

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
    /// The response is, or announces that it is, larger than [`MAX_RESPONSE_BYTES`].
    #[error("response larger than {} KiB", MAX_RESPONSE_BYTES / 1024)]
    TooLarge,
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

    /// Reads once more from `stream`; refuses to hold more than [`MAX_RESPONSE_BYTES`]
    /// (and one read) unparsed.
    async fn fill(&mut self, stream: &mut (impl AsyncRead + Unpin)) -> Result<(), ReadError> {
        if self.buffer.len() >= MAX_RESPONSE_BYTES {
            return Err(ReadError::TooLarge);
        }
        let mut chunk = [0; READ_SIZE];
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
        let length: u64 = length
            .trim()
            .parse()
            .map_err(|_| ReadError::Unparsable(format!("Content-Length {length:?}")))?;
        let length = within_limit(length)?;
        rest.get(..length).map(|body| (body.to_vec(), length))
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

/// `length` as a `usize`, when a response of that size may be buffered.
fn within_limit(length: u64) -> Result<usize, ReadError> {
    usize::try_from(length)
        .ok()
        .filter(|length| *length <= MAX_RESPONSE_BYTES)
        .ok_or(ReadError::TooLarge)
}

/// A chunked body's data and its length on the wire, or `None` while incomplete. A chunk
/// size is only believed once its bytes are there: a size past the limit is refused at once,
/// and every offset is checked, so no size overflows or allocates.
fn dechunk(bytes: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ReadError> {
    let unparsable = |what: &str| ReadError::Unparsable(format!("chunked body: {what}"));
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        let (size_len, size) = match httparse::parse_chunk_size(rest) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(unparsable("bad chunk size")),
        };
        at += size_len;
        if size == 0 {
            // The trailer section: header lines, then an empty line.
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let rest = bytes.get(at..).unwrap_or_default();
            return match httparse::parse_headers(rest, &mut trailers) {
                Ok(httparse::Status::Complete((len, _))) => Ok(Some((body, at + len))),
                Ok(httparse::Status::Partial) => Ok(None),
                Err(_) => Err(unparsable("bad trailer")),
            };
        }
        let size = within_limit(size)?;
        if body.len() + size > MAX_RESPONSE_BYTES {
            return Err(ReadError::TooLarge);
        }
        // `at` is within `bytes` and `size` within the limit: neither sum overflows.
        let end = at + size;
        let Some(data) = bytes.get(at..end) else {
            return Ok(None);
        };
        match bytes.get(end..end + 2) {
            None => return Ok(None),
            Some(b"\r\n") => {}
            Some(_) => return Err(unparsable("no CRLF after a chunk")),
        }
        body.extend_from_slice(data);
        at = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use proptest::prelude::*;
    use tokio::io::ReadBuf;

    use super::*;

    /// A connection that delivers its bytes in the given pieces, one per read, then closes;
    /// or, `endless`, repeats its last piece for ever.
    struct Pieces {
        pieces: VecDeque<Vec<u8>>,
        endless: bool,
    }

    impl AsyncRead for Pieces {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let endless = self.endless && self.pieces.len() == 1;
            if let Some(piece) = self.pieces.front_mut() {
                let taken = piece.len().min(buf.remaining());
                buf.put_slice(&piece[..taken]);
                if endless {
                    // The same bytes again next time.
                } else if taken == piece.len() {
                    self.pieces.pop_front();
                } else {
                    piece.drain(..taken);
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    /// Every response read from `pieces` until the first error, checking after each that the
    /// reader holds no more than its limit and one read.
    fn read_pieces(
        pieces: Vec<Vec<u8>>,
        head_request: bool,
        endless: bool,
    ) -> Vec<Result<RawResponse, ReadError>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let mut stream = Pieces {
            pieces: pieces.into(),
            endless,
        };
        let mut reader = ResponseReader::new(Duration::from_secs(1));
        let mut responses = Vec::new();
        runtime.block_on(async {
            loop {
                let response = reader.response(&mut stream, head_request).await;
                assert!(reader.buffer.len() <= MAX_RESPONSE_BYTES + READ_SIZE);
                if let Ok(response) = &response {
                    assert!(response.body.len() <= MAX_RESPONSE_BYTES);
                }
                let last = response.is_err();
                responses.push(response);
                if last {
                    return;
                }
            }
        });
        responses
    }

    /// A response head that frames its body as `framing` says, then `body`.
    fn framed(framing: &str, body: &[u8]) -> Vec<u8> {
        let mut wire = format!("HTTP/1.1 200 OK\r\n{framing}\r\n\r\n").into_bytes();
        wire.extend_from_slice(body);
        wire
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any bytes, cut anywhere: responses or a clear error, never a panic, never more
        /// held than the limit.
        #[test]
        fn any_bytes_are_read_without_panic(
            pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..256), 0..8),
            head_request in any::<bool>(),
        ) {
            let responses = read_pieces(pieces, head_request, false);
            prop_assert!(responses.last().is_some_and(Result::is_err));
        }

        /// Bytes shaped like responses, with hostile lengths and chunk sizes (any hex, with
        /// extensions, overflowing, huge), cut anywhere.
        #[test]
        fn hostile_framing_is_read_without_panic(
            status in "[0-9]{3}",
            framing in prop_oneof![
                1 => "Content-Length: [0-9]{1,25}",
                1 => "Content-Length: [ -~]{0,12}",
                3 => "Transfer-Encoding: (gzip, )?chunked",
                1 => "Connection: close",
            ],
            chunks in proptest::collection::vec(
                (
                    prop_oneof![
                        "[0-9a-fA-F]{1,20}(;[ -~]{0,8})?",
                        any::<u64>().prop_map(|size| format!("{size:x}")),
                        // Sizes whose end lands next to the top of the address space.
                        (0..32u64).prop_map(|below| format!("{:x}", u64::MAX - below)),
                    ],
                    proptest::collection::vec(any::<u8>(), 0..64),
                ),
                0..6,
            ),
            trailer in "([A-Za-z-]{1,8}: [ -~]{0,8}\r\n)?(\r\n)?",
            cut in proptest::collection::vec(1usize..64, 0..6),
        ) {
            let mut body = Vec::new();
            for (size, data) in chunks {
                body.extend_from_slice(size.as_bytes());
                body.extend_from_slice(b"\r\n");
                body.extend_from_slice(&data);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"0\r\n");
            body.extend_from_slice(trailer.as_bytes());
            let mut wire = framed(&framing, &body);
            wire.splice(9..12, status.bytes());
            let mut pieces = Vec::new();
            for len in cut {
                let len = len.min(wire.len());
                pieces.push(wire.drain(..len).collect());
            }
            pieces.push(wire);
            let responses = read_pieces(pieces, false, false);
            prop_assert!(responses.last().is_some_and(Result::is_err));
        }
    }

    #[test]
    fn endless_or_huge_bodies_are_refused_within_the_limit() {
        let filler = vec![b'x'; READ_SIZE];
        for framing in [
            "Transfer-Encoding: chunked",
            "Content-Length: 999999999999",
            "Connection: close",
        ] {
            // A chunk announcing 1 MiB and one byte, or a length, or no framing: the server
            // sends for ever.
            let head = framed(framing, b"100001\r\n");
            let responses = read_pieces(vec![head, filler.clone()], false, true);
            assert_eq!(responses[0], Err(ReadError::TooLarge), "{framing}");
        }
        // A series of chunks under the limit each, over it together.
        let chunk = format!("{:x}\r\n{}\r\n", 512 * 1024, "x".repeat(512 * 1024));
        let wire = framed("Transfer-Encoding: chunked", chunk.repeat(3).as_bytes());
        let responses = read_pieces(vec![wire], false, false);
        assert_eq!(responses[0], Err(ReadError::TooLarge));
    }

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
    async fn hostile_chunk_sizes_are_errors_not_panics() {
        // Sizes that overflow the reader's arithmetic, or claim more than it ever buffers.
        for size in [
            "ffffffffffffffed",
            "fffffffffffffffe",
            "ffffffffffffffff",
            "4000000000",
        ] {
            let wire =
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabc");
            let responses = read_all(wire.as_bytes(), false).await;
            assert!(
                matches!(
                    responses[0],
                    Err(ReadError::Unparsable(_) | ReadError::TooLarge)
                ),
                "{size}: {responses:?}"
            );
        }
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
