//! What a production case is, as data: the credential the suite presents, the request it
//! sends, the answer it expects, and the defect a miss shows (whose level is the case's).

use serde_json::json;

use super::exchange::Answer;
use crate::harm::{Defect, Level};
use crate::identity_provider::{CallerKey, Forgery};

/// One production case: an ID, its requirement, how it is checked and what a miss shows.
#[derive(Debug, Clone, Copy)]
pub struct CallerCase {
    /// Stable identifier, `caller/...` (or `webhook/...`).
    pub id: &'static str,
    /// The requirement, in one sentence.
    pub requirement: &'static str,
    /// The worst defect a miss shows; the case's level is its level (a 5xx, always MUST,
    /// aside).
    pub defect: Defect,
    /// How it is checked.
    pub check: CallerCheck,
}

impl CallerCase {
    /// How much a miss matters: the level of the case's defect.
    pub fn level(&self) -> Level {
        self.defect.level()
    }
}

/// How a production case is checked.
#[derive(Debug, Clone, Copy)]
pub enum CallerCheck {
    /// Send one request, judge its one answer.
    Exchange {
        /// What to send.
        request: CallerRequest,
        /// What the answer must be.
        expect: Expected,
    },
    /// Several requests, or the identity provider's counters.
    Scenario(CallerScenario),
}

/// One request of a production case.
#[derive(Debug, Clone, Copy)]
pub enum CallerRequest {
    /// `POST` to a token endpoint.
    Post {
        /// Where.
        endpoint: TokenEndpoint,
        /// Who the caller claims to be, and how.
        credential: Credential,
        /// What the body asks for.
        body: Body,
        /// The `Origin` header, if any.
        origin: Option<&'static str>,
    },
    /// A CORS preflight of `POST /token` from `origin`, asking for `Authorization`.
    Preflight {
        /// The `Origin` header.
        origin: &'static str,
    },
}

/// What a caller presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// No `Authorization` header.
    Missing,
    /// Another scheme than `Bearer`.
    Basic,
    /// A valid token for the caller, signed with this key, as a `Bearer` header.
    Valid(CallerKey),
    /// A valid Ed25519 token whose `exp` (or `nbf` with `true`) is 5 s inside the leeway.
    WithinLeeway {
        /// `nbf` rather than `exp`.
        not_before: bool,
    },
    /// A valid P-256 token whose identity claim is over LiveKit's limit.
    LongIdentity,
    /// A forged token, as a `Bearer` header.
    Forged(Forgery),
    /// A valid token in the query string (`access_token`), not in a header.
    InQuery,
    /// A valid token in a cookie, not in a header.
    InCookie,
}

impl Credential {
    /// Whether a token goes in the `Authorization` header: the challenge must then say
    /// `error="invalid_token"`.
    pub fn bearer_token(self) -> bool {
        matches!(
            self,
            Self::Valid(_) | Self::WithinLeeway { .. } | Self::LongIdentity | Self::Forged(_)
        )
    }
}

/// What a request's body asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `room1` for `Alice`, as the tutorials write it (`POST /token`).
    Tutorial,
    /// `room1` for this `participant_identity` (`POST /livekit/token`).
    StandardAs(&'static str),
    /// `room1`, in the endpoint's own field names.
    Room1,
    /// A room name over LiveKit's limit, in the endpoint's own field names.
    LongRoom,
}

/// What the answer to one request must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// This status and a token for the caller's own identity.
    Admitted(u16),
    /// Any 2xx: the leeway is the operator's choice, 60 s only the default.
    AdmittedWithinLeeway,
    /// 401 with a `Bearer` challenge.
    Refused,
    /// 403, never a token for the other identity named.
    NotImpersonated,
    /// This status, never a token for the name over LiveKit's limit.
    NotMinted {
        /// The status expected.
        status: u16,
        /// Which name is over the limit.
        over: Over,
    },
    /// `Access-Control-Allow-Origin` names the allowed origin (or `*`), with `Vary: Origin`.
    NamesAllowedOrigin,
    /// No `Access-Control-Allow-Origin` names the other origin (nor `*`).
    NamesNoOtherOrigin,
    /// A 2xx allowing the origin and `Authorization`.
    PreflightAllowed,
    /// 403, and not allowing the origin.
    PreflightRefused,
}

/// A name over LiveKit's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// The caller's identity claim.
    Identity,
    /// The room asked for.
    Room,
}

/// The cases that need several requests or the provider's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerScenario {
    /// With the key source down, a valid caller gets 503 with `Retry-After` (or a token,
    /// from keys cached before); once it is back, a token soon after.
    SurvivesKeySourceDown,
    /// A flood of unknown `kid`s: each refused, at most one more fetch of the JWKS.
    ThrottlesUnknownKeys,
    /// After the `jku`/`x5u` forgeries: nothing they point to was fetched.
    FollowsNoKeyHeaders,
    /// The provider publishes a new key: tokens signed with it are admitted soon after.
    PicksUpRotatedKey,
    /// Tokens minted on both endpoints do not verify with LiveKit's development secret, and
    /// a webhook signed with `devkey`/`secret` is not acknowledged.
    NoDevCredentials,
    /// A forged webhook announcing a body it mostly withholds: 401 without waiting for it.
    VerifiesWebhookBeforeBody,
    /// Each of Wycheproof's invalid JSON Web Signature vectors, under its key in the JWKS:
    /// never a 2xx. Needs the vectors (`--wycheproof`).
    RefusesWycheproofVectors,
}

/// The endpoints that mint tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// `POST /token`, the tutorials' endpoint.
    Tutorial,
    /// `POST /livekit/token`, LiveKit's standard endpoint.
    Standard,
}

impl TokenEndpoint {
    /// Both endpoints.
    pub const ALL: [Self; 2] = [Self::Tutorial, Self::Standard];

    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Tutorial => "/token",
            Self::Standard => "/livekit/token",
        }
    }

    /// A request body for `room`, in the endpoint's field names.
    pub(super) fn body(self, room: &str) -> String {
        match self {
            Self::Tutorial => json!({"roomName": room, "participantName": "Alice"}).to_string(),
            Self::Standard => json!({"room_name": room}).to_string(),
        }
    }

    /// The token of the endpoint's answer, if it has one: on `POST /token` bare or in
    /// `{"token"}`, on `POST /livekit/token` in `participant_token`.
    pub(super) fn token(self, got: &Answer) -> Option<String> {
        let body = serde_json::from_str::<serde_json::Value>(&got.body);
        match (self, body) {
            (Self::Tutorial, Ok(body)) => body["token"].as_str().map(str::to_owned),
            (Self::Tutorial, Err(_)) => Some(got.body.trim().to_owned()),
            (Self::Standard, body) => body
                .ok()
                .and_then(|body| body["participant_token"].as_str().map(str::to_owned)),
        }
    }
}
