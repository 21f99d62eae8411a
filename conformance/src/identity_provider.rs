//! The identity provider the suite plays to judge a server in production mode: it serves a
//! JWKS on loopback and signs callers' tokens with its keys (RSA, P-256, Ed25519), valid or
//! with one deliberate flaw, so any server configured to trust that JWKS can be checked.
//!
//! The JWKS also holds two keys no server may use, a shared secret (`oct`) and an RSA key
//! for encryption (`use: enc`), and the RSA key again without an `alg`, so that only the
//! algorithm allow-list stands between it and a PS256 token. The keys are fixed test keys (`conformance/keys`): a server
//! trusts them only when told to trust this provider, which only a test does.
//!
//! The JWKS endpoint is a few lines over `httparse`: it answers one document per
//! connection, and a web framework would be the only reason for the suite to carry one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const JWKS: &str = include_str!("../keys/caller-jwks.json");
const ROTATED_JWK: &str = include_str!("../keys/caller-rotated-jwk.json");
const RSA: &[u8] = include_bytes!("../keys/caller-rsa.pkcs1.der");
const P256: &[u8] = include_bytes!("../keys/caller-p256.pkcs8.der");
const P256_ROTATED: &[u8] = include_bytes!("../keys/caller-p256-rotated.pkcs8.der");
const ED25519: &[u8] = include_bytes!("../keys/caller-ed25519.pkcs8.der");
/// The secret of the `oct` key the JWKS carries as a trap.
const OCT_SECRET: &[u8] = b"a-shared-secret-no-server-may-use";

/// The issuer the suite's tokens carry unless told otherwise.
pub const DEFAULT_ISSUER: &str = "https://conformance.invalid";
/// The audience the suite's tokens carry unless told otherwise.
pub const DEFAULT_AUDIENCE: &str = "livekit-token-server";
/// The leeway the suite assumes servers allow on `exp` and `nbf`, in seconds.
pub const ASSUMED_LEEWAY_SECONDS: i64 = 60;
/// The identity of the suite's callers.
pub const CALLER: &str = "alice";

/// A signing key of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKey {
    /// RSA 2048, `kid` `rsa-1`, RS256.
    Rsa,
    /// P-256, `kid` `p256-1`, ES256.
    P256,
    /// Ed25519, `kid` `ed25519-1`, EdDSA.
    Ed25519,
    /// P-256, `kid` `p256-rotated`: published only after [`IdentityProvider::rotate`].
    Rotated,
}

impl CallerKey {
    /// The three keys published from the start.
    pub const PUBLISHED: [Self; 3] = [Self::Rsa, Self::P256, Self::Ed25519];

    fn algorithm(self) -> Algorithm {
        match self {
            Self::Rsa => Algorithm::RS256,
            Self::P256 | Self::Rotated => Algorithm::ES256,
            Self::Ed25519 => Algorithm::EdDSA,
        }
    }

    fn kid(self) -> &'static str {
        match self {
            Self::Rsa => "rsa-1",
            Self::P256 => "p256-1",
            Self::Ed25519 => "ed25519-1",
            Self::Rotated => "p256-rotated",
        }
    }

    fn encoding_key(self) -> EncodingKey {
        match self {
            Self::Rsa => EncodingKey::from_rsa_der(RSA),
            Self::P256 => EncodingKey::from_ec_der(P256),
            Self::Rotated => EncodingKey::from_ec_der(P256_ROTATED),
            Self::Ed25519 => EncodingKey::from_ed_der(ED25519),
        }
    }
}

/// A caller's token with one deliberate flaw: RFC 8725's and OWASP's attacks on JWTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// `alg: none` and no signature.
    AlgNone,
    /// A valid header and payload, the signature cut off.
    NoSignature,
    /// HS256, keyed with the RSA public key's modulus, as if the JWK were a shared secret.
    HmacWithPublicKey,
    /// PS256 under the JWKS's copy of the RSA key without an `alg`: only the allow-list
    /// (RS256, ES256, EdDSA by default) refuses it.
    AlgNotAllowed,
    /// PS256 under the RSA key whose JWK says RS256.
    AlgNotTheJwk,
    /// ES256 under the RSA key's `kid`.
    AlgNotTheKeys,
    /// HS256 with the `oct` key the JWKS carries.
    SharedSecretKey,
    /// RS256 with the RSA key under the `kid` of the JWKS's `use: enc` copy of it.
    EncryptionKey,
    /// Expired two seconds beyond the leeway.
    Expired,
    /// `nbf` two seconds beyond the leeway ahead.
    NotYetValid,
    /// `exp` as a string.
    StringExpiry,
    /// `nbf` as a string.
    StringNotBefore,
    /// Another issuer.
    WrongIssuer,
    /// No `iss`.
    NoIssuer,
    /// Another audience.
    WrongAudience,
    /// No `aud`.
    NoAudience,
    /// No `sub`.
    NoSubject,
    /// No `exp`.
    NoExpiry,
    /// Signed with an unpublished key, whose JWKS a `jku` header points to.
    JkuHeader,
    /// Signed with an unpublished key, whose certificate an `x5u` header points to.
    X5uHeader,
    /// Signed with an unpublished key, carried in a `jwk` header.
    JwkHeader,
    /// A `kid` crafted for path traversal and SQL injection.
    KidInjection,
    /// A `kid` the JWKS does not hold.
    UnknownKid,
    /// Three segments that are not base64url JSON.
    Malformed,
    /// A valid token padded past 8 KiB with a claim.
    Oversized,
}

impl Forgery {
    /// Every forgery.
    pub const ALL: [Self; 25] = [
        Self::AlgNone,
        Self::NoSignature,
        Self::HmacWithPublicKey,
        Self::AlgNotAllowed,
        Self::AlgNotTheJwk,
        Self::AlgNotTheKeys,
        Self::SharedSecretKey,
        Self::EncryptionKey,
        Self::Expired,
        Self::NotYetValid,
        Self::StringExpiry,
        Self::StringNotBefore,
        Self::WrongIssuer,
        Self::NoIssuer,
        Self::WrongAudience,
        Self::NoAudience,
        Self::NoSubject,
        Self::NoExpiry,
        Self::JkuHeader,
        Self::X5uHeader,
        Self::JwkHeader,
        Self::KidInjection,
        Self::UnknownKid,
        Self::Malformed,
        Self::Oversized,
    ];
}

/// What the JWKS endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serving {
    /// The published keys (and the two traps).
    Keys { rotated: bool },
    /// 503: the provider is down.
    Down,
}

#[derive(Debug)]
struct Shared {
    serving: Mutex<Serving>,
    fetches: AtomicUsize,
    attacker_fetches: AtomicUsize,
    stopped: AtomicBool,
}

/// The suite's identity provider, serving its JWKS on a loopback port until dropped.
#[derive(Debug)]
pub struct IdentityProvider {
    issuer: String,
    audience: String,
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl IdentityProvider {
    /// Starts serving the JWKS on `127.0.0.1:port` (0: a free port).
    pub async fn start(port: u16, issuer: &str, audience: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            serving: Mutex::new(Serving::Keys { rotated: false }),
            fetches: AtomicUsize::new(0),
            attacker_fetches: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            address,
            shared,
            server,
        })
    }

    /// The JWKS URL a server under test is configured with.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.address)
    }

    /// The issuer of the provider's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience of the provider's tokens.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// How many times the JWKS has been fetched.
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// How many times anything an attacker's header points to (`jku`, `x5u`) was fetched:
    /// a server must never fetch it.
    pub fn attacker_fetches(&self) -> usize {
        self.shared.attacker_fetches.load(Ordering::SeqCst)
    }

    /// Publishes the rotated key beside the others.
    pub fn rotate(&self) {
        self.set(Serving::Keys { rotated: true });
    }

    /// Answers 503 to every fetch from now on (`false`: serves the keys again).
    pub fn go_down(&self, down: bool) {
        self.set(if down {
            Serving::Down
        } else {
            Serving::Keys { rotated: false }
        });
    }

    fn set(&self, serving: Serving) {
        *self
            .shared
            .serving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = serving;
    }

    /// A valid token for `sub` with `extra` claims, signed with `key`.
    pub fn token(&self, key: CallerKey, sub: &str, extra: &Value) -> String {
        caller_token(&self.issuer, &self.audience, key, sub, extra)
    }

    /// A token for [`CALLER`] with one deliberate flaw; `jku` and `x5u` point to this
    /// provider, which counts any fetch of them.
    pub fn forged(&self, forgery: Forgery) -> String {
        forged_token(
            &self.issuer,
            &self.audience,
            &format!("http://{}", self.address),
            forgery,
        )
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.server.abort();
    }
}

/// A token for [`CALLER`] from `issuer` for `audience` with one deliberate flaw; `jku` and
/// `x5u` headers point under `attacker_url`.
pub fn forged_token(issuer: &str, audience: &str, attacker_url: &str, forgery: Forgery) -> String {
    let now = unix_now();
    let leeway = ASSUMED_LEEWAY_SECONDS;
    let mut claims = caller_claims(issuer, audience, CALLER);
    let attacker = |header: Header, claims: &Value| {
        jsonwebtoken::encode(&header, claims, &CallerKey::Rotated.encoding_key())
            .unwrap_or_default()
    };
    match forgery {
        Forgery::AlgNone => {
            let header = segment(&json!({"alg": "none", "typ": "JWT"}));
            return format!("{header}.{}.", segment(&claims));
        }
        Forgery::NoSignature => {
            let token = sign(CallerKey::P256, &claims);
            let cut = token.rfind('.').map_or(token.len(), |dot| dot + 1);
            return token[..cut].to_owned();
        }
        Forgery::HmacWithPublicKey => {
            let jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
            let modulus = jwks["keys"][0]["n"].as_str().unwrap_or_default().to_owned();
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(CallerKey::Rsa.kid().to_owned());
            let key = EncodingKey::from_secret(modulus.as_bytes());
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::AlgNotAllowed | Forgery::AlgNotTheJwk => {
            let mut header = Header::new(Algorithm::PS256);
            header.kid = Some(if forgery == Forgery::AlgNotAllowed {
                "rsa-noalg".to_owned()
            } else {
                CallerKey::Rsa.kid().to_owned()
            });
            let key = CallerKey::Rsa.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::AlgNotTheKeys => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(CallerKey::Rsa.kid().to_owned());
            let key = CallerKey::P256.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::SharedSecretKey => {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("oct-1".to_owned());
            let key = EncodingKey::from_secret(OCT_SECRET);
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::EncryptionKey => {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("rsa-enc".to_owned());
            let key = CallerKey::Rsa.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::Expired => claims["exp"] = json!(now - leeway - 2),
        Forgery::NotYetValid => claims["nbf"] = json!(now + leeway + 2),
        Forgery::StringExpiry => claims["exp"] = json!((now + 300).to_string()),
        Forgery::StringNotBefore => claims["nbf"] = json!(now.to_string()),
        Forgery::WrongIssuer => claims["iss"] = json!(format!("{issuer}.evil")),
        Forgery::NoIssuer => without(&mut claims, "iss"),
        Forgery::WrongAudience => claims["aud"] = json!("another-service"),
        Forgery::NoAudience => without(&mut claims, "aud"),
        Forgery::NoSubject => without(&mut claims, "sub"),
        Forgery::NoExpiry => without(&mut claims, "exp"),
        Forgery::JkuHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some("attacker".to_owned());
            header.jku = Some(format!("{attacker_url}/attacker-jwks.json"));
            return attacker(header, &claims);
        }
        Forgery::X5uHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some("attacker".to_owned());
            header.x5u = Some(format!("{attacker_url}/attacker.pem"));
            return attacker(header, &claims);
        }
        Forgery::JwkHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(CallerKey::Rotated.kid().to_owned());
            header.jwk = serde_json::from_str(ROTATED_JWK).ok();
            return attacker(header, &claims);
        }
        Forgery::KidInjection => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some("../../../../dev/null' OR '1'='1".to_owned());
            return attacker(header, &claims);
        }
        Forgery::UnknownKid => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(format!("unknown-{now}"));
            return attacker(header, &claims);
        }
        Forgery::Malformed => return "eyJub3QiOiJqc29uIn0.%%%.@@@".to_owned(),
        Forgery::Oversized => claims["padding"] = json!("x".repeat(9 * 1024)),
    }
    sign(CallerKey::P256, &claims)
}

/// The claims of a valid caller token for `sub`, valid for five minutes.
pub fn caller_claims(issuer: &str, audience: &str, sub: &str) -> Value {
    let now = unix_now();
    json!({"iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + 300})
}

/// A valid caller token for `sub` with `extra` claims, signed with the provider's `key`
/// (whose public half is in `conformance/keys/caller-jwks.json`), without serving anything.
pub fn caller_token(
    issuer: &str,
    audience: &str,
    key: CallerKey,
    sub: &str,
    extra: &Value,
) -> String {
    let mut claims = caller_claims(issuer, audience, sub);
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    sign(key, &claims)
}

fn without(claims: &mut Value, name: &str) {
    if let Some(claims) = claims.as_object_mut() {
        claims.remove(name);
    }
}

fn sign(key: CallerKey, claims: &Value) -> String {
    let mut header = Header::new(key.algorithm());
    header.kid = Some(key.kid().to_owned());
    // Signing with a fixed, valid key cannot fail.
    jsonwebtoken::encode(&header, claims, &key.encoding_key()).unwrap_or_default()
}

fn segment(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The JWKS as served: the published keys, the rotated one if published, and the traps.
fn jwks_document(rotated: bool) -> String {
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
    let rsa = jwks["keys"][0].clone();
    if let Some(keys) = jwks["keys"].as_array_mut() {
        if rotated && let Ok(key) = serde_json::from_str(ROTATED_JWK) {
            keys.push(key);
        }
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(OCT_SECRET);
        keys.push(json!({"kty": "oct", "kid": "oct-1", "alg": "HS256", "k": secret}));
        // The RSA key again, without `alg`: for signatures under any RSA algorithm allowed,
        // and marked for encryption only.
        let mut any_rsa = rsa;
        if let Some(key) = any_rsa.as_object_mut() {
            key.remove("alg");
        }
        let mut encryption = any_rsa.clone();
        any_rsa["kid"] = json!("rsa-noalg");
        keys.push(any_rsa);
        encryption["kid"] = json!("rsa-enc");
        encryption["use"] = json!("enc");
        keys.push(encryption);
    }
    jwks.to_string()
}

/// The attacker's own JWKS, which `jku` points to: no server may fetch it.
fn attacker_jwks() -> String {
    let mut key: Value = serde_json::from_str(ROTATED_JWK).unwrap_or_default();
    key["kid"] = json!("attacker");
    json!({"keys": [key]}).to_string()
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        tokio::spawn(answer(stream, Arc::clone(&shared)));
    }
}

/// The path a request head (as much of it as arrived) asks for; empty when it names none.
fn requested_path(head: &[u8]) -> String {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(_) => request.path.unwrap_or_default().to_owned(),
        Err(_) => String::new(),
    }
}

/// Answers one request and closes.
async fn answer(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let path = requested_path(&head);
    let serving = *shared
        .serving
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (status, body) = match (path.as_str(), serving) {
        ("/jwks.json", Serving::Keys { rotated }) => {
            shared.fetches.fetch_add(1, Ordering::SeqCst);
            ("200 OK", jwks_document(rotated))
        }
        ("/jwks.json", Serving::Down) => {
            shared.fetches.fetch_add(1, Ordering::SeqCst);
            ("503 Service Unavailable", String::new())
        }
        ("/attacker-jwks.json" | "/attacker.pem", _) => {
            shared.attacker_fetches.fetch_add(1, Ordering::SeqCst);
            ("200 OK", attacker_jwks())
        }
        _ => ("404 Not Found", String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_path_is_read_from_a_whole_or_partial_head() {
        assert_eq!(
            requested_path(b"GET /jwks.json HTTP/1.1\r\nHost: x\r\n\r\n"),
            "/jwks.json"
        );
        assert_eq!(
            requested_path(b"GET /jwks.json HTTP/1.1\r\nHo"),
            "/jwks.json"
        );
        assert_eq!(requested_path(b"\x00\xff garbage"), "");
    }

    proptest! {
        /// Whatever a server sends when it fetches keys: a path or none, never a panic.
        #[test]
        fn any_request_bytes_give_a_path_or_none(head in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = requested_path(&head);
        }
    }
}
