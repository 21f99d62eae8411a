//! The official servers' quirks, one `const` each, with where each behaviour comes from.
//! Sources: `/work/shared/reference/official-servers.md` and the notes beside it.
//!
//! - `probed.rs`: the seed, Python, Node and Rust, run and probed ([probed]).
//! - `from_source.rs`: Go, Java, .NET, PHP and Ruby, read from the tutorials' source at tag
//!   3.3.0 ([source]). Where the reference is silent, the framework's documented default is
//!   used and marked *default*: those are the values to check first if the real server
//!   disagrees.

use super::quirks::{Canned, ClaimDefaults, Claims, Grants, Reply, Shape};

mod from_source;
mod probed;

pub use from_source::{DOTNET, GO, JAVA, PHP, RUBY};
pub use probed::{NODE, PYTHON, RUST, SEED};

const JOIN_ONLY: Claims = Claims {
    header_typ: true,
    nbf_zero: false,
    grants: Grants::JoinOnly,
    defaults: ClaimDefaults::Omitted,
    name: false,
};

const JSON_REPLY: Reply = Reply {
    shape: Shape::Json,
    content_type: "application/json",
    per_field_messages: false,
};

/// An empty 200: a receiver that answers whatever happened.
const EMPTY_200: Canned = Canned::Text {
    status: 200,
    content_type: None,
    body: "",
};
