//! Test and demo controls under `/emulator/...`. Not part of Telnyx; no auth.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Emulator;
use crate::config::ChaosConfig;
use crate::scenario::{self, Scenario, Step};
use crate::state::Inner;

type S = State<Arc<Inner>>;

pub fn router() -> Router<Arc<Inner>> {
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

fn handle(inner: Arc<Inner>) -> Emulator {
    Emulator::from_inner(inner)
}

fn problem(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({"error": msg}))).into_response()
}

async fn info(State(inner): S) -> Json<Value> {
    let e = handle(inner.clone());
    Json(json!({
        "base_url": e.base_url(),
        "public_key": e.public_key_base64(),
        "connection_id": inner.config.connection_id,
        "time_scale": inner.config.time_scale,
        "app_webhook_url": inner.config.app_webhook_url,
        "failover_webhook_url": inner.config.failover_webhook_url,
    }))
}

async fn requests(State(inner): S) -> Json<Value> {
    Json(json!(handle(inner).requests()))
}

async fn deliveries(State(inner): S, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let mut d = handle(inner).deliveries();
    if let Some(id) = q.get("call_control_id") {
        d.retain(|x| x.call_control_id.as_deref() == Some(id));
    }
    if let Some(t) = q.get("event_type") {
        d.retain(|x| x.event_type == *t);
    }
    Json(json!(d))
}

async fn reset(State(inner): S) -> StatusCode {
    handle(inner).reset();
    StatusCode::NO_CONTENT
}

async fn calls(State(inner): S) -> Json<Value> {
    Json(json!(inner.snapshots()))
}

async fn call(State(inner): S, Path(id): Path<String>) -> Response {
    match inner.snapshot(&id) {
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

async fn hangup(State(inner): S, Path(id): Path<String>, body: Bytes) -> Response {
    let b: HangupBody = if body.is_empty() {
        HangupBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    };
    if inner.snapshot(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    let done = inner.end_call(
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

async fn answer(State(inner): S, Path(id): Path<String>) -> Response {
    if inner.snapshot(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    if inner.answer(&id) {
        Json(json!({"answered": true})).into_response()
    } else {
        problem(StatusCode::CONFLICT, "call is not ringing")
    }
}

#[derive(Deserialize)]
struct DtmfBody {
    digits: String,
}

async fn dtmf(State(inner): S, Path(id): Path<String>, Json(b): Json<DtmfBody>) -> Response {
    if inner.snapshot(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, "unknown call");
    }
    if inner.callee_dtmf(&id, &b.digits) {
        Json(json!({"sent": b.digits})).into_response()
    } else {
        problem(StatusCode::CONFLICT, "call is not answered")
    }
}

async fn get_chaos(State(inner): S) -> Json<Value> {
    Json(json!(inner.lock().chaos))
}

/// Body: a chaos object (`{"seed":1,"duplicate":0.5,...}`), a spec string
/// (`"seed=1,dup=0.5"`), or `null` to turn chaos off. Applies to calls dialled afterwards.
async fn put_chaos(State(inner): S, body: Bytes) -> Response {
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
    handle(inner).set_chaos(chaos.clone());
    Json(json!(chaos)).into_response()
}

async fn scenarios(State(inner): S) -> Json<Value> {
    let builtin: Vec<Value> = scenario::BUILTIN_KEYS
        .iter()
        .filter_map(|k| scenario::builtin(k).map(|s| json!({"key": k, "scenario": s})))
        .collect();
    let scripted = inner.lock().scripts.clone();
    Json(json!({"builtin": builtin, "scripted": scripted}))
}

#[derive(Deserialize)]
struct ScenarioBody {
    name: Option<String>,
    steps: Vec<Step>,
}

async fn put_scenario(State(inner): S, Path(number): Path<String>, body: Bytes) -> Response {
    let b: ScenarioBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let s = Scenario {
        name: b.name.unwrap_or_else(|| format!("scripted {number}")),
        steps: b.steps,
    };
    handle(inner).set_scenario(&number, s.clone());
    Json(json!(s)).into_response()
}

async fn delete_scenario(State(inner): S, Path(number): Path<String>) -> StatusCode {
    if inner.lock().scripts.remove(&number).is_some() {
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
async fn test_webhook(State(inner): S, body: Bytes) -> Response {
    let req: TestWebhook = if body.is_empty() {
        TestWebhook { url: None }
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    };
    let ev = crate::webhook::Event::new(
        "webhook.test",
        json!({ "message": "Test event from the Telnyx emulator" }),
    );
    let event_id = ev.id.clone();
    let target = crate::webhook::Target {
        webhook_url: req.url,
        ..crate::webhook::Target::default()
    };
    tokio::spawn(async move { crate::webhook::deliver(&inner, &target, &ev, false).await });
    (StatusCode::ACCEPTED, Json(json!({ "event_id": event_id }))).into_response()
}
