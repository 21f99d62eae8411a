//! The shape of a conformance case: an ID, the requirement it checks, and either one HTTP
//! exchange described as data or a named multi-step scenario.

use crate::harm::{Defect, Level, Stakes};
use crate::server_under_test::ServerUnderTest;

/// One requirement of the contract, checked one way.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Stable identifier, `area/name` (`token/...`, `endpoint/...`, `webhook/...`, `http/...`,
    /// `cors/...`).
    pub id: &'static str,
    /// The requirement, in one sentence.
    pub requirement: &'static str,
    /// How it is checked.
    pub check: Check,
    /// What the server's configuration must be for the case to apply.
    pub needs: Needs,
    /// Who the request and its answer matter to: what a miss shows.
    pub stakes: Stakes,
}

/// A configuration a case applies to; others skip it, saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any server.
    Nothing,
    /// A server that lets clients set `room_config` on the standard endpoint.
    RoomConfigAllowed,
    /// A server that refuses `room_config` (the default policy).
    RoomConfigRefused,
}

impl Needs {
    /// Why the case does not apply to `server`, if it does not.
    pub fn unmet(self, server: &ServerUnderTest) -> Option<&'static str> {
        match (self, server.room_config_allowed) {
            (Self::RoomConfigAllowed, false) => Some(
                "the server refuses room_config (run with --allow-room-config if it allows it)",
            ),
            (Self::RoomConfigRefused, true) => Some("the server allows room_config"),
            _ => None,
        }
    }
}

/// How a case is checked.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Send one request, judge the one response.
    Exchange {
        /// What to send.
        request: Request,
        /// What the response must be.
        expect: Expect,
    },
    /// A check that needs several requests or raw control of the connection.
    Scenario(Scenario),
}

/// A request, as data.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// HTTP method.
    pub method: &'static str,
    /// Path (and query) on the server.
    pub path: &'static str,
    /// Extra headers, sent as given.
    pub headers: &'static [(&'static str, &'static str)],
    /// The body.
    pub body: Body,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body at all.
    Empty,
    /// These bytes, with a `Content-Length`.
    Bytes(&'static [u8]),
    /// These bytes, sent with `Transfer-Encoding: chunked` in small chunks.
    Chunked(&'static [u8]),
    /// A valid request for room `room1` and participant `alice`, padded with an unknown field
    /// to exactly `len` bytes (so limits can be probed to the byte).
    Padded {
        /// Total size in bytes.
        len: usize,
        /// Send chunked instead of with a `Content-Length`.
        chunked: bool,
    },
    /// A LiveKit webhook event, sent as `application/webhook+json` with an `Authorization`
    /// header made as `auth` says. The signature is made when the request is sent, since
    /// it depends on the time and the server's credentials.
    Webhook {
        /// The body's bytes, before padding.
        event: &'static [u8],
        /// The `Authorization` header.
        auth: WebhookAuth,
        /// Pad the body with trailing JSON whitespace to this many bytes (0: no padding).
        pad_to: usize,
    },
}

/// The `Authorization` header of a webhook request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAuth {
    /// No header at all.
    Missing,
    /// This exact value.
    Literal(&'static str),
    /// A token made by `signer`, with one deliberate `flaw` (or none).
    Signed {
        /// Who signs.
        signer: Signer,
        /// What is wrong with it.
        flaw: Flaw,
    },
}

/// Who signs a webhook token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The suite's own code (`jsonwebtoken`), which can also make flawed tokens.
    Suite,
    /// LiveKit's official SDK (`livekit-api`), as LiveKit's server signs.
    LiveKit,
}

/// A deliberate defect in a webhook token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// A correct token.
    None,
    /// `Bearer ` before the token (LiveKit sends the raw JWT).
    BearerPrefix,
    /// Signed with another secret.
    WrongSecret,
    /// Issued for another API key.
    WrongKey,
    /// The `sha256` claim hashes these bytes instead of the body sent.
    HashOf(&'static [u8]),
    /// Expired two minutes ago (beyond the 60 s leeway).
    Expired,
    /// Signed right, but without `exp`: LiveKit's verifiers (Go, Python, Node, Ruby, Kotlin)
    /// refuse it since August 2026, so such a token never comes from LiveKit.
    NoExpiry,
    /// No `sha256` claim.
    NoHash,
    /// The hash in the URL-safe base64 alphabet.
    UrlSafeHash,
    /// The hash without `=` padding.
    UnpaddedHash,
    /// An ordinary join token (identity and room grant, no `sha256`).
    JoinToken,
}

/// What a response must be.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// The status code.
    pub status: StatusRule,
    /// The body (and with it the content type).
    pub body: BodyRule,
    /// Header requirements.
    pub headers: &'static [HeaderRule],
}

/// One way a response falls short: the defect it shows, and the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What the failed check shows; its level follows.
    pub defect: Defect,
    /// What was wrong.
    pub reason: String,
}

impl Finding {
    /// A finding of `defect`.
    pub fn new(defect: Defect, reason: impl Into<String>) -> Self {
        Self {
            defect,
            reason: reason.into(),
        }
    }

    /// How much it matters: its defect's level.
    pub fn level(&self) -> Level {
        self.defect.level()
    }
}

/// A status requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRule {
    /// Exactly this code. MUST: clients branch on the status.
    Is(u16),
    /// Any 2xx (a CORS preflight may be 200 or 204). MUST.
    Success,
    /// Exactly this code, which the documentation states but clients do not check (they
    /// accept any 2xx). SHOULD.
    Documented(u16),
}

impl StatusRule {
    /// Whether the rule asks for a 2xx.
    pub fn wants_success(self) -> bool {
        match self {
            Self::Success => true,
            Self::Is(status) | Self::Documented(status) => (200..300).contains(&status),
        }
    }
}

/// A body requirement. The content type follows from it and the response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRule {
    /// A token for this room and identity, judged by LiveKit's verifier and strict claims.
    Token {
        /// Expected `video.room`.
        room: &'static str,
        /// Expected `sub`.
        identity: &'static str,
    },
    /// An error carrying exactly this message.
    ErrorMessage(&'static str),
    /// An error carrying a one-line human message (any wording).
    ErrorLine,
    /// A webhook acknowledged: `ok` as text, or `{"status":"ok"}` in JSON.
    Acknowledged,
    /// Exactly this plain-text body whatever the response format (health checks).
    PlainText(&'static str),
    /// Credentials from LiveKit's standard endpoint: `application/json` with exactly
    /// `server_url` (the configured one) and `participant_token`, a token judged as for
    /// [`BodyRule::Token`] that also carries what the request set.
    Credentials(&'static Credentials),
    /// An error of the standard endpoint: `application/json` `{"errorMessage": ...}` in every
    /// response format, naming this field (or any message, when empty).
    JsonErrorNaming(&'static str),
    /// A standard-endpoint answer whose `server_url` is a `ws`, `wss`, `http` or `https`
    /// URL (the rest of it is judged by the other cases).
    ServerUrlScheme,
    /// Not judged.
    Any,
}

/// What a standard endpoint token must carry; `None` room or identity means generated
/// (`room-...`, `participant-...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    /// `video.room`.
    pub room: Option<&'static str>,
    /// `sub`.
    pub identity: Option<&'static str>,
    /// `name`.
    pub name: Option<&'static str>,
    /// `metadata`.
    pub metadata: Option<&'static str>,
    /// `attributes`, all of them.
    pub attributes: &'static [(&'static str, &'static str)],
    /// The `agentName` of `roomConfig.agents[0]`.
    pub agent: Option<&'static str>,
}

impl Credentials {
    /// Everything generated, nothing else.
    pub const GENERATED: Self = Self {
        room: None,
        identity: None,
        name: None,
        metadata: None,
        attributes: &[],
        agent: None,
    };
}

/// A header requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRule {
    /// `Access-Control-Allow-Origin` is `*`, or the request's origin with `Vary: Origin`.
    AllowsAnyOrigin,
    /// `Access-Control-Allow-Methods` lists this method (or is `*`).
    AllowsMethod(&'static str),
    /// `Access-Control-Allow-Headers` permits every header of this comma-separated list.
    AllowsHeaders(&'static str),
    /// `Access-Control-Max-Age` is a positive number of seconds.
    HasMaxAge,
    /// The `Allow` header lists this method.
    AllowHeaderLists(&'static str),
}

impl HeaderRule {
    /// What its miss shows: CORS headers are needed where a client's page reads the answer;
    /// `Max-Age` and `Allow` are niceties.
    pub fn defect(self, stakes: Stakes) -> Defect {
        match self {
            Self::AllowsAnyOrigin | Self::AllowsMethod(_) | Self::AllowsHeaders(_) => {
                if stakes.read_by_clients {
                    Defect::CorsBlocked
                } else {
                    Defect::CorsExtras
                }
            }
            Self::HasMaxAge | Self::AllowHeaderLists(_) => Defect::HttpDetails,
        }
    }
}

impl BodyRule {
    /// What a body that misses the rule shows, at worst: for tokens and credentials, what
    /// the token judge finds; for a body a client parses, unreadable; else a matter of style.
    pub fn worst_defect(self, stakes: Stakes) -> Defect {
        match self {
            Self::Token { .. } => Defect::WrongIdentityOrRoom,
            Self::Credentials(_) => Defect::UnreadableAnswer,
            Self::ServerUrlScheme => Defect::ServerUrlScheme,
            Self::ErrorMessage(_) | Self::ErrorLine | Self::JsonErrorNaming(_)
                if stakes.read_by_clients =>
            {
                Defect::UnreadableAnswer
            }
            Self::ErrorMessage(_) | Self::JsonErrorNaming(_) => Defect::MessageWording,
            Self::ErrorLine | Self::Acknowledged | Self::PlainText(_) | Self::Any => {
                Defect::BodyStyle
            }
        }
    }
}

impl Scenario {
    /// What a scenario's miss shows: keep-alive is a nicety, the rest keeps the server
    /// serving others.
    pub fn defect(self) -> Defect {
        match self {
            Self::KeepAlive => Defect::HttpDetails,
            Self::ServesAfterOversizedBody
            | Self::ConnectionUsableAfterRefusal
            | Self::StalledClientDoesNotBlock => Defect::StopsServing,
        }
    }
}

impl Case {
    /// The case's level, as `--list` shows it: the highest level among the defects its
    /// checks can find (a 5xx, always MUST, aside).
    pub fn level(&self) -> Level {
        self.defects()
            .map(Defect::level)
            .max()
            .unwrap_or(Level::Must)
    }

    /// The defects this case's checks can find, a 5xx aside.
    pub fn defects(&self) -> impl Iterator<Item = Defect> + '_ {
        let (status, body, headers, scenario) = match self.check {
            Check::Scenario(scenario) => (None, None, &[][..], Some(scenario.defect())),
            Check::Exchange { expect, .. } => {
                let status = if expect.status.wants_success() {
                    match expect.status {
                        StatusRule::Documented(_) => Defect::OtherStatus,
                        _ => self.stakes.if_refused,
                    }
                } else {
                    self.stakes.if_served
                };
                (
                    Some(status),
                    Some(expect.body.worst_defect(self.stakes)),
                    expect.headers,
                    None,
                )
            }
        };
        status
            .into_iter()
            .chain(body)
            .chain(scenario)
            .chain(headers.iter().map(|rule| rule.defect(self.stakes)))
    }

    /// This case, sent by official clients (or LiveKit): refusing it is a MUST.
    pub const fn sent_by_clients(mut self) -> Self {
        self.stakes.if_refused = Defect::RefusesClientRequest;
        self
    }

    /// This case, whose answer an official client's page reads: its body's shape and its
    /// CORS headers are MUSTs.
    pub const fn read_by_clients(mut self) -> Self {
        self.stakes.read_by_clients = true;
        self
    }

    /// This case, where serving the request (a 2xx) shows `defect`.
    pub const fn served_shows(mut self, defect: Defect) -> Self {
        self.stakes.if_served = defect;
        self
    }

    /// This case, where refusing the request shows `defect`.
    pub const fn refused_shows(mut self, defect: Defect) -> Self {
        self.stakes.if_refused = defect;
        self
    }
}

/// Checks that need more than one request/response pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Two requests on one kept-alive connection are both answered.
    KeepAlive,
    /// After an oversized chunked upload is refused, the server still answers.
    ServesAfterOversizedBody,
    /// A connection that got a 413 either says `Connection: close` or carries the next request.
    ConnectionUsableAfterRefusal,
    /// A client that stalls mid-request does not delay another client.
    StalledClientDoesNotBlock,
}

/// The origin used by CORS cases: the OpenVidu tutorials' Vite dev server.
pub const ORIGIN: &str = "http://localhost:5173";
