//! What runs a LiveKit token server process, around `token-core`'s sans-I/O service: the
//! six backend binaries' `main` is one call, `server_runtime::run(env!("CARGO_BIN_NAME"),
//! serve)`.
//!
//! - [`args`]: the settings as given ([`Args`]: flags, the environment, `.env`), raw;
//!   [`config`]: what they resolve to ([`Config`]), where an invalid state cannot be
//!   expressed; [`args::error`]: why they could not be loaded, in one line.
//! - [`startup`]: logging, binding, signals, serving until asked to stop.
//! - [`jwks`]: the callers' keys fetched over HTTPS or from a file, for the core's
//!   [`token_core::production::caller_keys::KeySource`].
//! - [`redis_store`]: the Redis store of the shared rate limits, for the core's
//!   [`token_core::operations::limit_store::SharedLimitStore`].
//! - [`metrics_port`]: the metrics port, served on `hyper-serve` for every backend.
//! - [`health_check`]: `--health-check`, the container probe.
//! - [`secret_text`]: settings that may carry a secret until they are validated.

pub mod args;
pub mod config;
pub mod health_check;
pub mod jwks;
pub mod metrics_port;
pub mod redis_store;
pub mod secret_text;
pub mod startup;

pub use args::Args;
pub use args::error::ConfigError;
pub use config::Config;
pub use startup::{ShutdownSignal, bind, run, serve_all, shutdown_signal};
