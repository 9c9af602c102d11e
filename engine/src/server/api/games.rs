//! The games a request names, resolved against the league's schedule (by
//! id, or sent whole as an edit judged as a what-if), and what every
//! evaluation route does around them: the batch cap and the decision log.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::super::decisions::NotLogged;
use super::super::state::{App, LeagueState, Versioned};
use super::error::{ApiError, ApiResult, interrupted, invalid_game};
use crate::model::{Game, GameReport, GameSpec};
use crate::{Evaluator, Schedule, WhatIf, exec::Cancel};

/// A game named by id (in the league's schedule) or sent whole.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum GameRef {
    /// The id of a game of the league's current schedule.
    Id(String),
    /// A game sent whole: it takes the place of the game with its id, or
    /// joins the schedule (a what-if).
    Inline(GameSpec),
}

/// A game a request names, resolved: one of the schedule's, or one sent
/// whole (an edit of a copy of the schedule, judged as a what-if).
pub(crate) enum Named {
    InSchedule(Arc<Game>),
    Inline(Arc<Game>),
}

impl Named {
    pub(super) fn game(&self) -> &Arc<Game> {
        match self {
            Named::InSchedule(g) | Named::Inline(g) => g,
        }
    }
}

/// One game reference resolved against the current schedule; `at` names
/// it in errors (`games[3]`).
pub(crate) fn resolve_one(
    state: &LeagueState,
    schedule: &Schedule,
    r: GameRef,
    at: &str,
) -> ApiResult<Named> {
    match r {
        GameRef::Id(id) => schedule
            .game(&id)
            .cloned()
            .map(Named::InSchedule)
            .ok_or_else(|| {
                ApiError::not_found(
                    "unknown_game",
                    format!("league `{}` has no game `{id}` in its schedule", state.name),
                )
            }),
        GameRef::Inline(spec) => Schedule::game_from_spec(
            Path::new("request"),
            &format!("{at} ({})", spec.id),
            spec,
            &state.league,
        )
        .map(Named::Inline)
        .map_err(invalid_game),
    }
}

/// The games a request names, resolved against the current schedule.
pub(super) fn resolve(
    state: &LeagueState,
    schedule: &Schedule,
    refs: Vec<GameRef>,
) -> ApiResult<Vec<Named>> {
    refs.into_iter()
        .enumerate()
        .map(|(i, r)| resolve_one(state, schedule, r, &format!("games[{i}]")))
        .collect()
}

/// The current schedule with the inline games among `named` in it (each
/// replaces its namesake or is added), judged against its season: what a
/// full evaluation of that edited copy says. `None` when every game is
/// the schedule's own.
pub(crate) fn what_if_of(
    app: &App,
    state: &LeagueState,
    current: &Versioned,
    evaluator: &Evaluator,
    named: &[&Named],
    cancel: &Cancel,
) -> ApiResult<Option<WhatIf>> {
    let inline: Vec<Arc<Game>> = named
        .iter()
        .filter_map(|n| match n {
            Named::Inline(g) => Some(g.clone()),
            Named::InSchedule(_) => None,
        })
        .collect();
    if inline.is_empty() {
        return Ok(None);
    }
    let edited = current
        .schedule
        .with_games(&state.league, inline, Path::new("request"))
        .map_err(invalid_game)?;
    if let Some(why) = state.refuses(&edited) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_game",
            format!("request: {why}"),
        ));
    }
    let season = current
        .season(evaluator, cancel)
        .map_err(|e| interrupted(app, e))?;
    evaluator
        .try_what_if_until(&season, Arc::new(edited), cancel)
        .map(Some)
        .map_err(|e| interrupted(app, e))
}

/// Refuses a batch or stream of more games than `server.max_batch_games`.
pub(super) fn check_batch(app: &App, games: usize) -> ApiResult<()> {
    let most = app.config.server.max_batch_games;
    if games > most {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_games",
            format!(
                "{games} games in one request; at most {most} (server.max_batch_games): split the batch"
            ),
        ));
    }
    Ok(())
}

/// Logs an evaluation, from its blocking thread; an answer whose decision
/// cannot be logged is not given.
pub(super) fn log_decision(
    app: &App,
    id: &str,
    league: &str,
    (version, schedule): (u64, &Schedule),
    evaluator: &Evaluator,
    games: &[&GameReport],
) -> Result<(), NotLogged> {
    match &app.decisions {
        Some(log) => log.record(
            id,
            league,
            version,
            schedule.fingerprint(),
            evaluator,
            games,
            std::time::Duration::from_millis(app.config.server.request_timeout_ms),
        ),
        None => Ok(()),
    }
}
