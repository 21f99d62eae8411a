//! Everything the LiveKit token server does that does not depend on a web framework.
//!
//! The six backends (`server-*`, listed once in `testkit::backends::BACKENDS`) are thin
//! adapters: they move bytes between their framework and the types here, and decide nothing
//! themselves.
//!
//! - [`config`]: [`ServiceConfig`], what the service is built from, as plain values (the
//!   `server-runtime` crate reads flags, the environment and `.env` into one).
//! - [`contract`]: the HTTP contract's vocabulary: paths, limits, every status code, message
//!   and content type.
//! - [`head`]: [`RequestHead`], what the contract reads from a request head, and the framing
//!   rules of RFC 9112.
//! - [`service`]: [`TokenService::respond`], which answers any request with a [`Reply`]
//!   ([`reply`]), and logs it.
//! - [`token_source`]: LiveKit's standard token endpoint (`POST /livekit/token`): its
//!   request, field policy and LiveKit's limits.
//! - [`body`]: reading a request body under the size limit, from any framework's stream.
//! - [`request`]: parsing and validating the `POST /token` body.
//! - [`keys`]: the API keys: the one that signs tokens, every one webhooks may be signed
//!   with, from the environment, LiveKit's key-file format ([`key_list`]) and secret files;
//! - [`token`]: minting the LiveKit access token (an HS256 JWT).
//! - [`webhook`]: verifying LiveKit webhooks (signature, issuer, expiry, body hash).
//! - [`metrics`]: Prometheus metrics (`prometheus-client`), and [`metrics::MetricsPort`],
//!   the answers of the metrics port (`METRICS_PORT`).
//! - [`log_names`]: room and participant names in logs, hashed unless `--log-names`.
//! - [`limits`]: rate limits per client address (`governor`), and the 429's fields;
//!   [`client_address`] says who the client is, behind trusted proxies.
//! - [`production`]: production mode's settings, resolved at start-up; [`caller_auth`]
//!   verifies a caller's bearer token against a JWKS that [`caller_keys`] keeps fresh, and
//!   [`policy`] decides which rooms and grants a caller gets. The keys come from a
//!   [`caller_keys::KeySource`] the runtime implements: no HTTP client here.
//! - [`cors`]: the values of the CORS policy every backend applies.

pub mod body;
pub mod caller_auth;
pub mod caller_keys;
pub mod client_address;
pub mod config;
pub mod contract;
pub mod cors;
pub mod head;
pub mod key_list;
pub mod keys;
pub mod limits;
pub mod log_names;
pub mod metrics;
pub mod policy;
pub mod production;
pub mod published_keys;
pub mod recent_clients;
pub mod reply;
pub mod request;
pub mod service;
pub mod token;
pub mod token_source;
pub mod webhook;

pub use config::ServiceConfig;
pub use contract::{ContractError, Endpoint};
pub use head::{HttpVersion, RequestHead};
pub use reply::Reply;
pub use service::TokenService;
