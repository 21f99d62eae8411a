//! Running the production cases: each selected case sent as it states, judged, and turned
//! into an outcome; skipped ones say why.

use std::time::Instant;

use super::case::{CallerCase, CallerCheck, CallerScenario};
use super::cases::caller_cases;
use super::exchange::Caller;
use super::judge::judge;
use crate::case::Finding;
use crate::error::Error;
use crate::identity_provider::IdentityProvider;
use crate::report::{Outcome, Report, RunInfo, Verdict};
use crate::runner::Selection;
use crate::server_under_test::ServerUnderTest;

/// Runs every selected production case against `server`, which trusts `provider`, after
/// checking that it answers at all.
pub async fn run(
    server: &ServerUnderTest,
    provider: &IdentityProvider,
    selection: &Selection,
) -> Result<Report, Error> {
    let run = RunInfo::starting(server, selection.profile);
    crate::scenario::probe(server).await?;
    Ok(Report {
        run,
        outcomes: run_cases(server, provider, selection).await,
    })
}

async fn run_cases(
    server: &ServerUnderTest,
    provider: &IdentityProvider,
    selection: &Selection,
) -> Vec<Outcome> {
    let client = match crate::runner::client() {
        Ok(client) => client,
        Err(err) => {
            let reason = err.to_string();
            return caller_cases()
                .map(|case| {
                    let verdict = Verdict::HarnessError(reason.clone());
                    outcome(case, verdict, Vec::new(), Instant::now())
                })
                .collect();
        }
    };
    let caller = Caller {
        client: &client,
        server,
        provider,
    };
    let mut outcomes = Vec::with_capacity(caller_cases().count());
    for case in caller_cases() {
        let started = Instant::now();
        let unavailable = || without_what_it_needs(case, provider);
        if let Some(reason) = selection.why_skipped(case.id).or_else(unavailable) {
            outcomes.push(outcome(case, Verdict::Skip(reason), Vec::new(), started));
            continue;
        }
        let (verdict, findings) = match check(&caller, case).await {
            Ok(findings) if findings.is_empty() => (Verdict::Pass, findings),
            Ok(findings) => (Verdict::from_findings(&findings), findings),
            Err(reason) => (Verdict::NoAnswer(reason), Vec::new()),
        };
        crate::exchange_log::print_for(case.id);
        outcomes.push(outcome(case, verdict, findings, started));
    }
    outcomes
}

/// Why `case` cannot run with this provider: Wycheproof's vectors are the user's to give.
fn without_what_it_needs(case: &CallerCase, provider: &IdentityProvider) -> Option<String> {
    let needs_vectors = matches!(
        case.check,
        CallerCheck::Scenario(CallerScenario::RefusesWycheproofVectors)
    );
    (needs_vectors && provider.jws_vectors().is_none()).then(|| {
        "no vectors given: --wycheproof FILE (Wycheproof's testvectors_v1/json_web_signature_test.json)"
            .to_owned()
    })
}

/// The findings of one case; `Err` when the server could not be asked.
async fn check(caller: &Caller<'_>, case: &CallerCase) -> Result<Vec<Finding>, String> {
    match case.check {
        CallerCheck::Exchange { request, expect } => {
            let got = caller.send(&request).await?;
            Ok(judge(&request, expect, case.defect, &got))
        }
        CallerCheck::Scenario(scenario) => caller.scenario(scenario).await,
    }
}

fn outcome(
    case: &CallerCase,
    verdict: Verdict,
    findings: Vec<Finding>,
    started: Instant,
) -> Outcome {
    Outcome {
        id: case.id,
        requirement: case.requirement,
        level: case.level(),
        verdict,
        findings,
        duration: started.elapsed(),
    }
}
