//! `POST /api/telnyx/hangup/{call_id}`: ask Telnyx to end the call. Idempotent: hanging up a
//! call that already ended answers 200 with the call.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use domain::Call;
use shared::ApiError;
use shared::auth::Route;
use shared::commands::{Commander, Sent};
use shared::http::CallIdPath;
use shared::ports::{CallAction, CallStore, SharedClock};
use shared::view::CallView;
use std::sync::Arc;

#[derive(Clone)]
pub struct HangupState {
    pub calls: Arc<dyn CallStore>,
    /// Names the person called in the answer.
    pub contacts: Arc<dyn shared::ports::ContactStore>,
    pub commander: Commander,
    pub clock: SharedClock,
}

impl HangupState {
    pub async fn from_wiring(
        wiring: &shared::wiring::Wiring,
    ) -> Result<Self, shared::wiring::WiringError> {
        let store = wiring.store().await?;
        Ok(Self {
            contacts: wiring.data_store().await?,
            calls: store.clone(),
            commander: Commander {
                telnyx: wiring.telnyx()?,
                log: store,
                clock: wiring.clock.clone(),
            },
            clock: wiring.clock.clone(),
        })
    }
}

/// Every route here and who may call it (the router is built from this list).
pub const ROUTES: &[Route] = &[Route::agent("POST", "/api/telnyx/hangup/{call_id}")];

pub fn router(state: HangupState) -> Router {
    Router::new()
        .route(ROUTES[0].path, post(hangup))
        .with_state(state)
}

async fn hangup(
    State(state): State<HangupState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = state
        .calls
        .get(id)
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    if call.is_ended() {
        let contact = shared::view::contact_ref(state.contacts.as_ref(), &call).await;
        return Ok(Json(CallView::new(&call, contact, state.clock.now())));
    }
    let Some(leg) = &call.telnyx else {
        return Err(ApiError::CallNotReady);
    };
    // One hangup per call: a retried or double-clicked hangup is ignored by Telnyx.
    let command_id = format!("{id}:hangup");
    let sent = state
        .commander
        .send(
            id,
            &leg.call_control_id,
            CallAction::Hangup,
            command_id,
            None,
        )
        .await?;
    if sent == Sent::LegAlreadyEnded {
        tracing::info!(call_id = %id, "hangup raced the callee: already ended");
    }
    let now = state.clock.now();
    let updated = state
        .calls
        .update(id, &move |c: &mut Call| {
            c.hangup_requested_at.get_or_insert(now);
        })
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    let contact = shared::view::contact_ref(state.contacts.as_ref(), &updated).await;
    Ok(Json(CallView::new(&updated, contact, now)))
}
