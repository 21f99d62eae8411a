//! The settings as given, from command-line flags, the environment and a `.env` file, in
//! that order of precedence: [`Args`], raw values only, and [`Args::load`], which reads and
//! resolves them into a [`Config`] or one line naming what is wrong.

pub mod error;
pub mod keys;
pub mod limit_store;
pub mod production;
mod resolve;
pub mod values;

use std::net::{IpAddr, Ipv4Addr};

use clap::{CommandFactory, FromArgMatches, Parser};
use token_core::http::client_address::TrustedProxies;
use token_core::operations::limits::{
    DEFAULT_AUTH_FAILURE_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT, RateQuota,
};
use token_core::service::config::{
    DEFAULT_LIVEKIT_URL, DEFAULT_MAX_CONNECTIONS, DEFAULT_PORT, MAX_TOKEN_TTL_SECONDS,
};

use crate::config::{Config, LogFormat};
use error::{ConfigError, dotenv_error};
use keys::KeySources;
use limit_store::LimitStoreArgs;
use production::ProductionArgs;
use token_core::livekit::token_source::ClientField;
use values::{ModeArg, ProxyHeaderArg, ResponseFormatArg, SwitchArg};

/// The settings as given: raw values only. [`Args::load`] and [`Args::from_args`] resolve
/// them into a [`Config`]; nothing else can, so no service is built from unresolved ones.
#[derive(Debug, Clone, Parser)]
#[command(
    about = "Serves LiveKit access tokens for the OpenVidu tutorials: POST /token with \
             {\"roomName\", \"participantName\"}.",
    version
)]
pub struct Args {
    /// Port to listen on; 0 picks any free port.
    #[arg(long, env = "SERVER_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// Address to listen on; the default is every interface.
    #[arg(long, env = "SERVER_HOST", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub host: IpAddr,

    /// The API keys as given.
    #[command(flatten)]
    pub keys: KeySources,

    /// `tutorial` (the OpenVidu tutorials' open contract) or `production` (authenticated
    /// callers only, under a policy: see the CALLER_* settings) [default: tutorial; production
    /// settings without a mode are refused].
    #[arg(long, env = "TOKEN_SERVER_MODE", value_enum)]
    pub mode: Option<ModeArg>,

    /// Production mode's settings as given.
    #[command(flatten)]
    pub production_args: ProductionArgs,

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
    #[arg(long, env = "TOKEN_RESPONSE_FORMAT", value_enum, default_value_t = ResponseFormatArg::Text)]
    pub response_format: ResponseFormatArg,

    /// The LiveKit server URL that `POST /livekit/token` answers as `server_url`
    /// (`ws://`, `wss://`, `http://` or `https://`).
    #[arg(long, env = "LIVEKIT_URL", default_value = DEFAULT_LIVEKIT_URL, value_parser = parse_livekit_url)]
    pub livekit_url: String,

    /// The optional fields clients may set on `POST /livekit/token`, comma-separated; any
    /// other field set gets 403.
    #[arg(
        long,
        env = "TOKEN_ENDPOINT_FIELDS",
        value_parser = values::client_field(),
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
    #[arg(long, env = "RATE_LIMITS", value_enum, default_value_t = SwitchArg::On)]
    pub rate_limits: SwitchArg,

    /// Where the rate limits are kept, as given.
    #[command(flatten)]
    pub limit_store: LimitStoreArgs,

    /// Proxies whose forwarding header (TRUSTED_PROXY_HEADER) names the client, as
    /// comma-separated addresses and networks (`10.0.0.0/8,192.168.1.7`); by default none, and
    /// the client is the socket's peer.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,

    /// The one header trusted proxies append the client's address to: `x-forwarded-for`
    /// (nginx, ingress-nginx, Envoy, cloud load balancers) or `forwarded` (RFC 7239). The
    /// other header is never read: proxies pass it through as the client wrote it.
    #[arg(long, env = "TRUSTED_PROXY_HEADER", value_enum, default_value_t = ProxyHeaderArg::XForwardedFor)]
    pub trusted_proxy_header: ProxyHeaderArg,

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

impl Args {
    /// Reads `.env` from the working directory (real environment variables win over it),
    /// then the flags and environment.
    ///
    /// `name` is the binary's name, shown in `--help` and in errors.
    pub fn load(name: &'static str) -> Result<Config, ConfigError> {
        // The working directory's `.env` only, as the README says: never a parent's.
        match dotenvy::from_path(".env") {
            Ok(_) => {}
            Err(err) if err.not_found() => {}
            Err(err) => return Err(ConfigError::Invalid(dotenv_error(&err))),
        }
        Self::from_args(name, std::env::args_os())
    }

    /// Parses flags (and the process environment) without touching `.env`, and resolves
    /// them.
    pub fn from_args<I, T>(name: &'static str, args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::command()
            .name(name)
            .bin_name(name)
            .try_get_matches_from(args)
            .map_err(ConfigError::from_clap)?;
        let args = Self::from_arg_matches(&matches).map_err(ConfigError::from_clap)?;
        let given = Given {
            production: given_variables::<ProductionArgs>(&matches, &[]),
            limit_store: given_variables::<LimitStoreArgs>(&matches, &["RATE_LIMIT_STORE"]),
        };
        args.resolve(given).map_err(ConfigError::Invalid)
    }

    /// The environment variable of every setting.
    pub fn environment_variables() -> Vec<String> {
        Self::command()
            .get_arguments()
            .filter_map(|argument| argument.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect()
    }
}

/// The settings of a group that were given rather than left at their default, by their
/// environment variable: those only a mode or a store reads are refused without it.
pub(crate) struct Given {
    /// Production mode's.
    pub(crate) production: Vec<String>,
    /// The Redis store's (`RATE_LIMIT_STORE` itself aside).
    pub(crate) limit_store: Vec<String>,
}

/// The environment variables of the settings of group `A` given on the command line or in
/// the environment, but those in `except`.
fn given_variables<A: clap::Args>(matches: &clap::ArgMatches, except: &[&str]) -> Vec<String> {
    use clap::parser::ValueSource;
    A::augment_args(clap::Command::new("group"))
        .get_arguments()
        .filter(|argument| {
            matches!(
                matches.value_source(argument.get_id().as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
        .filter_map(|argument| argument.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !except.contains(&name.as_str()))
        .collect()
}

pub(crate) fn parse_livekit_url(value: &str) -> Result<String, String> {
    let rest = ["ws://", "wss://", "http://", "https://"]
        .iter()
        .find_map(|scheme| value.strip_prefix(scheme))
        .ok_or("must start with ws://, wss://, http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') || value.chars().any(char::is_whitespace) {
        return Err("must name a host".to_owned());
    }
    Ok(value.to_owned())
}
