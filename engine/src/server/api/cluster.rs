//! `GET /v1/cluster`: the nodes sharing this node's Redis, their
//! heartbeats, and whether they run the plugins this node runs.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::super::cluster::{Down, NodeInfo, now_ms};
use super::super::state::App;
use super::error::{ApiError, ApiResult, Unavailable};

/// The answer of `GET /v1/cluster`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClusterAnswer {
    /// Whether the server has a `[cluster]` (without one, no nodes).
    clustered: bool,
    /// The node that answers.
    node: String,
    /// How often nodes beat, in milliseconds; a node silent for three of
    /// these is not `alive`.
    heartbeat_ms: u64,
    /// Every node that beat under this cluster's prefix, by name.
    nodes: Vec<NodeState>,
}

/// A node as the answering node sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NodeState {
    #[serde(flatten)]
    info: NodeInfo,
    /// It beat within three heartbeats.
    alive: bool,
    /// Every league both serve has the same plugins on both.
    same_plugins: bool,
}

/// The cluster's nodes (none, and `clustered: false`, without `[cluster]`).
#[utoipa::path(
    get,
    path = "/v1/cluster",
    tag = "health",
    responses(
        (status = 200, description = "The nodes, their heartbeats and plugins", body = ClusterAnswer),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn cluster(State(app): State<Arc<App>>) -> ApiResult<Response> {
    let Some(cluster) = app.cluster.clone() else {
        return Ok(axum::Json(ClusterAnswer {
            clustered: false,
            node: String::new(),
            heartbeat_ms: 0,
            nodes: Vec::new(),
        })
        .into_response());
    };
    let nodes = tokio::task::spawn_blocking(move || cluster.nodes())
        .await
        .map_err(|e| ApiError::unavailable("cluster_unavailable", e.to_string(), 1))?
        .map_err(|Down(why)| ApiError::unavailable("cluster_unavailable", why, 1))?;
    let heartbeat = app
        .cluster
        .as_ref()
        .map_or(0, |c| c.heartbeat.as_millis() as u64);
    let own = app.plugins();
    let now = now_ms();
    let nodes = nodes
        .into_iter()
        .map(|info| NodeState {
            alive: now.saturating_sub(info.heartbeat_ms) <= 3 * heartbeat,
            same_plugins: info
                .leagues
                .iter()
                .all(|(league, theirs)| own.get(league).is_none_or(|mine| *mine == theirs.plugins)),
            info,
        })
        .collect();
    Ok(axum::Json(ClusterAnswer {
        clustered: true,
        node: app
            .cluster
            .as_ref()
            .map(|c| c.node.clone())
            .unwrap_or_default(),
        heartbeat_ms: heartbeat,
        nodes,
    })
    .into_response())
}
