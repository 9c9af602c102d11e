//! The JSON error every handler answers with: a status, a code, a message
//! saying what is wrong and where, and `Retry-After` when the server is
//! busy; and the errors several handlers share.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

    /// The error as one NDJSON line of a stream that already answered 200.
    pub(super) fn line(&self) -> serde_json::Value {
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
