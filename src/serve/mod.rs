//! `serve`: the web face of the engine — a JSON API and server-rendered HTML pages over the same
//! `search`, `compare`, `matrix` and `views` calls the CLI makes. No ranking here: handlers turn
//! HTTP parameters into the library's requests and its responses into JSON or HTML.
//!
//! axum on a small tokio runtime; engine work runs on blocking threads with engines from a
//! [`pool::Pool`], which follows the index's `CURRENT` pointer so a new generation is served
//! without a restart. Loopback by default; one log line per request; SIGINT/SIGTERM stop it
//! cleanly (requests in flight finish).

mod api;
mod html;
mod pages;
pub mod pool;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::corpus::Jurisdictions;
use pool::Pool;

/// Longest request target (path and query string) accepted, in bytes. A query is at most 4096
/// bytes (the parser's limit); percent-encoding can triple that.
pub const MAX_URI: usize = 16 * 1024;
/// Largest request body accepted (`POST /api/situation`), in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Most hits one request may ask for.
pub const MAX_LIMIT: usize = 100;
/// A request taking longer than this is answered 503.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The Content-Security-Policy of every response: no script at all, styles from this server.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub index: PathBuf,
    pub addr: SocketAddr,
    /// Worker threads for engine work (blocking pool); 0 = the number of cores.
    pub threads: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// What every handler shares.
pub(crate) struct AppState {
    pub pool: Pool,
    pub jurisdictions: Jurisdictions,
}

pub(crate) type Shared = Arc<AppState>;

/// The whole application: API, pages, assets, health check, limits and headers.
pub fn router(pool: Pool) -> Router {
    let state: Shared = Arc::new(AppState {
        pool,
        jurisdictions: Jurisdictions::builtin(),
    });
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/search", get(api::search))
        .route("/api/situation", post(api::situation))
        .route("/api/passage/{*id}", get(api::passage))
        .route("/api/document/{*id}", get(api::document))
        .route("/api/compare", get(api::compare))
        .route("/api/matrix", get(api::matrix))
        .route("/api/openapi.json", get(api::openapi))
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/passage/{*id}", get(pages::passage))
        .route("/document/{*id}", get(pages::document))
        .route("/compare", get(pages::compare))
        .route("/matrix", get(pages::matrix))
        .route("/situation", get(pages::situation))
        .route("/help", get(pages::help))
        .route("/static/style.css", get(pages::style))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(guard))
        .with_state(state)
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        api::error(
            StatusCode::NOT_FOUND,
            "no such endpoint; see /api/openapi.json",
        )
    } else {
        pages::error_page(StatusCode::NOT_FOUND, "No such page.")
    }
}

/// Limits, security headers and the one log line per request.
async fn guard(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let mut resp = if target.len() > MAX_URI {
        let msg = format!("request target longer than {MAX_URI} bytes");
        if target.starts_with("/api/") {
            api::error(StatusCode::URI_TOO_LONG, &msg)
        } else {
            pages::error_page(StatusCode::URI_TOO_LONG, &msg)
        }
    } else {
        match tokio::time::timeout(TIMEOUT, next.run(req)).await {
            Ok(r) => r,
            Err(_) => api::error(StatusCode::SERVICE_UNAVAILABLE, "request timed out"),
        }
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let shown: String = target.chars().take(200).collect();
    tracing::info!(
        target: "cyberlex::serve",
        "{method} {shown} {} {:.1}ms",
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3
    );
    resp
}

/// Run engine work on a blocking thread with an engine of the current generation.
pub(crate) async fn with_engine<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut crate::search::Engine, &AppState) -> T + Send + 'static,
) -> Result<T, Response> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut lease = st.pool.get()?;
        Ok::<T, crate::search::SearchError>(f(&mut lease, &st))
    })
    .await
    .map_err(|e| {
        tracing::error!("request handler failed: {e}");
        api::error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?
    .map_err(|e| {
        tracing::error!("no engine: {e}");
        api::error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
    })
}

/// Serve until SIGINT or SIGTERM. Prints `listening on http://ADDR/` on stdout once bound (the
/// port is the real one when `addr` asked for port 0).
pub fn run(opts: ServeOptions) -> Result<(), ServeError> {
    let pool = Pool::open(&opts.index, 64)?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.min(4))
        .max_blocking_threads(threads.max(1) * 4)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        if !opts.addr.ip().is_loopback() {
            tracing::warn!(
                "listening on {} — reachable from other machines; the server has no \
                 authentication (use 127.0.0.1 for yourself alone)",
                opts.addr
            );
        }
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: opts.addr,
                source,
            })?;
        let local = listener.local_addr()?;
        tracing::info!(generation = %pool.generation().display(), "serving {}", opts.index.display());
        {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "cyberlex serve: listening on http://{local}/");
            let _ = out.flush();
        }
        axum::serve(listener, router(pool))
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(2);
    let t = tx.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = t.send("SIGINT").await;
        }
    });
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            if s.recv().await.is_some() {
                let _ = tx.send("SIGTERM").await;
            }
        }
    });
    if let Some(sig) = rx.recv().await {
        tracing::info!("{sig}: finishing requests in flight, then stopping");
    }
}

pub(crate) fn body_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
