//! Production mode's settings as given (`CALLER_*`, `CORS_ALLOWED_ORIGINS`,
//! `TOKEN_POLICY_FILE`, `TRY_PRODUCTION_LOCALLY`), resolved into token-core's
//! [`Production`] at start-up, where anything missing or invalid stops the server with one
//! line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use token_core::production::caller_auth::{
    CallerPolicy, CallerVerifier, DEFAULT_LEEWAY_SECONDS, DEFAULT_TOKEN_TYPES, MAX_LEEWAY_SECONDS,
    TokenType,
};
use token_core::production::caller_keys::{KeySource, MIN_RELOAD_INTERVAL};
use token_core::production::policy::TokenPolicy;
use token_core::production::{
    AllowedOrigins, DEFAULT_JWKS_CACHE_SECONDS, DEFAULT_JWKS_MAX_AGE_SECONDS, Production,
};

/// The longest `CALLER_JWKS_MAX_AGE_SECONDS`: a week.
pub const MAX_JWKS_MAX_AGE_SECONDS: u64 = 7 * 86_400;

use super::values::CallerAlgorithm;
use crate::jwks::{FileSource, UrlSource};
use crate::secret_text::SecretText;

/// Production mode's settings, as given.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProductionArgs {
    /// Production: the exact `iss` of callers' tokens (the identity provider).
    #[arg(long, env = "CALLER_ISSUER")]
    pub caller_issuer: Option<String>,

    /// Production: an `aud` callers' tokens must carry (this server).
    #[arg(long, env = "CALLER_AUDIENCE")]
    pub caller_audience: Option<String>,

    /// Production: the identity provider's JWKS URL (https; http only on loopback). Its
    /// user, password and query never show in logs or errors.
    #[arg(
        long,
        env = "CALLER_JWKS_URL",
        hide_env_values = true,
        conflicts_with = "caller_jwks_file"
    )]
    pub caller_jwks_url: Option<SecretText>,

    /// Production: a file holding the identity provider's JWKS, instead of a URL.
    #[arg(long, env = "CALLER_JWKS_FILE")]
    pub caller_jwks_file: Option<PathBuf>,

    /// Production: algorithms callers' tokens may use, comma-separated.
    #[arg(
        long,
        env = "CALLER_ALGORITHMS",
        value_enum,
        value_delimiter = ',',
        default_value = "RS256,ES256,EdDSA"
    )]
    pub caller_algorithms: Vec<CallerAlgorithm>,

    /// Production: clock skew allowed on callers' `exp` and `nbf`, in seconds.
    #[arg(
        long,
        env = "CALLER_LEEWAY_SECONDS",
        default_value_t = DEFAULT_LEEWAY_SECONDS,
        value_parser = clap::value_parser!(u64).range(0..=MAX_LEEWAY_SECONDS)
    )]
    pub caller_leeway_seconds: u64,

    /// Production: the claim of callers' tokens that is the participant's identity.
    #[arg(long, env = "CALLER_IDENTITY_CLAIM", default_value = "sub")]
    pub caller_identity_claim: String,

    /// Production: how long the JWKS is kept before it is loaded again, in seconds.
    #[arg(
        long,
        env = "CALLER_JWKS_CACHE_SECONDS",
        default_value_t = DEFAULT_JWKS_CACHE_SECONDS,
        value_parser = clap::value_parser!(u64).range(MIN_RELOAD_INTERVAL.as_secs()..=86_400)
    )]
    pub caller_jwks_cache_seconds: u64,

    /// Production: how long the last keys loaded are kept while the JWKS cannot be loaded
    /// again, in seconds (at least CALLER_JWKS_CACHE_SECONDS); then callers get 503.
    #[arg(
        long,
        env = "CALLER_JWKS_MAX_AGE_SECONDS",
        default_value_t = DEFAULT_JWKS_MAX_AGE_SECONDS,
        value_parser = clap::value_parser!(u64).range(MIN_RELOAD_INTERVAL.as_secs()..=MAX_JWKS_MAX_AGE_SECONDS)
    )]
    pub caller_jwks_max_age_seconds: u64,

    /// Production: the kinds of token (`typ` header) callers may present, comma-separated,
    /// `none` for tokens without `typ`; compared without case, `application/` omitted.
    #[arg(
        long,
        env = "CALLER_TOKEN_TYPES",
        value_delimiter = ',',
        default_value = DEFAULT_TOKEN_TYPES
    )]
    pub caller_token_types: Vec<TokenType>,

    /// Production: the origins whose pages may call the server, comma-separated
    /// (`https://app.example.com`); other origins get no CORS headers, their preflights 403.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,

    /// Production: a TOML file of rules: who may join which rooms, with which grants, and
    /// what clients may set (required; "any caller, any room" is a rule to write).
    #[arg(long, env = "TOKEN_POLICY_FILE")]
    pub token_policy_file: Option<PathBuf>,

    /// Production, on one machine only: accept LiveKit's development credentials, secrets
    /// shorter than 32 bytes and the test keys published with this server ("Try it locally"
    /// in docs/production.md signs callers with them). Warned at every start.
    #[arg(
        long,
        env = "TRY_PRODUCTION_LOCALLY",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub try_production_locally: bool,
}

impl ProductionArgs {
    /// Resolves the settings for production mode: one line naming everything missing, or
    /// what is wrong.
    pub fn resolve(&self) -> Result<Production, String> {
        let mut missing = Vec::new();
        if non_empty(&self.caller_issuer).is_none() {
            missing.push("CALLER_ISSUER");
        }
        if non_empty(&self.caller_audience).is_none() {
            missing.push("CALLER_AUDIENCE");
        }
        if self.jwks_url().is_none() && self.caller_jwks_file.is_none() {
            missing.push("CALLER_JWKS_URL or CALLER_JWKS_FILE");
        }
        if self
            .cors_allowed_origins
            .iter()
            .all(|origin| origin.trim().is_empty())
        {
            missing.push("CORS_ALLOWED_ORIGINS");
        }
        if self.token_policy_file.is_none() {
            missing.push("TOKEN_POLICY_FILE");
        }
        if !missing.is_empty() {
            return Err(format!(
                "TOKEN_SERVER_MODE=production needs {} (see README, production mode)",
                missing.join(", ")
            ));
        }
        let mut policy = CallerPolicy::new(
            self.caller_issuer.clone().unwrap_or_default(),
            self.caller_audience.clone().unwrap_or_default(),
        );
        policy.algorithms = self
            .caller_algorithms
            .iter()
            .map(|alg| Algorithm::from(*alg))
            .collect();
        policy.algorithms.dedup();
        policy.leeway_seconds = self.caller_leeway_seconds;
        policy.identity_claim = self.caller_identity_claim.clone();
        policy.allows_published_keys = self.try_production_locally;
        policy.token_types.clone_from(&self.caller_token_types);
        if self.caller_jwks_max_age_seconds < self.caller_jwks_cache_seconds {
            return Err(
                "CALLER_JWKS_MAX_AGE_SECONDS must be at least CALLER_JWKS_CACHE_SECONDS".to_owned(),
            );
        }
        policy.check()?;
        let (source, initial): (Arc<dyn KeySource>, _) =
            match (&self.caller_jwks_file, self.jwks_url()) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(path).map_err(|err| {
                        format!("cannot read CALLER_JWKS_FILE {}: {err}", path.display())
                    })?;
                    let (verifier, _) = CallerVerifier::from_jwks(&text, policy.clone())
                        .map_err(|err| format!("CALLER_JWKS_FILE {}: {err}", path.display()))?;
                    (Arc::new(FileSource::new(path.clone())), Some(verifier))
                }
                (None, Some(url)) => (Arc::new(UrlSource::parse(url)?), None),
                (None, None) => {
                    return Err(
                        "TOKEN_SERVER_MODE=production needs CALLER_JWKS_URL or CALLER_JWKS_FILE"
                            .to_owned(),
                    );
                }
            };
        let origins = AllowedOrigins::parse(&self.cors_allowed_origins)?;
        let rules = match &self.token_policy_file {
            Some(path) => TokenPolicy::from_file(path)?,
            None => return Err("TOKEN_SERVER_MODE=production needs TOKEN_POLICY_FILE".to_owned()),
        };
        Ok(Production {
            jwks: source,
            policy,
            cache_for: Duration::from_secs(self.caller_jwks_cache_seconds),
            max_age: Duration::from_secs(self.caller_jwks_max_age_seconds),
            initial: initial.map(Arc::new),
            origins,
            rules,
        })
    }

    /// `CALLER_JWKS_URL` when it is set to something other than blanks.
    fn jwks_url(&self) -> Option<&str> {
        let url = self.caller_jwks_url.as_ref()?.expose();
        (!url.trim().is_empty()).then_some(url)
    }
}

/// A setting's value when it is set to something other than blanks.
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        production: ProductionArgs,
    }

    fn args(flags: &[&str]) -> ProductionArgs {
        Args::try_parse_from(std::iter::once("test").chain(flags.iter().copied()))
            .expect("valid flags")
            .production
    }

    #[test]
    fn what_is_missing_is_named_on_one_line() {
        let err = args(&[]).resolve().expect_err("nothing set");
        assert_eq!(
            err,
            "TOKEN_SERVER_MODE=production needs CALLER_ISSUER, CALLER_AUDIENCE, CALLER_JWKS_URL or \
             CALLER_JWKS_FILE, CORS_ALLOWED_ORIGINS, TOKEN_POLICY_FILE (see README, production mode)"
        );
        let policy = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(policy.path(), "[[rule]]\nrooms = [\"*\"]").expect("written");
        let policy_path = policy.path().to_str().expect("a UTF-8 path");
        let with_url = |url: &str| {
            args(&[
                "--token-policy-file",
                policy_path,
                "--caller-issuer",
                "https://idp",
                "--caller-audience",
                "tokens",
                "--caller-jwks-url",
                url,
                "--cors-allowed-origins",
                "https://app.example.com",
            ])
            .resolve()
        };
        let err = with_url("http://idp.example.com/jwks").expect_err("http off loopback");
        assert!(err.contains("must be https"), "{err}");
        assert!(with_url("http://127.0.0.1:9/jwks").is_ok());
        assert!(with_url("http://[::1]:9/jwks").is_ok());
        assert!(with_url("https://idp.example.com/jwks").is_ok());
    }
}
