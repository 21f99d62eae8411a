//! `CORS_ALLOWED_ORIGINS`: the origins whose pages may call the server in production mode;
//! other origins get no CORS headers, their preflights 403.

use std::fmt;

/// The origins whose pages may call the server, each `scheme://host[:port]`, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Parses `CORS_ALLOWED_ORIGINS`: exact origins only, no `*`, no path.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut origins = Vec::new();
        for value in values
            .iter()
            .map(|value| value.trim())
            .filter(|v| !v.is_empty())
        {
            let invalid = |why: &str| format!("CORS_ALLOWED_ORIGINS {value:?}: {why}");
            let rest = value
                .strip_prefix("https://")
                .or_else(|| value.strip_prefix("http://"))
                .ok_or_else(|| invalid("an origin starts with https:// or http://"))?;
            if rest.is_empty() {
                return Err(invalid("an origin names a host"));
            }
            if rest.contains(['/', '?', '#', '*', '@']) || rest.contains(char::is_whitespace) {
                return Err(invalid(
                    "an origin is scheme://host[:port], without a path, wildcard or user",
                ));
            }
            origins.push(value.to_ascii_lowercase());
        }
        Ok(Self(origins))
    }

    /// The allowed origin a request's `Origin` header names, if it names one; browsers
    /// write origins in lower case, so the match is exact.
    pub fn allowed<'a>(&self, origin: Option<&'a [u8]>) -> Option<&'a str> {
        let origin = std::str::from_utf8(origin?).ok()?;
        self.0
            .iter()
            .any(|allowed| allowed == origin)
            .then_some(origin)
    }
}

impl fmt::Display for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_lower_case() {
        let origins = AllowedOrigins::parse(&[
            "https://App.example.com".to_owned(),
            " http://localhost:5080 ".to_owned(),
        ])
        .expect("valid origins");
        assert_eq!(
            origins.allowed(Some(b"https://app.example.com")),
            Some("https://app.example.com")
        );
        assert_eq!(
            origins.allowed(Some(b"http://localhost:5080")),
            Some("http://localhost:5080")
        );
        for other in [
            &b"https://app.example.com."[..],
            b"https://app.example.com:443",
            b"http://app.example.com",
            b"null",
            b"",
        ] {
            assert_eq!(origins.allowed(Some(other)), None);
        }
        assert_eq!(origins.allowed(None), None);
        for invalid in [
            "*",
            "https://*.example.com",
            "https://a.com/",
            "a.com",
            "https://",
            "ftp://a",
        ] {
            assert!(
                AllowedOrigins::parse(&[invalid.to_owned()]).is_err(),
                "{invalid}"
            );
        }
    }
}
