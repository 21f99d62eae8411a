//! The suite's errors: what stops a run before anything is judged, and why a request got no
//! answer. Each displays on one line, with its causes.

use std::fmt;
use std::process::ExitStatus;

use crate::supervisor::SpawnError;

/// Why the suite could not judge a server, or a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server's base URL is not one the suite can use.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Nothing accepts connections at the server's address.
    #[error("cannot connect to {address}: {reason}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The operating system's reason, or `timed out`.
        reason: String,
    },
    /// No HTTP client could be set up (the system's TLS or resolver configuration).
    #[error("cannot set up the HTTP client: {}", Causes(.0))]
    Client(reqwest::Error),
    /// An HTTP request failed before a response arrived.
    #[error("request failed: {}", Causes(.0))]
    Request(reqwest::Error),
    /// The response's body could not be read.
    #[error("reading the response failed: {}", Causes(.0))]
    Response(reqwest::Error),
    /// The response's body is larger than the suite ever reads.
    #[error(
        "the response's body is larger than {} KiB",
        crate::wire::MAX_RESPONSE_BYTES / 1024
    )]
    ResponseTooLarge,
    /// A case names a method no client can send.
    #[error("bad method in case: {0}")]
    Method(String),
    /// A webhook could not be signed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// `--spawn`'s server could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// `--spawn`'s server exited before it listened.
    #[error("the server exited ({status}) before accepting connections on {address}")]
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// Where it should have listened.
        address: String,
    },
    /// `--spawn`'s server did not listen in time.
    #[error("the server did not accept connections on {address} within {seconds} s")]
    NotListening {
        /// Where it should have listened.
        address: String,
        /// How long the suite waited.
        seconds: f64,
    },
}

impl Error {
    /// Whether the suite failed at its own part (its HTTP client, a case it cannot send, a
    /// signature it cannot make, a server it was asked to start), not the server under test.
    pub fn is_harness_error(&self) -> bool {
        match self {
            Self::Client(_)
            | Self::Method(_)
            | Self::Signing(_)
            | Self::Spawn(_)
            | Self::Exited { .. }
            | Self::NotListening { .. } => true,
            // What the user gave, or what the server did.
            Self::InvalidUrl { .. }
            | Self::Connect { .. }
            | Self::Request(_)
            | Self::Response(_)
            | Self::ResponseTooLarge => false,
        }
    }
}

/// A webhook that could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// `jsonwebtoken` refused the suite's claims.
    #[error("cannot sign: {0}")]
    Suite(jsonwebtoken::errors::Error),
    /// LiveKit's SDK refused.
    #[error("LiveKit's SDK cannot sign: {0}")]
    LiveKit(livekit_api::access_token::AccessTokenError),
    /// LiveKit's SDK has no way to sign a token that has already expired.
    #[error("LiveKit's SDK cannot sign an expired token")]
    ExpiredByLiveKit,
    /// LiveKit's SDK always sets `exp`.
    #[error("LiveKit's SDK cannot sign a token without exp")]
    WithoutExpiryByLiveKit,
}

/// An error and its causes, `: `-separated. reqwest's own message leaves out the cause
/// ("connection refused", "operation timed out"), which is what a user needs to read.
#[derive(Debug, Clone, Copy)]
pub struct Causes<'a>(pub &'a dyn std::error::Error);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn causes_are_shown_in_order() {
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(Causes(&err).to_string(), "outer: inner");
    }
}
