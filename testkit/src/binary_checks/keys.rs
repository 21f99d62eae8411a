//! Several API keys and secrets read from files, as LiveKit deployments hold them.

use conformance::{ServerUnderTest, run};

use super::{command, only, send_signed_webhook, start, temp_dir};

/// The key that signs tokens; its secret comes from a secret file.
const SIGNING_KEY: &str = "APIsigning";
const SIGNING_SECRET: &str = "signing-secret-from-a-file-0123456789";
/// Keys of LiveKit's key-file format, e.g. the previous key and egress's own.
const LISTED: [(&str, &str); 2] = [
    ("APIprevious", "previous-secret-0123456789abcdef0123"),
    ("APIegress", "egress-secret-0123456789abcdef012345"),
];

/// With `LIVEKIT_KEY_FILE`, `LIVEKIT_API_SECRET_FILE` and `LIVEKIT_API_KEY`, tokens are signed
/// with the named key, webhooks signed with any configured key are accepted and others
/// refused, and no secret reaches the logs.
pub async fn serves_several_keys_and_secret_files(exe: &str) {
    let dir = temp_dir();
    let key_file = dir.path().join("keys.yaml");
    let listed: String = LISTED
        .iter()
        .map(|(key, secret)| format!("{key}: {secret}\n"))
        .collect();
    std::fs::write(&key_file, format!("# LiveKit's format\n{listed}")).expect("key file");
    let secret_file = dir.path().join("api-secret");
    // Written as `echo` and secret stores write it, with a final line break.
    std::fs::write(&secret_file, format!("{SIGNING_SECRET}\n")).expect("secret file");

    let mut command = command(exe, dir.path());
    command
        .env("LIVEKIT_API_KEY", SIGNING_KEY)
        .env("LIVEKIT_API_SECRET_FILE", &secret_file)
        .env("LIVEKIT_KEY_FILE", &key_file);
    let server = start(command);
    let signing = ServerUnderTest::new(server.url()).with_credentials(SIGNING_KEY, SIGNING_SECRET);
    for prefix in ["token/valid", "endpoint/", "webhook/"] {
        let report = run(&signing, &only(prefix)).await.expect("reachable");
        assert_eq!(
            report.failed(),
            0,
            "tokens are not signed by {SIGNING_KEY} with the file's secret:\n{report}"
        );
    }

    let event = br#"{"event":"room_started","room":{"name":"room1"}}"#;
    for (key, secret) in std::iter::once((SIGNING_KEY, SIGNING_SECRET)).chain(LISTED) {
        let signer = ServerUnderTest::new(server.url()).with_credentials(key, secret);
        let (status, _) = send_signed_webhook(&signer, event).await;
        assert_eq!(status, 200, "a webhook signed by {key} was refused");
    }
    for (key, secret) in [
        ("APIunknown", LISTED[0].1),
        (LISTED[0].0, LISTED[1].1),
        (LISTED[1].0, SIGNING_SECRET),
    ] {
        let forger = ServerUnderTest::new(server.url()).with_credentials(key, secret);
        let (status, _) = send_signed_webhook(&forger, event).await;
        assert_eq!(
            status, 401,
            "a webhook claiming {key} with another key's secret was accepted"
        );
    }

    let mut server = server;
    server.terminate().expect("SIGTERM");
    server.wait_for_exit(std::time::Duration::from_secs(10));
    let logs = server.output();
    assert!(logs.contains("stopped"), "no complete log: {logs}");
    // Files are created readable by all under the usual umask, which LiveKit refuses.
    assert!(
        logs.contains("can be read by any user"),
        "no warning about the key file's mode: {logs}"
    );
    for secret in std::iter::once(SIGNING_SECRET).chain(LISTED.map(|(_, secret)| secret)) {
        assert!(!logs.contains(secret), "a secret reached the logs: {logs}");
    }
}
