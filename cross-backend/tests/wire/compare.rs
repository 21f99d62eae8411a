//! What the fuzzer compares, and the one list of what it leaves out.

use std::collections::BTreeMap;

use conformance::wire::RawResponse;
use serde_json::Value;
use testkit::comparable::comparable_body;
use testkit::exchange::RawAnswer;

use crate::generate::RawRequest;

/// The one list of what is not compared, each with its reason. Between backends on one
/// engine only items 1 and 2 apply; between engines the rest, each only on the requests its
/// cause concerns (by what was sent, never by what came back). Nothing else is left out.
///
/// 1. `Date`: the clock; in bodies, what `testkit::comparable::comparable_body` leaves out of
///    tokens (`nbf`/`exp`, and generated room names and identities, random by contract).
/// 2. The order of header lines of different names (each engine writes `content-length`,
///    `connection` and `date` where it likes; RFC 9110 §5.3 gives the order no meaning).
///    The order of one header's lines is compared.
/// 3. Interim answers to a request with `Expect: 100-continue`: actix-http sends `100
///    Continue` as soon as it has parsed the head, whatever happens next; hyper when the
///    application first reads a non-empty body. Nothing in a handler can un-send the one or
///    make the other send it for a body it never reads (a refused head, a tunnel).
/// 4. In answers to HTTP/1.0 requests, the status line's version and the `Connection`
///    header. actix-http answers a head its parser refuses in `HTTP/1.1` with `Connection:
///    close`, where hyper hands it to `token-core` and answers in `HTTP/1.0`; and when an
///    HTTP/1.0 request asked for `keep-alive` but the answer closes, hyper writes `Connection:
///    close, keep-alive` (only a response version of 1.0 would stop it, and salvo cannot set
///    one), actix-http nothing. Whether the connection stays open is compared.
/// 5. What follows an answer that closes, when bytes were sent behind the request:
///    actix-http parses and answers requests pipelined behind an answer that closes (and
///    after a client's `Connection: close`, keeps the connection open), which RFC 9112 §9.6
///    forbids and no setting stops; hyper reads no further. No client reads past an answer
///    that closes. The answer itself is compared.
/// 6. `Content-Length` together with `Transfer-Encoding`, and the same `Content-Length`
///    repeated: hyper rewrites the head before any application code runs (drops the length,
///    or keeps one), so `token-core` cannot refuse them as actix-http does. Only the smuggling
///    property is compared: no backend answers anything but the request and the probe.
/// 7. The HTTP/2 connection preface (`PRI * HTTP/2.0`): hyper recognises it and closes
///    without answering; actix-http answers its bare 400. Only that nothing is served is
///    compared.
/// 8. The answer to the probe request (sent after an answer that kept the connection open)
///    when bytes were sent behind the request: its status only. The engine then refuses the
///    left-over bytes and the probe itself, and actix-http's bare 400 carries no
///    `Connection: close` after a kept-alive answer (its parser keeps the previous request's
///    connection type). Otherwise the probe's answer is compared like any.
/// 9. How a connection closes: a reset is a close, as far as a client can tell. actix-http
///    closes with bytes it never read still in the socket (after a 431 to a long head), so
///    the kernel resets; hyper has read them and closes with a FIN.
/// 10. A request head between 128 KiB and 192 KiB is not generated: both engines refuse heads
///     over 128 KiB with 431, but actix-http checks the size between reads, so near the limit
///     it may have read the whole head first (hyper checks the parsed head too: see
///     `hyper_serve::configure`). Nor is a head over the limit with a malformed line past it:
///     hyper may read past its limit (into its buffer's spare capacity, depending on how the
///     bytes arrived), and then refuses the malformed line with 400 before the size with 431,
///     where actix-http always answers 431. Nor is a head over the limit sent in several
///     writes: one read of actix-http's can then carry its buffer from under the limit to
///     the end of the head, which it parses and serves (the long run met a 200 KB head split
///     in two that actix-http served and hyper refused with 431).
/// 11. Chunk extensions of more than 16 KiB in one body are not generated: hyper refuses such
///     a body (a fixed limit against resource exhaustion, no setting), actix-http skips
///     extensions however long; `token-core` never sees them.
const NOISE: &[&str] = &["date"];

/// One backend's answer as compared: the status line with its reason, every header value
/// (item 2 aside), the body as `comparable_body` sees it, interim answers, what followed,
/// and whether the connection closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    response: Result<ExactResponse, String>,
    interim: usize,
    next: Option<ExactResponse>,
    after_close: Option<Vec<u8>>,
    closed: bool,
}

/// A response as [`Exact`] compares it.
#[derive(Debug, Clone, PartialEq)]
struct ExactResponse {
    version: String,
    status: u16,
    reason: String,
    headers: BTreeMap<String, Vec<String>>,
    body: Value,
}

impl Exact {
    /// What kind of answer this is, for the fuzzer's account of what it reached: the status,
    /// `bare` for an answer without CORS header, `interim` after a `100 Continue`.
    pub fn kind(&self) -> String {
        let Ok(response) = &self.response else {
            return "none".to_owned();
        };
        let mut kind = response.status.to_string();
        if !response.headers.contains_key("access-control-allow-origin") {
            kind.push_str(" bare");
        }
        if self.interim > 0 {
            kind.push_str(" interim");
        }
        kind
    }

    /// Whether the server neither answered nor closed in time.
    pub fn hung(&self) -> bool {
        matches!(&self.response, Err(why) if why.contains("timed out"))
    }

    /// The answer as compared between backends on the same engine.
    pub fn of(answer: &RawAnswer) -> Self {
        Self {
            response: answer
                .response
                .as_ref()
                .map(ExactResponse::of)
                .map_err(Clone::clone),
            interim: answer.interim,
            next: answer.next.as_ref().map(ExactResponse::of),
            after_close: answer.after_close.as_deref().map(without_dates),
            closed: answer.closed,
        }
    }
}

impl ExactResponse {
    fn of(response: &RawResponse) -> Self {
        let mut headers = response.headers.clone();
        for noise in NOISE {
            headers.remove(*noise);
        }
        Self {
            version: response.version.clone(),
            status: response.status,
            reason: response.reason.clone(),
            headers,
            body: comparable_body(&response.body),
        }
    }

    /// Item 8: the status alone.
    fn status_only(&mut self) {
        *self = Self {
            version: String::new(),
            status: self.status,
            reason: String::new(),
            headers: BTreeMap::new(),
            body: Value::Null,
        };
    }
}

/// The items of the list that apply across engines only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// 3.
    ExpectContinue,
    /// 4.
    Http10,
    /// 5.
    PipelinedBehindClose,
    /// 6.
    RewrittenByHyper,
    /// 7.
    Http2Preface,
    /// 8.
    ProbeBehindLeftOvers,
}

/// Across engines: items 3 to 7, where their cause is in the request.
#[derive(Debug, PartialEq)]
pub enum AcrossEngines {
    Exact(Box<Exact>),
    /// Item 6: only whether anything but the request and the probe was answered.
    Smuggling {
        answered_only_the_probe: bool,
    },
    /// Item 7: only whether a status other than 400 was served.
    Unserved {
        served: Option<u16>,
    },
}

impl AcrossEngines {
    pub fn of(request: &RawRequest, exact: &Exact) -> Self {
        Self::of_except(request, exact, None)
    }

    /// [`AcrossEngines::of`] without one item, to show that it is still needed.
    pub fn of_except(request: &RawRequest, exact: &Exact, except: Option<Item>) -> Self {
        let applies = |item| except != Some(item);
        if request.preface && applies(Item::Http2Preface) {
            let served = exact
                .response
                .as_ref()
                .ok()
                .map(|response| response.status)
                .filter(|&status| status != 400);
            return Self::Unserved { served };
        }
        if request.rewritten_by_hyper() && applies(Item::RewrittenByHyper) {
            return Self::Smuggling {
                answered_only_the_probe: exact.response.is_ok()
                    && exact.after_close.as_deref().is_none_or(<[u8]>::is_empty)
                    && exact.next.as_ref().is_none_or(|next| next.status == 200),
            };
        }
        let mut exact = exact.clone();
        if request.has_header("expect") && applies(Item::ExpectContinue) {
            exact.interim = 0;
        }
        if request.version == "HTTP/1.0"
            && applies(Item::Http10)
            && let Ok(response) = &mut exact.response
        {
            response.version.clear();
            response.headers.remove("connection");
        }
        if request.has_bytes_behind()
            && exact.after_close.is_some()
            && applies(Item::PipelinedBehindClose)
        {
            exact.after_close = None;
            exact.closed = true;
        }
        if request.has_bytes_behind()
            && applies(Item::ProbeBehindLeftOvers)
            && let Some(next) = &mut exact.next
        {
            next.status_only();
        }
        Self::Exact(Box::new(exact))
    }
}

/// What a server sent after an answer that closes, `Date` lines left out.
fn without_dates(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    text.split_inclusive('\n')
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .collect::<String>()
        .into_bytes()
}
