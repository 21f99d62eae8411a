//! [`TokenService`]: the contract answered, built from a [`config::ServiceConfig`]. Every
//! request, whatever its path, method or framing, gets its [`reply::Reply`] here; unwanted
//! bodies are discarded ([`discarding`]); the metrics port answers apart ([`metrics_port`]).
//!
//! [`token_service`] holds the service and its bookkeeping (metrics, failure counts); its
//! work is in one file per concern: routing, the webhook endpoint, callers (production's
//! [`crate::production::Admission`] asked in one place), the answer behind the panic
//! boundary, minting, and the request log ([`request_log`]).

mod answer;
mod callers;
pub mod config;
pub mod discarding;
pub mod metrics_port;
mod minting;
pub mod reply;
pub mod request_log;
mod routing;
pub mod token_service;
mod webhook_endpoint;

pub use token_service::TokenService;
