//! The raw text of a setting that may hold a secret (`LIVEKIT_API_SECRET`, `LIVEKIT_KEYS`,
//! `CALLER_JWKS_URL`).
//!
//! clap takes it as it is and never fails on it, because clap's message for an invalid value
//! quotes the value. It is validated after the arguments are parsed, by code whose errors name
//! the setting and the line, never the text; until then it prints as `SecretText(***)`.
//! A URL that may carry credentials is shown by [`redacted_url`].

use std::fmt;

/// A setting's text that may hold a secret; `Debug` shows `SecretText(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    /// The text itself, for validation and use only: never for a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for SecretText {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(***)")
    }
}

/// `url` as logs and errors may show it: its user name, password, query and fragment, any
/// of which may be a credential (`https://user:password@host`, `?token=`), written `***`.
pub fn redacted_url(url: &reqwest::Url) -> String {
    let userinfo = if url.username().is_empty() && url.password().is_none() {
        ""
    } else {
        "***@"
    };
    let port = url
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    let query = if url.query().is_some() { "?***" } else { "" };
    let fragment = if url.fragment().is_some() { "#***" } else { "" };
    format!(
        "{}://{userinfo}{}{port}{}{query}{fragment}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_show_no_credentials() {
        for (url, shown) in [
            (
                "https://idp.example.com/.well-known/jwks.json",
                "https://idp.example.com/.well-known/jwks.json",
            ),
            (
                "https://user:pass-word@idp.example.com:8443/jwks?token=abc&x=1#frag",
                "https://***@idp.example.com:8443/jwks?***#***",
            ),
            (
                "https://token-as-user@idp.example.com/",
                "https://***@idp.example.com/",
            ),
            (
                "http://:pass-word@[::1]:9/jwks?",
                "http://***@[::1]:9/jwks?***",
            ),
        ] {
            let url = reqwest::Url::parse(url).expect("a URL");
            assert_eq!(redacted_url(&url), shown);
        }
    }

    #[test]
    fn debug_hides_the_text() {
        let text = SecretText::from("APIa: a-secret-value");
        assert_eq!(format!("{text:?}"), "SecretText(***)");
        assert_eq!(text.expose(), "APIa: a-secret-value");
    }
}
