//! The words each enumerated setting takes, as clap spells them in `--help` and errors, and
//! the core's values they stand for. The core's enums carry no clap: these do.

use jsonwebtoken::Algorithm;
use token_core::http::client_address::ProxyHeader;
use token_core::livekit::token_source::ClientField;
use token_core::service::reply::ResponseFormat;

/// `TOKEN_SERVER_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ModeArg {
    /// The OpenVidu tutorials' contract: anyone may get a token for any room.
    #[default]
    Tutorial,
    /// Authenticated callers only, under a policy.
    Production,
}

/// `TOKEN_RESPONSE_FORMAT`: the shape of reply bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResponseFormatArg {
    /// `text/plain; charset=utf-8`: the JWT, or the error message.
    #[default]
    Text,
    /// `application/json`: `{"token": ...}`, or `{"errorMessage": ...}`.
    Json,
}

impl From<ResponseFormatArg> for ResponseFormat {
    fn from(format: ResponseFormatArg) -> Self {
        match format {
            ResponseFormatArg::Text => Self::Text,
            ResponseFormatArg::Json => Self::Json,
        }
    }
}

/// `RATE_LIMITS`: on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SwitchArg {
    /// On.
    #[default]
    On,
    /// Off.
    Off,
}

/// `TRUSTED_PROXY_HEADER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProxyHeaderArg {
    /// `X-Forwarded-For`, which nginx, ingress-nginx, Envoy and cloud load balancers append to.
    #[default]
    #[value(name = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded` (RFC 7239), for proxies configured to append to it.
    #[value(name = "forwarded")]
    Forwarded,
}

impl From<ProxyHeaderArg> for ProxyHeader {
    fn from(header: ProxyHeaderArg) -> Self {
        match header {
            ProxyHeaderArg::XForwardedFor => Self::XForwardedFor,
            ProxyHeaderArg::Forwarded => Self::Forwarded,
        }
    }
}

/// `TOKEN_ENDPOINT_FIELDS`: an optional field of `POST /livekit/token`, as clients spell it,
/// from the core's one list of them.
pub fn client_field() -> impl clap::builder::TypedValueParser<Value = ClientField> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ClientField::ALL.map(ClientField::key))
        .try_map(|key| ClientField::from_key(&key).ok_or("not a field of the standard endpoint"))
}

/// `CALLER_ALGORITHMS`: an algorithm callers' tokens may be signed with; symmetric ones are
/// not on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CallerAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[value(name = "RS256")]
    Rs256,
    /// RSASSA-PSS with SHA-256.
    #[value(name = "PS256")]
    Ps256,
    /// ECDSA on P-256 with SHA-256.
    #[value(name = "ES256")]
    Es256,
    /// ECDSA on P-384 with SHA-384.
    #[value(name = "ES384")]
    Es384,
    /// Ed25519.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl From<CallerAlgorithm> for Algorithm {
    fn from(algorithm: CallerAlgorithm) -> Self {
        match algorithm {
            CallerAlgorithm::Rs256 => Self::RS256,
            CallerAlgorithm::Ps256 => Self::PS256,
            CallerAlgorithm::Es256 => Self::ES256,
            CallerAlgorithm::Es384 => Self::ES384,
            CallerAlgorithm::EdDsa => Self::EdDSA,
        }
    }
}
