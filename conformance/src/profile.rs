//! Profiles: which contract a run judges. Our backends serve the full contract; the official
//! tutorial servers and LiveKit's example server serve parts of it, and a profile judges just
//! that part, skipping (with the reason) cases on endpoints it does not require.

use crate::case::{Case, Check};
use crate::server_under_test::ResponseFormat;

/// What a case's request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `POST /token`, the OpenVidu tutorials' endpoint (and scenarios, which use it).
    Token,
    /// `POST /livekit/token`, LiveKit's standard endpoint.
    StandardEndpoint,
    /// `POST /livekit/webhook`.
    Webhook,
    /// `GET /healthz`.
    Health,
    /// Any other path: how the server answers what it does not serve.
    Elsewhere,
}

impl Surface {
    /// The surface of `case`.
    pub fn of(case: &Case) -> Self {
        let path = match case.check {
            Check::Exchange { request, .. } => request.path,
            Check::Scenario(_) => "/token",
        };
        match path {
            "/token" => Self::Token,
            "/livekit/token" => Self::StandardEndpoint,
            "/livekit/webhook" => Self::Webhook,
            "/healthz" => Self::Health,
            _ => Self::Elsewhere,
        }
    }
}

/// A contract to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// This project's whole contract: every endpoint, in the format of `--response-format`.
    #[default]
    Full,
    /// The seed's contract (OpenVidu's first tutorials): `POST /token` answering the token
    /// as plain text.
    OpenviduBasic,
    /// The current OpenVidu tutorials: `POST /token` answering `{"token"}` and errors as
    /// `{"errorMessage"}`, and `POST /livekit/webhook`.
    OpenviduV3,
    /// LiveKit's standard token endpoint, `POST /livekit/token`, alone.
    LivekitEndpoint,
    /// A server in production mode: who it admits, judged with the suite's own identity
    /// provider (the `caller/...` cases).
    Production,
}

impl Profile {
    /// The name, as `--profile` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::OpenviduBasic => "openvidu-basic",
            Self::OpenviduV3 => "openvidu-v3",
            Self::LivekitEndpoint => "livekit-endpoint",
            Self::Production => "production",
        }
    }

    /// The response format the profile judges, or `None` when `--response-format` decides.
    pub fn format(self) -> Option<ResponseFormat> {
        match self {
            Self::Full | Self::Production => None,
            Self::OpenviduBasic => Some(ResponseFormat::Text),
            Self::OpenviduV3 | Self::LivekitEndpoint => Some(ResponseFormat::Json),
        }
    }

    /// Whether the profile requires what `surface` serves.
    pub fn requires(self, surface: Surface) -> bool {
        use Surface::*;
        match self {
            Self::Full => true,
            Self::OpenviduBasic => matches!(surface, Token | Elsewhere),
            Self::OpenviduV3 => matches!(surface, Token | Webhook | Elsewhere),
            Self::LivekitEndpoint => matches!(surface, StandardEndpoint | Elsewhere),
            // The tutorial contract's cases send no caller token: production refuses them.
            Self::Production => false,
        }
    }

    /// Why `case` is not part of the profile, if it is not.
    pub fn why_not(self, case: &Case) -> Option<String> {
        let surface = Surface::of(case);
        if self == Self::Production {
            return Some(
                "the production profile runs its own cases (caller/..., and a webhook/ case)"
                    .to_owned(),
            );
        }
        (!self.requires(surface)).then(|| {
            format!(
                "not part of the {} profile ({} is not required; ask with --only)",
                self.name(),
                match surface {
                    Surface::Token => "POST /token",
                    Surface::StandardEndpoint => "POST /livekit/token",
                    Surface::Webhook => "POST /livekit/webhook",
                    Surface::Health => "GET /healthz",
                    Surface::Elsewhere => "this path",
                }
            )
        })
    }
}
