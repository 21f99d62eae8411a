//! Every backend of this repository, declared once: the tests (in-process and binary), the
//! bench and the README's backend table all read this list; adding a backend is one entry
//! here (see the recipe in ARCHITECTURE.md). The `conformance` suite itself never links a
//! backend.

use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::pin::Pin;

use server_runtime::ShutdownSignal;
use token_core::TokenService;

/// A backend's library serving on a listener until the shutdown signal.
pub type Serving = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// One backend: a binary crate serving the contract on one framework.
#[derive(Debug, Clone, Copy)]
pub struct Backend {
    /// The binary and crate name, `server-<name>`.
    pub binary: &'static str,
    /// The framework and its version line.
    pub framework: &'static str,
    /// How it is served and anything a chooser should know.
    pub notes: &'static str,
    /// The HTTP engine under it: backends on one engine must answer byte for byte alike.
    pub engine: Engine,
    /// Its library's `serve`, for the in-process tests.
    pub serve: fn(TcpListener, TokenService, ShutdownSignal) -> Serving,
}

/// The HTTP/1 engine that parses requests and writes responses for a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// actix-http, under actix-web.
    ActixHttp,
    /// hyper, under axum, warp, poem, salvo and the bare backend.
    Hyper,
}

impl Backend {
    /// The short name (`axum`), as `bench --backend` and test output spell it.
    pub fn name(&self) -> &'static str {
        self.binary.trim_start_matches("server-")
    }
}

/// Every backend.
pub const BACKENDS: &[Backend] = &[
    Backend {
        binary: "server-axum",
        framework: "axum 0.8",
        notes: "served by `hyper-serve` for its timeouts",
        engine: Engine::Hyper,
        serve: |l, s, d| Box::pin(server_axum::serve(l, s, d)),
    },
    Backend {
        binary: "server-actix",
        framework: "actix-web 4",
        notes: "actix-web's own server (actix-http), given the same timeouts and limits",
        engine: Engine::ActixHttp,
        serve: |l, s, d| Box::pin(server_actix::serve(l, s, d)),
    },
    Backend {
        binary: "server-warp",
        framework: "warp 0.4",
        notes: "served by `hyper-serve`",
        engine: Engine::Hyper,
        serve: |l, s, d| Box::pin(server_warp::serve(l, s, d)),
    },
    Backend {
        binary: "server-poem",
        framework: "poem 3",
        notes: "served by `hyper-serve` (`poem::Server` takes no request-head timeout)",
        engine: Engine::Hyper,
        serve: |l, s, d| Box::pin(server_poem::serve(l, s, d)),
    },
    Backend {
        binary: "server-salvo",
        framework: "salvo 0.85",
        notes: "salvo's own server (hyper), given `hyper-serve`'s settings",
        engine: Engine::Hyper,
        serve: |l, s, d| Box::pin(server_salvo::serve(l, s, d)),
    },
    Backend {
        binary: "server-hyper",
        framework: "none (hyper 1)",
        notes: "the contract on hyper alone: the reference for each framework's cost",
        engine: Engine::Hyper,
        serve: |l, s, d| Box::pin(server_hyper::serve(l, s, d)),
    },
];

/// The README's backend table.
pub fn markdown_table() -> String {
    let mut table = String::from("| Binary | Framework | Notes |\n|---|---|---|\n");
    for backend in BACKENDS {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            backend.binary, backend.framework, backend.notes
        ));
    }
    table
}
