//! What ships stays clean: the product's dependency tree holds no test-only crate, and the
//! WebDriver client only with the `browser` feature.
//! Run: `cargo test -p conformance --test dependencies`.

use std::process::Command;

/// The crates `conformance`'s normal build depends on, with `features` on.
fn normal_dependencies(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            "conformance",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
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
    let crates = normal_dependencies(&[]);
    assert!(crates.iter().any(|name| name == "reqwest"), "{crates:?}");
    for name in TEST_ONLY.iter().chain(&BROWSER_ONLY) {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}

#[test]
fn the_browser_feature_adds_the_webdriver_client_and_nothing_test_only() {
    let crates = normal_dependencies(&["browser"]);
    for name in BROWSER_ONLY {
        assert!(crates.iter().any(|c| c == name), "no {name} in {crates:?}");
    }
    for name in TEST_ONLY.iter().filter(|name| **name != "tempfile") {
        assert!(!crates.iter().any(|c| c == name), "{name} in {crates:?}");
    }
}
