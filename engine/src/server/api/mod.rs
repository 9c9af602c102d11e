//! The routes: request and answer types, and the handlers.
//!
//! Every body is JSON (the stream route NDJSON), read as bytes and parsed
//! here, so that every client error is a JSON error saying what is wrong and
//! where: `{"error": {"code": "...", "message": "..."}}`. Evaluations run on
//! the blocking pool of tokio, since an evaluator waits for its workers.
//!
//! This file holds what every handler shares (the request's id and work,
//! the league lookup, the blocking pool, the bounded JSON answer); the
//! handlers live one group to a file: `evaluate.rs` and `stream.rs` judge
//! games (resolved by `games.rs`), `schedule.rs` reads and writes a
//! schedule, `moves.rs` judges candidate moves, `catalog.rs` shows what is
//! loaded, `health.rs` how the server is doing, `admin.rs` checks tokens and
//! reloads; `error.rs` is the JSON error and `extract.rs` the extractors
//! whose rejections are such errors.
//!
//! Every answer is a typed struct (`answers.rs` holds the engine's figures
//! as answers carry them) and every handler is annotated with
//! `#[utoipa::path]`, from which `openapi.rs` builds the OpenAPI document.

mod admin;
mod answers;
mod catalog;
mod cluster;
mod error;
mod evaluate;
mod extract;
mod games;
mod health;
mod moves;
mod openapi;
mod report;
mod schedule;
mod stream;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use self::error::ApiResult;
use super::Slot;
use super::state::{App, LeagueState};
use crate::exec::Cancel;

pub(super) use self::admin::reload;
pub(super) use self::catalog::{constraint, constraints, leagues, not_found};
pub(super) use self::cluster::cluster;
pub(super) use self::error::ApiError;
pub(super) use self::evaluate::{evaluate, evaluate_batch};
pub(super) use self::health::{healthz, metrics, readyz, stats};
pub(super) use self::moves::moves;
pub(super) use self::openapi::openapi;
pub(super) use self::report::report_html;
pub(super) use self::schedule::{get_schedule, patch_schedule, put_schedule};
pub(super) use self::stream::evaluate_stream;

/// The id of the request, which its evaluation carries (in the answer, the
/// log's span and the decision log).
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// What the guard hands a request that does work: the flag that cancels
/// it when the client goes, and its concurrency slot.
#[derive(Clone)]
pub(crate) struct Work {
    pub(crate) cancel: Cancel,
    pub(crate) slot: Slot,
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

/// `?league=NAME`: the league a route is asked about.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LeagueQuery {
    /// The league, as in URLs; without it, every league (the stream route:
    /// the league a line names).
    league: Option<String>,
}
