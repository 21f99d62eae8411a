//! Callers' tokens verified against a JWKS under a policy: every algorithm with its key,
//! every claim, keys only from the JWKS, bearer tokens of sane shape, token kinds, and
//! arbitrary JWKS documents and `typ` values read safely.
use base64::Engine as _;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use jsonwebtoken::Algorithm;
use serde_json::Value;
use test_keys::{JWKS, caller_header, sign_caller_token, unix_now};
use token_core::production::caller_auth::*;

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "token-server";

/// The suite's keys are published, so only a local trial may use them.
fn test_policy() -> CallerPolicy {
    CallerPolicy {
        allows_published_keys: true,
        ..CallerPolicy::new(ISSUER, AUDIENCE)
    }
}

#[test]
fn a_jwks_with_a_published_key_is_refused() {
    let err = CallerVerifier::from_jwks(JWKS, CallerPolicy::new(ISSUER, AUDIENCE))
        .map(|_| ())
        .expect_err("the suite's keys are published");
    assert!(
        err.contains("key 0") && err.contains("TRY_PRODUCTION_LOCALLY"),
        "{err}"
    );
}

fn verifier() -> CallerVerifier {
    CallerVerifier::from_jwks(JWKS, test_policy())
        .expect("a usable JWKS")
        .0
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": unix_now() + 600})
}

/// Signed with one of the test keys, as an identity provider would.
fn signed(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    sign_caller_token(&header, claims)
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

fn verify(token: &str) -> Result<Caller, AuthFailure> {
    verifier().verify(Some(&bearer(token)))
}

fn segment(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn accepts_each_allowed_algorithm_with_its_key() {
    for (alg, kid) in [
        (Algorithm::RS256, "rsa-1"),
        (Algorithm::ES256, "p256-1"),
        (Algorithm::EdDSA, "ed25519-1"),
    ] {
        let caller = verify(&signed(alg, Some(kid), &claims())).expect("valid");
        assert_eq!(caller.identity, "alice", "{alg:?}");
        // Without a kid, the only key of the algorithm's type is used.
        let caller = verify(&signed(alg, None, &claims())).expect("valid without kid");
        assert_eq!(caller.claims["sub"], "alice");
    }
    let mut policy = test_policy();
    policy.identity_claim = "email".to_owned();
    let (by_email, _) = CallerVerifier::from_jwks(JWKS, policy).expect("usable");
    let mut with_email = claims();
    with_email["email"] = json!("alice@example.com");
    with_email["email_verified"] = json!(true);
    let token = signed(Algorithm::ES256, Some("p256-1"), &with_email);
    let caller = by_email.verify(Some(&bearer(&token))).expect("valid");
    assert_eq!(caller.identity, "alice@example.com");
    let token = signed(Algorithm::ES256, Some("p256-1"), &claims());
    assert_eq!(
        by_email.verify(Some(&bearer(&token))),
        Err(AuthFailure::NoIdentity)
    );
}

#[test]
fn refuses_the_algorithm_attacks_of_rfc_8725() {
    let payload = segment(&claims());
    // `alg: none`, with and without an empty signature.
    let none = segment(&json!({"alg": "none", "typ": "JWT"}));
    for token in [format!("{none}.{payload}."), format!("{none}.{payload}")] {
        assert!(verify(&token).is_err(), "{token}");
    }
    // HS256 keyed with the public RSA key's bytes, under the RSA key's kid.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".to_owned());
    let confused = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(JWKS.as_bytes()),
    )
    .expect("sign");
    assert_eq!(verify(&confused), Err(AuthFailure::AlgorithmNotAllowed));
    // An algorithm the operator did not allow.
    let mut policy = test_policy();
    policy.algorithms = vec![Algorithm::ES256];
    let (es256_only, _) = CallerVerifier::from_jwks(JWKS, policy).expect("usable");
    let rs256 = signed(Algorithm::RS256, Some("rsa-1"), &claims());
    assert_eq!(
        es256_only.verify(Some(&bearer(&rs256))),
        Err(AuthFailure::AlgorithmNotAllowed)
    );
    // An allowed algorithm under a key of another type, or another named alg.
    let on_wrong_key = signed(Algorithm::ES256, Some("rsa-1"), &claims());
    assert_eq!(verify(&on_wrong_key), Err(AuthFailure::KeyMismatch));
    let mut policy = test_policy();
    policy.algorithms.push(Algorithm::PS256);
    let (with_ps256, _) = CallerVerifier::from_jwks(JWKS, policy).expect("usable");
    let ps256 = signed(Algorithm::PS256, Some("rsa-1"), &claims());
    assert_eq!(
        with_ps256.verify(Some(&bearer(&ps256))),
        Err(AuthFailure::KeyMismatch),
        "the JWK says RS256"
    );
    // HS* and an unbounded leeway are refused up front.
    let mut policy = test_policy();
    policy.algorithms.push(Algorithm::HS256);
    assert!(CallerVerifier::from_jwks(JWKS, policy).is_err());
    let mut policy = test_policy();
    policy.leeway_seconds = MAX_LEEWAY_SECONDS + 1;
    assert!(CallerVerifier::from_jwks(JWKS, policy).is_err());
    let mut policy = test_policy();
    policy.leeway_seconds = MAX_LEEWAY_SECONDS;
    assert!(CallerVerifier::from_jwks(JWKS, policy).is_ok());
}

/// An X25519 public key (RFC 8037's example), base64url.
const X25519_X: &str = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";

/// A P-384 public key (generated with `openssl ecparam -name secp384r1`), as a JWK.
const P384_JWK: &str = r#"{"kty": "EC", "kid": "p384-1", "crv": "P-384", "x": "4GWKHo1mMLXvaP4gC1H2uViQdINeZhAngQd5iOg4O3J8JtxcyVzJYqd6mJBVie0A", "y": "nvLugkGaM9xBknMgQtQPjo-jcY9vvwTOzTWywT7E-iSqeCYpCWKPfvrxcwU4-cZY"}"#;

#[test]
fn keys_naming_their_algorithm_are_used_for_it() {
    let mut p384: Value = serde_json::from_str(P384_JWK).expect("JSON");
    p384["alg"] = json!("ES384");
    let jwks: Value = serde_json::from_str(JWKS).expect("JSON");
    let mut rsa_pss = jwks["keys"][0].clone();
    rsa_pss["alg"] = json!("PS256");
    rsa_pss["kid"] = json!("rsa-pss");
    for (key, alg) in [
        (
            serde_json::from_str(P384_JWK).expect("JSON"),
            Algorithm::ES384,
        ),
        (p384, Algorithm::ES384),
        (rsa_pss, Algorithm::PS256),
    ] {
        let mut policy = test_policy();
        policy.algorithms = vec![alg];
        let jwks = json!({ "keys": [key] }).to_string();
        let (_, skipped) = CallerVerifier::from_jwks(&jwks, policy).expect("a usable key");
        assert!(skipped.is_empty(), "{alg:?}: {skipped:?}");
    }
}

#[test]
fn a_modulus_written_with_a_leading_zero_is_measured_without_it() {
    // 2047 bits after a zero byte some providers add: under the 2048 required.
    let mut n = vec![0x00, 0x7f];
    n.extend([0xff; 255]);
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n);
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "short", "n": n, "e": "AQAB"}]});
    let err = CallerVerifier::from_jwks(&jwks.to_string(), test_policy())
        .map(|_| ())
        .expect_err("no usable key");
    assert!(err.contains("2047 bits"), "{err}");
}

#[test]
fn never_uses_shared_secrets_or_encryption_keys() {
    let mut jwks: Value = serde_json::from_str(JWKS).expect("JSON");
    let keys = jwks["keys"].as_array_mut().expect("keys");
    keys.push(json!({"kty": "oct", "kid": "shared", "k": "c2VjcmV0"}));
    let mut encryption = keys[1].clone();
    encryption["use"] = json!("enc");
    encryption["kid"] = json!("p256-enc");
    keys.push(encryption);
    keys.push(json!({"kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA"}));
    // X25519 is a key-agreement curve, and an octet key pair on a NIST curve is no Ed25519
    // key: neither is ever a signature key.
    keys.push(json!({"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": X25519_X}));
    keys.push(json!({"kty": "OKP", "kid": "okp-p256", "crv": "P-256", "x": X25519_X}));
    let mut signing_only = keys[1].clone();
    signing_only["key_ops"] = json!(["sign"]);
    signing_only["kid"] = json!("p256-sign");
    keys.push(signing_only);
    let mut verifying = keys[1].clone();
    verifying["key_ops"] = json!(["verify"]);
    verifying["kid"] = json!("p256-verify");
    keys.push(verifying);
    let (verifier, skipped) =
        CallerVerifier::from_jwks(&jwks.to_string(), test_policy()).expect("usable keys remain");
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    for kid in ["p256-enc", "p256-sign"] {
        let token = signed(Algorithm::ES256, Some(kid), &claims());
        assert_eq!(
            verifier.verify(Some(&bearer(&token))),
            Err(AuthFailure::UnknownKey),
            "{kid}"
        );
    }
    let token = signed(Algorithm::ES256, Some("p256-verify"), &claims());
    assert!(verifier.verify(Some(&bearer(&token))).is_ok());
    let only_unusable = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
    let err = CallerVerifier::from_jwks(&only_unusable.to_string(), test_policy())
        .expect_err("nothing usable");
    assert!(err.contains("oct"), "{err}");
}

#[test]
fn checks_every_claim_with_the_leeway() {
    let leeway = DEFAULT_LEEWAY_SECONDS;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims();
        change(&mut claims);
        verify(&signed(Algorithm::EdDSA, Some("ed25519-1"), &claims))
    };
    assert!(with(&|c| c["exp"] = json!(unix_now() - leeway + 5)).is_ok());
    assert_eq!(
        with(&|c| c["exp"] = json!(unix_now() - leeway - 5)),
        Err(AuthFailure::Expired)
    );
    assert!(with(&|c| c["nbf"] = json!(unix_now() + leeway - 5)).is_ok());
    assert_eq!(
        with(&|c| c["nbf"] = json!(unix_now() + leeway + 5)),
        Err(AuthFailure::NotYetValid)
    );
    for (claim, failure) in [
        ("exp", AuthFailure::MissingClaim),
        ("iss", AuthFailure::MissingClaim),
        ("aud", AuthFailure::MissingClaim),
        ("sub", AuthFailure::MissingClaim),
    ] {
        assert_eq!(
            with(&|c| {
                c.as_object_mut().map(|c| c.remove(claim));
            }),
            Err(failure),
            "without {claim}"
        );
    }
    assert!(with(&|c| c["exp"] = json!((unix_now() + 600).to_string())).is_err());
    assert!(with(&|c| c["nbf"] = json!(unix_now().to_string())).is_err());
    assert_eq!(
        with(&|c| c["iss"] = json!("https://id.example/")),
        Err(AuthFailure::WrongIssuer)
    );
    assert_eq!(
        with(&|c| c["aud"] = json!("another-service")),
        Err(AuthFailure::WrongAudience)
    );
    assert!(with(&|c| c["aud"] = json!(["another-service", AUDIENCE])).is_ok());
}

#[test]
fn keys_come_only_from_the_jwks() {
    // A token naming its own key in `jwk`, `jku` or `x5u` still needs one of ours.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("attacker".to_owned());
    header.jku = Some("https://attacker.example/jwks.json".to_owned());
    header.x5u = Some("https://attacker.example/cert.pem".to_owned());
    let token = sign_caller_token(&header, &claims());
    assert_eq!(verify(&token), Err(AuthFailure::UnknownKey));
    for kid in ["../../etc/passwd", "rsa-1' OR '1'='1", "", "p256-1\0"] {
        let token = signed(Algorithm::ES256, Some(kid), &claims());
        assert_eq!(verify(&token), Err(AuthFailure::UnknownKey), "{kid:?}");
    }
    // A payload changed after signing.
    let token = signed(Algorithm::ES256, Some("p256-1"), &claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged["sub"] = json!("mallory");
    let forged = segment(&forged);
    parts[1] = &forged;
    assert_eq!(verify(&parts.join(".")), Err(AuthFailure::BadSignature));
}

#[test]
fn reads_only_bearer_tokens_of_sane_shape() {
    let token = signed(Algorithm::ES256, Some("p256-1"), &claims());
    let verifier = verifier();
    for (authorization, expected) in [
        (None, Err(AuthFailure::Missing)),
        (Some(format!("Basic {token}")), Err(AuthFailure::Missing)),
        (Some(token.clone()), Err(AuthFailure::Missing)),
        (Some("Bearer ".to_owned()), Err(AuthFailure::Malformed)),
        (
            Some("Bearer not a jwt".to_owned()),
            Err(AuthFailure::Malformed),
        ),
        (
            Some(format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1))),
            Err(AuthFailure::Malformed),
        ),
        (Some("Bearer a.b.c".to_owned()), Err(AuthFailure::Malformed)),
        (Some(format!("bearer  {token}")), Ok("alice")),
    ] {
        let got = verifier.verify(authorization.as_deref().map(str::as_bytes));
        let got = got
            .as_ref()
            .map(|caller| caller.identity.as_str())
            .map_err(|e| *e);
        assert_eq!(got, expected, "{authorization:?}");
    }
}

/// The modulus of a 1024-bit RSA key, base64url, as a JWKS publishes it: deliberately weak,
/// never to be trusted.
const RSA_1024_N: &str = "zsOGBU1As6sng03_0-YFchWALzyi_b-4bfm7gpOoesTh21TgefeUCAGHMXZHpV9OTrWFY21GU_onyLUbYcdUT6Ud1wPAEa1fB7sBfjeH7dobIUDeqDmhi_XlzATSTp6-0zQSSKZmxQhLmF6iU1wy6FjgKEbCaCUf6v1S0QK0pm0";

#[test]
fn rsa_keys_under_2048_bits_are_never_used() {
    let mut jwks: Value = serde_json::from_str(JWKS).expect("JSON");
    let weak = json!({"kty": "RSA", "kid": "rsa-weak", "use": "sig", "alg": "RS256",
                      "n": RSA_1024_N, "e": "AQAB"});
    jwks["keys"].as_array_mut().expect("keys").push(weak);
    let (verifier, skipped) =
        CallerVerifier::from_jwks(&jwks.to_string(), test_policy()).expect("usable keys remain");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains("rsa-weak") && skipped[0].contains("1024"),
        "the warning names the kid and the size: {skipped:?}"
    );
    // aws-lc refuses to sign with a key this small, so the signature is any 128 bytes: a
    // server that used the key would answer a bad signature, not an unknown key.
    let token = format!(
        "{}.{}.{}",
        segment(&json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-weak"})),
        segment(&claims()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7_u8; 128]),
    );
    assert_eq!(
        verifier.verify(Some(&bearer(&token))).map(|c| c.identity),
        Err(AuthFailure::UnknownKey)
    );
    // The strong keys of the same JWKS still verify.
    let strong = signed(Algorithm::RS256, Some("rsa-1"), &claims());
    assert!(verifier.verify(Some(&bearer(&strong))).is_ok());
}

/// `claims` signed with the P-256 test key under a header with `typ`.
fn typed(typ: Option<&str>) -> String {
    let mut header = caller_header(Algorithm::ES256);
    header.typ = typ.map(str::to_owned);
    sign_caller_token(&header, &claims())
}

#[test]
fn tokens_of_another_kind_are_refused() {
    for accepted in [
        None,
        Some("JWT"),
        Some("jwt"),
        Some("at+jwt"),
        Some("AT+JWT"),
        Some("application/at+jwt"),
        Some("Application/JWT"),
    ] {
        assert!(verify(&typed(accepted)).is_ok(), "{accepted:?}");
    }
    for other in [
        "logout+jwt",
        "secevent+jwt",
        "application/logout+jwt",
        "dpop+jwt",
        "text/jwt",
        "",
        "at+jwt ",
    ] {
        assert_eq!(
            verify(&typed(Some(other))),
            Err(AuthFailure::WrongTokenType),
            "{other:?}"
        );
    }
    // The kinds accepted are the operator's: here access tokens only, typ required.
    let mut policy = test_policy();
    policy.token_types = vec!["Application/AT+JWT".parse().expect("a media type")];
    let (access_only, _) = CallerVerifier::from_jwks(JWKS, policy).expect("usable");
    let verify = |typ| access_only.verify(Some(&bearer(&typed(typ)))).map(|_| ());
    assert_eq!(verify(Some("at+jwt")), Ok(()));
    for other in [None, Some("JWT")] {
        assert_eq!(verify(other), Err(AuthFailure::WrongTokenType), "{other:?}");
    }
}

#[test]
fn token_types_are_read_from_the_setting() {
    assert_eq!("NONE".parse(), Ok(TokenType::Untyped));
    assert_eq!(
        " application/JWT ".parse(),
        Ok(TokenType::Named("jwt".to_owned()))
    );
    let parsed: Vec<TokenType> = DEFAULT_TOKEN_TYPES
        .split(',')
        .map(|entry| entry.parse().expect("valid"))
        .collect();
    assert_eq!(parsed, TokenType::defaults());
    for invalid in ["", " ", "application/", "at jwt", "at+jwt,"] {
        assert!(invalid.parse::<TokenType>().is_err(), "{invalid:?}");
    }
    let mut policy = test_policy();
    policy.token_types.clear();
    assert!(CallerVerifier::from_jwks(JWKS, policy).is_err());
}

proptest::proptest! {
    /// Any `typ` a token may carry is compared without panicking, and matches a named
    /// kind exactly when it is that kind up to case and an `application/` prefix.
    #[test]
    fn any_typ_is_compared_safely(typ in "(?i:(application/)?)[ -~]{0,20}|\\PC{0,20}") {
        let at_jwt = TokenType::Named("at+jwt".to_owned());
        let lower = typ.to_ascii_lowercase();
        let expected = lower == "at+jwt" || lower == "application/at+jwt";
        proptest::prop_assert_eq!(at_jwt.matches(Some(&typ)), expected);
        proptest::prop_assert!(!TokenType::Untyped.matches(Some(&typ)));
        let _ = typ.parse::<TokenType>();
    }

    /// Any document an identity provider serves is read without panicking: a JWKS is
    /// usable only with a key, and every key left out is said why.
    #[test]
    fn any_jwks_document_is_read_safely(
        text in "\\PC{0,200}",
        keys in proptest::collection::vec(
            (
                proptest::sample::select(vec!["RSA", "EC", "OKP", "oct", "x", ""]),
                proptest::option::of("[A-Za-z0-9_=+/-]{0,400}"),
                proptest::option::of(proptest::sample::select(vec!["P-256", "P-384", "Ed25519", "X25519"])),
                proptest::option::of(proptest::sample::select(vec!["RS256", "ES256", "EdDSA", "HS256", "none"])),
                proptest::option::of(proptest::sample::select(vec!["sig", "enc", ""])),
            ),
            0..4,
        ),
    ) {
        let _ = CallerVerifier::from_jwks(&text, test_policy());
        let entries: Vec<Value> = keys
            .into_iter()
            .map(|(kty, material, crv, alg, usage)| {
                serde_json::json!({
                    "kty": kty, "n": material, "e": "AQAB", "x": material, "y": material,
                    "crv": crv, "alg": alg, "use": usage, "kid": "k",
                })
            })
            .collect();
        let count = entries.len();
        let document = serde_json::json!({ "keys": entries }).to_string();
        if let Ok((_, skipped)) = CallerVerifier::from_jwks(&document, test_policy()) {
            proptest::prop_assert!(skipped.len() < count);
        }
    }
}

#[test]
fn an_email_identity_must_be_verified() {
    let mut policy = test_policy();
    policy.identity_claim = "email".to_owned();
    let (by_email, _) = CallerVerifier::from_jwks(JWKS, policy).expect("usable");
    let with = |verified: Option<Value>| {
        let mut claims = claims();
        claims["email"] = json!("alice@example.com");
        if let Some(verified) = verified {
            claims["email_verified"] = verified;
        }
        let token = signed(Algorithm::ES256, Some("p256-1"), &claims);
        by_email
            .verify(Some(&bearer(&token)))
            .map(|caller| caller.identity)
    };
    assert_eq!(with(Some(json!(true))), Ok("alice@example.com".to_owned()));
    // With another identity claim, an unverified email is left out of what policy
    // rules see; a verified one stays.
    for (verified, kept) in [(json!(false), false), (json!(true), true)] {
        let mut claims = claims();
        claims["email"] = json!("alice@example.com");
        claims["email_verified"] = verified;
        let caller = verify(&signed(Algorithm::ES256, Some("p256-1"), &claims)).expect("valid");
        assert_eq!(caller.identity, "alice");
        assert_eq!(caller.claims.contains_key("email"), kept, "{claims}");
    }
    // Without any email, an email identity is simply missing.
    let token = signed(Algorithm::ES256, Some("p256-1"), &claims());
    assert_eq!(
        by_email.verify(Some(&bearer(&token))).map(|c| c.identity),
        Err(AuthFailure::NoIdentity)
    );
    for unverified in [
        None,
        Some(json!(false)),
        Some(json!("true")),
        Some(json!(1)),
        Some(Value::Null),
    ] {
        assert_eq!(
            with(unverified.clone()),
            Err(AuthFailure::EmailNotVerified),
            "{unverified:?}"
        );
    }
}
