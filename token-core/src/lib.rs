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

pub use http::contract::{ContractError, Endpoint};
pub use http::head::{HttpVersion, RequestHead};
pub use service::TokenService;
pub use service::config::ServiceConfig;
pub use service::reply::Reply;
