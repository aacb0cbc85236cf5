//! The call and its status machine.
//!
//! A call stores *facts* (what we asked for, what Telnyx reported) and derives everything shown
//! to a user (status, outcome, duration) from them. Applying an event is a join: facts only grow,
//! and when two events compete for one field the earliest `(occurred_at, event_id)` wins. So the
//! call is a function of the *set* of events seen, whatever their order or duplication, and its
//! status can never move backwards.

use crate::event::{CallEvent, CallEventKind};
use crate::phone::PhoneNumber;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

mod agent;
pub use agent::{AgentLeg, Leg, LegClaims, LegStatus, NextAction, Phase};

/// Our id for a call (UUIDv7: sortable by creation time). Carried to Telnyx in `client_state`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(Uuid);

impl CallId {
    pub fn new_at(now: DateTime<Utc>) -> Self {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            now.timestamp() as u64,
            now.timestamp_subsec_nanos(),
        );
        Self(Uuid::new_v7(ts))
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({})", self.0)
    }
}

impl FromStr for CallId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self)
    }
}

/// What the UI shows live. Ordered: a call only ever moves to a later status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Dialing,
    Ringing,
    Active,
    Ended,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }
}

/// How an ended call turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered (by a person or a machine).
    Completed,
    NoAnswer,
    Busy,
    Rejected,
    /// We hung up before anyone answered.
    Canceled,
    Failed,
    /// Two-leg calls: the agent did not pick up (no answer, busy, declined, or their phone's
    /// voicemail answered); the customer was never dialled.
    AgentNoAnswer,
    /// Two-leg calls: the agent's leg could not be placed or failed; the customer was never
    /// dialled.
    AgentFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::Canceled => "canceled",
            Self::Failed => "failed",
            Self::AgentNoAnswer => "agent_no_answer",
            Self::AgentFailed => "agent_failed",
        }
    }

    /// Classifies an ended call from Telnyx's hangup cause. An answered call is `completed`
    /// whatever ended it; the causes only matter for calls nobody picked up.
    pub fn classify(hangup_cause: &str, answered: bool) -> Self {
        if answered {
            return Self::Completed;
        }
        match hangup_cause {
            "user_busy" => Self::Busy,
            "call_rejected" => Self::Rejected,
            "timeout" | "no_answer" => Self::NoAnswer,
            "originator_cancel" => Self::Canceled,
            // Telnyx only clears normally after an answer; the answer event may still be on its
            // way (events are unordered), and when it lands the call is completed either way.
            "normal_clearing" => Self::Completed,
            _ => Self::Failed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredBy {
    Human,
    Machine,
}

impl AnsweredBy {
    /// What a Telnyx detection result says; `not_sure` and anything unknown say nothing.
    pub fn from_detection(result: &str) -> Option<Self> {
        match result {
            "human" | "human_residence" | "human_business" => Some(Self::Human),
            "machine" => Some(Self::Machine),
            _ => None,
        }
    }
}

/// Telnyx's ids for the customer leg, returned by the dial command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelnyxLeg {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
}

/// Telnyx refused to place the call at all (the dial command failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialFailure {
    pub code: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hangup {
    pub cause: String,
    pub source: Option<String>,
    pub sip_code: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub occurred_at: DateTime<Utc>,
    pub event_id: String,
}

impl Hangup {
    /// The hangup an event reports, if it is one.
    fn of(event: &CallEvent) -> Option<Self> {
        let CallEventKind::Hangup {
            cause,
            source,
            sip_code,
            start_time,
            end_time,
        } = &event.kind
        else {
            return None;
        };
        Some(Hangup {
            cause: cause.clone(),
            source: source.clone(),
            sip_code: sip_code.clone(),
            start_time: *start_time,
            end_time: *end_time,
            occurred_at: event.occurred_at,
            event_id: event.event_id.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub recording_id: String,
    pub format: Option<String>,
    pub channels: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub saved_at: DateTime<Utc>,
}

/// A fact taken from one event: when it happened and which event said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub value: T,
    pub occurred_at: DateTime<Utc>,
    pub event_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    pub total_cost: String,
    pub currency: Option<String>,
    pub billed_duration_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub id: CallId,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub contact_id: Option<String>,
    /// When the user pressed CALL.
    pub started_at: DateTime<Utc>,
    pub telnyx: Option<TelnyxLeg>,
    pub dial_failure: Option<DialFailure>,
    /// When the user asked to hang up; the call ends when Telnyx confirms.
    pub hangup_requested_at: Option<DateTime<Utc>>,

    // Facts from Telnyx events (joined, never overwritten by later arrivals).
    pub initiated: Option<Stamped<()>>,
    pub answered: Option<Stamped<()>>,
    pub hangup: Option<Hangup>,
    pub machine_detection: Option<Stamped<String>>,
    pub recordings: BTreeMap<String, Recording>,
    pub recording_error: Option<Stamped<String>>,
    pub dtmf_received: BTreeMap<String, Stamped<String>>,
    pub cost: Option<Stamped<Cost>>,

    // Agent-side state set through our own API, last write wins.
    pub muted: bool,
    pub on_hold: bool,
    pub speaker: bool,
    pub recording_active: bool,
    /// A recording was asked for (at dial or with record_start): until Telnyx saves it, the
    /// recording is "processing" rather than absent.
    #[serde(default)]
    pub recording_requested: bool,
    /// Holds and recording starts so far; part of each command's `command_id`, so a retried
    /// request for the same transition can never act twice at Telnyx.
    #[serde(default)]
    pub holds: u32,
    #[serde(default)]
    pub recordings_started: u32,

    // What the team wrote about the call afterwards (PATCH /api/calls/{id}).
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The user who placed it (their id): per-user dial limits count these.
    #[serde(default)]
    pub placed_by: Option<String>,
    /// The agent's leg, dialled first, in browser and phone modes; `None` for a one-leg call.
    #[serde(default)]
    pub agent: Option<AgentLeg>,
    /// What the two-leg flow already asked Telnyx for.
    #[serde(default)]
    pub legs: LegClaims,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    /// Asked for; Telnyx records (from answer).
    Recording,
    /// The call ended; Telnyx has not delivered the file yet.
    Processing,
    Available,
    Failed,
}

impl RecordingState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Processing => "processing",
            Self::Available => "available",
            Self::Failed => "failed",
        }
    }
}

/// Why a control cannot be used on a call right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRefusal {
    /// Still dialing or ringing: media controls need an answered call.
    NotActive,
    AlreadyEnded,
}

/// Which controls make sense for the call right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallControls {
    pub hangup: bool,
    pub mute: bool,
    pub unmute: bool,
    pub hold: bool,
    pub resume: bool,
    pub speaker: bool,
    pub dtmf: bool,
    pub record_start: bool,
    pub record_stop: bool,
}

/// Keeps the earliest of two competing facts, so arrival order never matters.
fn keep_earliest<T>(slot: &mut Option<T>, candidate: T, key: impl Fn(&T) -> (DateTime<Utc>, &str)) {
    let replace = match slot {
        None => true,
        Some(current) => key(&candidate) < key(current),
    };
    if replace {
        *slot = Some(candidate);
    }
}

fn stamped<T>(event: &CallEvent, value: T) -> Stamped<T> {
    Stamped {
        value,
        occurred_at: event.occurred_at,
        event_id: event.event_id.clone(),
    }
}

fn stamp_key<T>(s: &Stamped<T>) -> (DateTime<Utc>, &str) {
    (s.occurred_at, &s.event_id)
}

impl Call {
    pub fn new(
        id: CallId,
        from: PhoneNumber,
        to: PhoneNumber,
        contact_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            from,
            to,
            contact_id,
            started_at: now,
            telnyx: None,
            dial_failure: None,
            hangup_requested_at: None,
            initiated: None,
            answered: None,
            hangup: None,
            machine_detection: None,
            recordings: BTreeMap::new(),
            recording_error: None,
            dtmf_received: BTreeMap::new(),
            cost: None,
            muted: false,
            on_hold: false,
            speaker: false,
            recording_active: false,
            recording_requested: false,
            holds: 0,
            recordings_started: 0,
            notes: None,
            tags: Vec::new(),
            placed_by: None,
            agent: None,
            legs: LegClaims::default(),
        }
    }

    /// Joins one Telnyx event into the call. Idempotent and commutative: applying any
    /// permutation of a set of events, with duplicates, gives the same call.
    pub fn apply(&mut self, event: &CallEvent) {
        match &event.kind {
            CallEventKind::Initiated => {
                keep_earliest(&mut self.initiated, stamped(event, ()), stamp_key)
            }
            CallEventKind::Answered => {
                keep_earliest(&mut self.answered, stamped(event, ()), stamp_key)
            }
            CallEventKind::Hangup { .. } => {
                if let Some(h) = Hangup::of(event) {
                    keep_earliest(&mut self.hangup, h, |h| (h.occurred_at, &h.event_id))
                }
            }
            CallEventKind::MachineDetectionEnded { result } => keep_earliest(
                &mut self.machine_detection,
                stamped(event, result.clone()),
                stamp_key,
            ),
            CallEventKind::DtmfReceived { digit } => {
                self.dtmf_received
                    .insert(event.event_id.clone(), stamped(event, digit.clone()));
            }
            CallEventKind::RecordingSaved {
                recording_id,
                format,
                channels,
                started_at,
                ended_at,
            } => {
                let recording = Recording {
                    recording_id: recording_id.clone(),
                    format: format.clone(),
                    channels: channels.clone(),
                    started_at: *started_at,
                    ended_at: *ended_at,
                    saved_at: event.occurred_at,
                };
                // Re-deliveries carry the same content; keep the first report of each recording.
                let slot = self.recordings.entry(recording_id.clone());
                let current = slot.or_insert_with(|| recording.clone());
                if recording.saved_at < current.saved_at {
                    *current = recording;
                }
            }
            CallEventKind::RecordingError { reason } => keep_earliest(
                &mut self.recording_error,
                stamped(event, reason.clone()),
                stamp_key,
            ),
            CallEventKind::Cost {
                total_cost,
                currency,
                billed_duration_secs,
            } => keep_earliest(
                &mut self.cost,
                stamped(
                    event,
                    Cost {
                        total_cost: total_cost.clone(),
                        currency: currency.clone(),
                        billed_duration_secs: *billed_duration_secs,
                    },
                ),
                stamp_key,
            ),
            CallEventKind::Other { .. } => {}
        }
    }

    /// Records Telnyx's refusal of the dial command. The call is over before it began.
    pub fn fail_dial(
        &mut self,
        code: impl Into<String>,
        message: impl Into<String>,
        now: DateTime<Utc>,
    ) {
        if self.dial_failure.is_none() {
            self.dial_failure = Some(DialFailure {
                code: code.into(),
                message: message.into(),
                at: now,
            });
        }
    }

    pub fn status(&self) -> CallStatus {
        if self.hangup.is_some() || self.dial_failure.is_some() || self.ended_at_agent() {
            CallStatus::Ended
        } else if self.answered.is_some() {
            CallStatus::Active
        } else if self.initiated.is_some() {
            CallStatus::Ringing
        } else {
            CallStatus::Dialing
        }
    }

    pub fn is_ended(&self) -> bool {
        self.status() == CallStatus::Ended
    }

    pub fn outcome(&self) -> Option<Outcome> {
        if self.ended_at_agent() {
            return self.agent.as_ref().map(|a| match &a.hangup {
                _ if a.dial_failure.is_some() => Outcome::AgentFailed,
                None => Outcome::AgentFailed,
                // The agent's phone went to voicemail: the agent did not pick up.
                Some(_) if a.went_to_voicemail() => Outcome::AgentNoAnswer,
                // The agent picked up and hung up before the customer was dialled.
                Some(_) if a.answered.is_some() => Outcome::Canceled,
                Some(h) => match h.cause.as_str() {
                    "originator_cancel" => Outcome::Canceled,
                    "timeout" | "no_answer" | "user_busy" | "call_rejected" => {
                        Outcome::AgentNoAnswer
                    }
                    _ => Outcome::AgentFailed,
                },
            });
        }
        if self.dial_failure.is_some() {
            return Some(Outcome::Failed);
        }
        self.hangup
            .as_ref()
            .map(|h| Outcome::classify(&h.cause, self.answered.is_some()))
    }

    pub fn answered_by(&self) -> Option<AnsweredBy> {
        AnsweredBy::from_detection(&self.machine_detection.as_ref()?.value)
    }

    pub fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.answered.as_ref().map(|a| a.occurred_at)
    }

    /// Telnyx's `end_time` when it sent one, else when the hangup event occurred.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        if let Some(h) = &self.hangup {
            return Some(h.end_time.unwrap_or(h.occurred_at));
        }
        if let Some(f) = &self.dial_failure {
            return Some(f.at);
        }
        if self.ended_at_agent() {
            return self.agent.as_ref().and_then(AgentLeg::ended_at);
        }
        None
    }

    /// Talk time in whole seconds: from answer to end, or to `now` while the call is live.
    /// Telnyx's `start_time` is when the leg was created (ringing included), so the answer
    /// event's time is the start of talk time.
    pub fn duration_secs(&self, now: DateTime<Utc>) -> i64 {
        let Some(answered) = self.answered_at() else {
            return 0;
        };
        let end = self.ended_at().unwrap_or(now);
        (end - answered).num_seconds().max(0)
    }

    pub fn controls(&self) -> CallControls {
        let live = !self.is_ended();
        let talking = self.status() == CallStatus::Active;
        CallControls {
            hangup: live,
            mute: live && !self.muted,
            unmute: live && self.muted,
            hold: talking && !self.on_hold,
            resume: talking && self.on_hold,
            speaker: live,
            dtmf: talking,
            record_start: talking && !self.recording_active,
            record_stop: talking && self.recording_active,
        }
    }

    /// Whether a control may be used now: `Err` says why not, in the API's terms.
    pub fn check_control(&self, needs_answer: bool) -> Result<(), ControlRefusal> {
        match self.status() {
            CallStatus::Ended => Err(ControlRefusal::AlreadyEnded),
            CallStatus::Active => Ok(()),
            _ if needs_answer => Err(ControlRefusal::NotActive),
            _ => Ok(()),
        }
    }

    /// Where the call's recording stands; `None` when nothing is or will be recorded.
    pub fn recording_state(&self) -> Option<RecordingState> {
        if self.latest_recording().is_some() {
            Some(RecordingState::Available)
        } else if self.recording_error.is_some() {
            Some(RecordingState::Failed)
        } else if !self.recording_requested || self.answered.is_none() && self.is_ended() {
            // Telnyx records from answer: an unanswered call never has a recording.
            None
        } else if self.is_ended() {
            Some(RecordingState::Processing)
        } else {
            Some(RecordingState::Recording)
        }
    }

    /// The most recent recording Telnyx saved for this call, if any.
    pub fn latest_recording(&self) -> Option<&Recording> {
        self.recordings
            .values()
            .max_by(|a, b| (a.saved_at, &a.recording_id).cmp(&(b.saved_at, &b.recording_id)))
    }
}

#[cfg(test)]
mod tests;
