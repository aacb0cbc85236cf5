//! One call in full: `GET /api/calls/{call_id}` (the call with its timeline) and
//! `GET /api/calls/{call_id}/recording` (a fresh link to the audio).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Call, CallId, RecordingState};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::Route;
use edge::http::CallIdPath;
use edge::view::CallView;
use ports::{CallControl, CallStore, CommandLog, CommandResult, EventLog, SharedClock};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

#[derive(Clone)]
pub struct DetailState {
    pub calls: Arc<dyn CallStore>,
    pub events: Arc<dyn EventLog>,
    pub commands: Arc<dyn CommandLog>,
    pub telnyx: Arc<dyn CallControl>,
    /// Names the person called.
    pub contacts: Arc<dyn ports::ContactStore>,
    pub clock: SharedClock,
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<DetailState> {
    RouteTable::new()
        .with(Route::agent("GET", "/api/calls/{call_id}"), detail)
        .with(
            Route::agent("GET", "/api/calls/{call_id}/recording"),
            recording,
        )
        .with(
            Route::agent("GET", "/api/calls/{call_id}/recording/link"),
            recording_link,
        )
}

pub fn routes(state: DetailState) -> Router {
    table().router().with_state(state)
}

impl DetailState {
    /// Built here, once, for the Lambda `main`, the local stack and the tests.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let store = wiring.store().await?;
        Ok(Self {
            calls: store.clone(),
            events: store.clone(),
            commands: store,
            telnyx: wiring.call_control().await?,
            contacts: wiring.data_store().await?,
            clock: wiring.clock.clone(),
        })
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One line of a call's timeline: a Telnyx event or a command we sent.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    Event {
        at: String,
        event_type: String,
        event_id: String,
        received_at: String,
        attempt: u32,
        deliveries: u32,
        /// What the event said that a person cares about (digit pressed, hangup cause, …).
        summary: Option<String>,
        /// Two-leg calls: `agent` or `customer`, the leg the event is about.
        #[serde(skip_serializing_if = "Option::is_none")]
        leg: Option<&'static str>,
    },
    Command {
        at: String,
        command: String,
        command_id: String,
        detail: Option<String>,
        #[serde(flatten)]
        result: CommandResult,
    },
}

#[derive(Serialize)]
struct RecordingView {
    recording_id: String,
    format: Option<String>,
    channels: Option<String>,
    duration: Option<i64>,
    started_at: Option<String>,
}

#[derive(Serialize)]
struct CallDetail {
    #[serde(flatten)]
    view: CallView,
    notes: Option<String>,
    tags: Vec<String>,
    recordings: Vec<RecordingView>,
    timeline: Vec<TimelineEntry>,
}

/// A short human reading of an event's payload for the timeline.
fn summarise(event_type: &str, raw: &str) -> Option<String> {
    let body: Value = serde_json::from_str(raw).ok()?;
    let p = &body["data"]["payload"];
    let text = |f: &str| p[f].as_str().map(str::to_string);
    match event_type {
        "call.hangup" => Some(format!(
            "{} by {} (SIP {})",
            text("hangup_cause")?,
            text("hangup_source").unwrap_or_else(|| "unknown".into()),
            text("sip_hangup_cause").unwrap_or_else(|| "?".into())
        )),
        "call.dtmf.received" => text("digit").map(|d| format!("pressed {d}")),
        "call.machine.detection.ended" | "call.machine.premium.detection.ended" => text("result"),
        "call.playback.ended" | "call.speak.ended" => text("status"),
        "call.recording.error" => text("reason"),
        "call.cost" => p["total_cost"]
            .as_str()
            .map(str::to_string)
            .or_else(|| p["total_cost"].as_f64().map(|c| c.to_string())),
        _ => None,
    }
}

/// Events by when they happened (not when they arrived) merged with our commands; ties keep
/// commands first, since a command causes the events stamped in the same instant.
pub fn timeline(
    events: Vec<ports::EventRecord>,
    commands: Vec<ports::CommandRecord>,
) -> Vec<TimelineEntry> {
    call_timeline(None, events, commands)
}

/// The timeline of `call`: on a two-leg call each event names its leg.
pub fn call_timeline(
    call: Option<&Call>,
    events: Vec<ports::EventRecord>,
    commands: Vec<ports::CommandRecord>,
) -> Vec<TimelineEntry> {
    let two_leg = call.filter(|c| c.agent.is_some());
    let mut entries: Vec<(DateTime<Utc>, u8, TimelineEntry)> = Vec::new();
    for c in commands {
        entries.push((
            c.at,
            0,
            TimelineEntry::Command {
                at: rfc3339(c.at),
                command: c.command,
                command_id: c.command_id,
                detail: c.detail,
                result: c.result,
            },
        ));
    }
    for e in events {
        let summary = summarise(&e.event_type, &e.raw);
        let leg = two_leg.map(|c| match &e.call_control_id {
            Some(ccid) => c.leg_of(ccid).as_str(),
            None => domain::Leg::Customer.as_str(),
        });
        entries.push((
            e.occurred_at,
            1,
            TimelineEntry::Event {
                at: rfc3339(e.occurred_at),
                event_type: e.event_type,
                event_id: e.event_id,
                received_at: rfc3339(e.received_at),
                attempt: e.attempt,
                deliveries: e.deliveries,
                summary,
                leg,
            },
        ));
    }
    entries.sort_by_key(|e| (e.0, e.1));
    entries.into_iter().map(|(_, _, e)| e).collect()
}

async fn load(state: &DetailState, id: domain::CallId) -> Result<Call, ApiError> {
    state
        .calls
        .get(id)
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))
}

async fn detail(
    State(state): State<DetailState>,
    CallIdPath(id): CallIdPath,
) -> Result<Json<CallDetail>, ApiError> {
    let call = load(&state, id).await?;
    let (events, commands) = tokio::try_join!(
        state.events.events_for_call(id),
        state.commands.commands_for_call(id)
    )?;
    let recordings = call
        .recordings
        .values()
        .map(|r| RecordingView {
            recording_id: r.recording_id.clone(),
            format: r.format.clone(),
            channels: r.channels.clone(),
            duration: match (r.started_at, r.ended_at) {
                (Some(s), Some(e)) => Some((e - s).num_seconds().max(0)),
                _ => None,
            },
            started_at: r.started_at.map(rfc3339),
        })
        .collect();
    Ok(Json(CallDetail {
        view: CallView::new(
            &call,
            edge::view::contact_ref(state.contacts.as_ref(), &call).await,
            state.clock.now(),
        ),
        notes: call.notes.clone(),
        tags: call.tags.clone(),
        recordings,
        timeline: call_timeline(Some(&call), events, commands),
    }))
}

/// A fresh download link for the call's latest recording.
async fn fresh_link(state: &DetailState, id: CallId) -> Result<String, ApiError> {
    let call = load(state, id).await?;
    let Some(rec) = call.latest_recording() else {
        return Err(match call.recording_state() {
            Some(RecordingState::Recording | RecordingState::Processing) => {
                ApiError::RecordingProcessing
            }
            _ => ApiError::RecordingNotFound,
        });
    };
    state
        .telnyx
        .recording_link(&rec.recording_id, rec.format.as_deref())
        .await
        .map_err(ApiError::Telnyx)
}

/// Telnyx's links expire after ten minutes, so one is minted for every request.
const LINK_LIFETIME_SECS: i64 = 10 * 60;

async fn recording(
    State(state): State<DetailState>,
    CallIdPath(id): CallIdPath,
) -> Result<Response, ApiError> {
    let link = fresh_link(&state, id).await?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, link),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response())
}

#[derive(Serialize)]
struct RecordingLink {
    url: String,
    /// A little before Telnyx's own expiry, so a player refreshes in time.
    expires_at: String,
}

/// The link as JSON, for browsers: an `<audio>` element cannot send the sign-in header that the
/// redirecting route needs, but it can play the short-lived link this returns.
async fn recording_link(
    State(state): State<DetailState>,
    CallIdPath(id): CallIdPath,
) -> Result<Response, ApiError> {
    let url = fresh_link(&state, id).await?;
    let expires = state.clock.now() + chrono::Duration::seconds(LINK_LIFETIME_SECS - 30);
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(RecordingLink {
            url,
            expires_at: expires.to_rfc3339_opts(SecondsFormat::Secs, true),
        }),
    )
        .into_response())
}
