//! In-call controls: `POST /api/calls/{call_id}/{mute,unmute,hold,resume,speaker,dtmf,
//! recording/start,recording/stop}`.
//!
//! Telnyx has no single-leg mute or hold (reference §2.8). Mute and speaker live where the audio
//! is (the agent's browser or phone): the API records them so every screen agrees. Hold loops
//! hold music to the customer with `playback_start` and resume stops it. DTMF and recording are
//! Telnyx commands. Every command carries a `command_id` derived from the call's state, so a
//! retried request for the same transition never acts twice, and a control that the call's
//! state does not allow answers 409 without reaching Telnyx.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use domain::{Call, CallId, ControlRefusal};
use edge::ApiError;
use edge::auth::Route;
use edge::commands::{Commander, Sent};
use edge::http::{ApiJson, CallIdPath};
use edge::view::CallView;
use ports::{CallAction, CallStore, CommandRecord, CommandResult, SharedClock};
use serde::Deserialize;
use std::sync::Arc;

/// Longest DTMF string accepted in one request (a PIN, an extension, a menu path).
pub const MAX_DTMF_DIGITS: usize = 32;

#[derive(Clone)]
pub struct ControlsState {
    pub calls: Arc<dyn CallStore>,
    pub commander: Commander,
    pub clock: SharedClock,
    /// Names the person on the call in every answer.
    pub contacts: Arc<dyn ports::ContactStore>,
    /// The team's hold music and recording preferences.
    pub settings: Arc<dyn ports::SettingsStore>,
    /// Hold music when the settings name none (`HOLD_MUSIC_URL`); must be reachable by Telnyx.
    pub default_hold_music_url: String,
}

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
            calls: store.clone(),
            commander: Commander {
                telnyx: wiring.call_control().await?,
                log: store,
                clock: wiring.clock.clone(),
            },
            clock: wiring.clock.clone(),
            default_hold_music_url: c.hold_music_url.clone(),
        })
    }
}

/// Every route here and who may call it (the router is built from this list).
pub const ROUTES: &[Route] = &[
    Route::agent("POST", "/api/calls/{call_id}/mute"),
    Route::agent("POST", "/api/calls/{call_id}/unmute"),
    Route::agent("POST", "/api/calls/{call_id}/hold"),
    Route::agent("POST", "/api/calls/{call_id}/resume"),
    Route::agent("POST", "/api/calls/{call_id}/speaker"),
    Route::agent("POST", "/api/calls/{call_id}/dtmf"),
    Route::agent("POST", "/api/calls/{call_id}/recording/start"),
    Route::agent("POST", "/api/calls/{call_id}/recording/stop"),
];

pub fn router(state: ControlsState) -> Router {
    Router::new()
        .route(ROUTES[0].path, post(mute))
        .route(ROUTES[1].path, post(unmute))
        .route(ROUTES[2].path, post(hold))
        .route(ROUTES[3].path, post(resume))
        .route(ROUTES[4].path, post(speaker))
        .route(ROUTES[5].path, post(dtmf))
        .route(ROUTES[6].path, post(recording_start))
        .route(ROUTES[7].path, post(recording_stop))
        .with_state(state)
}

fn refusal(reason: ControlRefusal) -> ApiError {
    match reason {
        ControlRefusal::NotActive => ApiError::CallNotActive,
        ControlRefusal::AlreadyEnded => ApiError::CallAlreadyEnded,
    }
}

impl ControlsState {
    async fn load(&self, id: CallId, needs_answer: bool) -> Result<Call, ApiError> {
        let call = self
            .calls
            .get(id)
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        call.check_control(needs_answer).map_err(refusal)?;
        Ok(call)
    }

    async fn change(
        &self,
        id: CallId,
        change: &(dyn Fn(&mut Call) + Send + Sync),
    ) -> Result<Json<CallView>, ApiError> {
        let call = self
            .calls
            .update(id, change)
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        Ok(self.view(&call).await)
    }

    /// Agent-side state with no Telnyx command: recorded, kept in the timeline when it changes.
    async fn set_flag(
        &self,
        id: CallId,
        command: &str,
        current: fn(&Call) -> bool,
        set: fn(&mut Call),
    ) -> Result<Json<CallView>, ApiError> {
        let call = self.load(id, false).await?;
        if !current(&call) {
            self.commander
                .note(CommandRecord {
                    call_id: id,
                    command_id: format!("{id}:{command}:{}", uuid::Uuid::new_v4()),
                    command: command.to_string(),
                    detail: None,
                    at: self.clock.now(),
                    result: CommandResult::Ok,
                })
                .await;
        }
        self.change(id, &move |c: &mut Call| set(c)).await
    }

    /// Sends the command of a state transition and, once Telnyx accepted it, records the new
    /// state. A leg that already ended is left as it is: its hangup event is on the way.
    async fn transition(
        &self,
        call: &Call,
        action: CallAction,
        command_id: String,
        detail: Option<String>,
        apply: &(dyn Fn(&mut Call) + Send + Sync),
    ) -> Result<Json<CallView>, ApiError> {
        let sent = self
            .commander
            .send(call.id, &Self::leg(call)?, action, command_id, detail)
            .await?;
        if sent == Sent::LegAlreadyEnded {
            return Ok(self.view(call).await);
        }
        self.change(call.id, apply).await
    }

    /// The call as every control answers it, named after its contact.
    async fn view(&self, call: &Call) -> Json<CallView> {
        let contact = edge::view::contact_ref(self.contacts.as_ref(), call).await;
        Json(CallView::new(call, contact, self.clock.now()))
    }

    fn leg(call: &Call) -> Result<String, ApiError> {
        call.telnyx
            .as_ref()
            .map(|leg| leg.call_control_id.clone())
            .ok_or(ApiError::CallNotReady)
    }
}

async fn mute(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    s.set_flag(id, "mute", |c| c.muted, |c| c.muted = true)
        .await
}

async fn unmute(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    s.set_flag(id, "unmute", |c| !c.muted, |c| c.muted = false)
        .await
}

async fn hold(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = s.load(id, true).await?;
    if call.on_hold {
        return Ok(s.view(&call).await);
    }
    let hold_music = s
        .settings
        .load_settings()
        .await?
        .hold_music_url
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| s.default_hold_music_url.clone());
    if hold_music.is_empty() {
        return Err(ApiError::Conflict {
            code: "hold_music_not_configured",
            detail: "set a hold-music URL (HOLD_MUSIC_URL) that Telnyx can fetch before putting calls on hold".into(),
        });
    }
    let holds = call.holds + 1;
    s.transition(
        &call,
        CallAction::PlaybackStart {
            audio_url: hold_music,
        },
        format!("{id}:hold:{holds}"),
        None,
        &move |c: &mut Call| {
            c.on_hold = true;
            c.holds = c.holds.max(holds);
        },
    )
    .await
}

async fn resume(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = s.load(id, true).await?;
    if !call.on_hold {
        return Ok(s.view(&call).await);
    }
    s.transition(
        &call,
        CallAction::PlaybackStop,
        format!("{id}:resume:{}", call.holds),
        None,
        &|c: &mut Call| c.on_hold = false,
    )
    .await
}

#[derive(Deserialize)]
struct SpeakerBody {
    on: Option<bool>,
}

async fn speaker(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
    ApiJson(body): ApiJson<SpeakerBody>,
) -> Result<Json<CallView>, ApiError> {
    let on = body
        .on
        .ok_or_else(|| ApiError::invalid_field("invalid_speaker", "on", "must be true or false"))?;
    s.load(id, false).await?;
    s.change(id, &move |c: &mut Call| c.speaker = on).await
}

#[derive(Deserialize)]
struct DtmfBody {
    digits: Option<String>,
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

async fn dtmf(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DtmfBody>,
) -> Result<Json<CallView>, ApiError> {
    let digits = validate_dtmf(body.digits.as_deref().unwrap_or_default())
        .map_err(|m| ApiError::invalid_field("invalid_dtmf", "digits", m))?;
    let call = s.load(id, true).await?;
    // A client that retries a key press sends the same Idempotency-Key; Telnyx then ignores the
    // repeat. Without one, each request is a new press.
    let press = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    s.commander
        .send(
            id,
            &ControlsState::leg(&call)?,
            CallAction::SendDtmf {
                digits: digits.clone(),
            },
            format!("{id}:dtmf:{press}"),
            Some(digits),
        )
        .await?;
    Ok(s.view(&call).await)
}

async fn recording_start(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = s.load(id, true).await?;
    if call.recording_active {
        return Ok(s.view(&call).await);
    }
    let prefs = s.settings.load_settings().await?.recording;
    let (format, channels) = (prefs.format.as_str(), prefs.channels.as_str());
    let started = call.recordings_started + 1;
    s.transition(
        &call,
        CallAction::RecordStart {
            format: format.into(),
            channels: channels.into(),
        },
        format!("{id}:record_start:{started}"),
        Some(format!("{format} {channels}")),
        &move |c: &mut Call| {
            c.recording_active = true;
            c.recording_requested = true;
            c.recordings_started = c.recordings_started.max(started);
        },
    )
    .await
}

async fn recording_stop(
    State(s): State<ControlsState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallView>, ApiError> {
    let call = s.load(id, true).await?;
    if !call.recording_active {
        return Ok(s.view(&call).await);
    }
    s.transition(
        &call,
        CallAction::RecordStop,
        format!("{id}:record_stop:{}", call.recordings_started),
        None,
        &|c: &mut Call| c.recording_active = false,
    )
    .await
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(ControlsState::build(wiring).await?))
}
