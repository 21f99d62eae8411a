//! The binary passes the whole conformance suite, and LiveKit's own Rust client fetches
//! credentials from it.

use conformance::{ResponseFormat, Selection, ServerUnderTest, run};

use super::{TEST_API_KEY, TEST_API_SECRET, credentialed, start, temp_dir};

/// A LiveKit Cloud-shaped URL for the standard endpoint's `server_url`.
const CLOUD_URL: &str = "wss://example.livekit.cloud";

/// The whole suite passes, in both response formats, against the binary configured through
/// the environment.
pub async fn passes_the_suite(exe: &str) {
    // The JSON run also lets clients set room_config and names another LiveKit URL, through
    // the environment, so each of the two policy cases runs once.
    for (format, name, agents) in [
        (ResponseFormat::Text, "text", false),
        (ResponseFormat::Json, "json", true),
    ] {
        let dir = temp_dir();
        let mut command = credentialed(exe, dir.path());
        command
            .env("TOKEN_TTL_SECONDS", "600")
            .env("TOKEN_RESPONSE_FORMAT", name);
        if agents {
            command
                .env("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "true")
                .env("LIVEKIT_URL", CLOUD_URL);
        }
        let server = start(command);
        let mut under_test =
            ServerUnderTest::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        under_test.ttl_seconds = 600;
        under_test.format = format;
        if agents {
            under_test.room_config_allowed = true;
            CLOUD_URL.clone_into(&mut under_test.livekit_url);
        }
        let report = run(&under_test, &Selection::default())
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        println!("--- {name}\n{report}");
        // Held to everything: a WARN fails too, as with `--strict`.
        assert_eq!(
            report.failing_ids(true),
            Vec::<&str>::new(),
            "{exe} fails the suite in {name}:\n{report}"
        );
        let other_policy = conformance::cases::CASES
            .iter()
            .filter(|case| case.needs.unmet(&under_test).is_some())
            .count();
        assert_eq!(
            report.skipped(),
            other_policy,
            "only the other policy's cases are skipped"
        );
    }
}

/// LiveKit's own Rust client, `livekit-token-source`'s endpoint `TokenSource`, gets
/// credentials it can use: without options (generated names), with every option (room,
/// identity, name, metadata, attributes, agent name and metadata), and a 403 error where
/// agent dispatch is refused.
pub async fn official_client_fetches_credentials(exe: &str) {
    use livekit_api::access_token::TokenVerifier;
    use livekit_token_source::{
        TokenSourceConfigurable, TokenSourceError, TokenSourceFetchOptions,
    };

    let dir = temp_dir();
    let mut agents_allowed = credentialed(exe, dir.path());
    agents_allowed
        .env("LIVEKIT_URL", CLOUD_URL)
        .env("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "true");
    let server = start(agents_allowed);
    let source = livekit_token_source::endpoint(format!("{}/livekit/token", server.url()));
    let verifier = TokenVerifier::with_api_key(TEST_API_KEY, TEST_API_SECRET);

    let plain = source
        .fetch(&TokenSourceFetchOptions::new())
        .await
        .unwrap_or_else(|err| panic!("fetch without options: {err}"));
    assert_eq!(plain.server_url, CLOUD_URL);
    let claims = verifier
        .verify(&plain.participant_token)
        .expect("a valid token");
    assert!(claims.sub.starts_with("participant-"), "{}", claims.sub);
    assert!(
        claims.video.room.starts_with("room-"),
        "{}",
        claims.video.room
    );
    assert!(claims.video.room_join);

    let options = TokenSourceFetchOptions::new()
        .with_room_name("room1")
        .with_participant_identity("zoe-1")
        .with_participant_name("Zoé")
        .with_participant_metadata(r#"{"level":3}"#)
        .with_participant_attribute("team", "blue")
        .with_agent_name("my-agent")
        .with_agent_metadata("job 7");
    let full = source
        .fetch(&options)
        .await
        .unwrap_or_else(|err| panic!("fetch with options: {err}"));
    let claims = verifier
        .verify(&full.participant_token)
        .expect("a valid token");
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.video.room.as_str(),
            claims.name.as_str()
        ),
        ("zoe-1", "room1", "Zoé")
    );
    assert_eq!(claims.metadata, r#"{"level":3}"#);
    assert_eq!(
        claims.attributes.get("team").map(String::as_str),
        Some("blue")
    );
    let agents = claims
        .room_config
        .map(|config| config.agents)
        .unwrap_or_default();
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert_eq!(
        (agents[0].agent_name.as_str(), agents[0].metadata.as_str()),
        ("my-agent", "job 7")
    );
    drop(server);

    // With the default policy, agent dispatch is refused, and the client says so.
    let defaults = credentialed(exe, dir.path());
    let server = start(defaults);
    let source = livekit_token_source::endpoint(format!("{}/livekit/token", server.url()));
    let refused = source
        .fetch(&TokenSourceFetchOptions::new().with_agent_name("my-agent"))
        .await;
    match refused {
        Err(TokenSourceError::Server { status: 403, body }) => {
            assert!(body.contains("room_config"), "{body}");
        }
        other => panic!("agent dispatch on the default policy: {other:?}"),
    }
}
