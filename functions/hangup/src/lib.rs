//! `POST /api/telnyx/hangup/{call_id}`: ask Telnyx to end the call. Idempotent: hanging up a
//! call that already ended answers 200 with the call.

use axum::extract::State;
use axum::{Extension, Json, Router};
use domain::{Call, CallId};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::{CurrentUser, Route};
use edge::commands::{Commander, Sent};
use edge::http::CallIdPath;
use edge::view::{CallAt, CallView};
use ports::{CallAction, CallStore, SharedClock};
use std::sync::Arc;

#[derive(Clone)]
pub struct HangupState {
    pub calls: Arc<dyn CallStore>,
    /// Names the person called in the answer.
    pub contacts: Arc<dyn ports::ContactStore>,
    pub commander: Commander,
    pub clock: SharedClock,
    /// Only the call's agent or an admin hangs it up; every hangup is audited.
    pub guard: edge::owner::CallGuard,
}

impl HangupState {
    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let store = wiring.store().await?;
        Ok(Self {
            contacts: wiring.data_store().await?,
            guard: wiring.call_guard().await?,
            calls: store,
            commander: wiring.commander().await?,
            clock: wiring.clock.clone(),
        })
    }
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<HangupState> {
    RouteTable::new().with(Route::agent("POST", "/api/telnyx/hangup/{call_id}"), hangup)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: HangupState) -> Router {
    table().router().with_state(state)
}

async fn hangup(
    State(state): State<HangupState>,
    user: Option<Extension<CurrentUser>>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let user = user.as_ref().map(|Extension(u)| u);
    state.guard.allow(user, id, "hangup").await?;
    let result = state.hang_up(id).await;
    state.guard.done(user, id, "hangup", &result).await;
    Ok(Json(result?.view()))
}

impl HangupState {
    /// Ends a call. Idempotent: a call that already ended is answered as it is, and every
    /// hangup of one call carries the same command id, so Telnyx ignores a retried one.
    pub async fn hang_up(&self, id: CallId) -> Result<CallAt, ApiError> {
        let call = self
            .calls
            .get(id)
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        if call.is_ended() && call.agent.as_ref().is_none_or(|a| a.is_ended()) {
            return Ok(CallAt::named(self.contacts.as_ref(), call, self.clock.now()).await);
        }
        if call.agent.is_some() {
            return self.hang_up_both(call).await;
        }
        let Some(leg) = &call.telnyx else {
            return Err(ApiError::CallNotReady);
        };
        let command_id = format!("{id}:hangup");
        let sent = self
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
        let now = self.clock.now();
        let updated = self
            .calls
            .update(id, &move |c: &mut Call| {
                c.hangup_requested_at.get_or_insert(now);
            })
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        Ok(CallAt::named(self.contacts.as_ref(), updated, now).await)
    }
}

impl HangupState {
    /// A two-leg call: the hangup is recorded first, so the processor never dials the customer
    /// after it, then every leg still up is hung up (one that ended meanwhile answers 90018,
    /// which is harmless).
    async fn hang_up_both(&self, call: Call) -> Result<CallAt, ApiError> {
        let id = call.id;
        let agent = call.agent.as_ref().filter(|a| !a.is_ended());
        let legs: Vec<(&str, String)> = [
            call.telnyx
                .as_ref()
                .filter(|_| call.hangup.is_none())
                .map(|t| ("customer", t.call_control_id.clone())),
            agent
                .and_then(|a| a.telnyx.as_ref())
                .map(|t| ("agent", t.call_control_id.clone())),
        ]
        .into_iter()
        .flatten()
        .collect();
        if legs.is_empty() && !call.is_ended() {
            return Err(ApiError::CallNotReady);
        }
        let now = self.clock.now();
        self.calls
            .update(id, &move |c: &mut Call| {
                c.hangup_requested_at.get_or_insert(now);
            })
            .await?;
        for (leg, ccid) in legs {
            let command_id = match leg {
                "customer" => format!("{id}:hangup"),
                _ => format!("{id}:hangup-{leg}"),
            };
            let detail = Some(format!("{leg} leg"));
            self.commander
                .send(id, &ccid, CallAction::Hangup, command_id, detail)
                .await?;
        }
        let updated = self
            .calls
            .get(id)
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        Ok(CallAt::named(self.contacts.as_ref(), updated, self.clock.now()).await)
    }
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(HangupState::build(wiring).await?))
}
