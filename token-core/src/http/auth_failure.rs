//! Why a caller's bearer token was refused: the reason of a 401 in production mode, for the
//! log and the metrics, never for the caller.

use std::fmt;

/// Why a caller was not authenticated. The reason goes to the log and the metrics, never to
/// the caller, and never with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header, or not the `Bearer` scheme.
    Missing,
    /// Not a JWT, too long, or a header that cannot be read.
    Malformed,
    /// An algorithm outside the allow-list (`none`, `HS256`, ...).
    AlgorithmNotAllowed,
    /// No usable key with the token's `kid` (or, without one, no single candidate).
    UnknownKey,
    /// The key's type, curve or `alg` does not fit the token's algorithm.
    KeyMismatch,
    /// The signature does not verify.
    BadSignature,
    /// `exp` is past, beyond the leeway.
    Expired,
    /// `nbf` is ahead, beyond the leeway.
    NotYetValid,
    /// Another issuer.
    WrongIssuer,
    /// Not for this audience.
    WrongAudience,
    /// `exp`, `iss`, `aud` or `sub` is missing or not of its type.
    MissingClaim,
    /// The identity claim is missing or not a non-empty string.
    NoIdentity,
    /// The `typ` header names a kind of token the policy does not accept.
    WrongTokenType,
    /// The identity is an `email` without `email_verified: true`.
    EmailNotVerified,
}

impl AuthFailure {
    /// A short label for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed => "algorithm not allowed",
            Self::UnknownKey => "unknown key",
            Self::KeyMismatch => "key does not fit the algorithm",
            Self::BadSignature => "bad signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not valid yet",
            Self::WrongIssuer => "wrong issuer",
            Self::WrongAudience => "wrong audience",
            Self::MissingClaim => "missing or invalid claim",
            Self::NoIdentity => "no identity",
            Self::WrongTokenType => "another kind of token (typ)",
            Self::EmailNotVerified => "email not verified (email_verified)",
        }
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}
