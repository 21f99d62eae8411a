//! Judging LiveKit tokens as LiveKit does: its own verifier checks the signature, issuer,
//! `exp` and `nbf` and decodes the claims into its own types, and what counts after that is
//! the effective permission: a false, empty or null grant is no grant.

use base64::Engine as _;
use livekit_api::access_token::{Claims, TokenVerifier, VideoGrants};
use serde_json::Value;

use super::shorten;
use crate::case::{Credentials, Finding};
use crate::clock::unix_now;
use crate::error::Causes;
use crate::harm::Defect;
use crate::server_under_test::ServerUnderTest;

/// How far `exp` may be from the request's time plus the configured lifetime, and how old
/// `nbf` may be: LiveKit's own clock-skew allowance.
pub const CLOCK_TOLERANCE_SECONDS: i64 = 60;

/// The findings on a token that should let `identity` join `room` and do nothing more.
pub fn judge_token(
    jwt: &str,
    room: &str,
    identity: &str,
    server: &ServerUnderTest,
) -> Vec<Finding> {
    match verify(jwt, server) {
        Ok(claims) => join_findings(&claims, room, identity, server, false),
        Err(refused) => vec![refused],
    }
}

/// LiveKit's verifier's claims, or why it refuses the token.
fn verify(jwt: &str, server: &ServerUnderTest) -> Result<Claims, Finding> {
    if jwt.trim() != jwt || jwt.split('.').count() != 3 {
        return Err(Finding::new(
            Defect::TokenRefused,
            format!("the token is not exactly a JWT: {}", shorten(jwt)),
        ));
    }
    TokenVerifier::with_api_key(&server.api_key, &server.api_secret)
        .verify(jwt)
        .map_err(|err| {
            Finding::new(
                Defect::TokenRefused,
                format!("LiveKit's verifier refuses the token: {}", Causes(&err)),
            )
        })
}

/// What a verified token shows: whom and where it admits, what else it grants, and how its
/// lifetime compares with the configured one.
fn join_findings(
    claims: &Claims,
    room: &str,
    identity: &str,
    server: &ServerUnderTest,
    room_config_allowed: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if claims.sub.is_empty() {
        findings.push(Finding::new(
            Defect::TokenRefused,
            "the token has no identity (sub): LiveKit refuses it for joining",
        ));
    } else if claims.sub != identity {
        findings.push(Finding::new(
            Defect::WrongIdentityOrRoom,
            format!("identity (sub) is {:?} (expected {identity:?})", claims.sub),
        ));
    }
    if claims.video.room != room {
        findings.push(Finding::new(
            Defect::WrongIdentityOrRoom,
            format!("video.room is {:?} (expected {room:?})", claims.video.room),
        ));
    }
    if !claims.video.room_join {
        findings.push(Finding::new(
            Defect::TokenRefused,
            "video.roomJoin is not granted: the token joins no room",
        ));
    }
    let excess = excess_grants(claims, room_config_allowed);
    if !excess.is_empty() {
        findings.push(Finding::new(
            Defect::ExcessGrants,
            format!("grants beyond joining: {}", excess.join(", ")),
        ));
    }
    let now = unix_now();
    let exp = i64::try_from(claims.exp).unwrap_or(i64::MAX);
    let nbf = i64::try_from(claims.nbf).unwrap_or(i64::MAX);
    let lifetime = exp.saturating_sub(now);
    if (lifetime - i64::from(server.ttl_seconds)).abs() > CLOCK_TOLERANCE_SECONDS {
        findings.push(Finding::new(
            Defect::TokenStyle,
            format!(
                "expires in {lifetime} s (the configured lifetime is {} s)",
                server.ttl_seconds
            ),
        ));
    }
    if now.saturating_sub(nbf) > CLOCK_TOLERANCE_SECONDS {
        findings.push(Finding::new(
            Defect::TokenStyle,
            format!("nbf is {} s before the request", now.saturating_sub(nbf)),
        ));
    }
    findings
}

/// Every grant beyond joining one room: what is left when the join grants are set aside.
fn excess_grants(claims: &Claims, room_config_allowed: bool) -> Vec<String> {
    let join_only = VideoGrants {
        room_join: claims.video.room_join,
        room: claims.video.room.clone(),
        can_publish: claims.video.can_publish,
        can_subscribe: claims.video.can_subscribe,
        can_publish_data: claims.video.can_publish_data,
        can_publish_sources: claims.video.can_publish_sources.clone(),
        can_update_own_metadata: claims.video.can_update_own_metadata,
        ..VideoGrants::default()
    };
    let mut excess = Vec::new();
    if claims.video != join_only {
        excess.push(format!("video {:?}", without_join(&claims.video)));
    }
    let defaults = Claims::default();
    let others = [
        ("sip", claims.sip != defaults.sip),
        ("agent", claims.agent != defaults.agent),
        (
            "agentEndpoint",
            claims.agent_endpoint != defaults.agent_endpoint,
        ),
        ("agentThread", claims.agent_thread != defaults.agent_thread),
        ("inference", claims.inference != defaults.inference),
        (
            "observability",
            claims.observability != defaults.observability,
        ),
        // An empty roomConfig (`{}`, or no agents), as LiveKit's encoders mirror an empty
        // room_config, configures nothing.
        (
            "roomConfig",
            claims
                .room_config
                .as_ref()
                .is_some_and(|config| *config != Default::default())
                && !room_config_allowed,
        ),
    ];
    excess.extend(
        others
            .iter()
            .filter(|(_, granted)| *granted)
            .map(|(name, _)| (*name).to_owned()),
    );
    excess
}

/// The video grants with the join grants cleared, to show what else is there.
fn without_join(video: &VideoGrants) -> VideoGrants {
    VideoGrants {
        room_join: false,
        room: String::new(),
        can_publish: None,
        can_subscribe: None,
        can_publish_data: None,
        can_publish_sources: Vec::new(),
        can_update_own_metadata: None,
        ..video.clone()
    }
}

/// Judges the standard endpoint's token: a join token for the room and identity asked for
/// (or generated names) that carries the name, metadata, attributes and agent asked for.
pub(super) fn judge_endpoint_token(
    jwt: &str,
    expected: &Credentials,
    server: &ServerUnderTest,
) -> Vec<Finding> {
    let claims = match verify(jwt, server) {
        Ok(claims) => claims,
        Err(refused) => return vec![refused],
    };
    let mut findings = Vec::new();
    let mut generated = |value: &str, prefix: &str, what: &str| {
        if !value.is_empty() && !value.starts_with(prefix) {
            findings.push(Finding::new(
                Defect::TokenStyle,
                format!("generated {what} {value:?} is not {prefix}..."),
            ));
        }
    };
    if expected.room.is_none() {
        generated(&claims.video.room, "room-", "room");
    }
    if expected.identity.is_none() {
        generated(&claims.sub, "participant-", "identity");
    }
    let room = expected.room.unwrap_or(&claims.video.room);
    let identity = expected.identity.unwrap_or(&claims.sub);
    findings.extend(join_findings(
        &claims,
        room,
        identity,
        server,
        expected.agent.is_some(),
    ));
    let mut dropped = Vec::new();
    for (name, actual, wanted) in [
        ("name", &claims.name, expected.name),
        ("metadata", &claims.metadata, expected.metadata),
    ] {
        if actual != wanted.unwrap_or_default() {
            dropped.push(format!("{name} is {actual:?} (expected {wanted:?})"));
        }
    }
    let attributes_match = claims.attributes.len() == expected.attributes.len()
        && expected
            .attributes
            .iter()
            .all(|(key, value)| claims.attributes.get(*key).map(String::as_str) == Some(*value));
    if !attributes_match {
        dropped.push(format!(
            "attributes are {:?} (expected {:?})",
            claims.attributes, expected.attributes
        ));
    }
    if let Some(agent) = expected.agent {
        let named = claims
            .room_config
            .as_ref()
            .and_then(|config| config.agents.first())
            .map(|first| first.agent_name.as_str());
        if named != Some(agent) {
            dropped.push(format!(
                "roomConfig.agents[0].agentName is {named:?} (expected {agent:?})"
            ));
        }
    }
    if !dropped.is_empty() {
        findings.push(Finding::new(
            Defect::DropsRequestedFields,
            dropped.join("; "),
        ));
    }
    findings
}

/// Decodes one base64url segment of a JWT as JSON.
pub fn decode_segment(jwt: &str, index: usize) -> Result<Value, String> {
    let segment = jwt.split('.').nth(index).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|err| format!("JWT segment {index} is not base64url: {err}"))?;
    serde_json::from_slice(&bytes).map_err(|err| format!("JWT segment {index} is not JSON: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "devkey";
    const SECRET: &str = "secret";

    fn server() -> ServerUnderTest {
        ServerUnderTest::new("http://127.0.0.1:1")
    }

    fn sign(claims: &Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("sign")
    }

    fn defects(claims: &Value) -> Vec<Defect> {
        judge_token(&sign(claims), "room1", "alice", &server())
            .iter()
            .map(|f| f.defect)
            .collect()
    }

    fn join(extra: Value) -> Value {
        let mut claims = json!({
            "iss": KEY, "sub": "alice", "nbf": unix_now(), "exp": unix_now() + 21_600,
            "video": {"room": "room1", "roomJoin": true},
        });
        if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
            claims.extend(extra);
        }
        claims
    }

    #[test]
    fn a_plain_join_token_passes() {
        assert_eq!(defects(&join(json!({}))), []);
    }

    #[test]
    fn false_empty_and_null_grants_are_no_grants() {
        // As the official Rust and Python servers write them: every key, all off.
        let claims = join(json!({
            "video": {"room": "room1", "roomJoin": true, "roomAdmin": false, "roomCreate": false,
                      "roomList": false, "roomRecord": false, "destinationRoom": "",
                      "ingressAdmin": false, "hidden": false, "recorder": false, "agent": false,
                      "canPublish": true, "canSubscribe": true},
            "sip": {"admin": false, "call": false},
            "roomConfig": null,
            "kind": "", "metadata": "", "name": "",
        }));
        assert_eq!(defects(&claims), []);
    }

    #[test]
    fn real_grants_are_excess() {
        let admin = join(json!({"video": {"room": "room1", "roomJoin": true, "roomAdmin": true}}));
        assert_eq!(defects(&admin), [Defect::ExcessGrants]);
        let sip = join(json!({"sip": {"call": true}}));
        assert_eq!(defects(&sip), [Defect::ExcessGrants]);
        let moved = join(json!({"video": {"room": "room1", "roomJoin": true,
                                          "destinationRoom": "elsewhere"}}));
        assert_eq!(defects(&moved), [Defect::ExcessGrants]);
    }

    #[test]
    fn nbf_zero_is_style_and_the_lifetime_counts_from_now() {
        // The official node server: nbf 0, exp six hours from now.
        let node = join(json!({"nbf": 0}));
        assert_eq!(defects(&node), [Defect::TokenStyle]);
        let short = join(json!({"exp": unix_now() + 600}));
        assert_eq!(defects(&short), [Defect::TokenStyle]);
        let future = join(json!({"nbf": unix_now() + 3_600}));
        assert_eq!(defects(&future), [Defect::TokenRefused]);
    }

    #[test]
    fn quoted_or_non_string_names_are_what_livekit_reads() {
        // The official Rust server JSON-quotes the identity and the room.
        let quoted = join(json!({"sub": "\"alice\"",
                                 "video": {"room": "\"room1\"", "roomJoin": true}}));
        assert_eq!(
            defects(&quoted),
            [Defect::WrongIdentityOrRoom, Defect::WrongIdentityOrRoom]
        );
        let number = join(json!({"video": {"room": 42, "roomJoin": true}}));
        assert_eq!(defects(&number), [Defect::TokenRefused]);
    }

    #[test]
    fn another_secret_is_refused() {
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &join(json!({})),
            &jsonwebtoken::EncodingKey::from_secret(b"another"),
        )
        .expect("sign");
        let findings = judge_token(&token, "room1", "alice", &server());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].defect, Defect::TokenRefused);
    }
}
