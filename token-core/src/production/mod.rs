//! Production mode's decisions: who the caller is ([`caller_auth`] under a
//! [`caller_policy`], verified against keys
//! [`caller_keys`] keeps fresh from a source the runtime implements, refusing the test keys
//! [`published_keys`] lists), what the policy allows ([`policy`], its rooms matched by
//! [`room_glob`]), and which origins may read
//! the answers ([`origins`]); [`admission`] owns these decisions in a running service.

pub mod admission;
pub mod caller_auth;
pub mod caller_keys;
pub mod caller_policy;
pub mod origins;
pub mod policy;
pub mod published_keys;
pub mod room_glob;

pub use admission::{
    Admission, DEFAULT_JWKS_CACHE_SECONDS, DEFAULT_JWKS_MAX_AGE_SECONDS,
    DEFAULT_PRODUCTION_TTL_SECONDS, Production,
};
pub use origins::AllowedOrigins;
