//! The `production` profile: a server in production mode, configured to trust the suite's
//! [`IdentityProvider`](crate::identity_provider::IdentityProvider), judged on whom it admits.
//! Valid callers with each key type get tokens for their own identity; every forgery of RFC
//! 8725 and OWASP's JWT cheat sheet gets 401 with a `Bearer` challenge; CORS names only the
//! allowed origin; the JWKS is reloaded for a rotated key but not for a flood of unknown ones,
//! and headers pointing elsewhere for keys are never followed. What the server mints must be
//! usable by LiveKit and by nobody else: never on LiveKit's public development secret, never
//! with an identity or room name over LiveKit's 256 bytes. A forged webhook is refused before
//! its body is read.
//!
//! The server must be configured with the provider's JWKS URL, issuer and audience,
//! [`ALLOWED_ORIGIN`] among its CORS origins, and a policy that lets any caller join
//! `room1` as a publisher (the default policy does); `--spawn` fills the `{jwks_url}`,
//! `{issuer}`, `{audience}` and `{origin}` placeholders.
//!
//! Like every other case of the suite, the production cases are data:
//! - `case`: what a production case is: the credential sent, the answer expected, the
//!   defect a miss shows.
//! - `cases`: every production case, [`caller_cases`].
//! - `credentials`: turning a stated credential into the token, header or query sent.
//! - `exchange`: sending one request and reading its answer.
//! - `judge`: the one judge of an answer against what the case expects.
//! - `scenarios`: the cases that need several requests or the provider's counters.
//! - `runner`: [`run`], every selected case as an outcome.

mod case;
mod cases;
mod credentials;
mod exchange;
mod judge;
mod runner;
mod scenarios;

use std::time::Duration;

pub use case::{
    Body, CallerCase, CallerCheck, CallerRequest, CallerScenario, Credential, Expected, Over,
    TokenEndpoint,
};
pub use cases::caller_cases;
pub use exchange::request_text;
pub use runner::run;

/// The origin the suite's pages call from; the server must allow it.
pub const ALLOWED_ORIGIN: &str = "https://app.conformance.invalid";
/// An origin no server allows.
pub const OTHER_ORIGIN: &str = "https://elsewhere.conformance.invalid";
/// The identity a caller names to impersonate someone else.
pub const OTHER_IDENTITY: &str = "mallory";
/// How long the suite waits for a rotated key to be picked up: servers reload early for an
/// unknown `kid` at most every 30 s.
pub const ROTATION_PATIENCE: Duration = Duration::from_secs(45);
/// How long the suite waits for a server to recover once the key source is back (the same
/// 30 s limit on reloads applies after a failed one).
pub const RECOVERY_PATIENCE: Duration = ROTATION_PATIENCE;
/// How many tokens with unknown `kid`s the flood sends.
pub const FLOOD: usize = 20;
/// The API key of LiveKit's development server (`livekit-server --dev`), public in its
/// documentation.
pub const DEV_API_KEY: &str = "devkey";
/// The API secret of LiveKit's development server: anyone can sign with it.
pub const DEV_API_SECRET: &str = "secret";
/// LiveKit refuses identities and room names longer than this, in bytes.
pub const LIVEKIT_NAME_LIMIT: usize = 256;
/// The length of the identities and room names the suite sends over LiveKit's limit.
pub const TOO_LONG: usize = 300;
/// How long the suite waits for the refusal of a forged webhook whose body it withholds.
pub const WEBHOOK_PATIENCE: Duration = Duration::from_secs(3);
/// The body the forged webhook announces: under any sensible webhook limit (LiveKit's events
/// fit in 64 KiB), so only the order of the server's checks decides whether it waits.
pub const ANNOUNCED_WEBHOOK_BYTES: usize = 60_000;
