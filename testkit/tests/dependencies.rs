//! The dependency graph says what the architecture says: what ships (`conformance`) holds no
//! test-only crate, and the WebDriver client only with the `browser` feature; `token-core`
//! holds no I/O crate; testing one backend builds no other backend.
//! Run: `cargo test -p testkit --test dependencies`.

use std::process::Command;

/// The crates `package` depends on through `edges` (`normal`, `normal,dev`), with `features`
/// on.
fn dependencies(package: &str, edges: &str, features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "-p", package, "-e", edges, "--prefix", "none"])
        .args(["--locked", "--format", "{p}"]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

const TEST_ONLY: [&str; 8] = [
    "testkit",
    "test-keys",
    "cross-backend",
    "official-emulations",
    "insta",
    "tempfile",
    "livekit-token-source",
    "proptest",
];
const BROWSER_ONLY: [&str; 1] = ["fantoccini"];

#[test]
fn a_plain_build_has_no_test_only_crate_and_no_webdriver_client() {
    let crates = dependencies("conformance", "normal", &[]);
    assert!(crates.iter().any(|name| name == "reqwest"), "{crates:?}");
    for name in TEST_ONLY.iter().chain(&BROWSER_ONLY) {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}

#[test]
fn the_browser_feature_adds_the_webdriver_client_and_nothing_test_only() {
    let crates = dependencies("conformance", "normal", &["browser"]);
    for name in BROWSER_ONLY {
        assert!(crates.iter().any(|c| c == name), "no {name} in {crates:?}");
    }
    for name in TEST_ONLY.iter().filter(|name| **name != "tempfile") {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}

/// What runs a process or talks to the network: the runtime's business, never the core's.
const IO_CRATES: [&str; 7] = [
    "clap",
    "dotenvy",
    "reqwest",
    "tracing-subscriber",
    "mio",
    "socket2",
    "hyper",
];

#[test]
fn the_core_has_no_io_crate() {
    let crates = dependencies("token-core", "normal", &[]);
    assert!(
        crates.iter().any(|name| name == "jsonwebtoken"),
        "{crates:?}"
    );
    for name in IO_CRATES {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}

#[test]
fn testing_one_backend_builds_no_other_backend_and_no_webdriver_client() {
    let crates = dependencies("server-axum", "normal,dev", &[]);
    assert!(crates.iter().any(|name| name == "testkit"), "{crates:?}");
    let others = ["actix", "warp", "poem", "salvo", "hyper"].map(|name| format!("server-{name}"));
    for name in others.iter().map(String::as_str).chain(BROWSER_ONLY) {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}
