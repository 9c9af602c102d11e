//! `POST /v1/leagues/{league}/moves`: candidate moves, each an edit of the
//! schedule judged against its season, answered with the totals after each
//! and the games whose reports change.

use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::state::App;
use super::answers::MoveAnswer;
use super::error::{ApiError, ApiResult, Failure, Unavailable, interrupted};
use super::extract::{JsonBody, UrlPath};
use super::{RequestId, Work, blocking, json_answer, league};
use crate::exec::Totals;
use crate::model::{PatchError, SchedulePatch};

/// The body of `POST /v1/leagues/{league}/moves`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MovesRequest {
    /// Candidate moves, each an edit as `PATCH .../schedule` takes it; at
    /// most `server.max_moves`.
    moves: Vec<SchedulePatch>,
    /// The version the moves were made against; another is a 409.
    #[serde(default)]
    base_version: Option<u64>,
}

/// The answer of `POST /v1/leagues/{league}/moves`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MovesAnswer {
    /// The evaluation's id.
    id: String,
    /// The league.
    league: String,
    /// The schedule version the moves were judged against.
    schedule_version: u64,
    /// The season's current totals.
    season: Totals,
    /// Per move, in the order sent: its totals, their change, the games it
    /// changes.
    moves: Vec<MoveAnswer>,
}

/// Score candidate moves, each on its own against the current schedule;
/// none is committed.
#[utoipa::path(
    post,
    path = "/v1/leagues/{league}/moves",
    tag = "schedules",
    params(("league" = String, Path, description = "The league, as in URLs")),
    request_body = MovesRequest,
    responses(
        (status = 200, description = "Each move's totals and changes", body = MovesAnswer),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 409, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn moves(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    UrlPath(name): UrlPath<String>,
    JsonBody(req): JsonBody<MovesRequest>,
) -> ApiResult<Response> {
    let state = league(&app, &name)?.clone();
    let most = app.config.server.max_moves;
    if req.moves.len() > most {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_moves",
            format!(
                "{} moves in one request; at most {most} (server.max_moves): split them",
                req.moves.len()
            ),
        ));
    }
    if req.moves.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_moves",
            "`moves` is empty; send at least one move, e.g. {\"moves\": [{\"edit\": [{\"id\": \"G1\", \"start\": \"2026-03-14T19:30\"}]}]}",
        ));
    }
    if let Some(k) = req.moves.iter().position(SchedulePatch::is_empty) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_move",
            format!("moves[{k}] changes nothing; give it an `edit`, `add` or `remove`"),
        ));
    }
    let current = super::error::current(&state)?;
    if let Some(base) = req.base_version
        && base != current.version
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "schedule_moved",
            format!(
                "the moves were made against version {base}; the schedule is now at version {}: GET it again",
                current.version
            ),
        ));
    }
    let evaluator = state.evaluator.load_full();
    let app2 = app.clone();
    blocking(&work, move |cancel| {
        let app = app2;
        // Moves are applied and judged one at a time, so that only one
        // edited copy of the season is held; a move that does not apply is
        // the client's mistake, named, and nothing is answered but that.
        let season = current
            .season(&evaluator, cancel)
            .map_err(|e| interrupted(&app, e))?;
        let answers = req
            .moves
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let schedule = m
                    .apply_to(&current.schedule, &state.league, Path::new("request"))
                    .map_err(|e| match e {
                        PatchError::Request { unknown_game, .. } => ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            if unknown_game {
                                "unknown_game"
                            } else {
                                "invalid_move"
                            },
                            format!("moves[{k}].{e}"),
                        ),
                        PatchError::Invalid(e) => ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_move",
                            format!("moves[{k}]: {e}"),
                        ),
                    })?;
                if let Some(why) = state.refuses(&schedule) {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_move",
                        format!("moves[{k}]: {why}"),
                    ));
                }
                let what = evaluator
                    .try_what_if_until(&season, Arc::new(schedule), cancel)
                    .map_err(|e| interrupted(&app, e))?;
                Ok(MoveAnswer::from(what))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        json_answer(
            &app,
            &MovesAnswer {
                id,
                league: state.name.clone(),
                schedule_version: current.version,
                season: season.totals(),
                moves: answers,
            },
        )
    })
    .await?
}
