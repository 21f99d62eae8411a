//! The identity provider's JWKS endpoint on loopback: the keys (or 503 while the provider
//! is down) at `/jwks.json`, the attacker's keys at what `jku` and `x5u` headers point to,
//! and a count of each kind of fetch.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hyper::StatusCode;
use serde_json::Value;

use super::keys::{attacker_jwks, jwks_document};
use crate::local_server::{HEADER_READ_TIMEOUT, LocalServer, response};

/// What the JWKS endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Serving {
    /// The published keys (and the traps), with the rotated one once published.
    Keys {
        /// The rotated key is published.
        rotated: bool,
    },
    /// 503: the provider is down.
    Down,
}

/// What the endpoint serves, and what it was asked for.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) serving: Mutex<Serving>,
    /// Keys published beside the provider's own (Wycheproof's, when given).
    pub(super) extra_keys: Vec<Value>,
    pub(super) fetches: AtomicUsize,
    pub(super) attacker_fetches: AtomicUsize,
}

impl Shared {
    /// Serving the published keys and `extra_keys`, nothing fetched yet.
    pub(super) fn new(extra_keys: Vec<Value>) -> Self {
        Self {
            serving: Mutex::new(Serving::Keys { rotated: false }),
            extra_keys,
            fetches: AtomicUsize::new(0),
            attacker_fetches: AtomicUsize::new(0),
        }
    }

    pub(super) fn serving(&self) -> Serving {
        *self
            .serving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn set(&self, serving: Serving) {
        *self
            .serving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = serving;
    }
}

/// Serves the JWKS on `127.0.0.1:port` (0: a free port) until dropped.
pub(super) async fn start(port: u16, shared: Arc<Shared>) -> io::Result<LocalServer> {
    LocalServer::start(port, HEADER_READ_TIMEOUT, move |request| {
        // The whole request target, query and all, as the servers under test send it.
        let target = request
            .uri()
            .path_and_query()
            .map_or("", |target| target.as_str());
        let (status, body) = answer(&shared, target);
        response(status, "application/json", body)
    })
    .await
}

/// The answer to a fetch of `target`, counted.
fn answer(shared: &Shared, target: &str) -> (StatusCode, String) {
    match (target, shared.serving()) {
        ("/jwks.json", Serving::Keys { rotated }) => {
            shared.fetches.fetch_add(1, Ordering::SeqCst);
            (StatusCode::OK, jwks_document(rotated, &shared.extra_keys))
        }
        ("/jwks.json", Serving::Down) => {
            shared.fetches.fetch_add(1, Ordering::SeqCst);
            (StatusCode::SERVICE_UNAVAILABLE, String::new())
        }
        ("/attacker-jwks.json" | "/attacker.pem", _) => {
            shared.attacker_fetches.fetch_add(1, Ordering::SeqCst);
            (StatusCode::OK, attacker_jwks())
        }
        _ => (StatusCode::NOT_FOUND, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fetch_is_counted_where_it_belongs() {
        let shared = Shared::new(Vec::new());
        assert_eq!(answer(&shared, "/jwks.json").0, StatusCode::OK);
        assert_eq!(answer(&shared, "/jwks.json?x").0, StatusCode::NOT_FOUND);
        assert_eq!(answer(&shared, "/attacker.pem").0, StatusCode::OK);
        shared.set(Serving::Down);
        assert_eq!(
            answer(&shared, "/jwks.json").0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(shared.fetches.load(Ordering::SeqCst), 2);
        assert_eq!(shared.attacker_fetches.load(Ordering::SeqCst), 1);
    }
}
