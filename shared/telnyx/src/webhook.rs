//! Telnyx webhooks: Ed25519 verification over `timestamp|raw body` and lenient parsing of the
//! v2 envelope into domain events.

use crate::client_state;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use domain::{CallEvent, CallEventKind, CallId};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Deserialize;
use serde_json::Value;

/// Telnyx's SDKs refuse timestamps further than this from now, in either direction.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("TELNYX_PUBLIC_KEY is missing or is not a base64 Ed25519 public key")]
    KeyNotConfigured,
    #[error("missing telnyx-timestamp header")]
    MissingTimestamp,
    #[error("missing telnyx-signature-ed25519 header")]
    MissingSignature,
    #[error("telnyx-timestamp is not a Unix time")]
    BadTimestamp,
    #[error("telnyx-timestamp is outside the 300 s window")]
    StaleTimestamp,
    #[error("signature is not base64 of 64 bytes")]
    BadSignatureEncoding,
    #[error("signature does not match")]
    Mismatch,
}

impl SignatureError {
    /// A fixed phrase for logs and answers (never echoes attacker input).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::KeyNotConfigured => "public key not configured",
            Self::MissingTimestamp => "missing timestamp",
            Self::MissingSignature => "missing signature",
            Self::BadTimestamp => "bad timestamp",
            Self::StaleTimestamp => "timestamp outside window",
            Self::BadSignatureEncoding => "bad signature encoding",
            Self::Mismatch => "signature mismatch",
        }
    }
}

/// Verifies webhook signatures with the account's public key, parsed once at start-up.
#[derive(Clone)]
pub struct WebhookVerifier {
    key: Option<VerifyingKey>,
}

impl WebhookVerifier {
    /// A key that is missing or malformed still builds a verifier: one that refuses everything,
    /// so a misconfiguration shows up as 401s (and a start-up error log), never as accepted
    /// unsigned events.
    pub fn from_base64(public_key: &str) -> Self {
        let key = STANDARD
            .decode(public_key.trim())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok());
        if key.is_none() {
            tracing::error!(
                "TELNYX_PUBLIC_KEY is missing or invalid: every webhook will be refused"
            );
        }
        Self { key }
    }

    pub fn is_configured(&self) -> bool {
        self.key.is_some()
    }

    /// Checks the headers and the exact body bytes. Returns the verified timestamp.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<i64, SignatureError> {
        let key = self.key.as_ref().ok_or(SignatureError::KeyNotConfigured)?;
        let timestamp = timestamp.ok_or(SignatureError::MissingTimestamp)?.trim();
        let signature = signature.ok_or(SignatureError::MissingSignature)?.trim();
        let ts: i64 = timestamp
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        // A hostile timestamp may be any i64: measure the distance without overflowing.
        if now.timestamp().abs_diff(ts) > TIMESTAMP_TOLERANCE_SECS.unsigned_abs() {
            return Err(SignatureError::StaleTimestamp);
        }
        let sig_bytes: [u8; 64] = STANDARD
            .decode(signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(SignatureError::BadSignatureEncoding)?;
        let signature = Signature::from_bytes(&sig_bytes);
        let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.push(b'|');
        message.extend_from_slice(body);
        key.verify_strict(&message, &signature)
            .map_err(|_| SignatureError::Mismatch)?;
        Ok(ts)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventParseError {
    #[error("not a Telnyx v2 webhook envelope: {0}")]
    Envelope(String),
}

/// A webhook reduced to what the processor needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub attempt: u32,
    pub call_control_id: Option<String>,
    /// Our call id from `client_state`, when the event is for one of our calls.
    pub call_id: Option<CallId>,
    /// Which leg of the call, from `client_state` (the customer's when it does not say).
    pub leg: domain::Leg,
    /// `None` for events that are not about a call leg (number orders, …).
    pub event: Option<CallEvent>,
}

#[derive(Deserialize)]
struct Envelope {
    data: EnvelopeData,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct EnvelopeData {
    event_type: String,
    id: String,
    occurred_at: DateTime<Utc>,
    #[serde(default)]
    payload: Value,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    attempt: Option<u32>,
}

fn text(payload: &Value, field: &str) -> Option<String> {
    match payload.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time(payload: &Value, field: &str) -> Option<DateTime<Utc>> {
    payload.get(field)?.as_str()?.parse::<DateTime<Utc>>().ok()
}

/// Parses leniently: unknown fields are ignored, most fields optional, `client_state` may be
/// null. Only a body that is not an event envelope at all is an error.
pub fn parse_event(body: &str) -> Result<ParsedEvent, EventParseError> {
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| EventParseError::Envelope(e.to_string()))?;
    let data = envelope.data;
    if data.id.trim().is_empty() {
        return Err(EventParseError::Envelope("data.id is empty".into()));
    }
    let p = &data.payload;
    let call_control_id = text(p, "call_control_id");
    let state = text(p, "client_state").and_then(|s| client_state::decode_leg(&s));
    let (call_id, leg) = (state.map(|s| s.0), state.map(|s| s.1).unwrap_or_default());
    let kind = match data.event_type.as_str() {
        "call.initiated" => Some(CallEventKind::Initiated),
        "call.answered" => Some(CallEventKind::Answered),
        "call.hangup" => Some(CallEventKind::Hangup {
            cause: text(p, "hangup_cause").unwrap_or_else(|| "unspecified".into()),
            source: text(p, "hangup_source"),
            sip_code: text(p, "sip_hangup_cause"),
            start_time: time(p, "start_time"),
            end_time: time(p, "end_time"),
        }),
        "call.machine.detection.ended" | "call.machine.premium.detection.ended" => {
            Some(CallEventKind::MachineDetectionEnded {
                result: text(p, "result").unwrap_or_else(|| "not_sure".into()),
            })
        }
        "call.dtmf.received" => text(p, "digit").map(|digit| CallEventKind::DtmfReceived { digit }),
        "call.recording.saved" => Some(CallEventKind::RecordingSaved {
            // Real payloads carry recording_id; the schema does not promise it, and the event id
            // is a stable stand-in for that one recording.
            recording_id: text(p, "recording_id").unwrap_or_else(|| data.id.clone()),
            format: text(p, "format").or_else(|| {
                let urls = p.get("recording_urls")?.as_object()?;
                urls.keys().next().cloned()
            }),
            channels: text(p, "channels"),
            started_at: time(p, "recording_started_at"),
            ended_at: time(p, "recording_ended_at"),
        }),
        "call.recording.error" => Some(CallEventKind::RecordingError {
            reason: text(p, "reason").unwrap_or_else(|| "unknown".into()),
        }),
        "call.cost" => Some(CallEventKind::Cost {
            total_cost: text(p, "total_cost").unwrap_or_else(|| "0".into()),
            currency: text(p, "currency").or_else(|| {
                let parts = p.get("cost_parts")?.as_array()?;
                text(parts.first()?, "currency")
            }),
            billed_duration_secs: p.get("billed_duration_secs").and_then(Value::as_i64),
        }),
        other if other.starts_with("call.") => Some(CallEventKind::Other {
            event_type: other.to_string(),
        }),
        _ => None,
    };
    Ok(ParsedEvent {
        event: kind.map(|kind| CallEvent {
            event_id: data.id.clone(),
            occurred_at: data.occurred_at,
            kind,
        }),
        event_id: data.id,
        event_type: data.event_type,
        occurred_at: data.occurred_at,
        attempt: envelope.meta.and_then(|m| m.attempt).unwrap_or(1),
        call_control_id,
        call_id,
        leg,
    })
}

#[cfg(test)]
mod tests;
