//! Across replicas: given several `--url` for one deployment's replicas, whether its rate
//! limit holds for the deployment or for each replica alone (a limit kept in each replica's
//! memory lets a client through once per replica).
//!
//! The check learns the quota from the server's `RateLimit-Policy`
//! (draft-ietf-httpapi-ratelimit-headers), sent on a 429 or on any answer, by asking the
//! first replica until it answers one; waits one window for the quota to refill; then
//! spreads a burst of the quota plus 10 requests over the replicas, round robin. More than
//! the quota served, plus one and what refills during the burst, is a WARN
//! (`limits-per-replica`): each replica still limits, so the harm is bounded.

use std::time::{Duration, Instant};

use crate::case::Finding;
use crate::cases::{SOURCE_PATH, TUTORIAL_BODY};
use crate::harm::{Defect, Level};
use crate::identity_provider::{CallerKey, IdentityProvider};
use crate::profile::Profile;
use crate::report::{Outcome, Verdict};

/// The check's ID.
pub const ID: &str = "limits/per-replica";

/// The check's requirement.
pub const REQUIREMENT: &str = "Given several --url for one deployment's replicas, a burst of \
    the quota (from RateLimit-Policy) plus 10 requests, spread over them, is served at most \
    the quota plus one and what refills during the burst: the limit holds across replicas.";

/// How many requests the first replica may take before the check concludes it states no
/// limit.
pub const LEARNING_CAP: usize = 2000;

/// The longest window the check waits for a refill: longer would outlive the production
/// profile's caller token (valid five minutes) and keep a CI job waiting.
pub const LONGEST_WINDOW_SECONDS: u64 = 240;

/// The extra requests past the quota.
const PAST_THE_QUOTA: u64 = 10;

/// The request the check sends, as the profile's clients send it.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The path, e.g. `/token`.
    pub path: &'static str,
    /// Headers, e.g. a caller's `Authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

impl Probe {
    /// The request `profile`'s clients send: LiveKit's standard endpoint's, or the tutorials'
    /// token request, with a caller's token from `provider` in production.
    pub fn for_profile(profile: Profile, provider: Option<&IdentityProvider>) -> Self {
        match profile {
            Profile::LivekitEndpoint => Self {
                path: SOURCE_PATH,
                headers: Vec::new(),
                body: "{}".to_owned(),
            },
            _ => Self {
                path: "/token",
                headers: provider
                    .map(|provider| ("authorization", provider.bearer(CallerKey::P256)))
                    .into_iter()
                    .collect(),
                body: TUTORIAL_BODY.to_owned(),
            },
        }
    }
}

/// A `RateLimit-Policy`'s quota and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Requests per window (`q`).
    pub quota: u64,
    /// The window in seconds (`w`).
    pub window_seconds: u64,
}

/// The first policy of a `RateLimit-Policy` field: `"name";q=30;w=60`, as the draft writes
/// it, or the older drafts' `30;w=60`. `None` when it names no quota and window.
pub fn parse_policy(field: &str) -> Option<Policy> {
    let first = field.split(',').next()?;
    let mut quota = None;
    let mut window = None;
    for (index, item) in first.split(';').map(str::trim).enumerate() {
        match item.split_once('=') {
            Some(("q", value)) => quota = value.trim().parse().ok(),
            Some(("w", value)) => window = value.trim().parse().ok(),
            None if index == 0 => quota = quota.or_else(|| item.parse().ok()),
            _ => {}
        }
    }
    match (quota, window) {
        (Some(quota), Some(window_seconds)) if quota > 0 && window_seconds > 0 => Some(Policy {
            quota,
            window_seconds,
        }),
        _ => None,
    }
}

/// Runs the check over `urls` (at least two) with `probe`; one outcome.
pub async fn run(client: &reqwest::Client, urls: &[String], probe: &Probe) -> Outcome {
    let started = Instant::now();
    let verdict_and_findings = check(client, urls, probe).await;
    let (verdict, findings) = match verdict_and_findings {
        Ok(findings) => (Verdict::from_findings(&findings), findings),
        Err(verdict) => (verdict, Vec::new()),
    };
    Outcome {
        id: ID,
        requirement: REQUIREMENT,
        level: Level::Should,
        verdict,
        findings,
        duration: started.elapsed(),
    }
}

async fn check(
    client: &reqwest::Client,
    urls: &[String],
    probe: &Probe,
) -> Result<Vec<Finding>, Verdict> {
    if urls.len() < 2 {
        return Err(Verdict::Skip(
            "one URL: give every replica's --url to check limits across them".to_owned(),
        ));
    }
    let mut policy = None;
    for _ in 0..LEARNING_CAP {
        let (_, stated) = send(client, &urls[0], probe).await?;
        if let Some(stated) = stated {
            policy = Some(stated);
            break;
        }
    }
    let Some(policy) = policy else {
        return Err(Verdict::Skip(format!(
            "no RateLimit-Policy within {LEARNING_CAP} requests: no limit to judge"
        )));
    };
    if policy.window_seconds > LONGEST_WINDOW_SECONDS {
        return Err(Verdict::Skip(format!(
            "the window is {} s, longer than the {LONGEST_WINDOW_SECONDS} s the check waits \
             for the quota to refill",
            policy.window_seconds
        )));
    }
    // The quota refills in one window.
    tokio::time::sleep(Duration::from_secs(policy.window_seconds)).await;
    let burst = policy.quota + PAST_THE_QUOTA;
    let started = Instant::now();
    let mut served = 0;
    for n in 0..burst {
        let url = &urls[usize::try_from(n).unwrap_or(0) % urls.len()];
        let (status, _) = send(client, url, probe).await?;
        if (200..300).contains(&status) {
            served += 1;
        }
    }
    let refilled =
        started.elapsed().as_secs_f64() * policy.quota as f64 / policy.window_seconds as f64;
    let allowed = policy.quota + 1 + refilled.floor() as u64;
    if served <= allowed {
        return Ok(Vec::new());
    }
    Ok(vec![Finding::new(
        Defect::LimitsPerReplica,
        format!(
            "{served} of {burst} requests spread over {} replicas were served, where the \
             quota is {} per {} s (at most {allowed} with the refill): each replica keeps \
             its own count",
            urls.len(),
            policy.quota,
            policy.window_seconds
        ),
    )])
}

/// Sends `probe` to `url`: its status, and the policy it states, if any.
async fn send(
    client: &reqwest::Client,
    url: &str,
    probe: &Probe,
) -> Result<(u16, Option<Policy>), Verdict> {
    let mut request = client
        .post(format!("{}{}", url.trim_end_matches('/'), probe.path))
        .header("content-type", "application/json")
        .body(probe.body.clone());
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|err| Verdict::NoAnswer(format!("{url}: {}", crate::error::Causes(&err))))?;
    let policy = response
        .headers()
        .get("ratelimit-policy")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_policy);
    Ok((response.status().as_u16(), policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_of_the_current_and_older_drafts() {
        let policy = |quota, window_seconds| {
            Some(Policy {
                quota,
                window_seconds,
            })
        };
        assert_eq!(parse_policy("\"token\";q=30;w=60"), policy(30, 60));
        assert_eq!(parse_policy("30;w=60"), policy(30, 60));
        assert_eq!(
            parse_policy("\"a\";q=5;w=1, \"b\";q=100;w=3600"),
            policy(5, 1)
        );
        assert_eq!(parse_policy("\"a\"; w=60 ; q=2"), policy(2, 60));
        for none in [
            "",
            "q=30",
            "w=60",
            "\"a\";q=0;w=60",
            "\"a\";q=x;w=60",
            ";;;=",
        ] {
            assert_eq!(parse_policy(none), None, "{none:?}");
        }
    }

    /// A server whose policy's window is a day is skipped at once, not waited for.
    #[tokio::test]
    async fn a_window_too_long_to_wait_for_is_skipped() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0; 4096];
                let _ = stream.read(&mut request).await;
                let answer = "HTTP/1.1 429 Too Many Requests\r\nratelimit-policy: \"t\";q=5;w=86400\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        let probe = Probe::for_profile(Profile::Full, None);
        let client = crate::runner::client().expect("a client");
        let outcome = tokio::time::timeout(
            Duration::from_secs(10),
            run(&client, &[url.clone(), url], &probe),
        )
        .await
        .expect("no wait for the window");
        assert!(
            matches!(&outcome.verdict, Verdict::Skip(why) if why.contains("86400 s")),
            "{outcome:?}"
        );
    }

    proptest::proptest! {
        /// Any field parses or not, never panics; a policy as the draft writes it is read.
        #[test]
        fn any_field_is_read_safely(field in "\\PC*", quota in 1..u32::MAX, window in 1..u32::MAX) {
            let _ = parse_policy(&field);
            let exact = format!("\"x\";q={quota};w={window}");
            proptest::prop_assert_eq!(
                parse_policy(&exact),
                Some(Policy { quota: u64::from(quota), window_seconds: u64::from(window) })
            );
        }
    }
}
