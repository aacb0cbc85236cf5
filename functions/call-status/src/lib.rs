//! `GET /api/call-status/status/{call_id}`: the live view the softphone polls every second.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::ApiError;
use shared::auth::Route;
use shared::http::CallIdPath;
use shared::ports::{CallStore, SharedClock};
use shared::view::CallView;
use std::sync::Arc;

#[derive(Clone)]
pub struct StatusState {
    pub calls: Arc<dyn CallStore>,
    /// Names the contact a call is linked to (by id, else by the number called).
    pub contacts: Arc<dyn shared::ports::ContactStore>,
    pub clock: SharedClock,
}

impl StatusState {
    pub async fn from_wiring(
        wiring: &shared::wiring::Wiring,
    ) -> Result<Self, shared::wiring::WiringError> {
        Ok(Self {
            calls: wiring.store().await?,
            contacts: wiring.data_store().await?,
            clock: wiring.clock.clone(),
        })
    }
}

/// Every route here and who may call it (the router is built from this list).
pub const ROUTES: &[Route] = &[
    Route::agent("GET", "/api/call-status/status/{call_id}"),
    Route::public("GET", "/api/health"),
];

pub fn router(state: StatusState) -> Router {
    Router::new()
        .route(ROUTES[0].path, get(status))
        .route(ROUTES[1].path, get(health))
        .with_state(state)
}

/// Liveness for load balancers and the local stack; touches nothing.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn status(
    State(state): State<StatusState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = state
        .calls
        .get(id)
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    let contact = shared::view::contact_ref(state.contacts.as_ref(), &call).await;
    Ok(Json(CallView::new(&call, contact, state.clock.now())))
}
