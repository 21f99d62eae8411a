//! The token policy (`TOKEN_POLICY_FILE`): rules read from TOML, rooms matched by globs,
//! identities, metadata, attributes and agent dispatch judged, and any policy file read
//! safely.
use proptest::prelude::*;
use serde_json::Value;
use serde_json::json;
use token_core::http::contract::ContractError;
use token_core::production::caller_auth::Caller;
use token_core::production::policy::*;

fn caller(identity: &str, claims: Value) -> Caller {
    let Value::Object(claims) = claims else {
        panic!("claims are an object")
    };
    Caller {
        identity: identity.to_owned(),
        claims,
    }
}

fn room(room: &str) -> Asked<'_> {
    Asked {
        room: Some(room),
        room_field: "room_name",
        ..Asked::default()
    }
}

fn preset(grants: Result<Grants, ContractError>) -> Result<GrantPreset, ContractError> {
    grants.map(|grants| grants.preset)
}

#[test]
fn globs_match_any_run_one_character_and_the_identity_literally() {
    let glob = |source: &str| RoomGlob::parse(source).expect("a glob");
    let none: &[char] = &[];
    assert!(glob("*").matches("", "a", none));
    assert!(glob("*").matches("any/room name", "a", none));
    assert!(glob("user-{sub}-*").matches("user-alice-1", "alice", &['-']));
    assert!(glob("user-{sub}-*").matches("user-alice-", "alice", &['-']));
    assert!(!glob("user-{sub}-*").matches("user-bob-1", "alice", &['-']));
    assert!(!glob("user-{sub}-*").matches("user-alice", "alice", &['-']));
    // An identity's own wildcards are literal.
    assert!(!glob("user-{sub}").matches("user-anything", "*", none));
    assert!(glob("user-{sub}").matches("user-*", "*", none));
    assert!(glob("a?c").matches("abc", "x", none));
    assert!(!glob("a?c").matches("ac", "x", none));
    assert!(glob("*b*b*").matches("abxxbyy", "x", none));
    assert!(!glob("*b*b*").matches("abxx", "x", none));
    assert!(glob("é*ü").matches("éaü", "x", none));
    assert!(!glob("{sub}").matches("", "", none));
    assert!(RoomGlob::parse("room-{id}").is_err());
    assert!(RoomGlob::parse("").is_err());
}

#[test]
fn sub_comes_after_fixed_text_and_before_a_delimiter_or_the_end() {
    for valid in [
        "{sub}",
        "user:{sub}",
        "user:{sub}:*",
        "u-{sub}-?",
        "{sub}.*",
    ] {
        assert!(RoomGlob::parse(valid).is_ok(), "{valid}");
    }
    for invalid in [
        "*{sub}",
        "user-*-{sub}",
        "?{sub}",
        "user-{sub}*",
        "user-{sub}?",
        "user-{sub}x",
        "{sub}-{sub}",
    ] {
        let err = RoomGlob::parse(invalid).expect_err(invalid);
        assert!(
            err.contains("{sub}") && !err.contains('\n'),
            "{invalid}: {err}"
        );
    }
}

/// Issue 27: with `user-{sub}-*`, caller `alice` got publisher in `user-alice-bob-1`, a
/// room of caller `alice-bob`. An identity holding the delimiter now matches no `{sub}`
/// glob, so the room is alice's alone.
#[test]
fn an_identity_never_takes_anothers_room() {
    let policy = TokenPolicy::from_toml("[[rule]]\nrooms = [\"user-{sub}-*\", \"dm-{sub}-*\"]")
        .expect("valid");
    let alice = caller("alice", json!({}));
    let alice_bob = caller("alice-bob", json!({}));
    assert!(policy.judge(&alice, &room("user-alice-bob-1")).is_ok());
    assert!(policy.judge(&alice_bob, &room("user-alice-bob-1")).is_err());
    assert!(policy.judge(&alice_bob, &room("dm-alice-bob-1")).is_err());
    // Two globs whose fixed texts overlap: the room is nobody's rather than two callers'.
    let overlapping =
        TokenPolicy::from_toml("[[rule]]\nrooms = [\"u:{sub}:*\", \"u:x:{sub}\"]").expect("valid");
    for identity in ["x", "y"] {
        assert!(
            overlapping
                .judge(&caller(identity, json!({})), &room("u:x:y"))
                .is_err(),
            "{identity}"
        );
    }
}

/// The identities, over a small alphabet that includes delimiters, that a policy of
/// `{sub}` globs admits to `room`, found by trying every one: the brute-force oracle.
fn admitted(policy: &TokenPolicy, room_name: &str) -> Vec<String> {
    let alphabet = ['a', 'b', '-', ':'];
    let mut identities: Vec<String> = alphabet.iter().map(char::to_string).collect();
    for _ in 0..2 {
        let longer: Vec<String> = identities
            .iter()
            .filter(|identity| identity.len() == identities.last().map_or(0, String::len))
            .flat_map(|identity| alphabet.iter().map(move |c| format!("{identity}{c}")))
            .collect();
        identities.extend(longer);
    }
    identities
        .into_iter()
        .filter(|identity| {
            policy
                .judge(&caller(identity, json!({})), &room(room_name))
                .is_ok()
        })
        .collect()
}

fn sub_glob() -> impl Strategy<Value = String> {
    ("[ab:-]{0,3}", prop::option::of(("[:-]", "[ab:*?-]{0,3}"))).prop_map(|(prefix, after)| {
        match after {
            Some((delimiter, tail)) => format!("{prefix}{{sub}}{delimiter}{tail}"),
            None => format!("{prefix}{{sub}}"),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever `{sub}` globs a policy holds, no room is ever given to two identities,
    /// identities sharing prefixes and holding delimiters included.
    #[test]
    fn no_room_is_given_to_two_identities(
        globs in prop::collection::vec(sub_glob(), 1..4),
        room_name in "[ab:-]{0,8}",
    ) {
        let rooms = globs.iter().map(|glob| format!("{glob:?}")).collect::<Vec<_>>();
        let policy = TokenPolicy::from_toml(&format!("[[rule]]\nrooms = [{}]", rooms.join(", ")))
            .expect("valid globs");
        let admitted = admitted(&policy, &room_name);
        prop_assert!(admitted.len() <= 1, "{globs:?} give {room_name:?} to {admitted:?}");
    }

    /// And the oracle's control: a lone glob gives an identity without a delimiter the
    /// room it names for it.
    #[test]
    fn a_lone_glob_gives_each_identity_its_own_rooms(
        glob in sub_glob(),
        identity in "[ab]{1,3}",
    ) {
        let policy = TokenPolicy::from_toml(&format!("[[rule]]\nrooms = [{glob:?}]"))
            .expect("valid glob");
        let room_name = glob.replace("{sub}", &identity).replace('*', "").replace('?', "a");
        prop_assert_eq!(admitted(&policy, &room_name), vec![identity]);
    }

    /// Parsing any text as a glob, and matching any room with it, never panics.
    #[test]
    fn any_glob_and_room_are_handled(source in ".{0,24}", room_name in ".{0,24}", identity in ".{0,8}") {
        if let Ok(glob) = RoomGlob::parse(&source) {
            let _ = glob.matches(&room_name, &identity, &['-', ':']);
            let _ = glob.owner(&room_name, &['-', ':']);
        }
    }
}

#[test]
fn the_first_rule_that_matches_decides_the_grants() {
    let policy = TokenPolicy::from_toml(
        r#"
        [[rule]]
        claim = "groups"
        equals = "staff"
        rooms = ["*"]
        grants = "hidden"

        [[rule]]
        rooms = ["user-{sub}-*"]

        [[rule]]
        rooms = ["lobby"]
        grants = "viewer"
        update_own_metadata = true
        "#,
    )
    .expect("a valid policy");
    let alice = caller("alice", json!({"sub": "alice"}));
    let staff = caller("bob", json!({"sub": "bob", "groups": ["x", "staff"]}));
    assert_eq!(
        policy.judge(&alice, &room("user-alice-1")),
        Ok(GrantPreset::Publisher.into())
    );
    assert_eq!(
        policy.judge(&alice, &room("lobby")),
        Ok(Grants {
            preset: GrantPreset::Viewer,
            update_own_metadata: true
        })
    );
    assert_eq!(
        policy.judge(&alice, &room("user-bob-1")),
        Err(ContractError::RoomNotAllowed("room_name"))
    );
    assert_eq!(
        preset(policy.judge(&staff, &room("user-alice-1"))),
        Ok(GrantPreset::Hidden)
    );
    let string_claim = caller("carol", json!({"groups": "staff"}));
    assert_eq!(
        preset(policy.judge(&string_claim, &room("any"))),
        Ok(GrantPreset::Hidden)
    );
    let other_group = caller("dave", json!({"groups": ["staffers"]}));
    assert!(policy.judge(&other_group, &room("any")).is_err());
}

#[test]
fn identities_rooms_and_client_fields_are_judged() {
    let policy = TokenPolicy::from_toml(
        "max_metadata_bytes = 4\nmax_attributes_bytes = 0\n[[rule]]\nrooms = [\"*\"]",
    )
    .expect("valid");
    let alice = caller("alice", json!({}));
    let judge = |asked: Asked<'_>| policy.judge(&alice, &asked);
    assert_eq!(
        judge(Asked {
            identity: Some("bob"),
            ..room("r")
        }),
        Err(ContractError::IdentityMismatch)
    );
    assert!(
        judge(Asked {
            identity: Some("alice"),
            ..room("r")
        })
        .is_ok()
    );
    assert_eq!(
        judge(Asked {
            room: None,
            ..room("r")
        }),
        Err(ContractError::Required("room_name"))
    );
    assert!(
        judge(Asked {
            metadata: Some("1234"),
            ..room("r")
        })
        .is_ok()
    );
    assert_eq!(
        judge(Asked {
            metadata: Some("12345"),
            ..room("r")
        }),
        Err(ContractError::OverPolicyCap("participant_metadata", 4))
    );
    assert_eq!(
        judge(Asked {
            attributes_bytes: Some(1),
            ..room("r")
        }),
        Err(ContractError::FieldNotAllowed("participant_attributes"))
    );
    let generating =
        TokenPolicy::from_toml("generate_room_names = true\n[[rule]]\nrooms = [\"*\"]")
            .expect("valid");
    assert!(
        generating
            .judge(
                &alice,
                &Asked {
                    room: None,
                    ..room("r")
                }
            )
            .is_ok()
    );
}

/// Issue 27: a viewer-only rule's callers dispatched the allowed agent 500 times, with
/// 15 KB of agent metadata. Dispatch is now per rule, counted and capped.
#[test]
fn agents_are_dispatched_only_by_their_rules_counted_and_capped() {
    let policy = TokenPolicy::from_toml(
        r#"
        max_metadata_bytes = 8
        [[rule]]
        rooms = ["studio-*"]
        agents = ["assistant"]
        [[rule]]
        rooms = ["*"]
        grants = "viewer"
        "#,
    )
    .expect("valid");
    assert!(policy.allows_room_config());
    let alice = caller("alice", json!({}));
    let dispatch = |room_name: &str, config: Value| {
        policy.judge(
            &alice,
            &Asked {
                room_config: Some(&config),
                ..room(room_name)
            },
        )
    };
    let one = json!({"agents": [{"agentName": "assistant", "metadata": "{}"}]});
    assert!(dispatch("studio-1", one.clone()).is_ok());
    assert!(dispatch("studio-1", json!({"agents": []})).is_ok());
    assert!(dispatch("studio-1", json!({})).is_ok());
    assert_eq!(dispatch("lobby", one), Err(ContractError::AgentNotAllowed));
    let many = json!({"agents": vec![json!({"agentName": "assistant"}); 500]});
    assert_eq!(
        dispatch("studio-1", many),
        Err(ContractError::TooManyAgents(1))
    );
    let heavy = json!({"agents": [{"agentName": "assistant", "metadata": "x".repeat(15_000)}]});
    assert_eq!(
        dispatch("studio-1", heavy),
        Err(ContractError::OverPolicyCap(
            "room_config agent metadata",
            8
        ))
    );
    for config in [
        json!({"agents": [{"agentName": "other"}]}),
        json!({"agents": [{"agentName": "assistant"}], "emptyTimeout": 1}),
        json!({"agents": [{}]}),
        json!({"agents": "assistant"}),
        json!({"agents": [{"agentName": "assistant", "metadata": 1}]}),
        json!("agents"),
    ] {
        assert_eq!(
            dispatch("studio-1", config.clone()),
            Err(ContractError::AgentNotAllowed),
            "{config}"
        );
    }
    let without = TokenPolicy::from_toml("[[rule]]\nrooms = [\"*\"]").expect("valid");
    assert!(!without.allows_room_config());
}

#[test]
fn invalid_policies_are_refused_with_one_line() {
    for text in [
        "",
        "# only a comment\n",
        "max_agents = 2",
        "[[rule]]\nrooms = []",
        "rule = []",
        "[[rule]]\nclaim = \"groups\"\nrooms = [\"*\"]",
        "[[rule]]\nrooms = [\"*\"]\ngrants = \"admin\"",
        "[[rule]]\nrooms = [\"{room}\"]",
        "[[rule]]\nrooms = [\"*-{sub}\"]",
        "[[rule]]\nrooms = [\"*\"]\nagents = [\"\"]",
        "allowed_agents = [\"assistant\"]\n[[rule]]\nrooms = [\"*\"]",
        "unknown = 1",
        "max_metadata_bytes = -1",
        "not toml",
    ] {
        let err = TokenPolicy::from_toml(text).expect_err(text);
        assert!(!err.contains('\n') && !err.is_empty(), "{text}: {err}");
    }
    let err = TokenPolicy::from_toml("").expect_err("no rule");
    assert!(err.contains("rooms = [\"*\"]"), "{err}");
}

#[test]
fn client_fields_are_capped_by_default_at_the_documented_size() {
    let policy = TokenPolicy::from_toml("[[rule]]\nrooms = [\"*\"]").expect("valid");
    let alice = caller("alice", json!({}));
    let at_cap = "m".repeat(DEFAULT_CLIENT_FIELD_CAP_BYTES);
    let over = format!("{at_cap}m");
    for (metadata, attributes_bytes, allowed) in [
        (Some(at_cap.as_str()), None, true),
        (Some(over.as_str()), None, false),
        (None, Some(DEFAULT_CLIENT_FIELD_CAP_BYTES), true),
        (None, Some(DEFAULT_CLIENT_FIELD_CAP_BYTES + 1), false),
    ] {
        let asked = Asked {
            metadata,
            attributes_bytes,
            ..room("r")
        };
        assert_eq!(
            policy.judge(&alice, &asked).is_ok(),
            allowed,
            "{:?} {attributes_bytes:?}",
            metadata.map(str::len)
        );
    }
}

#[test]
fn room_config_is_allowed_only_where_a_rule_dispatches_agents() {
    for (toml, allowed) in [
        ("[[rule]]\nrooms = [\"*\"]", false),
        ("[[rule]]\nrooms = [\"*\"]\nagents = [\"helper\"]", true),
        (
            "max_agents = 0\n[[rule]]\nrooms = [\"*\"]\nagents = [\"helper\"]",
            false,
        ),
    ] {
        let policy = TokenPolicy::from_toml(toml).expect("valid");
        assert_eq!(policy.allows_room_config(), allowed, "{toml}");
    }
}

#[test]
fn a_rule_in_error_is_named_by_its_number_from_one() {
    let err = TokenPolicy::from_toml("[[rule]]\nrooms = [\"*\"]\n[[rule]]\nrooms = []")
        .expect_err("an empty rooms list");
    assert!(err.contains("rule 2: rooms is empty"), "{err}");
}

#[test]
fn a_cap_of_zero_refuses_a_field_but_not_an_empty_one() {
    let policy =
        TokenPolicy::from_toml("max_metadata_bytes = 0\n[[rule]]\nrooms = [\"*\"]").expect("valid");
    let alice = caller("alice", json!({}));
    let judge = |metadata| {
        policy.judge(
            &alice,
            &Asked {
                metadata: Some(metadata),
                ..room("r")
            },
        )
    };
    assert!(judge("").is_ok());
    assert_eq!(
        judge("x"),
        Err(ContractError::FieldNotAllowed("participant_metadata"))
    );
}
