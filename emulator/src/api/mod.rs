//! The Telnyx-facing HTTP API (`/v2/...`) and the recording storage it links to. Every
//! request body is a typed struct read in one validation pass ([`body`]); the switch in
//! `state` does the rest.

mod body;
mod commands;
mod conferences;
mod credentials;
mod dial;
mod faults;
mod messages;
mod numbers;
mod paging;
mod recordings;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chrono::Utc;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::handle::Emulator;
use crate::state::{Core, RecordedRequest, Refusal};
use crate::time::rfc3339;

pub use body::is_e164;

type S = State<Arc<Core>>;

pub fn v2_router(core: Arc<Core>) -> Router<Emulator> {
    Router::new()
        .route("/v2/calls", post(dial::dial))
        .route(
            "/v2/calls/{id}/actions/{action}",
            post(commands::action).put(commands::action),
        )
        .merge(messages::send_router())
        .route_layer(middleware::from_fn_with_state(core.clone(), faults::inject))
        .route("/v2/calls/{id}", get(dial::get_call))
        .merge(recordings::router())
        .merge(numbers::router())
        .merge(credentials::router())
        .merge(messages::router())
        .merge(conferences::router())
        .route("/v2/{*rest}", any(unknown_path))
        .route_layer(middleware::from_fn_with_state(core.clone(), auth))
        .route_layer(middleware::from_fn_with_state(core, record))
}

pub fn storage_router() -> Router<Emulator> {
    recordings::storage_router()
}

async fn unknown_path() -> ApiError {
    ApiError::not_found("resource")
}

async fn auth(State(core): S, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k.trim() == core.config.api_key);
    if ok {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

/// Keeps every `/v2` request (without the API key) for `/emulator/requests`.
async fn record(State(core): S, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter(|(k, _)| *k != header::AUTHORIZATION)
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body_json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let method = parts.method.to_string();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let received_at = rfc3339(Utc::now());
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let dropped = resp.extensions().get::<faults::Abandon>().is_some();
    core.lock().requests.push(RecordedRequest {
        method,
        path,
        headers,
        body: body_json,
        status: resp.status().as_u16(),
        received_at,
        fault: resp.extensions().get::<faults::Applied>().map(|a| a.0),
        answer_dropped: dropped,
    });
    if dropped {
        // Unwinding out of the connection's task is the one way to make hyper close the
        // socket without writing an answer; `resume_unwind` skips the panic hook, so
        // nothing is printed (needs the default `panic = "unwind"`).
        std::panic::resume_unwind(Box::new(faults::Abandon));
    }
    resp
}

/// A command's answer: accepted, effects to follow as webhooks.
fn ok() -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"data": {"result": "ok"}})),
    )
        .into_response()
}

/// A leg's refusal as Telnyx words it.
fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownCall => ApiError::unknown_call(),
        Refusal::CallEnded => ApiError::call_ended(),
        Refusal::NotAnswered => ApiError::not_answered(),
        Refusal::BridgeWithItself => {
            ApiError::invalid_value("call_control_id", "A call cannot be bridged with itself.")
        }
        Refusal::NotIncomingRinging => ApiError::invalid_value(
            "call_control_id",
            "Only a ringing incoming call can be answered or rejected.",
        ),
    }
}
