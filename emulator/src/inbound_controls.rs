//! Test controls for issue-21 inbound calls and issue-20 conference audio, under
//! `/emulator/...` (no auth): `POST /emulator/inbound` places a call to one of our numbers,
//! `GET /emulator/conferences/{id}/audio` shows who hears whom.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::handle::Emulator;
use crate::state::{CallerScript, InboundRefusal};

type S = State<Emulator>;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/emulator/inbound", post(inbound))
        .route("/emulator/conferences/{id}/audio", get(audio))
}

fn problem(status: StatusCode, code: &str, msg: &str) -> Response {
    (status, Json(json!({"error": msg, "code": code}))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundBody {
    from: String,
    to: String,
    #[serde(default)]
    caller: CallerBody,
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CallerBody {
    hang_up_after_ms: Option<u64>,
    press: Option<String>,
    press_after_ms: Option<u64>,
    speak: Option<bool>,
    ring_timeout_secs: Option<u64>,
}

impl CallerBody {
    fn script(self) -> CallerScript {
        CallerScript {
            hang_up_after: self.hang_up_after_ms.map(Duration::from_millis),
            press: self.press.filter(|p| !p.is_empty()),
            press_after: Duration::from_millis(self.press_after_ms.unwrap_or(1000)),
            silent: self.speak == Some(false),
            ring_timeout_secs: self.ring_timeout_secs.unwrap_or(60),
        }
    }
}

fn is_dtmf(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || "ABCD*#".contains(c))
}

async fn inbound(State(emu): S, body: Bytes) -> Response {
    let b: InboundBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "bad_body", &e.to_string()),
    };
    if !crate::api::is_e164(&b.from) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_from",
            "from must be E.164",
        );
    }
    if b.caller.press.as_deref().is_some_and(|p| !is_dtmf(p)) {
        let msg = "press may only hold 0-9, A-D, * and #";
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "bad_press", msg);
    }
    match emu.core.place_inbound(&b.from, &b.to, b.caller.script()) {
        Ok(ids) => Json(json!({
            "call_control_id": ids.call_control_id,
            "call_leg_id": ids.call_leg_id,
            "call_session_id": ids.call_session_id,
            "direction": "incoming",
        }))
        .into_response(),
        Err(InboundRefusal::NotOurs) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_our_number",
            "to must be an active number we own on the Call Control application",
        ),
    }
}

async fn audio(State(emu): S, Path(id): Path<String>) -> Response {
    match emu.core.conference_audio(&id) {
        Some(v) => Json(v).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "unknown_conference",
            "unknown conference",
        ),
    }
}
