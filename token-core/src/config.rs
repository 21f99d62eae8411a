//! Settings, from command-line flags, the environment and a `.env` file, in that order of
//! precedence. Every value is validated here, once, so a running server never meets a bad one.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::client_address::{ProxyHeader, TrustedProxies};
use crate::keys::{Credentials, KeySources};
use crate::limits::{RateQuota, Switch};
use crate::production::{DEFAULT_PRODUCTION_TTL_SECONDS, Mode, Production, ProductionArgs};
use crate::token_source::{ClientField, FieldPolicy};

/// The API key LiveKit's development server (`livekit-server --dev`) accepts.
pub const DEV_API_KEY: &str = "devkey";
/// The API secret LiveKit's development server accepts.
pub const DEV_API_SECRET: &str = "secret";
/// The port every OpenVidu tutorial server listens on.
pub const DEFAULT_PORT: u16 = 6080;
/// Six hours, the default TTL of every official LiveKit SDK.
pub const DEFAULT_TOKEN_TTL_SECONDS: u32 = 6 * 60 * 60;
/// Thirty days: longer-lived join tokens are almost certainly a mistake.
pub const MAX_TOKEN_TTL_SECONDS: u32 = 30 * 24 * 60 * 60;
/// The local OpenVidu/LiveKit development server.
pub const DEFAULT_LIVEKIT_URL: &str = "ws://localhost:7880";
/// The default `SERVER_MAX_CONNECTIONS`: actix-web's default per worker.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 25_000;
/// The default `TOKEN_RATE_LIMIT`: a tutorial page asks for a few tokens, a busy office
/// behind one address a few a second.
pub const DEFAULT_TOKEN_RATE_LIMIT: &str = "600/min";
/// The default `AUTH_FAILURE_RATE_LIMIT`: LiveKit signs every webhook right, so failures are
/// rare unless someone guesses.
pub const DEFAULT_AUTH_FAILURE_RATE_LIMIT: &str = "60/min";
/// LiveKit's own server logs an error for secrets shorter than this (HS256 wants 256 bits).
pub const RECOMMENDED_SECRET_BYTES: usize = 32;

/// Everything a backend needs to run.
#[derive(Debug, Clone, Parser)]
#[command(
    about = "Serves LiveKit access tokens for the OpenVidu tutorials: POST /token with \
             {\"roomName\", \"participantName\"}.",
    version
)]
pub struct Settings {
    /// Port to listen on; 0 picks any free port.
    #[arg(long, env = "SERVER_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// Address to listen on; the default is every interface.
    #[arg(long, env = "SERVER_HOST", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub host: IpAddr,

    /// The API keys as given; [`Settings::credentials`] is what they resolve to.
    #[command(flatten)]
    pub keys: KeySources,

    /// The API keys resolved from [`Settings::keys`] when the settings are loaded: the one
    /// that signs tokens, and every one webhooks may be signed with.
    #[arg(skip)]
    pub credentials: Credentials,

    /// `tutorial` (the OpenVidu tutorials' open contract) or `production` (authenticated
    /// callers only, under a policy: see the CALLER_* settings) [default: tutorial; production
    /// settings without a mode are refused].
    #[arg(long, env = "TOKEN_SERVER_MODE", value_enum)]
    pub mode: Option<Mode>,

    /// Production mode's settings as given; [`Settings::production`] is what they resolve to.
    #[command(flatten)]
    pub production_args: ProductionArgs,

    /// The variables of production settings given (not defaults), for tutorial mode's checks.
    #[arg(skip)]
    pub production_variables: Vec<String>,

    /// Production mode resolved from [`Settings::production_args`] when the settings are
    /// loaded in production mode; `None` in tutorial mode.
    #[arg(skip)]
    pub production: Option<Production>,

    /// Lifetime of each token in seconds (exp - nbf) [default: 21600 (six hours) in tutorial
    /// mode, 600 in production].
    #[arg(
        long,
        env = "TOKEN_TTL_SECONDS",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TOKEN_TTL_SECONDS))
    )]
    pub token_ttl_seconds: Option<u32>,

    /// Shape of token and error bodies: `text` (the JWT or message as plain text) or `json`
    /// (`{"token": ...}` / `{"errorMessage": ...}`, as OpenVidu 3's tutorial clients expect).
    #[arg(long, env = "TOKEN_RESPONSE_FORMAT", value_enum, default_value_t = ResponseFormat::Text)]
    pub response_format: ResponseFormat,

    /// The LiveKit server URL that `POST /livekit/token` answers as `server_url`
    /// (`ws://`, `wss://`, `http://` or `https://`).
    #[arg(long, env = "LIVEKIT_URL", default_value = DEFAULT_LIVEKIT_URL, value_parser = parse_livekit_url)]
    pub livekit_url: String,

    /// The optional fields clients may set on `POST /livekit/token`, comma-separated; any
    /// other field set gets 403.
    #[arg(
        long,
        env = "TOKEN_ENDPOINT_FIELDS",
        value_enum,
        value_delimiter = ',',
        default_value = "room_name,participant_identity,participant_name,participant_metadata,participant_attributes"
    )]
    pub endpoint_fields: Vec<ClientField>,

    /// Also let clients set `room_config` (agent dispatch) on `POST /livekit/token`.
    #[arg(
        long,
        env = "TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_room_config: bool,

    /// Also grant `canUpdateOwnMetadata` in every token, as LiveKit's own token server does:
    /// participants may then change their own name, metadata and attributes.
    #[arg(
        long,
        env = "TOKEN_CAN_UPDATE_OWN_METADATA",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub can_update_own_metadata: bool,

    /// The most connections served at once; past it, new connections wait to be accepted
    /// (actix-web's default per worker, for the whole server here).
    #[arg(
        long,
        env = "SERVER_MAX_CONNECTIONS",
        default_value_t = DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub max_connections: u32,

    /// Requests to the token endpoints each client address may make, as COUNT/s, COUNT/min
    /// or COUNT/h; past it 429 with Retry-After.
    #[arg(long, env = "TOKEN_RATE_LIMIT", default_value = DEFAULT_TOKEN_RATE_LIMIT)]
    pub token_rate_limit: RateQuota,

    /// Failed authentications (a webhook with a bad signature) each client address may make
    /// before its failures get 429 instead of 401.
    #[arg(long, env = "AUTH_FAILURE_RATE_LIMIT", default_value = DEFAULT_AUTH_FAILURE_RATE_LIMIT)]
    pub auth_failure_rate_limit: RateQuota,

    /// `off` turns every rate limit off.
    #[arg(long, env = "RATE_LIMITS", value_enum, default_value_t = Switch::On)]
    pub rate_limits: Switch,

    /// Proxies whose forwarding header (TRUSTED_PROXY_HEADER) names the client, as
    /// comma-separated addresses and networks (`10.0.0.0/8,192.168.1.7`); by default none, and
    /// the client is the socket's peer.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,

    /// The one header trusted proxies append the client's address to: `x-forwarded-for`
    /// (nginx, ingress-nginx, Envoy, cloud load balancers) or `forwarded` (RFC 7239). The
    /// other header is never read: proxies pass it through as the client wrote it.
    #[arg(long, env = "TRUSTED_PROXY_HEADER", value_enum, default_value_t = ProxyHeader::XForwardedFor)]
    pub trusted_proxy_header: ProxyHeader,

    /// Serve Prometheus metrics (OpenMetrics text at GET /metrics) on this port, apart from
    /// the token endpoints, as LiveKit serves its own; 0 picks any free port. Off by default.
    #[arg(long, env = "METRICS_PORT")]
    pub metrics_port: Option<u16>,

    /// Address the metrics port listens on; the default is the loopback only, since metrics
    /// are served without authentication (a pod's scrape needs 0.0.0.0).
    #[arg(long, env = "METRICS_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub metrics_host: IpAddr,

    /// Log lines as human-readable text or as JSON objects (one per line).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Write room and participant names in logs as they are. By default a log shows a short
    /// hash of each, keyed by the API secret: the same name, the same hash.
    #[arg(
        long,
        env = "LOG_NAMES",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub log_names: bool,

    /// Instead of serving, check that the server on --host and --port answers GET /healthz
    /// (on the loopback when the host is every interface), and exit 0 if it does (for
    /// container health checks).
    #[arg(long)]
    pub health_check: bool,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `tracing`'s human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The shape of reply bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResponseFormat {
    /// `text/plain; charset=utf-8`: the JWT, or the error message.
    #[default]
    Text,
    /// `application/json`: `{"token": ...}`, or `{"errorMessage": ...}`.
    Json,
}

impl Settings {
    /// Reads `.env` from the working directory (real environment variables win over it),
    /// then the flags and environment.
    ///
    /// `name` is the binary's name, shown in `--help` and in errors.
    pub fn load(name: &'static str) -> Result<Self, ConfigError> {
        // The working directory's `.env` only, as the README says: never a parent's.
        match dotenvy::from_path(".env") {
            Ok(_) => {}
            Err(err) if err.not_found() => {}
            Err(err) => return Err(ConfigError::Invalid(dotenv_error(&err))),
        }
        Self::from_args(name, std::env::args_os())
    }

    /// Parses flags (and the process environment) without touching `.env`.
    pub fn from_args<I, T>(name: &'static str, args: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::command()
            .name(name)
            .bin_name(name)
            .try_get_matches_from(args)
            .map_err(ConfigError::from_clap)?;
        let mut settings = Self::from_arg_matches(&matches).map_err(ConfigError::from_clap)?;
        settings.credentials = settings.keys.resolve().map_err(ConfigError::Invalid)?;
        settings.production_variables = ProductionArgs::given_variables(&matches);
        match settings.mode {
            Some(Mode::Production) => {
                let production = settings
                    .production_args
                    .resolve()
                    .map_err(ConfigError::Invalid)?;
                if settings.can_update_own_metadata {
                    return Err(ConfigError::Invalid(
                        "TOKEN_CAN_UPDATE_OWN_METADATA is for tutorial mode: in production, \
                         grant it per rule (update_own_metadata = true in TOKEN_POLICY_FILE)"
                            .to_owned(),
                    ));
                }
                if !settings.production_args.try_production_locally {
                    refuse_public_credentials(&settings.credentials)
                        .map_err(ConfigError::Invalid)?;
                }
                settings.production = Some(production);
            }
            Some(Mode::Tutorial) => {}
            None => {
                // Production settings without a mode would serve the open contract while
                // their operator believes callers are authenticated.
                let set = &settings.production_variables;
                if !set.is_empty() {
                    return Err(ConfigError::Invalid(format!(
                        "{} set without TOKEN_SERVER_MODE: set TOKEN_SERVER_MODE=production to \
                         authenticate callers, or TOKEN_SERVER_MODE=tutorial to serve anyone",
                        set.join(", ")
                    )));
                }
            }
        }
        Ok(settings)
    }

    /// The mode served: as set, else tutorial.
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }

    /// The environment variable of every setting.
    pub fn environment_variables() -> Vec<String> {
        Self::command()
            .get_arguments()
            .filter_map(|argument| argument.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect()
    }

    /// Which fields clients may set on the standard endpoint. In production `room_config`
    /// is allowed when the policy names agents it may dispatch.
    pub fn field_policy(&self) -> FieldPolicy {
        let allowed = match &self.production {
            Some(production) => production.rules.allows_room_config(),
            None => self.allow_room_config,
        };
        let room_config = allowed.then_some(ClientField::RoomConfig);
        FieldPolicy::new(self.endpoint_fields.iter().copied().chain(room_config))
    }

    /// The token lifetime: as set, else the mode's default.
    pub fn token_ttl(&self) -> Duration {
        let seconds = self.token_ttl_seconds.unwrap_or(match self.mode() {
            Mode::Tutorial => DEFAULT_TOKEN_TTL_SECONDS,
            Mode::Production => DEFAULT_PRODUCTION_TTL_SECONDS,
        });
        Duration::from_secs(u64::from(seconds))
    }

    /// Warnings worth logging at start-up: settings that work but should not reach production.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let credentials = &self.credentials;
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
        if let Some(path) = self.keys.world_readable_key_file() {
            warnings.push(format!(
                "LIVEKIT_KEY_FILE {} can be read by any user (LiveKit's own server refuses \
                 such a file): chmod o-rwx it",
                path.display()
            ));
        }
        let ttl = self.token_ttl().as_secs();
        if ttl <= u64::from(CLIENT_CACHE_MARGIN_SECONDS) {
            warnings.push(format!(
                "TOKEN_TTL_SECONDS is {ttl} s: LiveKit's client SDKs reuse a token only while it \
                 has more than {CLIENT_CACHE_MARGIN_SECONDS} s left, so they will fetch a new one \
                 on every connection"
            ));
        }
        if self.production.is_some() && self.production_args.try_production_locally {
            warnings.push(
                "TRY_PRODUCTION_LOCALLY is set: production mode accepts LiveKit's development \
                 credentials, short secrets and the test keys published with this server, so \
                 anyone can mint tokens and sign callers; use it on one machine only"
                    .to_owned(),
            );
        }
        let ignored = &self.production_variables;
        if self.mode() == Mode::Tutorial && !ignored.is_empty() {
            warnings.push(format!(
                "{} set, but TOKEN_SERVER_MODE is tutorial: anyone may get any token; \
                 set TOKEN_SERVER_MODE=production to authenticate callers",
                ignored.join(", ")
            ));
        }
        warnings
    }
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
/// the README's examples.
const PUBLISHED_SECRETS: [&str; 1] = ["a-local-secret-of-at-least-32-bytes"];

/// Whether a secret is a placeholder (`REPLACE_ME`, any case or dash) or a published example.
fn is_published_secret(secret: &str) -> bool {
    let folded = secret.to_ascii_lowercase().replace('-', "_");
    folded.contains("replace_me") || PUBLISHED_SECRETS.contains(&secret)
}

/// LiveKit's client SDKs (JS, Swift, Flutter, Rust) reuse a cached token only while its `exp`
/// is more than this far away.
pub const CLIENT_CACHE_MARGIN_SECONDS: u32 = 60;

/// The LiveKit API secret. It prints as `ApiSecret(***)` so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

impl ApiSecret {
    /// Wraps a secret; empty secrets are refused when settings are parsed.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for signing and verifying only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiSecret(***)")
    }
}

fn parse_livekit_url(value: &str) -> Result<String, String> {
    let rest = ["ws://", "wss://", "http://", "https://"]
        .iter()
        .find_map(|scheme| value.strip_prefix(scheme))
        .ok_or("must start with ws://, wss://, http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') || value.chars().any(char::is_whitespace) {
        return Err("must name a host".to_owned());
    }
    Ok(value.to_owned())
}

/// Why `.env` cannot be read, naming the line but never showing it: dotenvy's own message
/// quotes the line, which may hold a secret.
fn dotenv_error(err: &dotenvy::Error) -> String {
    let dotenvy::Error::LineParse(text, _) = err else {
        return format!("cannot read .env: {err}");
    };
    let line = std::fs::read_to_string(".env")
        .ok()
        .and_then(|file| Some(file[..file.find(text.as_str())?].matches('\n').count() + 1));
    match line {
        Some(line) => format!("cannot read .env, line {line}: not a NAME=value line"),
        None => "cannot read .env: a line is not NAME=value".to_owned(),
    }
}

/// Why the settings could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// `--help` or `--version` was asked for: print the text and exit successfully.
    Informational(String),
    /// A setting is invalid: print the one-line reason and exit with status 2.
    Invalid(String),
}

impl ConfigError {
    fn from_clap(err: clap::Error) -> Self {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                Self::Informational(err.render().to_string())
            }
            // A stray word is most often the rest of an unquoted value (`--keys APIa: secret`),
            // which clap would quote.
            ErrorKind::UnknownArgument if !invalid_arg_is_long_flag(&err) => Self::Invalid(
                "an argument that is not a --flag (not shown: it may be a secret); quote a \
                 value that holds spaces"
                    .to_owned(),
            ),
            // clap's message ends with a usage hint on further lines; operators want one line,
            // and most set the environment variable rather than the flag, so it is named too.
            _ => {
                let text = err.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let mut line = first.trim_start_matches("error: ").to_owned();
                if let Some(env) = env_of_invalid_arg(&err) {
                    line.push_str(&format!(" (set by {env} or the flag)"));
                }
                Self::Invalid(line)
            }
        }
    }
}

/// Whether the argument a clap error is about is a `--flag`, which clap shows without its value.
fn invalid_arg_is_long_flag(err: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue};
    matches!(err.get(ContextKind::InvalidArg), Some(ContextValue::String(arg)) if arg.starts_with("--"))
}

/// The environment variable behind the argument a clap error is about.
fn env_of_invalid_arg(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.split_whitespace().next()?.trim_start_matches("--");
    Settings::command()
        .get_arguments()
        .find(|candidate| candidate.get_long() == Some(long))
        .and_then(|candidate| candidate.get_env())
        .map(|env| env.to_string_lossy().into_owned())
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Informational(text) | Self::Invalid(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any caller, any room: the policy production tests run under.
    const ANY_ROOM_POLICY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/production/any-room.toml"
    );

    /// Production's required settings but the JWKS.
    const PRODUCTION_BUT_THE_JWKS: [&str; 10] = [
        "--mode",
        "production",
        "--caller-issuer",
        "https://idp",
        "--caller-audience",
        "tokens",
        "--cors-allowed-origins",
        "https://app.example.com",
        "--token-policy-file",
        ANY_ROOM_POLICY,
    ];

    fn parse(args: &[&str]) -> Result<Settings, ConfigError> {
        Settings::from_args("test", std::iter::once("test").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_tutorials() {
        let settings = parse(&[]).expect("defaults are valid");
        assert_eq!(settings.port, 6080);
        assert_eq!(settings.credentials, Credentials::default());
        assert_eq!(settings.credentials.signing_key(), "devkey");
        assert_eq!(settings.credentials.signing_secret().expose(), "secret");
        assert_eq!(settings.token_ttl(), Duration::from_secs(21_600));
        assert_eq!(settings.warnings().len(), 2);
    }

    #[test]
    fn invalid_values_give_one_line() {
        for args in [
            &["--port", "http"][..],
            &["--port", "70000"],
            &["--api-key", ""],
            &["--api-key", "  "],
            &["--token-ttl-seconds", "0"],
            &["--token-ttl-seconds", "6h"],
            &["--host", "localhost:80"],
            &["--response-format", "xml"],
            &["--log-format", "yaml"],
        ] {
            match parse(args) {
                Err(ConfigError::Invalid(line)) => {
                    assert!(!line.contains('\n'), "{args:?}: {line:?}");
                    assert!(line.contains(" (set by "), "{args:?}: {line:?}");
                    assert!(!line.is_empty(), "{args:?}");
                }
                other => panic!("{args:?} should be invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_secrets_name_the_setting_never_the_value() {
        let secret = "a-very-long-production-secret-value-0123456789";
        let keys = format!("APIa: {secret}\nAPIa: {secret}");
        let url = format!("http://user:{secret}@idp.example.com/jwks?token={secret}");
        let production = [&PRODUCTION_BUT_THE_JWKS[..], &["--caller-jwks-url"]].concat();
        for (args, setting) in [
            (vec!["--api-secret", ""], "LIVEKIT_API_SECRET"),
            (vec!["--api-secret", "line\nbreak"], "LIVEKIT_API_SECRET"),
            (vec!["--keys", secret], "LIVEKIT_KEYS"),
            (
                vec!["--keys", "APIa:", secret],
                "an argument that is not a --flag",
            ),
            (
                vec!["--api-secret", "-", secret],
                "an argument that is not a --flag",
            ),
            (
                vec![&format!("--api-secrt={secret}")],
                "unexpected argument '--api-secrt'",
            ),
            (vec!["--keys", &keys], "LIVEKIT_KEYS, line 2"),
            (
                production.iter().copied().chain([url.as_str()]).collect(),
                "CALLER_JWKS_URL http://***@idp.example.com/jwks?*** must be https",
            ),
        ] {
            match parse(&args) {
                Err(ConfigError::Invalid(line)) => {
                    assert!(line.starts_with(setting), "{args:?}: {line:?}");
                    assert!(!line.contains('\n'), "{args:?}: {line:?}");
                    assert!(!line.contains("production-secret"), "{line:?}");
                }
                other => panic!("{args:?} should be invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_secret_never_shows() {
        let secret = "a-very-long-production-secret-value-0123456789";
        let settings = parse(&["--api-secret", secret]).expect("valid");
        assert!(!format!("{settings:?}").contains(secret));
        let url = format!("https://user:{secret}@idp.example.com/jwks?token={secret}");
        let own = [
            "--api-key",
            "APIabc",
            "--api-secret",
            secret,
            "--caller-jwks-url",
            &url,
        ];
        let production = parse(&[&PRODUCTION_BUT_THE_JWKS[..], &own].concat()).expect("valid");
        let shown = format!("{production:?}");
        assert!(
            shown.contains("https://***@idp.example.com/jwks?***"),
            "{shown}"
        );
        assert!(!shown.contains(secret), "{shown}");
        assert!(settings.warnings().is_empty() || !settings.warnings()[0].contains(secret));
        let help = Settings::command().render_long_help().to_string();
        assert!(help.contains("LIVEKIT_API_SECRET"));
        assert!(!help.contains("[default: secret]"));
    }

    #[test]
    fn production_settings_do_not_warn() {
        let settings = parse(&[
            "--api-key",
            "APIabc",
            "--api-secret",
            "0123456789abcdef0123456789abcdef",
        ])
        .expect("valid");
        assert!(settings.warnings().is_empty());
    }

    #[test]
    fn a_ttl_clients_never_cache_warns() {
        let secret = "0123456789abcdef0123456789abcdef";
        let warnings = |ttl: &str| {
            parse(&[
                "--api-key",
                "APIabc",
                "--api-secret",
                secret,
                "--token-ttl-seconds",
                ttl,
            ])
            .expect("valid")
            .warnings()
        };
        let short = warnings("60");
        assert_eq!(short.len(), 1, "{short:?}");
        assert!(short[0].contains("every connection"), "{short:?}");
        assert!(warnings("61").is_empty());
    }

    /// A production configuration from files: `jwks` as the caller JWKS, one any-room rule.
    struct ProductionFiles {
        _dir: tempfile::TempDir,
        jwks: String,
        policy: String,
    }

    impl ProductionFiles {
        fn new(jwks: &str) -> Self {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let write = |name: &str, text: &str| {
                let path = dir.path().join(name);
                std::fs::write(&path, text).expect("written");
                path.to_str().expect("UTF-8").to_owned()
            };
            Self {
                jwks: write("jwks.json", jwks),
                policy: write("policy.toml", "[[rule]]\nrooms = [\"*\"]\n"),
                _dir: dir,
            }
        }

        fn parse(&self, extra: &[&str]) -> Result<Settings, ConfigError> {
            let mut args = vec![
                "--mode",
                "production",
                "--caller-issuer",
                "https://idp.example.com",
                "--caller-audience",
                "tokens",
                "--caller-jwks-file",
                &self.jwks,
                "--cors-allowed-origins",
                "https://app.example.com",
                "--token-policy-file",
                &self.policy,
            ];
            args.extend_from_slice(extra);
            parse(&args)
        }
    }

    /// An Ed25519 key published nowhere.
    const PRIVATE_JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}]}"#;
    const PUBLISHED_JWKS: &str = include_str!("../../conformance/keys/caller-jwks.json");
    const STRONG: &str = "0123456789abcdef0123456789abcdef";

    fn invalid(result: Result<Settings, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid(line)) => {
                assert!(!line.contains('\n'), "{line}");
                line
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// Issue 27: production ran on LiveKit's public dev credentials with only a warning.
    #[test]
    fn production_refuses_public_credentials_and_published_keys() {
        let files = ProductionFiles::new(PRIVATE_JWKS);
        let own = ["--api-key", "APIown", "--api-secret", STRONG];
        let settings = files.parse(&own).expect("own credentials are fine");
        assert!(settings.warnings().is_empty(), "{:?}", settings.warnings());
        for credentials in [
            &[][..],
            &["--api-key", "APIown"],
            &["--api-key", "devkey", "--api-secret", STRONG],
            &[
                "--api-key",
                "APIown",
                "--api-secret",
                "REPLACE_ME_secret_at_least_32_bytes_long",
            ],
            &[
                "--api-key",
                "APIown",
                "--api-secret",
                "a-local-secret-of-at-least-32-bytes",
            ],
            &[
                "--api-key",
                "APIown",
                "--api-secret",
                "0123456789abcdef0123456789abcde",
            ],
            &[
                "--api-key",
                "APIown",
                "--keys",
                "APIown: 0123456789abcdef0123456789abcdef\nAPIold: tiny-secret-value",
            ],
        ] {
            let line = invalid(files.parse(credentials));
            assert!(line.contains("TRY_PRODUCTION_LOCALLY"), "{line}");
            assert!(
                !line.contains(STRONG) && !line.contains("tiny-secret"),
                "{line}"
            );
        }
        let published = ProductionFiles::new(PUBLISHED_JWKS);
        let line = invalid(published.parse(&own));
        assert!(
            line.contains("published") && line.contains("CALLER_JWKS_FILE"),
            "{line}"
        );
        // Trying production mode on one machine: allowed, and warned at every start.
        let trial = published
            .parse(&["--try-production-locally"])
            .expect("a local trial");
        let warnings = trial.warnings();
        assert!(
            warnings
                .iter()
                .any(|warning| warning.starts_with("TRY_PRODUCTION_LOCALLY is set")),
            "{warnings:?}"
        );
        let line = invalid(files.parse(&[&own[..], &["--can-update-own-metadata"]].concat()));
        assert!(line.contains("per rule"), "{line}");
    }

    /// Issue 27: production settings without the mode served the open contract.
    #[test]
    fn production_settings_need_the_mode_named() {
        let line = invalid(parse(&[
            "--caller-issuer",
            "https://idp",
            "--token-policy-file",
            "p.toml",
        ]));
        assert!(
            line.starts_with("CALLER_ISSUER, TOKEN_POLICY_FILE set without TOKEN_SERVER_MODE"),
            "{line}"
        );
        let line = invalid(parse(&["--try-production-locally"]));
        assert!(line.contains("TRY_PRODUCTION_LOCALLY"), "{line}");
        // Settings with defaults count only when given.
        for (flag, value, variable) in [
            ("--caller-identity-claim", "email", "CALLER_IDENTITY_CLAIM"),
            ("--caller-algorithms", "ES256", "CALLER_ALGORITHMS"),
            (
                "--caller-jwks-max-age-seconds",
                "3600",
                "CALLER_JWKS_MAX_AGE_SECONDS",
            ),
        ] {
            let line = invalid(parse(&[flag, value]));
            assert!(
                line.starts_with(&format!("{variable} set without")),
                "{line}"
            );
        }
        let tutorial = parse(&["--mode", "tutorial", "--caller-issuer", "https://idp"])
            .expect("tutorial asked for explicitly");
        assert!(
            tutorial
                .warnings()
                .iter()
                .any(|warning| warning.contains("CALLER_ISSUER set")),
            "{:?}",
            tutorial.warnings()
        );
        assert_eq!(parse(&[]).expect("defaults").mode(), Mode::Tutorial);
    }
}
