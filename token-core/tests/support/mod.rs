//! What the integration tests build production services from, without the runtime: key
//! sources over a file or an unreachable provider, and a production configuration changed
//! by a few settings named as the runtime's flags name them.

// Each test file that includes this module uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use token_core::livekit::keys::Credentials;
use token_core::production::caller_auth::{CallerPolicy, CallerVerifier, TokenType};
use token_core::production::caller_keys::{Fetched, KeySource};
use token_core::production::policy::TokenPolicy;
use token_core::production::{AllowedOrigins, Production};
use token_core::service::config::Mode;
use token_core::service::reply::ResponseFormat;
use token_core::{ServiceConfig, TokenService};

pub const ISSUER: &str = "https://id.example";
pub const AUDIENCE: &str = "token-server";
pub const ANY_ROOM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/production/any-room.toml"
);

/// A JWKS in a file, read again at each fetch.
#[derive(Debug)]
pub struct FileKeys(pub PathBuf);

impl KeySource for FileKeys {
    fn fetch(&self) -> Fetched<'_> {
        let read = std::fs::read_to_string(&self.0).map_err(|err| err.to_string());
        Box::pin(async move { read })
    }
}

impl std::fmt::Display for FileKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.display())
    }
}

/// An identity provider that never answers.
#[derive(Debug)]
pub struct Unreachable;

impl KeySource for Unreachable {
    fn fetch(&self) -> Fetched<'_> {
        Box::pin(async { Err("connection refused".to_owned()) })
    }
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("https://unreachable.example/jwks")
    }
}

/// Production mode with the suite's published keys (a local trial), callers from
/// `ISSUER` for `AUDIENCE`, pages of `origin`, JSON bodies; `jwks` a file path (read at
/// start-up, as the runtime does) or a URL (never reachable); `extra` flag/value pairs.
pub fn production_config(jwks: &str, origin: &str, extra: &[&str]) -> ServiceConfig {
    let mut policy = CallerPolicy::new(ISSUER, AUDIENCE);
    policy.allows_published_keys = true;
    let mut rules = ANY_ROOM.to_owned();
    let mut limits_on = true;
    let mut token_quota = None;
    let mut cache_for = None;
    let mut max_age = None;
    for pair in extra.chunks(2) {
        let [flag, value] = pair else {
            panic!("flags come in pairs: {extra:?}");
        };
        match *flag {
            "--rate-limits" => limits_on = *value != "off",
            "--token-rate-limit" => token_quota = Some(value.parse().expect("a quota")),
            "--token-policy-file" => (*value).clone_into(&mut rules),
            "--caller-identity-claim" => (*value).clone_into(&mut policy.identity_claim),
            "--caller-token-types" => {
                policy.token_types = value
                    .split(',')
                    .map(|kind| kind.parse::<TokenType>().expect("a token type"))
                    .collect();
            }
            "--caller-jwks-cache-seconds" => cache_for = Some(seconds(value)),
            "--caller-jwks-max-age-seconds" => max_age = Some(seconds(value)),
            other => panic!("no such test setting: {other}"),
        }
    }
    let (source, initial): (Arc<dyn KeySource>, _) = if jwks.starts_with("http") {
        (Arc::new(Unreachable), None)
    } else {
        let text = std::fs::read_to_string(jwks).expect("the JWKS file");
        let (verifier, _) = CallerVerifier::from_jwks(&text, policy.clone()).expect("a JWKS");
        (Arc::new(FileKeys(jwks.into())), Some(Arc::new(verifier)))
    };
    let origins = AllowedOrigins::parse(&[origin.to_owned()]).expect("an origin");
    let rules = TokenPolicy::from_file(rules.as_ref()).expect("a policy");
    let mut production = Production::new(source, policy, origins, rules);
    production.initial = initial;
    if let Some(cache_for) = cache_for {
        production.cache_for = cache_for;
    }
    if let Some(max_age) = max_age {
        production.max_age = max_age;
    }
    let mut config = ServiceConfig::new(
        Credentials::development(),
        Mode::Production(Box::new(production)),
    );
    config.response_format = ResponseFormat::Json;
    config.limits.on = limits_on;
    if let Some(quota) = token_quota {
        config.limits.tokens = quota;
    }
    config
}

/// [`production_config`]'s service.
pub fn production_service(jwks: &str, origin: &str, extra: &[&str]) -> TokenService {
    TokenService::new(&production_config(jwks, origin, extra))
}

fn seconds(value: &str) -> Duration {
    Duration::from_secs(value.parse().expect("seconds"))
}
