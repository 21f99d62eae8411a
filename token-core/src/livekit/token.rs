//! Minting LiveKit access tokens: HS256 JWTs whose claims LiveKit's server reads on join.
//!
//! A token carries exactly `iss` (API key), `sub` (identity), `nbf` (now), `exp` (`nbf` +
//! TTL) and `video: {"roomJoin": true, "room": ...}`: the least a browser needs to join one
//! room, and never an admin grant (`canUpdateOwnMetadata` only when the operator asks). A token from the standard endpoint may add `name`,
//! `metadata`, `attributes` and `roomConfig`, named and cased as LiveKit's encoders write them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::livekit::keys::ApiSecret;
use crate::livekit::request::TokenRequest;
use crate::livekit::token_source::SourceRequest;
use crate::production::policy::{GrantPreset, Grants};

/// The claims of a join token, in LiveKit's JSON names.
#[derive(Debug, Serialize)]
pub struct JoinClaims<'a> {
    /// The API key.
    pub iss: &'a str,
    /// The participant's identity.
    pub sub: &'a str,
    /// Not before, in Unix seconds.
    pub nbf: u64,
    /// Expiry, in Unix seconds.
    pub exp: u64,
    /// The one grant: join this room.
    pub video: VideoGrant<'a>,
}

/// The claims of a token from the standard endpoint: the join claims and what the client set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceClaims<'a> {
    /// The join claims.
    #[serde(flatten)]
    pub join: JoinClaims<'a>,
    /// The display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// The participant's metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a str>,
    /// The participant's attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<&'a BTreeMap<String, String>>,
    /// LiveKit's `RoomConfiguration`, camelCase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_config: Option<&'a Value>,
}

/// LiveKit's `video` grant, reduced to joining one room.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoGrant<'a> {
    /// Always `true`.
    pub room_join: bool,
    /// The room's name.
    pub room: &'a str,
    /// Whether the participant may change its own name, metadata and attributes (only with
    /// `TOKEN_CAN_UPDATE_OWN_METADATA`; LiveKit's own token server grants it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub can_update_own_metadata: bool,
    /// `false` for viewers and hidden participants; unset (LiveKit: `true`) for publishers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_publish: Option<bool>,
    /// `false` for viewers and hidden participants; unset (LiveKit: `true`) for publishers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_publish_data: Option<bool>,
    /// `true` for hidden participants: the others do not see them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// Signs join tokens with one API key and secret; built once per process.
pub struct TokenMinter {
    api_key: String,
    key: EncodingKey,
    header: Header,
    ttl_seconds: u64,
    can_update_own_metadata: bool,
}

impl TokenMinter {
    /// A minter for this key, secret and token lifetime.
    pub fn new(api_key: &str, api_secret: &ApiSecret, ttl: Duration) -> Self {
        Self {
            api_key: api_key.to_owned(),
            key: EncodingKey::from_secret(api_secret.expose().as_bytes()),
            header: Header::new(Algorithm::HS256),
            ttl_seconds: ttl.as_secs(),
            can_update_own_metadata: false,
        }
    }

    /// Also grants `canUpdateOwnMetadata` in every token when `granted`.
    pub fn granting_own_metadata_updates(mut self, granted: bool) -> Self {
        self.can_update_own_metadata = granted;
        self
    }

    /// Mints the token for `request`, valid from `now` for the configured TTL.
    pub fn mint(
        &self,
        request: &TokenRequest,
        now: SystemTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = self.join_claims(
            &request.participant_name,
            &request.room_name,
            GrantPreset::Publisher.into(),
            now,
        );
        jsonwebtoken::encode(&self.header, &claims, &self.key)
    }

    /// Mints a production `POST /token` token: the caller's `identity`, the request's
    /// participant name as the display name, and the policy's `grants`.
    pub fn mint_for_caller(
        &self,
        identity: &str,
        request: &TokenRequest,
        grants: Grants,
        now: SystemTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = SourceClaims {
            join: self.join_claims(identity, &request.room_name, grants, now),
            name: Some(&request.participant_name),
            metadata: None,
            attributes: None,
            room_config: None,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key)
    }

    /// Mints the token for a standard endpoint `request` with `grants`, valid from `now`
    /// for the TTL.
    pub fn mint_source(
        &self,
        request: &SourceRequest,
        grants: Grants,
        now: SystemTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = SourceClaims {
            join: self.join_claims(
                &request.participant_identity,
                &request.room_name,
                grants,
                now,
            ),
            name: request.participant_name.as_deref(),
            metadata: request.participant_metadata.as_deref(),
            attributes: request.participant_attributes.as_ref(),
            room_config: request.room_config.as_ref(),
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key)
    }

    fn join_claims<'a>(
        &'a self,
        identity: &'a str,
        room: &'a str,
        grants: Grants,
        now: SystemTime,
    ) -> JoinClaims<'a> {
        // Publishers get LiveKit's defaults (publish, subscribe, data), as tutorial tokens do.
        let restricted = (grants.preset != GrantPreset::Publisher).then_some(false);
        // A clock before 1970 is a broken host; minting "at the epoch" is the least bad answer.
        let nbf = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        JoinClaims {
            iss: &self.api_key,
            sub: identity,
            nbf,
            exp: nbf + self.ttl_seconds,
            video: VideoGrant {
                room_join: true,
                room,
                can_update_own_metadata: self.can_update_own_metadata || grants.update_own_metadata,
                can_publish: restricted,
                can_publish_data: restricted,
                hidden: grants.preset == GrantPreset::Hidden,
            },
        }
    }
}

impl fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMinter")
            .field("api_key", &self.api_key)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::TokenVerifier;
    use serde_json::Value;

    const KEY: &str = "APItestkey";
    const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";

    fn minter() -> TokenMinter {
        TokenMinter::new(KEY, &ApiSecret::new(SECRET), Duration::from_secs(21_600))
    }

    fn request(room: &str, who: &str) -> TokenRequest {
        TokenRequest {
            room_name: room.to_owned(),
            participant_name: who.to_owned(),
        }
    }

    fn decode_part(jwt: &str, index: usize) -> Value {
        use base64::Engine as _;
        let part = jwt.split('.').nth(index).expect("three parts");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn claims_are_exactly_the_join_grant() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = minter()
            .mint(&request("room1", "alice"), now)
            .expect("mint");
        assert_eq!(
            decode_part(&jwt, 0),
            serde_json::json!({"alg": "HS256", "typ": "JWT"})
        );
        assert_eq!(
            decode_part(&jwt, 1),
            serde_json::json!({
                "iss": KEY,
                "sub": "alice",
                "nbf": 1_700_000_000u64,
                "exp": 1_700_021_600u64,
                "video": {"roomJoin": true, "room": "room1"},
            })
        );
    }

    #[test]
    fn the_official_verifier_accepts_every_name_verbatim() {
        let verifier = TokenVerifier::with_api_key(KEY, SECRET);
        for (room, who) in [
            ("room1", "alice"),
            ("Sala ñ 会議 🎥", "Zoë Ødegård"),
            ("\"quoted\"", "\"alice\""),
            ("it's", "O'Brien \\ back\\slash"),
            (" padded ", "\u{0301}combining"),
        ] {
            let jwt = minter()
                .mint(&request(room, who), SystemTime::now())
                .expect("mint");
            let claims = verifier
                .verify(&jwt)
                .expect("LiveKit's verifier accepts it");
            assert_eq!(claims.sub, who);
            assert_eq!(claims.iss, KEY);
            assert_eq!(claims.video.room, room);
            assert!(claims.video.room_join);
            assert!(!claims.video.room_admin && !claims.video.room_create);
            assert!(!claims.video.room_list && !claims.video.room_record);
            assert_eq!(claims.exp - claims.nbf, 21_600);
        }
    }

    #[test]
    fn a_wrong_secret_does_not_verify() {
        let jwt = minter()
            .mint(&request("r", "p"), SystemTime::now())
            .expect("mint");
        let wrong = TokenVerifier::with_api_key(KEY, "another-secret-of-at-least-32-bytes!");
        assert!(wrong.verify(&jwt).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", minter()).contains(SECRET));
    }

    /// The standard endpoint's claims are named and cased as LiveKit's own encoder writes
    /// them: the same request minted here and by `livekit-api` (with the room configuration
    /// decoded by `livekit-protocol`'s protobuf JSON reader) gives the same claims.
    #[test]
    fn standard_endpoint_claims_match_livekits_encoder() {
        use crate::livekit::token_source::{ClientField, FieldPolicy, SourceRequest};
        use livekit_api::access_token::{AccessToken, VideoGrants};

        let body = r#"{"room_name":"room1","participant_identity":"zoe-1",
            "participant_name":"Zoé","participant_metadata":"{\"level\":3}",
            "participant_attributes":{"team":"blue","snake_key":"v"},
            "room_config":{"agents":[{"agent_name":"my-agent","metadata":"m"}],
                "empty_timeout":30,"max_participants":4,"tags":{"snake_tag":"x"}}}"#;
        let policy = FieldPolicy::new(ClientField::ALL);
        let request =
            SourceRequest::parse(Some(b"application/json"), body.as_bytes(), &policy, || 0)
                .expect("valid");
        let ours = decode_part(
            &minter()
                .mint_source(&request, GrantPreset::Publisher.into(), SystemTime::now())
                .expect("mint"),
            1,
        );

        let sent: Value = serde_json::from_str(body).expect("JSON");
        let config: livekit_protocol::RoomConfiguration =
            serde_json::from_value(sent["room_config"].clone()).expect("LiveKit reads it");
        let theirs = AccessToken::with_api_key(KEY, SECRET)
            .with_identity("zoe-1")
            .with_name("Zoé")
            .with_metadata(r#"{"level":3}"#)
            .with_attributes([("team", "blue"), ("snake_key", "v")])
            .with_grants(VideoGrants {
                room_join: true,
                room: "room1".to_owned(),
                ..VideoGrants::default()
            })
            .with_room_config(config)
            .to_jwt()
            .expect("official mint");
        let theirs = decode_part(&theirs, 1);
        for claim in ["iss", "sub", "name", "metadata", "attributes", "roomConfig"] {
            assert_eq!(ours[claim], theirs[claim], "{claim}");
        }
        assert_eq!(ours["video"]["roomJoin"], theirs["video"]["roomJoin"]);
        assert_eq!(ours["video"]["room"], theirs["video"]["room"]);
        assert_eq!(
            ours["roomConfig"],
            serde_json::json!({"agents":[{"agentName":"my-agent","metadata":"m"}],
                "emptyTimeout":30,"maxParticipants":4,"tags":{"snake_tag":"x"}})
        );
        // And the official verifier accepts it.
        let claims = TokenVerifier::with_api_key(KEY, SECRET)
            .verify(
                &minter()
                    .mint_source(&request, GrantPreset::Publisher.into(), SystemTime::now())
                    .expect("mint"),
            )
            .expect("verifies");
        assert_eq!(claims.sub, "zoe-1");
        assert_eq!(claims.room_config.map(|c| c.agents.len()), Some(1));
    }

    /// `canUpdateOwnMetadata` only when asked, on both endpoints, as LiveKit's verifier reads it.
    #[test]
    fn own_metadata_updates_are_granted_only_when_asked() {
        use crate::livekit::token_source::{FieldPolicy, SourceRequest};

        let now = SystemTime::now();
        let source = SourceRequest::parse(
            Some(b"application/json"),
            b"{}",
            &FieldPolicy::default(),
            || 0,
        )
        .expect("valid");
        for granted in [false, true] {
            let minter = minter().granting_own_metadata_updates(granted);
            for jwt in [
                minter.mint(&request("room1", "alice"), now).expect("mint"),
                minter
                    .mint_source(&source, GrantPreset::Publisher.into(), now)
                    .expect("mint"),
            ] {
                let claims = TokenVerifier::with_api_key(KEY, SECRET)
                    .verify(&jwt)
                    .expect("verifies");
                assert_eq!(
                    claims.video.can_update_own_metadata.unwrap_or(false),
                    granted
                );
                let video = &decode_part(&jwt, 1)["video"];
                assert_eq!(
                    video.get("canUpdateOwnMetadata").is_some(),
                    granted,
                    "{video}"
                );
            }
        }
    }
}
