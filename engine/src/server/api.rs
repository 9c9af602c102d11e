//! The routes: request and answer types, and the handlers.
//!
//! Every body is JSON (the stream route NDJSON), read as bytes and parsed
//! here, so that every client error is a JSON error saying what is wrong and
//! where: `{"error": {"code": "...", "message": "..."}}`. Evaluations run on
//! the blocking pool of tokio, since an evaluator waits for its workers.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use super::Slot;
use super::decisions::NotLogged;
use super::state::{App, EditError, Expect, LeagueState, Versioned};
use crate::model::{Game, GameReport, GameSpec, PatchError, SchedulePatch, ScheduleSpec};
use crate::{BreakerState, Cancel, Evaluator, Interrupted, Schedule, WhatIf};

/// A client or server error as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 503 with `Retry-After`.
    pub(crate) fn unavailable(
        code: &'static str,
        message: impl Into<String>,
        retry_after: u64,
    ) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }

    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// The error as one NDJSON line of a stream that already answered 200.
    fn line(&self) -> serde_json::Value {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some(s) = self.retry_after {
            error["retry_after_s"] = s.into();
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The id of the request, which its evaluation carries (in the answer, the
/// log's span and the decision log).
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// A JSON body, parsed here so that a bad one is a JSON error naming the
/// line and column (400 for malformed JSON, 422 for a wrong shape), and an
/// oversize one a 413.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse(&bytes).map(JsonBody)
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "body_too_large",
                "the request body is over the server's limit (server.body_limit_kb)",
            )
        } else {
            ApiError::new(status, "bad_body", rejection.body_text())
        }
    })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "the body is empty; send a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!(" (at `{path}`)")
        };
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("{inner}"),
            )
        } else {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!("{inner}{at}"),
            )
        }
    })?;
    // One JSON value and nothing after it but white space.
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("{e}: the body holds more than one JSON value"),
        )
    })?;
    Ok(value)
}

/// A query string, whose rejection is a JSON 400 like every other error.
pub(crate) struct Query<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))
    }
}

/// A path parameter, whose rejection is a JSON 400.
pub(crate) struct UrlPath<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for UrlPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| UrlPath(p.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_path", e.body_text()))
    }
}

/// What the guard hands a request that does work: the flag that cancels
/// it when the client goes, and its concurrency slot.
#[derive(Clone)]
pub(crate) struct Work {
    pub(crate) cancel: Cancel,
    pub(crate) slot: Slot,
}

/// A game named by id (in the league's schedule) or sent whole.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum GameRef {
    Id(String),
    Inline(GameSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluateRequest {
    league: String,
    game: GameRef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchRequest {
    league: String,
    /// The games; without it, the whole schedule.
    games: Option<Vec<GameRef>>,
}

#[derive(Debug, Serialize)]
struct GameAnswer {
    id: String,
    league: String,
    schedule_version: u64,
    report: GameReport,
    /// For a game sent whole: what else the edit changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<serde_json::Value>,
}

fn league<'a>(app: &'a App, name: &str) -> ApiResult<&'a Arc<LeagueState>> {
    app.leagues.get(name).ok_or_else(|| {
        let known: Vec<_> = app.leagues.keys().map(String::as_str).collect();
        ApiError::not_found(
            "unknown_league",
            format!("no league `{name}`; this server has: {}", known.join(", ")),
        )
    })
}

/// A game a request names, resolved: one of the schedule's, or one sent
/// whole (an edit of a copy of the schedule, judged as a what-if).
pub(crate) enum Named {
    InSchedule(Arc<Game>),
    Inline(Arc<Game>),
}

impl Named {
    fn game(&self) -> &Arc<Game> {
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

fn invalid_game(e: crate::Error) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_game",
        e.to_string(),
    )
}

/// The games a request names, resolved against the current schedule.
fn resolve(state: &LeagueState, schedule: &Schedule, refs: Vec<GameRef>) -> ApiResult<Vec<Named>> {
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
    let season = current
        .season(evaluator, cancel)
        .map_err(|e| interrupted(app, e))?;
    evaluator
        .try_what_if_until(&season, Arc::new(edited), cancel)
        .map(Some)
        .map_err(|e| interrupted(app, e))
}

/// What a what-if changed beyond the games a request asked about: the
/// `what_if` member of an answer.
pub(crate) fn what_if_json(what: &WhatIf, asked: &[&str]) -> serde_json::Value {
    let changed: Vec<_> = what
        .changed
        .iter()
        .filter(|c| !asked.contains(&&*c.game))
        .collect();
    let mut v = serde_json::json!({
        "changed": changed,
        "before": what.before,
        "after": what.after,
        "delta": what.delta,
        "schedule_changed": what.schedule_changed,
    });
    if what.schedule_changed {
        v["schedule"] = serde_json::to_value(&what.schedule_report).unwrap_or_default();
    }
    v
}

fn interrupted(app: &App, e: Interrupted) -> ApiError {
    match e {
        Interrupted::Cancelled => ApiError::unavailable(
            "cancelled",
            "the evaluation was cancelled (its client went away, or its deadline passed)",
            app.config.server.retry_after_s,
        ),
        e => ApiError::unavailable("overloaded", e.to_string(), app.config.server.retry_after_s),
    }
}

fn not_logged(app: &App, e: &NotLogged) -> ApiError {
    ApiError::unavailable(
        "decision_log",
        e.to_string(),
        app.config.server.retry_after_s,
    )
}

/// Runs blocking evaluation work off the async threads. The work holds the
/// request's slot until it ends, and gets the request's cancel flag: if the
/// client goes, the flag is cancelled and the work stops early.
async fn blocking<T: Send + 'static>(
    work: &Work,
    f: impl FnOnce(&Cancel) -> T + Send + 'static,
) -> ApiResult<T> {
    // The request's span goes along, so the evaluation's spans nest in it.
    let span = tracing::Span::current();
    let Work { cancel, slot } = work.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        span.in_scope(|| f(&cancel))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the evaluation failed: {e}"),
        )
    })
}

/// `value` as a JSON answer, at most `server.max_answer_kb`.
fn json_answer(app: &App, value: &impl Serialize) -> ApiResult<Response> {
    let most = app.config.server.max_answer_kb.saturating_mul(1024);
    let mut out = Bounded {
        bytes: Vec::with_capacity(4096),
        most,
    };
    if let Err(e) = serde_json::to_writer(&mut out, value) {
        return Err(if e.is_io() {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "answer_too_large",
                format!(
                    "the answer would be over {} KiB (server.max_answer_kb); ask for fewer games at a time, or use /v1/evaluate/stream",
                    app.config.server.max_answer_kb
                ),
            )
        } else {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("cannot write the answer: {e}"),
            )
        });
    }
    let mut response = Response::new(Body::from(out.bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A writer that refuses to grow past `most` bytes.
struct Bounded {
    bytes: Vec<u8>,
    most: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.most {
            return Err(std::io::Error::other("the answer is over its limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Refuses a batch or stream of more games than `server.max_batch_games`.
fn check_batch(app: &App, games: usize) -> ApiResult<()> {
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
fn log_decision(
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

pub(crate) async fn evaluate(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    JsonBody(req): JsonBody<EvaluateRequest>,
) -> ApiResult<Response> {
    let state = league(&app, &req.league)?.clone();
    let current = state.schedule.load_full();
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
                    let json = what_if_json(&what, &[&game.id]);
                    (report, Some(json), what.schedule)
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

pub(crate) async fn evaluate_batch(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    JsonBody(req): JsonBody<BatchRequest>,
) -> ApiResult<Response> {
    let state = league(&app, &req.league)?.clone();
    let current = state.schedule.load_full();
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
                            let json = what_if_json(&what, &asked);
                            (reports, Some(json), what.schedule)
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
                let mut answer = serde_json::json!({
                    "id": id,
                    "league": state.name,
                    "schedule_version": current.version,
                    "games": reports,
                });
                if let Some(w) = what_if {
                    answer["what_if"] = w;
                }
                json_answer(&app, &answer)
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
                    &serde_json::json!({
                        "id": id,
                        "league": state.name,
                        "schedule_version": current.version,
                        "report": report,
                    }),
                )
            }
        }
    })
    .await?
}

#[derive(Debug, Deserialize)]
pub(crate) struct LeagueQuery {
    league: Option<String>,
}

/// One NDJSON line of the stream route: a game (id or whole), optionally
/// with its league when the query does not name one.
#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum StreamLine {
    Wrapped {
        league: Option<String>,
        game: GameRef,
    },
    Bare(GameRef),
}

/// One line of a stream, checked: a game to judge, or what is wrong with
/// the line (answered with an error line naming it).
enum StreamItem {
    Game(usize, Named),
    Bad(usize, ApiError),
}

pub(crate) async fn evaluate_stream(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Extension(work): Extension<Work>,
    Query(q): Query<LeagueQuery>,
    req: Request,
) -> ApiResult<Response> {
    let bytes = read_body(req, &()).await?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_ndjson",
            format!("the body is not UTF-8: {e}"),
        )
    })?;
    // Each line is checked on its own: a bad one is answered with an error
    // line that names it, and the others are judged.
    let mut name = q.league.clone();
    let mut parsed: Vec<(usize, Result<GameRef, ApiError>)> = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line_no = n + 1;
        check_batch(&app, parsed.len() + 1)?;
        let game = match parse::<StreamLine>(line.as_bytes()) {
            Ok(StreamLine::Wrapped { league, game }) => match (&name, league) {
                (None, Some(l)) => {
                    name = Some(l);
                    Ok(game)
                }
                (Some(a), Some(b)) if *a != b => Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "mixed_leagues",
                    format!("league `{b}`, but the stream is for `{a}`; one stream, one league"),
                )),
                _ => Ok(game),
            },
            Ok(StreamLine::Bare(game)) => Ok(game),
            Err(e) => Err(e),
        };
        parsed.push((line_no, game));
    }
    let name = name.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_league",
            "name the league: `?league=NAME`, or `\"league\"` on a line",
        )
    })?;
    let state = league(&app, &name)?.clone();
    let current = state.schedule.load_full();
    let items: Vec<StreamItem> = parsed
        .into_iter()
        .map(|(line, game)| {
            match game.and_then(|g| resolve_one(&state, &current.schedule, g, "game")) {
                Ok(named) => StreamItem::Game(line, named),
                Err(e) => StreamItem::Bad(line, e),
            }
        })
        .collect();
    let evaluator = state.evaluator.load_full();
    let Ok(streaming) = app.streams.clone().try_acquire_owned() else {
        return Err(ApiError::unavailable(
            "too_many_streams",
            format!(
                "{} streams are evaluating already (server.max_streams)",
                app.config.server.max_streams
            ),
            app.config.server.retry_after_s,
        ));
    };
    // Lines ready to write; an `Err` first is the whole request's answer.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, ApiError>>(256);
    let app2 = app.clone();
    // The stream outlives this handler: it keeps the slot, and its own
    // cancel flag, which dropping the body (the client went) cancels.
    let Work { slot, .. } = work;
    let cancel = Cancel::new();
    let armed = cancel.on_drop();
    let stopper = cancel.clone();
    let handle = tokio::runtime::Handle::current();
    let write_timeout = std::time::Duration::from_millis(app.config.server.write_timeout_ms);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _slot = (slot, streaming);
        let _span = span.entered();
        let app = app2;
        // A line the reader does not take within the write timeout ends
        // the stream: its evaluation is cancelled, its thread freed.
        let send = |item: Result<Bytes, ApiError>| {
            let sent = handle.block_on(tokio::time::timeout(write_timeout, tx.send(item)));
            if !matches!(sent, Ok(Ok(()))) {
                if sent.is_err() {
                    tracing::debug!(
                        "a stream's reader took no line for {} ms; stream ended",
                        write_timeout.as_millis()
                    );
                }
                stopper.cancel();
            }
        };
        // Every line names the evaluation, the schedule version and the
        // request line it answers.
        let head = |line: usize| serde_json::json!({"id": id, "schedule_version": current.version, "line": line});
        let answer = |line: usize, report: &GameReport, what_if: Option<serde_json::Value>| {
            let mut v = head(line);
            if let (Some(out), Ok(serde_json::Value::Object(fields))) =
                (v.as_object_mut(), serde_json::to_value(report))
            {
                out.extend(fields);
            }
            if let Some(w) = what_if {
                v["what_if"] = w;
            }
            ndjson(&v)
        };
        let bad = |line: usize, e: &ApiError| {
            let mut v = head(line);
            v["error"] = e.line()["error"].clone();
            ndjson(&v)
        };
        let log = |report: &GameReport, judged: &Schedule| {
            app.metrics.verdicts(&state.name, report.verdicts.iter());
            log_decision(
                &app,
                &id,
                &state.name,
                (current.version, judged),
                &evaluator,
                &[report],
            )
        };
        // The schedule's own games first, as the pool finishes them; then
        // each game sent whole, as its own what-if; then the bad lines.
        let mut lines_of: BTreeMap<&str, std::collections::VecDeque<usize>> = BTreeMap::new();
        let mut own = Vec::new();
        for item in &items {
            if let StreamItem::Game(line, Named::InSchedule(g)) = item {
                lines_of.entry(&g.id).or_default().push_back(*line);
                own.push(g.clone());
            }
        }
        let mut started = false;
        let result = evaluator.stream_until(
            &current.schedule,
            own,
            &mut |report| {
                started = true;
                let line = lines_of
                    .get_mut(&*report.game)
                    .and_then(std::collections::VecDeque::pop_front)
                    .unwrap_or_default();
                match log(&report, &current.schedule) {
                    Ok(()) => send(Ok(answer(line, &report, None))),
                    Err(e) => {
                        send(Err(not_logged(&app, &e)));
                        stopper.cancel();
                    }
                }
            },
            &stopper,
        );
        if let Err(e) = result {
            if let Interrupted::Overloaded(_) = e {
                send(Err(interrupted(&app, e)));
            }
            return;
        }
        for item in &items {
            if stopper.is_cancelled() {
                return;
            }
            let StreamItem::Game(line, named @ Named::Inline(g)) = item else {
                continue;
            };
            let what = match what_if_of(&app, &state, &current, &evaluator, &[named], &stopper) {
                Ok(Some(what)) => what,
                Ok(None) => continue,
                Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => {
                    if !started {
                        send(Err(e));
                    } else {
                        send(Ok(bad(*line, &e)));
                    }
                    return;
                }
                Err(e) => {
                    send(Ok(bad(*line, &e)));
                    continue;
                }
            };
            started = true;
            let Some(report) = what.report_of(&g.id) else {
                continue;
            };
            match log(report, &what.schedule) {
                Ok(()) => send(Ok(answer(
                    *line,
                    report,
                    Some(what_if_json(&what, &[&g.id])),
                ))),
                Err(e) => {
                    send(Err(not_logged(&app, &e)));
                    return;
                }
            }
        }
        for item in &items {
            if let StreamItem::Bad(line, e) = item {
                send(Ok(bad(*line, e)));
            }
        }
    });
    // The first answer decides the status: refused at once is a 503.
    let first = rx.recv().await;
    if let Some(Err(e)) = first {
        return Err(e);
    }
    let line = move |item: Result<Bytes, ApiError>| -> Bytes {
        match item {
            Ok(bytes) => bytes,
            Err(e) => ndjson(&e.line()),
        }
    };
    let head = first.map(line);
    let stream =
        futures_util::stream::unfold((head, rx, armed), move |(head, mut rx, armed)| async move {
            if let Some(bytes) = head {
                return Some((Ok::<_, std::convert::Infallible>(bytes), (None, rx, armed)));
            }
            match rx.recv().await {
                Some(item) => Some((Ok(line(item)), (None, rx, armed))),
                None => {
                    // Every line is out: ending now is not a cancellation.
                    armed.disarm();
                    None
                }
            }
        });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// One NDJSON line.
fn ndjson(value: &serde_json::Value) -> Bytes {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

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
    breaker: &crate::Breaker,
) -> serde_json::Value {
    let mut v = serde_json::to_value(&c.manifest).unwrap_or_default();
    v["league"] = state.name.clone().into();
    v["breaker"] = serde_json::json!({"state": breaker.state(), "reason": match breaker.state() {
        BreakerState::Closed => None,
        _ => Some(breaker.reason()),
    }});
    if let Some(crate::WasmInfo {
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
        "rss_mb": super::alerts::rss_mb(),
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
                .get_or_create(&super::metrics::ConstraintLabels {
                    league: name.clone(),
                    constraint: c.manifest.id.to_string(),
                })
                .set(open);
        }
        app.metrics
            .queued
            .get_or_create(&super::metrics::LeagueLabels {
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
                .get_or_create(&super::metrics::LayerLabels {
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

/// A schedule version as an entity tag: `"7"`.
fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The versions an `If-Match` header accepts: `None` for any (no header,
/// or `*`). A tag that is not one of ours matches no version.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<Vec<Option<u64>>>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_if_match",
            "If-Match is not text; send the ETag of GET .../schedule, e.g. If-Match: \"7\"",
        )
    })?;
    if text.trim() == "*" {
        return Ok(None);
    }
    text.split(',')
        .map(|tag| {
            let tag = tag.trim();
            // If-Match compares strongly: a weak tag never matches.
            match tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(inner) => Ok(inner.parse::<u64>().ok()),
                None if tag.starts_with("W/") => Ok(None),
                None => Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_if_match",
                    format!(
                        "If-Match `{tag}` is not an entity tag; send the ETag of GET .../schedule, quotes included, e.g. If-Match: \"7\""
                    ),
                )),
            }
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// The answer to a refused schedule write.
fn edit_refused(e: EditError) -> ApiError {
    match e {
        EditError::Request(
            e @ PatchError::Request {
                unknown_game: true, ..
            },
        ) => ApiError::not_found("unknown_game", format!("request: {e}")),
        EditError::Request(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_edit",
            format!("request: {e}"),
        ),
        EditError::Invalid(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schedule",
            e.to_string(),
        ),
        EditError::Moved {
            current,
            precondition: true,
        } => ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            format!(
                "If-Match does not name the schedule's version, which is now \"{current}\"; GET it again and redo the edit"
            ),
        ),
        EditError::Moved {
            current,
            precondition: false,
        } => ApiError::new(
            StatusCode::CONFLICT,
            "schedule_moved",
            format!(
                "the body names another version; the schedule is now at version {current}: GET it again and redo the edit"
            ),
        ),
    }
}

/// A schedule write's answer: the new version, also as the ETag.
fn written(version: u64, games: usize) -> Response {
    let mut response =
        axum::Json(serde_json::json!({"version": version, "games": games})).into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

pub(crate) async fn get_schedule(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
) -> ApiResult<Response> {
    let state = league(&app, &name)?;
    let current = state.schedule.load();
    let spec = current.schedule.to_spec(&state.league);
    let mut response =
        axum::Json(serde_json::json!({"version": current.version, "games": spec.games}))
            .into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(current.version));
    Ok(response)
}

/// The body of `PUT .../schedule`: the games, and optionally the version
/// they were read at (what `GET` answers), which must still be current.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutSchedule {
    #[serde(default)]
    version: Option<u64>,
    games: Vec<GameSpec>,
}

pub(crate) async fn put_schedule(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    Extension(work): Extension<Work>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PutSchedule>,
) -> ApiResult<Response> {
    authorize(&app, &headers, Access::Write)?;
    let expect = Expect {
        tags: if_match(&headers)?,
        version: body.version,
    };
    let state = league(&app, &name)?.clone();
    let spec = ScheduleSpec { games: body.games };
    let games = spec.games.len();
    let version = blocking(&work, move |_| {
        state.replace(spec, Path::new("request"), &expect)
    })
    .await?
    .map_err(edit_refused)?;
    Ok(written(version, games))
}

pub(crate) async fn patch_schedule(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    Extension(work): Extension<Work>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<SchedulePatch>,
) -> ApiResult<Response> {
    authorize(&app, &headers, Access::Write)?;
    let expect = Expect {
        tags: if_match(&headers)?,
        version: None,
    };
    let state = league(&app, &name)?.clone();
    let (version, games) = blocking(&work, move |_| {
        state.edit(&patch, Path::new("request"), &expect)
    })
    .await?
    .map_err(edit_refused)?;
    Ok(written(version, games))
}

/// The body of `POST /v1/leagues/{league}/moves`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MovesRequest {
    /// Candidate moves, each an edit as `PATCH .../schedule` takes it.
    moves: Vec<SchedulePatch>,
    /// The version the moves were made against; another is a 409.
    #[serde(default)]
    base_version: Option<u64>,
}

/// One move's answer.
#[derive(Debug, Serialize)]
struct MoveAnswer {
    after: crate::Totals,
    delta: crate::TotalsDelta,
    changed: Vec<crate::Changed>,
    schedule_changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<crate::ScheduleReport>,
}

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
    let current = state.schedule.load_full();
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
                let what = evaluator
                    .try_what_if_until(&season, Arc::new(schedule), cancel)
                    .map_err(|e| interrupted(&app, e))?;
                Ok(MoveAnswer {
                    schedule: what.schedule_changed.then(|| what.schedule_report.clone()),
                    after: what.after,
                    delta: what.delta,
                    changed: what.changed,
                    schedule_changed: what.schedule_changed,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        json_answer(
            &app,
            &serde_json::json!({
                "id": id,
                "league": state.name,
                "schedule_version": current.version,
                "season": season.totals(),
                "moves": answers,
            }),
        )
    })
    .await?
}

/// What a request asks to do that needs a token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Replace or edit a schedule: the write token, or the admin token.
    Write,
    /// `/v1/admin/*`: the admin token only.
    Admin,
}

/// Checks the bearer token a request needs. Writes are open while neither
/// token is configured; admin routes are closed (403) without an admin
/// token.
pub(crate) fn authorize(app: &App, headers: &HeaderMap, access: Access) -> ApiResult<()> {
    let server = &app.config.server;
    let admin = server.admin_token.as_deref();
    let accepted: Vec<&str> = match access {
        Access::Admin => admin.into_iter().collect(),
        Access::Write => server
            .write_token
            .as_deref()
            .into_iter()
            .chain(admin)
            .collect(),
    };
    if accepted.is_empty() {
        return match access {
            Access::Write => Ok(()),
            Access::Admin => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "no admin token is configured (server.admin_token, or UMPIRE_SERVER__ADMIN_TOKEN)",
            )),
        };
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared in constant time: how long a wrong guess takes tells nothing
    // of how much of it was right.
    let matches =
        |token: &&str| given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())));
    if accepted.iter().any(matches) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        match access {
            Access::Admin => "send `Authorization: Bearer <admin token>`",
            Access::Write => {
                "schedule writes need `Authorization: Bearer <token>`, with server.write_token or server.admin_token"
            }
        },
    ))
}

pub(crate) async fn reload(
    State(app): State<Arc<App>>,
    Extension(work): Extension<Work>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    authorize(&app, &headers, Access::Admin)?;
    let app2 = app.clone();
    let results = blocking(&work, move |_| {
        app2.leagues
            .values()
            .map(|s| (s.name.clone(), s.reload(&app2)))
            .collect::<Vec<_>>()
    })
    .await?;
    let mut reloaded = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (name, r) in results {
        match r {
            Ok(n) => {
                reloaded.insert(name, n);
            }
            Err(e) => {
                errors.insert(name, e);
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        axum::Json(serde_json::json!({"reloaded": reloaded, "errors": errors})),
    )
        .into_response())
}

pub(crate) async fn openapi() -> Response {
    let mut response = super::OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route; see /v1/openapi.json")
}
