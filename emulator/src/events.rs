//! The port between the call state and webhook delivery: the state emits [`Event`]s into one
//! stream per call, and whatever sits behind [`EventSink`] delivers them. Neither side knows
//! the other.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::ChaosConfig;
use crate::time::rfc3339;

/// One webhook event, before it is wrapped with `meta` for a particular attempt.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
    pub call_control_id: Option<String>,
}

impl Event {
    pub fn new(event_type: &str, payload: Value) -> Event {
        let call_control_id = payload
            .get("call_control_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        Event {
            id: uuid::Uuid::new_v4().to_string(),
            event_type: event_type.to_string(),
            occurred_at: Utc::now(),
            payload,
            call_control_id,
        }
    }

    /// The JSON body of one delivery attempt.
    pub fn body(&self, attempt: u32, delivered_to: &str) -> String {
        json!({
            "data": {
                "record_type": "event",
                "event_type": self.event_type,
                "id": self.id,
                "occurred_at": rfc3339(self.occurred_at),
                "payload": self.payload,
            },
            "meta": {"attempt": attempt, "delivered_to": delivered_to},
        })
        .to_string()
    }
}

/// Where a call's webhooks go, as its dial (or transfer) asked.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub webhook_url: Option<String>,
    /// Overrides the application's failover URL (a message's `webhook_failover_url`).
    pub failover_url: Option<String>,
    pub per_event: HashMap<String, String>,
    /// `webhook_retries_policies`: event type → retry delays in ms.
    pub retries: HashMap<String, Vec<u64>>,
}

/// The events of one call, in emission order. Dropping the sender ends the stream once what
/// was sent has been delivered.
pub type CallEvents = mpsc::UnboundedSender<Event>;

/// Takes the event streams of new calls.
pub trait EventSink: Send + Sync {
    /// Opens the stream for call number `call_seq` (which also seeds its chaos).
    fn open(&self, target: Target, chaos: Option<ChaosConfig>, call_seq: u64) -> CallEvents;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_meta_and_micro_second_time() {
        let ev = Event::new("call.hangup", json!({"call_control_id": "v3:x"}));
        let v: Value = serde_json::from_str(&ev.body(2, "http://h/x")).unwrap();
        assert_eq!(
            v["meta"],
            json!({"attempt": 2, "delivered_to": "http://h/x"})
        );
        assert_eq!(v["data"]["record_type"], "event");
        assert_eq!(v["data"]["occurred_at"].as_str().unwrap().len(), 27);
        assert_eq!(ev.call_control_id.as_deref(), Some("v3:x"));
    }
}
