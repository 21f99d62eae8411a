//! `conformance explain ID`: one case, fully shown: its requirement, level, the defects a
//! miss shows and why each is harm or taste, its source, the profiles that run it, and the
//! exact request it sends.
//!
//! - `sources`: where each requirement comes from, by ID prefix.

mod sources;

use std::fmt::Write as _;

use clap::ValueEnum;

pub use sources::{SOURCES, source_of};

use crate::aliases::resolve;
use crate::case::{Body, Case, Check, Request, WebhookAuth};
use crate::harm::Defect;
use crate::production::CallerCase;
use crate::profile::Profile;

/// The case `id` (or the case an old ID was renamed to), explained; `Err` names an unknown
/// ID with the closest ones.
pub fn explain(id: &str) -> Result<String, String> {
    let (current, alias) = resolve(id);
    let mut out = String::new();
    if let Some(alias) = alias {
        let _ = writeln!(out, "note: {}\n", alias.note());
    }
    if let Some(case) = crate::cases::CASES.iter().find(|case| case.id == current) {
        http_case(&mut out, case);
    } else if let Some(case) = crate::production::caller_cases().find(|case| case.id == current) {
        caller_case(&mut out, case);
    } else if let Some((id, requirement)) = crate::browser::CHECKS
        .iter()
        .find(|(check, _)| *check == current)
    {
        header(&mut out, id, requirement, &[Defect::CorsBlocked]);
        let _ = writeln!(out, "Profiles: any, with --browser");
        let _ = writeln!(
            out,
            "Sends: from a page on another origin in headless Chromium, a preflighted fetch \
             (see `conformance/src/browser/page.html`)."
        );
    } else if current == crate::replicas::ID {
        header(
            &mut out,
            crate::replicas::ID,
            crate::replicas::REQUIREMENT,
            &[Defect::LimitsPerReplica],
        );
        let _ = writeln!(out, "Profiles: any, with several --url (one per replica)");
        let _ = writeln!(
            out,
            "Sends: the profile's token request (POST /token, with a caller's token in \
             production; POST /livekit/token with livekit-endpoint) to the first replica until \
             an answer carries RateLimit-Policy (at most {}), waits one window, then the quota \
             plus 10 of them, round robin over the replicas.",
            crate::replicas::LEARNING_CAP
        );
    } else {
        return Err(unknown(current));
    }
    Ok(out)
}

/// The first lines of every case: ID, requirement, level, defects with their harm, source.
fn header(out: &mut String, id: &str, requirement: &str, defects: &[Defect]) {
    let level = defects
        .iter()
        .map(|defect| defect.level())
        .max()
        .unwrap_or(crate::harm::Level::Must);
    let _ = writeln!(out, "{id}\n");
    let _ = writeln!(out, "Requirement: {requirement}");
    let _ = writeln!(
        out,
        "Level: {} (a miss is a {})",
        level.as_str(),
        match level {
            crate::harm::Level::Must => "FAIL",
            crate::harm::Level::Should => "WARN",
        }
    );
    let _ = writeln!(out, "What a miss shows, and why it matters:");
    let server_error = [Defect::ServerError];
    let all = defects.iter().chain(
        server_error
            .iter()
            .filter(|defect| !defects.contains(defect)),
    );
    for defect in all {
        let _ = writeln!(
            out,
            "  {} {}: {} ({})",
            defect.level().as_str(),
            defect.id(),
            defect.summary(),
            defect.why()
        );
    }
    let _ = writeln!(
        out,
        "Source: {}",
        source_of(id).unwrap_or("this contract (docs/contract.md)")
    );
}

fn http_case(out: &mut String, case: &Case) {
    let mut defects: Vec<Defect> = case.defects().collect();
    defects.sort();
    defects.dedup();
    header(out, case.id, case.requirement, &defects);
    let profiles: Vec<&str> = Profile::value_variants()
        .iter()
        .filter(|profile| profile.why_not(case).is_none())
        .map(|profile| profile.name())
        .collect();
    let _ = writeln!(out, "Profiles: {}", profiles.join(", "));
    if let Some(why) = case
        .needs
        .unmet(&crate::server_under_test::ServerUnderTest::new(""))
    {
        let _ = writeln!(out, "Applies to: not the default server ({why})");
    }
    match case.check {
        Check::Exchange { request, expect } => {
            let _ = writeln!(out, "Sends:");
            request_text(out, &request);
            let _ = writeln!(out, "Expects: {expect:?}");
        }
        Check::Scenario(scenario) => {
            let _ = writeln!(
                out,
                "Sends: the {scenario:?} scenario, on raw connections (conformance/src/scenario.rs)"
            );
        }
    }
}

fn caller_case(out: &mut String, case: &CallerCase) {
    header(out, case.id, case.requirement, &[case.defect]);
    let _ = writeln!(
        out,
        "Profiles: production (the suite plays the identity provider)"
    );
    match case.check {
        crate::production::CallerCheck::Exchange { request, expect } => {
            let _ = writeln!(out, "Sends:");
            for line in crate::production::request_text(&request).lines() {
                let _ = writeln!(out, "{}", format!("  {line}").trim_end());
            }
            let _ = writeln!(out, "Expects: {expect:?}");
        }
        crate::production::CallerCheck::Scenario(scenario) => {
            let _ = writeln!(out, "Sends: the {scenario:?} scenario");
        }
    }
}

/// The request as it goes out; what is made at sending time (a signature, padding) is
/// described in angle brackets.
fn request_text(out: &mut String, request: &Request) {
    let _ = writeln!(out, "  {} {} HTTP/1.1", request.method, request.path);
    for (name, value) in request.headers {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let body = match request.body {
        Body::Empty => None,
        Body::Bytes(bytes) => Some(escaped(bytes)),
        Body::Chunked(bytes) => {
            let _ = writeln!(out, "  transfer-encoding: chunked");
            Some(format!("{} <in 16-byte chunks>", escaped(bytes)))
        }
        Body::Padded { len, chunked } => {
            if chunked {
                let _ = writeln!(out, "  transfer-encoding: chunked");
            }
            Some(format!(
                "<a valid request for room1/alice padded to exactly {len} bytes>"
            ))
        }
        Body::Webhook {
            event,
            auth,
            pad_to,
        } => {
            let _ = writeln!(out, "  content-type: application/webhook+json");
            match auth {
                WebhookAuth::Missing => {}
                WebhookAuth::Literal(value) => {
                    let _ = writeln!(out, "  authorization: {value}");
                }
                WebhookAuth::Signed { signer, flaw } => {
                    let _ = writeln!(
                        out,
                        "  authorization: <a webhook token signed when sent, by {signer:?}, flaw: {flaw:?}>"
                    );
                }
            }
            let padding = if pad_to > 0 {
                format!(" <padded with whitespace to {pad_to} bytes>")
            } else {
                String::new()
            };
            Some(format!("{}{padding}", escaped(event)))
        }
    };
    if let Some(body) = body {
        let _ = writeln!(out, "\n  {body}");
    }
}

/// Bytes as text, control characters escaped; bytes that are not UTF-8 escaped too.
fn escaped(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text
            .chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect(),
        Err(_) => format!("<{} bytes: {}>", bytes.len(), bytes.escape_ascii()),
    }
}

/// The message for an unknown ID: the IDs sharing its area, or how to list them.
fn unknown(id: &str) -> String {
    let area = id.split('/').next().unwrap_or(id);
    let near: Vec<&str> = crate::catalogue::case_ids()
        .filter(|candidate| candidate.starts_with(&format!("{area}/")))
        .take(8)
        .collect();
    if near.is_empty() {
        format!("no case {id:?} (conformance --list shows them)")
    } else {
        format!("no case {id:?}; in {area}/: {}, ...", near.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of every profile explains, with its source and the defects a miss shows.
    #[test]
    fn every_case_explains_with_a_source() {
        for id in crate::catalogue::case_ids() {
            let text = explain(id).unwrap_or_else(|err| panic!("{err}"));
            assert!(text.starts_with(&format!("{id}\n")), "{text}");
            assert!(source_of(id).is_some(), "{id} has no source");
            assert!(text.contains("Source: "), "{text}");
            assert!(text.contains("server-error"), "{text}");
        }
    }

    #[test]
    fn every_source_prefix_names_a_case() {
        for (prefix, _) in SOURCES {
            let any = crate::catalogue::case_ids().any(|id| id.starts_with(prefix));
            assert!(any, "{prefix} matches no case");
        }
    }

    #[test]
    fn a_request_is_shown_as_sent() {
        let text = explain("token/valid").unwrap_or_default();
        assert!(
            text.contains(
                "  POST /token HTTP/1.1\n  content-type: application/json\n\n  {\"roomName\":\"room1\",\"participantName\":\"alice\"}\n"
            ),
            "{text}"
        );
        assert!(text.contains("Level: MUST (a miss is a FAIL)"), "{text}");
        assert!(text.contains("refuses-client-request"), "{text}");
        assert!(
            text.contains("Profiles: full, openvidu-basic, openvidu-v3\n"),
            "{text}"
        );
    }

    #[test]
    fn an_old_id_explains_its_new_case_and_an_unknown_one_is_refused() {
        for alias in crate::aliases::ALIASES {
            let text = explain(alias.old).unwrap_or_default();
            assert!(text.starts_with("note: "), "{text}");
            assert!(text.contains(&format!("\n{}\n", alias.new)), "{text}");
        }
        let err = explain("token/nope").expect_err("no such case");
        assert!(err.contains("token/valid"), "{err}");
    }
}
