//! The suite is proven to catch bugs: each mutant is our axum backend with one deliberate
//! defect (the ones official tutorial servers actually have, and more). The control, the same
//! wrapper with no defect, must pass every case without a WARN; every mutant must miss a
//! contract check (a case without an answer does not count) at the level the harm model gives
//! its defect: a FAIL for the serious, a WARN and no FAIL for the cosmetic
//! ([`CAUGHT_AT_SHOULD`]); and every case must miss against at least one mutant.
//! Each defect is its own test, `mutant::<Variant>`, generated from the enum; the reports are
//! judged once per process and shared with the tests over all mutants. The servers that carry
//! each defect are in `mutants/servers.rs`.
//! Run: `cargo test -p cross-backend --test mutants`; one mutant alone:
//! `cargo test -p cross-backend --test mutants -- mutant::WrongTtl --exact`.

#[path = "mutants/servers.rs"]
mod servers;

use std::collections::BTreeSet;

use conformance::cases::CASES;
use conformance::harm::Defect as Harm;
use conformance::harm::Level;
use conformance::{Report, Selection, Verdict, run};
use official_emulations::NOT_SHOWN_BY_OFFICIAL_SERVERS;
use servers::start;
use tokio::sync::OnceCell;

/// Declares `Defect`, `DEFECTS` (the list of every variant) and one test per variant, named
/// after it (`mutant::Control` is the control), from one list.
macro_rules! defects {
    ($($variant:ident,)*) => {
        /// One defect each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Defect {
            $($variant,)*
        }

        const DEFECTS: &[Defect] = &[$(Defect::$variant,)*];

        /// One test per defect: the control passes, the mutant is caught at its level.
        mod mutant {
            $(
                #[allow(non_snake_case)]
                #[tokio::test(flavor = "multi_thread")]
                async fn $variant() {
                    super::judged_alone(super::Defect::$variant).await;
                }
            )*
        }
    };
}

defects! {
    // The control: the wrapper itself, with no defect.
    Control,
    // Tokens.
    WrongTtl,
    WrongIssuer,
    WrongSecret,
    AdminGrant,
    RequotedIdentity,
    TrimmedNames,
    LossyUnicodeNames,
    NonAsciiNamesRefused,
    TokenAsJsonContentType,
    QuotedTokenBody,
    // Validation.
    EmptyNamesAccepted,
    NonStringNamesCoerced,
    ArrayBodyAccepted,
    UnknownFieldsRejected,
    WrongFixedMessage,
    ServerErrorOnUnparsableBody,
    ServerErrorOnNonObjectBody,
    ServerErrorOnEmptyRoomConfig,
    // Content type and size.
    NoUnsupportedMediaType,
    OnlyExactApplicationJson,
    NoBodyLimit,
    LimitOffByOne,
    ChunkedBodiesRefused,
    // Errors and routing.
    HtmlErrorPages,
    MultiLineErrors,
    WrongMethodIs404,
    NoAllowHeader,
    PrefixRouting,
    PercentDecodedPaths,
    NoHead,
    OptionsIsAlways405,
    OptionsAnswersEverywhere,
    // Connections.
    NoKeepAlive,
    StopsServingAfterOversizedBody,
    SilentCloseAfter413,
    OneRequestBodyAtATime,
    // CORS.
    NoCorsOnErrors,
    EchoedOriginWithoutVary,
    NoPreflight,
    PreflightOnlyForPost,
    CorsOnlyWithOrigin,
    PreflightAllowsOnlyContentType,
    NoMaxAge,
    // The standard endpoint.
    CamelCaseCredentials,
    OkInsteadOfCreated,
    NoServerUrl,
    AttributesDropped,
    NameDropped,
    ServerUrlOfAnotherServer,
    ServerUrlWithoutScheme,
    RoomConfigPolicyIgnored,
    RoomConfigAlwaysAccepted,
    AgentsDropped,
    IdentityNotGenerated,
    // Webhooks and formats.
    AcceptsEveryWebhook,
    AcceptsWebhookWithoutExpiry,
    IgnoresWebhookBodyHash,
    TextWhereJsonIsExpected,
}

/// The mutants whose defect does no harm to an official client, LiveKit or security: the
/// harm model's SHOULDs. Each must be caught by a WARN and by no FAIL (so the judge is
/// neither too lenient nor too strict); every other mutant must be caught by a FAIL.
const CAUGHT_AT_SHOULD: &[Defect] = &[
    // LiveKit accepts the token; only the configured lifetime is not honoured.
    Defect::WrongTtl,
    // Clients read the text whatever its type.
    Defect::TokenAsJsonContentType,
    Defect::WrongFixedMessage,
    // Another 4xx of the class, or a request served that is as valid as a real one.
    Defect::NoUnsupportedMediaType,
    Defect::LimitOffByOne,
    Defect::WrongMethodIs404,
    // No official client sends a chunked body (browsers' fetch sends a length).
    Defect::ChunkedBodiesRefused,
    // HTTP niceties.
    Defect::NoAllowHeader,
    Defect::NoHead,
    Defect::OptionsIsAlways405,
    Defect::NoKeepAlive,
    Defect::NoMaxAge,
    Defect::OkInsteadOfCreated,
    // Routing RFC 3986 or a framework's non-strict routing allows.
    Defect::PrefixRouting,
    Defect::PercentDecodedPaths,
    // CORS no official client's page needs: browsers always send Origin; the official
    // clients preflight only POST with Content-Type.
    Defect::PreflightOnlyForPost,
    Defect::CorsOnlyWithOrigin,
    Defect::PreflightAllowsOnlyContentType,
    // The browser reads the echoed origin; only a shared cache could mix origins up.
    Defect::EchoedOriginWithoutVary,
    // One request cannot tell a fixed identity from a generated one of another form.
    Defect::IdentityNotGenerated,
    // The operator configured that URL, and the suite is told the same one: only its scheme
    // is wrong, which LiveKit's clients report when they connect.
    Defect::ServerUrlWithoutScheme,
];

/// Whether a contract check FAILs under the severity `level_of`; an exchange that got no
/// answer (a mutant that closes mid-upload) proves nothing either way.
fn fails_at(report: &Report, level_of: impl Fn(Harm) -> Level + Copy) -> bool {
    report.outcomes.iter().any(|outcome| {
        !matches!(outcome.verdict, Verdict::NoAnswer(_) | Verdict::Skip(_))
            && matches!(
                Verdict::from_findings_at(&outcome.findings, level_of),
                Verdict::Fail(_)
            )
    })
}

/// Each defect's report, judged once per test process: the tests of one mutant, and those
/// over all of them, share it.
static REPORTS: [OnceCell<Report>; DEFECTS.len()] =
    [const { OnceCell::const_new() }; DEFECTS.len()];

/// The suite's report on `defect`'s server (run at the first call).
async fn report_of(defect: Defect) -> &'static Report {
    REPORTS[defect as usize]
        .get_or_init(|| async move {
            run(&start(defect).await, &Selection::default())
                .await
                .expect("reachable")
        })
        .await
}

/// Every mutant's report (the control's aside).
async fn mutant_reports() -> Vec<(Defect, &'static Report)> {
    let mut reports = Vec::new();
    for &defect in DEFECTS.iter().filter(|&&defect| defect != Defect::Control) {
        reports.push((defect, report_of(defect).await));
    }
    reports
}

/// The control passes every case without a WARN; a mutant misses a contract check, at the
/// level the harm model gives its defect.
async fn judged_alone(defect: Defect) {
    let report = report_of(defect).await;
    if defect == Defect::Control {
        assert_eq!(
            report.contract_missed_ids(),
            Vec::<&str>::new(),
            "the wrapper without a defect must pass, without a WARN:\n{report}"
        );
        assert_eq!(report.failed(), 0, "{report}");
        return;
    }
    let failed = report.contract_missed_ids();
    println!("{defect:?}: caught by {failed:?}");
    assert!(
        !failed.is_empty(),
        "the suite does not catch the mutant {defect:?}"
    );
    let should = CAUGHT_AT_SHOULD.contains(&defect);
    assert!(
        should != fails_at(report, Harm::level),
        "{defect:?} caught at the wrong level (expected caught at {}): {}",
        if should { "SHOULD" } else { "MUST" },
        report
            .to_string()
            .lines()
            .filter(|l| l.starts_with("FAIL") || l.starts_with("WARN"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_case_fails_against_some_mutant() {
    let reports = mutant_reports().await;
    let caught: BTreeSet<&str> = reports
        .iter()
        .flat_map(|(_, report)| report.contract_missed_ids())
        .collect();
    let uncaught: Vec<&str> = CASES
        .iter()
        .map(|case| case.id)
        .filter(|id| !caught.contains(id))
        .collect();
    println!(
        "mutation coverage: {} of {} cases fail against at least one of {} mutants ({:.0}%)",
        CASES.len() - uncaught.len(),
        CASES.len(),
        reports.len(),
        100.0 * (CASES.len() - uncaught.len()) as f64 / CASES.len() as f64
    );
    assert!(
        uncaught.is_empty(),
        "cases no mutant makes fail: {uncaught:?}"
    );
}

/// A judge whose severity is mutated is caught: flipping the level of a defect no official
/// server shows (the official servers' test pins the others) puts some mutant at the wrong
/// level.
#[tokio::test(flavor = "multi_thread")]
async fn a_judge_with_one_level_changed_is_caught() {
    let reports = mutant_reports().await;
    let mut undetected = Vec::new();
    for &flipped in NOT_SHOWN_BY_OFFICIAL_SERVERS {
        let level_of = move |harm: Harm| match (harm == flipped, harm.level()) {
            (true, Level::Must) => Level::Should,
            (true, Level::Should) => Level::Must,
            (false, level) => level,
        };
        let still_right = reports.iter().all(|(defect, report)| {
            CAUGHT_AT_SHOULD.contains(defect) != fails_at(report, level_of)
        });
        if still_right {
            undetected.push(flipped);
        }
    }
    assert!(
        undetected.is_empty(),
        "levels no mutant's verdict depends on: {undetected:?}"
    );
}
