//! Emulations of the official OpenVidu application servers (the tutorials' `application-server/*`
//! and the seed), as test fixtures for the suite: one small axum server, not ours, driven by
//! one table of [`Quirks`], with one `const` per official server saying how it behaves over
//! HTTP and where that comes from.
//!
//! - `quirks.rs`: what can differ, one field per behaviour.
//! - `servers/`: the nine servers' values, with their sources (probed, or read from source).
//! - `server.rs`: routing; `cors.rs`: CORS; `token_request.rs`: `POST /token`;
//!   `webhook.rs`: `POST /livekit/webhook`; `token.rs`: minting; `pages.rs`: the answers.

mod cors;
mod pages;
mod quirks;
mod server;
mod servers;
mod token;
mod token_request;
mod webhook;

use conformance::harm::Defect;
use conformance::harm::Level;
use conformance::profile::Profile;
use conformance::{Report, ServerUnderTest};

pub use quirks::*;
pub use servers::{DOTNET, GO, JAVA, NODE, PHP, PYTHON, RUBY, RUST, SEED};
pub use token::TOKEN_TTL_SECONDS;

/// One official server, as the suite's tests judge it.
#[derive(Debug, Clone, Copy)]
pub struct Official {
    /// Its short name.
    pub name: &'static str,
    /// How it behaves.
    pub quirks: Quirks,
    /// The profile the suite judges it with.
    pub profile: Profile,
    /// Its real defects, as the reference states them: these, and nothing else, must FAIL.
    pub real_defects: &'static [Defect],
}

/// Every official server.
pub const OFFICIAL: &[Official] = &[
    // Tokens for non-string names; a 500 for `[]`, `null` and `"x"` bodies; no body limit.
    Official {
        name: "seed",
        quirks: SEED,
        profile: Profile::OpenviduBasic,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::NoBodyLimit,
            Defect::ServerError,
        ],
    },
    Official {
        name: "python",
        quirks: PYTHON,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::NoBodyLimit,
            Defect::ServerError,
        ],
    },
    // Tokens for non-string names (and for invalid UTF-8, replaced); never verifies
    // webhooks; a 500 for an empty body, another media type or `+json`.
    Official {
        name: "node",
        quirks: NODE,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::WebhookForgery,
            Defect::ServerError,
        ],
    },
    // Identity, name and room JSON-quoted; tokens for empty, null and non-string names;
    // axum's 2 MiB limit lets a megabyte through.
    Official {
        name: "rust",
        quirks: RUST,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::WrongIdentityOrRoom,
            Defect::TokenForInvalidInput,
            Defect::NoBodyLimit,
        ],
    },
    // Signs with `devkey` whatever key is configured; answers 200 to every webhook (it
    // verifies, but a sender cannot tell); no body limit.
    Official {
        name: "go",
        quirks: GO,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenRefused,
            Defect::TokenForInvalidInput,
            Defect::WebhookForgery,
            Defect::NoBodyLimit,
        ],
    },
    // `""` and non-string names get tokens; 200 to invalid webhooks; no body limit.
    Official {
        name: "java",
        quirks: JAVA,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::WebhookForgery,
            Defect::NoBodyLimit,
        ],
    },
    // Presence-only name checks; a 500 for `null` names and bodies it cannot bind.
    Official {
        name: "dotnet",
        quirks: DOTNET,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::NoBodyLimit,
            Defect::ServerError,
        ],
    },
    Official {
        name: "php",
        quirks: PHP,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenForInvalidInput,
            Defect::NoBodyLimit,
            Defect::ServerError,
        ],
    },
    // Key and secret overwritten by `env.rb`; `""` names accepted; a 500 for bad JSON;
    // webhooks checked without their body hash, and answered 200.
    Official {
        name: "ruby",
        quirks: RUBY,
        profile: Profile::OpenviduV3,
        real_defects: &[
            Defect::TokenRefused,
            Defect::TokenForInvalidInput,
            Defect::WebhookForgery,
            Defect::NoBodyLimit,
            Defect::ServerError,
        ],
    },
];

/// The defects no official server shows: their levels are pinned by the mutation test of
/// our own backend (`cross-backend/tests/mutants.rs`) instead.
pub const NOT_SHOWN_BY_OFFICIAL_SERVERS: &[Defect] = &[
    Defect::RefusesClientRequest,
    Defect::RefusesWebhook,
    Defect::UnreadableAnswer,
    Defect::WrongServerUrl,
    Defect::DropsRequestedFields,
    Defect::CorsBlocked,
    Defect::ExcessGrants,
    Defect::PolicyBypass,
    Defect::StopsServing,
    Defect::ServerUrlScheme,
];

/// The defects only a server in production mode can show, which no official server has:
/// their levels are pinned by conformance's production judge tests and the production mutants
/// (`cross-backend/tests/production_mutants.rs`).
pub const SHOWN_ONLY_IN_PRODUCTION: &[Defect] = &[
    Defect::CallerForgery,
    Defect::DevCredentials,
    Defect::OpenOrigin,
    Defect::FloodsKeySource,
    Defect::ReadsUnverifiedWebhooks,
    Defect::NoChallenge,
];

/// The defects only a deployment of several replicas can show (`--url` given for each):
/// their levels are pinned by `cross-backend/tests/shared_limits.rs`.
pub const SHOWN_ONLY_ACROSS_REPLICAS: &[Defect] = &[Defect::LimitsPerReplica];

/// docs/conformance.md's table of the suite on the official servers: for each, the totals
/// and the defects, FAILs (real harm) apart from WARNs (this contract's stricter taste).
pub fn markdown_table(reports: &[(&str, Report)]) -> String {
    let mut table = String::from(
        "| Server | Profile | Pass / warn / fail | FAIL: real defects (cases) | WARN: this contract's taste (cases) |\n\
         |---|---|---|---|---|\n",
    );
    for (name, report) in reports {
        let profile = OFFICIAL
            .iter()
            .find(|official| official.name == *name)
            .map_or("?", |official| official.profile.name());
        // The FAILs in words, the WARNs by ID: docs/conformance.md's defect table says what
        // each is.
        let listed = |level: Level, name: fn(Defect) -> &'static str, separator: &str| {
            report
                .defects()
                .into_iter()
                .filter(|(defect, _)| defect.level() == level)
                .map(|(defect, ids)| format!("{} ({})", name(defect), ids.len()))
                .collect::<Vec<_>>()
                .join(separator)
        };
        table.push_str(&format!(
            "| {name} | `{profile}` | {} / {} / {} | {} | {} |\n",
            report.passed(),
            report.warned(),
            report.failed(),
            listed(Level::Must, Defect::summary, "; "),
            listed(Level::Should, |defect| defect.id(), ", ")
        ));
    }
    table
}

/// Serves an emulation configured with `api_key` and `api_secret` on a free loopback port,
/// for the rest of the test's runtime. The server under test carries the configured
/// credentials, whatever the server really signs with.
pub async fn start(
    quirks: &Quirks,
    api_key: &str,
    api_secret: &str,
) -> std::io::Result<ServerUnderTest> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = server::app(*quirks, api_key, api_secret);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut under_test =
        ServerUnderTest::new(format!("http://{address}")).with_credentials(api_key, api_secret);
    under_test.ttl_seconds = TOKEN_TTL_SECONDS;
    under_test.format = quirks.reply.format();
    Ok(under_test)
}
