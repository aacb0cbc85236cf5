//! Test controls for the ways Telnyx fails: the REST fault plan, account limits, and pending
//! number orders, through the [`Emulator`] handle and under `/emulator/...` (no auth).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::{ActiveFaults, AppliedFault, FaultPlan};
use crate::handle::Emulator;
use crate::limits::AccountLimits;

impl Emulator {
    /// The REST fault plan for dials and commands from now on (`None` turns it off).
    pub fn set_faults(&self, plan: Option<FaultPlan>) {
        self.core.lock().faults = plan.map(ActiveFaults::new);
    }

    /// The plan in force and how many requests it still applies to (`None` = no end).
    pub fn faults(&self) -> Option<(FaultPlan, Option<u32>)> {
        let st = self.core.lock();
        st.faults.as_ref().map(|f| (f.plan.clone(), f.left()))
    }

    /// Every request that got a fault, oldest first, with how it ended.
    pub fn fault_log(&self) -> Vec<AppliedFault> {
        self.core.lock().fault_log.clone()
    }

    /// Account limits for dials from now on (`AccountLimits::default()` = none).
    pub fn set_limits(&self, limits: AccountLimits) {
        self.core.lock().limits = limits;
    }

    pub fn limits(&self) -> AccountLimits {
        self.core.lock().limits.clone()
    }

    /// `Some`: number orders placed from now on stay pending this long (scaled), then
    /// complete with `number_order.complete`. `None`: they succeed at once.
    pub fn set_number_order_delay(&self, delay: Option<Duration>) {
        self.core.lock().numbers.order_delay = delay;
    }
}

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/emulator/faults", get(get_faults).put(put_faults))
        .route("/emulator/limits", get(get_limits).put(put_limits))
        .route("/emulator/number_orders", get(get_orders).put(put_orders))
}

fn problem(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

/// A body that is `null`, a spec string, or the settings as a JSON object.
fn spec_or_object<T: DeserializeOwned>(
    body: &Bytes,
    parse: impl Fn(&str) -> Result<Option<T>, String>,
) -> Result<Option<T>, String> {
    match serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())? {
        Value::Null => Ok(None),
        Value::String(s) => parse(&s),
        other => serde_json::from_value(other)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn faults_json(emu: &Emulator) -> Value {
    let (plan, left) = emu.faults().unzip();
    json!({"plan": plan, "left": left.flatten(), "applied": emu.fault_log()})
}

async fn get_faults(State(emu): State<Emulator>) -> Json<Value> {
    Json(faults_json(&emu))
}

/// Body: a spec string (`"503,next=2"`), a plan object, or `null` (off).
async fn put_faults(State(emu): State<Emulator>, body: Bytes) -> Response {
    match spec_or_object(&body, FaultPlan::parse) {
        Ok(plan) => {
            emu.set_faults(plan);
            Json(faults_json(&emu)).into_response()
        }
        Err(e) => problem(&e),
    }
}

async fn get_limits(State(emu): State<Emulator>) -> Json<Value> {
    Json(json!(emu.limits()))
}

/// Body: a spec string (`"new_account"`, `"concurrent=2,countries=US+CA"`), a limits
/// object, or `null` (none).
async fn put_limits(State(emu): State<Emulator>, body: Bytes) -> Response {
    match spec_or_object(&body, |s| AccountLimits::parse(s).map(Some)) {
        Ok(limits) => {
            emu.set_limits(limits.unwrap_or_default());
            Json(json!(emu.limits())).into_response()
        }
        Err(e) => problem(&e),
    }
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
