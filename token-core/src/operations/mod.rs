//! What an operator watches and bounds: rate limits per client ([`limits`]), counted in
//! memory ([`keyed_limit`], over a bounded table of [`recent_clients`], each client under its
//! [`client_key`]) or shared by replicas through a store ([`limit_store`], used as
//! [`shared_limits`] says), Prometheus metrics
//! ([`metrics`]) and room and participant names in logs, hashed unless asked otherwise
//! ([`log_names`], with [`keyed_hash`]).

pub mod client_key;
pub mod keyed_hash;
pub mod keyed_limit;
pub mod limit_store;
pub mod limits;
pub mod log_names;
pub mod metrics;
pub mod recent_clients;
pub mod shared_limits;
