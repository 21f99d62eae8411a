//! The shared store's settings (`RATE_LIMIT_STORE`, `REDIS_*`): refused in one line that
//! names the setting and never the URL's password, warned where only risky, and the URL's
//! credentials kept out of `Debug`, `Display` and the warnings.

use server_runtime::{Args, Config, ConfigError};
use token_core::operations::limit_store::StoreFailure;

const PASSWORD: &str = "a-redis-password-0123456789";

fn parse(args: &[&str]) -> Result<Config, ConfigError> {
    Args::from_args("test", std::iter::once("test").chain(args.iter().copied()))
}

fn invalid(args: &[&str]) -> String {
    match parse(args) {
        Err(ConfigError::Invalid(line)) => {
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.contains(PASSWORD), "{line}");
            line
        }
        other => panic!("{args:?} should be refused, got {other:?}"),
    }
}

fn url(host: &str) -> String {
    format!("redis://default:{PASSWORD}@{host}:6379/0")
}

#[test]
fn the_memory_store_is_the_default() {
    let config = parse(&[]).expect("defaults");
    assert!(config.service.limits.store.is_none());
}

#[test]
fn the_redis_store_takes_its_settings() {
    let url = url("127.0.0.1");
    let config = parse(&[
        "--rate-limit-store",
        "redis",
        "--redis-url",
        &url,
        "--redis-timeout-ms",
        "20",
        "--rate-limit-store-failure",
        "closed",
        "--rate-limit-shield",
        "off",
    ])
    .expect("valid");
    let store = config.service.limits.store.as_ref().expect("a store");
    assert_eq!(store.timeout.as_millis(), 20);
    assert_eq!(store.failure, StoreFailure::Closed);
    assert!(!store.shield);
    assert_eq!(store.store.to_string(), "redis://***@127.0.0.1:6379/0");
    let shown = format!("{config:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    // The loopback in clear, the default failure mode: nothing to warn about.
    assert!(
        config
            .warnings
            .iter()
            .all(|warning| !warning.contains("REDIS") && !warning.contains("RATE_LIMIT")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn the_url_may_come_from_a_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("redis-url");
    std::fs::write(&path, format!("{}\n", url("localhost"))).expect("write");
    let path = path.to_str().expect("UTF-8");
    let config = parse(&["--rate-limit-store", "redis", "--redis-url-file", path]).expect("valid");
    let store = config.service.limits.store.expect("a store");
    assert_eq!(store.store.to_string(), "redis://***@localhost:6379/0");
}

#[test]
fn what_would_not_share_the_limits_is_refused() {
    let url = url("127.0.0.1");
    for (args, starts) in [
        (
            vec!["--redis-url", url.as_str()],
            "REDIS_URL set without RATE_LIMIT_STORE=redis",
        ),
        (
            vec!["--rate-limit-store-failure", "open"],
            "RATE_LIMIT_STORE_FAILURE set without RATE_LIMIT_STORE=redis",
        ),
        (
            vec!["--rate-limit-store", "redis"],
            "RATE_LIMIT_STORE=redis needs REDIS_URL",
        ),
        (
            vec![
                "--rate-limit-store",
                "redis",
                "--redis-url",
                &url,
                "--redis-url-file",
                "/nonexistent",
            ],
            "set REDIS_URL or REDIS_URL_FILE, not both",
        ),
        (
            vec![
                "--rate-limit-store",
                "redis",
                "--redis-url",
                &url,
                "--rate-limits",
                "off",
            ],
            "RATE_LIMIT_STORE=redis with RATE_LIMITS=off",
        ),
        (
            vec![
                "--rate-limit-store",
                "redis",
                "--redis-url-file",
                "/nonexistent",
            ],
            "cannot read REDIS_URL_FILE /nonexistent",
        ),
    ] {
        let line = invalid(&args);
        assert!(line.starts_with(starts), "{args:?}: {line}");
    }
}

#[test]
fn an_invalid_url_is_named_never_shown() {
    for bad in [
        format!("http://default:{PASSWORD}@127.0.0.1:6379"),
        format!("redis://default:{PASSWORD}@"),
        format!("redis://default:{PASSWORD}@127.0.0.1:port"),
        PASSWORD.to_owned(),
    ] {
        let line = invalid(&["--rate-limit-store", "redis", "--redis-url", &bad]);
        assert!(line.starts_with("REDIS_URL is not a redis://"), "{line}");
    }
}

#[test]
fn risky_settings_are_warned_about() {
    let remote = url("redis.internal");
    let config = parse(&[
        "--rate-limit-store",
        "redis",
        "--redis-url",
        &remote,
        "--rate-limit-store-failure",
        "open",
    ])
    .expect("valid");
    let warnings = config.warnings.join("\n");
    assert!(
        warnings.contains("REDIS_URL is redis:// to another host"),
        "{warnings}"
    );
    assert!(
        warnings.contains("RATE_LIMIT_STORE_FAILURE=open"),
        "{warnings}"
    );
    assert!(!warnings.contains(PASSWORD), "{warnings}");
    let tls = format!("rediss://default:{PASSWORD}@redis.internal:6380");
    let config = parse(&["--rate-limit-store", "redis", "--redis-url", &tls]).expect("valid");
    assert!(
        config
            .warnings
            .iter()
            .all(|warning| !warning.contains("REDIS_URL")),
        "{:?}",
        config.warnings
    );
}
