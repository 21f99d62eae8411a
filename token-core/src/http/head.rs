//! What the contract reads from a request head, and the framing rules of RFC 9112 that every
//! backend enforces alike.
//!
//! Adapters build a [`RequestHead`] from their framework's request with every header line, so
//! that repeated headers are seen; which headers matter, and what a repeated or missing one
//! means, is decided here.

use std::net::IpAddr;

use crate::http::client_address::TrustedProxies;

/// The HTTP version of a request. HTTP/2 and later are not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.0: `Host` is optional, `Transfer-Encoding` is not allowed.
    Http10,
    /// HTTP/1.1.
    #[default]
    Http11,
}

/// The header fields the contract reads.
#[derive(Debug, Clone, Copy)]
enum Field {
    Host,
    ContentLength,
    TransferEncoding,
    ContentType,
    Authorization,
    PreflightMethod,
    RequestedHeaders,
    Connection,
    Upgrade,
    Forwarded,
    XForwardedFor,
    Origin,
}

/// Their names, matched without regard to case (and without allocating, per header line).
const FIELDS: [(&str, Field); 12] = [
    ("host", Field::Host),
    ("content-length", Field::ContentLength),
    ("transfer-encoding", Field::TransferEncoding),
    ("content-type", Field::ContentType),
    ("authorization", Field::Authorization),
    ("access-control-request-method", Field::PreflightMethod),
    ("access-control-request-headers", Field::RequestedHeaders),
    ("connection", Field::Connection),
    ("upgrade", Field::Upgrade),
    ("forwarded", Field::Forwarded),
    ("x-forwarded-for", Field::XForwardedFor),
    ("origin", Field::Origin),
];

/// The head of one request, as the contract reads it.
#[derive(Debug, Clone, Default)]
pub struct RequestHead<'a> {
    method: &'a str,
    target: &'a str,
    path: &'a str,
    version: HttpVersion,
    upgrade_websocket: bool,
    connection_close: bool,
    connection_keep_alive: bool,
    connection_upgrade: bool,
    host: HeaderLines<'a>,
    content_length: HeaderLines<'a>,
    transfer_encoding: HeaderLines<'a>,
    content_type: HeaderLines<'a>,
    authorization: HeaderLines<'a>,
    origin: HeaderLines<'a>,
    preflight_method: HeaderLines<'a>,
    // Browsers send one line; any number is allowed, so every line is kept.
    requested_headers: Vec<&'a [u8]>,
    // Every line of each, read only when the peer is a trusted proxy.
    forwarded: Vec<&'a [u8]>,
    x_forwarded_for: Vec<&'a [u8]>,
    peer: Option<IpAddr>,
}

/// The first value of a header and how many lines it had.
#[derive(Debug, Clone, Copy, Default)]
struct HeaderLines<'a> {
    first: Option<&'a [u8]>,
    count: usize,
}

impl<'a> HeaderLines<'a> {
    fn push(&mut self, value: &'a [u8]) {
        self.first.get_or_insert(value);
        self.count += 1;
    }

    /// The value when the header was sent exactly once.
    fn single(&self) -> Option<&'a [u8]> {
        self.first.filter(|_| self.count == 1)
    }
}

impl<'a> RequestHead<'a> {
    /// A request head from its method, its target's path and query as sent (raw: no
    /// percent-decoding), its version and every header line as `(name, value)`.
    pub fn new(
        method: &'a str,
        target: &'a str,
        version: HttpVersion,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        let path = target.split_once('?').map_or(target, |(path, _)| path);
        let mut head = Self {
            method,
            target,
            path,
            version,
            ..Self::default()
        };
        for (name, value) in headers {
            let Some(field) = FIELDS
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
                .map(|(_, field)| *field)
            else {
                continue;
            };
            let lines = match field {
                Field::Host => &mut head.host,
                Field::ContentLength => &mut head.content_length,
                Field::TransferEncoding => &mut head.transfer_encoding,
                Field::ContentType => &mut head.content_type,
                Field::Authorization => &mut head.authorization,
                Field::Origin => &mut head.origin,
                Field::PreflightMethod => &mut head.preflight_method,
                Field::RequestedHeaders => {
                    head.requested_headers.push(value);
                    continue;
                }
                Field::Forwarded => {
                    head.forwarded.push(value);
                    continue;
                }
                Field::XForwardedFor => {
                    head.x_forwarded_for.push(value);
                    continue;
                }
                Field::Connection => {
                    for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                        head.connection_close |= option.eq_ignore_ascii_case(b"close");
                        head.connection_keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                        head.connection_upgrade |= option.eq_ignore_ascii_case(b"upgrade");
                    }
                    continue;
                }
                Field::Upgrade => {
                    head.upgrade_websocket |= value.trim_ascii().eq_ignore_ascii_case(b"websocket");
                    continue;
                }
            };
            lines.push(value);
        }
        head
    }

    /// The head of a request that came over a connection from `peer`, the socket's remote
    /// address. Every adapter sets it: per-client limits key on it.
    #[must_use]
    pub fn from_peer(mut self, peer: Option<IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// The client's address: the peer's, or what trusted proxies say; `None` when the
    /// adapter did not know the peer.
    pub fn client_address(&self, trusted: &TrustedProxies) -> Option<IpAddr> {
        let peer = self.peer?;
        Some(trusted.client(peer, &self.forwarded, &self.x_forwarded_for))
    }

    /// The method, case-sensitive as RFC 9110 says (`post` is not `POST`).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The raw path of the request target, without the query.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// Whether the request asks to turn the connection into something else: `CONNECT`, an
    /// upgrade to WebSocket without a chunked body, or `Connection: upgrade` without `close`.
    /// Engines disagree on what follows the head then (actix-http reads everything after it as
    /// the body, hyper nothing), and none is offered: no body is read, the connection closes.
    pub fn is_tunnel(&self) -> bool {
        self.method == "CONNECT"
            || (self.upgrade_websocket && self.transfer_encoding.count == 0)
            || (self.connection_upgrade && !self.connection_close)
    }

    /// `Content-Type`, when sent once; several lines make the type unknown.
    pub fn content_type(&self) -> Option<&'a [u8]> {
        self.content_type.single()
    }

    /// `Authorization`, when sent once; several lines make it invalid.
    pub fn authorization(&self) -> Option<&'a [u8]> {
        self.authorization.single()
    }

    /// `Origin`, when sent once (browsers send one).
    pub fn origin(&self) -> Option<&'a [u8]> {
        self.origin.single()
    }

    /// Whether `Authorization` was sent at all (a repeated one is present but invalid).
    pub fn has_authorization(&self) -> bool {
        self.authorization.count > 0
    }

    /// Whether the connection closes after this request: `Connection: close`, or HTTP/1.0
    /// without `Connection: keep-alive`.
    pub fn asks_close(&self) -> bool {
        self.connection_close || self.closes_by_default()
    }

    /// Whether the connection closes after this request unless the answer keeps it open:
    /// HTTP/1.0 without `Connection: keep-alive`. Engines then write no `Connection: close`.
    pub fn closes_by_default(&self) -> bool {
        self.version == HttpVersion::Http10 && !self.connection_keep_alive
    }

    /// Whether the request says it has a body: chunked, or a non-zero `Content-Length`.
    pub fn has_body(&self) -> bool {
        self.transfer_encoding.count > 0
            || self
                .content_length
                .first
                .is_some_and(|length| length.iter().any(|&digit| digit != b'0'))
    }

    /// A CORS preflight is an `OPTIONS` with `Access-Control-Request-Method`.
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.preflight_method.count > 0
    }

    /// The header names a preflight asks for, from every `Access-Control-Request-Headers`
    /// line: lower-cased, in order, without empty items or anything that is not a header
    /// name. `None` when no name is left.
    pub fn requested_headers(&self) -> Option<String> {
        let mut names = String::new();
        let items = self
            .requested_headers
            .iter()
            .flat_map(|line| line.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|item| !item.is_empty() && item.iter().all(|&b| is_token_byte(b)));
        for item in items {
            if !names.is_empty() {
                names.push_str(", ");
            }
            // Token bytes are ASCII.
            names.extend(item.iter().map(|&b| char::from(b.to_ascii_lowercase())));
        }
        (!names.is_empty()).then_some(names)
    }

    /// Why the request's framing breaks RFC 9112, if it does. Such a request gets a 400 and
    /// its connection is closed, since where its body ends cannot be trusted.
    pub fn framing_error(&self) -> Option<&'static str> {
        if !self.target.bytes().all(is_target_byte) {
            return Some("invalid request target");
        }
        if self.host.count > 1 {
            return Some("more than one Host header");
        }
        match self.host.first {
            None if self.version == HttpVersion::Http11 => {
                return Some("an HTTP/1.1 request needs a Host header");
            }
            Some(host) if !is_valid_host(host) => return Some("invalid Host header"),
            _ => {}
        }
        if self.transfer_encoding.count > 0 {
            if self.content_length.count > 0 {
                return Some("both Content-Length and Transfer-Encoding");
            }
            if self.version == HttpVersion::Http10 {
                return Some("Transfer-Encoding in an HTTP/1.0 request");
            }
            let chunked = self
                .transfer_encoding
                .single()
                .is_some_and(|coding| coding.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            if !chunked {
                return Some("the only transfer coding accepted is chunked");
            }
        }
        if self.content_length.count > 1 {
            return Some("more than one Content-Length header");
        }
        if let Some(length) = self.content_length.first
            && (length.is_empty() || !length.iter().all(u8::is_ascii_digit))
        {
            return Some("invalid Content-Length header");
        }
        // RFC 1945 §7.2.2: an HTTP/1.0 POST's body ends where its Content-Length says.
        if self.version == HttpVersion::Http10
            && self.method == "POST"
            && self.content_length.count == 0
        {
            return Some("an HTTP/1.0 POST needs a Content-Length header");
        }
        None
    }
}

/// The bytes of a request target every engine accepts: visible ASCII but those RFC 3986 never
/// allows unescaped (quote, angle brackets, backslash, caret, backtick, braces, pipe).
fn is_target_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&byte)
}

/// `tchar` of RFC 9110: the bytes of a header name or method.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2); empty is allowed.
fn is_valid_host(value: &[u8]) -> bool {
    let (host, port) = if value.first() == Some(&b'[') {
        // An IP literal: `[...]`, then an optional port.
        match value.iter().position(|&b| b == b']') {
            Some(end) => {
                let literal = &value[1..end];
                if !literal
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b":.vV".contains(&b))
                {
                    return false;
                }
                (&b""[..], &value[end + 1..])
            }
            None => return false,
        }
    } else {
        match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &b""[..]),
        }
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    port_ok
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte, by its class: exactly RFC 3986's characters (unreserved, gen-delims,
    /// sub-delims, and `%` for escapes) may appear in a target; controls, space, DEL,
    /// non-ASCII and the nine visible characters RFC 3986 never allows unescaped may not.
    /// Derived from the RFC's classes, not from the rule's own list, so that any byte added
    /// to or dropped from the rule fails here.
    #[test]
    fn target_bytes_are_exactly_rfc_3986s() {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let gen_delims = |b: u8| b":/?#[]@".contains(&b);
        let sub_delims = |b: u8| b"!$&'()*+,;=".contains(&b);
        for byte in 0..=u8::MAX {
            let allowed = unreserved(byte) || gen_delims(byte) || sub_delims(byte) || byte == b'%';
            assert_eq!(
                is_target_byte(byte),
                allowed,
                "byte {byte:#04x} ({:?})",
                byte as char
            );
        }
        // The classes the rule refuses, each by name.
        for refused in [0x00, 0x1f, b' ', 0x7f, 0x80, 0xff] {
            assert!(!is_target_byte(refused), "{refused:#04x}");
        }
        for refused in *b"\"<>\\^`{|}" {
            assert!(!is_target_byte(refused), "{:?}", refused as char);
        }
    }

    fn head<'a>(version: HttpVersion, headers: &[(&'a str, &'a str)]) -> RequestHead<'a> {
        RequestHead::new(
            "POST",
            "/token",
            version,
            headers.iter().map(|(n, v)| (*n, v.as_bytes())),
        )
    }

    #[test]
    fn framing_rules() {
        use HttpVersion::*;
        type Headers<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(HttpVersion, Headers<'_>, bool)] = &[
            (Http11, &[("host", "a")], true),
            (Http11, &[("host", "")], true),
            (Http11, &[("host", "127.0.0.1:6080")], true),
            (Http11, &[("host", "[::1]:6080")], true),
            (Http11, &[("host", "xn--bcher-kva.example")], true),
            (Http10, &[("content-length", "0")], true),
            (Http10, &[], false),
            (Http11, &[], false),
            (Http11, &[("host", "a"), ("host", "a")], false),
            (Http10, &[("host", "a"), ("Host", "b")], false),
            (Http11, &[("host", "a b")], false),
            (Http11, &[("host", "a/b")], false),
            (Http11, &[("host", "a:x")], false),
            (Http11, &[("host", "[::1")], false),
            (Http11, &[("host", "a"), ("content-length", "5")], true),
            (
                Http11,
                &[
                    ("host", "a"),
                    ("content-length", "5"),
                    ("content-length", "5"),
                ],
                false,
            ),
            (Http11, &[("host", "a"), ("content-length", "-1")], false),
            (Http11, &[("host", "a"), ("content-length", "")], false),
            (
                Http11,
                &[("host", "a"), ("transfer-encoding", "chunked")],
                true,
            ),
            (
                Http11,
                &[("host", "a"), ("transfer-encoding", "Chunked")],
                true,
            ),
            (Http10, &[("transfer-encoding", "chunked")], false),
            (
                Http11,
                &[("host", "a"), ("transfer-encoding", "gzip, chunked")],
                false,
            ),
            (
                Http11,
                &[("host", "a"), ("transfer-encoding", "gzip")],
                false,
            ),
            (
                Http11,
                &[
                    ("host", "a"),
                    ("transfer-encoding", "chunked"),
                    ("transfer-encoding", "chunked"),
                ],
                false,
            ),
            (
                Http11,
                &[
                    ("host", "a"),
                    ("transfer-encoding", "chunked"),
                    ("content-length", "3"),
                ],
                false,
            ),
        ];
        for (version, headers, ok) in cases {
            let error = head(*version, headers).framing_error();
            assert_eq!(error.is_none(), *ok, "{version:?} {headers:?}: {error:?}");
        }
    }

    #[test]
    fn requested_headers_are_normalised_names() {
        let requested = |lines: &[&str]| {
            let headers: Vec<_> = lines
                .iter()
                .map(|v| ("access-control-request-headers", *v))
                .collect();
            head(HttpVersion::Http11, &headers).requested_headers()
        };
        assert_eq!(
            requested(&["Content-Type, X-Custom"]),
            Some("content-type, x-custom".to_owned())
        );
        assert_eq!(
            requested(&["content-type", " authorization ,,"]),
            Some("content-type, authorization".to_owned())
        );
        assert_eq!(requested(&[""]), None);
        assert_eq!(requested(&[" , "]), None);
        assert_eq!(requested(&["a b, c"]), Some("c".to_owned()));
        assert_eq!(requested(&[]), None);
    }

    #[test]
    fn repeated_headers_are_not_single() {
        let head = head(
            HttpVersion::Http11,
            &[
                ("content-type", "application/json"),
                ("Content-Type", "text/plain"),
            ],
        );
        assert_eq!(head.content_type(), None);
        assert!(!head.has_authorization());
    }
}
