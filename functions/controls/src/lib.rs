//! In-call controls: `POST /api/calls/{call_id}/{mute,unmute,hold,resume,speaker,dtmf,
//! recording/start,recording/stop}`.
//!
//! Telnyx has no single-leg mute or hold (reference §2.8). Mute and speaker live where the audio
//! is (the agent's browser or phone): the API records them so every screen agrees. Hold loops
//! hold music to the customer with `playback_start` and resume stops it. DTMF and recording are
//! Telnyx commands. Every command carries a `command_id` derived from the call's state, so a
//! retried request for the same transition never acts twice, and a control that the call's
//! state does not allow answers 409 without reaching Telnyx.

mod control;

pub use control::{Control, ControlsState};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json, Router};
use domain::CallId;
use edge::ApiError;
use edge::RouteTable;
use edge::auth::{CurrentUser, Route};
use edge::http::{ApiJson, CallIdPath};
use edge::view::CallView;
use serde::Deserialize;

/// Longest DTMF string accepted in one request (a PIN, an extension, a menu path).
pub const MAX_DTMF_DIGITS: usize = 32;

impl ControlsState {
    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let store = wiring.store().await?;
        let c = &wiring.config;
        let data = wiring.data_store().await?;
        Ok(Self {
            contacts: data.clone(),
            settings: data,
            guard: wiring.call_guard().await?,
            calls: store,
            commander: wiring.commander().await?,
            clock: wiring.clock.clone(),
            default_hold_music_url: c.hold_music_url.clone(),
        })
    }
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
/// A handler for a control that takes no body: the path names it.
macro_rules! plain {
    ($control:expr) => {
        |State(s): State<ControlsState>,
         user: Option<Extension<CurrentUser>>,
         CallIdPath(id): CallIdPath| async move { apply(&s, user, id, $control).await }
    };
}

pub fn table() -> RouteTable<ControlsState> {
    RouteTable::new()
        .with(
            Route::agent("POST", "/api/calls/{call_id}/mute"),
            plain!(Control::Mute),
        )
        .with(
            Route::agent("POST", "/api/calls/{call_id}/unmute"),
            plain!(Control::Unmute),
        )
        .with(
            Route::agent("POST", "/api/calls/{call_id}/hold"),
            plain!(Control::Hold),
        )
        .with(
            Route::agent("POST", "/api/calls/{call_id}/resume"),
            plain!(Control::Resume),
        )
        .with(
            Route::agent("POST", "/api/calls/{call_id}/speaker"),
            speaker,
        )
        .with(Route::agent("POST", "/api/calls/{call_id}/dtmf"), dtmf)
        .with(
            Route::agent("POST", "/api/calls/{call_id}/recording/start"),
            plain!(Control::RecordingStart),
        )
        .with(
            Route::agent("POST", "/api/calls/{call_id}/recording/stop"),
            plain!(Control::RecordingStop),
        )
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: ControlsState) -> Router {
    table().router().with_state(state)
}

/// Only the call's agent or an admin gets past the guard; what the control came to is audited.
async fn apply(
    s: &ControlsState,
    user: Option<Extension<CurrentUser>>,
    id: CallId,
    control: Control,
) -> Result<Json<CallView>, ApiError> {
    let user = user.as_ref().map(|Extension(u)| u);
    let name = control.name();
    s.guard.allow(user, id, name).await?;
    let result = s.apply_control(id, control).await;
    s.guard.done(user, id, name, &result).await;
    Ok(Json(result?.view()))
}

#[derive(Deserialize)]
struct SpeakerBody {
    on: Option<bool>,
}

impl TryFrom<SpeakerBody> for Control {
    type Error = ApiError;

    fn try_from(body: SpeakerBody) -> Result<Self, ApiError> {
        let on = body.on.ok_or_else(|| {
            ApiError::invalid_field("invalid_speaker", "on", "must be true or false")
        })?;
        Ok(Control::Speaker { on })
    }
}

async fn speaker(
    State(s): State<ControlsState>,
    user: Option<Extension<CurrentUser>>,
    CallIdPath(id): CallIdPath,
    ApiJson(body): ApiJson<SpeakerBody>,
) -> Result<Json<CallView>, ApiError> {
    apply(&s, user, id, body.try_into()?).await
}

#[derive(Deserialize)]
struct DtmfBody {
    digits: Option<String>,
}

async fn dtmf(
    State(s): State<ControlsState>,
    user: Option<Extension<CurrentUser>>,
    CallIdPath(id): CallIdPath,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DtmfBody>,
) -> Result<Json<CallView>, ApiError> {
    let digits = validate_dtmf(body.digits.as_deref().unwrap_or_default())
        .map_err(|m| ApiError::invalid_field("invalid_dtmf", "digits", m))?;
    // A client that retries a key press sends the same Idempotency-Key; Telnyx then ignores the
    // repeat. Without one, each request is a new press.
    let press = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    apply(&s, user, id, Control::Dtmf { digits, press }).await
}

/// Checks a DTMF string: 1 to [`MAX_DTMF_DIGITS`] of `0-9 * # A-D`.
pub fn validate_dtmf(digits: &str) -> Result<String, &'static str> {
    let digits = digits.trim().to_ascii_uppercase();
    if digits.is_empty() {
        return Err("give at least one digit");
    }
    if digits.chars().count() > MAX_DTMF_DIGITS {
        return Err("at most 32 digits per request");
    }
    if !digits
        .chars()
        .all(|c| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
    {
        return Err("only 0-9, *, # and A-D can be sent");
    }
    Ok(digits)
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(ControlsState::build(wiring).await?))
}
