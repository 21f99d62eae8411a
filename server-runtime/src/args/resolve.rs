//! [`Args`] resolved into a [`Config`]: files read, values checked against each other,
//! production's refusals (public credentials, settings without the mode) and the warnings
//! logged at start-up.

use std::net::SocketAddr;
use std::time::Duration;

use token_core::ServiceConfig;
use token_core::livekit::keys::{Credentials, DEV_API_KEY, DEV_API_SECRET};
use token_core::operations::limits::LimitConfig;
use token_core::production::DEFAULT_PRODUCTION_TTL_SECONDS;
use token_core::service::config::{
    CLIENT_CACHE_MARGIN_SECONDS, DEFAULT_TOKEN_TTL_SECONDS, Mode, RECOMMENDED_SECRET_BYTES,
    Tutorial,
};

use super::values::{ModeArg, SwitchArg};
use super::{Args, Given};
use crate::config::Config;

impl Args {
    /// Resolves the settings as given into a [`Config`], or the one line that says what is
    /// wrong. `given` names the settings of production mode and of the Redis store taken
    /// from the command line or the environment rather than a default.
    pub(crate) fn resolve(self, given: Given) -> Result<Config, String> {
        let Given {
            production: given,
            limit_store: given_store,
        } = given;
        let credentials = self.keys.resolve()?;
        let mode = match self.mode {
            Some(ModeArg::Production) => {
                let production = self.production_args.resolve()?;
                if self.can_update_own_metadata {
                    return Err(
                        "TOKEN_CAN_UPDATE_OWN_METADATA is for tutorial mode: in production, \
                         grant it per rule (update_own_metadata = true in TOKEN_POLICY_FILE)"
                            .to_owned(),
                    );
                }
                if !self.production_args.try_production_locally {
                    refuse_public_credentials(&credentials)?;
                }
                Mode::Production(Box::new(production))
            }
            Some(ModeArg::Tutorial) => self.tutorial(),
            None => {
                // Production settings without a mode would serve the open contract while
                // their operator believes callers are authenticated.
                if !given.is_empty() {
                    return Err(format!(
                        "{} set without TOKEN_SERVER_MODE: set TOKEN_SERVER_MODE=production to \
                         authenticate callers, or TOKEN_SERVER_MODE=tutorial to serve anyone",
                        given.join(", ")
                    ));
                }
                self.tutorial()
            }
        };
        let default_ttl = match mode {
            Mode::Tutorial(_) => DEFAULT_TOKEN_TTL_SECONDS,
            Mode::Production(_) => DEFAULT_PRODUCTION_TTL_SECONDS,
        };
        let ttl = self.token_ttl_seconds.unwrap_or(default_ttl);
        let mut service = ServiceConfig::new(credentials, mode);
        service.token_ttl = Duration::from_secs(u64::from(ttl));
        service.response_format = self.response_format.into();
        service.livekit_url.clone_from(&self.livekit_url);
        service.endpoint_fields.clone_from(&self.endpoint_fields);
        let mut store_warnings = Vec::new();
        service.limits = LimitConfig {
            on: self.rate_limits == SwitchArg::On,
            tokens: self.token_rate_limit,
            auth_failures: self.auth_failure_rate_limit,
            trusted_proxies: self.trusted_proxies.clone(),
            trusted_proxy_header: self.trusted_proxy_header.into(),
            store: self.limit_store.resolve(
                &given_store,
                self.rate_limits == SwitchArg::On,
                &mut store_warnings,
            )?,
        };
        service.max_connections = usize::try_from(self.max_connections).unwrap_or(usize::MAX);
        service.metrics = self.metrics_port.is_some();
        service.log_names = self.log_names;
        let mut warnings = warnings(&self, &service, &given);
        warnings.extend(store_warnings);
        Ok(Config {
            listen: SocketAddr::new(self.host, self.port),
            metrics: self
                .metrics_port
                .map(|port| SocketAddr::new(self.metrics_host, port)),
            log_format: self.log_format,
            health_check: self.health_check,
            service,
            warnings,
        })
    }

    fn tutorial(&self) -> Mode {
        Mode::Tutorial(Tutorial {
            allow_room_config: self.allow_room_config,
            can_update_own_metadata: self.can_update_own_metadata,
        })
    }
}

/// Warnings worth logging at start-up: settings that work but should not reach production.
fn warnings(args: &Args, service: &ServiceConfig, ignored: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    let credentials = &service.credentials;
    if credentials.signing_key() == DEV_API_KEY
        || credentials.signing_secret().expose() == DEV_API_SECRET
    {
        warnings.push(
            "using LiveKit's development credentials (devkey/secret): \
             set LIVEKIT_API_KEY and LIVEKIT_API_SECRET for production"
                .to_owned(),
        );
    }
    for (key, secret) in credentials.iter() {
        if secret.expose().len() < RECOMMENDED_SECRET_BYTES {
            warnings.push(format!(
                "the secret of API key {key} is shorter than {RECOMMENDED_SECRET_BYTES} \
                 bytes, which LiveKit's own server flags as insecure"
            ));
        }
    }
    if let Some(path) = args.keys.world_readable_key_file() {
        warnings.push(format!(
            "LIVEKIT_KEY_FILE {} can be read by any user (LiveKit's own server refuses \
             such a file): chmod o-rwx it",
            path.display()
        ));
    }
    let ttl = service.token_ttl.as_secs();
    if ttl <= u64::from(CLIENT_CACHE_MARGIN_SECONDS) {
        warnings.push(format!(
            "TOKEN_TTL_SECONDS is {ttl} s: LiveKit's client SDKs reuse a token only while it \
             has more than {CLIENT_CACHE_MARGIN_SECONDS} s left, so they will fetch a new one \
             on every connection"
        ));
    }
    if service.production().is_some() && args.production_args.try_production_locally {
        warnings.push(
            "TRY_PRODUCTION_LOCALLY is set: production mode accepts LiveKit's development \
             credentials, short secrets and the test keys published with this server, so \
             anyone can mint tokens and sign callers; use it on one machine only"
                .to_owned(),
        );
    }
    if service.production().is_none() && !ignored.is_empty() {
        warnings.push(format!(
            "{} set, but TOKEN_SERVER_MODE is tutorial: anyone may get any token; \
             set TOKEN_SERVER_MODE=production to authenticate callers",
            ignored.join(", ")
        ));
    }
    warnings
}

/// In production, LiveKit's public development credentials and short secrets are refused:
/// anyone could mint tokens offline and forge webhooks. The line names the key, never a
/// secret.
fn refuse_public_credentials(credentials: &Credentials) -> Result<(), String> {
    const HOW: &str = "set your own LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or \
                       TRY_PRODUCTION_LOCALLY=true to try production mode on one machine)";
    for (key, secret) in credentials.iter() {
        if key == DEV_API_KEY || secret.expose() == DEV_API_SECRET {
            return Err(format!(
                "TOKEN_SERVER_MODE=production refuses LiveKit's public development credentials \
                 (API key {key}): {HOW}"
            ));
        }
        if secret.expose().len() < RECOMMENDED_SECRET_BYTES {
            return Err(format!(
                "TOKEN_SERVER_MODE=production refuses the secret of API key {key}: shorter than \
                 {RECOMMENDED_SECRET_BYTES} bytes, which LiveKit refuses too; {HOW}"
            ));
        }
        if is_published_secret(secret.expose()) {
            return Err(format!(
                "TOKEN_SERVER_MODE=production refuses the secret of API key {key}: a placeholder \
                 or example published with this server; {HOW}"
            ));
        }
    }
    Ok(())
}

/// Secrets anyone can read in this repository: the deployment example's placeholders and
/// the example secret of docs/production.md and docs/conformance.md.
const PUBLISHED_SECRETS: [&str; 1] = ["a-local-secret-of-at-least-32-bytes"];

/// Whether a secret is a placeholder (`REPLACE_ME`, any case or dash) or a published example.
fn is_published_secret(secret: &str) -> bool {
    let folded = secret.to_ascii_lowercase().replace('-', "_");
    folded.contains("replace_me") || PUBLISHED_SECRETS.contains(&secret)
}
