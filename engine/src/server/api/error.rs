//! The JSON error every handler answers with: a status, a code, a message
//! saying what is wrong and where, and `Retry-After` when the server is
//! busy; and the errors several handlers share.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::{ContentBuilder, HeaderBuilder, RefOr, ResponseBuilder, schema};

use super::super::decisions::NotLogged;
use super::super::state::App;
use crate::exec::Interrupted;

/// A client or server error as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(super) status: StatusCode,
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

    pub(super) fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// The error as a stream's line says it (with `retry_after_s` when the
    /// server is busy, since a stream that already answered 200 has no
    /// `Retry-After` to give).
    pub(super) fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code,
            message: self.message.clone(),
            retry_after_s: self.retry_after,
        }
    }

    /// The error as one NDJSON line of a stream that already answered 200.
    pub(super) fn line(&self) -> ErrorBody {
        ErrorBody {
            error: self.detail(),
        }
    }
}

/// Every error's body: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable name for the error: `unknown_league`, `malformed_json`,
    /// `overloaded`, ...
    code: &'static str,
    /// What is wrong and where, with a hint at the fix.
    message: String,
    /// On an NDJSON error line only: seconds to wait before retrying (an
    /// HTTP answer says it in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_s: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                retry_after_s: None,
                ..self.detail()
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

/// The OpenAPI response of a client or server error: `Error` in the
/// document's responses.
pub(crate) struct Failure;

impl<'s> utoipa::ToResponse<'s> for Failure {
    fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) {
        let response = ResponseBuilder::new()
            .description("A JSON error")
            .content("application/json", json_error())
            .build();
        ("Error", response.into())
    }
}

/// The OpenAPI response of a 503: `Unavailable` in the document's
/// responses, a JSON error with `Retry-After`.
pub(crate) struct Unavailable;

impl<'s> utoipa::ToResponse<'s> for Unavailable {
    fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) {
        let seconds = HeaderBuilder::new()
            .schema(schema::Object::with_type(schema::Type::Integer))
            .description(Some("seconds to wait before retrying"))
            .build();
        let response = ResponseBuilder::new()
            .description(
                "Overloaded, at the concurrency limit, past the deadline or starting; retry after Retry-After seconds",
            )
            .header("Retry-After", seconds)
            .content("application/json", json_error())
            .build();
        ("Unavailable", response.into())
    }
}

fn json_error() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(schema::Ref::from_schema_name(ErrorBody::name())))
        .build()
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub(super) fn invalid_game(e: crate::Error) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_game",
        e.to_string(),
    )
}

pub(super) fn interrupted(app: &App, e: Interrupted) -> ApiError {
    match e {
        Interrupted::Cancelled => ApiError::unavailable(
            "cancelled",
            "the evaluation was cancelled (its client went away, or its deadline passed)",
            app.config.server.retry_after_s,
        ),
        e => ApiError::unavailable("overloaded", e.to_string(), app.config.server.retry_after_s),
    }
}

pub(super) fn not_logged(app: &App, e: &NotLogged) -> ApiError {
    ApiError::unavailable(
        "decision_log",
        e.to_string(),
        app.config.server.retry_after_s,
    )
}

/// The league's schedule to answer from ([`LeagueState::current`]): with a
/// cluster, asked of Redis (blocking this runtime thread for at most
/// `cluster.timeout_ms`); a 503 when Redis does not answer.
pub(super) fn current(
    state: &crate::server::state::LeagueState,
) -> ApiResult<std::sync::Arc<crate::server::state::Versioned>> {
    tokio::task::block_in_place(|| state.current()).map_err(|crate::server::cluster::Down(why)| {
        ApiError::unavailable("cluster_unavailable", why, 1)
    })
}
