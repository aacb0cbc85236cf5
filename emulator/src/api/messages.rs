//! Telnyx Messaging: `POST /v2/messages`, `GET /v2/messages/{id}`, the messaging profile
//! and each number's messaging settings. Sends are validated in one pass with Telnyx's
//! messaging error codes (40xxx); what happens after acceptance is `state::messages`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::S;
use super::body::{Check, Field, Wire, choice, is_http_url, json_object, validate};
use super::paging::{page_params, paged};
use crate::error::{ApiError, ApiResult};
use crate::events::Target;
use crate::handle::Emulator;
use crate::messaging::{self, DEFAULT_PROFILE_ID, DEFAULT_PROFILE_NAME, MAX_MEDIA, MAX_PARTS};
use crate::numbers::{OwnedNumber, country_of};
use crate::state::{Core, Outbound, SendRefusal};

/// Destinations the default profile may send to (its `whitelisted_destinations`).
const WHITELIST: &[&str] = &["US", "CA"];

/// Routes that the REST fault layer covers (sending).
pub fn send_router() -> Router<Emulator> {
    Router::new().route("/v2/messages", post(send))
}

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/v2/messages/{id}", get(get_message))
        .route("/v2/messaging_profiles", get(list_profiles))
        .route("/v2/messaging_profiles/{id}", get(get_profile))
        .route("/v2/phone_numbers/messaging", get(list_settings))
        .route("/v2/phone_numbers/{id}/messaging", get(get_settings))
}

choice!(
    /// A message's `type`.
    MessageType { Sms = "SMS", Mms = "MMS" }
);

/// `media_urls`: a list of URLs.
#[derive(Default, Deserialize)]
#[serde(transparent)]
struct Urls(Vec<String>);

impl Wire for Urls {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, "Must be a list of http(s) URLs.")
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SendBody {
    from: Field<String>,
    to: Field<String>,
    text: Field<String>,
    messaging_profile_id: Field<String>,
    media_urls: Field<Urls>,
    webhook_url: Field<String>,
    webhook_failover_url: Field<String>,
    use_profile_webhooks: Field<bool>,
    #[serde(rename = "type")]
    kind: Field<MessageType>,
}

/// A messaging error: Telnyx documents the codes, not the HTTP status; 400 here.
fn refusal(code: &'static str, title: &str, detail: impl Into<String>, field: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, title, detail).at(field)
}

fn owned(core: &Core, number: &str) -> Option<OwnedNumber> {
    let st = core.lock();
    let n = st.numbers.owned.iter().find(|n| n.phone_number == number);
    n.cloned()
}

impl SendBody {
    fn check(self, c: &mut Check, core: &Core) -> Option<Outbound> {
        let from = c.req("from", self.from);
        let from = c.phone("from", from);
        let to = c.req("to", self.to);
        let profile = c.opt("messaging_profile_id", self.messaging_profile_id);
        let text = c.opt("text", self.text).filter(|t| !t.is_empty());
        let media = c.opt("media_urls", self.media_urls).unwrap_or_default().0;
        let kind = c.opt("type", self.kind);
        let webhook_url = c.url("webhook_url", self.webhook_url);
        let failover_url = c.url("webhook_failover_url", self.webhook_failover_url);
        let use_profile = c
            .opt("use_profile_webhooks", self.use_profile_webhooks)
            .unwrap_or(true);
        check_from(c, core, from.as_deref());
        check_to(c, to.as_deref());
        check_profile(c, profile.as_deref());
        let mms = kind.map_or(!media.is_empty(), |k| k == MessageType::Mms);
        let segments = messaging::segments(text.as_deref().unwrap_or_default());
        check_content(c, text.is_some(), &media, kind, segments.parts);
        let target = (webhook_url.is_some() || use_profile).then(|| Target {
            webhook_url: webhook_url.or_else(|| core.config.app_webhook_url.clone()),
            failover_url: failover_url
                .or_else(|| use_profile.then(|| core.config.failover_webhook_url.clone())?),
            ..Target::default()
        });
        Some(Outbound {
            from: from?,
            to: to?,
            text,
            media_urls: media,
            mms,
            segments,
            target,
            use_profile_webhooks: use_profile,
        })
    }
}

/// `from` must be one of our numbers, active (so messaging-enabled, on the profile).
fn check_from(c: &mut Check, core: &Core, from: Option<&str>) {
    let Some(from) = from else { return };
    match owned(core, from) {
        None => c.fail(
            "from",
            refusal(
                "40305",
                "Invalid 'from' address",
                format!("'{from}' is not a number on this account's messaging profile."),
                "from",
            ),
        ),
        Some(n) if n.status != "active" => c.fail(
            "from",
            refusal(
                "40320",
                "Temporarily unusable 'from' address",
                format!("'{from}' cannot send yet: its purchase is pending."),
                "from",
            ),
        ),
        Some(_) => {}
    }
}

fn check_to(c: &mut Check, to: Option<&str>) {
    let Some(to) = to else { return };
    if !super::body::is_e164(to) {
        let detail = format!("'{to}' is not a valid +E.164 phone number.");
        c.fail("to", refusal("40310", "Invalid 'to' address", detail, "to"));
        return;
    }
    let country = country_of(to).unwrap_or_default();
    c.rule("to", WHITELIST.contains(&country.as_str()), || {
        refusal(
            "40309",
            "Invalid destination region",
            format!("'{to}' ({country}) is not in the profile's whitelisted destinations."),
            "to",
        )
    });
}

fn check_profile(c: &mut Check, profile: Option<&str>) {
    c.rule(
        "messaging_profile_id",
        profile.is_none_or(|p| p == DEFAULT_PROFILE_ID),
        || ApiError::invalid_value("messaging_profile_id", "Unknown messaging profile."),
    );
}

fn check_content(
    c: &mut Check,
    has_text: bool,
    media: &[String],
    kind: Option<MessageType>,
    parts: usize,
) {
    c.rule("text", has_text || !media.is_empty(), || {
        let detail = "A message needs 'text' or 'media_urls'.";
        refusal("40316", "No content provided for message", detail, "text")
    });
    c.rule("text", !media.is_empty() || parts <= MAX_PARTS, || {
        let detail = format!("The text needs {parts} parts; at most {MAX_PARTS} are sent.");
        refusal("40302", "Message too large", detail, "text")
    });
    let urls_ok = media.len() <= MAX_MEDIA && media.iter().all(|u| is_http_url(u));
    c.rule("media_urls", urls_ok, || {
        let detail = format!("At most {MAX_MEDIA} media URLs, each http(s).");
        refusal("40317", "Invalid MMS content", detail, "media_urls")
    });
    c.rule(
        "type",
        kind != Some(MessageType::Sms) || media.is_empty(),
        || {
            let detail = "An SMS cannot carry media_urls; send it as MMS.";
            refusal(
                "40304",
                "Invalid combination of message content arguments",
                detail,
                "type",
            )
        },
    );
}

async fn send(State(core): S, bytes: Bytes) -> ApiResult<Json<Value>> {
    let body = json_object(&bytes)?;
    let out = validate(&body, |b: SendBody, c| b.check(c, &core))?;
    let out = out.ok_or_else(|| ApiError::bad_json("The message could not be read."))?;
    let (from, to) = (out.from.clone(), out.to.clone());
    match core.send_message(out) {
        Ok(r) => Ok(Json(json!({ "data": r }))),
        Err(SendRefusal::OptedOut) => Err(refusal(
            "40300",
            "Blocked due to STOP message",
            format!(
                "Messages cannot be sent from '{from}' to '{to}' due to an existing block rule."
            ),
            "to",
        )),
    }
}

async fn get_message(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let r = core.lock().messaging.get(&id);
    let r = r.ok_or_else(|| ApiError::not_found("message"))?;
    Ok(Json(json!({ "data": r })))
}

fn profile_json(core: &Core) -> Value {
    let c = &core.config;
    json!({
        "record_type": "messaging_profile",
        "id": DEFAULT_PROFILE_ID,
        "name": DEFAULT_PROFILE_NAME,
        "enabled": true,
        "webhook_url": c.app_webhook_url,
        "webhook_failover_url": c.failover_webhook_url,
        "webhook_api_version": "2",
        "whitelisted_destinations": WHITELIST,
        "number_pool_settings": null,
        "url_shortener_settings": null,
        "mms_fall_back_to_sms": false,
        "mms_transcoding": false,
        "daily_spend_limit_enabled": false,
        "mobile_only": false,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-01T00:00:00.000000Z",
    })
}

type Q = Query<HashMap<String, String>>;

async fn list_profiles(State(core): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    Ok(Json(paged(vec![profile_json(&core)], page, size)))
}

async fn get_profile(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if id != DEFAULT_PROFILE_ID {
        return Err(ApiError::not_found("messaging profile"));
    }
    Ok(Json(json!({ "data": profile_json(&core) })))
}

/// `PhoneNumberWithMessagingSettings` of one owned number.
fn settings_json(n: &OwnedNumber) -> Value {
    let sms = json!({"domestic_two_way": true, "international_inbound": true, "international_outbound": true});
    json!({
        "record_type": "messaging_settings",
        "id": n.id,
        "phone_number": n.phone_number,
        "messaging_profile_id": DEFAULT_PROFILE_ID,
        "country_code": n.country,
        "type": "longcode",
        "eligible_messaging_products": ["A2P"],
        "messaging_product": "A2P",
        "traffic_type": "A2P",
        "health": {"message_count": 0, "inbound_outbound_ratio": 0.0, "success_ratio": 1.0, "spam_ratio": 0.0},
        "features": {"sms": sms, "mms": sms},
        "created_at": n.purchased_at,
        "updated_at": n.purchased_at,
    })
}

async fn list_settings(State(core): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let items = core
        .lock()
        .numbers
        .owned
        .iter()
        .map(settings_json)
        .collect();
    Ok(Json(paged(items, page, size)))
}

/// By the number's id (as Telnyx) or, leniently, its E.164 form.
async fn get_settings(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let st = core.lock();
    let n = st
        .numbers
        .owned
        .iter()
        .find(|n| n.id == id || n.phone_number == id);
    let n = n.ok_or_else(|| ApiError::not_found("phone number"))?;
    Ok(Json(json!({ "data": settings_json(n) })))
}
