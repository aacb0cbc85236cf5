//! Test controls for the ways Telnyx fails or is slow: pending number orders, through the
//! [`Emulator`] handle and under `/emulator/...` (no auth).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::handle::Emulator;

impl Emulator {
    /// `Some`: number orders placed from now on stay pending this long (scaled), then
    /// complete with `number_order.complete`. `None`: they succeed at once.
    pub fn set_number_order_delay(&self, delay: Option<Duration>) {
        self.core.lock().numbers.order_delay = delay;
    }
}

pub fn router() -> Router<Emulator> {
    Router::new().route("/emulator/number_orders", get(get_orders).put(put_orders))
}

fn problem(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

fn orders_json(emu: &Emulator) -> Value {
    let delay = emu.core.lock().numbers.order_delay;
    json!({"complete_after_ms": delay.map(|d| d.as_millis() as u64)})
}

async fn get_orders(State(emu): State<Emulator>) -> Json<Value> {
    Json(orders_json(&emu))
}

/// Body: `{"complete_after_ms": 2000}` (pending, then complete) or `{"complete_after_ms":
/// null}` (instant success).
async fn put_orders(State(emu): State<Emulator>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return problem(&e.to_string()),
    };
    let delay = match &v["complete_after_ms"] {
        Value::Null => None,
        n => match n.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => return problem("complete_after_ms must be a non-negative integer or null"),
        },
    };
    emu.set_number_order_delay(delay);
    Json(orders_json(&emu)).into_response()
}
