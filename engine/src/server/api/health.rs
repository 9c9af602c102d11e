//! How the server is doing: `/v1/stats`, Prometheus `/metrics`, and the
//! liveness and readiness probes (`/healthz`, `/readyz`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::super::state::App;
use super::error::{ApiError, ApiResult};
use crate::breaker::BreakerState;

pub(crate) async fn stats(State(app): State<Arc<App>>) -> ApiResult<Response> {
    let mut leagues = BTreeMap::new();
    for (name, state) in &app.leagues {
        let evaluator = state.evaluator.load();
        let mut figures = app.metrics.figures(name);
        let constraints: BTreeMap<_, _> = evaluator
            .registry()
            .constraints()
            .iter()
            .zip(evaluator.breakers())
            .map(|(c, b)| {
                let id = c.manifest.id.to_string();
                let f = figures.remove(&id);
                (id, serde_json::json!({"breaker": b.state(), "figures": f}))
            })
            .collect();
        let schedule = state.schedule.load();
        leagues.insert(
            name.clone(),
            serde_json::json!({
                "schedule_version": schedule.version,
                "games": schedule.schedule.len(),
                "plugin_generation": state.generation.load(std::sync::atomic::Ordering::Relaxed),
                "constraints": constraints,
                "executor": evaluator.pool_stats(),
            }),
        );
    }
    Ok(axum::Json(serde_json::json!({
        "uptime_s": app.started.elapsed().as_secs_f64(),
        "rss_mb": super::super::alerts::rss_mb(),
        "alerts": app.alerts.active(),
        "in_flight": app.metrics.in_flight.get(),
        "cache": app.cache.stats(),
        "leagues": leagues,
    }))
    .into_response())
}

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    for (name, state) in &app.leagues {
        let evaluator = state.evaluator.load();
        for (c, b) in evaluator
            .registry()
            .constraints()
            .iter()
            .zip(evaluator.breakers())
        {
            let open = match b.state() {
                BreakerState::Closed => 0,
                BreakerState::HalfOpen => 1,
                BreakerState::Open => 2,
            };
            app.metrics
                .breaker_open
                .get_or_create(&super::super::metrics::ConstraintLabels {
                    league: name.clone(),
                    constraint: c.manifest.id.to_string(),
                })
                .set(open);
        }
        app.metrics
            .queued
            .get_or_create(&super::super::metrics::LeagueLabels {
                league: name.clone(),
            })
            .set(evaluator.pool_stats().queued as i64);
    }
    let cache = app.cache.stats();
    let mut layers = vec![("l1", &cache.l1)];
    if let Some(l2) = &cache.l2 {
        layers.push(("l2", &l2.layer));
    }
    for (layer, s) in layers {
        for (outcome, n) in [("hit", s.hits), ("miss", s.misses), ("stale", s.stale)] {
            app.metrics
                .cache
                .get_or_create(&super::super::metrics::LayerLabels {
                    layer: layer.into(),
                    outcome: outcome.into(),
                })
                .inner()
                .store(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let mut response = app.metrics.encode().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

pub(crate) async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

pub(crate) async fn readyz(State(app): State<Arc<App>>) -> ApiResult<Response> {
    let retry_after = app.config.server.retry_after_s;
    if !app.ready.load(std::sync::atomic::Ordering::Acquire) {
        return Err(ApiError::unavailable(
            "starting",
            "the server is warming its cache",
            retry_after,
        ));
    }
    if app.slots.available_permits() == 0 {
        return Err(ApiError::unavailable(
            "full",
            format!(
                "every concurrency slot is taken ({} requests in flight; server.concurrency)",
                app.config.server.concurrency
            ),
            retry_after,
        ));
    }
    if app.metrics.connections.get() >= app.config.server.max_connections as i64 {
        return Err(ApiError::unavailable(
            "full",
            format!(
                "{} connections are open (server.max_connections)",
                app.config.server.max_connections
            ),
            retry_after,
        ));
    }
    if let Some(why) = app.decisions.as_ref().and_then(|log| log.failing()) {
        return Err(ApiError::unavailable("decision_log", why, retry_after));
    }
    Ok(
        axum::Json(serde_json::json!({"status": "ready", "leagues": app.leagues.len()}))
            .into_response(),
    )
}
