//! The CORS policy: any origin may ask for a token, from a page served anywhere.
//!
//! `token-core` applies it to every reply itself (`Reply`): no framework's CORS
//! middleware can be configured to answer exactly as the contract does (tower-http and
//! actix-cors answer preflights on unknown paths and add `Vary`, actix-cors refuses preflights
//! for other methods with its own body, `warp::cors` never sends `*`).

/// `Access-Control-Allow-Origin` on every response. Tokens are not cookies: no credentials
/// are involved, so the wildcard is both correct and the simplest thing for browsers.
pub const ALLOW_ORIGIN: &str = "*";
/// Methods a cross-origin page may use (`Access-Control-Allow-Methods`).
pub const ALLOW_METHODS: &str = "POST";
/// How long a browser may cache a preflight (`Access-Control-Max-Age`), in seconds.
/// Chromium caps it at two hours; one hour is kept everywhere.
pub const MAX_AGE_SECONDS: &str = "3600";
/// `Access-Control-Expose-Headers` on a 429: the fields that say when to retry, which a
/// page could not read otherwise.
pub const EXPOSE_RATE_LIMIT_HEADERS: &str = "Retry-After, RateLimit, RateLimit-Policy";
