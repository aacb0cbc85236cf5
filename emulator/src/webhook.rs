use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signer, SigningKey};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::ChaosConfig;
use crate::state::Inner;

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

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Telnyx signs `timestamp|raw body` with the account's Ed25519 key.
pub fn sign(key: &SigningKey, timestamp: i64, body: &str) -> String {
    let msg = format!("{timestamp}|{body}");
    STANDARD.encode(key.sign(msg.as_bytes()).to_bytes())
}

/// One delivery attempt as seen by the emulator.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub call_control_id: Option<String>,
    pub url: String,
    pub attempt: u32,
    /// HTTP status the receiver answered, if it answered.
    pub status: Option<u16>,
    /// Transport error or timeout, if it did not.
    pub error: Option<String>,
    pub delivered: bool,
    pub failover: bool,
    /// True for the extra copy chaos mode sends.
    pub duplicate: bool,
    pub sent_at: String,
    /// The exact signed body.
    pub body: String,
}

/// Where a call's webhooks go.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub webhook_url: Option<String>,
    pub per_event: HashMap<String, String>,
    /// `webhook_retries_policies`: event type → retry delays in ms.
    pub retries: HashMap<String, Vec<u64>>,
}

/// Runs for the life of one call: takes its events in emission order and delivers them,
/// strictly one after another unless chaos says otherwise.
pub fn spawn_worker(
    inner: Arc<Inner>,
    mut rx: mpsc::UnboundedReceiver<Event>,
    target: Target,
    chaos: Option<ChaosConfig>,
    call_seq: u64,
) {
    tokio::spawn(async move {
        let Some(chaos) = chaos else {
            while let Some(ev) = rx.recv().await {
                deliver(&inner, &target, &ev, false).await;
            }
            return;
        };
        let mut rng = match chaos.seed {
            Some(s) => StdRng::seed_from_u64(s ^ call_seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => StdRng::from_os_rng(),
        };
        // Long enough for the next event of a normal call to arrive, so a held event is
        // really overtaken; short enough that a held final event is not lost.
        let hold_max = inner
            .config
            .scaled(Duration::from_secs(10))
            .max(Duration::from_secs(1));
        let mut held: Option<Event> = None;
        loop {
            let next = if held.is_some() {
                tokio::time::timeout(hold_max, rx.recv()).await
            } else {
                Ok(rx.recv().await)
            };
            match next {
                Ok(Some(ev)) => {
                    if let Some(h) = held.take() {
                        dispatch(&inner, &target, &chaos, &mut rng, ev).await;
                        dispatch(&inner, &target, &chaos, &mut rng, h).await;
                    } else if rng.random_bool(chaos.reorder) {
                        held = Some(ev);
                    } else {
                        dispatch(&inner, &target, &chaos, &mut rng, ev).await;
                    }
                }
                Ok(None) => {
                    if let Some(h) = held.take() {
                        dispatch(&inner, &target, &chaos, &mut rng, h).await;
                    }
                    break;
                }
                Err(_) => {
                    if let Some(h) = held.take() {
                        dispatch(&inner, &target, &chaos, &mut rng, h).await;
                    }
                }
            }
        }
    });
}

async fn dispatch(
    inner: &Arc<Inner>,
    target: &Target,
    chaos: &ChaosConfig,
    rng: &mut StdRng,
    ev: Event,
) {
    // Draw every decision up front so the sequence of draws does not depend on timing.
    let delay = if chaos.max_delay_ms > 0 {
        Duration::from_millis(rng.random_range(0..=chaos.max_delay_ms))
    } else {
        Duration::ZERO
    };
    let delay = inner.config.scaled(delay);
    let dup = rng.random_bool(chaos.duplicate);
    let inner = inner.clone();
    let target = target.clone();
    let job = async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        deliver(&inner, &target, &ev, false).await;
        if dup {
            deliver(&inner, &target, &ev, true).await;
        }
    };
    if chaos.concurrent {
        tokio::spawn(job);
    } else {
        job.await;
    }
}

/// Delivers one event with retries: two attempts at the primary URL, then the failover URL
/// (if any) for the rest, `webhook_max_attempts` in all.
pub async fn deliver(inner: &Arc<Inner>, target: &Target, ev: &Event, duplicate: bool) {
    let cfg = &inner.config;
    let primary = target
        .per_event
        .get(&ev.event_type)
        .cloned()
        .or_else(|| target.webhook_url.clone())
        .or_else(|| cfg.app_webhook_url.clone());
    let failover = cfg.failover_webhook_url.clone();
    let max = cfg.webhook_max_attempts.max(1);
    let custom = target.retries.get(&ev.event_type);
    for attempt in 1..=max {
        let use_failover = attempt > 2 && failover.is_some();
        let url = if use_failover {
            failover.clone()
        } else {
            primary.clone()
        };
        let Some(url) = url else {
            inner.record_delivery(Delivery {
                event_id: ev.id.clone(),
                event_type: ev.event_type.clone(),
                call_control_id: ev.call_control_id.clone(),
                url: String::new(),
                attempt,
                status: None,
                error: Some("no webhook URL configured".into()),
                delivered: false,
                failover: false,
                duplicate,
                sent_at: rfc3339(Utc::now()),
                body: String::new(),
            });
            return;
        };
        let body = ev.body(attempt, &url);
        let ts = Utc::now().timestamp();
        let sig = sign(&inner.signing_key, ts, &body);
        let sent_at = rfc3339(Utc::now());
        let result = inner
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("user-agent", "telnyx-webhooks")
            .header("telnyx-timestamp", ts.to_string())
            .header("telnyx-signature-ed25519", sig)
            .timeout(cfg.webhook_timeout)
            .body(body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) if e.is_timeout() => (None, Some("timeout".to_string())),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        inner.record_delivery(Delivery {
            event_id: ev.id.clone(),
            event_type: ev.event_type.clone(),
            call_control_id: ev.call_control_id.clone(),
            url,
            attempt,
            status,
            error,
            delivered,
            failover: use_failover,
            duplicate,
            sent_at,
            body,
        });
        if delivered {
            return;
        }
        if attempt < max {
            let wait = custom
                .and_then(|c| c.get(attempt as usize - 1))
                .map(|ms| Duration::from_millis(*ms))
                .unwrap_or_else(|| cfg.webhook_retry_base * 2u32.pow(attempt - 1));
            tokio::time::sleep(cfg.scaled(wait)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b64: &str) -> SigningKey {
        let bytes = STANDARD.decode(b64).unwrap();
        SigningKey::from_bytes(&bytes[..32].try_into().unwrap())
    }

    /// Vectors A and B of the reference (§4.2): Telnyx SDK test keys, fixed timestamps.
    #[test]
    fn signs_like_telnyx() {
        let a = key(
            "p68GNpDl9oAQohBiK0MEOFIjxnoFnz0uGGeJqxQ5PSb7sT30NeKJBe9x41ficebctubmao9Zp3lGEOva5+4KKQ==",
        );
        assert_eq!(
            STANDARD.encode(a.verifying_key().to_bytes()),
            "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik="
        );
        assert_eq!(
            sign(
                &a,
                1700000000,
                r#"{"data":{"event_type":"message.received","id":"test-123"}}"#
            ),
            "tMXRZyBL2gkwrgKp6CTDXTO/K+DVq0ZKEFB3tSdfBwqZGC3K/Hr7TCW+jY7RdWrAiKXEckI3tsHEpdz7lS/MDA=="
        );
        let b = key("i1xxSkIuQOY9H8laaRslIoYGTJ1NwBAFdjsQwiwJH04=");
        assert_eq!(
            sign(&b, 1700000000, r#"{"event_type":"test","id":"abc123"}"#),
            "7o3u2izfEtn5PFPE0nDvo9y8RErRmfHM5wIO04wRV6VTNaq6RiLj1ehc7uMJuIMihJobi2u3HYyB1Ie61c2XCQ=="
        );
    }

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
