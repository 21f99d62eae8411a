//! The HTTP contract every backend serves: paths, limits, status codes, messages and content
//! types. Backends never choose any of these themselves; they ask [`TokenService`] for a
//! [`Reply`] and copy it onto the wire.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::Settings;
use crate::request::TokenRequest;
use crate::token::TokenMinter;

/// The one path that mints tokens.
pub const TOKEN_PATH: &str = "/token";
/// The largest `POST /token` body accepted, counted in bytes as they arrive (chunked too).
pub const MAX_TOKEN_BODY_BYTES: usize = 16 * 1024;
/// The `Allow` header of a 405 on [`TOKEN_PATH`].
pub const TOKEN_ALLOW: &str = "POST, OPTIONS";
/// Content type of every reply body.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The one error message the contract fixes word for word (the OpenVidu tutorials' own).
pub const NAMES_REQUIRED: &str = "roomName and participantName are required";

/// Every way a request can fail, with its status and one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractError {
    /// No route at this path.
    NotFound,
    /// The path exists but not for this method.
    MethodNotAllowed,
    /// The body was larger than [`MAX_TOKEN_BODY_BYTES`].
    PayloadTooLarge,
    /// The body is not sent as JSON (`application/json` or `application/*+json`).
    UnsupportedMediaType,
    /// The connection failed while the body was being read.
    BodyUnreadable,
    /// The body is not UTF-8.
    NotUtf8,
    /// The body is empty.
    EmptyBody,
    /// The body is not JSON; carries the parser's one-line reason.
    InvalidJson(String),
    /// The body is JSON but not an object.
    NotAnObject,
    /// `roomName` or `participantName` is missing, `null` or empty.
    NamesRequired,
    /// A name is present but is not a JSON string; carries the field's name.
    NotAString(&'static str),
    /// The server failed; nothing the client can fix.
    Internal,
}

impl ContractError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::BodyUnreadable
            | Self::NotUtf8
            | Self::EmptyBody
            | Self::InvalidJson(_)
            | Self::NotAnObject
            | Self::NamesRequired
            | Self::NotAString(_) => 400,
            Self::Internal => 500,
        }
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found: the token endpoint is POST /token"),
            Self::MethodNotAllowed => f.write_str("method not allowed: use POST"),
            Self::PayloadTooLarge => write!(
                f,
                "request body is larger than {MAX_TOKEN_BODY_BYTES} bytes"
            ),
            Self::UnsupportedMediaType => {
                f.write_str("request body must be sent as Content-Type: application/json")
            }
            Self::BodyUnreadable => f.write_str("request body could not be read"),
            Self::NotUtf8 => f.write_str("request body is not valid UTF-8"),
            Self::EmptyBody => f.write_str("request body is empty: expected a JSON object"),
            Self::InvalidJson(reason) => write!(f, "request body is not valid JSON: {reason}"),
            Self::NotAnObject => f.write_str("request body must be a JSON object"),
            Self::NamesRequired => f.write_str(NAMES_REQUIRED),
            Self::NotAString(field) => write!(f, "{field} must be a string"),
            Self::Internal => f.write_str("internal server error"),
        }
    }
}

impl std::error::Error for ContractError {}

/// A complete response, ready for any framework to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Value of the `Content-Type` header.
    pub content_type: &'static str,
    /// Value of the `Allow` header, sent with 405 only.
    pub allow: Option<&'static str>,
    /// Close the connection after this reply (`Connection: close`): set when the rest of
    /// the request body was left unread, so the connection cannot carry another request.
    pub close_connection: bool,
    /// The body: a JWT on success, a one-line message otherwise.
    pub body: String,
}

impl Reply {
    /// Every header the reply carries, as `(lower-case name, value)`, except `Connection`,
    /// which frameworks manage themselves (see [`Reply::close_connection`]).
    ///
    /// The iterator does not borrow the reply, so the body can be moved out meanwhile.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> + use<> {
        std::iter::once(("content-type", self.content_type))
            .chain(self.allow.map(|allow| ("allow", allow)))
    }
}

impl From<ContractError> for Reply {
    fn from(err: ContractError) -> Self {
        let allow = (err == ContractError::MethodNotAllowed).then_some(TOKEN_ALLOW);
        Self {
            status: err.status(),
            content_type: TEXT_PLAIN,
            allow,
            close_connection: err == ContractError::PayloadTooLarge,
            body: err.to_string(),
        }
    }
}

/// The token endpoint without the HTTP: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct TokenService {
    minter: Arc<TokenMinter>,
}

impl TokenService {
    /// Builds the service from validated settings; all per-process work happens here.
    pub fn new(settings: &Settings) -> Self {
        Self {
            minter: Arc::new(TokenMinter::new(
                &settings.api_key,
                &settings.api_secret,
                settings.token_ttl(),
            )),
        }
    }

    /// Answers `POST /token` given the raw `Content-Type` header (if any) and the whole body.
    pub fn token_reply(&self, content_type: Option<&[u8]>, body: &[u8]) -> Reply {
        match self.mint(content_type, body) {
            Ok(jwt) => Reply {
                status: 200,
                content_type: TEXT_PLAIN,
                allow: None,
                close_connection: false,
                body: jwt,
            },
            Err(err) => err.into(),
        }
    }

    /// Validates the request and mints its token: the whole contract of `POST /token`.
    pub fn mint(&self, content_type: Option<&[u8]>, body: &[u8]) -> Result<String, ContractError> {
        let request = TokenRequest::parse(content_type, body)?;
        self.minter
            .mint(&request, SystemTime::now())
            .map_err(|_| ContractError::Internal)
    }

    /// The reply for an error found by the adapter (unknown path, wrong method, body too big).
    pub fn error_reply(&self, err: ContractError) -> Reply {
        err.into()
    }
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService")
            .field("minter", &self.minter)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_one_line_of_plain_text() {
        let errors = [
            ContractError::NotFound,
            ContractError::MethodNotAllowed,
            ContractError::PayloadTooLarge,
            ContractError::UnsupportedMediaType,
            ContractError::BodyUnreadable,
            ContractError::NotUtf8,
            ContractError::EmptyBody,
            ContractError::InvalidJson("expected value at line 1 column 1".into()),
            ContractError::NotAnObject,
            ContractError::NamesRequired,
            ContractError::NotAString("roomName"),
            ContractError::Internal,
        ];
        for err in errors {
            let reply = Reply::from(err.clone());
            assert_eq!(reply.content_type, TEXT_PLAIN);
            assert!(
                !reply.body.is_empty() && !reply.body.contains('\n'),
                "{err:?}"
            );
            assert!((400..600).contains(&reply.status), "{err:?}");
            assert_eq!(reply.allow.is_some(), reply.status == 405, "{err:?}");
        }
    }

    #[test]
    fn names_required_is_word_for_word() {
        let reply = Reply::from(ContractError::NamesRequired);
        assert_eq!((reply.status, reply.body.as_str()), (400, NAMES_REQUIRED));
    }
}
