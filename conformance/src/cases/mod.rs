//! The contract, case by case. IDs are stable: rename one only with the contract's change.
//!
//! `conformance --list` prints this table; it is the reference for what a token server must do.
//! Each area's cases are in a file of their own, written with the constructors of `shapes.rs`;
//! [`CASES`] joins the areas in a fixed order, the order cases run and are listed in.

use crate::case::Case;

mod cors;
mod endpoint;
mod http;
mod shapes;
mod token;
mod webhook;

/// The one fixed error message.
pub const NAMES_REQUIRED: &str = "roomName and participantName are required";
/// The largest token request body the contract accepts.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The largest webhook body the contract accepts.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
/// The webhook path.
pub const WEBHOOK_PATH: &str = "/livekit/webhook";
/// The standard endpoint's path.
pub const SOURCE_PATH: &str = "/livekit/token";
/// The tutorials' token request for `room1`.
pub const TUTORIAL_BODY: &str = r#"{"roomName":"room1","participantName":"alice"}"#;

/// Every area's cases, in the order the areas run.
const AREAS: [&[Case]; 5] = [
    token::CASES,
    webhook::CASES,
    http::CASES,
    endpoint::CASES,
    cors::CASES,
];

/// Every case, in the order they run.
pub const CASES: &[Case] = &concat::<{ total(&AREAS) }>(&AREAS);

/// How many cases `areas` hold together.
const fn total(areas: &[&[Case]]) -> usize {
    let mut sum = 0;
    let mut area = 0;
    while area < areas.len() {
        sum += areas[area].len();
        area += 1;
    }
    sum
}

/// `areas` one after another, as one array of `N` cases, `N` being their total.
const fn concat<const N: usize>(areas: &[&[Case]]) -> [Case; N] {
    // `Case` has no default value: any case fills the array until each slot is overwritten.
    let mut all = [areas[0][0]; N];
    let mut at = 0;
    let mut area = 0;
    while area < areas.len() {
        let mut i = 0;
        while i < areas[area].len() {
            all[at] = areas[area][i];
            at += 1;
            i += 1;
        }
        area += 1;
    }
    assert!(at == N, "N is not the areas' total");
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for case in CASES {
            assert!(seen.insert(case.id), "duplicate id {}", case.id);
            let (area, name) = case.id.split_once('/').expect("area/name");
            assert!(
                ["token", "endpoint", "webhook", "http", "cors"].contains(&area),
                "{}",
                case.id
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                case.id
            );
            assert!(case.requirement.ends_with('.'), "{}", case.id);
        }
    }

    #[test]
    fn cases_are_the_areas_in_order() {
        // `Case` has no `PartialEq`; its debug form shows every field.
        let joined: Vec<String> = AREAS
            .iter()
            .flat_map(|area| area.iter())
            .map(|case| format!("{case:?}"))
            .collect();
        let all: Vec<String> = CASES.iter().map(|case| format!("{case:?}")).collect();
        assert_eq!(all, joined);
        for (area, name) in AREAS
            .iter()
            .zip(["token", "webhook", "http", "endpoint", "cors"])
        {
            assert!(!area.is_empty(), "{name}");
            for case in *area {
                let prefix = case.id.split_once('/').map(|(prefix, _)| prefix);
                assert_eq!(prefix, Some(name), "{} is not in {name}.rs", case.id);
            }
        }
    }
}
