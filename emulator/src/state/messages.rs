//! Messages on the switch: every message sent or received (as Telnyx's message record), the
//! profile's block rules (opt-outs), and the delivery of each outbound message as its
//! destination's [`Outcome`] decides, through the same [`EventSink`] port as calls.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::Core;
use crate::events::{CallEvents, Event, Target};
use crate::messaging::{
    self, CarrierError, DEFAULT_PROFILE_ID, Keyword, Outcome, SENT_AFTER_MS, Segments,
};
use crate::time::rfc3339;

/// What the switch keeps of messaging.
#[derive(Default)]
pub struct Messaging {
    /// Message records, oldest first.
    pub records: Vec<Value>,
    /// Block rules: (messaging profile id, blocked number). Telnyx keeps them per profile.
    pub blocks: HashSet<(String, String)>,
    pub seq: u64,
}

/// A send that passed validation.
pub struct Outbound {
    pub from: String,
    pub to: String,
    pub text: Option<String>,
    pub media_urls: Vec<String>,
    pub mms: bool,
    pub segments: Segments,
    /// Where its webhooks go; `None`: nowhere (no URL on the message, profile's not used).
    pub target: Option<Target>,
    pub use_profile_webhooks: bool,
}

/// Why the switch refuses a valid send.
#[derive(Debug, PartialEq, Eq)]
pub enum SendRefusal {
    /// The destination sent STOP to this profile (or is the table's opted-out number).
    OptedOut,
}

/// An inbound text from the test control.
pub struct Inbound {
    pub from: String,
    pub to: String,
    pub text: String,
    pub media_urls: Vec<String>,
}

fn party(number: &str, status: Option<&str>) -> Value {
    let (carrier, line_type) = messaging::carrier_of(number);
    let mut v = json!({"phone_number": number, "carrier": carrier, "line_type": line_type});
    if let Some(s) = status {
        v["status"] = json!(s);
    }
    v
}

/// Telnyx's number, as seen in `from` of an outbound message or `to` of an inbound one.
fn ours(number: &str, status: Option<&str>) -> Value {
    let mut v = json!({"phone_number": number, "carrier": "TELNYX LLC", "line_type": "VoIP"});
    if let Some(s) = status {
        v["status"] = json!(s);
    }
    v
}

fn media(urls: &[String]) -> Value {
    urls.iter()
        .map(|u| json!({"url": u, "content_type": null, "sha256": null, "size": null}))
        .collect()
}

/// The fields every message record has, outbound or inbound.
fn record(direction: &str, mms: bool, text: Option<&str>, seg: Segments) -> Value {
    let now = Utc::now();
    let parts = seg.parts.max(1);
    json!({
        "record_type": "message",
        "id": uuid::Uuid::new_v4().to_string(),
        "direction": direction,
        "type": if mms { "MMS" } else { "SMS" },
        "messaging_profile_id": DEFAULT_PROFILE_ID,
        "organization_id": "emulator-organization",
        "cc": [],
        "text": text.unwrap_or_default(),
        "subject": null,
        "encoding": seg.encoding.as_str(),
        "parts": parts,
        "tags": [],
        // Emulator price: $0.004 a part (Telnyx's US long-code list price is of that order).
        "cost": {"amount": format!("{:.4}", 0.004 * parts as f64), "currency": "USD"},
        "received_at": rfc3339(now),
        "sent_at": null,
        "completed_at": null,
        "valid_until": rfc3339(now + chrono::Duration::hours(4)),
        "errors": [],
        "autoresponse_type": null,
        "tcr_campaign_id": null,
        "tcr_campaign_billable": false,
        "tcr_campaign_registered": null,
    })
}

impl Messaging {
    fn blocked(&self, number: &str) -> bool {
        self.blocks
            .contains(&(DEFAULT_PROFILE_ID.to_string(), number.to_string()))
    }

    fn update(&mut self, id: &str, f: impl FnOnce(&mut Value)) -> Option<Value> {
        let r = self.records.iter_mut().find(|r| r["id"] == id)?;
        f(r);
        Some(r.clone())
    }

    pub fn get(&self, id: &str) -> Option<Value> {
        self.records.iter().find(|r| r["id"] == id).cloned()
    }
}

impl Core {
    /// Accepts a validated send (its record, `to[0].status: queued`) and plays its outcome
    /// out as webhooks; or refuses it when the destination has opted out.
    pub fn send_message(self: &Arc<Self>, m: Outbound) -> Result<Value, SendRefusal> {
        let outcome = messaging::outcome_for(&m.to);
        let mut st = self.lock();
        if outcome == Outcome::OptedOut || st.messaging.blocked(&m.to) {
            return Err(SendRefusal::OptedOut);
        }
        let mut r = record("outbound", m.mms, m.text.as_deref(), m.segments);
        r["from"] = ours(&m.from, None);
        r["to"] = json!([party(&m.to, Some("queued"))]);
        r["media"] = media(&m.media_urls);
        let hooks = m.target.clone().unwrap_or_default();
        r["webhook_url"] = json!(hooks.webhook_url);
        r["webhook_failover_url"] = json!(hooks.failover_url);
        r["use_profile_webhooks"] = json!(m.use_profile_webhooks);
        st.messaging.records.push(r.clone());
        st.messaging.seq += 1;
        let (seq, chaos) = (st.messaging.seq, st.chaos.clone());
        drop(st);
        let events = m.target.map(|t| self.events.open(t, chaos, seq));
        let core = self.clone();
        let id = r["id"].as_str().unwrap_or_default().to_string();
        tokio::spawn(async move { core.play_outcome(&id, outcome, events).await });
        Ok(r)
    }

    async fn play_outcome(self: Arc<Self>, id: &str, outcome: Outcome, events: Option<CallEvents>) {
        let emit = |event_type: &str, payload: Value| {
            if let Some(tx) = &events {
                let _ = tx.send(Event::new(event_type, payload));
            }
        };
        tokio::time::sleep(self.scaled(Duration::from_millis(SENT_AFTER_MS))).await;
        let (finalize_ms, status, error) = match outcome {
            Outcome::Delivered { finalize_ms } => (finalize_ms, "delivered", None),
            Outcome::DeliveryFailed(e) => (messaging::FINALIZE_MS, "delivery_failed", Some(e)),
            Outcome::SendingFailed(e) => (0, "sending_failed", Some(e)),
            Outcome::OptedOut => return,
        };
        if error.is_none() || status == "delivery_failed" {
            let sent = self.set_status(id, "sent", None);
            if let Some(p) = sent {
                emit("message.sent", p);
            }
            let wait = finalize_ms.saturating_sub(SENT_AFTER_MS);
            tokio::time::sleep(self.scaled(Duration::from_millis(wait))).await;
        }
        if let Some(p) = self.set_status(id, status, error) {
            emit("message.finalized", p);
        }
    }

    /// Moves a message's recipient to `status` and stamps the times Telnyx stamps.
    fn set_status(&self, id: &str, status: &str, error: Option<CarrierError>) -> Option<Value> {
        let now = rfc3339(Utc::now());
        self.lock().messaging.update(id, |r| {
            r["to"][0]["status"] = json!(status);
            if status == "sent" {
                r["sent_at"] = json!(now);
                return;
            }
            r["completed_at"] = json!(now);
            if let Some(e) = error {
                r["errors"] = json!([{"code": e.code, "title": e.title, "detail": e.detail}]);
            }
        })
    }

    /// A text arrives at one of our numbers: keywords change the profile's block rules and
    /// get Telnyx's auto-reply; `message.received` goes to the profile's webhook URLs.
    pub fn receive_message(self: &Arc<Self>, m: Inbound, target: Target) -> Value {
        let kw = messaging::keyword(&m.text);
        let mut r = record(
            "inbound",
            !m.media_urls.is_empty(),
            Some(&m.text),
            messaging::segments(&m.text),
        );
        r["from"] = party(&m.from, None);
        r["to"] = json!([ours(&m.to, Some("webhook_delivered"))]);
        r["media"] = media(&m.media_urls);
        r["autoresponse_type"] = json!(kw.map(Keyword::as_str));
        r["webhook_url"] = json!(target.webhook_url);
        r["webhook_failover_url"] = json!(target.failover_url);
        let mut st = self.lock();
        let rule = (DEFAULT_PROFILE_ID.to_string(), m.from.clone());
        match kw {
            Some(Keyword::Stop) => {
                st.messaging.blocks.insert(rule);
            }
            Some(Keyword::Start) => {
                st.messaging.blocks.remove(&rule);
            }
            _ => {}
        }
        st.messaging.records.push(r.clone());
        if let Some(k) = kw {
            st.messaging.records.push(auto_reply(&m, k));
        }
        st.messaging.seq += 1;
        let (seq, chaos) = (st.messaging.seq, st.chaos.clone());
        drop(st);
        let events = self.events.open(target, chaos, seq);
        let _ = events.send(Event::new("message.received", r.clone()));
        r
    }
}

/// Telnyx's own reply to a keyword: recorded, but it raises no webhooks of ours
/// *(emulator choice)*.
fn auto_reply(m: &Inbound, k: Keyword) -> Value {
    let text = k.auto_reply();
    let mut r = record("outbound", false, Some(text), messaging::segments(text));
    r["from"] = ours(&m.to, None);
    r["to"] = json!([party(&m.from, Some("delivered"))]);
    r["media"] = json!([]);
    r["autoresponse_type"] = json!(k.as_str());
    r["auto_response"] = json!(true);
    r
}
