//! [`ServiceConfig`]: what a [`crate::service::TokenService`] is built from, as plain values. Whoever
//! runs the process (`server-runtime`) reads flags, the environment and `.env`, validates
//! them and builds one; nothing here parses a command line.

use std::time::Duration;

use crate::livekit::keys::Credentials;
use crate::livekit::token_source::{ClientField, FieldPolicy};
use crate::operations::limits::LimitConfig;
use crate::production::{DEFAULT_PRODUCTION_TTL_SECONDS, Production};
use crate::service::reply::ResponseFormat;

/// The port every OpenVidu tutorial server listens on.
pub const DEFAULT_PORT: u16 = 6080;
/// Six hours, the default TTL of every official LiveKit SDK.
pub const DEFAULT_TOKEN_TTL_SECONDS: u32 = 6 * 60 * 60;
/// Thirty days: longer-lived join tokens are almost certainly a mistake.
pub const MAX_TOKEN_TTL_SECONDS: u32 = 30 * 24 * 60 * 60;
/// The local OpenVidu/LiveKit development server.
pub const DEFAULT_LIVEKIT_URL: &str = "ws://localhost:7880";
/// The default `SERVER_MAX_CONNECTIONS`: actix-web's default per worker.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 25_000;
/// LiveKit's own server logs an error for secrets shorter than this (HS256 wants 256 bits).
pub const RECOMMENDED_SECRET_BYTES: usize = 32;
/// LiveKit's client SDKs (JS, Swift, Flutter, Rust) reuse a cached token only while its `exp`
/// is more than this far away.
pub const CLIENT_CACHE_MARGIN_SECONDS: u32 = 60;
/// The optional fields of `POST /livekit/token` clients may set by default.
pub const DEFAULT_ENDPOINT_FIELDS: [ClientField; 5] = [
    ClientField::RoomName,
    ClientField::ParticipantIdentity,
    ClientField::ParticipantName,
    ClientField::ParticipantMetadata,
    ClientField::ParticipantAttributes,
];

/// Which contract the server serves, with what only that contract has.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The OpenVidu tutorials' contract: anyone may get a token for any room.
    Tutorial(Tutorial),
    /// Authenticated callers only, under a policy.
    Production(Box<Production>),
}

/// Tutorial mode's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tutorial {
    /// Clients may set `room_config` (agent dispatch) on `POST /livekit/token`.
    pub allow_room_config: bool,
    /// Every token grants `canUpdateOwnMetadata`, as LiveKit's own token server does.
    pub can_update_own_metadata: bool,
}

/// Everything a [`crate::service::TokenService`] needs, validated.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The key that signs tokens, and every one webhooks may be signed with.
    pub credentials: Credentials,
    /// Tutorial or production, with the mode's own settings.
    pub mode: Mode,
    /// Lifetime of each token (exp - nbf).
    pub token_ttl: Duration,
    /// Shape of token and error bodies.
    pub response_format: ResponseFormat,
    /// The LiveKit URL `POST /livekit/token` answers as `server_url`.
    pub livekit_url: String,
    /// The optional fields clients may set on `POST /livekit/token` (`room_config` aside).
    pub endpoint_fields: Vec<ClientField>,
    /// The rate limits, and who names the client.
    pub limits: LimitConfig,
    /// The most connections served at once.
    pub max_connections: usize,
    /// Whether metrics are recorded (they are served on a port of their own).
    pub metrics: bool,
    /// Whether logs show room and participant names as they are, rather than hashed.
    pub log_names: bool,
}

impl ServiceConfig {
    /// `mode` signed with `credentials`, everything else at its default (the mode's TTL).
    pub fn new(credentials: Credentials, mode: Mode) -> Self {
        let ttl = match mode {
            Mode::Tutorial(_) => DEFAULT_TOKEN_TTL_SECONDS,
            Mode::Production(_) => DEFAULT_PRODUCTION_TTL_SECONDS,
        };
        Self {
            credentials,
            mode,
            token_ttl: Duration::from_secs(u64::from(ttl)),
            response_format: ResponseFormat::Text,
            livekit_url: DEFAULT_LIVEKIT_URL.to_owned(),
            endpoint_fields: DEFAULT_ENDPOINT_FIELDS.to_vec(),
            limits: LimitConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS as usize,
            metrics: false,
            log_names: false,
        }
    }

    /// Production mode, when it is the mode.
    pub fn production(&self) -> Option<&Production> {
        match &self.mode {
            Mode::Production(production) => Some(production),
            Mode::Tutorial(_) => None,
        }
    }

    /// Which fields clients may set on the standard endpoint. In production `room_config`
    /// is allowed when the policy names agents it may dispatch.
    pub fn field_policy(&self) -> FieldPolicy {
        let allowed = match &self.mode {
            Mode::Production(production) => production.rules.allows_room_config(),
            Mode::Tutorial(tutorial) => tutorial.allow_room_config,
        };
        let room_config = allowed.then_some(ClientField::RoomConfig);
        FieldPolicy::new(self.endpoint_fields.iter().copied().chain(room_config))
    }

    /// Whether every token grants `canUpdateOwnMetadata` (tutorial mode only; production
    /// grants it per rule).
    pub fn can_update_own_metadata(&self) -> bool {
        matches!(&self.mode, Mode::Tutorial(tutorial) if tutorial.can_update_own_metadata)
    }
}
