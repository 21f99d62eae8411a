//! The servers read from source (tag 3.3.0) but not run: Go, Java, .NET, PHP and Ruby.

use super::{EMPTY_200, JOIN_ONLY, JSON_REPLY};
use crate::quirks::AllowHeaders::{List, Mirror, MirrorWithin};
use crate::quirks::NameRule::{Accepted, Refused};
use crate::quirks::Refusal::{Framework as FrameworkError, NamesMissing};
use crate::quirks::*;

/// The Go tutorial (gin, `cors.Default()`) [source]: reads `LIVEKIT_API`, so signs with
/// `devkey`; `BindJSON` into a struct of strings ignores the content type and answers a
/// JSON string (400) for bad JSON or names that are not strings; webhook verified but
/// always an empty 200. *Default* (gin): 404 for other methods, decoded paths, a 307 to the
/// path without a trailing slash; (gin-contrib/cors) CORS only with an `Origin`, every
/// `OPTIONS` with one answered 204 with a 12 h max-age and `Origin, Content-Length,
/// Content-Type`; (encoding/json) bytes that are not UTF-8 become U+FFFD, `null` is `{}`.
pub const GO: Quirks = Quirks {
    framework: Framework::Gin,
    reply: Reply {
        content_type: "application/json; charset=utf-8",
        ..JSON_REPLY
    },
    claims: JOIN_ONLY,
    names: Names {
        claim: NameClaim::AsSent,
        empty: Refused(NamesMissing),
        null: Refused(NamesMissing),
        scalar: Refused(FrameworkError(400)),
        compound: Refused(FrameworkError(400)),
    },
    body: Body {
        media_types: MediaTypes::Ignored,
        malformed: FrameworkError(400),
        empty: FrameworkError(400),
        array: FrameworkError(400),
        null: NamesMissing,
        scalar: FrameworkError(400),
        replaces_invalid_utf8: true,
        limit: None,
    },
    routing: Routing {
        percent_decoded: true,
        trailing_slash: TrailingSlash::Redirect307,
        wrong_method: WrongMethod::AsUnknownPath,
        options_allow: None,
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::StarIfOrigin,
        on_routing_errors: true,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::OptionsWithOrigin,
            status: 204,
            methods: AllowMethods::List("GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"),
            grants_only: None,
            headers: List("Origin,Content-Length,Content-Type"),
            max_age: Some(12 * 3600),
            allow: None,
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: None,
        missing: EMPTY_200,
        rejected: EMPTY_200,
        not_an_event: EMPTY_200,
        accepted: EMPTY_200,
        limit: None,
    }),
    credentials: Credentials {
        key: Some("devkey"),
        secret: None,
    },
    connection_close: false,
};

/// The Java tutorial (Spring Boot 3.2, `@CrossOrigin("*")`, `@RequestBody Map<String,
/// String>`) [source]: `sub` and `name`; only a missing (null) name refused, so `""` gets a
/// token; webhook `consumes = application/webhook+json` (else 415), 400 without the header,
/// `ok` whatever the check says. *Default* (Spring): Jackson turns numbers and booleans into
/// strings and refuses arrays and objects, 415 for other media types, 405 with `Allow`,
/// automatic `OPTIONS`, decoded paths, strict slashes; CORS only with an `Origin`, not on
/// 404/405, preflights on mapped paths for `POST` only, headers mirrored, max-age 1800.
pub const JAVA: Quirks = Quirks {
    framework: Framework::Spring,
    reply: JSON_REPLY,
    claims: Claims {
        name: true,
        ..JOIN_ONLY
    },
    names: Names {
        claim: NameClaim::Stringified,
        empty: Accepted,
        null: Refused(NamesMissing),
        scalar: Accepted,
        compound: Refused(FrameworkError(400)),
    },
    body: Body {
        media_types: MediaTypes::Json {
            suffix: true,
            otherwise: FrameworkError(415),
        },
        malformed: FrameworkError(400),
        empty: FrameworkError(400),
        array: FrameworkError(400),
        null: FrameworkError(400),
        scalar: FrameworkError(400),
        replaces_invalid_utf8: false,
        limit: None,
    },
    routing: Routing {
        percent_decoded: true,
        trailing_slash: TrailingSlash::Unknown,
        wrong_method: WrongMethod::NotAllowed {
            allow: Some("POST"),
        },
        options_allow: Some("POST,OPTIONS"),
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::StarIfOrigin,
        on_routing_errors: false,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::RoutesWithOriginAndMethod,
            status: 200,
            methods: AllowMethods::List("POST"),
            grants_only: Some("POST"),
            headers: Mirror,
            max_age: Some(1800),
            allow: None,
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: Some("application/webhook+json"),
        missing: Canned::Framework(400),
        rejected: SPRING_OK,
        not_an_event: SPRING_OK,
        accepted: SPRING_OK,
        limit: None,
    }),
    credentials: Credentials::CONFIGURED,
    connection_close: false,
};

const SPRING_OK: Canned = Canned::Text {
    status: 200,
    content_type: Some("text/plain;charset=UTF-8"),
    body: "ok",
};

/// The .NET tutorial (ASP.NET Core minimal API) [source]: `sub` and `name`; the body read
/// raw and deserialized to `Dictionary<string, dynamic>` whatever its content type, names
/// only checked to be present (`""` gets a token, `null` crashes, other values become their
/// text), anything not an object crashes but `null` (no names); `WithOrigins("*")
/// .AllowAnyHeader()` without methods; webhook 401 when missing or invalid. *Default*
/// (ASP.NET Core): 405 with `Allow`, empty 404, decoded paths, optional trailing slash;
/// CORS only with an `Origin`, preflights (with `Access-Control-Request-Method`) on any path
/// answered 204 with the requested headers and no methods; `StreamReader` turns bytes that
/// are not UTF-8 into U+FFFD.
pub const DOTNET: Quirks = Quirks {
    framework: Framework::AspNet,
    reply: Reply {
        content_type: "application/json; charset=utf-8",
        ..JSON_REPLY
    },
    claims: Claims {
        name: true,
        ..JOIN_ONLY
    },
    names: Names {
        claim: NameClaim::Stringified,
        empty: Accepted,
        null: Refused(FrameworkError(500)),
        scalar: Accepted,
        compound: Accepted,
    },
    body: Body {
        media_types: MediaTypes::Ignored,
        malformed: FrameworkError(500),
        empty: FrameworkError(500),
        array: FrameworkError(500),
        null: NamesMissing,
        scalar: FrameworkError(500),
        replaces_invalid_utf8: true,
        limit: None,
    },
    routing: Routing {
        percent_decoded: true,
        trailing_slash: TrailingSlash::Matches,
        wrong_method: WrongMethod::NotAllowed {
            allow: Some("POST"),
        },
        options_allow: None,
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::StarIfOrigin,
        on_routing_errors: true,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::OptionsWithOriginAndMethod,
            status: 204,
            methods: AllowMethods::Omitted,
            grants_only: None,
            headers: Mirror,
            max_age: None,
            allow: None,
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: None,
        missing: EMPTY_401,
        rejected: EMPTY_401,
        not_an_event: EMPTY_401,
        accepted: EMPTY_200,
        limit: None,
    }),
    credentials: Credentials::CONFIGURED,
    connection_close: false,
};

const EMPTY_401: Canned = Canned::Text {
    status: 401,
    content_type: None,
    body: "",
};

/// The PHP tutorial (one script under `php -S`) [source]: `application/json`, `*` and
/// `Content-Type, Authorization` on every answer; `json_decode` whatever the content type,
/// anything unreadable is "no names"; `!$name` refuses `""` and `null`; every other method
/// and path (`OPTIONS` too) gets 200 `{"errorMessage":"Unsupported endpoint or method"}`;
/// webhook 401 when invalid. *Default* (PHP): numbers and booleans become strings for the
/// SDK, arrays crash it; `php -S` decodes paths and sends `Connection: close`.
pub const PHP: Quirks = Quirks {
    framework: Framework::Php,
    reply: JSON_REPLY,
    claims: JOIN_ONLY,
    names: Names {
        claim: NameClaim::Stringified,
        empty: Refused(NamesMissing),
        null: Refused(NamesMissing),
        scalar: Accepted,
        compound: Refused(FrameworkError(500)),
    },
    body: Body {
        media_types: MediaTypes::Ignored,
        malformed: NamesMissing,
        empty: NamesMissing,
        array: NamesMissing,
        null: NamesMissing,
        scalar: NamesMissing,
        replaces_invalid_utf8: false,
        limit: None,
    },
    routing: Routing {
        percent_decoded: true,
        trailing_slash: TrailingSlash::Unknown,
        wrong_method: WrongMethod::AsUnknownPath,
        options_allow: None,
        unknown_path: UnknownPath::Unsupported,
    },
    cors: Cors {
        origin: AllowOrigin::Star,
        on_routing_errors: true,
        allow_headers_everywhere: Some("Content-Type, Authorization"),
        preflight: None,
    },
    webhook: Some(Webhook {
        verification: Verification::Full,
        consumes: None,
        missing: PHP_REJECTED,
        rejected: PHP_REJECTED,
        not_an_event: PHP_REJECTED,
        accepted: Canned::Text {
            status: 200,
            content_type: Some("application/json"),
            body: "",
        },
        limit: None,
    }),
    credentials: Credentials::CONFIGURED,
    connection_close: true,
};

const PHP_REJECTED: Canned = Canned::Text {
    status: 401,
    content_type: Some("application/json"),
    body: "Error validating webhook event\"Invalid token\"",
};

/// The Ruby tutorial (Sinatra + puma, sinatra-cors) [source]: `env.rb` overwrites the key and
/// secret with `devkey`/`secret`; only `nil` names refused, so `""` gets a token; `JSON.parse`
/// whatever the content type, bad JSON a 500 (a string body has no names); sinatra-cors
/// echoes the origin without `Vary`, only with an `Origin`, and refuses preflights asking
/// for anything but `content-type`; the webhook checks the JWT but not the body hash and
/// always answers an empty 200. *Default* (Sinatra): 404 for other methods, Mustermann
/// matches percent-encoded paths, strict slashes.
pub const RUBY: Quirks = Quirks {
    framework: Framework::Sinatra,
    reply: JSON_REPLY,
    claims: JOIN_ONLY,
    names: Names {
        claim: NameClaim::AsSent,
        empty: Accepted,
        null: Refused(NamesMissing),
        scalar: Accepted,
        compound: Accepted,
    },
    body: Body {
        media_types: MediaTypes::Ignored,
        malformed: FrameworkError(500),
        empty: FrameworkError(500),
        array: FrameworkError(500),
        null: FrameworkError(500),
        scalar: NamesMissing,
        replaces_invalid_utf8: false,
        limit: None,
    },
    routing: Routing {
        percent_decoded: true,
        trailing_slash: TrailingSlash::Unknown,
        wrong_method: WrongMethod::AsUnknownPath,
        options_allow: None,
        unknown_path: UnknownPath::NotFound,
    },
    cors: Cors {
        origin: AllowOrigin::EchoIfOrigin,
        on_routing_errors: true,
        allow_headers_everywhere: None,
        preflight: Some(Preflight {
            scope: PreflightScope::RoutesWithOrigin,
            status: 200,
            methods: AllowMethods::Requested,
            grants_only: Some("POST,OPTIONS"),
            headers: MirrorWithin("content-type"),
            max_age: None,
            allow: Some("POST,OPTIONS"),
        }),
    },
    webhook: Some(Webhook {
        verification: Verification::TokenOnly,
        consumes: None,
        missing: SINATRA_EMPTY,
        rejected: SINATRA_EMPTY,
        not_an_event: SINATRA_EMPTY,
        accepted: SINATRA_EMPTY,
        limit: None,
    }),
    credentials: Credentials {
        key: Some("devkey"),
        secret: Some("secret"),
    },
    connection_close: false,
};

const SINATRA_EMPTY: Canned = Canned::Text {
    status: 200,
    content_type: Some("text/html;charset=utf-8"),
    body: "",
};
