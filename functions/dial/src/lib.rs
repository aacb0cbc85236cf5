//! `POST /api/telnyx/dial`: validate, record the call, ask Telnyx to place it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::{Call, CallId, PhoneNumber};
use serde::Deserialize;
use shared::ApiError;
use shared::error::FieldError;
use shared::http::ApiJson;
use shared::ports::{CallControl, CallStore, DialCommand, SharedClock, TelnyxError};
use shared::view::CallView;
use std::sync::Arc;

#[derive(Clone)]
pub struct DialState {
    pub calls: Arc<dyn CallStore>,
    pub telnyx: Arc<dyn CallControl>,
    pub clock: SharedClock,
    pub default_country: String,
    pub ring_timeout_secs: u32,
    pub call_time_limit_secs: u32,
}

pub fn router(state: DialState) -> Router {
    Router::new()
        .route("/api/telnyx/dial", post(dial))
        .with_state(state)
}

#[derive(Deserialize)]
pub struct DialBody {
    #[serde(default)]
    pub to_number: Option<String>,
    #[serde(default)]
    pub from_number: Option<String>,
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Record the call from answer.
    #[serde(default)]
    pub record: bool,
}

fn parse_number(
    field: &str,
    value: Option<&str>,
    country: &str,
    errors: &mut Vec<FieldError>,
) -> Option<PhoneNumber> {
    match PhoneNumber::parse(value.unwrap_or_default(), country) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

async fn dial(
    State(state): State<DialState>,
    ApiJson(body): ApiJson<DialBody>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
    let mut errors = Vec::new();
    let to = parse_number(
        "to_number",
        body.to_number.as_deref(),
        &state.default_country,
        &mut errors,
    );
    let from = parse_number(
        "from_number",
        body.from_number.as_deref(),
        &state.default_country,
        &mut errors,
    );
    let (Some(to), Some(from)) = (to, from) else {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Invalid {
            code: "invalid_phone_number",
            detail,
            errors,
        });
    };
    if to == from {
        return Err(ApiError::invalid_field(
            "invalid_phone_number",
            "to_number",
            "cannot call the caller ID itself",
        ));
    }
    let contact_id = body
        .contact_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if contact_id.as_ref().is_some_and(|c| c.len() > 64) {
        return Err(ApiError::invalid_field(
            "invalid_contact_id",
            "contact_id",
            "is too long",
        ));
    }

    let now = state.clock.now();
    let call = Call::new(CallId::new_at(now), from, to, contact_id, now);
    // The call exists before Telnyx hears of it: its first webhook can beat the dial answer.
    state.calls.insert(&call).await?;
    let command = DialCommand {
        to: call.to.clone(),
        from: call.from.clone(),
        call_id: call.id,
        // Our call id: a retried dial for this call is ignored by Telnyx, never a second call.
        command_id: call.id.to_string(),
        timeout_secs: state.ring_timeout_secs,
        time_limit_secs: state.call_time_limit_secs,
        record: body.record,
    };
    let outcome = state.telnyx.dial(&command).await;
    let now = state.clock.now();
    let updated = match &outcome {
        Ok(leg) => {
            let leg = leg.clone();
            state
                .calls
                .update(call.id, &move |c: &mut Call| c.telnyx = Some(leg.clone()))
                .await?
        }
        Err(e) => {
            let (code, message) = failure_reason(e);
            tracing::warn!(call_id = %call.id, %code, "dial refused");
            state
                .calls
                .update(call.id, &move |c: &mut Call| {
                    c.fail_dial(code.clone(), message.clone(), now)
                })
                .await?
        }
    };
    let updated = updated.ok_or_else(|| ApiError::CallNotFound(call.id.to_string()))?;
    match outcome {
        Ok(_) => {
            tracing::info!(call_id = %call.id, "dialing");
            Ok((
                StatusCode::CREATED,
                Json(CallView::new(&updated, None, now)),
            ))
        }
        Err(TelnyxError::RateLimited { retry_after_secs }) => {
            Err(ApiError::Telnyx(TelnyxError::RateLimited {
                retry_after_secs,
            }))
        }
        Err(e) => Err(ApiError::DialRejected(e, call.id.to_string())),
    }
}

/// The failure recorded on the call: Telnyx's own code and words when it gave them.
fn failure_reason(error: &TelnyxError) -> (String, String) {
    match error {
        TelnyxError::Rejected {
            code,
            title,
            detail,
            ..
        } => (
            if code.is_empty() {
                "telnyx_rejected".into()
            } else {
                code.clone()
            },
            match detail {
                Some(d) if !d.is_empty() => format!("{title}: {d}"),
                _ => title.clone(),
            },
        ),
        TelnyxError::RateLimited { .. } => (
            "telnyx_rate_limited".into(),
            "Telnyx's dial rate limit was reached".into(),
        ),
        TelnyxError::Unavailable(_) => (
            "telnyx_unavailable".into(),
            "Telnyx could not be reached".into(),
        ),
    }
}

impl DialState {
    pub async fn from_wiring(
        wiring: &shared::wiring::Wiring,
    ) -> Result<Self, shared::wiring::WiringError> {
        let c = &wiring.config;
        Ok(Self {
            calls: wiring.store().await?,
            telnyx: wiring.telnyx()?,
            clock: wiring.clock.clone(),
            default_country: c.default_country.clone(),
            ring_timeout_secs: c.ring_timeout_secs,
            call_time_limit_secs: c.call_time_limit_secs,
        })
    }
}
