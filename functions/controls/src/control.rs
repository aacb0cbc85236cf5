//! The in-call controls use case: each control checks what the call's state allows, sends its
//! Telnyx command (with a command id derived from that state, so a retried request never acts
//! twice) and records the new state. The edge (`lib.rs`) reads requests into a [`Control`].

use domain::{Call, CallId, ControlRefusal};
use edge::ApiError;
use edge::commands::{Commander, Sent};
use edge::view::CallAt;
use ports::{CallAction, CommandRecord, CommandResult};
use ports::{CallStore, SharedClock};
use std::sync::Arc;

#[derive(Clone)]
pub struct ControlsState {
    pub calls: Arc<dyn CallStore>,
    pub commander: Commander,
    pub clock: SharedClock,
    /// Names the person on the call in every answer.
    pub contacts: Arc<dyn ports::ContactStore>,
    /// The team's hold music and recording preferences.
    pub settings: Arc<dyn ports::SettingsStore>,
    /// Only the call's agent or an admin controls it; every control is audited.
    pub guard: edge::owner::CallGuard,
    /// Hold music when the settings name none (`HOLD_MUSIC_URL`); must be reachable by Telnyx.
    pub default_hold_music_url: String,
}

/// A control as the edge read it, already checked where it carries input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Mute,
    Unmute,
    Hold,
    Resume,
    Speaker {
        on: bool,
    },
    /// Checked digits; `press` names one key press, so a retried request sends it once.
    Dtmf {
        digits: String,
        press: String,
    },
    RecordingStart,
    RecordingStop,
}

impl Control {
    /// The name the audit trail keeps.
    pub fn name(&self) -> &'static str {
        match self {
            Control::Mute => "mute",
            Control::Unmute => "unmute",
            Control::Hold => "hold",
            Control::Resume => "resume",
            Control::Speaker { .. } => "speaker",
            Control::Dtmf { .. } => "dtmf",
            Control::RecordingStart => "recording_start",
            Control::RecordingStop => "recording_stop",
        }
    }
}

impl ControlsState {
    /// Applies one control to a call and answers the call as it now stands.
    pub async fn apply_control(&self, id: CallId, control: Control) -> Result<CallAt, ApiError> {
        match control {
            Control::Mute => mute(self, id).await,
            Control::Unmute => unmute(self, id).await,
            Control::Hold => hold(self, id).await,
            Control::Resume => resume(self, id).await,
            Control::Speaker { on } => speaker(self, id, on).await,
            Control::Dtmf { digits, press } => dtmf(self, id, digits, press).await,
            Control::RecordingStart => recording_start(self, id).await,
            Control::RecordingStop => recording_stop(self, id).await,
        }
    }
}

async fn mute(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
    s.set_flag(id, "mute", |c| c.muted, |c| c.muted = true)
        .await
}

async fn unmute(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
    s.set_flag(id, "unmute", |c| !c.muted, |c| c.muted = false)
        .await
}

async fn hold(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
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
    .map_err(|e| match e {
        // Telnyx refusing the playback is almost always a URL it cannot fetch or play.
        ApiError::Telnyx(t @ ports::TelnyxError::Rejected { .. }) => ApiError::problem(
            axum::http::StatusCode::BAD_GATEWAY,
            "hold_music_unavailable",
            format!(
                "the hold music could not be played ({}): check the hold music URL in settings",
                t.message()
            ),
        ),
        other => other,
    })
}

async fn resume(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
    turn_off(
        s,
        id,
        |c| c.on_hold,
        CallAction::PlaybackStop,
        |c| {
            (format!("{id}:resume:{}", c.holds), |c: &mut Call| {
                c.on_hold = false
            })
        },
    )
    .await
}

async fn speaker(s: &ControlsState, id: CallId, on: bool) -> Result<CallAt, ApiError> {
    s.load(id, false).await?;
    s.change(id, &move |c: &mut Call| c.speaker = on).await
}

async fn dtmf(
    s: &ControlsState,
    id: CallId,
    digits: String,
    press: String,
) -> Result<CallAt, ApiError> {
    let call = s.load(id, true).await?;
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

async fn recording_start(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
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

async fn recording_stop(s: &ControlsState, id: CallId) -> Result<CallAt, ApiError> {
    turn_off(
        s,
        id,
        |c| c.recording_active,
        CallAction::RecordStop,
        |c| {
            (
                format!("{id}:record_stop:{}", c.recordings_started),
                |c: &mut Call| c.recording_active = false,
            )
        },
    )
    .await
}

/// Stops what an answered call has on (hold music, a recording): nothing is sent when it is
/// already off; `step` names the command for this transition and the state it leaves.
async fn turn_off(
    s: &ControlsState,
    id: CallId,
    is_on: fn(&Call) -> bool,
    action: CallAction,
    step: impl FnOnce(&Call) -> (String, fn(&mut Call)),
) -> Result<CallAt, ApiError> {
    let call = s.load(id, true).await?;
    if !is_on(&call) {
        return Ok(s.view(&call).await);
    }
    let (command_id, off) = step(&call);
    s.transition(&call, action, command_id, None, &move |c: &mut Call| off(c))
        .await
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
    ) -> Result<CallAt, ApiError> {
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
    ) -> Result<CallAt, ApiError> {
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
    ) -> Result<CallAt, ApiError> {
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
    async fn view(&self, call: &Call) -> CallAt {
        CallAt::named(self.contacts.as_ref(), call.clone(), self.clock.now()).await
    }

    fn leg(call: &Call) -> Result<String, ApiError> {
        call.telnyx
            .as_ref()
            .map(|leg| leg.call_control_id.clone())
            .ok_or(ApiError::CallNotReady)
    }
}
