//! The severity model: every failed check names the [`Defect`] it shows, and a defect's level
//! follows from the harm it does, not from this contract's taste.
//!
//! - **MUST** (a `FAIL`): an official client or LiveKit fails or misbehaves on requests it
//!   really sends; a security hole (a forged webhook accepted, a token for invalid input,
//!   grants beyond joining the room, no body limit, LiveKit's public development credentials
//!   in production); a server fault (a 5xx for a client's error, a hang).
//! - **SHOULD** (a `WARN`): this contract's stricter choices that no official client or
//!   LiveKit notices: the exact 4xx within the error class, message wording, the type and
//!   body of errors no client reads, `Allow`, `Max-Age`, keep-alive, routing normalisations
//!   the RFCs allow; costs that stay bounded (a higher body limit, a webhook body read before
//!   its signature is checked).
//!
//! A case's outcome is its worst failed check. No profile changes a level: a profile only
//! chooses the endpoints and the response format it judges. This project's own backends are
//! held to everything with `--strict`, where a WARN fails too.

/// How much a check matters, decided by the harm its miss does (h2spec's MUST/SHOULD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Recommended: no official client or LiveKit notices. A miss is a `WARN`.
    Should,
    /// Required: an official client, LiveKit or security is harmed, or the server is at
    /// fault. A miss is a `FAIL`.
    Must,
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
        }
    }
}

/// What a failed check shows. The IDs are stable: reports and baselines name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Defect {
    /// A request an official client or LiveKit really sends is refused.
    RefusesClientRequest,
    /// A valid webhook from LiveKit is refused: LiveKit drops it (it retries only on 5xx).
    RefusesWebhook,
    /// An answer an official client parses (a token, credentials, an error it shows) cannot
    /// be read.
    UnreadableAnswer,
    /// A token LiveKit's verifier refuses, or one not yet valid.
    TokenRefused,
    /// A token that names another identity or room than asked for, as LiveKit reads it.
    WrongIdentityOrRoom,
    /// Standard-endpoint credentials naming another LiveKit server than configured.
    WrongServerUrl,
    /// A standard-endpoint token without the name, metadata, attributes or agent the
    /// client set.
    DropsRequestedFields,
    /// No `Access-Control-Allow-*` where a browser page of an official client needs them.
    CorsBlocked,
    /// A token minted for invalid input.
    TokenForInvalidInput,
    /// A token granting more than joining the room.
    ExcessGrants,
    /// A forged, unsigned, expired or tampered webhook accepted.
    WebhookForgery,
    /// Production mode: a forged, expired or misdirected caller token admitted, or a URL
    /// from a token's header fetched.
    CallerForgery,
    /// Production mode: tokens signed, or webhooks accepted, with LiveKit's public development
    /// secret (`devkey`/`secret` of `livekit-server --dev`).
    DevCredentials,
    /// Production mode: CORS for an origin the operator did not allow.
    OpenOrigin,
    /// Production mode: unknown `kid`s make the server fetch the JWKS again and again.
    FloodsKeySource,
    /// A body past the limit accepted.
    NoBodyLimit,
    /// A field the policy refuses (agent dispatch) accepted.
    PolicyBypass,
    /// A 5xx for a client's request.
    ServerError,
    /// The server hangs or stops serving others.
    StopsServing,
    /// Another 4xx than the contract's, or a 2xx where it asks for another 2xx.
    OtherStatus,
    /// A valid variant no official client sends (a charset, chunking, `HEAD`) is refused.
    RefusesVariant,
    /// A request the contract refuses is served, with no harm: it is well signed, as valid
    /// as a real one, or what it gets is of use to nobody (a token LiveKit refuses).
    AcceptsHarmlessly,
    /// A path the contract treats as unknown (`/token/`, `/tok%65n`) is routed, as RFC 3986
    /// normalisation or a framework's non-strict routing does.
    LenientRouting,
    /// An error message worded otherwise than the contract's fixed one.
    MessageWording,
    /// A body in another shape or content type where no client depends on it: a content type
    /// clients ignore (`response.json()` reads any), or a body no official client reads
    /// (most errors, acknowledgements).
    BodyStyle,
    /// Token claims styled otherwise: `nbf` long past, another lifetime than configured,
    /// generated names of another form.
    TokenStyle,
    /// A standard-endpoint `server_url` that is not a `ws`, `wss`, `http` or `https` URL,
    /// though it is the one the operator configured.
    ServerUrlScheme,
    /// CORS headers missing on answers no official client's page reads.
    CorsExtras,
    /// HTTP niceties: `Allow`, `Access-Control-Max-Age`, keep-alive.
    HttpDetails,
    /// A body limit above the contract's (but under the megabyte a MUST case sends).
    HigherBodyLimit,
    /// A webhook's body read before its `Authorization` is checked: a forged webhook with
    /// its body withheld gets no 401 until the body arrives.
    ReadsUnverifiedWebhooks,
    /// Production mode: a 401 without the `Bearer` challenge RFC 6750 asks for.
    NoChallenge,
    /// Rate limits held by each replica alone: a deployment of several lets a client
    /// through once per replica.
    LimitsPerReplica,
}

impl Defect {
    /// Every defect, in report order (the serious first).
    pub const ALL: [Self; 33] = [
        Self::RefusesClientRequest,
        Self::RefusesWebhook,
        Self::UnreadableAnswer,
        Self::TokenRefused,
        Self::WrongIdentityOrRoom,
        Self::WrongServerUrl,
        Self::DropsRequestedFields,
        Self::CorsBlocked,
        Self::TokenForInvalidInput,
        Self::ExcessGrants,
        Self::WebhookForgery,
        Self::CallerForgery,
        Self::DevCredentials,
        Self::OpenOrigin,
        Self::FloodsKeySource,
        Self::NoBodyLimit,
        Self::PolicyBypass,
        Self::ServerError,
        Self::StopsServing,
        Self::OtherStatus,
        Self::RefusesVariant,
        Self::AcceptsHarmlessly,
        Self::LenientRouting,
        Self::MessageWording,
        Self::BodyStyle,
        Self::TokenStyle,
        Self::ServerUrlScheme,
        Self::CorsExtras,
        Self::HttpDetails,
        Self::HigherBodyLimit,
        Self::ReadsUnverifiedWebhooks,
        Self::NoChallenge,
        Self::LimitsPerReplica,
    ];

    /// How much it matters.
    pub fn level(self) -> Level {
        match self {
            Self::RefusesClientRequest
            | Self::RefusesWebhook
            | Self::UnreadableAnswer
            | Self::TokenRefused
            | Self::WrongIdentityOrRoom
            | Self::WrongServerUrl
            | Self::DropsRequestedFields
            | Self::CorsBlocked
            | Self::TokenForInvalidInput
            | Self::ExcessGrants
            | Self::WebhookForgery
            | Self::CallerForgery
            | Self::DevCredentials
            | Self::OpenOrigin
            | Self::FloodsKeySource
            | Self::NoBodyLimit
            | Self::PolicyBypass
            | Self::ServerError
            | Self::StopsServing => Level::Must,
            Self::OtherStatus
            | Self::RefusesVariant
            | Self::AcceptsHarmlessly
            | Self::LenientRouting
            | Self::MessageWording
            | Self::BodyStyle
            | Self::TokenStyle
            | Self::ServerUrlScheme
            | Self::CorsExtras
            | Self::HttpDetails
            | Self::HigherBodyLimit
            | Self::ReadsUnverifiedWebhooks
            | Self::NoChallenge
            | Self::LimitsPerReplica => Level::Should,
        }
    }

    /// The stable ID, as reports and `--expect` baselines spell it.
    pub fn id(self) -> &'static str {
        match self {
            Self::RefusesClientRequest => "refuses-client-request",
            Self::RefusesWebhook => "refuses-webhook",
            Self::UnreadableAnswer => "unreadable-answer",
            Self::TokenRefused => "token-refused",
            Self::WrongIdentityOrRoom => "wrong-identity-or-room",
            Self::WrongServerUrl => "wrong-server-url",
            Self::DropsRequestedFields => "drops-requested-fields",
            Self::CorsBlocked => "cors-blocked",
            Self::TokenForInvalidInput => "token-for-invalid-input",
            Self::ExcessGrants => "excess-grants",
            Self::WebhookForgery => "webhook-forgery",
            Self::CallerForgery => "caller-forgery",
            Self::DevCredentials => "dev-credentials",
            Self::OpenOrigin => "open-origin",
            Self::FloodsKeySource => "floods-key-source",
            Self::NoBodyLimit => "no-body-limit",
            Self::PolicyBypass => "policy-bypass",
            Self::ServerError => "server-error",
            Self::StopsServing => "stops-serving",
            Self::OtherStatus => "other-status",
            Self::RefusesVariant => "refuses-variant",
            Self::AcceptsHarmlessly => "accepts-harmlessly",
            Self::LenientRouting => "lenient-routing",
            Self::MessageWording => "message-wording",
            Self::BodyStyle => "body-style",
            Self::TokenStyle => "token-style",
            Self::ServerUrlScheme => "server-url-scheme",
            Self::CorsExtras => "cors-extras",
            Self::HttpDetails => "http-details",
            Self::HigherBodyLimit => "higher-body-limit",
            Self::ReadsUnverifiedWebhooks => "reads-unverified-webhooks",
            Self::NoChallenge => "no-challenge",
            Self::LimitsPerReplica => "limits-per-replica",
        }
    }

    /// What the defect is, as the summary by defect says it.
    pub fn summary(self) -> &'static str {
        match self {
            Self::RefusesClientRequest => "refuses requests official clients send",
            Self::RefusesWebhook => "refuses valid LiveKit webhooks",
            Self::UnreadableAnswer => "answers official clients cannot read",
            Self::TokenRefused => "tokens LiveKit refuses",
            Self::WrongIdentityOrRoom => "tokens for another identity or room than asked",
            Self::WrongServerUrl => "credentials for another LiveKit server than configured",
            Self::DropsRequestedFields => "tokens without the fields the client set",
            Self::CorsBlocked => "CORS missing where a browser needs it",
            Self::TokenForInvalidInput => "mints tokens for invalid input",
            Self::ExcessGrants => "grants beyond joining the room",
            Self::WebhookForgery => "accepts forged, unsigned, expired or tampered webhooks",
            Self::CallerForgery => "admits forged, expired or misdirected caller tokens",
            Self::DevCredentials => "signs or verifies with LiveKit's public development secret",
            Self::OpenOrigin => "CORS for origins the operator did not allow",
            Self::FloodsKeySource => "fetches the JWKS for every unknown kid",
            Self::NoBodyLimit => "no body limit (a megabyte accepted)",
            Self::PolicyBypass => "accepts fields the policy refuses",
            Self::ServerError => "5xx for a client's request",
            Self::StopsServing => "hangs or stops serving",
            Self::OtherStatus => "another status of the same class",
            Self::RefusesVariant => "refuses valid variants no official client sends",
            Self::AcceptsHarmlessly => "serves requests the contract refuses, harmlessly",
            Self::LenientRouting => "routes paths the contract treats as unknown",
            Self::MessageWording => "error messages worded otherwise",
            Self::BodyStyle => {
                "body shape or content type otherwise, where no client depends on it"
            }
            Self::TokenStyle => "token claims styled otherwise",
            Self::ServerUrlScheme => "a server_url without a ws, wss, http or https scheme",
            Self::CorsExtras => "CORS missing where no official client's page reads",
            Self::HttpDetails => "HTTP details (Allow, Max-Age, keep-alive)",
            Self::HigherBodyLimit => "a body limit above the contract's",
            Self::ReadsUnverifiedWebhooks => "reads webhook bodies before checking their signature",
            Self::NoChallenge => "401 without a Bearer challenge",
            Self::LimitsPerReplica => "rate limits held by each replica alone",
        }
    }

    /// Why it has its level, in one line.
    pub fn why(self) -> &'static str {
        match self {
            Self::RefusesClientRequest => "a real user or LiveKit SDK gets no token",
            Self::RefusesWebhook => "LiveKit does not retry a 4xx: the event is lost",
            Self::UnreadableAnswer => "the client's JSON parse or token use fails",
            Self::TokenRefused => "the client cannot join the room",
            Self::WrongIdentityOrRoom => "the user joins as someone else, or elsewhere",
            Self::WrongServerUrl => "the client connects to the wrong server",
            Self::DropsRequestedFields => "the client's options are silently lost",
            Self::CorsBlocked => "the browser hides the answer from the page",
            Self::TokenForInvalidInput => "garbage identities or rooms reach LiveKit",
            Self::ExcessGrants => "any caller gets more than the tutorial needs",
            Self::WebhookForgery => "anyone can fake LiveKit's events",
            Self::CallerForgery => "anyone can get tokens as anyone",
            Self::DevCredentials => "anyone can mint tokens and forge webhooks offline",
            Self::OpenOrigin => "any site's page can use the server with a caller's token",
            Self::FloodsKeySource => "one client can make the server flood the identity provider",
            Self::NoBodyLimit => "a client can make the server read without bound",
            Self::PolicyBypass => "clients set what the operator refused",
            Self::ServerError => "a client's mistake is the server's fault",
            Self::StopsServing => "one client can deny service to the others",
            Self::OtherStatus => "clients branch on the class, not the code",
            Self::RefusesVariant => "no official client sends it",
            Self::AcceptsHarmlessly => "nobody is harmed by the answer",
            Self::LenientRouting => "RFC 3986 allows it and no client relies on the 404",
            Self::MessageWording => "clients show the message, whatever its words",
            Self::BodyStyle => "clients read the body whatever its type, or not at all",
            Self::TokenStyle => "LiveKit accepts the token all the same",
            Self::ServerUrlScheme => {
                "it is the URL the operator configured; LiveKit's clients accept these four schemes"
            }
            Self::CorsExtras => "no official client reads that answer from a page",
            Self::HttpDetails => "clients work without them, perhaps slower",
            Self::HigherBodyLimit => "the body is still bounded: a megabyte is refused",
            Self::ReadsUnverifiedWebhooks => {
                "a forger holds memory per connection, but the body is still bounded"
            }
            Self::NoChallenge => "clients branch on the 401, not on the challenge",
            Self::LimitsPerReplica => {
                "each replica still limits: a client gets the quota once per replica, no more"
            }
        }
    }
}

/// Who a case's request and answer matter to, which decides the defect a miss shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stakes {
    /// What a refusal (a 4xx where the contract asks for a 2xx) shows.
    pub if_refused: Defect,
    /// What serving it (a 2xx where the contract refuses) shows.
    pub if_served: Defect,
    /// Whether an official client's page reads the answer: then its body's shape and its
    /// CORS headers are MUSTs.
    pub read_by_clients: bool,
}

impl Stakes {
    /// A request no official client sends, whose answer no client reads.
    pub const NOBODYS: Self = Self {
        if_refused: Defect::RefusesVariant,
        if_served: Defect::AcceptsHarmlessly,
        read_by_clients: false,
    };
}

/// The defects as a Markdown table (docs/conformance.md's "What a FAIL means"): level, ID, what it is and
/// why it has that level.
pub fn markdown_table() -> String {
    let mut table = String::from("| Level | Defect | What | Why this level |\n|---|---|---|---|\n");
    for defect in Defect::ALL {
        table.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            defect.level().as_str(),
            defect.id(),
            defect.summary(),
            defect.why()
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_all_lists_every_defect_once() {
        let mut ids: Vec<&str> = Defect::ALL.iter().map(|d| d.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Defect::ALL.len());
        let mut sorted = Defect::ALL;
        sorted.sort();
        assert_eq!(sorted, Defect::ALL, "ALL is in declaration order");
    }

    #[test]
    fn the_serious_come_first() {
        let first_should = Defect::ALL
            .iter()
            .position(|d| d.level() == Level::Should)
            .expect("a SHOULD");
        assert!(
            Defect::ALL[first_should..]
                .iter()
                .all(|d| d.level() == Level::Should)
        );
    }
}
