//! What a caller's token must say in production mode: issuer, audience, algorithms, clock
//! skew, the identity claim and the kinds of token (`typ`) accepted
//! (`CALLER_*` settings, resolved by the runtime).

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::Algorithm;

/// The algorithms allowed by default: the asymmetric ones identity providers sign with.
pub const DEFAULT_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
/// The clock skew allowed on `exp` and `nbf` by default, in seconds.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 60;
/// The most clock skew an operator may allow.
pub const MAX_LEEWAY_SECONDS: u64 = 300;
/// The longest bearer token read; identity providers' tokens are a few KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// The smallest RSA modulus used (RFC 7518 §3.3: 2048 bits or larger is a MUST).
pub const MIN_RSA_BITS: usize = 2048;
/// The claim whose value is only an identity with [`EMAIL_VERIFIED_CLAIM`] `true`.
pub const EMAIL_CLAIM: &str = "email";
/// The OpenID Connect claim saying the provider checked the caller owns its `email`.
pub const EMAIL_VERIFIED_CLAIM: &str = "email_verified";
/// How `CALLER_TOKEN_TYPES` spells a token without `typ`.
pub const UNTYPED: &str = "none";
/// The default `CALLER_TOKEN_TYPES`: no `typ`, `JWT`, and OAuth access tokens (RFC 9068).
pub const DEFAULT_TOKEN_TYPES: &str = "none,JWT,at+jwt";

/// What a caller's token must say, and how it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerPolicy {
    /// The exact `iss`.
    pub issuer: String,
    /// An `aud` the token must carry.
    pub audience: String,
    /// The algorithms accepted: a subset of [`DEFAULT_ALGORITHMS`] and `PS256`, `ES384`.
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp` and `nbf`, at most [`MAX_LEEWAY_SECONDS`].
    pub leeway_seconds: u64,
    /// The claim that names the caller (`sub` by default).
    pub identity_claim: String,
    /// Whether a JWKS may hold the test keys published in this repository
    /// (`TRY_PRODUCTION_LOCALLY`); see [`crate::production::published_keys`].
    pub allows_published_keys: bool,
    /// The kinds of token (`typ` headers) accepted.
    pub token_types: Vec<TokenType>,
}

impl CallerPolicy {
    /// A policy for `issuer` and `audience` with the defaults.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            leeway_seconds: DEFAULT_LEEWAY_SECONDS,
            identity_claim: "sub".to_owned(),
            allows_published_keys: false,
            token_types: TokenType::defaults(),
        }
    }

    /// Whether the policy is one callers may be verified under.
    pub fn check(&self) -> Result<(), String> {
        if let Some(symmetric) = self.algorithms.iter().find(|alg| !is_asymmetric(**alg)) {
            return Err(format!("{symmetric:?} is not allowed for callers' tokens"));
        }
        if self.algorithms.is_empty() {
            return Err("no algorithm is allowed".to_owned());
        }
        if self.token_types.is_empty() {
            return Err("no kind of token (typ) is accepted".to_owned());
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(format!(
                "a leeway of {} s is over the {MAX_LEEWAY_SECONDS} s allowed",
                self.leeway_seconds
            ));
        }
        Ok(())
    }
}

/// A kind of token a caller may present, by its `typ` header (RFC 7515 §4.1.9), compared
/// without case and with an `application/` prefix taken as omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenType {
    /// No `typ` header, as many identity providers send.
    Untyped,
    /// A media type, lower-case and without `application/`.
    Named(String),
}

impl TokenType {
    /// The kinds accepted by default: [`DEFAULT_TOKEN_TYPES`].
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::Untyped,
            Self::Named("jwt".to_owned()),
            Self::Named("at+jwt".to_owned()),
        ]
    }

    /// Whether a token's `typ` header (`None` without one) is of this kind.
    pub fn matches(&self, typ: Option<&str>) -> bool {
        match (self, typ) {
            (Self::Untyped, None) => true,
            (Self::Named(name), Some(typ)) => *name == normalised(typ),
            _ => false,
        }
    }
}

/// A `typ` value as compared: lower-case, without `application/` (RFC 7515 §4.1.9).
fn normalised(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

impl FromStr for TokenType {
    type Err = String;

    /// One entry of `CALLER_TOKEN_TYPES`: [`UNTYPED`], or a media type such as `at+jwt`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case(UNTYPED) {
            return Ok(Self::Untyped);
        }
        let name = normalised(text);
        let token_char = |c: char| c.is_ascii_alphanumeric() || "!#$&-^_.+/".contains(c);
        if name.is_empty() || !name.chars().all(token_char) {
            return Err(format!(
                "a kind of token is a media type such as at+jwt, or {UNTYPED} for tokens without typ"
            ));
        }
        Ok(Self::Named(name))
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Untyped => f.write_str(UNTYPED),
            Self::Named(name) => f.write_str(name),
        }
    }
}

pub(crate) fn is_asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}
