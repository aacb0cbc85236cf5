//! `POST /api/telnyx/hangup/{call_id}`: ask Telnyx to end the call. Idempotent: hanging up a
//! call that already ended answers 200 with the call.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use domain::Call;
use shared::ApiError;
use shared::http::CallIdPath;
use shared::ports::{CallAction, CallControl, CallStore, SharedClock};
use shared::view::CallView;
use std::sync::Arc;

#[derive(Clone)]
pub struct HangupState {
    pub calls: Arc<dyn CallStore>,
    pub telnyx: Arc<dyn CallControl>,
    pub clock: SharedClock,
}

impl HangupState {
    pub async fn from_wiring(
        wiring: &shared::wiring::Wiring,
    ) -> Result<Self, shared::wiring::WiringError> {
        Ok(Self {
            calls: wiring.store().await?,
            telnyx: wiring.telnyx()?,
            clock: wiring.clock.clone(),
        })
    }
}

pub fn router(state: HangupState) -> Router {
    Router::new()
        .route("/api/telnyx/hangup/{call_id}", post(hangup))
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
        return Ok(Json(CallView::new(&call, None, state.clock.now())));
    }
    let Some(leg) = &call.telnyx else {
        return Err(ApiError::CallNotReady);
    };
    // One hangup per call: a retried or double-clicked hangup is ignored by Telnyx.
    let command_id = format!("{id}:hangup");
    match state
        .telnyx
        .act(&leg.call_control_id, &CallAction::Hangup, &command_id)
        .await
    {
        Ok(()) => {}
        // The callee hung up first; Telnyx's own call.hangup is on its way.
        Err(e) if e.is_call_already_ended() => {
            tracing::info!(call_id = %id, "hangup raced the callee: already ended");
        }
        Err(e) => return Err(ApiError::Telnyx(e)),
    }
    let now = state.clock.now();
    let updated = state
        .calls
        .update(id, &move |c: &mut Call| {
            c.hangup_requested_at.get_or_insert(now);
        })
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    Ok(Json(CallView::new(&updated, None, now)))
}
