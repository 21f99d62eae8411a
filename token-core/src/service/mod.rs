//! [`TokenService`]: the contract answered, built from a [`config::ServiceConfig`]. Every
//! request, whatever its path, method or framing, gets its [`reply::Reply`] here; unwanted
//! bodies are discarded ([`discarding`]); the metrics port answers apart ([`metrics_port`]).

pub mod config;
pub mod discarding;
pub mod metrics_port;
pub mod reply;
pub mod token_service;

pub use token_service::TokenService;
