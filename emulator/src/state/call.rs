//! One call leg: what a dial decided about it, where it stands, and the payload fields every
//! one of its webhooks carries.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::recording::{ActiveRecording, RecordSpec, Recording};
use crate::config::ChaosConfig;
use crate::events::{CallEvents, Event, Target};
use crate::faults::FaultKind;
use crate::time::rfc3339;

/// A request the emulator received under `/v2`, as the test wants to see it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path with query string, e.g. `/v2/calls`.
    pub path: String,
    /// Lower-case header names; `authorization` is left out.
    pub headers: BTreeMap<String, String>,
    /// JSON body, or a JSON string holding the raw text when it was not JSON; null if empty.
    pub body: Value,
    pub status: u16,
    pub received_at: String,
    /// The REST fault this request got, if any.
    pub fault: Option<FaultKind>,
    /// True when the answer (`status`) was never sent: the connection was dropped.
    pub answer_dropped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ringing,
    Answered,
    Ended,
}

/// What a test can read about a call.
#[derive(Clone, Debug, Serialize)]
pub struct CallSnapshot {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub from: String,
    pub to: String,
    pub state: CallState,
    pub scenario: String,
    pub client_state: Option<String>,
    pub hangup_cause: Option<String>,
    pub hangup_source: Option<String>,
    pub sip_hangup_cause: Option<String>,
    pub recording_ids: Vec<String>,
    pub bridged_with: Option<String>,
    pub created_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
}

/// Everything a dial (or a transfer) decides about a new leg.
#[derive(Clone, Debug, Default)]
pub struct NewCall {
    pub from: String,
    pub to: String,
    pub from_display_name: Option<String>,
    pub client_state: Option<String>,
    pub timeout_secs: u64,
    pub retry_on_timeout: bool,
    pub time_limit_secs: u64,
    pub amd: Option<String>,
    pub record: Option<RecordSpec>,
    pub custom_headers: Value,
    pub target: Target,
    pub chaos: Option<ChaosConfig>,
    pub link_to: Option<String>,
    pub bridge_on_answer: bool,
    pub park_after_unbridge: bool,
    /// An inbound call to one of our numbers (`direction: incoming`, parked until answered).
    pub incoming: bool,
    /// An inbound caller who says nothing (the page bridged to it hears silence).
    pub silent_caller: bool,
}

/// Why and by whom a leg ended, as `call.hangup` reports it.
#[derive(Clone, Debug)]
pub struct Hangup {
    pub cause: String,
    pub source: String,
    pub sip: String,
}

/// The ids a new leg answers the dial with.
#[derive(Clone, Debug)]
pub struct LegIds {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
}

pub struct Call {
    pub seq: u64,
    pub ids: LegIds,
    pub spec: NewCall,
    /// Name of whoever answers this leg (the scenario's name).
    pub callee: String,
    pub client_state: Option<String>,
    pub state: CallState,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended: Option<Instant>,
    pub hangup: Option<Hangup>,
    pub recording: Option<ActiveRecording>,
    pub recording_ids: Vec<String>,
    /// Generation and `media_*` fields of the playback running now.
    pub playback: Option<(u64, Value)>,
    /// Generation of the speak running now.
    pub speak: Option<u64>,
    pub bridged_with: Option<String>,
    pub command_ids: HashMap<String, Instant>,
    /// Closed at hangup, which lets the delivery of this call's events finish.
    pub events: Option<CallEvents>,
}

impl Call {
    pub fn is_alive(&self) -> bool {
        self.state != CallState::Ended
    }

    pub fn id(&self) -> &str {
        &self.ids.call_control_id
    }

    /// Queues one webhook: the fields every call event carries, then `extra`'s.
    pub fn emit(&self, connection_id: &str, event_type: &str, extra: Value) {
        let mut payload = self.base_payload(connection_id);
        if let Value::Object(extra) = extra {
            payload.extend(extra);
        }
        if let Some(tx) = &self.events {
            let _ = tx.send(Event::new(event_type, Value::Object(payload)));
        }
    }

    fn base_payload(&self, connection_id: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("call_control_id".into(), json!(self.ids.call_control_id));
        m.insert("call_leg_id".into(), json!(self.ids.call_leg_id));
        m.insert("call_session_id".into(), json!(self.ids.call_session_id));
        m.insert("connection_id".into(), json!(connection_id));
        m.insert("client_state".into(), json!(self.client_state));
        m.insert("from".into(), json!(self.spec.from));
        m.insert("to".into(), json!(self.spec.to));
        m.insert("calling_party_type".into(), json!("pstn"));
        m
    }

    pub fn start_recording(&mut self, spec: RecordSpec) {
        self.recording_ids.push(spec.recording_id.clone());
        self.recording = Some(ActiveRecording::start(spec));
    }

    pub fn pause_recording(&mut self, pause: bool) {
        if let Some(r) = self.recording.as_mut() {
            r.pause(pause);
        }
    }

    /// Stops the active recording (if any) and returns what it saved.
    pub fn take_recording(&mut self, connection_id: &str) -> Option<Recording> {
        let active = self.recording.take()?;
        Some(Recording {
            duration_ms: active.recorded().as_millis() as u64,
            id: active.spec.recording_id,
            call_control_id: self.ids.call_control_id.clone(),
            call_leg_id: self.ids.call_leg_id.clone(),
            call_session_id: self.ids.call_session_id.clone(),
            connection_id: connection_id.to_string(),
            from: self.spec.from.clone(),
            to: self.spec.to.clone(),
            format: active.spec.format,
            channels: active.spec.channels,
            started_at: active.started_at,
            ended_at: Utc::now(),
            initiated_by: active.spec.initiated_by,
        })
    }

    pub fn snapshot(&self) -> CallSnapshot {
        let h = self.hangup.clone();
        CallSnapshot {
            call_control_id: self.ids.call_control_id.clone(),
            call_leg_id: self.ids.call_leg_id.clone(),
            call_session_id: self.ids.call_session_id.clone(),
            from: self.spec.from.clone(),
            to: self.spec.to.clone(),
            state: self.state,
            scenario: self.callee.clone(),
            client_state: self.client_state.clone(),
            hangup_cause: h.as_ref().map(|h| h.cause.clone()),
            hangup_source: h.as_ref().map(|h| h.source.clone()),
            sip_hangup_cause: h.map(|h| h.sip),
            recording_ids: self.recording_ids.clone(),
            bridged_with: self.bridged_with.clone(),
            created_at: rfc3339(self.created_at),
            answered_at: self.answered_at.map(rfc3339),
            ended_at: self.ended_at.map(rfc3339),
        }
    }
}
