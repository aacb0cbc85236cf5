//! Messaging test controls: `GET /emulator/messages` (every message sent or received) and
//! `POST /emulator/messages/inbound` (a text arrives from a customer), with their
//! [`Emulator`] methods. Not part of Telnyx; no auth.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::is_e164;
use crate::events::Target;
use crate::handle::Emulator;
use crate::state::Inbound;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/emulator/messages", get(list))
        .route("/emulator/messages/inbound", post(inbound))
}

/// Why an injected inbound text cannot arrive.
#[derive(Debug, PartialEq, Eq)]
pub enum InboundError {
    /// `from` is not a +E.164 number.
    BadFrom,
    /// `to` is not one of our active numbers.
    NotOurs,
}

impl Emulator {
    /// Every message record, oldest first: outbound sends (with their current status),
    /// inbound texts and Telnyx's keyword auto-replies (`auto_response: true`).
    pub fn messages(&self) -> Vec<Value> {
        self.core.lock().messaging.records.clone()
    }

    /// A customer texts one of our numbers: `message.received` goes to the messaging
    /// profile's webhook URL (the application's); STOP/START/HELP act as on Telnyx.
    pub fn receive_message(&self, from: &str, to: &str, text: &str) -> Result<Value, InboundError> {
        self.inbound(Inbound {
            from: from.to_string(),
            to: to.to_string(),
            text: text.to_string(),
            media_urls: Vec::new(),
        })
    }

    fn inbound(&self, m: Inbound) -> Result<Value, InboundError> {
        if !is_e164(&m.from) {
            return Err(InboundError::BadFrom);
        }
        let ours = self
            .core
            .lock()
            .numbers
            .owned
            .iter()
            .any(|n| n.phone_number == m.to && n.status == "active");
        if !ours {
            return Err(InboundError::NotOurs);
        }
        let c = self.config();
        let target = Target {
            webhook_url: c.app_webhook_url.clone(),
            failover_url: c.failover_webhook_url.clone(),
            ..Target::default()
        };
        Ok(self.core.receive_message(m, target))
    }
}

fn problem(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({"error": msg}))).into_response()
}

/// `?direction=inbound|outbound`, `?phone_number=` (either end).
async fn list(
    State(emu): State<Emulator>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut v = emu.messages();
    if let Some(d) = q.get("direction") {
        v.retain(|m| m["direction"] == *d.as_str());
    }
    if let Some(p) = q.get("phone_number") {
        v.retain(|m| {
            m["from"]["phone_number"] == *p.as_str() || m["to"][0]["phone_number"] == *p.as_str()
        });
    }
    Json(json!(v))
}

#[derive(Deserialize)]
struct InboundBody {
    from: String,
    to: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    media_urls: Vec<String>,
}

async fn inbound(State(emu): State<Emulator>, body: Bytes) -> Response {
    let b: InboundBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let m = Inbound {
        from: b.from,
        to: b.to,
        text: b.text,
        media_urls: b.media_urls,
    };
    match emu.inbound(m) {
        Ok(r) => (StatusCode::ACCEPTED, Json(json!({"data": r}))).into_response(),
        Err(InboundError::BadFrom) => problem(StatusCode::BAD_REQUEST, "'from' must be +E.164"),
        Err(InboundError::NotOurs) => problem(
            StatusCode::NOT_FOUND,
            "'to' is not an active number of this account",
        ),
    }
}
