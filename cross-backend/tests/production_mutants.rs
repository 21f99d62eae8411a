//! The production profile is proven to catch a server that skips a check the test can take
//! away from outside the core: each mutant is our axum backend in production mode with the
//! start-up refusal of LiveKit's development credentials undone (the settings changed after
//! they were checked), or with a webhook read before it is verified (a layer in front reads
//! it first). The control, the same server with nothing removed, must pass every production
//! case without a WARN; every mutant must miss a contract check (a case without an answer
//! does not count) at the level its harm has: a FAIL, or a WARN and no FAIL for those in
//! [`CAUGHT_AT_SHOULD`]. The core's own checks are mutated by `cargo mutants` against
//! token-core's tests (docs/testing.md); the judge's verdict on each caller case is tested
//! in `conformance`'s production judge.
//! Run: `cargo test -p cross-backend --test production_mutants`.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use conformance::harm::{Defect as Harm, Level};
use conformance::identity_provider::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, IdentityProvider};
use conformance::production::{ALLOWED_ORIGIN, DEV_API_KEY, DEV_API_SECRET};
use conformance::{Report, Selection};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{production_settings, serve_wrapped, start};
use official_emulations::SHOWN_ONLY_IN_PRODUCTION;
use token_core::livekit::keys::ApiSecret;
use token_core::livekit::keys::Credentials;

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

/// What a mutant removes from our server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removed {
    /// Nothing: a control.
    Nothing,
    /// The refusal of LiveKit's development credentials: it signs with `devkey`/`secret`.
    DevCredentialsRefusal,
    /// Verifying a webhook before reading its body.
    WebhookVerifiedFirst,
}

/// Each removable check with the configuration that exposes it.
const MUTANTS: &[(Removed, &Configuration)] = &[
    (Removed::Nothing, &DEFAULTS),
    (Removed::Nothing, &PS256_ALLOWED),
    (Removed::DevCredentialsRefusal, &DEFAULTS),
    (Removed::WebhookVerifiedFirst, &DEFAULTS),
];

/// Removed checks whose absence harms nobody, so the suite shows them as a WARN: a webhook
/// body read first is still bounded by the body limit.
const CAUGHT_AT_SHOULD: &[Removed] = &[Removed::WebhookVerifiedFirst];

/// Reads a webhook's whole body before the server sees the request: the server's own
/// check of its `Authorization` then comes after the body, whatever the core does.
async fn read_webhooks_first(request: Request, next: Next) -> Response {
    if request.uri().path() != "/livekit/webhook" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match to_bytes(body, 1024 * 1024).await {
        Ok(body) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

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
    let runs = MUTANTS.iter().map(|(removed, configuration)| async move {
        // A provider each: the fetch counts are per server.
        let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
            .await
            .expect("the identity provider starts");
        let mut flags = vec!["--rate-limits", "off"];
        flags.extend(configuration.flags);
        let mut settings =
            production_settings("json", &provider.jwks_url(), ALLOWED_ORIGIN, &flags);
        if *removed == Removed::DevCredentialsRefusal {
            settings.service.credentials =
                Credentials::single(DEV_API_KEY, ApiSecret::new(DEV_API_SECRET));
        }
        // The server runs until the end of the test's runtime, or while `running` lives.
        let (under_test, _running) = if *removed == Removed::WebhookVerifiedFirst {
            let app = axum::Router::new()
                .fallback_service(server_axum::app(token_core::TokenService::new(
                    &settings.service,
                )))
                .layer(from_fn(read_webhooks_first));
            (serve_wrapped(app).await, None)
        } else {
            let running = start(axum, &settings);
            (running.under_test.clone(), Some(running))
        };
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
        let report = conformance::production::run(&under_test, &provider, &selection)
            .await
            .expect("the server answers");
        (*removed, report)
    });
    let reports = futures_util::future::join_all(runs).await;
    for (removed, report) in &reports {
        let unanswered = report.unanswered_ids();
        assert!(
            unanswered.is_empty(),
            "{removed:?}: no answer to {unanswered:?}"
        );
        match removed {
            Removed::Nothing => assert!(
                report.failed() == 0 && report.warned() == 0,
                "a control misses a case:\n{report}"
            ),
            removed if CAUGHT_AT_SHOULD.contains(removed) => assert!(
                report.failed() == 0 && report.warned() > 0,
                "without {removed:?} the server must get a WARN and no FAIL:\n{report}"
            ),
            removed => assert!(
                report.failed() > 0,
                "without {removed:?} the server still passes:\n{report}"
            ),
        }
    }
    // A judge whose severity is mutated is caught: flipping the level of a defect these
    // mutants show puts some mutant at the wrong level. (The levels of the other defects
    // only production shows are pinned by conformance's production judge tests.)
    for flipped in [Harm::DevCredentials, Harm::ReadsUnverifiedWebhooks] {
        assert!(SHOWN_ONLY_IN_PRODUCTION.contains(&flipped));
        let level_of = move |harm: Harm| match (harm == flipped, harm.level()) {
            (true, Level::Must) => Level::Should,
            (true, Level::Should) => Level::Must,
            (false, level) => level,
        };
        let still_right = reports.iter().all(|(removed, report)| {
            let at_should = *removed == Removed::Nothing || CAUGHT_AT_SHOULD.contains(removed);
            at_should != fails_at(report, level_of)
        });
        assert!(
            !still_right,
            "{flipped:?} at the other level would go unnoticed"
        );
    }
}
