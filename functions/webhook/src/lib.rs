//! `POST /api/webhooks/telnyx`: verify the signature over the exact bytes received, enqueue the
//! raw event, answer at once. Nothing is parsed before the signature checks out, and nothing is
//! acknowledged before the queue has it (a 5xx makes Telnyx retry).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Json, Router};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::Route;
use ports::{EventQueue, QueuedEvent, SharedClock};
use serde_json::{Value, json};
use std::sync::Arc;
use telnyx::WebhookVerifier;
use telnyx::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

#[derive(Clone)]
pub struct WebhookState {
    pub verifier: WebhookVerifier,
    pub queue: Arc<dyn EventQueue>,
    pub clock: SharedClock,
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<WebhookState> {
    RouteTable::new().with(Route::public("POST", "/api/webhooks/telnyx"), receive)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: WebhookState) -> Router {
    table().router().with_state(state)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn receive(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let timestamp = state
        .verifier
        .verify(
            header(&headers, TIMESTAMP_HEADER),
            header(&headers, SIGNATURE_HEADER),
            &body,
            now,
        )
        .map_err(|e| ApiError::InvalidSignature(e.reason()))?;
    // Telnyx signs JSON text; a valid signature over non-UTF-8 bytes is still not an event.
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid_field("invalid_event", "body", "is not UTF-8 text"))?;
    state
        .queue
        .send(&QueuedEvent {
            body,
            telnyx_timestamp: timestamp,
            received_at: now,
        })
        .await?;
    Ok(Json(json!({ "received": true })))
}

impl WebhookState {
    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        Ok(Self {
            verifier: wiring.verifier(),
            queue: wiring.queue().await?,
            clock: wiring.clock.clone(),
        })
    }
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(WebhookState::build(wiring).await?))
}
