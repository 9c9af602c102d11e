//! `POST /v1/evaluate` (one game) and `POST /v1/evaluate/batch` (some
//! games, or the whole schedule): one JSON answer each.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::state::App;
use super::answers::WhatIf;
use super::error::{ApiError, ApiResult, Failure, Unavailable, interrupted, not_logged};
use super::extract::JsonBody;
use super::games::{GameRef, Named, check_batch, log_decision, resolve, resolve_one, what_if_of};
use super::{RequestId, Work, blocking, json_answer, league};
use crate::model::{GameReport, Report};

/// The body of `POST /v1/evaluate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluateRequest {
    /// The league, as in URLs.
    league: String,
    /// The game: its id in the current schedule, or sent whole (a what-if).
    game: GameRef,
}

/// The body of `POST /v1/evaluate/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchRequest {
    /// The league, as in URLs.
    league: String,
    /// The games; without it, the whole schedule.
    games: Option<Vec<GameRef>>,
}

/// The answer of `POST /v1/evaluate`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GameAnswer {
    /// The evaluation's id (also in the log and the decision log).
    id: String,
    /// The league.
    league: String,
    /// The schedule version the game was judged in.
    schedule_version: u64,
    /// The game's report.
    report: GameReport,
    /// For a game sent whole: what else the edit changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<WhatIf>,
}

/// The answer of `POST /v1/evaluate/batch`: the games' reports, or without
/// `games` in the request the whole schedule's report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BatchAnswer {
    /// The evaluation's id.
    id: String,
    /// The league.
    league: String,
    /// The schedule version the games were judged in.
    schedule_version: u64,
    /// The reports of the games asked for, in the order asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    games: Option<Vec<GameReport>>,
    /// The whole schedule's report, when no games were named.
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
    /// For games sent whole: what else the edit changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<WhatIf>,
}

/// Rule on one game of a league: by id, in the current schedule; or sent
/// whole, as a what-if (an edit of a copy of the schedule, nothing
/// committed).
#[utoipa::path(
    post,
    path = "/v1/evaluate",
    tag = "evaluate",
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "The game's report", body = GameAnswer),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn evaluate(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    JsonBody(req): JsonBody<EvaluateRequest>,
) -> ApiResult<Response> {
    let state = league(&app, &req.league)?.clone();
    let current = super::error::current(&state)?;
    let named = resolve_one(&state, &current.schedule, req.game, "game")?;
    let evaluator = state.evaluator.load_full();
    let app2 = app.clone();
    blocking(&work, move |cancel| {
        let app = app2;
        let game = named.game().clone();
        let (report, what_if, judged) =
            match what_if_of(&app, &state, &current, &evaluator, &[&named], cancel)? {
                Some(what) => {
                    let report = what.report_of(&game.id).cloned().ok_or_else(|| {
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            "the edited schedule lost its game",
                        )
                    })?;
                    let what_if = WhatIf::of(&what, &[&game.id]);
                    (report, Some(what_if), what.schedule)
                }
                None => {
                    let report = evaluator
                        .try_evaluate_games_until(&current.schedule, vec![game], cancel)
                        .map_err(|e| interrupted(&app, e))?
                        .into_iter()
                        .next()
                        .ok_or_else(|| {
                            ApiError::new(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                "internal",
                                "no report came back",
                            )
                        })?;
                    (report, None, current.schedule.clone())
                }
            };
        app.metrics.verdicts(&state.name, report.verdicts.iter());
        log_decision(
            &app,
            &id,
            &state.name,
            (current.version, &judged),
            &evaluator,
            &[&report],
        )
        .map_err(|e| not_logged(&app, &e))?;
        json_answer(
            &app,
            &GameAnswer {
                id,
                league: state.name.clone(),
                schedule_version: current.version,
                report,
                what_if,
            },
        )
    })
    .await?
}

/// Rule on several games, or (without `games`) on the whole schedule.
#[utoipa::path(
    post,
    path = "/v1/evaluate/batch",
    tag = "evaluate",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "The games' reports, or the schedule's report", body = BatchAnswer),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn evaluate_batch(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    JsonBody(req): JsonBody<BatchRequest>,
) -> ApiResult<Response> {
    let state = league(&app, &req.league)?.clone();
    let current = super::error::current(&state)?;
    // The decision log names the versions that ruled, even if a reload
    // swaps them meanwhile.
    let evaluator = state.evaluator.load_full();
    let games = match req.games {
        Some(refs) => {
            check_batch(&app, refs.len())?;
            Some(resolve(&state, &current.schedule, refs)?)
        }
        None => None,
    };
    let app2 = app.clone();
    blocking(&work, move |cancel| {
        let app = app2;
        let schedule = &current.schedule;
        match games {
            Some(named) => {
                let refs: Vec<&Named> = named.iter().collect();
                let (reports, what_if, judged) =
                    match what_if_of(&app, &state, &current, &evaluator, &refs, cancel)? {
                        // Every game, inline or not, as the edited copy has it.
                        Some(what) => {
                            let reports: Vec<GameReport> = named
                                .iter()
                                .filter_map(|n| what.report_of(&n.game().id).cloned())
                                .collect();
                            let asked: Vec<&str> = named.iter().map(|n| &*n.game().id).collect();
                            let what_if = WhatIf::of(&what, &asked);
                            (reports, Some(what_if), what.schedule)
                        }
                        None => {
                            let games = named.iter().map(|n| n.game().clone()).collect();
                            let reports = evaluator
                                .try_evaluate_games_until(schedule, games, cancel)
                                .map_err(|e| interrupted(&app, e))?;
                            (reports, None, schedule.clone())
                        }
                    };
                app.metrics
                    .verdicts(&state.name, reports.iter().flat_map(|r| r.verdicts.iter()));
                let logged: Vec<_> = reports.iter().collect();
                log_decision(
                    &app,
                    &id,
                    &state.name,
                    (current.version, &judged),
                    &evaluator,
                    &logged,
                )
                .map_err(|e| not_logged(&app, &e))?;
                json_answer(
                    &app,
                    &BatchAnswer {
                        id,
                        league: state.name.clone(),
                        schedule_version: current.version,
                        games: Some(reports),
                        report: None,
                        what_if,
                    },
                )
            }
            None => {
                let report = evaluator
                    .try_evaluate_until(schedule, cancel)
                    .map_err(|e| interrupted(&app, e))?;
                let verdicts = report
                    .schedule
                    .verdicts
                    .iter()
                    .chain(report.games.iter().flat_map(|g| g.verdicts.iter()));
                app.metrics.verdicts(&state.name, verdicts);
                let logged: Vec<_> = report.games.iter().collect();
                log_decision(
                    &app,
                    &id,
                    &state.name,
                    current.judged(),
                    &evaluator,
                    &logged,
                )
                .map_err(|e| not_logged(&app, &e))?;
                json_answer(
                    &app,
                    &BatchAnswer {
                        id,
                        league: state.name.clone(),
                        schedule_version: current.version,
                        games: None,
                        report: Some(report),
                        what_if: None,
                    },
                )
            }
        }
    })
    .await?
}
