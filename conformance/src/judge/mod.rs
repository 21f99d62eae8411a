//! Judging one response against a case's expectations. Everything the contract leaves free
//! is accepted: 200 or 204 for a preflight, `*` or an echoed origin, any wording of an error
//! message except the fixed one, extra JWT claims such as `iat` or `jti`.
//!
//! This file judges the status, the headers and the body's shape; the tokens a body carries
//! are judged in `token.rs`.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::case::{BodyRule, Credentials, Expect, Finding, HeaderRule, Level, ORIGIN, StatusRule};
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

/// Whether content types are judged: a body is judged twice, so that a response whose only
/// fault is its content type gets that fault's level, not the body's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Types {
    Strict,
    Lenient,
}

/// Every way the response falls short of `expect`, each with its level; empty when it meets
/// it.
pub fn judge(expect: &Expect, observed: &Observed, server: &ServerUnderTest) -> Vec<Finding> {
    let mut findings = Vec::new();
    match expect.status {
        StatusRule::Is(status) | StatusRule::Documented(status) if observed.status != status => {
            findings.push(Finding::new(
                expect.status.level(),
                format!("status {} (expected {status})", observed.status),
            ));
        }
        StatusRule::Success if !(200..300).contains(&observed.status) => {
            findings.push(Finding::new(
                Level::Must,
                format!("status {} (expected 2xx)", observed.status),
            ));
        }
        _ => {}
    }
    for rule in expect.headers {
        if let Err(reason) = judge_header(*rule, &observed.headers) {
            findings.push(Finding::new(rule.level(), reason));
        }
    }
    if let Err(strict) = judge_body(expect.body, observed, server, Types::Strict) {
        let level = match judge_body(expect.body, observed, server, Types::Lenient) {
            Ok(()) => expect.body.content_type_level(server.format),
            Err(_) => expect.body.level(server.format),
        };
        findings.push(Finding::new(level, strict));
    }
    findings
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

fn judge_header(rule: HeaderRule, headers: &HeaderMap) -> Result<(), String> {
    match rule {
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
                    Err("Access-Control-Allow-Origin echoes the origin without Vary: Origin".into())
                }
            }
            Some(other) => Err(format!("Access-Control-Allow-Origin is {other:?}")),
            None => Err("no Access-Control-Allow-Origin header".into()),
        },
        HeaderRule::AllowsMethod(method) => {
            let methods = header_list(headers, "access-control-allow-methods");
            if methods.iter().any(|m| m == method || m == "*") {
                Ok(())
            } else {
                Err(format!(
                    "Access-Control-Allow-Methods {methods:?} lacks {method}"
                ))
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
                Err(format!(
                    "Access-Control-Allow-Headers {allowed:?} does not permit {missing:?}"
                ))
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
                Err(format!("Allow header {allow:?} lacks {method}"))
            }
        }
    }
}

/// Checks the content type's media type and, when given, its charset.
fn judge_content_type(
    types: Types,
    headers: &HeaderMap,
    essence: &str,
    charset: Option<&str>,
) -> Result<(), String> {
    if types == Types::Lenient {
        return Ok(());
    }
    let Some(raw) = header(headers, "content-type") else {
        return Err(format!("no Content-Type (expected {essence})"));
    };
    let Ok(mime) = raw.parse::<mime::Mime>() else {
        return Err(format!("unparsable Content-Type {raw:?}"));
    };
    if !mime.essence_str().eq_ignore_ascii_case(essence) {
        return Err(format!("Content-Type {raw:?} (expected {essence})"));
    }
    if let Some(charset) = charset {
        let actual = mime.get_param(mime::CHARSET).map(|c| c.as_str().to_owned());
        if !actual.is_some_and(|c| c.eq_ignore_ascii_case(charset)) {
            return Err(format!("Content-Type {raw:?} lacks charset={charset}"));
        }
    }
    Ok(())
}

fn judge_body(
    rule: BodyRule,
    observed: &Observed,
    server: &ServerUnderTest,
    types: Types,
) -> Result<(), String> {
    match rule {
        BodyRule::Any => Ok(()),
        BodyRule::Token { room, identity } => {
            let jwt = success_payload(observed, server.format, types)?;
            judge_token(&jwt, room, identity, server)
        }
        BodyRule::ErrorMessage(expected) => {
            let message = error_message(observed, server.format, types)?;
            if message == expected {
                Ok(())
            } else {
                Err(format!(
                    "error message {message:?} (expected exactly {expected:?})"
                ))
            }
        }
        BodyRule::ErrorLine => error_message(observed, server.format, types).map(drop),
        BodyRule::Acknowledged => match server.format {
            ResponseFormat::Text => exact_text(observed, "ok", types),
            ResponseFormat::Json => {
                judge_content_type(types, &observed.headers, "application/json", None)?;
                match serde_json::from_slice::<Value>(&observed.body) {
                    Ok(body) if body == serde_json::json!({"status": "ok"}) => Ok(()),
                    _ => Err(format!(
                        "body {} (expected {{\"status\":\"ok\"}})",
                        shorten(&String::from_utf8_lossy(&observed.body))
                    )),
                }
            }
        },
        BodyRule::PlainText(expected) => exact_text(observed, expected, types),
        BodyRule::Credentials(expected) => judge_credentials(expected, observed, server, types),
        BodyRule::JsonErrorNaming(field) => {
            let message = error_message(observed, ResponseFormat::Json, types)?;
            if message.contains(field) {
                Ok(())
            } else {
                Err(format!("error message {message:?} does not name {field}"))
            }
        }
    }
}

/// Judges the standard endpoint's answer: the exact snake_case keys, the configured
/// `server_url`, and a token carrying what was asked (or generated names).
fn judge_credentials(
    expected: &Credentials,
    observed: &Observed,
    server: &ServerUnderTest,
    types: Types,
) -> Result<(), String> {
    judge_content_type(types, &observed.headers, "application/json", None)?;
    let text = String::from_utf8_lossy(&observed.body);
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&text) else {
        return Err(format!("body {} is not a JSON object", shorten(&text)));
    };
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["participant_token", "server_url"] {
        return Err(format!(
            "keys {keys:?} (expected exactly participant_token and server_url)"
        ));
    }
    if body["server_url"] != server.livekit_url.as_str() {
        return Err(format!(
            "server_url is {} (expected {:?})",
            body["server_url"], server.livekit_url
        ));
    }
    let Some(jwt) = body["participant_token"].as_str() else {
        return Err("participant_token is not a string".to_owned());
    };
    token::judge_endpoint_token(jwt, expected, server)
}

/// A `text/plain; charset=utf-8` body of exactly `expected` (a trailing newline aside).
fn exact_text(observed: &Observed, expected: &str, types: Types) -> Result<(), String> {
    judge_content_type(types, &observed.headers, "text/plain", Some("utf-8"))?;
    let text = String::from_utf8_lossy(&observed.body);
    if text.strip_suffix('\n').unwrap_or(&text) == expected {
        Ok(())
    } else {
        Err(format!("body {} (expected {expected:?})", shorten(&text)))
    }
}

/// The JWT of a success response, checking the format's content type and shape.
fn success_payload(
    observed: &Observed,
    format: ResponseFormat,
    types: Types,
) -> Result<String, String> {
    let text = std::str::from_utf8(&observed.body).map_err(|_| "body is not UTF-8".to_owned())?;
    match format {
        ResponseFormat::Text => {
            judge_content_type(types, &observed.headers, "text/plain", Some("utf-8"))?;
            Ok(text.to_owned())
        }
        ResponseFormat::Json => {
            judge_content_type(types, &observed.headers, "application/json", None)?;
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(fields)) => match fields.get("token") {
                    Some(Value::String(token)) => Ok(token.clone()),
                    _ => Err(format!("body {text:?} has no string \"token\"")),
                },
                _ => Err(format!("body {text:?} is not a JSON object")),
            }
        }
    }
}

/// The message of an error response: one line of text, or `{"errorMessage": ...}` in JSON.
fn error_message(
    observed: &Observed,
    format: ResponseFormat,
    types: Types,
) -> Result<String, String> {
    let text = std::str::from_utf8(&observed.body).map_err(|_| "body is not UTF-8".to_owned())?;
    let message = match format {
        ResponseFormat::Text => {
            judge_content_type(types, &observed.headers, "text/plain", Some("utf-8"))?;
            // A single trailing newline is still one line.
            text.strip_suffix('\n').unwrap_or(text).to_owned()
        }
        ResponseFormat::Json => {
            judge_content_type(types, &observed.headers, "application/json", None)?;
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(fields)) => match fields.get("errorMessage") {
                    Some(Value::String(message)) => message.clone(),
                    _ => return Err(format!("body {text:?} has no string \"errorMessage\"")),
                },
                _ => return Err(format!("body {text:?} is not a JSON object")),
            }
        }
    };
    if message.trim().is_empty() {
        Err("error message is empty".into())
    } else if message.contains('\n') {
        Err(format!(
            "error message spans several lines: {}",
            shorten(&message)
        ))
    } else if message.trim_start().starts_with('<') {
        Err(format!(
            "error message looks like HTML: {}",
            shorten(&message)
        ))
    } else {
        Ok(message)
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    format!("{short:?}")
}
