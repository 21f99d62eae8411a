//! Everything the LiveKit token server decides, without I/O: no sockets, no HTTP client, no
//! command line, no runtime, no logging set-up (those are `server-runtime`'s). The six
//! backends (`server-*`) are thin adapters: they move bytes between their framework and the
//! types here, and decide nothing themselves.
//!
//! Its parts, each a folder, each importing only the ones listed before it:
//!
//! - [`http`]: the contract's vocabulary: [`RequestHead`] and its framing, the body read
//!   under its limit, every status, message and content type, CORS values, client addresses.
//! - [`operations`]: rate limits, metrics, names in logs.
//! - [`production`]: production mode's decisions: callers' tokens verified against keys
//!   handed to it, the policy, the allowed origins.
//! - [`livekit`]: API keys, access tokens, the standard token endpoint, webhooks.
//! - [`service`]: [`TokenService::respond`], which answers any request with a [`Reply`],
//!   built from a [`ServiceConfig`].

pub mod http;
pub mod livekit;
pub mod operations;
pub mod production;
pub mod service;

// The parts' modules at the paths adapters and tests have always used.
pub use http::{body, client_address, contract, cors, head};
pub use livekit::{key_list, keys, request, token, token_source, webhook};
pub use operations::{limits, log_names, metrics, recent_clients};
pub use production::{caller_auth, caller_keys, policy, published_keys};
pub use service::{config, reply};

pub use contract::{ContractError, Endpoint};
pub use head::{HttpVersion, RequestHead};
pub use reply::Reply;
pub use service::TokenService;
pub use service::config::ServiceConfig;
