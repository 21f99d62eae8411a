//! Where each requirement comes from, declared once by ID prefix: the longest prefix that
//! matches a case's ID names its source (an RFC section, a LiveKit document or SDK file, an
//! OpenVidu tutorial).

/// `(ID prefix, source)`, the longest matching prefix winning.
pub const SOURCES: &[(&str, &str)] = &[
    (
        "token/",
        "OpenVidu's tutorial application servers, POST /token (openvidu-livekit-tutorials, \
         application-server/*: {roomName, participantName} in, a LiveKit token out); LiveKit's \
         token format: docs.livekit.io/home/get-started/authentication, livekit/protocol \
         auth/grants.go",
    ),
    (
        "token/megabyte",
        "RFC 9110 §15.5.14 (413 Content Too Large); OWASP API Security Top 10, API4:2023 \
         (unrestricted resource consumption)",
    ),
    (
        "token/oversized",
        "RFC 9110 §15.5.14 (413 Content Too Large); this contract's 16 KiB limit",
    ),
    (
        "token/room-",
        "livekit/protocol auth/grants.go and livekit/livekit pkg/service/roommanager.go (room \
         names are non-empty strings of at most 256 bytes)",
    ),
    (
        "token/participant-",
        "livekit/protocol auth/grants.go and livekit/livekit pkg/service/auth.go (identities \
         are non-empty strings of at most 256 bytes)",
    ),
    (
        "webhook/",
        "LiveKit webhooks: docs.livekit.io/home/server/webhooks; livekit/protocol \
         webhook/verifier.go and webhook/url_notifier.go (a JWT in Authorization whose sha256 \
         claim is the body's, signed with the API secret; LiveKit retries only on 5xx)",
    ),
    (
        "webhook/no-expiry",
        "LiveKit's verifiers (Go, Python, Node, Ruby, Kotlin) refuse a token without exp since \
         August 2026; RFC 8725 §3.10 (validate claims)",
    ),
    (
        "webhook/expired",
        "RFC 7519 §4.1.4 (exp); livekit/protocol auth/verifier.go",
    ),
    (
        "webhook/verified-before-body",
        "RFC 8725 §3.1 (verify before use); OWASP API4:2023",
    ),
    (
        "http/",
        "RFC 9110 (HTTP semantics: §9.3.2 HEAD, §15.5.6 405 with Allow, §15.5.5 404) and RFC \
         9112 (HTTP/1.1 message framing, §9.3 persistence)",
    ),
    (
        "http/healthz",
        "this contract's health check (docs/contract.md)",
    ),
    (
        "http/stalled-client",
        "RFC 9112 §9.5 (timeouts); CWE-400 (slow-request exhaustion)",
    ),
    (
        "endpoint/",
        "LiveKit's standard token endpoint: docs.livekit.io/frontends/build/authentication/\
         endpoint; livekit/protocol protobufs/livekit_token_source.proto; livekit-client (npm) \
         src/room/token-source/",
    ),
    (
        "endpoint/server-url",
        "livekit-client (npm) src/room/token-source/ and src/room/utils.ts (a server URL is \
         ws, wss, http or https); livekit_token_source.proto (server_url)",
    ),
    (
        "endpoint/preflight",
        "Fetch Standard §3.2 (the CORS protocol): fetch.spec.whatwg.org/#http-cors-protocol",
    ),
    (
        "cors/",
        "Fetch Standard §3.2 (the CORS protocol): fetch.spec.whatwg.org/#http-cors-protocol; \
         OpenVidu's tutorials enable CORS for every origin",
    ),
    ("browser/", "Fetch Standard §3.2, as Chromium enforces it"),
    (
        "limits/",
        "draft-ietf-httpapi-ratelimit-headers (RateLimit-Policy); OWASP API4:2023 \
         (unrestricted resource consumption); docs/operations.md (limits shared by replicas)",
    ),
    (
        "caller/",
        "RFC 6750 (Bearer tokens: §2.1 the Authorization header, §3 WWW-Authenticate); RFC \
         7519 (JWT); RFC 8725 (JWT Best Current Practices)",
    ),
    (
        "caller/forged/",
        "RFC 8725 §2 and §3 (algorithm verification, validate all cryptographic operations and \
         claims); RFC 7515 §4.1.2 to §4.1.5 (jku, jwk, x5u, x5c); OWASP JSON Web Token Cheat \
         Sheet",
    ),
    (
        "caller/forged/wycheproof",
        "C2SP Project Wycheproof, testvectors_v1/json_web_signature_test.json (JsonWebSignature \
         vectors: modified or missing signatures, alg none, algorithm confusion, embedded jwk); \
         RFC 7515 §5.2 (JWS validation)",
    ),
    (
        "caller/refused/token-in-",
        "RFC 6750 §2.3 and §5.3 (no bearer tokens in page URLs; cookies are sent cross-site)",
    ),
    (
        "caller/too-long/",
        "livekit/livekit pkg/service/auth.go (identities and room names of at most 256 bytes); \
         RFC 8725 §3.1",
    ),
    (
        "caller/too-long/token",
        "RFC 6750 §2.1 (the Authorization header); RFC 9110 §5.4 (a server may refuse large \
         fields): a size cap is the server's choice",
    ),
    (
        "caller/cors/",
        "Fetch Standard §3.2 (the CORS protocol); OWASP HTML5 Security Cheat Sheet (CORS)",
    ),
    (
        "caller/keys/",
        "RFC 7517 (JWK Sets); OpenID Connect Core §10.1.1 (rotation: refetch on an unknown kid, \
         rate-limited); RFC 8725 §3.10",
    ),
    (
        "caller/minted/",
        "livekit-server --dev (devkey/secret are public); docs.livekit.io/home/self-hosting/\
         deployment (keys)",
    ),
];

/// The source of the case `id`: its longest matching prefix's, or `None`.
pub fn source_of(id: &str) -> Option<&'static str> {
    SOURCES
        .iter()
        .filter(|(prefix, _)| id.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, source)| *source)
}
