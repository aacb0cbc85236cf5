//! What Telnyx told us about a call leg, reduced to the facts the call model uses.
//! The wire format (envelope, signatures) lives in the Telnyx adapter; this is its meaning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One Telnyx call event. `event_id` is Telnyx's `data.id`: unique per event, repeated on
/// redelivery, so it is the de-duplication key and the tie-breaker between equal timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub kind: CallEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEventKind {
    Initiated,
    Answered,
    Hangup {
        cause: String,
        source: Option<String>,
        sip_code: Option<String>,
        start_time: Option<DateTime<Utc>>,
        end_time: Option<DateTime<Utc>>,
    },
    MachineDetectionEnded {
        result: String,
    },
    DtmfReceived {
        digit: String,
    },
    RecordingSaved {
        recording_id: String,
        format: Option<String>,
        channels: Option<String>,
        started_at: Option<DateTime<Utc>>,
        ended_at: Option<DateTime<Utc>>,
    },
    RecordingError {
        reason: String,
    },
    Cost {
        total_cost: String,
        currency: Option<String>,
        billed_duration_secs: Option<i64>,
    },
    /// Anything else (bridged, playback, speak, …): kept in the event log for the timeline, no
    /// effect on the call's state.
    Other {
        event_type: String,
    },
}

impl CallEvent {
    /// Ordering key used whenever two events compete for the same field: earliest wins, and the
    /// event id breaks ties so the choice never depends on arrival order.
    pub fn stamp(&self) -> (DateTime<Utc>, &str) {
        (self.occurred_at, &self.event_id)
    }
}
