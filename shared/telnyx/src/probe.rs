//! "Test webhook": ask the provider to send a signed test event to our webhook URL and read back
//! what our endpoint answered. The emulator implements this (`POST /emulator/webhooks/test`,
//! deliveries at `GET /emulator/deliveries`). Telnyx has no API that sends a test Call Control
//! event, so against Telnyx the probe reports "unsupported" and the app tells the user to place
//! a test call instead.

use async_trait::async_trait;
use ports::{TelnyxError, WebhookDelivery, WebhookProbe};
use serde_json::{Value, json};
use std::time::Duration;

pub struct EmulatorProbe {
    http: reqwest::Client,
    /// The emulator's root URL (without `/v2`).
    root: String,
}

impl EmulatorProbe {
    pub fn new(root: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            root: root.trim_end_matches('/').to_string(),
        }
    }
}

fn unavailable(e: reqwest::Error) -> TelnyxError {
    TelnyxError::Unavailable(e.without_url().to_string())
}

#[async_trait]
impl WebhookProbe for EmulatorProbe {
    async fn send_test_event(&self, url: &str) -> Result<Option<String>, TelnyxError> {
        let answer: Value = self
            .http
            .post(format!("{}/emulator/webhooks/test", self.root))
            .json(&json!({ "url": url }))
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        Ok(answer["event_id"].as_str().map(str::to_string))
    }

    async fn deliveries(&self, event_id: &str) -> Result<Vec<WebhookDelivery>, TelnyxError> {
        let all: Vec<Value> = self
            .http
            .get(format!("{}/emulator/deliveries", self.root))
            .query(&[("event_type", "webhook.test")])
            .send()
            .await
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        Ok(all
            .iter()
            .filter(|d| d["event_id"] == event_id)
            .map(|d| WebhookDelivery {
                url: d["url"].as_str().unwrap_or_default().to_string(),
                status: d["status"].as_u64().map(|s| s as u16),
                error: d["error"].as_str().map(str::to_string),
            })
            .collect())
    }
}

/// Telnyx itself: no test events.
pub struct NoProbe;

#[async_trait]
impl WebhookProbe for NoProbe {
    async fn send_test_event(&self, _url: &str) -> Result<Option<String>, TelnyxError> {
        Ok(None)
    }

    async fn deliveries(&self, _event_id: &str) -> Result<Vec<WebhookDelivery>, TelnyxError> {
        Ok(Vec::new())
    }
}
