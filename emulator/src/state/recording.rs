//! Call recordings: started by a dial (`record-from-answer`) or `record_start`, paused and
//! resumed, saved at `record_stop` or hangup, and served from pre-signed expiring links.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ed25519_dalek::Signer;
use serde_json::{Value, json};

use super::Core;
use crate::time::rfc3339;

#[derive(Clone, Debug)]
pub struct RecordSpec {
    pub recording_id: String,
    pub format: String,
    pub channels: String,
    pub initiated_by: &'static str,
}

#[derive(Clone, Debug)]
pub struct ActiveRecording {
    pub spec: RecordSpec,
    pub started_at: DateTime<Utc>,
    pub started: Instant,
    pub paused_since: Option<Instant>,
    pub paused_total: Duration,
}

#[derive(Clone, Debug)]
pub struct Recording {
    pub id: String,
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub connection_id: String,
    pub from: String,
    pub to: String,
    pub format: String,
    pub channels: String,
    pub duration_ms: u64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub initiated_by: &'static str,
}

impl ActiveRecording {
    pub fn start(spec: RecordSpec) -> ActiveRecording {
        ActiveRecording {
            spec,
            started_at: Utc::now(),
            started: Instant::now(),
            paused_since: None,
            paused_total: Duration::ZERO,
        }
    }

    /// Pauses (`true`) or resumes; a repeat changes nothing.
    pub fn pause(&mut self, pause: bool) {
        match (pause, self.paused_since) {
            (true, None) => self.paused_since = Some(Instant::now()),
            (false, Some(p)) => {
                self.paused_total += p.elapsed();
                self.paused_since = None;
            }
            _ => {}
        }
    }

    /// Time recorded so far, without the pauses.
    pub fn recorded(&self) -> Duration {
        let now = Instant::now();
        let paused_now = self.paused_since.map(|p| now - p).unwrap_or_default();
        (now - self.started).saturating_sub(self.paused_total + paused_now)
    }
}

impl Core {
    /// The payload of `call.recording.saved` for `rec`, with a fresh download link.
    pub fn recording_saved(&self, rec: &Recording) -> Value {
        let url = self.recording_url(&rec.id, &rec.format);
        json!({
            "recording_id": rec.id,
            "format": rec.format,
            "channels": rec.channels,
            "recording_started_at": rfc3339(rec.started_at),
            "recording_ended_at": rfc3339(rec.ended_at),
            "start_time": rfc3339(rec.started_at),
            "end_time": rfc3339(rec.ended_at),
            "duration_millis": rec.duration_ms,
            "recording_urls": {rec.format.clone(): url},
            "public_recording_urls": {},
        })
    }

    /// A pre-signed, expiring download link on this server, shaped like Telnyx's S3 links.
    pub fn recording_url(&self, id: &str, format: &str) -> String {
        let ttl = self.config.recording_url_ttl;
        let now = Utc::now();
        let expires_ms = now.timestamp_millis() + ttl.as_millis() as i64;
        let file = format!("{id}.{format}");
        let sig = self.sign_hex(&format!("{file}|{expires_ms}"));
        format!(
            "{}/storage/recordings/{file}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=EMULATOR%2F{}%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders=host\
             &X-Emulator-Expires-At={expires_ms}&X-Amz-Signature={sig}",
            self.public_base,
            now.format("%Y%m%d"),
            now.format("%Y%m%dT%H%M%SZ"),
            ttl.as_secs_f64().ceil() as u64,
        )
    }

    /// The link signature: Ed25519 over `file|expiry`, hex.
    pub fn sign_hex(&self, msg: &str) -> String {
        self.signing_key
            .sign(msg.as_bytes())
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
