//! Micro-benchmarks of the framework-free path, beside LiveKit's official minter.
//!
//! `cargo bench -p token-core`; criterion prints each figure, and the `mint` group puts
//! ours and the official `livekit-api` minter side by side for a ratio.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use livekit_api::access_token::{AccessToken, VideoGrants};
use token_core::livekit::keys::ApiSecret;
use token_core::livekit::keys::Credentials;
use token_core::livekit::request::TokenRequest;
use token_core::livekit::token::TokenMinter;
use token_core::operations::limits::LimitConfig;
use token_core::operations::limits::{Limit, RateLimits};
use token_core::operations::metrics::Metrics;
use token_core::service::config::{Mode, Tutorial};
use token_core::{Endpoint, HttpVersion, RequestHead, ServiceConfig, TokenService};

const KEY: &str = "APIbenchmarks";
const SECRET: &str = "benchmark-secret-0123456789abcdefgh";
const BODY: &[u8] = br#"{"roomName":"room1","participantName":"participant-12-345678"}"#;

fn benches(c: &mut Criterion) {
    let request = TokenRequest::parse(Some(b"application/json"), BODY).expect("valid");
    let minter = TokenMinter::new(KEY, &ApiSecret::new(SECRET), Duration::from_secs(21_600));
    let mut mint = c.benchmark_group("mint");
    mint.bench_function("token-core", |b| {
        b.iter(|| {
            minter
                .mint(black_box(&request), SystemTime::now())
                .expect("mint")
        });
    });
    mint.bench_function("livekit-api (official)", |b| {
        b.iter(|| {
            AccessToken::with_api_key(KEY, SECRET)
                .with_identity(black_box(&request.participant_name))
                .with_grants(VideoGrants {
                    room_join: true,
                    room: black_box(&request.room_name).clone(),
                    ..VideoGrants::default()
                })
                .with_ttl(Duration::from_secs(21_600))
                .to_jwt()
                .expect("mint")
        });
    });
    mint.finish();

    c.bench_function("validate a request", |b| {
        b.iter(|| TokenRequest::parse(Some(b"application/json"), black_box(BODY)).expect("valid"));
    });

    let credentials = Credentials::single(KEY, ApiSecret::new(SECRET));
    let settings = ServiceConfig::new(credentials, Mode::Tutorial(Tutorial::default()));
    let service = TokenService::new(&settings);
    let headers = [
        ("host", &b"localhost"[..]),
        ("content-type", b"application/json"),
    ];
    let head = RequestHead::new("POST", "/token", HttpVersion::Http11, headers);
    c.bench_function("request to reply", |b| {
        b.iter(|| service.reply(Endpoint::Token, &head, black_box(BODY)));
    });

    // What rate limits and metrics add to each request (`bench --cost` measures whole
    // servers, where it is lost in the noise).
    let mut operations = c.benchmark_group("operations");
    let limited = LimitConfig {
        tokens: "1000000000/s".parse().expect("a quota"),
        ..LimitConfig::default()
    };
    let limits = RateLimits::new(&limited, false, SECRET, None);
    let from_peer = head.clone().from_peer(Some([203, 0, 113, 9].into()));
    operations.bench_function("rate limit check", |b| {
        // In memory the check never waits: its future is ready when first polled.
        b.iter(|| {
            limits
                .check(Limit::Tokens, black_box(&from_peer))
                .now_or_never()
        });
    });
    let metrics = Metrics::new();
    operations.bench_function("metrics of a token request", |b| {
        b.iter(|| {
            metrics.request(
                "POST",
                Some(Endpoint::Token),
                200,
                Duration::from_micros(12),
            );
            metrics.token_issued(Endpoint::Token);
        });
    });
    operations.finish();
}

criterion_group!(token, benches);
criterion_main!(token);
