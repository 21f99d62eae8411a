//! The production cases one request cannot check: the key source going down and coming
//! back, a flood of unknown keys, a rotation, the development credentials on both endpoints
//! and on webhooks, and a forged webhook whose body is withheld.

use std::time::{Duration, Instant};

use super::case::{CallerScenario, TokenEndpoint};
use super::exchange::{Answer, Caller, answer};
use super::judge::{refused, server_error, signed_with_dev_secret};
use super::{
    ANNOUNCED_WEBHOOK_BYTES, DEV_API_KEY, DEV_API_SECRET, FLOOD, RECOVERY_PATIENCE,
    ROTATION_PATIENCE, WEBHOOK_PATIENCE,
};
use crate::case::{Finding, Flaw, Signer, WebhookAuth};
use crate::cases::TUTORIAL_BODY;
use crate::harm::Defect;
use crate::identity_provider::{CallerKey, Forgery};
use crate::wire::ReadError;

/// How much of the forged webhook's announced body the suite sends.
const SENT_WEBHOOK_BYTES: usize = 1024;
/// A LiveKit event, for the webhooks the suite sends.
const EVENT: &[u8] = br#"{"event":"room_started","room":{"sid":"RM_conformance","name":"room1"},"id":"EV_conformance","createdAt":"1700000000"}"#;

impl Caller<'_> {
    /// Runs `scenario`: its findings, or `Err` when the server could not be asked.
    pub(super) async fn scenario(&self, scenario: CallerScenario) -> Result<Vec<Finding>, String> {
        match scenario {
            CallerScenario::SurvivesKeySourceDown => self.survives_key_source_down().await,
            CallerScenario::ThrottlesUnknownKeys => self.throttles_unknown_keys().await,
            CallerScenario::FollowsNoKeyHeaders => Ok(self.follows_no_key_headers()),
            CallerScenario::PicksUpRotatedKey => {
                self.provider.rotate();
                self.admitted_within(CallerKey::Rotated, ROTATION_PATIENCE, "after the rotation")
                    .await
            }
            CallerScenario::NoDevCredentials => self.dev_credentials().await,
            CallerScenario::VerifiesWebhookBeforeBody => self.webhook_before_body().await,
            CallerScenario::RefusesWycheproofVectors => self.refuses_jws_vectors().await,
        }
    }

    /// Sends each of Wycheproof's vectors as a caller's token: a 2xx admits a caller the
    /// server could not have verified, a 5xx is the server's fault; each finding names the
    /// vector's `tcId`. Nothing to send without the vectors (the runner skips the case).
    async fn refuses_jws_vectors(&self) -> Result<Vec<Finding>, String> {
        let Some(vectors) = self.provider.jws_vectors() else {
            return Ok(Vec::new());
        };
        let mut findings = Vec::new();
        for vector in vectors.vectors() {
            let got = self.token_with(&format!("Bearer {}", vector.jws)).await?;
            let named = |finding: Finding| {
                let reason = format!(
                    "tcId {} ({}): {}",
                    vector.tc_id, vector.comment, finding.reason
                );
                Finding::new(finding.defect, reason)
            };
            if (200..300).contains(&got.status) {
                findings.push(named(Finding::new(
                    Defect::CallerForgery,
                    format!(
                        "{}: a token for a caller who is not authenticated",
                        got.status
                    ),
                )));
            } else if got.status >= 500 {
                findings.push(named(server_error(got.status)));
            }
        }
        Ok(findings)
    }

    /// `POST /token` as a valid caller signing with `key`.
    async fn token_as(&self, key: CallerKey) -> Result<Answer, String> {
        self.token_with(&self.provider.bearer(key)).await
    }

    /// The tutorials' `POST /token` with this `Authorization`.
    async fn token_with(&self, authorization: &str) -> Result<Answer, String> {
        let headers = [("authorization", authorization)];
        self.post("/token", &headers, TUTORIAL_BODY).await
    }

    async fn survives_key_source_down(&self) -> Result<Vec<Finding>, String> {
        let mut findings = Vec::new();
        self.provider.go_down(true);
        let down = self.token_as(CallerKey::P256).await;
        self.provider.go_down(false);
        let down = down?;
        match down.status {
            // Keys cached from before the source went down serve: as they should.
            200..=299 => {}
            503 if down.header("retry-after").is_none() => findings.push(Finding::new(
                Defect::HttpDetails,
                "503 without Retry-After: clients cannot tell when to try again",
            )),
            503 => {}
            // Another status, a 5xx included: the key source failed, not the caller, and
            // the caller is kept out either way (issue 30: no harm, so no MUST).
            status => findings.push(Finding::new(
                Defect::OtherStatus,
                format!("{status} for a valid caller while keys are unavailable, not 503"),
            )),
        }
        findings.extend(
            self.admitted_within(
                CallerKey::P256,
                RECOVERY_PATIENCE,
                "once the key source is back",
            )
            .await?,
        );
        Ok(findings)
    }

    async fn throttles_unknown_keys(&self) -> Result<Vec<Finding>, String> {
        let mut findings = Vec::new();
        let before = self.provider.fetches();
        for _ in 0..FLOOD {
            let forged = self.provider.forged(Forgery::UnknownKid);
            let got = self.token_with(&format!("Bearer {forged}")).await?;
            findings.extend(refused(&got, true, Defect::CallerForgery));
        }
        let fetched = self.provider.fetches() - before;
        if fetched > 1 {
            findings.push(Finding::new(
                Defect::FloodsKeySource,
                format!("{FLOOD} unknown kids made the server fetch the JWKS {fetched} times"),
            ));
        }
        Ok(findings)
    }

    fn follows_no_key_headers(&self) -> Vec<Finding> {
        let fetched = self.provider.attacker_fetches();
        if fetched == 0 {
            return Vec::new();
        }
        vec![Finding::new(
            Defect::CallerForgery,
            format!("a URL from a token's header was fetched {fetched} times"),
        )]
    }

    /// Polls `POST /token` with a valid token signed with `key`, once a second, until it is
    /// admitted; a finding when `patience` runs out first or the server fails.
    async fn admitted_within(
        &self,
        key: CallerKey,
        patience: Duration,
        when: &str,
    ) -> Result<Vec<Finding>, String> {
        let started = Instant::now();
        loop {
            let got = self.token_as(key).await?;
            if got.status == 200 {
                return Ok(Vec::new());
            }
            if got.status >= 500 && got.status != 503 {
                return Ok(vec![server_error(got.status)]);
            }
            if started.elapsed() > patience {
                return Ok(vec![Finding::new(
                    Defect::RefusesClientRequest,
                    format!(
                        "a valid caller still gets {} {} s {when}",
                        got.status,
                        patience.as_secs()
                    ),
                )]);
            }
            // The server's answer paces the polling: one request a second.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// A token from each endpoint, and a webhook signed with `devkey`/`secret`: findings for
    /// each on LiveKit's development credentials. `Err` when neither endpoint minted a token
    /// to judge (the admitting cases say why).
    async fn dev_credentials(&self) -> Result<Vec<Finding>, String> {
        let mut findings = Vec::new();
        let mut judged = 0;
        for endpoint in TokenEndpoint::ALL {
            let authorization = self.provider.bearer(CallerKey::P256);
            let got = self
                .post(
                    endpoint.path(),
                    &[("authorization", &authorization)],
                    &endpoint.body("room1"),
                )
                .await?;
            let Some(token) = endpoint
                .token(&got)
                .filter(|_| (200..300).contains(&got.status))
            else {
                continue;
            };
            judged += 1;
            if signed_with_dev_secret(&token) {
                findings.push(Finding::new(
                    Defect::DevCredentials,
                    format!(
                        "the token from POST {} verifies with LiveKit's development secret \"{DEV_API_SECRET}\"",
                        endpoint.path()
                    ),
                ));
            }
        }
        if judged == 0 {
            return Err("neither endpoint minted a token for a valid caller".to_owned());
        }
        let dev = self
            .server
            .clone()
            .with_credentials(DEV_API_KEY, DEV_API_SECRET);
        let auth = WebhookAuth::Signed {
            signer: Signer::Suite,
            flaw: Flaw::None,
        };
        let (body, authorization) =
            crate::signing::webhook_request(&dev, EVENT, auth, 0).map_err(|err| err.to_string())?;
        let mut request = self
            .client
            .post(self.server.url("/livekit/webhook"))
            .header("content-type", "application/webhook+json")
            .body(body);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let got = answer(request).await?;
        if (200..300).contains(&got.status) {
            findings.push(Finding::new(
                Defect::DevCredentials,
                format!(
                    "{}: a webhook signed with {DEV_API_KEY}/{DEV_API_SECRET} is acknowledged",
                    got.status
                ),
            ));
        }
        Ok(findings)
    }

    /// A webhook signed with another secret, its body announced but withheld: 401 at once
    /// shows the signature checked first; silence (or a 408) shows the body read first.
    async fn webhook_before_body(&self) -> Result<Vec<Finding>, String> {
        let auth = WebhookAuth::Signed {
            signer: Signer::Suite,
            flaw: Flaw::WrongSecret,
        };
        let (body, authorization) =
            crate::signing::webhook_request(self.server, EVENT, auth, ANNOUNCED_WEBHOOK_BYTES)
                .map_err(|err| err.to_string())?;
        let authorization = authorization.unwrap_or_default();
        let got = crate::scenario::webhook_with_withheld_body(
            self.server,
            &authorization,
            &body,
            SENT_WEBHOOK_BYTES,
            WEBHOOK_PATIENCE,
        )
        .await?;
        let withheld = ANNOUNCED_WEBHOOK_BYTES - SENT_WEBHOOK_BYTES;
        let reads_first = |how: String| {
            Finding::new(
                Defect::ReadsUnverifiedWebhooks,
                format!(
                    "{how} to a webhook with a forged signature and {withheld} bytes of its body \
                     withheld: the server reads the body before checking the signature"
                ),
            )
        };
        Ok(match got {
            Ok(response) => match response.status {
                401 => Vec::new(),
                200..=299 => vec![Finding::new(
                    Defect::WebhookForgery,
                    format!(
                        "{}: a webhook signed with another secret is acknowledged",
                        response.status
                    ),
                )],
                408 => vec![reads_first("408".to_owned())],
                status @ 500..=599 => vec![server_error(status)],
                status => vec![Finding::new(
                    Defect::OtherStatus,
                    format!("{status} instead of 401 for a webhook with a forged signature"),
                )],
            },
            Err(ReadError::TimedOut) => vec![reads_first(format!(
                "no answer within {} s",
                WEBHOOK_PATIENCE.as_secs()
            ))],
            Err(err) => vec![Finding::new(
                Defect::OtherStatus,
                format!("no 401 for a webhook with a forged signature: {err}"),
            )],
        })
    }
}
