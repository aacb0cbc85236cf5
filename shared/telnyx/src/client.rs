//! Call Control over HTTP with `reqwest`: the production `CallControl` adapter, also used
//! against the emulator.

use crate::client_state;
use async_trait::async_trait;
use domain::TelnyxLeg;
use ports::Secret;
use ports::{CallAction, CallControl, DialCommand, TelnyxError};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Attempts per command. Safe to repeat: every request carries a `command_id`.
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct TelnyxHttp {
    http: reqwest::Client,
    base: reqwest::Url,
    api_key: Secret,
    connection_id: String,
    webhook_url: Option<String>,
    retry_backoff: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("TELNYX_API_BASE is not a URL: {0}")]
pub struct BadBaseUrl(String);

impl TelnyxHttp {
    pub fn new(
        api_base: &str,
        api_key: Secret,
        connection_id: impl Into<String>,
        webhook_url: Option<String>,
    ) -> Result<Self, BadBaseUrl> {
        let base = reqwest::Url::parse(&format!("{}/", api_base.trim_end_matches('/')))
            .map_err(|e| BadBaseUrl(e.to_string()))?;
        let http = reqwest::Client::builder()
            // Telnyx answers commands in tens of milliseconds; a slow answer is retried with the
            // same command_id rather than left to eat the caller's API Gateway budget.
            .timeout(Duration::from_secs(4))
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(50))
            .build()
            .map_err(|e| BadBaseUrl(e.to_string()))?;
        Ok(Self {
            http,
            base,
            api_key,
            connection_id: connection_id.into(),
            webhook_url,
            retry_backoff: Duration::from_millis(150),
        })
    }

    /// The Call Control application calls are placed on.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    pub(crate) fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base.clone();
        {
            // Path segments are percent-encoded one by one: call control ids contain ':' and may
            // contain '/'-unsafe characters.
            let mut path = url
                .path_segments_mut()
                .expect("an http(s) base URL can have path segments");
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        url
    }

    pub(crate) async fn post(&self, url: reqwest::Url, body: &Value) -> Result<Value, TelnyxError> {
        self.send(reqwest::Method::POST, url, Some(body)).await
    }

    pub(crate) async fn get(&self, url: reqwest::Url) -> Result<Value, TelnyxError> {
        self.send(reqwest::Method::GET, url, None).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<&Value>,
    ) -> Result<Value, TelnyxError> {
        let bytes = self.send_raw(method, url, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| TelnyxError::Unavailable(format!("unreadable Telnyx answer: {e}")))
    }

    /// The answer's body as sent (the token endpoint answers `text/plain`).
    async fn send_raw(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<&Value>,
    ) -> Result<bytes::Bytes, TelnyxError> {
        let mut last_error = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(self.retry_backoff * 3u32.pow(attempt - 1)).await;
            }
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(self.api_key.expose());
            if let Some(body) = body {
                request = request.json(body);
            }
            let sent = request.send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    last_error = without_url(e).to_string();
                    continue;
                }
            };
            let status = response.status();
            if status.is_server_error() {
                last_error = format!("HTTP {status}");
                continue;
            }
            if status.as_u16() == 429 {
                let retry_after = ["retry-after", "x-ratelimit-reset"].iter().find_map(|h| {
                    response
                        .headers()
                        .get(*h)?
                        .to_str()
                        .ok()?
                        .trim()
                        .parse::<u64>()
                        .ok()
                });
                return Err(TelnyxError::RateLimited {
                    retry_after_secs: retry_after,
                });
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| TelnyxError::Unavailable(without_url(e).to_string()))?;
            if status.is_success() {
                return Ok(bytes);
            }
            return Err(rejection(status.as_u16(), &bytes));
        }
        Err(TelnyxError::Unavailable(last_error))
    }
}

/// reqwest errors print the URL; ours can carry ids we would rather not spread through logs.
fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

fn rejection(status: u16, body: &[u8]) -> TelnyxError {
    let first = serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors.into_iter().next());
    match first {
        Some(item) => TelnyxError::Rejected {
            status,
            code: match item.code {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            },
            title: item.title.unwrap_or_else(|| format!("HTTP {status}")),
            detail: item.detail,
        },
        None => TelnyxError::Rejected {
            status,
            code: String::new(),
            title: format!("HTTP {status}"),
            detail: None,
        },
    }
}

#[derive(Deserialize)]
struct DialAnswer {
    data: DialData,
}

#[derive(Deserialize)]
struct DialData {
    call_control_id: String,
    call_leg_id: String,
    call_session_id: String,
}

#[async_trait]
impl CallControl for TelnyxHttp {
    async fn dial(&self, command: &DialCommand) -> Result<TelnyxLeg, TelnyxError> {
        let mut body = json!({
            "connection_id": self.connection_id,
            "to": command.to,
            "from": command.from.as_str(),
            "client_state": client_state::encode_leg(command.call_id, command.leg),
            "command_id": command.command_id,
            "timeout_secs": command.timeout_secs,
            "time_limit_secs": command.time_limit_secs,
        });
        if command.record {
            body["record"] = json!("record-from-answer");
            body["record_format"] = json!(command.record_format.as_str());
            body["record_channels"] = json!(command.record_channels.as_str());
        }
        if let Some(link) = &command.link_to {
            body["link_to"] = json!(link);
            body["bridge_on_answer"] = json!(command.bridge_on_answer);
        }
        if let Some(url) = &self.webhook_url {
            body["webhook_url"] = json!(url);
        }
        let answer = self.post(self.url(&["calls"]), &body).await?;
        let answer: DialAnswer = serde_json::from_value(answer)
            .map_err(|e| TelnyxError::Unavailable(format!("unexpected dial answer: {e}")))?;
        Ok(TelnyxLeg {
            call_control_id: answer.data.call_control_id,
            call_leg_id: answer.data.call_leg_id,
            call_session_id: answer.data.call_session_id,
        })
    }

    async fn act(
        &self,
        call_control_id: &str,
        action: &CallAction,
        command_id: &str,
    ) -> Result<(), TelnyxError> {
        let mut body = json!({ "command_id": command_id });
        match action {
            CallAction::Hangup | CallAction::PlaybackStop | CallAction::RecordStop => {}
            CallAction::SendDtmf { digits } => body["digits"] = json!(digits),
            CallAction::PlaybackStart { audio_url } => {
                body["audio_url"] = json!(audio_url);
                // Telnyx's own contact-center demo loops hold music with "infinity".
                body["loop"] = json!("infinity");
                body["target_legs"] = json!("self");
            }
            CallAction::RecordStart { format, channels } => {
                body["format"] = json!(format);
                body["channels"] = json!(channels);
            }
        }
        let url = self.url(&["calls", call_control_id, "actions", action.name()]);
        self.post(url, &body).await.map(|_| ())
    }

    async fn recording_link(
        &self,
        recording_id: &str,
        format: Option<&str>,
    ) -> Result<String, TelnyxError> {
        let answer = self
            .send(
                reqwest::Method::GET,
                self.url(&["recordings", recording_id]),
                None,
            )
            .await?;
        let urls = &answer["data"]["download_urls"];
        format
            .and_then(|f| urls[f].as_str())
            .or_else(|| urls["mp3"].as_str())
            .or_else(|| urls["wav"].as_str())
            .map(str::to_string)
            .ok_or_else(|| TelnyxError::Unavailable("Telnyx gave no download link".into()))
    }
}

impl TelnyxHttp {
    /// Creates a credential connection (done once per deployment: agents' softphone credentials
    /// live on it) and answers its id. docs/deploy.md shows the same request with curl.
    pub async fn create_credential_connection(
        &self,
        connection_name: &str,
        user_name: &str,
        password: &ports::Secret,
    ) -> Result<String, TelnyxError> {
        let body = json!({
            "connection_name": connection_name,
            "user_name": user_name,
            "password": password.expose(),
        });
        let answer = self
            .post(self.url(&["credential_connections"]), &body)
            .await?;
        answer["data"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| TelnyxError::Unavailable("Telnyx gave no connection id".into()))
    }
}

#[derive(Deserialize)]
struct CredentialAnswer {
    data: CredentialData,
}

#[derive(Deserialize)]
struct CredentialData {
    id: String,
    sip_username: String,
}

#[async_trait]
impl ports::WebRtcAccounts for TelnyxHttp {
    async fn create_credential(
        &self,
        connection_id: &str,
        name: &str,
    ) -> Result<domain::user::WebRtcCredential, TelnyxError> {
        let body = json!({ "connection_id": connection_id, "name": name, "tag": "dialer-agent" });
        let answer = self
            .post(self.url(&["telephony_credentials"]), &body)
            .await?;
        let answer: CredentialAnswer = serde_json::from_value(answer)
            .map_err(|e| TelnyxError::Unavailable(format!("unexpected credential answer: {e}")))?;
        Ok(domain::user::WebRtcCredential {
            credential_id: answer.data.id,
            sip_username: answer.data.sip_username,
        })
    }

    async fn credential_token(&self, credential_id: &str) -> Result<ports::Secret, TelnyxError> {
        let url = self.url(&["telephony_credentials", credential_id, "token"]);
        let bytes = self.send_raw(reqwest::Method::POST, url, None).await?;
        let token = String::from_utf8(bytes.to_vec())
            .map_err(|_| TelnyxError::Unavailable("the token is not text".into()))?;
        let token = token.trim();
        if token.is_empty() {
            return Err(TelnyxError::Unavailable(
                "Telnyx answered an empty token".into(),
            ));
        }
        Ok(ports::Secret::new(token))
    }

    async fn delete_credential(&self, credential_id: &str) -> Result<(), TelnyxError> {
        let url = self.url(&["telephony_credentials", credential_id]);
        match self.send_raw(reqwest::Method::DELETE, url, None).await {
            Ok(_) => Ok(()),
            // Already gone: what deleting wanted.
            Err(TelnyxError::Rejected { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_control_ids_are_percent_encoded_as_one_segment() {
        let client =
            TelnyxHttp::new("http://127.0.0.1:9/v2/", Secret::new("KEY"), "conn", None).unwrap();
        let url = client.url(&["calls", "v3:ab/c?d=e#f", "actions", "hangup"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v2/calls/v3:ab%2Fc%3Fd=e%23f/actions/hangup"
        );
    }

    #[test]
    fn error_envelopes_become_rejections() {
        let body = br#"{"errors":[{"code":"90018","title":"Call has already ended","detail":"no longer active"}]}"#;
        let err = rejection(422, body);
        assert!(err.is_call_already_ended());
        assert_eq!(
            rejection(400, b"<html>"),
            TelnyxError::Rejected {
                status: 400,
                code: String::new(),
                title: "HTTP 400".into(),
                detail: None
            }
        );
    }
}
