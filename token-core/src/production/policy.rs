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

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::http::contract::ContractError;
use crate::production::caller_auth::Caller;
pub use crate::production::room_glob::RoomGlob;

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
