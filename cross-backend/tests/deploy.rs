//! The deployment files name only settings the server reads: a misspelt variable in a
//! manifest would be ignored silently at run time.
//! Run: `cargo test -p cross-backend --test deploy`.

use server_runtime::Args;

/// Variables read by something other than `server_runtime::Args`.
const OTHER_VARIABLES: [&str; 1] = ["RUST_LOG"];

fn read(path: &str) -> String {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn assert_known(file: &str, names: &[String]) {
    let known = Args::environment_variables();
    assert!(
        !names.is_empty(),
        "{file} sets no variable: is the parsing stale?"
    );
    for name in names {
        assert!(
            known.contains(name) || OTHER_VARIABLES.contains(&name.as_str()),
            "{file} sets {name}, which no setting reads"
        );
    }
}

#[test]
fn the_manifest_sets_only_known_variables() {
    let file = "deploy/kubernetes/deployment.yaml";
    let names: Vec<String> = read(file)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- name: "))
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_owned)
        .collect();
    assert_known(file, &names);
    for expected in [
        "LIVEKIT_KEY_FILE",
        "METRICS_PORT",
        "TOKEN_SERVER_MODE",
        "TOKEN_POLICY_FILE",
        "TRUSTED_PROXY_HEADER",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{file} has no {expected}"
        );
    }
}

/// The example deploys production mode (issue 27: it used to deploy the open contract).
#[test]
fn the_manifest_deploys_production_with_a_valid_policy() {
    let manifest = read("deploy/kubernetes/deployment.yaml");
    assert!(
        manifest.contains("- name: TOKEN_SERVER_MODE\n              value: \"production\""),
        "deployment.yaml does not deploy production mode"
    );
    assert!(
        manifest.contains("path: /readyz"),
        "the readiness probe is not /readyz"
    );
    // The ConfigMap's policy.toml, a YAML block scalar indented by four spaces.
    let config_map = read("deploy/kubernetes/policy.yaml");
    let policy: String = config_map
        .lines()
        .skip_while(|line| line.trim() != "policy.toml: |")
        .skip(1)
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect();
    token_core::production::policy::TokenPolicy::from_toml(&policy)
        .unwrap_or_else(|err| panic!("policy.yaml's policy.toml: {err}"));
}

/// Applied unedited, the example Secret's placeholder would sign tokens in production: it
/// is refused like LiveKit's development secret.
#[test]
fn the_secrets_placeholder_is_refused_in_production() {
    let secret = read("deploy/kubernetes/secret.yaml");
    let pair = secret
        .lines()
        .skip_while(|line| line.trim() != "keys.yaml: |")
        .nth(1)
        .expect("a key pair under keys.yaml")
        .trim()
        .to_owned();
    let jwks = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(
        jwks.path(),
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}]}"#,
    )
    .expect("write the JWKS");
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/production/any-room.toml"
    );
    let args = [
        "test",
        "--mode",
        "production",
        "--caller-issuer",
        "https://idp.example",
        "--caller-audience",
        "tokens",
        "--caller-jwks-file",
        jwks.path().to_str().expect("UTF-8"),
        "--cors-allowed-origins",
        "https://app.example",
        "--token-policy-file",
        policy,
        "--keys",
        &pair,
    ];
    match Args::from_args("test", args) {
        Err(server_runtime::ConfigError::Invalid(line)) => {
            assert!(line.contains("placeholder"), "{line}");
        }
        other => panic!("the placeholder {pair:?} was accepted: {other:?}"),
    }
}

#[test]
fn the_dockerfile_sets_only_known_variables() {
    let file = "Dockerfile";
    let text = read(file);
    let mut names = Vec::new();
    let mut in_env = false;
    for line in text.lines() {
        let line = line.trim();
        let rest = match line.strip_prefix("ENV ") {
            Some(rest) => rest,
            None if in_env => line,
            None => continue,
        };
        in_env = rest.ends_with('\\');
        names.extend(
            rest.trim_end_matches('\\')
                .split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(name, _)| name.to_owned()),
        );
    }
    assert_known(file, &names);
}
