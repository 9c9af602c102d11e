//! `umpire serve`: the HTTP API, on axum and tokio.
//!
//! Leagues are loaded at start (from `[leagues.NAME]` in the config, or
//! `--league DIR`), each with its schedule, which clients replace (PUT) or
//! edit (PATCH) so that repeated evaluations need not resend the season.
//! Requests name the league; a game comes by id or inline. Every answer is
//! JSON (the stream route NDJSON), every error `{"error": {"code",
//! "message"}}`. A request past the concurrency limit, or one the executor
//! has no room for, gets 503 with `Retry-After`; SIGTERM and SIGINT stop
//! taking requests and let those in flight finish.

mod alerts;
mod api;
mod decisions;
mod metrics;
mod state;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tracing::Instrument;

use crate::Config;
use crate::error::{Error, Result};
use state::App;

/// The OpenAPI document of the routes.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// A league to serve: its name in URLs, its directory, more plugin
/// directories, and the schedule to start from (the league's own if none).
#[derive(Debug, Clone)]
pub struct ServeLeague {
    /// The name requests use.
    pub name: String,
    /// The league directory.
    pub dir: PathBuf,
    /// More plugin directories.
    pub plugins: Vec<PathBuf>,
    /// The starting schedule.
    pub schedule: Option<PathBuf>,
}

/// Loads the leagues, warms the cache, binds and serves until SIGTERM or
/// SIGINT, then drains the requests in flight. `ready` is told the bound
/// address once the server answers.
pub fn serve(
    config: Config,
    leagues: Vec<ServeLeague>,
    no_build: bool,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    if leagues.is_empty() {
        return Err(Error::Config {
            path: "leagues".into(),
            message: "no league to serve: add `[leagues.NAME] dir = \"...\"` to the config, or pass --league DIR".into(),
        });
    }
    let bind: SocketAddr = config.server.bind.parse().map_err(|_| Error::Config {
        path: "server.bind".into(),
        message: format!("`{}` is not an address and port", config.server.bind),
    })?;
    let warm = config.cache.warm_files();
    let app = Arc::new(App::load(
        config,
        leagues
            .into_iter()
            .map(|l| (l.name, l.dir, l.plugins, l.schedule))
            .collect(),
        no_build,
    )?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("umpire-http")
        .build()
        .map_err(|e| Error::Config {
            path: "server".into(),
            message: format!("cannot start the async runtime: {e}"),
        })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| Error::Config {
            path: "server.bind".into(),
            message: format!("cannot listen on {bind}: {e}"),
        })?;
        let addr = listener.local_addr().map_err(|e| Error::Config {
            path: "server.bind".into(),
            message: e.to_string(),
        })?;
        let router = router(app.clone());
        if app.config.server.watch {
            watch::start(app.clone());
        }
        tokio::spawn(alerts::watch(app.clone()));
        ready(addr);
        // Warm the cache while already answering /healthz; /readyz says 503
        // till done. Without a cache there is nothing to warm.
        let warming = app.clone();
        tokio::task::spawn_blocking(move || {
            for state in warming.leagues.values().filter(|_| warming.config.cache.enabled) {
                let evaluator = state.evaluator.load_full();
                // The league's own schedule first, then the warm-up files
                // that belong to it (others fail to validate: skipped).
                evaluator.evaluate(&state.schedule.load().schedule);
                for file in &warm {
                    if let Err(e) = evaluator.warm(std::slice::from_ref(file)) {
                        tracing::warn!(league = %state.name, file = %file.display(), error = %e, "warm-up file skipped");
                    }
                }
            }
            warming.ready.store(true, Ordering::Release);
            tracing::info!("ready");
        });
        // Answers go out as they are written: without TCP_NODELAY, an NDJSON
        // stream's small chunks wait on the client's delayed ACK (~40 ms each
        // time, as the load harness showed).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| Error::Config {
                path: "server".into(),
                message: format!("the server stopped: {e}"),
            });
        if let Some(log) = &app.decisions {
            log.close();
        }
        served
    })
}

/// The routes with their limits.
fn router(app: Arc<App>) -> Router {
    let body_limit = app.config.server.body_limit_kb.saturating_mul(1024);
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/evaluate", post(api::evaluate))
        .route("/v1/evaluate/batch", post(api::evaluate_batch))
        .route("/v1/evaluate/stream", post(api::evaluate_stream))
        .route("/v1/constraints", get(api::constraints))
        .route("/v1/constraints/{id}", get(api::constraint))
        .route("/v1/stats", get(api::stats))
        .route("/v1/leagues", get(api::leagues))
        .route(
            "/v1/leagues/{league}/schedule",
            get(api::get_schedule)
                .put(api::put_schedule)
                .patch(api::patch_schedule),
        )
        .route("/v1/admin/reload", post(api::reload))
        .fallback(api::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

async fn method_not_allowed() -> Response {
    api::ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /v1/openapi.json",
    )
    .into_response()
}

/// Every request: a span with its id, the concurrency limit, the deadline,
/// and the counts.
async fn guard(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = app.evaluation_id();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), route = %route);
    // The evaluation a request makes carries the request's id.
    request.extensions_mut().insert(api::RequestId(id));
    let limit = app.config.server.concurrency as i64;
    let retry_after = app.config.server.retry_after_s;
    let response = async {
        // Health and metrics are answered even when the server is full.
        let exempt = matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics");
        let in_flight = app.metrics.in_flight.inc() + 1;
        let response = if !exempt && in_flight > limit {
            api::ApiError::unavailable(
                "too_many_requests",
                format!("{limit} requests in flight already (server.concurrency)"),
                retry_after,
            )
            .into_response()
        } else {
            let deadline = Duration::from_millis(app.config.server.request_timeout_ms);
            match tokio::time::timeout(deadline, next.run(request)).await {
                Ok(response) => response,
                Err(_) => api::ApiError::unavailable(
                    "deadline",
                    format!(
                        "the request took over {} ms (server.request_timeout_ms)",
                        deadline.as_millis()
                    ),
                    retry_after,
                )
                .into_response(),
            }
        };
        app.metrics.in_flight.dec();
        response
    }
    .instrument(span.clone())
    .await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    app.metrics.request(&route, status, seconds);
    span.in_scope(|| tracing::debug!(status, ms = seconds * 1e3, "answered"));
    response
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
