//! Test and demo controls under `/emulator/...`. Not part of Telnyx; no auth.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::ChaosConfig;
use crate::events::{Event, Target};
use crate::handle::Emulator;
use crate::scenario::{self, Scenario, Step};

type S = State<Emulator>;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/emulator/info", get(info))
        .route("/emulator/requests", get(requests))
        .route("/emulator/deliveries", get(deliveries))
        .route("/emulator/webhooks/test", post(test_webhook))
        .route("/emulator/reset", post(reset))
        .route("/emulator/calls", get(calls))
        .route("/emulator/calls/{id}", get(call))
        .route("/emulator/calls/{id}/hangup", post(hangup))
        .route("/emulator/calls/{id}/answer", post(answer))
        .route("/emulator/calls/{id}/dtmf", post(dtmf))
        .route("/emulator/chaos", get(get_chaos).put(put_chaos))
        .route("/emulator/scenarios", get(scenarios))
        .route(
            "/emulator/scenarios/{number}",
            put(put_scenario).delete(delete_scenario),
        )
}

fn problem(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({"error": msg}))).into_response()
}

async fn info(State(emu): S) -> Json<Value> {
    let e = emu.clone();
    Json(json!({
        "base_url": e.base_url(),
        "public_key": e.public_key_base64(),
        "connection_id": emu.config().connection_id,
        "time_scale": emu.config().time_scale,
        "app_webhook_url": emu.config().app_webhook_url,
        "failover_webhook_url": emu.config().failover_webhook_url,
        "verto_url": e.verto_url(),
    }))
}

async fn requests(State(emu): S) -> Json<Value> {
    Json(json!(emu.requests()))
}

async fn deliveries(State(emu): S, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let mut d = emu.deliveries();
    if let Some(id) = q.get("call_control_id") {
        d.retain(|x| x.call_control_id.as_deref() == Some(id));
    }
    if let Some(t) = q.get("event_type") {
        d.retain(|x| x.event_type == *t);
    }
    Json(json!(d))
}

async fn reset(State(emu): S) -> StatusCode {
    emu.reset();
    StatusCode::NO_CONTENT
}

async fn calls(State(emu): S) -> Json<Value> {
    Json(json!(emu.calls()))
}

async fn call(State(emu): S, Path(id): Path<String>) -> Response {
    match emu.call(&id) {
        Some(s) => Json(json!(s)).into_response(),
        None => problem(StatusCode::NOT_FOUND, "unknown call"),
    }
}

#[derive(Deserialize, Default)]
struct HangupBody {
    cause: Option<String>,
    sip: Option<String>,
    source: Option<String>,
}

async fn hangup(State(emu): S, Path(id): Path<String>, body: Bytes) -> Response {
    let b: HangupBody = if body.is_empty() {
        HangupBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    };
    if emu.call(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    let done = emu.hangup_with(
        &id,
        b.cause.as_deref().unwrap_or("normal_clearing"),
        b.source.as_deref().unwrap_or("callee"),
        b.sip.as_deref().unwrap_or("200"),
    );
    if done {
        Json(json!({"hung_up": true})).into_response()
    } else {
        problem(StatusCode::CONFLICT, "call already ended")
    }
}

async fn answer(State(emu): S, Path(id): Path<String>) -> Response {
    if emu.call(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    if emu.answer(&id) {
        Json(json!({"answered": true})).into_response()
    } else {
        problem(StatusCode::CONFLICT, "call is not ringing")
    }
}

#[derive(Deserialize)]
struct DtmfBody {
    digits: String,
}

async fn dtmf(State(emu): S, Path(id): Path<String>, Json(b): Json<DtmfBody>) -> Response {
    if emu.call(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    if emu.press_dtmf(&id, &b.digits) {
        Json(json!({"sent": b.digits})).into_response()
    } else {
        problem(StatusCode::CONFLICT, "call is not answered")
    }
}

async fn get_chaos(State(emu): S) -> Json<Value> {
    Json(json!(emu.chaos()))
}

/// Body: a chaos object (`{"seed":1,"duplicate":0.5,...}`), a spec string
/// (`"seed=1,dup=0.5"`), or `null` to turn chaos off. Applies to calls dialled afterwards.
async fn put_chaos(State(emu): S, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let chaos = match v {
        Value::Null => None,
        Value::String(s) => match ChaosConfig::parse(&s) {
            Ok(c) => c,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e),
        },
        other => match serde_json::from_value::<ChaosConfig>(other) {
            Ok(c) => Some(c),
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
        },
    };
    emu.set_chaos(chaos.clone());
    Json(json!(chaos)).into_response()
}

async fn scenarios(State(emu): S) -> Json<Value> {
    let builtin: Vec<Value> = scenario::BUILTIN_KEYS
        .iter()
        .filter_map(|k| scenario::builtin(k).map(|s| json!({"key": k, "scenario": s})))
        .collect();
    let scripted = emu.core.lock().scripts.clone();
    Json(json!({"builtin": builtin, "scripted": scripted}))
}

#[derive(Deserialize)]
struct ScenarioBody {
    name: Option<String>,
    steps: Vec<Step>,
}

async fn put_scenario(State(emu): S, Path(number): Path<String>, body: Bytes) -> Response {
    let b: ScenarioBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let s = Scenario {
        name: b.name.unwrap_or_else(|| format!("scripted {number}")),
        steps: b.steps,
    };
    emu.set_scenario(&number, s.clone());
    Json(json!(s)).into_response()
}

async fn delete_scenario(State(emu): S, Path(number): Path<String>) -> StatusCode {
    if emu.clear_scenario(&number) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

#[derive(Deserialize)]
struct TestWebhook {
    /// Where to send it; the application's webhook URL when absent.
    url: Option<String>,
}

/// Sends one signed `webhook.test` event (no call) with the usual retries, so an application's
/// "test webhook" button can check its URL and public key end to end. Not a Telnyx API
/// *(emulator choice)*: the answer names the event, and its delivery attempts appear under
/// `GET /emulator/deliveries?event_type=webhook.test`.
async fn test_webhook(State(emu): S, body: Bytes) -> Response {
    let req: TestWebhook = if body.is_empty() {
        TestWebhook { url: None }
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    };
    let ev = Event::new(
        "webhook.test",
        json!({ "message": "Test event from the Telnyx emulator" }),
    );
    let event_id = ev.id.clone();
    let target = Target {
        webhook_url: req.url,
        ..Target::default()
    };
    emu.webhooks.send_detached(target, ev);
    (StatusCode::ACCEPTED, Json(json!({ "event_id": event_id }))).into_response()
}
