//! Judging one response against a case's expectations. Everything the contract leaves free
//! is accepted: 200 or 204 for a preflight, `*` or an echoed origin, any wording of an error
//! message except the fixed one, extra JWT claims such as `iat` or `jti`.
//!
//! This file judges the status, the headers and the body's shape; the tokens a body carries
//! are judged in `token.rs`.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::case::{BodyRule, Credentials, Expect, Finding, HeaderRule, ORIGIN, StatusRule};
use crate::harm::{Defect, Stakes};
use crate::server_under_test::{ResponseFormat, ServerUnderTest};

mod token;

pub use token::{decode_segment, judge_token};

/// A response as received.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Status code.
    pub status: u16,
    /// All headers.
    pub headers: HeaderMap,
    /// The body's bytes.
    pub body: Vec<u8>,
}

/// Every way the response falls short of `expect`, each naming the defect it shows; empty
/// when it meets it. `stakes` says who the request and the answer matter to.
pub fn judge(
    expect: &Expect,
    stakes: Stakes,
    observed: &Observed,
    server: &ServerUnderTest,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let status = judge_status(expect.status, stakes, observed.status);
    // A body is judged only against the class of answer it came in: the status finding
    // already says what a token instead of an error (or the reverse) means.
    let same_class = status
        .as_ref()
        .is_none_or(|finding| finding.defect == Defect::OtherStatus);
    findings.extend(status);
    for rule in expect.headers {
        match judge_header(*rule, &observed.headers) {
            Ok(()) => {}
            Err(HeaderMiss::Blocks(reason)) => {
                findings.push(Finding::new(rule.defect(stakes), reason))
            }
            Err(HeaderMiss::Detail(reason)) => {
                findings.push(Finding::new(Defect::CorsExtras, reason))
            }
        }
    }
    if same_class {
        findings.extend(judge_body(expect.body, stakes, observed, server));
    }
    findings
}

/// What the status shows, if it is not the one asked for.
fn judge_status(rule: StatusRule, stakes: Stakes, status: u16) -> Option<Finding> {
    let expected = match rule {
        StatusRule::Is(code) | StatusRule::Documented(code) if code == status => return None,
        StatusRule::Success if (200..300).contains(&status) => return None,
        StatusRule::Is(code) | StatusRule::Documented(code) => code.to_string(),
        StatusRule::Success => "2xx".to_owned(),
    };
    let wants_success = rule.wants_success();
    let defect = match status {
        500..=599 => Defect::ServerError,
        200..=299 if wants_success => Defect::OtherStatus,
        200..=299 => stakes.if_served,
        _ if wants_success => stakes.if_refused,
        _ => Defect::OtherStatus,
    };
    Some(Finding::new(
        defect,
        format!("status {status} (expected {expected})"),
    ))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// All comma-separated items of every instance of a header, trimmed.
fn header_list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// How a header misses its rule.
enum HeaderMiss {
    /// As the rule says: what the rule's defect is about.
    Blocks(String),
    /// A CORS detail no browser blocks on: the origin echoed without `Vary` (a shared
    /// cache could serve it to another origin), a safelisted method not listed.
    Detail(String),
}

impl From<String> for HeaderMiss {
    fn from(reason: String) -> Self {
        Self::Blocks(reason)
    }
}

impl From<&str> for HeaderMiss {
    fn from(reason: &str) -> Self {
        Self::Blocks(reason.to_owned())
    }
}

/// Methods a browser sends after a preflight whether or not `Access-Control-Allow-Methods`
/// lists them (Fetch standard, CORS-safelisted methods).
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

fn judge_header(rule: HeaderRule, headers: &HeaderMap) -> Result<(), HeaderMiss> {
    match rule {
        HeaderRule::AllowsAnyOrigin
            if headers
                .get_all("access-control-allow-origin")
                .iter()
                .count()
                > 1 =>
        {
            Err("Access-Control-Allow-Origin is sent more than once: browsers refuse that".into())
        }
        HeaderRule::AllowsAnyOrigin => match header(headers, "access-control-allow-origin") {
            Some("*") => Ok(()),
            Some(ORIGIN) => {
                let vary = header_list(headers, "vary");
                if vary
                    .iter()
                    .any(|v| v == "*" || v.eq_ignore_ascii_case("origin"))
                {
                    Ok(())
                } else {
                    Err(HeaderMiss::Detail(
                        "Access-Control-Allow-Origin echoes the origin without Vary: Origin".into(),
                    ))
                }
            }
            Some(other) => Err(format!("Access-Control-Allow-Origin is {other:?}").into()),
            None => Err("no Access-Control-Allow-Origin header".into()),
        },
        HeaderRule::AllowsMethod(method) => {
            let methods = header_list(headers, "access-control-allow-methods");
            let reason = format!("Access-Control-Allow-Methods {methods:?} lacks {method}");
            if methods.iter().any(|m| m == method || m == "*") {
                Ok(())
            } else if SAFELISTED_METHODS.contains(&method) {
                Err(HeaderMiss::Detail(reason))
            } else {
                Err(HeaderMiss::Blocks(reason))
            }
        }
        HeaderRule::AllowsHeaders(requested) => {
            let allowed = header_list(headers, "access-control-allow-headers");
            // `*` covers every header but Authorization (Fetch standard, CORS-safelisting).
            let wildcard = allowed.iter().any(|h| h == "*");
            let missing: Vec<&str> = requested
                .split(',')
                .map(str::trim)
                .filter(|want| {
                    let listed = allowed.iter().any(|h| h.eq_ignore_ascii_case(want));
                    !(listed || wildcard && !want.eq_ignore_ascii_case("authorization"))
                })
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(
                    format!("Access-Control-Allow-Headers {allowed:?} does not permit {missing:?}")
                        .into(),
                )
            }
        }
        HeaderRule::HasMaxAge => match header(headers, "access-control-max-age")
            .map(|value| value.trim().parse::<u64>())
        {
            Some(Ok(seconds)) if seconds > 0 => Ok(()),
            Some(_) => Err("Access-Control-Max-Age is not a positive number".into()),
            None => Err("no Access-Control-Max-Age header".into()),
        },
        HeaderRule::AllowHeaderLists(method) => {
            let allow = header_list(headers, "allow");
            if allow.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                Ok(())
            } else {
                Err(format!("Allow header {allow:?} lacks {method}").into())
            }
        }
    }
}

/// A finding of style when the content type's media type is not `essence` (or lacks
/// `charset`): clients read the body whatever the header says (`response.json()` and
/// `response.text()` ignore it).
fn content_type(headers: &HeaderMap, essence: &str, charset: Option<&str>) -> Option<Finding> {
    let style = |reason: String| Some(Finding::new(Defect::BodyStyle, reason));
    let Some(raw) = header(headers, "content-type") else {
        return style(format!("no Content-Type (expected {essence})"));
    };
    let Ok(mime) = raw.parse::<mime::Mime>() else {
        return style(format!("unparsable Content-Type {raw:?}"));
    };
    if !mime.essence_str().eq_ignore_ascii_case(essence) {
        return style(format!("Content-Type {raw:?} (expected {essence})"));
    }
    if let Some(charset) = charset {
        let actual = mime.get_param(mime::CHARSET).map(|c| c.as_str().to_owned());
        if !actual.is_some_and(|c| c.eq_ignore_ascii_case(charset)) {
            return style(format!("Content-Type {raw:?} lacks charset={charset}"));
        }
    }
    None
}

/// What a body that cannot be read shows: a MUST where an official client reads it.
fn unreadable(stakes: Stakes) -> Defect {
    if stakes.read_by_clients {
        Defect::UnreadableAnswer
    } else {
        Defect::BodyStyle
    }
}

fn judge_body(
    rule: BodyRule,
    stakes: Stakes,
    observed: &Observed,
    server: &ServerUnderTest,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match rule {
        BodyRule::Any => {}
        BodyRule::Token { room, identity } => {
            match success_payload(observed, server.format, stakes, &mut findings) {
                Ok(jwt) => findings.extend(judge_token(&jwt, room, identity, server)),
                Err(unreadable) => findings.push(unreadable),
            }
        }
        BodyRule::ErrorMessage(expected) => {
            match error_message(observed, server.format, stakes, &mut findings) {
                Ok(message) if message != expected => findings.push(Finding::new(
                    Defect::MessageWording,
                    format!("error message {message:?} (expected exactly {expected:?})"),
                )),
                Ok(_) => {}
                Err(unreadable) => findings.push(unreadable),
            }
        }
        BodyRule::ErrorLine => {
            if let Err(unreadable) = error_message(observed, server.format, stakes, &mut findings) {
                findings.push(unreadable);
            }
        }
        BodyRule::JsonErrorNaming(field) => {
            match error_message(observed, ResponseFormat::Json, stakes, &mut findings) {
                Ok(message) if !message.contains(field) => findings.push(Finding::new(
                    Defect::MessageWording,
                    format!("error message {message:?} does not name {field}"),
                )),
                Ok(_) => {}
                Err(unreadable) => findings.push(unreadable),
            }
        }
        BodyRule::Acknowledged => match server.format {
            ResponseFormat::Text => findings.extend(exact_text(observed, "ok")),
            ResponseFormat::Json => {
                findings.extend(content_type(&observed.headers, "application/json", None));
                if serde_json::from_slice::<Value>(&observed.body).ok()
                    != Some(serde_json::json!({"status": "ok"}))
                {
                    findings.push(Finding::new(
                        Defect::BodyStyle,
                        format!(
                            "body {} (expected {{\"status\":\"ok\"}})",
                            shorten(&String::from_utf8_lossy(&observed.body))
                        ),
                    ));
                }
            }
        },
        BodyRule::PlainText(expected) => findings.extend(exact_text(observed, expected)),
        BodyRule::Credentials(expected) => {
            findings.extend(judge_credentials(expected, observed, server));
        }
        BodyRule::ServerUrlScheme => findings.extend(server_url_scheme(observed)),
    }
    findings
}

/// The schemes LiveKit's clients connect with (livekit-client turns http into ws).
const SERVER_URL_SCHEMES: [&str; 4] = ["ws", "wss", "http", "https"];

/// A finding when the answer's `server_url` is not a URL of one of
/// [`SERVER_URL_SCHEMES`] with a host; an answer without one is left to the other cases.
fn server_url_scheme(observed: &Observed) -> Option<Finding> {
    let body = serde_json::from_slice::<Value>(&observed.body).ok()?;
    let server_url = body.get("server_url")?.as_str()?;
    let usable = reqwest::Url::parse(server_url).is_ok_and(|url| {
        SERVER_URL_SCHEMES.contains(&url.scheme()) && url.host_str().is_some_and(|h| !h.is_empty())
    });
    (!usable).then(|| {
        Finding::new(
            Defect::ServerUrlScheme,
            format!(
                "server_url {server_url:?} is not a {} URL with a host",
                SERVER_URL_SCHEMES.join(", ")
            ),
        )
    })
}

/// Judges the standard endpoint's answer: the snake_case keys LiveKit's SDKs decode, the
/// configured `server_url`, and a token carrying what was asked (or generated names).
fn judge_credentials(
    expected: &Credentials,
    observed: &Observed,
    server: &ServerUnderTest,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = content_type(&observed.headers, "application/json", None)
        .into_iter()
        .collect();
    let text = String::from_utf8_lossy(&observed.body);
    let unreadable = |reason: String| Finding::new(Defect::UnreadableAnswer, reason);
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&text) else {
        findings.push(unreadable(format!(
            "body {} is not a JSON object",
            shorten(&text)
        )));
        return findings;
    };
    let (Some(server_url), Some(jwt)) = (
        body.get("server_url").and_then(Value::as_str),
        body.get("participant_token").and_then(Value::as_str),
    ) else {
        let keys: Vec<&String> = body.keys().collect();
        findings.push(unreadable(format!(
            "keys {keys:?} lack a string server_url and participant_token"
        )));
        return findings;
    };
    if server_url != server.livekit_url {
        findings.push(Finding::new(
            Defect::WrongServerUrl,
            format!(
                "server_url is {server_url:?} (expected {:?})",
                server.livekit_url
            ),
        ));
    }
    findings.extend(token::judge_endpoint_token(jwt, expected, server));
    findings
}

/// A `text/plain; charset=utf-8` body of exactly `expected` (a trailing newline aside).
fn exact_text(observed: &Observed, expected: &str) -> Vec<Finding> {
    let mut findings: Vec<Finding> = content_type(&observed.headers, "text/plain", Some("utf-8"))
        .into_iter()
        .collect();
    let text = String::from_utf8_lossy(&observed.body);
    if text.strip_suffix('\n').unwrap_or(&text) != expected {
        findings.push(Finding::new(
            Defect::BodyStyle,
            format!("body {} (expected {expected:?})", shorten(&text)),
        ));
    }
    findings
}

/// The body as text; a body that is not UTF-8 cannot be read.
fn utf8_body(observed: &Observed, stakes: Stakes) -> Result<&str, Finding> {
    std::str::from_utf8(&observed.body)
        .map_err(|_| Finding::new(unreadable(stakes), "body is not UTF-8"))
}

/// The string `name` of a JSON object body, or why there is none.
fn string_field(text: &str, name: &str) -> Result<String, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => match fields.get(name) {
            Some(Value::String(value)) => Ok(value.clone()),
            _ => Err(format!("body {} has no string {name:?}", shorten(text))),
        },
        _ => Err(format!("body {} is not a JSON object", shorten(text))),
    }
}

/// The JWT of a success response in `format`; a content type of another kind is added to
/// `findings`, a body a client cannot take the token from is the error.
fn success_payload(
    observed: &Observed,
    format: ResponseFormat,
    stakes: Stakes,
    findings: &mut Vec<Finding>,
) -> Result<String, Finding> {
    let unreadable = |reason: String| Finding::new(unreadable(stakes), reason);
    let text = utf8_body(observed, stakes)?;
    match format {
        ResponseFormat::Text => {
            findings.extend(content_type(&observed.headers, "text/plain", Some("utf-8")));
            Ok(text.to_owned())
        }
        ResponseFormat::Json => {
            findings.extend(content_type(&observed.headers, "application/json", None));
            string_field(text, "token").map_err(unreadable)
        }
    }
}

/// The message of an error response: one line of text, or `{"errorMessage": ...}` in JSON.
/// A content type of another kind is added to `findings`; a message a client cannot show is
/// the error.
fn error_message(
    observed: &Observed,
    format: ResponseFormat,
    stakes: Stakes,
    findings: &mut Vec<Finding>,
) -> Result<String, Finding> {
    let unreadable = |reason: String| Finding::new(unreadable(stakes), reason);
    let text = utf8_body(observed, stakes)?;
    let message = match format {
        ResponseFormat::Text => {
            findings.extend(content_type(&observed.headers, "text/plain", Some("utf-8")));
            // A single trailing newline is still one line.
            text.strip_suffix('\n').unwrap_or(text).to_owned()
        }
        ResponseFormat::Json => {
            findings.extend(content_type(&observed.headers, "application/json", None));
            string_field(text, "errorMessage").map_err(unreadable)?
        }
    };
    if message.trim().is_empty() {
        Err(unreadable("error message is empty".into()))
    } else if message.contains('\n') {
        Err(unreadable(format!(
            "error message spans several lines: {}",
            shorten(&message)
        )))
    } else if message.trim_start().starts_with('<') {
        Err(unreadable(format!(
            "error message looks like HTML: {}",
            shorten(&message)
        )))
    } else {
        Ok(message)
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use reqwest::header::{HeaderName, HeaderValue};
    use serde_json::json;

    use super::*;
    use crate::case::Check;
    use crate::cases::CASES;

    const KEY: &str = "APIproperties";
    const SECRET: &str = "properties-secret-0123456789abcdefghij";

    /// Any JSON value, a few levels deep.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-zA-Z]{0,8}", inner, 0..4)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    /// A token signed with the server's secret: valid claims for `room1`/`alice`, some of
    /// them (the grants' too) replaced by any JSON.
    fn token() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            Just("sub"),
            Just("iss"),
            Just("exp"),
            Just("nbf"),
            Just("name"),
            Just("metadata"),
            Just("attributes"),
            Just("roomConfig"),
            Just("sip"),
            Just("video"),
        ];
        let grant = prop_oneof![
            Just("room"),
            Just("roomJoin"),
            Just("roomAdmin"),
            Just("canPublish"),
            Just("canPublishSources"),
            Just("hidden"),
        ];
        (
            proptest::collection::vec((name, json_value()), 0..3),
            proptest::collection::vec((grant, json_value()), 0..3),
        )
            .prop_map(|(claims, grants)| {
                let now = crate::clock::unix_now();
                let mut payload = json!({
                    "iss": KEY, "sub": "alice", "nbf": now, "exp": now + 900,
                    "video": {"room": "room1", "roomJoin": true},
                });
                for (grant, value) in grants {
                    payload["video"][grant] = value;
                }
                for (name, value) in claims {
                    payload[name] = value;
                }
                jsonwebtoken::encode(
                    &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                    &payload,
                    &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
                )
                .unwrap_or_default()
            })
    }

    /// A body as a server might answer: a token bare or in either endpoint's JSON, an error,
    /// any JSON or any bytes.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            token().prop_map(String::into_bytes),
            token().prop_map(|token| json!({"token": token}).to_string().into_bytes()),
            (token(), ".{0,12}").prop_map(|(token, url)| {
                json!({"server_url": url, "participant_token": token})
                    .to_string()
                    .into_bytes()
            }),
            json_value().prop_map(|value| json!({"errorMessage": value}).to_string().into_bytes()),
            json_value().prop_map(|value| value.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ]
    }

    /// Headers the judge reads, with any values a header can carry.
    fn headers() -> impl Strategy<Value = HeaderMap> {
        let name = prop_oneof![
            Just("content-type"),
            Just("access-control-allow-origin"),
            Just("access-control-allow-methods"),
            Just("access-control-allow-headers"),
            Just("access-control-max-age"),
            Just("vary"),
            Just("allow"),
        ];
        let value = prop_oneof![
            "[ -~]{0,24}",
            Just("application/json".to_owned()),
            Just("text/plain; charset=utf-8".to_owned()),
            Just(crate::case::ORIGIN.to_owned()),
        ];
        proptest::collection::vec(
            (
                name,
                prop_oneof![
                    value.prop_map(String::into_bytes),
                    proptest::collection::vec(any::<u8>(), 0..16)
                ],
            ),
            0..6,
        )
        .prop_map(|pairs| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    headers.append(HeaderName::from_static(name), value);
                }
            }
            headers
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Whatever a server answers, every case's judge returns findings, in both formats:
        /// no status, header, body or token makes it panic.
        #[test]
        fn any_answer_is_judged_without_panic(
            status in 100u16..1000,
            headers in headers(),
            body in body(),
        ) {
            let observed = Observed { status, headers, body };
            for format in [ResponseFormat::Text, ResponseFormat::Json] {
                let mut server = ServerUnderTest::new("http://127.0.0.1:1")
                    .with_credentials(KEY, SECRET);
                server.format = format;
                for case in CASES {
                    if let Check::Exchange { expect, .. } = case.check {
                        let _ = judge(&expect, case.stakes, &observed, &server);
                    }
                }
            }
        }

        /// Any text, any segment: decoded, or why not.
        #[test]
        fn any_text_decodes_or_says_why(jwt in "\\PC{0,64}", index in 0usize..5) {
            let _ = decode_segment(&jwt, index);
        }
    }
}
