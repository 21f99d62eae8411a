//! The `production` profile: a server in production mode, configured to trust the suite's
//! [`IdentityProvider`], judged on whom it admits. Valid callers with each key type get
//! tokens for their own identity; every forgery of RFC 8725 and OWASP's JWT cheat sheet gets
//! 401 with a `Bearer` challenge; CORS names only the allowed origin; the JWKS is reloaded
//! for a rotated key but not for a flood of unknown ones, and headers pointing elsewhere for
//! keys are never followed. What the server mints must be usable by LiveKit and by nobody
//! else: never on LiveKit's public development secret, never with an identity or room name
//! over LiveKit's 256 bytes. A forged webhook is refused before its body is read.
//!
//! The server must be configured with the provider's JWKS URL, issuer and audience,
//! [`ALLOWED_ORIGIN`] among its CORS origins, and a policy that lets any caller join
//! `room1` as a publisher (the default policy does); `--spawn` fills the `{jwks_url}`,
//! `{issuer}`, `{audience}` and `{origin}` placeholders.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::json;

use crate::case::{Finding, Flaw, Signer, WebhookAuth};
use crate::error::Error;
use crate::harm::{Defect, Level};
use crate::identity_provider::{
    ASSUMED_LEEWAY_SECONDS, CALLER, CallerKey, Forgery, IdentityProvider,
};
use crate::judge::decode_segment;
use crate::report::{Outcome, Report, Verdict};
use crate::runner::Selection;
use crate::server_under_test::ServerUnderTest;
use crate::wire::ReadError;

/// The origin the suite's pages call from; the server must allow it.
pub const ALLOWED_ORIGIN: &str = "https://app.conformance.invalid";
/// An origin no server allows.
pub const OTHER_ORIGIN: &str = "https://elsewhere.conformance.invalid";
/// How long the suite waits for a rotated key to be picked up: servers reload early for an
/// unknown `kid` at most every 30 s.
pub const ROTATION_PATIENCE: Duration = Duration::from_secs(45);
/// How long the suite waits for a server to recover once the key source is back (the same
/// 30 s limit on reloads applies after a failed one).
pub const RECOVERY_PATIENCE: Duration = ROTATION_PATIENCE;
/// How many tokens with unknown `kid`s the flood sends.
pub const FLOOD: usize = 20;
/// The API key of LiveKit's development server (`livekit-server --dev`), public in its
/// documentation.
pub const DEV_API_KEY: &str = "devkey";
/// The API secret of LiveKit's development server: anyone can sign with it.
pub const DEV_API_SECRET: &str = "secret";
/// LiveKit refuses identities and room names longer than this, in bytes.
pub const LIVEKIT_NAME_LIMIT: usize = 256;
/// The length of the identities and room names the suite sends over LiveKit's limit.
pub const TOO_LONG: usize = 300;
/// How long the suite waits for the refusal of a forged webhook whose body it withholds.
pub const WEBHOOK_PATIENCE: Duration = Duration::from_secs(3);
/// The body the forged webhook announces: under any sensible webhook limit (LiveKit's events
/// fit in 64 KiB), so only the order of the server's checks decides whether it waits.
pub const ANNOUNCED_WEBHOOK_BYTES: usize = 60_000;
/// How much of that body the suite sends.
const SENT_WEBHOOK_BYTES: usize = 1024;
/// A LiveKit event, for the webhooks the suite sends.
const EVENT: &[u8] = br#"{"event":"room_started","room":{"sid":"RM_conformance","name":"room1"},"id":"EV_conformance","createdAt":"1700000000"}"#;

/// One production case: an ID, its requirement, and how it is checked.
#[derive(Debug, Clone, Copy)]
pub struct CallerCase {
    /// Stable identifier, `caller/...`.
    pub id: &'static str,
    /// The requirement, in one sentence.
    pub requirement: &'static str,
    /// How it is checked.
    pub check: CallerCheck,
}

/// How a production case is checked.
#[derive(Debug, Clone, Copy)]
pub enum CallerCheck {
    /// With the key source down, a valid caller gets 503 with `Retry-After` (or a token,
    /// from keys cached before); once it is back, a token soon after.
    SurvivesKeySourceDown,
    /// `POST /token` with a valid token signed with this key: 200, a token for the caller.
    Admits(CallerKey),
    /// A valid token whose `exp` (or `nbf` with `true`) is 5 s inside the leeway: admitted.
    AdmitsWithinLeeway {
        /// `nbf` rather than `exp`.
        not_before: bool,
    },
    /// `POST /livekit/token` naming the caller's own identity: 201, a token for it.
    AdmitsOnStandardEndpoint,
    /// `POST /token` with this credential: 401 with a `Bearer` challenge.
    Refuses(Credential),
    /// `POST /livekit/token` naming another identity: 403, never a token for it.
    RefusesImpersonation,
    /// From the allowed origin: `Access-Control-Allow-Origin` names it, `Vary: Origin`.
    NamesAllowedOrigin,
    /// From another origin: no `Access-Control-Allow-Origin` for it.
    NamesNoOtherOrigin,
    /// A preflight from the allowed origin asking for `Authorization`: allowed.
    AllowsPreflight,
    /// A preflight from another origin: 403.
    RefusesOtherPreflight,
    /// A flood of unknown `kid`s: at most one more fetch of the JWKS.
    ThrottlesUnknownKeys,
    /// After the `jku`/`x5u` forgeries: nothing they point to was fetched.
    FollowsNoKeyHeaders,
    /// The provider publishes a new key: tokens signed with it are admitted soon after.
    PicksUpRotatedKey,
    /// Tokens minted on both endpoints do not verify with LiveKit's development secret, and
    /// a webhook signed with `devkey`/`secret` is not acknowledged.
    NoDevCredentials,
    /// A caller whose identity claim is over LiveKit's limit: 403 on this endpoint, never a
    /// token.
    RefusesLongIdentity(TokenEndpoint),
    /// A room name over LiveKit's limit: 400 on this endpoint, never a token.
    RefusesLongRoom(TokenEndpoint),
    /// A forged webhook announcing a body it mostly withholds: 401 without waiting for it.
    VerifiesWebhookBeforeBody,
}

/// The endpoints that mint tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// `POST /token`, the tutorials' endpoint.
    Tutorial,
    /// `POST /livekit/token`, LiveKit's standard endpoint.
    Standard,
}

impl TokenEndpoint {
    /// Both endpoints.
    pub const ALL: [Self; 2] = [Self::Tutorial, Self::Standard];

    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Tutorial => "/token",
            Self::Standard => "/livekit/token",
        }
    }

    /// A request body for `room`, in the endpoint's field names.
    fn body(self, room: &str) -> String {
        match self {
            Self::Tutorial => json!({"roomName": room, "participantName": "Alice"}).to_string(),
            Self::Standard => json!({"room_name": room}).to_string(),
        }
    }

    /// The token of the endpoint's answer, if it has one.
    fn token(self, got: &Answer) -> Option<String> {
        match self {
            Self::Tutorial => token_of(got),
            Self::Standard => serde_json::from_str::<serde_json::Value>(&got.body)
                .ok()
                .and_then(|body| body["participant_token"].as_str().map(str::to_owned)),
        }
    }
}

/// What a refused request carries.
#[derive(Debug, Clone, Copy)]
pub enum Credential {
    /// No `Authorization` header.
    Missing,
    /// Another scheme than `Bearer`.
    Basic,
    /// A forged token.
    Forged(Forgery),
    /// A valid token in the query string (`access_token`), not in a header.
    InQuery,
    /// A valid token in a cookie, not in a header.
    InCookie,
}

impl CallerCase {
    /// How much a miss matters: the worst defect the check can show (a 5xx, or a forged
    /// webhook acknowledged, always MUST, aside).
    pub fn level(&self) -> Level {
        match self.check {
            CallerCheck::AdmitsWithinLeeway { .. } => Defect::OtherStatus.level(),
            CallerCheck::NoDevCredentials => Defect::DevCredentials.level(),
            CallerCheck::RefusesLongIdentity(_) | CallerCheck::RefusesLongRoom(_) => {
                Defect::TokenForInvalidInput.level()
            }
            CallerCheck::VerifiesWebhookBeforeBody => Defect::ReadsUnverifiedWebhooks.level(),
            _ => Level::Must,
        }
    }
}

macro_rules! forgery_cases {
    ($($id:literal, $forgery:ident, $requirement:literal;)*) => {
        [$(CallerCase {
            id: concat!("caller/forged/", $id),
            requirement: $requirement,
            check: CallerCheck::Refuses(Credential::Forged(Forgery::$forgery)),
        },)*]
    };
}

/// Every production case, in the order they run; rotation last, since it waits.
pub fn caller_cases() -> impl Iterator<Item = &'static CallerCase> {
    FIRST
        .iter()
        .chain(&ADMITTED)
        .chain(&REFUSED)
        .chain(&MINTED)
        .chain(&FORGED)
        .chain(&WEBHOOK)
        .chain(&REST)
}

/// First, while the server may not have loaded the keys yet.
const FIRST: [CallerCase; 1] = [CallerCase {
    id: "caller/keys/source-down",
    requirement: "With the key source down and nothing cached, a valid caller gets 503 with Retry-After; once it is back, a token (within 45 s).",
    check: CallerCheck::SurvivesKeySourceDown,
}];

const ADMITTED: [CallerCase; 6] = [
    CallerCase {
        id: "caller/valid/rs256",
        requirement: "A caller with a valid RS256 token gets a token for its own identity.",
        check: CallerCheck::Admits(CallerKey::Rsa),
    },
    CallerCase {
        id: "caller/valid/es256",
        requirement: "A caller with a valid ES256 token gets a token for its own identity.",
        check: CallerCheck::Admits(CallerKey::P256),
    },
    CallerCase {
        id: "caller/valid/eddsa",
        requirement: "A caller with a valid EdDSA token gets a token for its own identity.",
        check: CallerCheck::Admits(CallerKey::Ed25519),
    },
    CallerCase {
        id: "caller/valid/exp-within-leeway",
        requirement: "A token expired 5 s less than the 60 s leeway ago is still valid.",
        check: CallerCheck::AdmitsWithinLeeway { not_before: false },
    },
    CallerCase {
        id: "caller/valid/nbf-within-leeway",
        requirement: "A token valid 5 s less than the 60 s leeway from now is valid already.",
        check: CallerCheck::AdmitsWithinLeeway { not_before: true },
    },
    CallerCase {
        id: "caller/valid/standard-endpoint",
        requirement: "POST /livekit/token naming the caller's own identity answers 201 with a token for it.",
        check: CallerCheck::AdmitsOnStandardEndpoint,
    },
];
const REFUSED: [CallerCase; 5] = [
    CallerCase {
        id: "caller/refused/missing",
        requirement: "Without Authorization: 401 with WWW-Authenticate: Bearer.",
        check: CallerCheck::Refuses(Credential::Missing),
    },
    CallerCase {
        id: "caller/refused/basic-scheme",
        requirement: "Another scheme than Bearer: 401 with WWW-Authenticate: Bearer.",
        check: CallerCheck::Refuses(Credential::Basic),
    },
    CallerCase {
        id: "caller/refused/token-in-query",
        requirement: "A token in the query string is ignored (RFC 6750 §2.3 is not offered): 401.",
        check: CallerCheck::Refuses(Credential::InQuery),
    },
    CallerCase {
        id: "caller/refused/token-in-cookie",
        requirement: "A token in a cookie is ignored: 401.",
        check: CallerCheck::Refuses(Credential::InCookie),
    },
    CallerCase {
        id: "caller/refused/impersonation",
        requirement: "POST /livekit/token naming another participant_identity: 403, never a token for it.",
        check: CallerCheck::RefusesImpersonation,
    },
];
/// What the server mints: usable by LiveKit, and by nobody without the server's secret.
const MINTED: [CallerCase; 5] = [
    CallerCase {
        id: "caller/minted/dev-credentials",
        requirement: "No token minted on either endpoint verifies with LiveKit's public development secret (livekit-server --dev: devkey/secret), and no webhook signed with it is acknowledged: anyone could mint tokens and forge events offline.",
        check: CallerCheck::NoDevCredentials,
    },
    CallerCase {
        id: "caller/too-long/identity",
        requirement: "A caller whose identity claim is 300 bytes, over LiveKit's 256-byte limit on identities, gets 403 on POST /token, never a token.",
        check: CallerCheck::RefusesLongIdentity(TokenEndpoint::Tutorial),
    },
    CallerCase {
        id: "caller/too-long/identity-standard",
        requirement: "A caller whose identity claim is 300 bytes, over LiveKit's 256-byte limit on identities, gets 403 on POST /livekit/token, never a token.",
        check: CallerCheck::RefusesLongIdentity(TokenEndpoint::Standard),
    },
    CallerCase {
        id: "caller/too-long/room",
        requirement: "A roomName of 300 bytes, over LiveKit's 256-byte limit on room names, gets 400 on POST /token, never a token.",
        check: CallerCheck::RefusesLongRoom(TokenEndpoint::Tutorial),
    },
    CallerCase {
        id: "caller/too-long/room-standard",
        requirement: "A room_name of 300 bytes, over LiveKit's 256-byte limit on room names, gets 400 on POST /livekit/token, never a token.",
        check: CallerCheck::RefusesLongRoom(TokenEndpoint::Standard),
    },
];
const FORGED: [CallerCase; 25] = forgery_cases![
    "alg-none", AlgNone, "alg: none without a signature: 401.";
    "no-signature", NoSignature, "A valid token with its signature cut off: 401.";
    "hs256-with-public-key", HmacWithPublicKey, "HS256 keyed with the RSA public key (algorithm confusion): 401.";
    "alg-not-allowed", AlgNotAllowed, "PS256 (not allowed by default) under a JWK without alg: 401.";
    "alg-not-the-jwk", AlgNotTheJwk, "PS256 under a JWK whose alg is RS256: 401.";
    "alg-not-the-keys", AlgNotTheKeys, "ES256 under an RSA key's kid: 401.";
    "oct-key", SharedSecretKey, "HS256 with an oct key the JWKS carries: 401 (shared secrets are never callers' keys).";
    "encryption-key", EncryptionKey, "Signed with a key the JWKS marks use: enc: 401.";
    "expired", Expired, "Expired 2 s beyond the 60 s leeway: 401.";
    "not-yet-valid", NotYetValid, "nbf 2 s beyond the 60 s leeway ahead: 401.";
    "string-exp", StringExpiry, "exp as a string: 401.";
    "string-nbf", StringNotBefore, "nbf as a string: 401.";
    "wrong-issuer", WrongIssuer, "Another iss: 401.";
    "no-issuer", NoIssuer, "No iss: 401.";
    "wrong-audience", WrongAudience, "Another aud: 401.";
    "no-audience", NoAudience, "No aud: 401.";
    "no-subject", NoSubject, "No sub: 401.";
    "no-expiry", NoExpiry, "No exp: 401.";
    "jku-header", JkuHeader, "Signed with a key a jku header points to: 401, the URL never fetched.";
    "x5u-header", X5uHeader, "Signed with a key an x5u header points to: 401, the URL never fetched.";
    "jwk-header", JwkHeader, "Signed with a key embedded in a jwk header: 401.";
    "kid-injection", KidInjection, "A kid crafted for path traversal and SQL injection: 401.";
    "unknown-kid", UnknownKid, "A kid the JWKS lacks: 401.";
    "malformed", Malformed, "Three segments that are not base64url JSON: 401.";
    "oversized", Oversized, "A token over 8 KiB: 401 (not a 5xx).";
];
/// Webhooks are verified alike in both modes; production is where the cost of reading a
/// forger's body first is checked.
const WEBHOOK: [CallerCase; 1] = [CallerCase {
    id: "webhook/verified-before-body",
    requirement: "A webhook whose Authorization is forged gets 401 before its body is read: with a head announcing 60,000 bytes and only 1 KiB sent, the 401 comes within 3 s.",
    check: CallerCheck::VerifiesWebhookBeforeBody,
}];
const REST: [CallerCase; 7] = [
    CallerCase {
        id: "caller/cors/allowed-origin",
        requirement: "From an allowed origin the page can read the answer (Access-Control-Allow-Origin names it, or *), with Vary: Origin.",
        check: CallerCheck::NamesAllowedOrigin,
    },
    CallerCase {
        id: "caller/cors/other-origin",
        requirement: "From another origin, no Access-Control-Allow-Origin names it (nor *).",
        check: CallerCheck::NamesNoOtherOrigin,
    },
    CallerCase {
        id: "caller/cors/preflight",
        requirement: "A preflight from an allowed origin asking for Authorization is allowed.",
        check: CallerCheck::AllowsPreflight,
    },
    CallerCase {
        id: "caller/cors/other-preflight",
        requirement: "A preflight from another origin: 403, without CORS headers for it.",
        check: CallerCheck::RefusesOtherPreflight,
    },
    CallerCase {
        id: "caller/keys/unknown-kid-flood",
        requirement: "A flood of unknown kids makes the server fetch the JWKS at most once more.",
        check: CallerCheck::ThrottlesUnknownKeys,
    },
    CallerCase {
        id: "caller/keys/no-key-urls-followed",
        requirement: "Nothing a jku or x5u header points to is ever fetched.",
        check: CallerCheck::FollowsNoKeyHeaders,
    },
    CallerCase {
        id: "caller/keys/rotation",
        requirement: "A key the provider publishes later is picked up (within 45 s).",
        check: CallerCheck::PicksUpRotatedKey,
    },
];

/// What one request got.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Runs every selected production case against `server`, which trusts `provider`, after
/// checking that it answers at all.
pub async fn run(
    server: &ServerUnderTest,
    provider: &IdentityProvider,
    selection: &Selection,
) -> Result<Report, Error> {
    crate::scenario::probe(server).await?;
    Ok(Report {
        base_url: server.base_url.clone(),
        outcomes: run_cases(server, provider, selection).await,
    })
}

async fn run_cases(
    server: &ServerUnderTest,
    provider: &IdentityProvider,
    selection: &Selection,
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(caller_cases().count());
    let client = match crate::runner::client() {
        Ok(client) => client,
        Err(err) => {
            let reason = err.to_string();
            return caller_cases()
                .map(|case| {
                    outcome(
                        case,
                        Verdict::NoAnswer(reason.clone()),
                        Vec::new(),
                        Instant::now(),
                    )
                })
                .collect();
        }
    };
    let judge = Judge {
        client: &client,
        server,
        provider,
    };
    for case in caller_cases() {
        let started = Instant::now();
        if let Some(reason) = selection.why_skipped(case.id) {
            outcomes.push(outcome(case, Verdict::Skip(reason), Vec::new(), started));
            continue;
        }
        let (verdict, findings) = match judge.check(case.check).await {
            Ok(findings) if findings.is_empty() => (Verdict::Pass, findings),
            Ok(findings) => (Verdict::from_findings(&findings), findings),
            Err(reason) => (Verdict::NoAnswer(reason), Vec::new()),
        };
        outcomes.push(outcome(case, verdict, findings, started));
    }
    outcomes
}

fn outcome(
    case: &CallerCase,
    verdict: Verdict,
    findings: Vec<Finding>,
    started: Instant,
) -> Outcome {
    Outcome {
        id: case.id,
        requirement: case.requirement,
        level: case.level(),
        verdict,
        findings,
        duration: started.elapsed(),
    }
}

struct Judge<'a> {
    client: &'a reqwest::Client,
    server: &'a ServerUnderTest,
    provider: &'a IdentityProvider,
}

const TOKEN_BODY: &str = r#"{"roomName":"room1","participantName":"Alice"}"#;

impl Judge<'_> {
    fn bearer(&self, key: CallerKey, extra: &serde_json::Value) -> String {
        format!("Bearer {}", self.provider.token(key, CALLER, extra))
    }

    async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Answer, String> {
        let mut request = self
            .client
            .post(self.server.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request).await
    }

    async fn preflight(&self, origin: &str) -> Result<Answer, String> {
        let request = self
            .client
            .request(reqwest::Method::OPTIONS, self.server.url("/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            );
        answer(request).await
    }

    async fn check(&self, check: CallerCheck) -> Result<Vec<Finding>, String> {
        let mut findings = Vec::new();
        match check {
            CallerCheck::SurvivesKeySourceDown => {
                self.provider.go_down(true);
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let down = self
                    .post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                    .await;
                self.provider.go_down(false);
                let down = down?;
                match down.status {
                    // Keys cached from before the source went down serve: as they should.
                    200..=299 => {}
                    503 if down.header("retry-after").is_none() => findings.push(Finding::new(
                        Defect::HttpDetails,
                        "503 without Retry-After: clients cannot tell when to try again",
                    )),
                    503 => {}
                    status if status >= 500 => findings.push(server_error(status)),
                    status => findings.push(Finding::new(
                        Defect::OtherStatus,
                        format!("{status} for a valid caller while keys are unavailable, not 503"),
                    )),
                }
                findings.extend(
                    self.admitted_within(
                        CallerKey::P256,
                        RECOVERY_PATIENCE,
                        "once the key source is back",
                    )
                    .await?,
                );
            }
            CallerCheck::Admits(key) => {
                let authorization = self.bearer(key, &json!({}));
                let got = self
                    .post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                    .await?;
                findings.extend(admitted(&got, 200, token_of(&got)));
            }
            CallerCheck::AdmitsWithinLeeway { not_before } => {
                let now = unix_now();
                let extra = if not_before {
                    json!({"nbf": now + ASSUMED_LEEWAY_SECONDS - 5})
                } else {
                    json!({"exp": now - ASSUMED_LEEWAY_SECONDS + 5})
                };
                let authorization = self.bearer(CallerKey::Ed25519, &extra);
                let got = self
                    .post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                    .await?;
                if !(200..300).contains(&got.status) {
                    // The leeway is the operator's choice; 60 s is only the default.
                    findings.push(Finding::new(
                        Defect::OtherStatus,
                        format!("{} for a token within the default leeway", got.status),
                    ));
                }
            }
            CallerCheck::AdmitsOnStandardEndpoint => {
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let body = format!(r#"{{"room_name":"room1","participant_identity":"{CALLER}"}}"#);
                let got = self
                    .post(
                        "/livekit/token",
                        &[("authorization", &authorization)],
                        &body,
                    )
                    .await?;
                let token = serde_json::from_str::<serde_json::Value>(&got.body)
                    .ok()
                    .and_then(|body| body["participant_token"].as_str().map(str::to_owned));
                findings.extend(admitted(&got, 201, token));
            }
            CallerCheck::Refuses(credential) => {
                let got = self.refused_request(credential).await?;
                let token_sent = matches!(credential, Credential::Forged(_));
                findings.extend(refused(&got, token_sent));
            }
            CallerCheck::RefusesImpersonation => {
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let body = r#"{"room_name":"room1","participant_identity":"mallory"}"#;
                let got = self
                    .post("/livekit/token", &[("authorization", &authorization)], body)
                    .await?;
                let token = serde_json::from_str::<serde_json::Value>(&got.body)
                    .ok()
                    .and_then(|body| body["participant_token"].as_str().map(str::to_owned));
                let sub = token
                    .and_then(|token| decode_segment(&token, 1).ok())
                    .map(|claims| claims["sub"].clone());
                match (got.status, sub) {
                    (403, _) => {}
                    (_, Some(sub)) if sub == "mallory" => findings.push(Finding::new(
                        Defect::CallerForgery,
                        "a token for another identity than the caller's",
                    )),
                    (status, _) if status >= 500 => findings.push(server_error(status)),
                    (status, _) => findings.push(Finding::new(
                        Defect::OtherStatus,
                        format!("{status} instead of 403"),
                    )),
                }
            }
            CallerCheck::NamesAllowedOrigin => {
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let got = self
                    .post(
                        "/token",
                        &[
                            ("authorization", &authorization),
                            ("origin", ALLOWED_ORIGIN),
                        ],
                        TOKEN_BODY,
                    )
                    .await?;
                // `*` lets the page read it too (no credentials are involved); naming other
                // origins is the other case's concern.
                let named = got.header("access-control-allow-origin");
                if named != Some(ALLOWED_ORIGIN) && named != Some("*") {
                    findings.push(Finding::new(
                        Defect::CorsBlocked,
                        format!(
                            "Access-Control-Allow-Origin is {:?}",
                            got.header("access-control-allow-origin")
                        ),
                    ));
                }
                if !varies_by_origin(&got.headers) {
                    findings.push(Finding::new(
                        Defect::HttpDetails,
                        "no Vary: Origin: a cache may serve one origin's answer to another",
                    ));
                }
            }
            CallerCheck::NamesNoOtherOrigin => {
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let got = self
                    .post(
                        "/token",
                        &[("authorization", &authorization), ("origin", OTHER_ORIGIN)],
                        TOKEN_BODY,
                    )
                    .await?;
                if let Some(named) = got
                    .header("access-control-allow-origin")
                    .filter(|named| *named == OTHER_ORIGIN || *named == "*")
                {
                    findings.push(Finding::new(
                        Defect::OpenOrigin,
                        format!("Access-Control-Allow-Origin: {named} for an origin not allowed"),
                    ));
                }
            }
            CallerCheck::AllowsPreflight => {
                let got = self.preflight(ALLOWED_ORIGIN).await?;
                let allows_authorization =
                    got.header("access-control-allow-headers")
                        .is_some_and(|headers| {
                            headers.split(',').any(|name| {
                                name.trim().eq_ignore_ascii_case("authorization")
                                    || name.trim() == "*"
                            })
                        });
                let named = got.header("access-control-allow-origin");
                if !(200..300).contains(&got.status)
                    || (named != Some(ALLOWED_ORIGIN) && named != Some("*"))
                    || !allows_authorization
                {
                    findings.push(Finding::new(
                        Defect::CorsBlocked,
                        format!(
                            "{} with Access-Control-Allow-Origin {:?} and -Headers {:?}",
                            got.status,
                            got.header("access-control-allow-origin"),
                            got.header("access-control-allow-headers")
                        ),
                    ));
                }
            }
            CallerCheck::RefusesOtherPreflight => {
                let got = self.preflight(OTHER_ORIGIN).await?;
                let named = got.header("access-control-allow-origin");
                if named == Some(OTHER_ORIGIN) || named == Some("*") {
                    findings.push(Finding::new(
                        Defect::OpenOrigin,
                        format!("the preflight from another origin is allowed ({named:?})"),
                    ));
                } else if got.status != 403 {
                    findings.push(Finding::new(
                        Defect::OtherStatus,
                        format!("{} instead of 403", got.status),
                    ));
                }
            }
            CallerCheck::ThrottlesUnknownKeys => {
                let before = self.provider.fetches();
                for _ in 0..FLOOD {
                    let forged = self.provider.forged(Forgery::UnknownKid);
                    let authorization = format!("Bearer {forged}");
                    let got = self
                        .post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                        .await?;
                    findings.extend(refused(&got, true));
                }
                let fetched = self.provider.fetches() - before;
                if fetched > 1 {
                    findings.push(Finding::new(
                        Defect::FloodsKeySource,
                        format!(
                            "{FLOOD} unknown kids made the server fetch the JWKS {fetched} times"
                        ),
                    ));
                }
            }
            CallerCheck::FollowsNoKeyHeaders => {
                let fetched = self.provider.attacker_fetches();
                if fetched > 0 {
                    findings.push(Finding::new(
                        Defect::CallerForgery,
                        format!("a URL from a token's header was fetched {fetched} times"),
                    ));
                }
            }
            CallerCheck::PicksUpRotatedKey => {
                self.provider.rotate();
                findings.extend(
                    self.admitted_within(
                        CallerKey::Rotated,
                        ROTATION_PATIENCE,
                        "after the rotation",
                    )
                    .await?,
                );
            }
            CallerCheck::NoDevCredentials => findings.extend(self.dev_credentials().await?),
            CallerCheck::RefusesLongIdentity(endpoint) => {
                let identity = "i".repeat(TOO_LONG);
                let authorization = format!(
                    "Bearer {}",
                    self.provider.token(CallerKey::P256, &identity, &json!({}))
                );
                let got = self
                    .post(
                        endpoint.path(),
                        &[("authorization", &authorization)],
                        &endpoint.body("room1"),
                    )
                    .await?;
                findings.extend(not_minted(&got, endpoint, 403, Named::Identity(&identity)));
            }
            CallerCheck::RefusesLongRoom(endpoint) => {
                let room = "r".repeat(TOO_LONG);
                let authorization = self.bearer(CallerKey::P256, &json!({}));
                let got = self
                    .post(
                        endpoint.path(),
                        &[("authorization", &authorization)],
                        &endpoint.body(&room),
                    )
                    .await?;
                findings.extend(not_minted(&got, endpoint, 400, Named::Room(&room)));
            }
            CallerCheck::VerifiesWebhookBeforeBody => {
                findings.extend(self.webhook_before_body().await?);
            }
        }
        Ok(findings)
    }

    /// A token from each endpoint, and a webhook signed with `devkey`/`secret`: findings for
    /// each on LiveKit's development credentials. `Err` when neither endpoint minted a token
    /// to judge (the admitting cases say why).
    async fn dev_credentials(&self) -> Result<Vec<Finding>, String> {
        let mut findings = Vec::new();
        let mut judged = 0;
        for endpoint in TokenEndpoint::ALL {
            let authorization = self.bearer(CallerKey::P256, &json!({}));
            let got = self
                .post(
                    endpoint.path(),
                    &[("authorization", &authorization)],
                    &endpoint.body("room1"),
                )
                .await?;
            let Some(token) = endpoint
                .token(&got)
                .filter(|_| (200..300).contains(&got.status))
            else {
                continue;
            };
            judged += 1;
            if signed_with_dev_secret(&token) {
                findings.push(Finding::new(
                    Defect::DevCredentials,
                    format!(
                        "the token from POST {} verifies with LiveKit's development secret \"{DEV_API_SECRET}\"",
                        endpoint.path()
                    ),
                ));
            }
        }
        if judged == 0 {
            return Err("neither endpoint minted a token for a valid caller".to_owned());
        }
        let dev = self
            .server
            .clone()
            .with_credentials(DEV_API_KEY, DEV_API_SECRET);
        let auth = WebhookAuth::Signed {
            signer: Signer::Suite,
            flaw: Flaw::None,
        };
        let (body, authorization) =
            crate::signing::webhook_request(&dev, EVENT, auth, 0).map_err(|err| err.to_string())?;
        let mut request = self
            .client
            .post(self.server.url("/livekit/webhook"))
            .header("content-type", "application/webhook+json")
            .body(body);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let got = answer(request).await?;
        if (200..300).contains(&got.status) {
            findings.push(Finding::new(
                Defect::DevCredentials,
                format!(
                    "{}: a webhook signed with {DEV_API_KEY}/{DEV_API_SECRET} is acknowledged",
                    got.status
                ),
            ));
        }
        Ok(findings)
    }

    /// A webhook signed with another secret, its body announced but withheld: 401 at once
    /// shows the signature checked first; silence (or a 408) shows the body read first.
    async fn webhook_before_body(&self) -> Result<Vec<Finding>, String> {
        let auth = WebhookAuth::Signed {
            signer: Signer::Suite,
            flaw: Flaw::WrongSecret,
        };
        let (body, authorization) =
            crate::signing::webhook_request(self.server, EVENT, auth, ANNOUNCED_WEBHOOK_BYTES)
                .map_err(|err| err.to_string())?;
        let authorization = authorization.unwrap_or_default();
        let got = crate::scenario::webhook_with_withheld_body(
            self.server,
            &authorization,
            &body,
            SENT_WEBHOOK_BYTES,
            WEBHOOK_PATIENCE,
        )
        .await?;
        let withheld = ANNOUNCED_WEBHOOK_BYTES - SENT_WEBHOOK_BYTES;
        let reads_first = |how: String| {
            Finding::new(
                Defect::ReadsUnverifiedWebhooks,
                format!(
                    "{how} to a webhook with a forged signature and {withheld} bytes of its body \
                     withheld: the server reads the body before checking the signature"
                ),
            )
        };
        Ok(match got {
            Ok(response) => match response.status {
                401 => Vec::new(),
                200..=299 => vec![Finding::new(
                    Defect::WebhookForgery,
                    format!(
                        "{}: a webhook signed with another secret is acknowledged",
                        response.status
                    ),
                )],
                408 => vec![reads_first("408".to_owned())],
                status @ 500..=599 => vec![server_error(status)],
                status => vec![Finding::new(
                    Defect::OtherStatus,
                    format!("{status} instead of 401 for a webhook with a forged signature"),
                )],
            },
            Err(ReadError::TimedOut) => vec![reads_first(format!(
                "no answer within {} s",
                WEBHOOK_PATIENCE.as_secs()
            ))],
            Err(err) => vec![Finding::new(
                Defect::OtherStatus,
                format!("no 401 for a webhook with a forged signature: {err}"),
            )],
        })
    }

    /// Polls `POST /token` with a valid token signed with `key`, once a second, until it is
    /// admitted; a finding when `patience` runs out first or the server fails.
    async fn admitted_within(
        &self,
        key: CallerKey,
        patience: Duration,
        when: &str,
    ) -> Result<Vec<Finding>, String> {
        let started = Instant::now();
        loop {
            let authorization = self.bearer(key, &json!({}));
            let got = self
                .post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                .await?;
            if got.status == 200 {
                return Ok(Vec::new());
            }
            if got.status >= 500 && got.status != 503 {
                return Ok(vec![server_error(got.status)]);
            }
            if started.elapsed() > patience {
                return Ok(vec![Finding::new(
                    Defect::RefusesClientRequest,
                    format!(
                        "a valid caller still gets {} {} s {when}",
                        got.status,
                        patience.as_secs()
                    ),
                )]);
            }
            // The server's answer paces the polling: one request a second.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn refused_request(&self, credential: Credential) -> Result<Answer, String> {
        let raw = self.provider.token(CallerKey::P256, CALLER, &json!({}));
        match credential {
            Credential::Missing => self.post("/token", &[], TOKEN_BODY).await,
            Credential::Basic => {
                self.post(
                    "/token",
                    &[("authorization", "Basic YWxpY2U6cGFzc3dvcmQ=")],
                    TOKEN_BODY,
                )
                .await
            }
            Credential::Forged(forgery) => {
                let authorization = format!("Bearer {}", self.provider.forged(forgery));
                self.post("/token", &[("authorization", &authorization)], TOKEN_BODY)
                    .await
            }
            Credential::InQuery => {
                self.post(&format!("/token?access_token={raw}"), &[], TOKEN_BODY)
                    .await
            }
            Credential::InCookie => {
                let cookie = format!("access_token={raw}");
                self.post("/token", &[("cookie", &cookie)], TOKEN_BODY)
                    .await
            }
        }
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = crate::runner::read_body(response)
        .await
        .map_err(|err| err.to_string())?;
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The token of a `POST /token` answer, bare or in `{"token"}`.
fn token_of(got: &Answer) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(&got.body) {
        Ok(body) => body["token"].as_str().map(str::to_owned),
        Err(_) => Some(got.body.trim().to_owned()),
    }
}

/// Findings for an answer that must admit the caller with `status` and a token for it.
fn admitted(got: &Answer, status: u16, token: Option<String>) -> Vec<Finding> {
    if got.status >= 500 {
        return vec![server_error(got.status)];
    }
    if !(200..300).contains(&got.status) {
        return vec![Finding::new(
            Defect::RefusesClientRequest,
            format!(
                "{} for a valid caller: {}",
                got.status,
                got.body.chars().take(120).collect::<String>()
            ),
        )];
    }
    let mut findings = Vec::new();
    if got.status != status {
        findings.push(Finding::new(
            Defect::OtherStatus,
            format!("{} instead of {status}", got.status),
        ));
    }
    let sub = token
        .and_then(|token| decode_segment(&token, 1).ok())
        .map(|claims| claims["sub"].clone());
    match sub {
        Some(sub) if sub == CALLER => {}
        Some(sub) => findings.push(Finding::new(
            Defect::WrongIdentityOrRoom,
            format!("the token's sub is {sub}, not the caller's {CALLER:?}"),
        )),
        None => findings.push(Finding::new(
            Defect::UnreadableAnswer,
            "no readable token in the answer",
        )),
    }
    findings
}

/// A name over LiveKit's limit, as the request (or the caller's token) gave it.
#[derive(Debug, Clone, Copy)]
enum Named<'a> {
    /// The caller's identity claim.
    Identity(&'a str),
    /// The room asked for.
    Room(&'a str),
}

/// Findings for an answer that must refuse a name over LiveKit's limit with `status`: a
/// token minted for it is one LiveKit refuses, and one for a shortened name is for someone
/// or somewhere else.
fn not_minted(
    got: &Answer,
    endpoint: TokenEndpoint,
    status: u16,
    named: Named<'_>,
) -> Vec<Finding> {
    let (what, claim, asked) = match named {
        Named::Identity(identity) => ("identity", "sub", identity),
        Named::Room(room) => ("room name", "video.room", room),
    };
    match got.status {
        code if code == status => Vec::new(),
        200..=299 => {
            let claims = endpoint
                .token(got)
                .and_then(|token| decode_segment(&token, 1).ok());
            let minted = claims.as_ref().and_then(|claims| match named {
                Named::Identity(_) => claims["sub"].as_str(),
                Named::Room(_) => claims["video"]["room"].as_str(),
            });
            match minted {
                Some(minted) if minted != asked => vec![Finding::new(
                    Defect::WrongIdentityOrRoom,
                    format!(
                        "{}: a token whose {claim} is {} bytes, not the {} asked for",
                        got.status,
                        minted.len(),
                        asked.len()
                    ),
                )],
                _ => vec![Finding::new(
                    Defect::TokenForInvalidInput,
                    format!(
                        "{}: a token for a {} byte {what}, over LiveKit's {LIVEKIT_NAME_LIMIT}-byte limit",
                        got.status,
                        asked.len()
                    ),
                )],
            }
        }
        code @ 500..=599 => vec![server_error(code)],
        code => vec![Finding::new(
            Defect::OtherStatus,
            format!(
                "{code} instead of {status} for a {} byte {what}",
                asked.len()
            ),
        )],
    }
}

/// Whether `jwt` verifies with LiveKit's development secret (HS256, as LiveKit signs), its
/// claims aside.
fn signed_with_dev_secret(jwt: &str) -> bool {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let key = jsonwebtoken::DecodingKey::from_secret(DEV_API_SECRET.as_bytes());
    jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation).is_ok()
}

/// Findings for an answer that must refuse with 401 and a `Bearer` challenge.
fn refused(got: &Answer, token_sent: bool) -> Vec<Finding> {
    if (200..300).contains(&got.status) {
        return vec![Finding::new(
            Defect::CallerForgery,
            format!(
                "{}: a token for a caller who is not authenticated",
                got.status
            ),
        )];
    }
    if got.status >= 500 {
        return vec![server_error(got.status)];
    }
    let mut findings = Vec::new();
    if got.status != 401 {
        findings.push(Finding::new(
            Defect::OtherStatus,
            format!("{} instead of 401", got.status),
        ));
        return findings;
    }
    let challenge = got.header("www-authenticate").unwrap_or_default();
    let bearer = challenge
        .get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer"));
    if !bearer {
        findings.push(Finding::new(
            Defect::NoChallenge,
            format!("WWW-Authenticate is {challenge:?}, not a Bearer challenge"),
        ));
    } else if token_sent && !challenge.contains("invalid_token") {
        findings.push(Finding::new(
            Defect::NoChallenge,
            format!("WWW-Authenticate {challenge:?} lacks error=\"invalid_token\""),
        ));
    }
    findings
}

fn server_error(status: u16) -> Finding {
    Finding::new(
        Defect::ServerError,
        format!("{status} for a caller's request"),
    )
}

fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers.get_all("vary").iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("origin") || name.trim() == "*")
        })
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    use super::*;

    fn signed(secret: &str, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    }

    fn answer_with(status: u16, body: String) -> Answer {
        Answer {
            status,
            headers: HeaderMap::new(),
            body,
        }
    }

    #[test]
    fn only_the_development_secret_is_the_development_secret() {
        let claims = json!({"iss": "devkey", "sub": "alice"});
        assert!(signed_with_dev_secret(&signed(DEV_API_SECRET, &claims)));
        // Expired or not, LiveKit's claims or none: the signature is what anyone can make.
        assert!(signed_with_dev_secret(&signed(
            DEV_API_SECRET,
            &json!({"exp": 1})
        )));
        assert!(!signed_with_dev_secret(&signed(
            "a-production-secret-0123456789abcdef",
            &claims
        )));
        assert!(!signed_with_dev_secret("not.a.jwt"));
    }

    #[test]
    fn a_name_over_the_limit_is_refused_minted_or_shortened() {
        let room = "r".repeat(TOO_LONG);
        let token_for = |room: &str| {
            json!({"token": signed("s", &json!({"sub": "alice", "video": {"room": room}}))})
                .to_string()
        };
        let judged = |got: Answer| {
            not_minted(&got, TokenEndpoint::Tutorial, 400, Named::Room(&room))
                .into_iter()
                .map(|finding| finding.defect)
                .collect::<Vec<_>>()
        };
        assert_eq!(judged(answer_with(400, String::new())), []);
        assert_eq!(
            judged(answer_with(200, token_for(&room))),
            [Defect::TokenForInvalidInput]
        );
        assert_eq!(
            judged(answer_with(200, token_for(&room[..LIVEKIT_NAME_LIMIT]))),
            [Defect::WrongIdentityOrRoom]
        );
        assert_eq!(
            judged(answer_with(200, "{}".to_owned())),
            [Defect::TokenForInvalidInput]
        );
        assert_eq!(
            judged(answer_with(403, String::new())),
            [Defect::OtherStatus]
        );
        assert_eq!(
            judged(answer_with(500, String::new())),
            [Defect::ServerError]
        );
        let identity = "i".repeat(TOO_LONG);
        let standard = json!({"participant_token": signed("s", &json!({"sub": identity}))});
        let got = answer_with(201, standard.to_string());
        let findings = not_minted(
            &got,
            TokenEndpoint::Standard,
            403,
            Named::Identity(&identity),
        );
        assert_eq!(findings[0].defect, Defect::TokenForInvalidInput);
    }

    proptest! {
        /// Whatever a server answers, the production judges return findings: no status,
        /// header or body makes them panic.
        #[test]
        fn any_answer_is_judged_without_panic(
            status in 100u16..1000,
            challenge in proptest::option::of("[ -~]{0,16}"),
            body in prop_oneof![
                "\\PC{0,64}",
                "[a-zA-Z0-9_-]{0,16}\\.[a-zA-Z0-9_-]{0,24}\\.[a-zA-Z0-9_-]{0,8}",
                "[ -~]{0,24}".prop_map(|token| json!({"token": token}).to_string()),
                "[ -~]{0,24}".prop_map(|token| json!({"participant_token": token}).to_string()),
            ],
        ) {
            let mut got = answer_with(status, body);
            if let Some(value) = challenge.and_then(|value| HeaderValue::from_str(&value).ok()) {
                got.headers.insert("www-authenticate", value);
            }
            let _ = admitted(&got, 200, token_of(&got));
            let _ = refused(&got, true);
            for endpoint in TokenEndpoint::ALL {
                if let Some(token) = endpoint.token(&got) {
                    let _ = signed_with_dev_secret(&token);
                }
                let _ = not_minted(&got, endpoint, 403, Named::Identity("i"));
                let _ = not_minted(&got, endpoint, 400, Named::Room("r"));
            }
        }
    }

    #[test]
    fn every_forgery_has_a_case_and_ids_are_unique() {
        for forgery in Forgery::ALL {
            assert!(
                caller_cases().any(|case| matches!(
                    case.check,
                    CallerCheck::Refuses(Credential::Forged(f)) if f == forgery
                )),
                "{forgery:?} has no case"
            );
        }
        let mut ids: Vec<_> = caller_cases().map(|case| case.id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
        assert!(
            ids.iter()
                .all(|id| id.starts_with("caller/") || id.starts_with("webhook/"))
        );
    }
}
