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
mod cluster;
mod decisions;
mod listen;
mod metrics;
mod state;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Extension, Router};
use tower::ServiceBuilder;
use tower::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::{config::Config, exec::Cancel};
use state::App;

/// A league to serve: its name in URLs and where it comes from.
#[derive(Debug, Clone)]
pub(crate) struct ServeLeague {
    /// The name requests use.
    pub name: String,
    /// Its files.
    pub source: Source,
}

/// Where a served league comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A league directory, more plugin directories, and the schedule to
    /// start from (the league's own if none).
    Dir {
        dir: PathBuf,
        plugins: Vec<PathBuf>,
        schedule: Option<PathBuf>,
    },
    /// A RobinX (or ITC2021) instance, its constraints on the plugin pack
    /// in `pack`, starting from `solution` (an empty schedule if none).
    Robinx {
        instance: PathBuf,
        solution: Option<PathBuf>,
        pack: PathBuf,
    },
}

/// Loads the leagues, warms the cache, binds and serves until SIGTERM or
/// SIGINT, then drains the requests in flight. `ready` is told the bound
/// address once the server answers.
pub(crate) fn serve(
    config: Config,
    leagues: Vec<ServeLeague>,
    no_build: bool,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    if leagues.is_empty() {
        return Err(Error::Config {
            path: "leagues".into(),
            message: "no league to serve: add `[leagues.NAME] dir = \"...\"` (or `robinx = { instance = \"...\" }`) to the config, or pass --league DIR".into(),
        });
    }
    let bind: SocketAddr = config.server.bind.parse().map_err(|_| Error::Config {
        path: "server.bind".into(),
        message: format!("`{}` is not an address and port", config.server.bind),
    })?;
    let warm = config.cache.warm_files();
    let app = Arc::new(App::load(config, leagues, no_build)?);
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
        if app.config.server.write_token.is_none() && app.config.server.admin_token.is_none() {
            tracing::warn!(
                "schedule writes (PUT, PATCH) are open to every client: set server.write_token to require a token"
            );
        }
        if app.config.server.watch {
            watch::start(app.clone());
        }
        if let Some(cluster) = &app.cluster {
            beat(app.clone(), cluster.clone(), addr.to_string());
            let reloading = app.clone();
            cluster.on_reload(move |from| {
                tracing::info!(from = %from, "another node reloaded its plugins: reloading");
                reloading.reload_all(false);
            });
        }
        tokio::spawn(watch_alerts(app.clone()));
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
        listen::serve(listener, router, app.clone(), shutdown()).await;
        if let Some(log) = &app.decisions {
            log.close();
        }
        Ok(())
    })
}

/// Says every `cluster.heartbeat_ms` that this node is alive and what it
/// runs, and warns (once per difference) of a live node whose plugins
/// differ, for as long as the process runs.
fn beat(app: Arc<App>, cluster: Arc<cluster::Cluster>, addr: String) {
    let spawned = std::thread::Builder::new()
        .name("umpire-cluster-beat".into())
        .spawn(move || {
            let mut warned = std::collections::BTreeSet::new();
            loop {
                let me = app.node_info(&cluster.node, &addr);
                if let Err(cluster::Down(why)) = cluster.beat(&me) {
                    tracing::debug!("heartbeat not stored: {why}");
                }
                let alive = cluster::now_ms().saturating_sub(3 * cluster.heartbeat.as_millis() as u64);
                for other in cluster.nodes().unwrap_or_default() {
                    if other.node == me.node || other.heartbeat_ms < alive {
                        continue;
                    }
                    for (league, theirs) in &other.leagues {
                        let Some(mine) = me.leagues.get(league) else { continue };
                        if mine.plugins != theirs.plugins
                            && warned.insert((other.node.clone(), league.clone(), theirs.plugins.clone(), mine.plugins.clone()))
                        {
                            tracing::warn!(
                                league = %league,
                                node = %other.node,
                                "node {} runs other plugins for `{league}` than this node ({} against {}): reload it, or this one",
                                other.node, theirs.plugins, mine.plugins
                            );
                        }
                    }
                }
                std::thread::sleep(cluster.heartbeat);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the cluster's heartbeat");
    }
}

/// Judges the alert thresholds every `alerts.interval_ms` over the window
/// just passed, for as long as the server runs.
async fn watch_alerts(app: Arc<App>) {
    let every = std::time::Duration::from_millis(app.config.alerts.interval_ms);
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let holding = alerts::check(&app.config.alerts, &app.readings());
        app.alerts.update(holding);
    }
}

/// The routes with their limits.
fn router(app: Arc<App>) -> Router {
    let body_limit = app.config.server.body_limit_kb.saturating_mul(1024);
    let deadline = Duration::from_millis(app.config.server.request_timeout_ms);
    let retry_after = app.config.server.retry_after_s;
    // Past the deadline tower's Timeout drops the handler's future and
    // `past_deadline` answers. Health, metrics and stats have none (nor a
    // slot: `guard`).
    let work = Router::new()
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/evaluate", post(api::evaluate))
        .route("/v1/evaluate/batch", post(api::evaluate_batch))
        .route("/v1/evaluate/stream", post(api::evaluate_stream))
        .route("/v1/constraints", get(api::constraints))
        .route("/v1/constraints/{id}", get(api::constraint))
        .route("/v1/leagues", get(api::leagues))
        .route(
            "/v1/leagues/{league}/schedule",
            get(api::get_schedule)
                .put(api::put_schedule)
                .patch(api::patch_schedule),
        )
        .route("/v1/leagues/{league}/moves", post(api::moves))
        .route("/v1/leagues/{league}/report.html", get(api::report_html))
        .route("/v1/admin/reload", post(api::reload))
        .route_layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(
                    move |work: Option<Extension<api::Work>>, error: BoxError| {
                        past_deadline(work, error, deadline, retry_after)
                    },
                ))
                .layer(TimeoutLayer::new(deadline)),
        );
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/v1/stats", get(api::stats))
        .route("/v1/cluster", get(api::cluster))
        .merge(work)
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

/// The answer past `server.request_timeout_ms`: the request's work is told
/// to stop (its future is gone, but a blocking evaluation runs on till it
/// looks at the flag, and keeps the slot till then), and the client to
/// come back later.
async fn past_deadline(
    work: Option<Extension<api::Work>>,
    error: BoxError,
    deadline: Duration,
    retry_after: u64,
) -> Response {
    if let Some(Extension(work)) = work {
        work.cancel.cancel();
    }
    if !error.is::<tower::timeout::error::Elapsed>() {
        return api::ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the request failed: {error}"),
        )
        .into_response();
    }
    api::ApiError::unavailable(
        "deadline",
        format!(
            "the request took over {} ms (server.request_timeout_ms)",
            deadline.as_millis()
        ),
        retry_after,
    )
    .into_response()
}

/// Every request: a span with its id, its body read in full (bounded in
/// size and time) before it takes a concurrency slot, the slot,
/// cancellation if the client goes, and the counts. The deadline is the
/// layer inside (`router`).
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
    let response = async {
        // Health, metrics and stats are answered even when the server is
        // full, and take no slot.
        if matches!(
            route.as_str(),
            "/healthz" | "/readyz" | "/metrics" | "/v1/stats"
        ) {
            return next.run(request).await;
        }
        let request = match buffered(&app, request).await {
            Ok(request) => request,
            Err(e) => return e.into_response(),
        };
        let retry_after = app.config.server.retry_after_s;
        let Some(slot) = Slot::take(&app) else {
            return api::ApiError::unavailable(
                "too_many_requests",
                format!(
                    "{} requests in flight already (server.concurrency)",
                    app.config.server.concurrency
                ),
                retry_after,
            )
            .into_response();
        };
        // If this future is dropped before it answers (the client went),
        // the evaluation it started stops.
        let cancel = Cancel::new();
        let mut abandoned = Abandoned {
            cancel: cancel.clone(),
            counter: app.metrics.cancelled.clone(),
            answered: false,
        };
        let mut request = request;
        request.extensions_mut().insert(api::Work {
            cancel: cancel.clone(),
            slot: slot.clone(),
        });
        let response = next.run(request).await;
        abandoned.answered = true;
        drop(slot);
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

/// Held by a request's future: dropped before the answer (the client went),
/// it cancels the request's evaluation and counts it.
struct Abandoned {
    cancel: Cancel,
    counter: prometheus_client::metrics::counter::Counter,
    answered: bool,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if !self.answered {
            self.cancel.cancel();
            self.counter.inc();
        }
    }
}

/// A concurrency slot (`server.concurrency`): taken once a request's body
/// is in, and given back when the last clone is dropped. The handler, the
/// blocking evaluation it starts and the stream it answers with each hold
/// a clone, so a slot is free exactly when the work it stood for is over,
/// however the request ended.
#[derive(Clone)]
pub(crate) struct Slot {
    _held: Arc<SlotInner>,
}

struct SlotInner {
    _permit: tokio::sync::OwnedSemaphorePermit,
    in_flight: prometheus_client::metrics::gauge::Gauge,
}

impl Slot {
    fn take(app: &App) -> Option<Self> {
        let permit = app.slots.clone().try_acquire_owned().ok()?;
        app.metrics.in_flight.inc();
        Some(Self {
            _held: Arc::new(SlotInner {
                _permit: permit,
                in_flight: app.metrics.in_flight.clone(),
            }),
        })
    }
}

impl Drop for SlotInner {
    fn drop(&mut self) {
        self.in_flight.dec();
    }
}

/// The request with its body read whole: at most `server.body_limit_kb`
/// (a declared length over it is refused before anything is read, so an
/// `Expect: 100-continue` client is not told to go on) within
/// `server.body_timeout_ms`.
async fn buffered(app: &App, request: Request) -> std::result::Result<Request, api::ApiError> {
    use axum::http::StatusCode;
    use http_body_util::BodyExt as _;

    let limit = app.config.server.body_limit_kb.saturating_mul(1024);
    let too_large = || {
        api::ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is over the server's limit of {} KiB (server.body_limit_kb)",
                app.config.server.body_limit_kb
            ),
        )
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, limit);
    let wait = Duration::from_millis(app.config.server.body_timeout_ms);
    let bytes = match tokio::time::timeout(wait, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(e)) => {
            return Err(api::ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("cannot read the request body: {e}"),
            ));
        }
        Err(_) => {
            return Err(api::ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within {} ms (server.body_timeout_ms)",
                    wait.as_millis()
                ),
            ));
        }
    };
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
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
