//! Who may write and administer: the bearer tokens a request needs,
//! compared in constant time; and `POST /v1/admin/reload`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use subtle::ConstantTimeEq as _;
use utoipa::ToSchema;

use super::super::state::App;
use super::error::{ApiError, ApiResult, Failure, Unavailable};
use super::{Work, blocking};

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

/// The answer of `POST /v1/admin/reload`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Reloaded {
    /// Per league reloaded, the constraints it loaded.
    reloaded: BTreeMap<String, usize>,
    /// Per league whose plugins failed to load, why (it keeps serving its
    /// previous plugins).
    errors: BTreeMap<String, String>,
}

/// Reload every league's plugins; a broken one keeps the previous version
/// serving.
#[utoipa::path(
    post,
    path = "/v1/admin/reload",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every league reloaded", body = Reloaded),
        (status = 401, response = Failure),
        (status = 403, response = Failure),
        (status = 422, description = "Some league failed to reload", body = Reloaded),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn reload(
    State(app): State<Arc<App>>,
    Extension(work): Extension<Work>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    authorize(&app, &headers, Access::Admin)?;
    let app2 = app.clone();
    let results = blocking(&work, move |_| app2.reload_all(true)).await?;
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
    Ok((status, axum::Json(Reloaded { reloaded, errors })).into_response())
}
