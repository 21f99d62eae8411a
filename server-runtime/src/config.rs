//! [`Config`]: the settings resolved, in which an invalid state cannot be expressed: one
//! [`Mode`] (production carrying everything production needs), credentials that were asked
//! for, and the warnings to log at start-up. `Args::load` is the only way to get one.

use std::net::SocketAddr;

use token_core::ServiceConfig;

/// Everything a binary runs with, resolved and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the token endpoints listen.
    pub listen: SocketAddr,
    /// Where the metrics port listens, when metrics are on.
    pub metrics: Option<SocketAddr>,
    /// The shape of log lines.
    pub log_format: LogFormat,
    /// Instead of serving, probe the server on [`Config::listen`] (`--health-check`).
    pub health_check: bool,
    /// What the token service is built from.
    pub service: ServiceConfig,
    /// Settings that work but should not reach production, logged at start-up.
    pub warnings: Vec<String>,
}

/// `LOG_FORMAT`: the shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `tracing`'s human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}
