//! The one judge of the production cases: an answer against what its case expects. It only
//! reads what the case states and what the server answered; sending is elsewhere.

use reqwest::header::HeaderMap;

use super::case::{Body, CallerRequest, Expected, Over, TokenEndpoint};
use super::credentials::{long_identity, long_room};
use super::exchange::Answer;
use super::{ALLOWED_ORIGIN, DEV_API_SECRET, LIVEKIT_NAME_LIMIT, OTHER_ORIGIN};
use crate::case::Finding;
use crate::harm::Defect;
use crate::identity_provider::CALLER;
use crate::judge::decode_segment;

/// Findings for `got`, the answer to `request`, which the case expects to be `expect`;
/// `defect` is the case's own, what serving a request it expects refused shows.
pub(super) fn judge(
    request: &CallerRequest,
    expect: Expected,
    defect: Defect,
    got: &Answer,
) -> Vec<Finding> {
    let (endpoint, token_sent, named) = match *request {
        CallerRequest::Post {
            endpoint,
            credential,
            body,
            ..
        } => {
            let named = match body {
                Body::StandardAs(identity) => identity,
                _ => CALLER,
            };
            (endpoint, credential.bearer_token(), named)
        }
        CallerRequest::Preflight { .. } => (TokenEndpoint::Tutorial, false, CALLER),
    };
    match expect {
        Expected::Admitted(status) => admitted(got, status, endpoint.token(got)),
        Expected::AdmittedWithinLeeway if !(200..300).contains(&got.status) => {
            vec![Finding::new(
                Defect::OtherStatus,
                format!("{} for a token within the default leeway", got.status),
            )]
        }
        Expected::AdmittedWithinLeeway => Vec::new(),
        Expected::Refused => refused(got, token_sent, defect),
        Expected::NotImpersonated => not_impersonated(got, endpoint, named),
        Expected::NotMinted { status, over } => not_minted(got, endpoint, status, over, defect),
        Expected::NamesAllowedOrigin => names_allowed_origin(got),
        Expected::NamesNoOtherOrigin => names_no_other_origin(got),
        Expected::PreflightAllowed => preflight_allowed(got),
        Expected::PreflightRefused => preflight_refused(got),
    }
}

/// Findings for an answer that must admit the caller with `status` and a token for it.
pub(super) fn admitted(got: &Answer, status: u16, token: Option<String>) -> Vec<Finding> {
    if got.status >= 500 {
        return vec![server_error(got.status)];
    }
    if !(200..300).contains(&got.status) {
        return vec![Finding::new(
            Defect::RefusesClientRequest,
            format!(
                "{} for a valid caller: {}",
                got.status,
                got.body.chars().take(120).collect::<String>()
            ),
        )];
    }
    let mut findings = Vec::new();
    if got.status != status {
        findings.push(Finding::new(
            Defect::OtherStatus,
            format!("{} instead of {status}", got.status),
        ));
    }
    let sub = token
        .and_then(|token| decode_segment(&token, 1).ok())
        .map(|claims| claims["sub"].clone());
    match sub {
        Some(sub) if sub == CALLER => {}
        Some(sub) => findings.push(Finding::new(
            Defect::WrongIdentityOrRoom,
            format!("the token's sub is {sub}, not the caller's {CALLER:?}"),
        )),
        None => findings.push(Finding::new(
            Defect::UnreadableAnswer,
            "no readable token in the answer",
        )),
    }
    findings
}

/// Findings for an answer that must refuse with 401 and a `Bearer` challenge.
pub(super) fn refused(got: &Answer, token_sent: bool, defect: Defect) -> Vec<Finding> {
    if (200..300).contains(&got.status) {
        // What serving it lets an attacker do is the case's to say: a forged token's caller
        // is not authenticated; an oversized one's is.
        let what = match defect {
            Defect::CallerForgery => "a token for a caller who is not authenticated",
            _ => "served, where the contract refuses",
        };
        return vec![Finding::new(defect, format!("{}: {what}", got.status))];
    }
    if got.status >= 500 {
        return vec![server_error(got.status)];
    }
    if got.status != 401 {
        return vec![Finding::new(
            Defect::OtherStatus,
            format!("{} instead of 401", got.status),
        )];
    }
    let challenge = got.header("www-authenticate").unwrap_or_default();
    let bearer = challenge
        .get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer"));
    if !bearer {
        vec![Finding::new(
            Defect::NoChallenge,
            format!("WWW-Authenticate is {challenge:?}, not a Bearer challenge"),
        )]
    } else if token_sent && !challenge.contains("invalid_token") {
        vec![Finding::new(
            Defect::NoChallenge,
            format!("WWW-Authenticate {challenge:?} lacks error=\"invalid_token\""),
        )]
    } else {
        Vec::new()
    }
}

/// Findings for an answer that must refuse with 403 a caller naming `other`'s identity.
fn not_impersonated(got: &Answer, endpoint: TokenEndpoint, other: &str) -> Vec<Finding> {
    let sub = endpoint
        .token(got)
        .and_then(|token| decode_segment(&token, 1).ok())
        .map(|claims| claims["sub"].clone());
    match (got.status, sub) {
        (403, _) => Vec::new(),
        (_, Some(sub)) if sub == other => vec![Finding::new(
            Defect::CallerForgery,
            "a token for another identity than the caller's",
        )],
        (status, _) if status >= 500 => vec![server_error(status)],
        (status, _) => vec![Finding::new(
            Defect::OtherStatus,
            format!("{status} instead of 403"),
        )],
    }
}

/// Findings for an answer that must refuse a name over LiveKit's limit with `status`: a
/// token minted for it is one LiveKit refuses (`defect`, the case's), and one for a
/// shortened name is for someone or somewhere else.
fn not_minted(
    got: &Answer,
    endpoint: TokenEndpoint,
    status: u16,
    over: Over,
    defect: Defect,
) -> Vec<Finding> {
    let (what, claim, asked) = match over {
        Over::Identity => ("identity", "sub", long_identity()),
        Over::Room => ("room name", "video.room", long_room()),
    };
    match got.status {
        code if code == status => Vec::new(),
        200..=299 => {
            let claims = endpoint
                .token(got)
                .and_then(|token| decode_segment(&token, 1).ok());
            let minted = claims.as_ref().and_then(|claims| match over {
                Over::Identity => claims["sub"].as_str(),
                Over::Room => claims["video"]["room"].as_str(),
            });
            match minted {
                Some(minted) if minted != asked => vec![Finding::new(
                    Defect::WrongIdentityOrRoom,
                    format!(
                        "{}: a token whose {claim} is {} bytes, not the {} asked for",
                        got.status,
                        minted.len(),
                        asked.len()
                    ),
                )],
                _ => vec![Finding::new(
                    defect,
                    format!(
                        "{}: a token for a {} byte {what}, over LiveKit's {LIVEKIT_NAME_LIMIT}-byte limit: LiveKit refuses it",
                        got.status,
                        asked.len()
                    ),
                )],
            }
        }
        code @ 500..=599 => vec![server_error(code)],
        code => vec![Finding::new(
            Defect::OtherStatus,
            format!(
                "{code} instead of {status} for a {} byte {what}",
                asked.len()
            ),
        )],
    }
}

/// `*` lets the page read it too (no credentials are involved); naming other origins is the
/// other case's concern.
fn names_allowed_origin(got: &Answer) -> Vec<Finding> {
    let mut findings = Vec::new();
    let named = got.header("access-control-allow-origin");
    if named != Some(ALLOWED_ORIGIN) && named != Some("*") {
        findings.push(Finding::new(
            Defect::CorsBlocked,
            format!("Access-Control-Allow-Origin is {named:?}"),
        ));
    }
    if !varies_by_origin(&got.headers) {
        findings.push(Finding::new(
            Defect::HttpDetails,
            "no Vary: Origin: a cache may serve one origin's answer to another",
        ));
    }
    findings
}

fn names_no_other_origin(got: &Answer) -> Vec<Finding> {
    got.header("access-control-allow-origin")
        .filter(|named| *named == OTHER_ORIGIN || *named == "*")
        .map(|named| {
            Finding::new(
                Defect::OpenOrigin,
                format!("Access-Control-Allow-Origin: {named} for an origin not allowed"),
            )
        })
        .into_iter()
        .collect()
}

fn preflight_allowed(got: &Answer) -> Vec<Finding> {
    let allows_authorization = got
        .header("access-control-allow-headers")
        .is_some_and(|headers| {
            headers
                .split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("authorization") || name.trim() == "*")
        });
    let named = got.header("access-control-allow-origin");
    if !(200..300).contains(&got.status)
        || (named != Some(ALLOWED_ORIGIN) && named != Some("*"))
        || !allows_authorization
    {
        return vec![Finding::new(
            Defect::CorsBlocked,
            format!(
                "{} with Access-Control-Allow-Origin {named:?} and -Headers {:?}",
                got.status,
                got.header("access-control-allow-headers")
            ),
        )];
    }
    Vec::new()
}

fn preflight_refused(got: &Answer) -> Vec<Finding> {
    let named = got.header("access-control-allow-origin");
    if named == Some(OTHER_ORIGIN) || named == Some("*") {
        vec![Finding::new(
            Defect::OpenOrigin,
            format!("the preflight from another origin is allowed ({named:?})"),
        )]
    } else if got.status != 403 {
        vec![Finding::new(
            Defect::OtherStatus,
            format!("{} instead of 403", got.status),
        )]
    } else {
        Vec::new()
    }
}

/// Whether `jwt` verifies with LiveKit's development secret (HS256, as LiveKit signs), its
/// claims aside.
pub(super) fn signed_with_dev_secret(jwt: &str) -> bool {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let key = jsonwebtoken::DecodingKey::from_secret(DEV_API_SECRET.as_bytes());
    jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation).is_ok()
}

/// A 5xx: always a MUST-level finding.
pub(super) fn server_error(status: u16) -> Finding {
    Finding::new(
        Defect::ServerError,
        format!("{status} for a caller's request"),
    )
}

fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers.get_all("vary").iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("origin") || name.trim() == "*")
        })
    })
}

#[cfg(test)]
mod tests;
