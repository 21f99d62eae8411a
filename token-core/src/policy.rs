//! Production mode's policy: which rooms an authenticated caller may join, with which grants,
//! and what its client may set in the token. Decided here, from the verified caller, so every
//! backend answers alike.
//!
//! The rules come from a small TOML file (`TOKEN_POLICY_FILE`), validated at start-up:
//!
//! ```toml
//! allowed_agents = ["assistant"]     # room_config may dispatch these agents only
//! max_metadata_bytes = 1024          # 0 refuses participant_metadata
//! max_attributes_bytes = 1024        # 0 refuses participant_attributes
//! generate_room_names = false        # a request without a room gets 400
//!
//! [[rule]]                           # members of staff: any room
//! claim = "groups"
//! equals = "staff"
//! rooms = ["*"]
//!
//! [[rule]]                           # everyone: their own rooms, as viewers elsewhere
//! rooms = ["user-{sub}-*"]
//! ```
//!
//! The first rule whose claim matches and one of whose room globs matches the room decides
//! the grants; no such rule is a 403. Without a file every caller may join any room as a
//! publisher.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::caller_auth::Caller;
use crate::contract::ContractError;

/// The default cap on `participant_metadata` and on `participant_attributes`, in bytes.
pub const DEFAULT_CLIENT_FIELD_CAP_BYTES: usize = 1024;

/// What a room's token lets its participant do: the presets a rule chooses from. None ever
/// grants `roomAdmin`, `roomCreate`, `roomList`, `roomRecord`, `ingressAdmin`, `recorder`
/// or `agent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantPreset {
    /// Join, publish, subscribe and send data: LiveKit's defaults, as tutorial tokens.
    #[default]
    Publisher,
    /// Join and subscribe only.
    Viewer,
    /// Join and subscribe, unseen by the other participants.
    Hidden,
}

impl GrantPreset {
    /// The preset's name in the policy file and the logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Publisher => "publisher",
            Self::Viewer => "viewer",
            Self::Hidden => "hidden",
        }
    }
}

/// One rule: callers it applies to, the rooms they may join under it, the grants there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomRule {
    /// A claim the caller's token must carry for the rule to apply; every caller without.
    #[serde(default)]
    claim: Option<String>,
    /// The value the claim must be, or contain when it is an array.
    #[serde(default)]
    equals: Option<String>,
    /// Room-name globs: `*` any run of characters, `?` one, `{sub}` the caller's identity.
    rooms: Vec<RoomGlob>,
    /// The grants in the rooms it matches.
    #[serde(default)]
    grants: GrantPreset,
}

impl RoomRule {
    fn applies_to(&self, caller: &Caller) -> bool {
        let (Some(claim), Some(expected)) = (&self.claim, &self.equals) else {
            return true;
        };
        match caller.claims.get(claim) {
            Some(Value::String(value)) => value == expected,
            Some(Value::Array(values)) => values.iter().any(|value| value == expected.as_str()),
            _ => false,
        }
    }
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPolicy {
    /// The rules, in order; the first that matches decides.
    #[serde(default = "TokenPolicy::default_rules", rename = "rule")]
    rules: Vec<RoomRule>,
    /// The agents `room_config` may dispatch; empty refuses `room_config`.
    #[serde(default)]
    allowed_agents: Vec<String>,
    /// The longest `participant_metadata`; 0 refuses it.
    #[serde(default = "TokenPolicy::default_cap")]
    max_metadata_bytes: usize,
    /// The most bytes of `participant_attributes`, keys and values together; 0 refuses them.
    #[serde(default = "TokenPolicy::default_cap")]
    max_attributes_bytes: usize,
    /// Whether a standard endpoint request without a room gets a generated one (else 400).
    #[serde(default)]
    generate_room_names: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            rules: Self::default_rules(),
            allowed_agents: Vec::new(),
            max_metadata_bytes: DEFAULT_CLIENT_FIELD_CAP_BYTES,
            max_attributes_bytes: DEFAULT_CLIENT_FIELD_CAP_BYTES,
            generate_room_names: false,
        }
    }
}

/// The fields of a request that the policy judges.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    /// The room, as the request names it (`None`: generated).
    pub room: Option<&'a str>,
    /// The field the room came in, for messages.
    pub room_field: &'static str,
    /// `participant_identity`, when set.
    pub identity: Option<&'a str>,
    /// `participant_metadata`, when set.
    pub metadata: Option<&'a str>,
    /// The bytes of `participant_attributes`, when set.
    pub attributes_bytes: Option<usize>,
    /// `room_config`, camelCase, when set.
    pub room_config: Option<&'a Value>,
}

impl TokenPolicy {
    fn default_rules() -> Vec<RoomRule> {
        vec![RoomRule {
            claim: None,
            equals: None,
            rooms: vec![RoomGlob {
                source: "*".to_owned(),
                parts: vec![GlobPart::AnyRun],
            }],
            grants: GrantPreset::Publisher,
        }]
    }

    fn default_cap() -> usize {
        DEFAULT_CLIENT_FIELD_CAP_BYTES
    }

    /// Reads and validates a policy file; the error names the file and what is wrong.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read TOKEN_POLICY_FILE {}: {err}", path.display()))?;
        Self::from_toml(&text).map_err(|err| format!("TOKEN_POLICY_FILE {}: {err}", path.display()))
    }

    /// Parses and validates a policy; the error is one line.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let policy: Self = toml::from_str(text).map_err(|err| {
            // toml's message spans lines with a caret drawing; the first line says it.
            let message = err.message().to_owned();
            match err.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!("line {line}: {message}")
                }
                None => message,
            }
        })?;
        policy.check()?;
        Ok(policy)
    }

    fn check(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err("no [[rule]]: nobody could join any room".to_owned());
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let number = index + 1;
            if rule.claim.is_some() != rule.equals.is_some() {
                return Err(format!("rule {number}: claim and equals go together"));
            }
            if rule.rooms.is_empty() {
                return Err(format!("rule {number}: rooms is empty"));
            }
        }
        if self.allowed_agents.iter().any(String::is_empty) {
            return Err("allowed_agents: an agent name is empty".to_owned());
        }
        Ok(())
    }

    /// Whether `room_config` may be set at all.
    pub fn allows_room_config(&self) -> bool {
        !self.allowed_agents.is_empty()
    }

    /// Judges a request from `caller`: the grants it gets, or the refusal.
    ///
    /// In order: the identity asked for must be the caller's; the room must be named unless
    /// names are generated, and a rule must let the caller join it; metadata and attributes
    /// must be within their caps; `room_config` may only dispatch allowed agents.
    pub fn judge(&self, caller: &Caller, asked: &Asked<'_>) -> Result<GrantPreset, ContractError> {
        if asked
            .identity
            .is_some_and(|identity| !identity.is_empty() && identity != caller.identity)
        {
            return Err(ContractError::IdentityMismatch);
        }
        let grants = match asked.room.filter(|room| !room.is_empty()) {
            Some(room) => self
                .rules
                .iter()
                .find(|rule| {
                    rule.applies_to(caller)
                        && rule
                            .rooms
                            .iter()
                            .any(|glob| glob.matches(room, &caller.identity))
                })
                .map(|rule| rule.grants)
                .ok_or(ContractError::RoomNotAllowed(asked.room_field))?,
            None if self.generate_room_names => self
                .rules
                .iter()
                .find(|rule| rule.applies_to(caller))
                .map(|rule| rule.grants)
                .ok_or(ContractError::RoomNotAllowed(asked.room_field))?,
            None => return Err(ContractError::Required(asked.room_field)),
        };
        for (field, bytes, cap) in [
            (
                "participant_metadata",
                asked.metadata.map(str::len),
                self.max_metadata_bytes,
            ),
            (
                "participant_attributes",
                asked.attributes_bytes,
                self.max_attributes_bytes,
            ),
        ] {
            match bytes {
                Some(bytes) if cap == 0 && bytes > 0 => {
                    return Err(ContractError::FieldNotAllowed(field));
                }
                Some(bytes) if bytes > cap => {
                    return Err(ContractError::OverPolicyCap(field, cap));
                }
                _ => {}
            }
        }
        if let Some(config) = asked.room_config
            && !self.dispatches_only_allowed_agents(config)
        {
            return Err(ContractError::AgentNotAllowed);
        }
        Ok(grants)
    }

    /// Whether a camelCase `RoomConfiguration` holds nothing but `agents`, each naming an
    /// allowed agent: any other setting (timeouts, egress, ...) is the operator's, not a
    /// client's.
    fn dispatches_only_allowed_agents(&self, config: &Value) -> bool {
        let Some(config) = config.as_object() else {
            return false;
        };
        config.iter().all(|(key, value)| {
            key == "agents"
                && value.as_array().is_some_and(|agents| {
                    agents.iter().all(|agent| {
                        agent.as_object().is_some_and(|agent| {
                            agent
                                .keys()
                                .all(|key| key == "agentName" || key == "metadata")
                                && agent.get("agentName").and_then(Value::as_str).is_some_and(
                                    |name| {
                                        self.allowed_agents.iter().any(|allowed| allowed == name)
                                    },
                                )
                        })
                    })
                })
        })
    }
}

/// A room-name glob. Hand-written rather than `globset`: room names are not paths (`*` must
/// cross `/`), and `{sub}` must stand for the caller's identity taken literally, whatever
/// characters it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomGlob {
    source: String,
    parts: Vec<GlobPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobPart {
    Literal(char),
    AnyRun,
    AnyOne,
    Identity,
}

impl RoomGlob {
    /// Parses a glob; `{` is only ever the start of `{sub}`.
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("a room glob is empty".to_owned());
        }
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{sub}") {
                parts.push(GlobPart::Identity);
                rest = after;
                continue;
            }
            parts.push(match c {
                '*' => GlobPart::AnyRun,
                '?' => GlobPart::AnyOne,
                '{' | '}' => {
                    return Err(format!(
                        "room glob {source:?}: the only placeholder is {{sub}}"
                    ));
                }
                c => GlobPart::Literal(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// Whether `room` matches, `{sub}` standing for `identity`.
    pub fn matches(&self, room: &str, identity: &str) -> bool {
        // `{sub}` expands to literal characters, so a `*` in an identity matches only `*`.
        let mut pattern = Vec::with_capacity(self.parts.len() + identity.len());
        for part in &self.parts {
            match part {
                GlobPart::Identity => pattern.extend(identity.chars().map(GlobPart::Literal)),
                other => pattern.push(other.clone()),
            }
        }
        let text: Vec<char> = room.chars().collect();
        // The classic linear-backtracking wildcard match: on a mismatch, retry from the last
        // `*` with it taking one more character.
        let (mut p, mut t) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(GlobPart::AnyRun) => {
                    last_star = Some((p, t));
                    p += 1;
                }
                Some(GlobPart::AnyOne) => {
                    p += 1;
                    t += 1;
                }
                Some(GlobPart::Literal(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match last_star {
                    Some((star, taken)) => {
                        last_star = Some((star, taken + 1));
                        p = star + 1;
                        t = taken + 1;
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|part| *part == GlobPart::AnyRun)
    }
}

impl fmt::Debug for RoomGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomGlob({:?})", self.source)
    }
}

impl<'de> Deserialize<'de> for RoomGlob {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        Self::parse(&source).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn globs_match_any_run_one_character_and_the_identity_literally() {
        let glob = |source: &str| RoomGlob::parse(source).expect("a glob");
        assert!(glob("*").matches("", "a"));
        assert!(glob("*").matches("any/room name", "a"));
        assert!(glob("user-{sub}-*").matches("user-alice-1", "alice"));
        assert!(glob("user-{sub}-*").matches("user-alice-", "alice"));
        assert!(!glob("user-{sub}-*").matches("user-bob-1", "alice"));
        assert!(!glob("user-{sub}-*").matches("user-alice", "alice"));
        // An identity's own wildcards are literal.
        assert!(!glob("user-{sub}").matches("user-anything", "*"));
        assert!(glob("user-{sub}").matches("user-*", "*"));
        assert!(glob("a?c").matches("abc", "x"));
        assert!(!glob("a?c").matches("ac", "x"));
        assert!(glob("*b*b*").matches("abxxbyy", "x"));
        assert!(!glob("*b*b*").matches("abxx", "x"));
        assert!(glob("é*ü").matches("éaü", "x"));
        assert!(RoomGlob::parse("room-{id}").is_err());
        assert!(RoomGlob::parse("").is_err());
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
            "#,
        )
        .expect("a valid policy");
        let alice = caller("alice", json!({"sub": "alice"}));
        let staff = caller("bob", json!({"sub": "bob", "groups": ["x", "staff"]}));
        assert_eq!(
            policy.judge(&alice, &room("user-alice-1")),
            Ok(GrantPreset::Publisher)
        );
        assert_eq!(
            policy.judge(&alice, &room("lobby")),
            Ok(GrantPreset::Viewer)
        );
        assert_eq!(
            policy.judge(&alice, &room("user-bob-1")),
            Err(ContractError::RoomNotAllowed("room_name"))
        );
        assert_eq!(
            policy.judge(&staff, &room("user-alice-1")),
            Ok(GrantPreset::Hidden)
        );
        let string_claim = caller("carol", json!({"groups": "staff"}));
        assert_eq!(
            policy.judge(&string_claim, &room("any")),
            Ok(GrantPreset::Hidden)
        );
        let other_group = caller("dave", json!({"groups": ["staffers"]}));
        assert!(policy.judge(&other_group, &room("any")).is_err());
    }

    #[test]
    fn identities_rooms_and_client_fields_are_judged() {
        let policy = TokenPolicy::from_toml(
            "allowed_agents = [\"assistant\"]\nmax_metadata_bytes = 4\nmax_attributes_bytes = 0",
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
        let dispatch = json!({"agents": [{"agentName": "assistant", "metadata": "{}"}]});
        assert!(
            judge(Asked {
                room_config: Some(&dispatch),
                ..room("r")
            })
            .is_ok()
        );
        for config in [
            json!({"agents": [{"agentName": "other"}]}),
            json!({"agents": [{"agentName": "assistant"}], "emptyTimeout": 1}),
            json!({"agents": [{}]}),
            json!({"agents": "assistant"}),
        ] {
            assert_eq!(
                judge(Asked {
                    room_config: Some(&config),
                    ..room("r")
                }),
                Err(ContractError::AgentNotAllowed),
                "{config}"
            );
        }
        let generating = TokenPolicy::from_toml("generate_room_names = true").expect("valid");
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

    #[test]
    fn invalid_policies_are_refused_with_one_line() {
        for text in [
            "[[rule]]\nrooms = []",
            "rule = []",
            "[[rule]]\nclaim = \"groups\"\nrooms = [\"*\"]",
            "[[rule]]\nrooms = [\"*\"]\ngrants = \"admin\"",
            "[[rule]]\nrooms = [\"{room}\"]",
            "unknown = 1",
            "allowed_agents = [\"\"]",
            "max_metadata_bytes = -1",
            "not toml",
        ] {
            let err = TokenPolicy::from_toml(text).expect_err(text);
            assert!(!err.contains('\n') && !err.is_empty(), "{text}: {err}");
        }
        assert_eq!(TokenPolicy::from_toml(""), Ok(TokenPolicy::default()));
    }
}
