//! The servers run and probed: the seed, Python v3, Node v3 and Rust v3.

use super::{EMPTY_200, JOIN_ONLY, JSON_REPLY};
use crate::quirks::AllowHeaders::{List, Mirror};
use crate::quirks::NameRule::{Accepted, Refused};
use crate::quirks::Refusal::{Framework as FrameworkError, NamesMissing, NamesRequired};
use crate::quirks::*;

const HTML: Option<&str> = Some("text/html; charset=utf-8");

/// Flask + flask-cors `CORS(app)` [probed]: the origin echoed with `Vary: Origin` (`*`
/// without one), every method and the requested headers allowed, no max-age.
const FLASK_CORS: Cors = Cors {
    origin: AllowOrigin::EchoOrStar,
    on_routing_errors: true,
    allow_headers_everywhere: None,
    preflight: Some(Preflight {
        scope: PreflightScope::DecoratesOnly,
        status: 200,
        methods: AllowMethods::List("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"),
        grants_only: None,
        headers: Mirror,
        max_age: None,
        allow: None,
    }),
};

/// Flask's routing [probed]: decoded paths, strict slashes, 405 with `Allow`, automatic
/// `OPTIONS`.
const FLASK_ROUTING: Routing = Routing {
    percent_decoded: true,
    trailing_slash: TrailingSlash::Unknown,
    wrong_method: WrongMethod::NotAllowed {
        allow: Some("POST, OPTIONS"),
    },
    options_allow: Some("POST, OPTIONS"),
    unknown_path: UnknownPath::NotFound,
};

/// `request.json[...]` [probed]: 415 unless JSON, 400 for bad JSON, 500 when it is not an
/// object, no limit. *Default*: Werkzeug refuses bytes that are not UTF-8 as bad JSON.
const FLASK_BODY: Body = Body {
    media_types: MediaTypes::Json {
        suffix: true,
        otherwise: FrameworkError(415),
    },
    malformed: FrameworkError(400),
    empty: FrameworkError(400),
    array: FrameworkError(500),
    null: FrameworkError(500),
    scalar: FrameworkError(500),
    replaces_invalid_utf8: false,
    limit: None,
};

/// `if not room_name or not participant_name` in a dynamic language [probed for the seed,
/// Python and Node]: empty and null refused, any other value put in the token as sent.
const TRUTHY_NAMES: Names = Names {
    claim: NameClaim::AsSent,
    empty: Refused(NamesMissing),
    null: Refused(NamesMissing),
    scalar: Accepted,
    compound: Accepted,
};

/// The seed, OpenVidu's first Python tutorial (Flask development server) [probed]: the bare
/// token as `text/html`, its SDK's every grant key and empty `identity`/`name`, 500 for a
/// body that is not an object, no body limit, `Connection: close`, no webhook.
pub const SEED: Quirks = Quirks {
    framework: Framework::Flask { debug: false },
    reply: Reply {
        shape: Shape::Text,
        content_type: "text/html; charset=utf-8",
        per_field_messages: false,
    },
    claims: Claims {
        grants: Grants::EveryKey,
        defaults: ClaimDefaults::EmptyIdentityAndName,
        ..JOIN_ONLY
    },
    names: TRUTHY_NAMES,
    body: FLASK_BODY,
    routing: FLASK_ROUTING,
    cors: FLASK_CORS,
    webhook: None,
    credentials: Credentials::CONFIGURED,
    connection_close: true,
};

/// The Python v3 tutorial (Flask in debug mode, flask-cors) [probed]: the seed's Flask with
/// pretty-printed JSON, Python's SDK claims, a 405 without `Allow` (as the probe recorded
/// it; Werkzeug usually sends one), and a fully verifying webhook answering `ok`, 401
/// otherwise, 200 to a signed body that is not an event.
pub const PYTHON: Quirks = Quirks {
    framework: Framework::Flask { debug: true },
    reply: Reply {
        shape: Shape::JsonPretty,
        ..JSON_REPLY
    },
    claims: Claims {
        grants: Grants::PublishDefaults,
        ..JOIN_ONLY
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: None,
        missing: Canned::Text {
            status: 401,
            content_type: HTML,
            body: "Authorization header is required",
        },
        rejected: Canned::Text {
            status: 401,
            content_type: HTML,
            body: "Authorization header is not valid",
        },
        not_an_event: FLASK_OK,
        accepted: FLASK_OK,
        limit: None,
    }),
    routing: Routing {
        wrong_method: WrongMethod::NotAllowed { allow: None },
        ..FLASK_ROUTING
    },
    ..SEED
};

const FLASK_OK: Canned = Canned::Text {
    status: 200,
    content_type: HTML,
    body: "ok",
};

/// The Node v3 tutorial (Express 5, `cors()`, livekit-server-sdk with jose) [probed]:
/// `nbf: 0` and no `typ`; 500 without a JSON content type or body; `express.json()`'s strict
/// parsing (400 for `null` and strings; an array is an object without names) and 100 kB
/// limit; 404 for other methods; undecoded paths, loose slashes; every `OPTIONS` answered 204
/// with `*`; a webhook that never verifies and always answers an empty 200. *Default*:
/// body-parser decodes bytes that are not UTF-8 as U+FFFD.
pub const NODE: Quirks = Quirks {
    framework: Framework::Express,
    reply: Reply {
        content_type: "application/json; charset=utf-8",
        ..JSON_REPLY
    },
    claims: Claims {
        header_typ: false,
        nbf_zero: true,
        ..JOIN_ONLY
    },
    names: TRUTHY_NAMES,
    body: Body {
        media_types: MediaTypes::Json {
            suffix: false,
            otherwise: FrameworkError(500),
        },
        malformed: FrameworkError(400),
        empty: FrameworkError(500),
        array: NamesMissing,
        null: FrameworkError(400),
        scalar: FrameworkError(400),
        replaces_invalid_utf8: true,
        limit: Some(Limit {
            bytes: 100 * 1024,
            over: FrameworkError(413),
        }),
    },
    routing: Routing {
        percent_decoded: false,
        trailing_slash: TrailingSlash::Matches,
        wrong_method: WrongMethod::AsUnknownPath,
        options_allow: None,
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::Star,
        on_routing_errors: true,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::EveryOptions,
            status: 204,
            methods: AllowMethods::List("GET,HEAD,PUT,PATCH,POST,DELETE"),
            grants_only: None,
            headers: Mirror,
            max_age: None,
            allow: None,
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::Nothing,
        consumes: None,
        missing: EMPTY_200,
        rejected: EMPTY_200,
        not_an_event: EMPTY_200,
        accepted: EMPTY_200,
        limit: Some(100 * 1024),
    }),
    credentials: Credentials::CONFIGURED,
    connection_close: false,
};

/// The Rust v3 tutorial (axum 0.7 with `Option<Json<Value>>`, tower-http, livekit-api 0.4)
/// [probed]: names put in the token as JSON text, so `""` and `null` get tokens too; the old
/// SDK's every grant, `sip` and `roomConfig: null`; `name` set; a message per missing field;
/// every unreadable body a 400 with the joint message; 2 MiB limit; every `OPTIONS` answered
/// 200 allowing only `content-type`; webhook 400 without the header, 401 when invalid or not
/// an event.
pub const RUST: Quirks = Quirks {
    framework: Framework::Axum,
    reply: Reply {
        per_field_messages: true,
        ..JSON_REPLY
    },
    claims: Claims {
        grants: Grants::EveryKey,
        defaults: ClaimDefaults::RustSdk,
        name: true,
        ..JOIN_ONLY
    },
    names: Names {
        claim: NameClaim::JsonText,
        empty: Accepted,
        null: Accepted,
        scalar: Accepted,
        compound: Accepted,
    },
    body: Body {
        media_types: MediaTypes::Json {
            suffix: true,
            otherwise: NamesRequired,
        },
        malformed: NamesRequired,
        empty: NamesRequired,
        array: NamesMissing,
        null: NamesMissing,
        scalar: NamesMissing,
        replaces_invalid_utf8: false,
        limit: Some(Limit {
            bytes: 2 * 1024 * 1024,
            over: NamesRequired,
        }),
    },
    routing: Routing {
        percent_decoded: false,
        trailing_slash: TrailingSlash::Unknown,
        wrong_method: WrongMethod::NotAllowed {
            allow: Some("POST"),
        },
        options_allow: None,
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::Star,
        on_routing_errors: true,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::EveryOptions,
            status: 200,
            methods: AllowMethods::List("POST"),
            grants_only: None,
            headers: List("content-type"),
            max_age: None,
            allow: Some("POST"),
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: None,
        missing: Canned::Text {
            status: 400,
            content_type: AXUM_TEXT,
            body: "Authorization header is required",
        },
        rejected: AXUM_REJECTED,
        not_an_event: AXUM_REJECTED,
        accepted: Canned::Text {
            status: 200,
            content_type: AXUM_TEXT,
            body: "ok",
        },
        limit: Some(2 * 1024 * 1024),
    }),
    credentials: Credentials::CONFIGURED,
    connection_close: false,
};

const AXUM_TEXT: Option<&str> = Some("text/plain; charset=utf-8");
const AXUM_REJECTED: Canned = Canned::Text {
    status: 401,
    content_type: AXUM_TEXT,
    body: "Error validating webhook event",
};
