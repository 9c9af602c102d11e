//! What the server holds: its leagues (`/v1/leagues`), their constraints
//! with breaker and component (`/v1/constraints`), and the answer to a
//! route it does not have.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::super::metrics::ConstraintFigures;
use super::super::state::{App, LeagueState};
use super::error::{ApiError, ApiResult, Failure};
use super::extract::{Query, UrlPath};
use super::{LeagueQuery, league};
use crate::breaker::BreakerState;
use crate::manifests::Manifest;

/// The league a query names, or every league.
fn named_or_all(app: &App, q: &LeagueQuery) -> ApiResult<Vec<Arc<LeagueState>>> {
    match &q.league {
        Some(name) => Ok(vec![league(app, name)?.clone()]),
        None => Ok(app.leagues.values().cloned().collect()),
    }
}

/// A constraint as `/v1/constraints` shows it: its manifest, with its
/// league, its breaker and, for a WebAssembly plugin, its component.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConstraintAnswer {
    #[serde(flatten)]
    manifest: Manifest,
    /// The league it rules in.
    league: String,
    /// Its breaker.
    breaker: BreakerAnswer,
    /// For a WebAssembly plugin: the component loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<Component>,
}

/// A constraint's breaker.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BreakerAnswer {
    state: BreakerState,
    /// Why it is not closed; `null` when it is.
    reason: Option<String>,
}

/// The WebAssembly component a constraint runs.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Component {
    /// The SHA-256 of the component's bytes, in hex.
    sha256: String,
    /// Where its machine code came from: `memory`, `disk-cache` or `fresh`.
    #[schema(value_type = String)]
    compiled: crate::runtime::Compiled,
    /// The version the plugin describes itself with.
    version: String,
}

/// One constraint (`/v1/constraints/{id}`), with its figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConstraintDetail {
    #[serde(flatten)]
    constraint: ConstraintAnswer,
    /// Its figures since the server started; `null` before its first call.
    stats: Option<ConstraintFigures>,
}

/// The answer of `GET /v1/constraints`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConstraintsAnswer {
    /// The loaded constraints, league by league.
    constraints: Vec<ConstraintAnswer>,
    /// Per league whose last reload failed, why (it serves the plugins it
    /// had).
    reload_errors: BTreeMap<String, String>,
}

/// A league as `/v1/leagues` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LeagueAnswer {
    /// Its name, as in URLs.
    name: String,
    /// Its title, from its league file.
    title: String,
    /// How many teams.
    teams: usize,
    /// How many games its current schedule has.
    games: usize,
    /// Its schedule's version.
    schedule_version: u64,
    /// How many constraints are loaded.
    constraints: usize,
}

/// The answer of `GET /v1/leagues`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LeaguesAnswer {
    /// The leagues served.
    leagues: Vec<LeagueAnswer>,
}

/// A constraint as `/v1/constraints` shows it.
fn constraint_answer(
    state: &LeagueState,
    c: &crate::Constraint,
    breaker: &crate::breaker::Breaker,
) -> ConstraintAnswer {
    let component = c.wasm_info().map(
        |crate::runtime::WasmInfo {
             sha256,
             compiled,
             version,
         }| Component {
            sha256: sha256.to_owned(),
            compiled,
            version: version.to_owned(),
        },
    );
    ConstraintAnswer {
        manifest: c.manifest.clone(),
        league: state.name.clone(),
        breaker: BreakerAnswer {
            state: breaker.state(),
            reason: match breaker.state() {
                BreakerState::Closed => None,
                _ => Some(breaker.reason()),
            },
        },
        component,
    }
}

/// The loaded constraints with their breaker state, and any failed reload.
#[utoipa::path(
    get,
    path = "/v1/constraints",
    tag = "catalog",
    params(LeagueQuery),
    responses(
        (status = 200, description = "The constraints", body = ConstraintsAnswer),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
    )
)]
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
            constraints.push(constraint_answer(state, c, b));
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
    Ok(axum::Json(ConstraintsAnswer {
        constraints,
        reload_errors,
    })
    .into_response())
}

/// One constraint, with its figures (count, p50/p95/p99 latency,
/// statuses).
#[utoipa::path(
    get,
    path = "/v1/constraints/{id}",
    tag = "catalog",
    params(
        ("id" = String, Path, description = "The constraint's id"),
        LeagueQuery,
    ),
    responses(
        (status = 200, description = "The constraint", body = ConstraintDetail),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
    )
)]
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
            let constraint =
                constraint_answer(state, &registry.constraints()[i], &evaluator.breakers()[i]);
            let stats = app.metrics.figures(&state.name).remove(&id);
            return Ok(axum::Json(ConstraintDetail { constraint, stats }).into_response());
        }
    }
    Err(ApiError::not_found(
        "unknown_constraint",
        format!("no constraint `{id}` is loaded"),
    ))
}

/// The leagues served.
#[utoipa::path(
    get,
    path = "/v1/leagues",
    tag = "catalog",
    responses((status = 200, description = "The leagues", body = LeaguesAnswer))
)]
pub(crate) async fn leagues(State(app): State<Arc<App>>) -> Response {
    let leagues = app
        .leagues
        .values()
        .map(|s| {
            let schedule = s.schedule.load();
            LeagueAnswer {
                name: s.name.clone(),
                title: s.league.name.clone(),
                teams: s.league.teams.len(),
                games: schedule.schedule.len(),
                schedule_version: schedule.version,
                constraints: s.evaluator.load().registry().len(),
            }
        })
        .collect();
    axum::Json(LeaguesAnswer { leagues }).into_response()
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route; see /v1/openapi.json")
}
