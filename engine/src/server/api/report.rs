//! `GET /v1/leagues/{league}/report.html`: the league's current season as
//! one self-contained page, as `umpire eval --format html` writes it.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::super::state::App;
use super::error::{ApiResult, Failure, Unavailable, interrupted};
use super::extract::UrlPath;
use super::{Work, blocking, league};

/// The season as an HTML page: a grid by team and round, every violation
/// with its help, the totals by constraint (no external resource).
#[utoipa::path(
    get,
    path = "/v1/leagues/{league}/report.html",
    tag = "schedules",
    params(("league" = String, Path, description = "The league, as in URLs")),
    responses(
        (status = 200, description = "The page", content_type = "text/html",
            headers(("ETag" = String, description = "The schedule's version, quoted"))),
        (status = 404, response = Failure),
        (status = 408, response = Failure),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn report_html(
    State(app): State<Arc<App>>,
    Extension(work): Extension<Work>,
    UrlPath(name): UrlPath<String>,
) -> ApiResult<Response> {
    let state = league(&app, &name)?.clone();
    let current = super::error::current(&state)?;
    let evaluator = state.evaluator.load_full();
    blocking(&work, move |cancel| {
        let season = current
            .season(&evaluator, cancel)
            .map_err(|e| interrupted(&app, e))?;
        let page = crate::html::season_page(season.report(), season.schedule(), &state.league);
        let mut response = (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            page,
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::ETAG, super::schedule::etag(current.version));
        Ok(response)
    })
    .await?
}
