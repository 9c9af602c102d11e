//! `POST /v1/evaluate/stream`: NDJSON in, one NDJSON line out per game as
//! the pool finishes it; a bad line is answered with an error line naming
//! it, and a reader that stops reading ends the stream.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::state::App;
use super::answers::WhatIf;
use super::error::{
    ApiError, ApiResult, ErrorBody, ErrorDetail, Failure, Unavailable, interrupted, not_logged,
};
use super::extract::{Query, parse, read_body};
use super::games::{GameRef, Named, check_batch, log_decision, resolve_one, what_if_of};
use super::{LeagueQuery, RequestId, Work, league};
use crate::model::GameReport;
use crate::{Schedule, exec::Cancel, exec::Interrupted};

/// One NDJSON line of the stream route: a game (id or whole), optionally
/// with its league when the query does not name one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub(crate) enum StreamLine {
    /// A game with its league (which the query, if it names one, must
    /// name too).
    Wrapped {
        league: Option<String>,
        game: GameRef,
    },
    /// A game alone: the league is the query's, or another line's.
    Bare(GameRef),
}

/// One NDJSON line of the stream route's answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(
    clippy::large_enum_variant,
    reason = "each line is built to be written at once, never kept"
)]
pub(crate) enum StreamAnswerLine<'a> {
    /// A game's report.
    Report(StreamReport<'a>),
    /// A request line that could not be judged.
    Refused(StreamError<'a>),
    /// The stream ended early (the server overloaded, the decision log
    /// failing).
    Failed(ErrorBody),
}

/// A game's report as a stream line: the report's fields, with the
/// evaluation, the schedule version and the request line it answers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StreamReport<'a> {
    /// The evaluation's id.
    id: &'a str,
    /// The schedule version the game was judged in.
    schedule_version: u64,
    /// The request line it answers, from 1.
    line: usize,
    #[serde(flatten)]
    report: &'a GameReport,
    /// For a game sent whole: what else the edit changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<WhatIf>,
}

/// A request line that could not be judged, and why.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StreamError<'a> {
    /// The evaluation's id.
    id: &'a str,
    /// The schedule version of the stream.
    schedule_version: u64,
    /// The request line, from 1.
    line: usize,
    /// What is wrong with it.
    error: ErrorDetail,
}

/// One line of a stream, checked: a game to judge, or what is wrong with
/// the line (answered with an error line naming it).
enum StreamItem {
    Game(usize, Named),
    Bad(usize, ApiError),
}

/// NDJSON in (one game per line: an id, a game, or `{league, game}`),
/// NDJSON out as each game completes; a bad line is answered with an error
/// line naming it, and the other lines as usual.
#[utoipa::path(
    post,
    path = "/v1/evaluate/stream",
    tag = "evaluate",
    params(LeagueQuery),
    request_body(content = StreamLine, content_type = "application/x-ndjson", description = "One game per line"),
    responses(
        (status = 200, description = "One line per request line, as each completes", content_type = "application/x-ndjson", body = StreamAnswerLine<'_>),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
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
    let current = super::error::current(&state)?;
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
        let answer = |line: usize, report: &GameReport, what_if: Option<WhatIf>| {
            ndjson(&StreamAnswerLine::Report(StreamReport {
                id: &id,
                schedule_version: current.version,
                line,
                report,
                what_if,
            }))
        };
        let bad = |line: usize, e: &ApiError| {
            ndjson(&StreamAnswerLine::Refused(StreamError {
                id: &id,
                schedule_version: current.version,
                line,
                error: e.detail(),
            }))
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
                Ok(()) => send(Ok(answer(*line, report, Some(WhatIf::of(&what, &[&g.id]))))),
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
            Err(e) => ndjson(&StreamAnswerLine::Failed(e.line())),
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
fn ndjson(value: &impl Serialize) -> Bytes {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
