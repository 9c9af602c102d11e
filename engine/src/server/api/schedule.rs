//! A league's schedule read and written: `GET`, `PUT` and `PATCH
//! /v1/leagues/{league}/schedule`, versioned by ETag and `If-Match`.

use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::state::{App, EditError, Expect};
use super::admin::{Access, authorize};
use super::error::{ApiError, ApiResult, Failure, Unavailable};
use super::extract::{JsonBody, UrlPath};
use super::{Work, blocking, league};
use crate::model::{GameSpec, PatchError, SchedulePatch, ScheduleSpec};

/// A schedule version as an entity tag: `"7"`.
pub(super) fn etag(version: u64) -> HeaderValue {
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
        EditError::Refused(why) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schedule",
            format!("request: {why}"),
        ),
        EditError::Down(why) => ApiError::unavailable("cluster_unavailable", why, 1),
        EditError::Busy => ApiError::unavailable(
            "schedule_busy",
            "other nodes wrote the schedule each time this one tried; try again",
            1,
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

/// The answer of `GET .../schedule`, and the body `PUT` takes back.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScheduleAnswer {
    /// The schedule's version, also the `ETag`.
    version: u64,
    /// The games, as a schedule file writes them (times zoned).
    games: Vec<GameSpec>,
}

/// The answer to a schedule write.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Written {
    /// The schedule's new version, also the `ETag`.
    version: u64,
    /// How many games it has.
    games: usize,
}

/// A schedule write's answer: the new version, also as the ETag.
fn written(version: u64, games: usize) -> Response {
    let mut response = axum::Json(Written { version, games }).into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

/// The current schedule and its version.
#[utoipa::path(
    get,
    path = "/v1/leagues/{league}/schedule",
    tag = "schedules",
    params(("league" = String, Path, description = "The league, as in URLs")),
    responses(
        (status = 200, description = "The games as a schedule file writes them (times zoned); PUT takes this body back", body = ScheduleAnswer,
            headers(("ETag" = String, description = "The schedule's version, quoted"))),
        (status = 400, response = Failure),
        (status = 404, response = Failure),
    )
)]
pub(crate) async fn get_schedule(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
) -> ApiResult<Response> {
    let state = league(&app, &name)?;
    let current = super::error::current(state)?;
    let spec = current.schedule.to_spec(&state.league);
    let mut response = axum::Json(ScheduleAnswer {
        version: current.version,
        games: spec.games,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(current.version));
    Ok(response)
}

/// The body of `PUT .../schedule`: the games, and optionally the version
/// they were read at (what `GET` answers), which must still be current.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = Schedule)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutSchedule {
    /// The version the games were read at; another is a 409.
    #[serde(default)]
    version: Option<u64>,
    /// The games.
    games: Vec<GameSpec>,
}

/// Replace the schedule (with a write token when one is configured).
#[utoipa::path(
    put,
    path = "/v1/leagues/{league}/schedule",
    tag = "schedules",
    security(("bearer" = [])),
    params(
        ("league" = String, Path, description = "The league, as in URLs"),
        ("If-Match" = Option<String>, Header, description = "The ETag of GET (\"7\"), or *; another version is a 412"),
    ),
    request_body = PutSchedule,
    responses(
        (status = 200, description = "The schedule's new version", body = Written,
            headers(("ETag" = String, description = "The schedule's version, quoted"))),
        (status = 400, response = Failure),
        (status = 401, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 409, response = Failure),
        (status = 412, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
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

/// Edit single games, add or remove games (with a write token when one is
/// configured).
#[utoipa::path(
    patch,
    path = "/v1/leagues/{league}/schedule",
    tag = "schedules",
    security(("bearer" = [])),
    params(
        ("league" = String, Path, description = "The league, as in URLs"),
        ("If-Match" = Option<String>, Header, description = "The ETag of GET (\"7\"), or *; another version is a 412"),
    ),
    request_body = SchedulePatch,
    responses(
        (status = 200, description = "The schedule's new version", body = Written,
            headers(("ETag" = String, description = "The schedule's version, quoted"))),
        (status = 400, response = Failure),
        (status = 401, response = Failure),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 412, response = Failure),
        (status = 413, response = Failure),
        (status = 422, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
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
