//! Every production case, as data: the credential sent, the answer expected, the defect a
//! miss shows. The order is the order they run in: the key source first, while the server
//! may not have loaded the keys yet, then rotation, since it waits, and Wycheproof's vectors
//! last: there may be hundreds, and a server's limit on failed callers must not meet the
//! flood of unknown keys, which counts each refusal.

use super::case::Body::{LongRoom, Room1, StandardAs, Tutorial};
use super::case::CallerScenario::{
    FollowsNoKeyHeaders, NoDevCredentials, PicksUpRotatedKey, RefusesWycheproofVectors,
    SurvivesKeySourceDown, ThrottlesUnknownKeys, VerifiesWebhookBeforeBody,
};
use super::case::Credential::{
    Basic, Forged, InCookie, InQuery, LongIdentity, Missing, Valid, WithinLeeway,
};
use super::case::Expected::{
    Admitted, AdmittedWithinLeeway, NamesAllowedOrigin, NamesNoOtherOrigin, NotImpersonated,
    NotMinted, PreflightAllowed, PreflightRefused, Refused,
};
use super::case::{
    Body, CallerCase, CallerCheck, CallerRequest, Credential, Expected, Over, TokenEndpoint,
};
use super::{ALLOWED_ORIGIN, OTHER_IDENTITY, OTHER_ORIGIN};
use crate::harm::Defect;
use crate::identity_provider::{CALLER, CallerKey, Forgery};

/// Every production case, in the order they run.
pub fn caller_cases() -> impl Iterator<Item = &'static CallerCase> {
    FIRST
        .iter()
        .chain(&ADMITTED)
        .chain(&REFUSED)
        .chain(&MINTED)
        .chain(&FORGED)
        .chain(&OVERSIZED)
        .chain(&WEBHOOK)
        .chain(&REST)
        .chain(&WYCHEPROOF)
}

const fn case(
    id: &'static str,
    requirement: &'static str,
    defect: Defect,
    check: CallerCheck,
) -> CallerCase {
    CallerCase {
        id,
        requirement,
        defect,
        check,
    }
}

/// `POST` to `endpoint` with `credential` and `body`, without an `Origin`.
const fn post(
    endpoint: TokenEndpoint,
    credential: Credential,
    body: Body,
    expect: Expected,
) -> CallerCheck {
    CallerCheck::Exchange {
        request: CallerRequest::Post {
            endpoint,
            credential,
            body,
            origin: None,
        },
        expect,
    }
}

/// The tutorials' `POST /token` for `room1` with `credential`.
const fn token(credential: Credential, expect: Expected) -> CallerCheck {
    post(TokenEndpoint::Tutorial, credential, Tutorial, expect)
}

/// A valid caller's `POST /token` from `origin`.
const fn from_origin(origin: &'static str, expect: Expected) -> CallerCheck {
    CallerCheck::Exchange {
        request: CallerRequest::Post {
            endpoint: TokenEndpoint::Tutorial,
            credential: Valid(CallerKey::P256),
            body: Tutorial,
            origin: Some(origin),
        },
        expect,
    }
}

/// A preflight from `origin`.
const fn preflight(origin: &'static str, expect: Expected) -> CallerCheck {
    CallerCheck::Exchange {
        request: CallerRequest::Preflight { origin },
        expect,
    }
}

macro_rules! forgery_cases {
    ($($id:literal, $forgery:ident, $requirement:literal;)*) => {
        [$(case(
            concat!("caller/forged/", $id),
            $requirement,
            Defect::CallerForgery,
            token(Forged(Forgery::$forgery), Refused),
        ),)*]
    };
}

const FIRST: [CallerCase; 1] = [case(
    "caller/keys/source-down",
    "With the key source down and nothing cached, a valid caller gets 503 with Retry-After; once it is back, a token (within 45 s).",
    Defect::RefusesClientRequest,
    CallerCheck::Scenario(SurvivesKeySourceDown),
)];

const ADMITTED: [CallerCase; 6] = [
    case(
        "caller/valid/rs256",
        "A caller with a valid RS256 token gets a token for its own identity.",
        Defect::RefusesClientRequest,
        token(Valid(CallerKey::Rsa), Admitted(200)),
    ),
    case(
        "caller/valid/es256",
        "A caller with a valid ES256 token gets a token for its own identity.",
        Defect::RefusesClientRequest,
        token(Valid(CallerKey::P256), Admitted(200)),
    ),
    case(
        "caller/valid/eddsa",
        "A caller with a valid EdDSA token gets a token for its own identity.",
        Defect::RefusesClientRequest,
        token(Valid(CallerKey::Ed25519), Admitted(200)),
    ),
    case(
        "caller/valid/exp-within-leeway",
        "A token expired 5 s less than the 60 s leeway ago is still valid.",
        Defect::OtherStatus,
        token(WithinLeeway { not_before: false }, AdmittedWithinLeeway),
    ),
    case(
        "caller/valid/nbf-within-leeway",
        "A token valid 5 s less than the 60 s leeway from now is valid already.",
        Defect::OtherStatus,
        token(WithinLeeway { not_before: true }, AdmittedWithinLeeway),
    ),
    case(
        "caller/valid/standard-endpoint",
        "POST /livekit/token naming the caller's own identity answers 201 with a token for it.",
        Defect::RefusesClientRequest,
        post(
            TokenEndpoint::Standard,
            Valid(CallerKey::P256),
            StandardAs(CALLER),
            Admitted(201),
        ),
    ),
];

const REFUSED: [CallerCase; 5] = [
    case(
        "caller/refused/missing",
        "Without Authorization: 401 with WWW-Authenticate: Bearer.",
        Defect::CallerForgery,
        token(Missing, Refused),
    ),
    case(
        "caller/refused/basic-scheme",
        "Another scheme than Bearer: 401 with WWW-Authenticate: Bearer.",
        Defect::CallerForgery,
        token(Basic, Refused),
    ),
    // A valid token elsewhere than the header is still the caller's own: serving it gives
    // nobody else a token. A URL leaks it to logs (RFC 6750 §2.3: SHOULD NOT), and a cookie
    // rides cross-site requests, but their answers are readable only where CORS allows, which
    // the cors cases hold as MUST. So admitting them is taste (issue 30).
    case(
        "caller/refused/token-in-query",
        "A token in the query string is ignored (RFC 6750 §2.3 is not offered): 401; serving its caller harms nobody else.",
        Defect::AcceptsHarmlessly,
        token(InQuery, Refused),
    ),
    case(
        "caller/refused/token-in-cookie",
        "A token in a cookie is ignored: 401; serving its caller harms nobody else.",
        Defect::AcceptsHarmlessly,
        token(InCookie, Refused),
    ),
    case(
        "caller/refused/impersonation",
        "POST /livekit/token naming another participant_identity: 403, never a token for it.",
        Defect::CallerForgery,
        post(
            TokenEndpoint::Standard,
            Valid(CallerKey::P256),
            StandardAs(OTHER_IDENTITY),
            NotImpersonated,
        ),
    ),
];

/// What the server mints: usable by LiveKit, and by nobody without the server's secret. A
/// token for a name over LiveKit's limit is refused at connect: useless to its own caller,
/// and to nobody else, so minting it is taste; a token for a shortened name is for someone
/// or somewhere else, which stays harm (issue 30).
const MINTED: [CallerCase; 5] = [
    case(
        "caller/minted/dev-credentials",
        "No token minted on either endpoint verifies with LiveKit's public development secret (livekit-server --dev: devkey/secret), and no webhook signed with it is acknowledged: anyone could mint tokens and forge events offline.",
        Defect::DevCredentials,
        CallerCheck::Scenario(NoDevCredentials),
    ),
    case(
        "caller/too-long/identity",
        "A caller whose identity claim is 300 bytes, over LiveKit's 256-byte limit on identities, gets 403 on POST /token; a token for it is useless (LiveKit refuses it), one for a shortened name is for someone or somewhere else.",
        Defect::AcceptsHarmlessly,
        post(
            TokenEndpoint::Tutorial,
            LongIdentity,
            Room1,
            NotMinted {
                status: 403,
                over: Over::Identity,
            },
        ),
    ),
    case(
        "caller/too-long/identity-standard",
        "A caller whose identity claim is 300 bytes, over LiveKit's 256-byte limit on identities, gets 403 on POST /livekit/token; a token for it is useless (LiveKit refuses it), one for a shortened name is for someone or somewhere else.",
        Defect::AcceptsHarmlessly,
        post(
            TokenEndpoint::Standard,
            LongIdentity,
            Room1,
            NotMinted {
                status: 403,
                over: Over::Identity,
            },
        ),
    ),
    case(
        "caller/too-long/room",
        "A roomName of 300 bytes, over LiveKit's 256-byte limit on room names, gets 400 on POST /token; a token for it is useless (LiveKit refuses it), one for a shortened name is for someone or somewhere else.",
        Defect::AcceptsHarmlessly,
        post(
            TokenEndpoint::Tutorial,
            Valid(CallerKey::P256),
            LongRoom,
            NotMinted {
                status: 400,
                over: Over::Room,
            },
        ),
    ),
    case(
        "caller/too-long/room-standard",
        "A room_name of 300 bytes, over LiveKit's 256-byte limit on room names, gets 400 on POST /livekit/token; a token for it is useless (LiveKit refuses it), one for a shortened name is for someone or somewhere else.",
        Defect::AcceptsHarmlessly,
        post(
            TokenEndpoint::Standard,
            Valid(CallerKey::P256),
            LongRoom,
            NotMinted {
                status: 400,
                over: Over::Room,
            },
        ),
    ),
];

const FORGED: [CallerCase; 24] = forgery_cases![
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
];

/// A validly signed token padded past 8 KiB. Its caller is authenticated, so serving it
/// harms nobody: the size cap is taste, and only a 5xx is harm. It was once judged as a
/// forgery, a false alarm on a server that verified its callers right (issue 30), and was
/// named `caller/forged/oversized` (an alias until the next version).
const OVERSIZED: [CallerCase; 1] = [case(
    "caller/too-long/token",
    "A validly signed token padded past 8 KiB: 401; a token for it harms nobody (its caller is authenticated), a 5xx is a server fault.",
    Defect::AcceptsHarmlessly,
    token(Forged(Forgery::Oversized), Refused),
)];

/// Webhooks are verified alike in both modes; production is where the cost of reading a
/// forger's body first is checked.
const WEBHOOK: [CallerCase; 1] = [case(
    "webhook/verified-before-body",
    "A webhook whose Authorization is forged gets 401 before its body is read: with a head announcing 60,000 bytes and only 1 KiB sent, the 401 comes within 3 s.",
    Defect::ReadsUnverifiedWebhooks,
    CallerCheck::Scenario(VerifiesWebhookBeforeBody),
)];

const REST: [CallerCase; 7] = [
    case(
        "caller/cors/allowed-origin",
        "From an allowed origin the page can read the answer (Access-Control-Allow-Origin names it, or *), with Vary: Origin.",
        Defect::CorsBlocked,
        from_origin(ALLOWED_ORIGIN, NamesAllowedOrigin),
    ),
    case(
        "caller/cors/other-origin",
        "From another origin, no Access-Control-Allow-Origin names it (nor *).",
        Defect::OpenOrigin,
        from_origin(OTHER_ORIGIN, NamesNoOtherOrigin),
    ),
    case(
        "caller/cors/preflight",
        "A preflight from an allowed origin asking for Authorization is allowed.",
        Defect::CorsBlocked,
        preflight(ALLOWED_ORIGIN, PreflightAllowed),
    ),
    case(
        "caller/cors/other-preflight",
        "A preflight from another origin: 403, without CORS headers for it.",
        Defect::OpenOrigin,
        preflight(OTHER_ORIGIN, PreflightRefused),
    ),
    case(
        "caller/keys/unknown-kid-flood",
        "A flood of unknown kids makes the server fetch the JWKS at most once more.",
        Defect::FloodsKeySource,
        CallerCheck::Scenario(ThrottlesUnknownKeys),
    ),
    case(
        "caller/keys/no-key-urls-followed",
        "Nothing a jku or x5u header points to is ever fetched.",
        Defect::CallerForgery,
        CallerCheck::Scenario(FollowsNoKeyHeaders),
    ),
    case(
        "caller/keys/rotation",
        "A key the provider publishes later is picked up (within 45 s).",
        Defect::RefusesClientRequest,
        CallerCheck::Scenario(PicksUpRotatedKey),
    ),
];

/// Wycheproof's JSON Web Signature vectors, from the file `--wycheproof` names (SKIP without
/// it). Their payload is `foo`, never a caller, so only a 2xx is judged: any other refusal,
/// a 429 from a limit on failed callers included, kept the vector out (the other forgery
/// cases judge the challenge).
const WYCHEPROOF: [CallerCase; 1] = [case(
    "caller/forged/wycheproof",
    "Every invalid vector of Wycheproof's JSON Web Signature tests under an RS256, ES256 or EdDSA key (--wycheproof FILE), sent as a caller's token with its key in the JWKS, is kept out: never a 2xx, named by its tcId.",
    Defect::CallerForgery,
    CallerCheck::Scenario(RefusesWycheproofVectors),
)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harm::Level;

    #[test]
    fn every_forgery_has_a_case_and_ids_are_unique() {
        for forgery in Forgery::ALL {
            assert!(
                caller_cases().any(|case| matches!(
                    case.check,
                    CallerCheck::Exchange {
                        request: CallerRequest::Post { credential: Forged(f), .. },
                        expect: Refused,
                    } if f == forgery
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

    /// Only the leeway, a valid caller's token oversized or outside the header, names over
    /// LiveKit's limit (served for the name asked) and the order of a webhook's checks are
    /// SHOULD: every other miss lets the wrong caller in, keeps the right one out, or mints
    /// for another identity or room.
    #[test]
    fn every_case_is_must_but_those_whose_answer_harms_nobody() {
        let should: Vec<_> = caller_cases()
            .filter(|case| case.level() == Level::Should)
            .map(|case| case.id)
            .collect();
        assert_eq!(
            should,
            [
                "caller/valid/exp-within-leeway",
                "caller/valid/nbf-within-leeway",
                "caller/refused/token-in-query",
                "caller/refused/token-in-cookie",
                "caller/too-long/identity",
                "caller/too-long/identity-standard",
                "caller/too-long/room",
                "caller/too-long/room-standard",
                "caller/too-long/token",
                "webhook/verified-before-body",
            ]
        );
        assert_eq!(caller_cases().count(), 51);
    }
}
