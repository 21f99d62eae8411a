//! The HTTP contract without a server: what a request head says and how it is framed, the
//! body read under its limit, every status, message and content type, the CORS values, who
//! the client is behind trusted proxies, and the vocabulary of 401s and 429s. Everything
//! else builds on these; they import nothing outside this folder.

pub mod auth_failure;
pub mod body;
pub mod client_address;
pub mod contract;
pub mod cors;
pub mod head;
pub mod rate_limited;
