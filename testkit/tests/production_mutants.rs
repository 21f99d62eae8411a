//! The production profile is proven to catch a server that skips a check: each mutant is
//! our axum backend in production mode with one check of the core removed (token-core's
//! `fault-injection` feature, `--caller-fault`). The control, the same server with nothing
//! removed, must pass every production case without a WARN; every mutant must miss a
//! contract check (a case without an answer does not count) at the level its harm has: a
//! FAIL, or a WARN and no FAIL for those in [`CAUGHT_AT_SHOULD`].
//! Run: `cargo test -p testkit --test production_mutants`.

use conformance::harm::{Defect as Harm, Level};
use conformance::identity_provider::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, IdentityProvider};
use conformance::production::ALLOWED_ORIGIN;
use conformance::{Report, Selection};
use testkit::backends::BACKENDS;
use testkit::in_process::{production_settings, start};
use testkit::official::SHOWN_ONLY_IN_PRODUCTION;

/// A server configuration of the mutants: extra flags, and cases that do not apply to it.
struct Configuration {
    flags: &'static [&'static str],
    skip: &'static [&'static str],
}

/// The defaults.
const DEFAULTS: Configuration = Configuration {
    flags: &[],
    skip: &[],
};

/// PS256 allowed too: then only a JWK's own `alg` refuses PS256 under an RS256 key, and the
/// case that assumes the default allow-list does not apply.
const PS256_ALLOWED: Configuration = Configuration {
    flags: &["--caller-algorithms", "RS256,PS256,ES256,EdDSA"],
    skip: &["caller/forged/alg-not-allowed"],
};

/// Each removable check with the configuration that exposes it; `None` is a control.
const MUTANTS: &[(Option<&str>, &Configuration)] = &[
    (None, &DEFAULTS),
    (None, &PS256_ALLOWED),
    (Some("required-claims"), &DEFAULTS),
    (Some("issuer"), &DEFAULTS),
    (Some("audience"), &DEFAULTS),
    (Some("not-before"), &DEFAULTS),
    (Some("expiry"), &DEFAULTS),
    (Some("algorithm-allow-list"), &DEFAULTS),
    (Some("jwk-algorithm"), &PS256_ALLOWED),
    (Some("key-use"), &DEFAULTS),
    (Some("identity-match"), &DEFAULTS),
    (Some("origin-restriction"), &DEFAULTS),
    (Some("preflight-origin"), &DEFAULTS),
    (Some("reload-throttle"), &DEFAULTS),
    (Some("challenge"), &DEFAULTS),
];

/// Removed checks whose absence harms nobody, so the suite shows them as a WARN: without
/// the preflight's 403 the answer still names no other origin, and the browser blocks the
/// call all the same.
/// Without the challenge, clients still branch on the 401 itself.
const CAUGHT_AT_SHOULD: &[&str] = &["preflight-origin", "challenge"];

/// Whether `report` has a finding at MUST when levels are `level_of`'s.
fn fails_at(report: &Report, level_of: impl Fn(Harm) -> Level) -> bool {
    report.outcomes.iter().any(|outcome| {
        outcome
            .findings
            .iter()
            .any(|finding| level_of(finding.defect) == Level::Must)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_removed_check_is_caught_and_the_controls_pass() {
    let axum = BACKENDS
        .iter()
        .find(|backend| backend.name() == "axum")
        .expect("the axum backend");
    let runs = MUTANTS.iter().map(|(fault, configuration)| async move {
        // A provider each: the fetch counts are per server.
        let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
            .await
            .expect("the identity provider starts");
        let mut flags = vec!["--rate-limits", "off"];
        flags.extend(configuration.flags);
        if let Some(fault) = fault {
            flags.extend(["--caller-fault", fault]);
        }
        let settings = production_settings("json", &provider.jwks_url(), ALLOWED_ORIGIN, &flags);
        let server = start(axum, &settings);
        let selection = Selection {
            // Both wait up to 30 s for a reload and no removable check concerns them; the
            // six backends are judged on them in tests/production.rs.
            skip: ["caller/keys/rotation", "caller/keys/source-down"]
                .into_iter()
                .chain(configuration.skip.iter().copied())
                .map(str::to_owned)
                .collect(),
            ..Selection::default()
        };
        let report = conformance::production::run(&server.under_test, &provider, &selection)
            .await
            .expect("the server answers");
        (*fault, report)
    });
    let reports = futures_util::future::join_all(runs).await;
    for (fault, report) in &reports {
        let fault = *fault;
        let unanswered = report.unanswered_ids();
        assert!(
            unanswered.is_empty(),
            "{fault:?}: no answer to {unanswered:?}"
        );
        match fault {
            None => assert!(
                report.failed() == 0 && report.warned() == 0,
                "a control misses a case:\n{report}"
            ),
            Some(fault) if CAUGHT_AT_SHOULD.contains(&fault) => assert!(
                report.failed() == 0 && report.warned() > 0,
                "without its {fault} check the server must get a WARN and no FAIL:\n{report}"
            ),
            Some(fault) => assert!(
                report.failed() > 0,
                "without its {fault} check the server still passes:\n{report}"
            ),
        }
    }
    // A judge whose severity is mutated is caught: flipping the level of a defect only
    // production mode shows puts some mutant at the wrong level.
    for &flipped in SHOWN_ONLY_IN_PRODUCTION {
        let level_of = move |harm: Harm| match (harm == flipped, harm.level()) {
            (true, Level::Must) => Level::Should,
            (true, Level::Should) => Level::Must,
            (false, level) => level,
        };
        let still_right = reports.iter().all(|(fault, report)| {
            let at_should = fault.is_none_or(|fault| CAUGHT_AT_SHOULD.contains(&fault));
            at_should != fails_at(report, level_of)
        });
        assert!(
            !still_right,
            "{flipped:?} at the other level would go unnoticed"
        );
    }
}
