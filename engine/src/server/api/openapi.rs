//! The OpenAPI document of the routes, `GET /v1/openapi.json`, generated
//! by utoipa from the handlers' `#[utoipa::path]` and the request and
//! answer types' `ToSchema`: the types the handlers read and write are the
//! types the document describes, so the two cannot drift apart.
//! `engine/tests/all/server.rs` checks that every route the router serves
//! is in the document with its methods, and no other.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use super::error::{Failure, Unavailable};

/// The routes, their bodies and answers, and the two shared error
/// responses (`Error`, `Unavailable`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "umpire",
        description = "A constraint engine for sports and event schedules: rules on games and seasons with plugin constraints. Every error is {\"error\": {\"code\", \"message\"}}; 503 answers carry Retry-After."
    ),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        openapi,
        super::evaluate::evaluate,
        super::evaluate::evaluate_batch,
        super::stream::evaluate_stream,
        super::catalog::constraints,
        super::catalog::constraint,
        super::health::stats,
        super::cluster::cluster,
        super::catalog::leagues,
        super::schedule::get_schedule,
        super::schedule::put_schedule,
        super::schedule::patch_schedule,
        super::moves::moves,
        super::report::report_html,
        super::admin::reload,
    ),
    components(responses(Failure, Unavailable)),
    modifiers(&Bearer)
)]
struct Document;

/// The `bearer` security scheme that schedule writes and admin routes name.
struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document as served, written once.
static JSON: LazyLock<String> = LazyLock::new(|| {
    Document::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": {{\"code\": \"internal\", \"message\": \"cannot write the OpenAPI document: {e}\"}}}}"))
});

/// This document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "catalog",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object))
)]
pub(crate) async fn openapi() -> Response {
    let mut response = JSON.as_str().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
