//! The CORS policy: any origin may ask for a token, from a page served anywhere.
//!
//! Backends apply it with their framework's own middleware where that middleware can; these
//! values are what each must configure.

/// `Access-Control-Allow-Origin` on every response. Tokens are not cookies: no credentials
/// are involved, so the wildcard is both correct and the simplest thing for browsers.
pub const ALLOW_ORIGIN: &str = "*";
/// Methods a cross-origin page may use (`Access-Control-Allow-Methods`).
pub const ALLOW_METHODS: [&str; 1] = ["POST"];
/// How long a browser may cache a preflight (`Access-Control-Max-Age`), in seconds.
/// Chromium caps it at two hours; one hour is kept everywhere.
pub const MAX_AGE_SECONDS: u64 = 3600;

/// The headers of a preflight answer, for a framework whose middleware cannot produce them.
///
/// `requested_headers` is the request's `Access-Control-Request-Headers`; every requested
/// header is allowed, by echoing the list (a `*` would not cover `Authorization`).
pub fn preflight_headers(requested_headers: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("access-control-allow-origin", ALLOW_ORIGIN.to_owned()),
        ("access-control-allow-methods", ALLOW_METHODS.join(", ")),
        ("access-control-max-age", MAX_AGE_SECONDS.to_string()),
    ];
    if let Some(requested) = requested_headers.filter(|list| !list.trim().is_empty()) {
        headers.push(("access-control-allow-headers", requested.to_owned()));
        headers.push(("vary", "access-control-request-headers".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_echoes_requested_headers() {
        let headers = preflight_headers(Some("content-type, x-custom, authorization"));
        assert!(headers.contains(&(
            "access-control-allow-headers",
            "content-type, x-custom, authorization".to_owned()
        )));
        assert!(headers.contains(&("access-control-allow-origin", "*".to_owned())));
        assert!(headers.contains(&("access-control-max-age", "3600".to_owned())));
        assert!(
            !preflight_headers(None)
                .iter()
                .any(|(name, _)| *name == "access-control-allow-headers")
        );
    }
}
