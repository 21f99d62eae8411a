//! CORS proven in a real browser: headless Chromium, on a page served from another origin,
//! fetches a token from the server under test and reads one of its error messages.
//!
//! The `cors/...` cases check the headers one by one; this check shows that a browser agrees
//! with them. The page sends `POST /token` as JSON with an extra `X-Requested-With` header, so
//! Chromium sends a preflight first, then reads the 200 and the 400 only if both carry
//! `Access-Control-Allow-Origin`. A request Chromium blocks surfaces in the page as
//! `TypeError: Failed to fetch`, which fails the case with that message.
//!
//! Chromium is driven through chromedriver with `fantoccini`, a WebDriver client: WebDriver
//! is a handful of JSON-over-HTTP commands, much lighter than the CDP crates, which carry
//! bindings for the whole DevTools protocol and a WebSocket client.
//!
//! Where Chromium or chromedriver is missing, every browser case is a SKIP saying so, never a
//! pass. A browser that is installed but does not start fails the cases.
//!
//! Running the check needs the `browser` cargo feature, off by default so that a plain
//! install does not build the WebDriver client. The check IDs and [`CHECKS`] are there
//! without it: `--list --browser` prints them into CONTRACT.md.
//!
//! - `checks`: `run`, the browser cases as outcomes.
//! - `install`: finding Chromium and chromedriver.
//! - `session`: the browser itself, `Browser`, and `StartError`.
//! - `verdicts`: judging what the page saw.
//! - `driver`: the chromedriver process.
//! - `page_server`: the page's own origin, serving `page.html`.

#[cfg(feature = "browser")]
mod checks;
#[cfg(feature = "browser")]
mod driver;
#[cfg(feature = "browser")]
mod install;
#[cfg(feature = "browser")]
mod page_server;
#[cfg(feature = "browser")]
mod session;
#[cfg(feature = "browser")]
mod verdicts;

#[cfg(feature = "browser")]
pub use checks::run;
#[cfg(feature = "browser")]
pub use install::Installation;
#[cfg(feature = "browser")]
pub use session::{Browser, StartError};

/// ID of the case that fetches a token from the page.
pub const TOKEN: &str = "browser/token";
/// ID of the case that reads an error message from the page.
pub const ERROR_MESSAGE: &str = "browser/error-message";

/// ID of the case that fetches credentials from LiveKit's standard endpoint.
pub const LIVEKIT_ENDPOINT: &str = "browser/livekit-endpoint";

/// The browser cases: ID and requirement.
pub const CHECKS: [(&str, &str); 3] = [
    (
        TOKEN,
        "A page on another origin, in headless Chromium, can POST /token with a preflighted \
         request (JSON and X-Requested-With) and read a valid token for room1/alice.",
    ),
    (
        ERROR_MESSAGE,
        "The same page can read the status 400 and the message of a request without names: \
         errors carry Access-Control-Allow-Origin too.",
    ),
    (
        LIVEKIT_ENDPOINT,
        "The same page can POST /livekit/token as LiveKit's JS SDK does (snake_case JSON, \
         Content-Type: application/json) and read the server URL and a valid token.",
    ),
];

/// Chromium's flags: headless, as root, and quiet on a machine without a network (no
/// background connections, no component or sync updates). `--user-data-dir` is added per
/// start, a fresh empty one.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
