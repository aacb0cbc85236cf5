//! Numbers and application set-up: `/v2/phone_numbers`, `/v2/available_phone_numbers`,
//! `/v2/number_orders`, `/v2/call_control_applications`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::S;
use super::body::{Check, Field, Wire, is_e164, json_object, validate};
use super::paging::{page_params, paged};
use crate::error::{ApiError, ApiResult};
use crate::handle::Emulator;
use crate::numbers::Numbers;
use crate::state::Core;
use crate::time::rfc3339;

type Q = Query<HashMap<String, String>>;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/v2/phone_numbers", get(list_owned))
        .route("/v2/available_phone_numbers", get(search_available))
        .route("/v2/number_orders", get(list_orders).post(create_order))
        .route("/v2/number_orders/{id}", get(get_order))
        .route("/v2/call_control_applications", get(list_apps))
        .route("/v2/call_control_applications/{id}", get(get_app))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub async fn list_owned(State(inner): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let want = q.get("filter[phone_number]").map(|f| digits(f));
    if want.as_ref().is_some_and(|w| w.len() < 3) {
        return Err(ApiError::invalid_value(
            "filter[phone_number]",
            "filter[phone_number] needs at least 3 digits.",
        )
        .param("filter[phone_number]"));
    }
    let st = inner.lock();
    let items = st
        .numbers
        .owned
        .iter()
        .filter(|n| {
            want.as_ref()
                .is_none_or(|w| digits(&n.phone_number).contains(w))
        })
        .filter(|n| {
            q.get("filter[connection_id]")
                .is_none_or(|c| n.connection_id.as_deref() == Some(c))
        })
        .filter(|n| q.get("filter[status]").is_none_or(|s| s == n.status))
        .map(|n| n.json())
        .collect();
    Ok(Json(paged(items, page, size)))
}

pub async fn search_available(State(inner): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let limit = match q.get("filter[limit]") {
        None => 50,
        Some(l) => l.parse::<usize>().ok().filter(|l| *l >= 1).ok_or_else(|| {
            ApiError::out_of_range("filter[limit]", "filter[limit] must be a positive integer.")
                .param("filter[limit]")
        })?,
    };
    let country = q
        .get("filter[country_code]")
        .map(|c| c.to_ascii_uppercase());
    let ndc = q.get("filter[national_destination_code]");
    let contains = q.get("filter[phone_number][contains]").map(|s| digits(s));
    let starts = q
        .get("filter[phone_number][starts_with]")
        .map(|s| digits(s));
    let ends = q.get("filter[phone_number][ends_with]").map(|s| digits(s));
    let region = q
        .get("filter[administrative_area]")
        .map(|s| s.to_ascii_uppercase());
    let locality = q.get("filter[locality]").map(|s| s.to_ascii_lowercase());
    let st = inner.lock();
    let items: Vec<Value> = st
        .numbers
        .available
        .iter()
        .filter(|a| country.as_ref().is_none_or(|c| c == a.country))
        .filter(|a| ndc.is_none_or(|n| *n == a.ndc))
        .filter(|a| {
            // Telnyx matches against the national number; +1 numbers have 10 digits.
            let national = &digits(&a.phone_number)[1..];
            contains
                .as_ref()
                .is_none_or(|c| national.contains(c.as_str()))
                && starts
                    .as_ref()
                    .is_none_or(|s| national.starts_with(s.as_str()))
                && ends.as_ref().is_none_or(|e| national.ends_with(e.as_str()))
        })
        .filter(|a| region.as_ref().is_none_or(|r| r == a.region))
        .filter(|a| {
            locality
                .as_ref()
                .is_none_or(|l| *l == a.locality.to_ascii_lowercase())
        })
        .take(limit)
        .map(|a| a.json())
        .collect();
    let total = items.len();
    Ok(Json(json!({
        "data": items,
        "meta": {"total_results": total, "best_effort_results": 0},
    })))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct OrderBody {
    phone_numbers: Field<OrderItems>,
    connection_id: Field<String>,
    messaging_profile_id: Field<String>,
    billing_group_id: Field<String>,
    customer_reference: Field<String>,
}

#[derive(Default, Deserialize)]
#[serde(transparent)]
struct OrderItems(Vec<OrderItem>);

#[derive(Default, Deserialize)]
#[serde(default)]
struct OrderItem {
    phone_number: Field<String>,
}

impl Wire for OrderItems {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, "Must be a list of {\"phone_number\": ...}.")
    }

    fn is_blank(&self) -> bool {
        self.0.is_empty()
    }
}

/// A valid order: `(pointer, number)` for each number, and the order's own fields.
struct Order {
    wanted: Vec<(String, String)>,
    connection_id: Option<String>,
    extra: Value,
}

impl OrderBody {
    fn check(self, c: &mut Check, core: &Core) -> Order {
        let items = c
            .req("phone_numbers", self.phone_numbers)
            .unwrap_or_default();
        let mut wanted = Vec::new();
        for (i, item) in items.0.into_iter().enumerate() {
            let field = format!("phone_numbers/{i}/phone_number");
            if let Some(p) = c.req(&field, item.phone_number) {
                c.rule(&field, is_e164(&p), || ApiError::not_e164(&field));
                wanted.push((field, p));
            }
        }
        let connection_id = c.opt("connection_id", self.connection_id);
        let known = connection_id
            .as_ref()
            .is_none_or(|id| *id == core.config.connection_id);
        c.rule("connection_id", known, || {
            ApiError::invalid_value("connection_id", "Unknown connection_id.")
        });
        let extra = json!({
            "messaging_profile_id": c.opt("messaging_profile_id", self.messaging_profile_id),
            "billing_group_id": c.opt("billing_group_id", self.billing_group_id),
            "customer_reference": c.opt("customer_reference", self.customer_reference),
        });
        Order {
            wanted,
            connection_id,
            extra,
        }
    }
}

/// Buys every number of the order, or none if one is not available. With an order delay
/// set, the order and its numbers stay `pending` (the numbers `purchase-pending`) until
/// [`Core::complete_order_later`] completes them.
pub async fn create_order(State(inner): S, bytes: Bytes) -> ApiResult<Json<Value>> {
    let body = json_object(&bytes)?;
    let order = validate(&body, |b: OrderBody, c| b.check(c, &inner))?;
    let Order {
        wanted,
        connection_id,
        extra,
    } = order;
    let mut st = inner.lock();
    let delay = st.numbers.order_delay;
    let status = if delay.is_some() {
        "pending"
    } else {
        "success"
    };
    let items = buy(
        &mut st.numbers,
        &wanted,
        connection_id.clone(),
        delay.is_some(),
    )?;
    let now = rfc3339(Utc::now());
    let mut order = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "record_type": "number_order",
        "status": status,
        "phone_numbers": items,
        "phone_numbers_count": items.len(),
        "connection_id": connection_id,
        "requirements_met": true,
        "sub_number_orders_ids": [],
        "created_at": now,
        "updated_at": now,
    });
    if let (Value::Object(o), Value::Object(x)) = (&mut order, extra) {
        o.extend(x);
    }
    let id = order["id"].as_str().unwrap_or_default().to_string();
    st.numbers.orders.insert(id.clone(), order.clone());
    drop(st);
    if let Some(after) = delay {
        inner.complete_order_later(&id, after);
    }
    Ok(Json(json!({ "data": order })))
}

/// Moves the wanted numbers from available to owned (`purchase-pending` while the order is
/// pending) and returns the order's items; buys nothing if one is not available.
fn buy(
    numbers: &mut Numbers,
    wanted: &[(String, String)],
    connection_id: Option<String>,
    pending: bool,
) -> ApiResult<Vec<Value>> {
    let mut countries = Vec::new();
    for (field, p) in wanted {
        let Some(a) = numbers.available.iter().find(|a| a.phone_number == *p) else {
            return Err(ApiError::invalid_value(
                field,
                format!("{p} is not available for purchase."),
            ));
        };
        countries.push(a.country.to_string());
    }
    let (status, number_status) = if pending {
        ("pending", "purchase-pending")
    } else {
        ("success", "active")
    };
    let mut items = Vec::new();
    for ((_, p), country) in wanted.iter().zip(countries) {
        numbers.available.retain(|a| a.phone_number != *p);
        let n = numbers.add_owned(p, connection_id.clone(), country, number_status);
        items.push(json!({
            "id": n.id,
            "record_type": "number_order_phone_number",
            "phone_number": p,
            "status": status,
            "requirements_met": true,
            "regulatory_requirements": [],
        }));
    }
    Ok(items)
}

pub async fn list_orders(State(inner): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let st = inner.lock();
    let mut items: Vec<Value> = st.numbers.orders.values().cloned().collect();
    items.sort_by(|a, b| a["created_at"].as_str().cmp(&b["created_at"].as_str()));
    Ok(Json(paged(items, page, size)))
}

pub async fn get_order(State(inner): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let st = inner.lock();
    let o = st
        .numbers
        .orders
        .get(&id)
        .ok_or_else(|| ApiError::not_found("number order"))?;
    Ok(Json(json!({ "data": o })))
}

fn app_json(inner: &Core) -> Value {
    let c = &inner.config;
    json!({
        "id": c.connection_id,
        "record_type": "call_control_application",
        "application_name": "Telnyx emulator",
        "active": true,
        "webhook_event_url": c.app_webhook_url,
        "webhook_event_failover_url": c.failover_webhook_url,
        "webhook_api_version": "2",
        "webhook_timeout_secs": c.webhook_timeout.as_secs().min(30),
        "first_command_timeout": false,
        "first_command_timeout_secs": 30,
        "dtmf_type": "RFC 2833",
        "anchorsite_override": "Latency",
        "call_cost_in_webhooks": c.call_cost_in_webhooks,
        "redact_dtmf_debug_logging": false,
        "inbound": {"channel_limit": null, "sip_subdomain": null, "shaken_stir_enabled": false},
        "outbound": {"channel_limit": null, "outbound_voice_profile_id": "1700000000000000002"},
        "tags": [],
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-01T00:00:00.000000Z",
    })
}

pub async fn list_apps(State(inner): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let app = app_json(&inner);
    let keep = q.get("filter[application_name][contains]").is_none_or(|f| {
        app["application_name"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains(&f.to_lowercase())
    });
    let items = if keep { vec![app] } else { vec![] };
    Ok(Json(paged(items, page, size)))
}

pub async fn get_app(State(inner): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if id != inner.config.connection_id {
        return Err(ApiError::not_found("call control application"));
    }
    Ok(Json(json!({ "data": app_json(&inner) })))
}
