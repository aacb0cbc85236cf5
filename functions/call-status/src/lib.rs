//! `GET /api/call-status/status/{call_id}`: the live view the softphone polls every second.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::Route;
use edge::http::CallIdPath;
use edge::view::CallView;
use ports::{CallStore, SharedClock};
use std::sync::Arc;

#[derive(Clone)]
pub struct StatusState {
    pub calls: Arc<dyn CallStore>,
    /// Names the contact a call is linked to (by id, else by the number called).
    pub contacts: Arc<dyn ports::ContactStore>,
    pub clock: SharedClock,
}

impl StatusState {
    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        Ok(Self {
            calls: wiring.store().await?,
            contacts: wiring.data_store().await?,
            clock: wiring.clock.clone(),
        })
    }
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<StatusState> {
    RouteTable::new()
        .with(
            Route::agent("GET", "/api/call-status/status/{call_id}"),
            status,
        )
        .with(Route::public("GET", "/api/health"), health)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: StatusState) -> Router {
    table().router().with_state(state)
}

/// Liveness for load balancers and the local stack; touches nothing.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The softphone polls this every second or so: an unchanged call answers 304 with no body
/// (`If-None-Match`), and `no-cache` makes every poll revalidate, so a change is never seen
/// later than the next poll. The view carries the live duration, so an active call changes
/// every second and a ringing, held or ended one does not.
async fn status(
    State(state): State<StatusState>,
    CallIdPath(id): CallIdPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let call = state
        .calls
        .get(id)
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    let contact = edge::view::contact_ref(state.contacts.as_ref(), &call).await;
    let view = CallView::new(&call, contact, state.clock.now());
    // A plain struct of strings and numbers: serialising it cannot fail.
    let body = serde_json::to_vec(&view)
        .map_err(|e| ApiError::Store(ports::StoreError::Corrupt(e.to_string())))?;
    let tag = etag(&body);
    let cache = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, "private, no-cache".to_string()),
    ];
    if matches(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, "application/json".to_string())],
        body,
    )
        .into_response())
}

/// A weak validator from the body's bytes. `DefaultHasher` is the same in every instance of one
/// build, which is all a validator must be (a new deploy costs one full answer per call).
fn etag(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("W/\"{:016x}-{:x}\"", h.finish(), body.len())
}

fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| {
            candidate == "*" || candidate.trim_start_matches("W/") == tag.trim_start_matches("W/")
        })
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(StatusState::build(wiring).await?))
}
