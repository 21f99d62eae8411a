//! Minting LiveKit access tokens: HS256 JWTs whose claims LiveKit's server reads on join.
//!
//! A token carries exactly `iss` (API key), `sub` (identity), `nbf` (now), `exp` (`nbf` +
//! TTL) and `video: {"roomJoin": true, "room": ...}`: the least a browser needs to join one
//! room, and never an admin grant.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::config::ApiSecret;
use crate::request::TokenRequest;

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

/// LiveKit's `video` grant, reduced to joining one room.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoGrant<'a> {
    /// Always `true`.
    pub room_join: bool,
    /// The room's name.
    pub room: &'a str,
}

/// Signs join tokens with one API key and secret; built once per process.
pub struct TokenMinter {
    api_key: String,
    key: EncodingKey,
    header: Header,
    ttl_seconds: u64,
}

impl TokenMinter {
    /// A minter for this key, secret and token lifetime.
    pub fn new(api_key: &str, api_secret: &ApiSecret, ttl: Duration) -> Self {
        Self {
            api_key: api_key.to_owned(),
            key: EncodingKey::from_secret(api_secret.expose().as_bytes()),
            header: Header::new(Algorithm::HS256),
            ttl_seconds: ttl.as_secs(),
        }
    }

    /// Mints the token for `request`, valid from `now` for the configured TTL.
    pub fn mint(
        &self,
        request: &TokenRequest,
        now: SystemTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        // A clock before 1970 is a broken host; minting "at the epoch" is the least bad answer.
        let nbf = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let claims = JoinClaims {
            iss: &self.api_key,
            sub: &request.participant_name,
            nbf,
            exp: nbf + self.ttl_seconds,
            video: VideoGrant {
                room_join: true,
                room: &request.room_name,
            },
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key)
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
}
