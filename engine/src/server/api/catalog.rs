//! What the server holds: its leagues (`/v1/leagues`), their constraints
//! with breaker and component (`/v1/constraints`), the OpenAPI document
//! that describes the routes, and the answer to a route it does not have.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::super::state::{App, LeagueState};
use super::error::{ApiError, ApiResult};
use super::extract::{Query, UrlPath};
use super::{LeagueQuery, league};
use crate::breaker::BreakerState;

/// The league a query names, or every league.
fn named_or_all(app: &App, q: &LeagueQuery) -> ApiResult<Vec<Arc<LeagueState>>> {
    match &q.league {
        Some(name) => Ok(vec![league(app, name)?.clone()]),
        None => Ok(app.leagues.values().cloned().collect()),
    }
}

/// A constraint as `/v1/constraints` shows it.
fn constraint_json(
    state: &LeagueState,
    c: &crate::Constraint,
    breaker: &crate::breaker::Breaker,
) -> serde_json::Value {
    let mut v = serde_json::to_value(&c.manifest).unwrap_or_default();
    v["league"] = state.name.clone().into();
    v["breaker"] = serde_json::json!({"state": breaker.state(), "reason": match breaker.state() {
        BreakerState::Closed => None,
        _ => Some(breaker.reason()),
    }});
    if let Some(crate::runtime::WasmInfo {
        sha256,
        compiled,
        version,
    }) = c.wasm_info()
    {
        v["component"] =
            serde_json::json!({"sha256": sha256, "compiled": compiled, "version": version});
    }
    v
}

pub(crate) async fn constraints(
    State(app): State<Arc<App>>,
    Query(q): Query<LeagueQuery>,
) -> ApiResult<Response> {
    let states = named_or_all(&app, &q)?;
    let mut constraints = Vec::new();
    let mut reload_errors = BTreeMap::new();
    for state in &states {
        let evaluator = state.evaluator.load();
        for (c, b) in evaluator
            .registry()
            .constraints()
            .iter()
            .zip(evaluator.breakers())
        {
            constraints.push(constraint_json(state, c, b));
        }
        if let Some(e) = state
            .reload_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            reload_errors.insert(state.name.clone(), e);
        }
    }
    Ok(axum::Json(serde_json::json!({
        "constraints": constraints,
        "reload_errors": reload_errors,
    }))
    .into_response())
}

pub(crate) async fn constraint(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<LeagueQuery>,
) -> ApiResult<Response> {
    let states = named_or_all(&app, &q)?;
    for state in &states {
        let evaluator = state.evaluator.load();
        let registry = evaluator.registry();
        if let Some(i) = registry
            .constraints()
            .iter()
            .position(|c| *c.manifest.id == *id)
        {
            let mut v =
                constraint_json(state, &registry.constraints()[i], &evaluator.breakers()[i]);
            v["stats"] =
                serde_json::to_value(app.metrics.figures(&state.name).get(&id)).unwrap_or_default();
            return Ok(axum::Json(v).into_response());
        }
    }
    Err(ApiError::not_found(
        "unknown_constraint",
        format!("no constraint `{id}` is loaded"),
    ))
}

pub(crate) async fn leagues(State(app): State<Arc<App>>) -> Response {
    let list: Vec<_> = app
        .leagues
        .values()
        .map(|s| {
            let schedule = s.schedule.load();
            serde_json::json!({
                "name": s.name,
                "title": s.league.name,
                "teams": s.league.teams.len(),
                "games": schedule.schedule.len(),
                "schedule_version": schedule.version,
                "constraints": s.evaluator.load().registry().len(),
            })
        })
        .collect();
    axum::Json(serde_json::json!({"leagues": list})).into_response()
}

pub(crate) async fn openapi() -> Response {
    let mut response = super::super::OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route; see /v1/openapi.json")
}
