//! What an operator watches and bounds: rate limits per client ([`limits`], over a bounded
//! table of [`recent_clients`]), Prometheus metrics ([`metrics`]) and room and participant
//! names in logs, hashed unless asked otherwise ([`log_names`]).

pub mod limits;
pub mod log_names;
pub mod metrics;
pub mod recent_clients;
