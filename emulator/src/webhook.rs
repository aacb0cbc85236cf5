//! Webhook delivery with Telnyx's semantics: signed, retried, failed over, and under chaos
//! duplicated, reordered, delayed and concurrent. Consumes the event streams the call state
//! opens through [`EventSink`]; it never looks at the calls themselves.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use ed25519_dalek::{Signer, SigningKey};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::config::{ChaosConfig, EmulatorConfig};
use crate::events::{CallEvents, Event, EventSink, Target};
use crate::time::rfc3339;

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

/// The webhook sender of one emulator, with the log of every attempt it made.
#[derive(Clone)]
pub struct Webhooks {
    config: Arc<EmulatorConfig>,
    key: SigningKey,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl EventSink for Webhooks {
    fn open(&self, target: Target, chaos: Option<ChaosConfig>, call_seq: u64) -> CallEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = self.clone();
        tokio::spawn(async move {
            match chaos {
                None => worker.in_order(rx, &target).await,
                Some(chaos) => worker.chaotic(rx, &target, &chaos, call_seq).await,
            }
        });
        tx
    }
}

impl Webhooks {
    pub fn new(config: &EmulatorConfig) -> Webhooks {
        Webhooks {
            config: Arc::new(config.clone()),
            key: SigningKey::from_bytes(&config.signing_seed),
            http: reqwest::Client::builder()
                .build()
                .expect("reqwest client builds"),
            log: Arc::default(),
        }
    }

    fn log(&self) -> MutexGuard<'_, Vec<Delivery>> {
        // A panic while holding the lock must not stop every later delivery.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every attempt so far, in the order they completed.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log().clone()
    }

    pub fn forget_deliveries(&self) {
        self.log().clear();
    }

    /// Delivers one event outside any call (`webhook.test`), in the background.
    pub fn send_detached(&self, target: Target, ev: Event) {
        let this = self.clone();
        tokio::spawn(async move { this.deliver(&target, &ev, false).await });
    }

    /// Strictly one event after another, as emitted.
    async fn in_order(&self, mut rx: mpsc::UnboundedReceiver<Event>, target: &Target) {
        while let Some(ev) = rx.recv().await {
            self.deliver(target, &ev, false).await;
        }
    }

    async fn chaotic(
        &self,
        mut rx: mpsc::UnboundedReceiver<Event>,
        target: &Target,
        chaos: &ChaosConfig,
        call_seq: u64,
    ) {
        let mut rng = match chaos.seed {
            Some(s) => StdRng::seed_from_u64(s ^ call_seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => StdRng::from_os_rng(),
        };
        // Long enough for the next event of a normal call to arrive, so a held event is
        // really overtaken; short enough that a held final event is not lost.
        let hold_max = self
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
                Ok(Some(ev)) => match held.take() {
                    Some(h) => {
                        self.dispatch(target, chaos, &mut rng, ev).await;
                        self.dispatch(target, chaos, &mut rng, h).await;
                    }
                    None if rng.random_bool(chaos.reorder) => held = Some(ev),
                    None => self.dispatch(target, chaos, &mut rng, ev).await,
                },
                Ok(None) | Err(_) => {
                    if let Some(h) = held.take() {
                        self.dispatch(target, chaos, &mut rng, h).await;
                    }
                    if next.is_ok() {
                        break;
                    }
                }
            }
        }
    }

    async fn dispatch(&self, target: &Target, chaos: &ChaosConfig, rng: &mut StdRng, ev: Event) {
        // Draw every decision up front so the sequence of draws does not depend on timing.
        let delay = if chaos.max_delay_ms > 0 {
            Duration::from_millis(rng.random_range(0..=chaos.max_delay_ms))
        } else {
            Duration::ZERO
        };
        let delay = self.config.scaled(delay);
        let dup = rng.random_bool(chaos.duplicate);
        let this = self.clone();
        let target = target.clone();
        let job = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            this.deliver(&target, &ev, false).await;
            if dup {
                this.deliver(&target, &ev, true).await;
            }
        };
        if chaos.concurrent {
            tokio::spawn(job);
        } else {
            job.await;
        }
    }

    /// Delivers one event with retries: two attempts at the primary URL, then the failover
    /// URL (if any) for the rest, `webhook_max_attempts` in all.
    async fn deliver(&self, target: &Target, ev: &Event, duplicate: bool) {
        let cfg = &self.config;
        let primary = target
            .per_event
            .get(&ev.event_type)
            .or(target.webhook_url.as_ref())
            .or(cfg.app_webhook_url.as_ref());
        let failover = target
            .failover_url
            .as_ref()
            .or(cfg.failover_webhook_url.as_ref());
        let max = cfg.webhook_max_attempts.max(1);
        for attempt in 1..=max {
            let use_failover = attempt > 2 && failover.is_some();
            let url = if use_failover { failover } else { primary };
            let mut d = Delivery {
                event_id: ev.id.clone(),
                event_type: ev.event_type.clone(),
                call_control_id: ev.call_control_id.clone(),
                url: String::new(),
                attempt,
                status: None,
                error: None,
                delivered: false,
                failover: use_failover,
                duplicate,
                sent_at: rfc3339(Utc::now()),
                body: String::new(),
            };
            let Some(url) = url else {
                d.error = Some("no webhook URL configured".into());
                d.failover = false;
                self.log().push(d);
                return;
            };
            self.attempt(url, ev, &mut d).await;
            let delivered = d.delivered;
            self.log().push(d);
            if delivered {
                return;
            }
            if attempt < max {
                tokio::time::sleep(cfg.scaled(self.backoff(target, ev, attempt))).await;
            }
        }
    }

    /// One signed POST; fills in what the receiver answered.
    async fn attempt(&self, url: &str, ev: &Event, d: &mut Delivery) {
        let body = ev.body(d.attempt, url);
        let ts = Utc::now().timestamp();
        let sig = sign(&self.key, ts, &body);
        d.sent_at = rfc3339(Utc::now());
        let result = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "telnyx-webhooks")
            .header("telnyx-timestamp", ts.to_string())
            .header("telnyx-signature-ed25519", sig)
            .timeout(self.config.webhook_timeout)
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(r) => d.status = Some(r.status().as_u16()),
            Err(e) if e.is_timeout() => d.error = Some("timeout".to_string()),
            Err(e) => d.error = Some(e.to_string()),
        }
        d.delivered = d.status.is_some_and(|s| (200..300).contains(&s));
        d.url = url.to_string();
        d.body = body;
    }

    /// The dial's `webhook_retries_policies` for this event, else exponential from the base.
    fn backoff(&self, target: &Target, ev: &Event, attempt: u32) -> Duration {
        target
            .retries
            .get(&ev.event_type)
            .and_then(|c| c.get(attempt as usize - 1))
            .map(|ms| Duration::from_millis(*ms))
            .unwrap_or_else(|| self.config.webhook_retry_base * 2u32.pow(attempt - 1))
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
}
