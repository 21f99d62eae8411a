//! Production mode's policy: which rooms an authenticated caller may join, with which grants,
//! and what its client may set in the token. Decided here, from the verified caller, so every
//! backend answers alike.
//!
//! The rules come from a small TOML file (`TOKEN_POLICY_FILE`), validated at start-up:
//!
//! ```toml
//! max_agents = 1                     # agents one token may dispatch
//! max_metadata_bytes = 1024          # 0 refuses participant_metadata (and agents' metadata)
//! max_attributes_bytes = 1024        # 0 refuses participant_attributes
//! generate_room_names = false        # a request without a room gets 400
//!
//! [[rule]]                           # members of staff: any room, with the assistant
//! claim = "groups"
//! equals = "staff"
//! rooms = ["*"]
//! agents = ["assistant"]
//!
//! [[rule]]                           # everyone: their own rooms
//! rooms = ["user:{sub}", "user:{sub}:*"]
//! ```
//!
//! The first rule whose claim matches and one of whose room globs matches the room decides
//! the grants; no such rule is a 403. A file without any rule is refused: "any caller, any
//! room" is a rule to write (`rooms = ["*"]`).
//!
//! `{sub}` stands for the caller's identity. So that no identity can ever match a room a
//! `{sub}` glob gives to another identity, `{sub}` comes after a fixed prefix (no wildcard
//! before it) and before the glob's end or a delimiter (ASCII punctuation: `user:{sub}:*`);
//! an identity holding any of the policy's delimiters matches no `{sub}` glob, and a room
//! that any `{sub}` glob gives to one identity is given by none to another.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::http::contract::ContractError;
use crate::production::caller_auth::Caller;

/// The default cap on `participant_metadata` and on `participant_attributes`, in bytes.
pub const DEFAULT_CLIENT_FIELD_CAP_BYTES: usize = 1024;
/// The default number of agents one token's `room_config` may dispatch.
pub const DEFAULT_MAX_AGENTS: usize = 1;

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

/// The grants a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grants {
    /// What the participant may do in the room.
    pub preset: GrantPreset,
    /// `canUpdateOwnMetadata`: the participant may change its own name, metadata and
    /// attributes after joining, beyond any cap of this policy.
    pub update_own_metadata: bool,
}

impl From<GrantPreset> for Grants {
    fn from(preset: GrantPreset) -> Self {
        Self {
            preset,
            update_own_metadata: false,
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
    /// The agents its callers' `room_config` may dispatch; none by default.
    #[serde(default)]
    agents: Vec<String>,
    /// Whether its tokens carry `canUpdateOwnMetadata`; not by default.
    #[serde(default)]
    update_own_metadata: bool,
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

    fn grants(&self) -> Grants {
        Grants {
            preset: self.grants,
            update_own_metadata: self.update_own_metadata,
        }
    }
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPolicy {
    /// The rules, in order; the first that matches decides.
    #[serde(default, rename = "rule")]
    rules: Vec<RoomRule>,
    /// The most agents one token may dispatch.
    #[serde(default = "TokenPolicy::default_max_agents")]
    max_agents: usize,
    /// The longest `participant_metadata`, and agent's metadata; 0 refuses them.
    #[serde(default = "TokenPolicy::default_cap")]
    max_metadata_bytes: usize,
    /// The most bytes of `participant_attributes`, keys and values together; 0 refuses them.
    #[serde(default = "TokenPolicy::default_cap")]
    max_attributes_bytes: usize,
    /// Whether a standard endpoint request without a room gets a generated one (else 400).
    #[serde(default)]
    generate_room_names: bool,
    /// The characters that end `{sub}` in any glob: no identity holding one matches `{sub}`.
    #[serde(skip)]
    delimiters: Vec<char>,
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
    fn default_cap() -> usize {
        DEFAULT_CLIENT_FIELD_CAP_BYTES
    }

    fn default_max_agents() -> usize {
        DEFAULT_MAX_AGENTS
    }

    /// Reads and validates a policy file; the error names the file and what is wrong.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read TOKEN_POLICY_FILE {}: {err}", path.display()))?;
        Self::from_toml(&text).map_err(|err| format!("TOKEN_POLICY_FILE {}: {err}", path.display()))
    }

    /// Parses and validates a policy; the error is one line.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let mut policy: Self = toml::from_str(text).map_err(|err| {
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
        let mut delimiters: Vec<char> = policy
            .rules
            .iter()
            .flat_map(|rule| &rule.rooms)
            .filter_map(|glob| glob.delimiter)
            .collect();
        delimiters.sort_unstable();
        delimiters.dedup();
        policy.delimiters = delimiters;
        Ok(policy)
    }

    fn check(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err(
                "no [[rule]]: nobody could join any room (any caller in any room is \
                 [[rule]] rooms = [\"*\"])"
                    .to_owned(),
            );
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let number = index + 1;
            if rule.claim.is_some() != rule.equals.is_some() {
                return Err(format!("rule {number}: claim and equals go together"));
            }
            if rule.rooms.is_empty() {
                return Err(format!("rule {number}: rooms is empty"));
            }
            if rule.agents.iter().any(String::is_empty) {
                return Err(format!("rule {number}: an agent name is empty"));
            }
        }
        Ok(())
    }

    /// Whether `room_config` may be set at all: some rule dispatches agents.
    pub fn allows_room_config(&self) -> bool {
        self.max_agents > 0 && self.rules.iter().any(|rule| !rule.agents.is_empty())
    }

    /// Judges a request from `caller`: the grants it gets, or the refusal.
    ///
    /// In order: the identity asked for must be the caller's; the room must be named unless
    /// names are generated, and a rule must let the caller join it; metadata and attributes
    /// must be within their caps; `room_config` may only dispatch the deciding rule's agents,
    /// at most `max_agents` of them, their metadata within the cap.
    pub fn judge(&self, caller: &Caller, asked: &Asked<'_>) -> Result<Grants, ContractError> {
        if asked
            .identity
            .is_some_and(|identity| !identity.is_empty() && identity != caller.identity)
        {
            return Err(ContractError::IdentityMismatch);
        }
        let rule = match asked.room.filter(|room| !room.is_empty()) {
            Some(room) => self.rule_for(caller, room),
            None if self.generate_room_names => {
                self.rules.iter().find(|rule| rule.applies_to(caller))
            }
            None => return Err(ContractError::Required(asked.room_field)),
        }
        .ok_or(ContractError::RoomNotAllowed(asked.room_field))?;
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
            check_cap(field, bytes, cap)?;
        }
        if let Some(config) = asked.room_config {
            self.check_dispatch(rule, config)?;
        }
        Ok(rule.grants())
    }

    /// The first rule that lets `caller` join `room`.
    fn rule_for(&self, caller: &Caller, room: &str) -> Option<&RoomRule> {
        let identity = caller.identity.as_str();
        // A room any `{sub}` glob gives to another identity is that identity's alone.
        let owned_by_other = || {
            self.rules
                .iter()
                .flat_map(|rule| &rule.rooms)
                .filter_map(|glob| glob.owner(room, &self.delimiters))
                .any(|owner| owner != identity)
        };
        self.rules.iter().find(|rule| {
            rule.applies_to(caller)
                && rule.rooms.iter().any(|glob| {
                    glob.matches(room, identity, &self.delimiters)
                        && !(glob.has_identity() && owned_by_other())
                })
        })
    }

    /// Whether a camelCase `RoomConfiguration` holds nothing but `agents`, at most
    /// `max_agents`, each naming an agent `rule` dispatches, with metadata within the cap:
    /// any other setting (timeouts, egress, ...) is the operator's, not a client's.
    fn check_dispatch(&self, rule: &RoomRule, config: &Value) -> Result<(), ContractError> {
        let agents = config
            .as_object()
            .filter(|config| config.keys().all(|key| key == "agents"))
            .and_then(|config| match config.get("agents") {
                Some(agents) => agents.as_array().map(Vec::as_slice),
                None => Some(&[]),
            })
            .ok_or(ContractError::AgentNotAllowed)?;
        if agents.len() > self.max_agents {
            return Err(ContractError::TooManyAgents(self.max_agents));
        }
        for agent in agents {
            let agent = agent.as_object().ok_or(ContractError::AgentNotAllowed)?;
            let named = agent.get("agentName").and_then(Value::as_str);
            let allowed = agent
                .keys()
                .all(|key| key == "agentName" || key == "metadata")
                && named.is_some_and(|name| rule.agents.iter().any(|allowed| allowed == name));
            if !allowed {
                return Err(ContractError::AgentNotAllowed);
            }
            let metadata = match agent.get("metadata") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.len()),
                Some(_) => return Err(ContractError::AgentNotAllowed),
            };
            check_cap(
                "room_config agent metadata",
                metadata,
                self.max_metadata_bytes,
            )?;
        }
        Ok(())
    }
}

/// A client-set field within the policy's cap: 0 refuses it, past the cap is too long.
fn check_cap(field: &'static str, bytes: Option<usize>, cap: usize) -> Result<(), ContractError> {
    match bytes {
        Some(bytes) if cap == 0 && bytes > 0 => Err(ContractError::FieldNotAllowed(field)),
        Some(bytes) if bytes > cap => Err(ContractError::OverPolicyCap(field, cap)),
        _ => Ok(()),
    }
}

/// A room-name glob. Hand-written rather than `globset`: room names are not paths (`*` must
/// cross `/`), and `{sub}` must stand for the caller's identity taken literally, whatever
/// characters it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomGlob {
    source: String,
    parts: Vec<GlobPart>,
    /// With `{sub}`: the fixed text before it.
    prefix: Option<String>,
    /// With `{sub}`: the delimiter after it; `None` when it ends the glob.
    delimiter: Option<char>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobPart {
    Literal(char),
    AnyRun,
    AnyOne,
    Identity,
}

impl RoomGlob {
    /// Parses a glob; `{` is only ever the start of `{sub}`, which comes at most once, after
    /// fixed text and before the end or a delimiter (ASCII punctuation).
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("a room glob is empty".to_owned());
        }
        let invalid = |why: &str| format!("room glob {source:?}: {why}");
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
                '{' | '}' => return Err(invalid("the only placeholder is {sub}")),
                c => GlobPart::Literal(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        let (mut prefix, mut delimiter) = (None, None);
        if let Some(at) = parts.iter().position(|part| *part == GlobPart::Identity) {
            if parts[at + 1..].contains(&GlobPart::Identity) {
                return Err(invalid("{sub} may appear once"));
            }
            let before: Option<String> = parts[..at]
                .iter()
                .map(|part| match part {
                    GlobPart::Literal(c) => Some(*c),
                    _ => None,
                })
                .collect();
            prefix = Some(before.ok_or_else(|| {
                invalid(
                    "no wildcard may come before {sub}, or one identity could take another's rooms",
                )
            })?);
            delimiter = match parts.get(at + 1) {
                None => None,
                Some(GlobPart::Literal(c)) if c.is_ascii_punctuation() => Some(*c),
                Some(_) => {
                    return Err(invalid(
                        "{sub} must end the glob or be followed by a delimiter such as : or -, \
                         or one identity could take another's rooms",
                    ));
                }
            };
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
            prefix,
            delimiter,
        })
    }

    fn has_identity(&self) -> bool {
        self.prefix.is_some()
    }

    /// Whether `room` matches, `{sub}` standing for `identity`; an empty identity, or one
    /// holding any of the policy's `delimiters`, matches no `{sub}` glob.
    pub fn matches(&self, room: &str, identity: &str, delimiters: &[char]) -> bool {
        if self.has_identity() && (identity.is_empty() || identity.contains(delimiters)) {
            return false;
        }
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

    /// The one identity this `{sub}` glob gives `room` to, if any: the text after the fixed
    /// prefix up to the first delimiter, since an identity holds none.
    fn owner<'r>(&self, room: &'r str, delimiters: &[char]) -> Option<&'r str> {
        let rest = room.strip_prefix(self.prefix.as_deref()?)?;
        let identity = &rest[..rest.find(delimiters).unwrap_or(rest.len())];
        self.matches(room, identity, delimiters).then_some(identity)
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
    use proptest::prelude::*;
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
            TokenPolicy::from_toml("[[rule]]\nrooms = [\"u:{sub}:*\", \"u:x:{sub}\"]")
                .expect("valid");
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
}
