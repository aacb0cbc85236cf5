//! The Telnyx-facing HTTP API (`/v2/...`) and the recording storage it links to.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::audio;
use crate::config::ChaosConfig;
use crate::error::{ApiError, ApiResult};
use crate::events::Target;
use crate::handle::Emulator;
use crate::state::{
    Command as Cmd, Core, NewCall, RecordSpec, RecordedRequest, Recording, Refusal,
};
use crate::time::rfc3339;

type S = State<Arc<Core>>;
type Body_ = Map<String, Value>;

pub fn v2_router(inner: Arc<Core>) -> Router<Emulator> {
    Router::new()
        .route("/v2/calls", post(dial))
        .route("/v2/calls/{id}", get(get_call))
        .route("/v2/calls/{id}/actions/{action}", post(action).put(action))
        .route("/v2/recordings", get(list_recordings))
        .route(
            "/v2/recordings/{id}",
            get(get_recording).delete(delete_recording),
        )
        .route("/v2/phone_numbers", get(crate::api_numbers::list_owned))
        .route(
            "/v2/available_phone_numbers",
            get(crate::api_numbers::search_available),
        )
        .route(
            "/v2/number_orders",
            post(crate::api_numbers::create_order).get(crate::api_numbers::list_orders),
        )
        .route("/v2/number_orders/{id}", get(crate::api_numbers::get_order))
        .route(
            "/v2/call_control_applications",
            get(crate::api_numbers::list_apps),
        )
        .route(
            "/v2/call_control_applications/{id}",
            get(crate::api_numbers::get_app),
        )
        .route("/v2/{*rest}", any(unknown_path))
        .route_layer(middleware::from_fn_with_state(inner.clone(), auth))
        .route_layer(middleware::from_fn_with_state(inner, record))
}

pub fn storage_router() -> Router<Emulator> {
    Router::new()
        .route("/storage/recordings/{file}", get(storage))
        .route("/media/hold-music.wav", get(hold_music))
}

/// A public media file, as a team would host its hold music for Telnyx to fetch: 20 s of tone.
async fn hold_music() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "audio/wav")],
        crate::audio::wav(20_000, 1),
    )
}

async fn unknown_path() -> ApiError {
    ApiError::not_found("resource")
}

async fn auth(State(inner): S, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k.trim() == inner.config.api_key);
    if ok {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

async fn record(State(inner): S, req: Request, next: Next) -> Response {
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
    inner.lock().requests.push(RecordedRequest {
        method,
        path,
        headers,
        body: body_json,
        status: resp.status().as_u16(),
        received_at,
    });
    resp
}

// ---------- field helpers ----------

pub fn parse_body(bytes: &Bytes) -> ApiResult<Body_> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_json(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_json(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

pub fn opt_str(b: &Body_, f: &str) -> ApiResult<Option<String>> {
    match b.get(f) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_value(
            f,
            format!("'{f}' must be a string."),
        )),
    }
}

pub fn req_str(b: &Body_, f: &str) -> ApiResult<String> {
    match opt_str(b, f)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::missing(f)),
    }
}

fn opt_int(b: &Body_, f: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    let v = match b.get(f) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| ApiError::invalid_value(f, format!("'{f}' must be an integer.")))?;
    if !(min..=max).contains(&n) {
        return Err(ApiError::out_of_range(
            f,
            format!("'{f}' must be between {min} and {max}."),
        ));
    }
    Ok(Some(n))
}

fn opt_enum(b: &Body_, f: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
    match opt_str(b, f).map_err(|_| ApiError::invalid_enum(f, allowed))? {
        None => Ok(None),
        Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_enum(f, allowed)),
    }
}

fn req_enum(b: &Body_, f: &str, allowed: &[&str]) -> ApiResult<String> {
    opt_enum(b, f, allowed)?.ok_or_else(|| ApiError::missing(f))
}

fn opt_bool(b: &Body_, f: &str) -> ApiResult<Option<bool>> {
    match b.get(f) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(x)) => Ok(Some(*x)),
        Some(_) => Err(ApiError::invalid_value(
            f,
            format!("'{f}' must be a boolean."),
        )),
    }
}

fn client_state(b: &Body_, f: &str) -> ApiResult<Option<String>> {
    let Some(s) = opt_str(b, f)? else {
        return Ok(None);
    };
    if STANDARD.decode(s.as_bytes()).is_err() {
        return Err(ApiError::invalid_value(
            f,
            format!("'{f}' must be a valid Base64 encoded string."),
        ));
    }
    Ok(Some(s))
}

pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()) && !d.starts_with('0')
}

/// A dial destination: E.164 (optionally with `,digits` to send after answer) or a SIP URI.
fn valid_destination(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("sip:") {
        return rest.contains('@') || !rest.is_empty();
    }
    let number = s.split(',').next().unwrap_or_default();
    is_e164(number)
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len()
}

fn ok() -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"data": {"result": "ok"}})),
    )
        .into_response()
}

// ---------- dial ----------

const AMD: &[&str] = &[
    "premium",
    "detect",
    "detect_beep",
    "detect_words",
    "greeting_end",
    "disabled",
];

async fn dial(State(inner): S, bytes: Bytes) -> Response {
    let (limit, remaining, reset) = match rate_limit(&inner) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let mut resp = match dial_inner(&inner, &bytes) {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    for (k, v) in [
        ("x-ratelimit-limit", limit),
        ("x-ratelimit-remaining", remaining),
        ("x-ratelimit-reset", reset),
    ] {
        h.insert(k, v.into());
    }
    resp
}

/// Sliding window over the last `dial_rate_window`; returns (limit, remaining, reset secs).
fn rate_limit(inner: &Core) -> ApiResult<(u64, u64, u64)> {
    let window = inner.config.dial_rate_window;
    let limit =
        ((inner.config.dial_rate_limit_per_sec as f64) * window.as_secs_f64()).round() as u64;
    let mut st = inner.lock();
    let now = Instant::now();
    while st
        .dial_times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        st.dial_times.pop_front();
    }
    let used = st.dial_times.len() as u64;
    let reset = st
        .dial_times
        .front()
        .map(|t| {
            (window.saturating_sub(now.duration_since(*t)))
                .as_secs_f64()
                .ceil() as u64
        })
        .unwrap_or(0);
    if used >= limit {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "90103",
            "Dial rate limit exceeded",
            format!(
                "Outbound dials are limited to {} per second averaged over {} seconds.",
                inner.config.dial_rate_limit_per_sec,
                window.as_secs_f64()
            ),
        )
        .header("x-ratelimit-limit", limit)
        .header("x-ratelimit-remaining", 0)
        .header("x-ratelimit-reset", reset.max(1))
        .header("retry-after", reset.max(1)));
    }
    st.dial_times.push_back(now);
    Ok((limit, limit - used - 1, reset))
}

fn dial_inner(inner: &Arc<Core>, bytes: &Bytes) -> ApiResult<Value> {
    let b = parse_body(bytes)?;
    let command_id = opt_str(&b, "command_id")?;
    if let Some(cid) = &command_id {
        let window = inner.config.command_id_window;
        let mut st = inner.lock();
        st.dial_dedup.retain(|_, (_, t)| t.elapsed() < window);
        if let Some((resp, _)) = st.dial_dedup.get(cid) {
            return Ok(resp.clone());
        }
    }
    let connection_id = req_str(&b, "connection_id")?;
    let to = match b.get("to") {
        Some(Value::Array(a)) => match a.first() {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(ApiError::missing("to")),
        },
        _ => req_str(&b, "to")?,
    };
    let from = req_str(&b, "from")?;
    if connection_id != inner.config.connection_id {
        return Err(ApiError::invalid_value(
            "connection_id",
            "The connection_id is not a Call Control application with a webhook URL.",
        ));
    }
    if !valid_destination(&to) {
        return Err(ApiError::not_e164("to"));
    }
    if !is_e164(&from) {
        return Err(ApiError::not_e164("from"));
    }
    let cs = client_state(&b, "client_state")?;
    let timeout_secs = opt_int(&b, "timeout_secs", 5, 600)?.unwrap_or(30) as u64;
    let time_limit_secs = opt_int(&b, "time_limit_secs", 30, 14400)?.unwrap_or(14400) as u64;
    let retry_on_timeout = opt_bool(&b, "retry_on_timeout")?.unwrap_or(true);
    let amd = opt_enum(&b, "answering_machine_detection", AMD)?.filter(|m| m != "disabled");
    let record = opt_enum(&b, "record", &["record-from-answer"])?;
    let record_format = opt_enum(&b, "record_format", &["wav", "mp3"])?;
    let record_channels = opt_enum(&b, "record_channels", &["single", "dual"])?;
    opt_enum(&b, "record_track", &["both", "inbound", "outbound"])?;
    opt_int(&b, "record_max_length", 0, 43200)?;
    opt_enum(&b, "webhook_url_method", &["POST", "GET"])?;
    let media_enc = opt_enum(&b, "media_encryption", &["disabled", "SRTP", "DTLS"])?;
    opt_enum(&b, "sip_transport_protocol", &["UDP", "TCP", "TLS"])?;
    let display = opt_str(&b, "from_display_name")?;
    if display.as_ref().is_some_and(|d| d.chars().count() > 128) {
        return Err(ApiError::out_of_range(
            "from_display_name",
            "'from_display_name' must be at most 128 characters.",
        ));
    }
    if let Some(d) = opt_str(&b, "send_digits_on_answer")?
        && (d.len() > 64 || !d.chars().all(|c| "0123456789ABCD*#wW".contains(c)))
    {
        return Err(ApiError::invalid_value(
            "send_digits_on_answer",
            "At most 64 of 0-9 A-D * # w W.",
        ));
    }
    if media_enc.as_deref().is_some_and(|m| m != "disabled") && !to.starts_with("sip:") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10011",
            "Media encryption not supported for PSTN calls",
            "SRTP/DTLS can only be used with SIP URI destinations.",
        )
        .at("media_encryption"));
    }

    let webhook_url = opt_str(&b, "webhook_url")?;
    if webhook_url.as_ref().is_some_and(|u| !is_http_url(u)) {
        return Err(ApiError::invalid_value(
            "webhook_url",
            "Must be an http(s) URL.",
        ));
    }
    let mut per_event = HashMap::new();
    match b.get("webhook_urls") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v.as_str() {
                    Some(u) if is_http_url(u) => {
                        per_event.insert(k.clone(), u.to_string());
                    }
                    _ => {
                        return Err(ApiError::invalid_value(
                            "webhook_urls",
                            "Values must be http(s) URLs.",
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(ApiError::invalid_value(
                "webhook_urls",
                "Must map event types to URLs.",
            ));
        }
    }
    let mut retries = HashMap::new();
    if let Some(Value::Object(m)) = b.get("webhook_retries_policies") {
        for (k, v) in m {
            let delays: Vec<u64> = v
                .get("retries_ms")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            if delays.len() > 5 || delays.iter().sum::<u64>() > 60_000 {
                return Err(ApiError::out_of_range(
                    "webhook_retries_policies",
                    "At most 5 retries adding up to at most 60000 ms.",
                ));
            }
            retries.insert(k.clone(), delays);
        }
    }
    if webhook_url.is_none() && per_event.is_empty() && inner.config.app_webhook_url.is_none() {
        return Err(ApiError::invalid_value(
            "connection_id",
            "The Call Control application has no webhook URL and the dial gave none.",
        ));
    }

    let custom_headers = b.get("custom_headers").cloned().unwrap_or(json!([]));
    let mut chaos = inner.lock().chaos.clone();
    if let Some(arr) = custom_headers.as_array() {
        for h in arr {
            let name = h.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.eq_ignore_ascii_case("X-Emulator-Chaos") {
                let v = h.get("value").and_then(Value::as_str).unwrap_or_default();
                chaos = ChaosConfig::parse(v)
                    .map_err(|e| ApiError::invalid_value("custom_headers", e))?;
            }
        }
    } else if !custom_headers.is_null() {
        return Err(ApiError::invalid_value(
            "custom_headers",
            "Must be a list of {name, value}.",
        ));
    }

    let link_to = opt_str(&b, "link_to")?;
    let bridge_intent = opt_bool(&b, "bridge_intent")?.unwrap_or(false);
    let bridge_on_answer = opt_bool(&b, "bridge_on_answer")?.unwrap_or(false);
    let park = opt_enum(&b, "park_after_unbridge", &["self"])?.is_some();
    let mut from = from;
    match &link_to {
        Some(l) => {
            let mut st = inner.lock();
            let linked = inner
                .live_call(&mut st, l)
                .filter(|c| c.is_alive())
                .ok_or_else(|| ApiError::unknown_call().at("link_to"))?;
            if bridge_intent {
                from = linked.spec.from.clone();
            }
        }
        None if bridge_intent || bridge_on_answer || park => {
            return Err(ApiError::missing("link_to"));
        }
        None => {}
    }

    let record = record.map(|_| RecordSpec {
        recording_id: uuid::Uuid::new_v4().to_string(),
        format: record_format.unwrap_or_else(|| "mp3".into()),
        channels: record_channels.unwrap_or_else(|| "dual".into()),
        initiated_by: "OutboundAPI",
    });
    let recording_id = record.as_ref().map(|r| r.recording_id.clone());
    let spec = NewCall {
        from,
        to,
        from_display_name: display,
        client_state: cs.clone(),
        timeout_secs,
        retry_on_timeout,
        time_limit_secs,
        amd,
        record,
        custom_headers,
        target: Target {
            webhook_url,
            per_event,
            retries,
        },
        chaos,
        link_to,
        bridge_on_answer,
        park_after_unbridge: park,
    };
    let ids = inner.create_call(spec);
    let mut data = json!({
        "call_control_id": ids.call_control_id,
        "call_leg_id": ids.call_leg_id,
        "call_session_id": ids.call_session_id,
        "client_state": cs,
        "is_alive": false,
        "record_type": "call",
    });
    if let Some(r) = recording_id {
        data["recording_id"] = json!(r);
    }
    let resp = json!({ "data": data });
    if let Some(cid) = command_id {
        inner
            .lock()
            .dial_dedup
            .insert(cid, (resp.clone(), Instant::now()));
    }
    Ok(resp)
}

async fn get_call(State(inner): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let mut st = inner.lock();
    let c = inner
        .live_call(&mut st, &id)
        .ok_or_else(ApiError::unknown_call)?;
    let end = c.ended_at.unwrap_or_else(Utc::now);
    let mut data = json!({
        "call_control_id": c.ids.call_control_id,
        "call_leg_id": c.ids.call_leg_id,
        "call_session_id": c.ids.call_session_id,
        "client_state": c.client_state,
        "is_alive": c.is_alive(),
        "record_type": "call",
        "start_time": rfc3339(c.created_at),
        "call_duration": (end - c.created_at).num_seconds().max(0),
    });
    if let Some(e) = c.ended_at {
        data["end_time"] = json!(rfc3339(e));
    }
    Ok(axum::Json(json!({ "data": data })))
}

// ---------- commands ----------

const ACTIONS: &[&str] = &[
    "hangup",
    "send_dtmf",
    "record_start",
    "record_stop",
    "record_pause",
    "record_resume",
    "playback_start",
    "playback_stop",
    "speak",
    "bridge",
    "transfer",
    "client_state_update",
];

fn validate(action: &str, b: &Body_) -> ApiResult<Cmd> {
    Ok(match action {
        "hangup" => Cmd::Hangup,
        "send_dtmf" => {
            let d = req_str(b, "digits")?;
            if !d.chars().all(|c| "0123456789ABCD*#wW".contains(c)) {
                return Err(ApiError::invalid_value(
                    "digits",
                    "Digits may only contain 0-9, A-D, *, #, w and W.",
                ));
            }
            opt_int(b, "duration_millis", 100, 500)?;
            Cmd::Dtmf
        }
        "record_start" => {
            let format = req_enum(b, "format", &["wav", "mp3"])?;
            let channels = req_enum(b, "channels", &["single", "dual"])?;
            opt_enum(b, "recording_track", &["both", "inbound", "outbound"])?;
            opt_int(b, "max_length", 0, 14400)?;
            opt_bool(b, "play_beep")?;
            Cmd::RecordStart { format, channels }
        }
        "record_stop" => Cmd::RecordStop,
        "record_pause" => Cmd::RecordPause(true),
        "record_resume" => Cmd::RecordPause(false),
        "playback_start" => {
            let url = opt_str(b, "audio_url")?;
            let name = opt_str(b, "media_name")?;
            let content = opt_str(b, "playback_content")?;
            let media = match (url, name, content) {
                (Some(u), None, None) => {
                    if !is_http_url(&u) {
                        return Err(ApiError::invalid_value(
                            "audio_url",
                            "audio_url must be an http(s) URL of a WAV or MP3 file.",
                        ));
                    }
                    json!({"media_url": u, "overlay": false})
                }
                (None, Some(n), None) => json!({"media_name": n, "overlay": false}),
                (None, None, Some(_)) => json!({"media_url": null, "overlay": false}),
                (None, None, None) => return Err(ApiError::missing("audio_url")),
                _ => {
                    return Err(ApiError::invalid_value(
                        "audio_url",
                        "audio_url, media_name and playback_content are mutually exclusive.",
                    ));
                }
            };
            opt_enum(b, "audio_type", &["mp3", "wav"])?;
            let loops = match b.get("loop") {
                None | Some(Value::Null) => Some(1),
                Some(Value::String(s)) if s == "infinity" => None,
                Some(v) => match v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                {
                    Some(n) if n >= 1 => Some(n),
                    _ => {
                        return Err(ApiError::invalid_value(
                            "loop",
                            "loop must be a positive integer or \"infinity\".",
                        ));
                    }
                },
            };
            Cmd::PlaybackStart { media, loops }
        }
        "playback_stop" => {
            opt_enum(b, "stop", &["current", "all"])?;
            Cmd::PlaybackStop
        }
        "speak" => {
            let payload = req_str(b, "payload")?;
            req_str(b, "voice")?;
            if payload.chars().count() > 3000 {
                return Err(ApiError::out_of_range(
                    "payload",
                    "payload must be at most 3000 characters.",
                ));
            }
            opt_enum(b, "payload_type", &["text", "ssml"])?;
            opt_enum(b, "service_level", &["basic", "premium"])?;
            opt_enum(b, "target_legs", &["self", "opposite", "both"])?;
            Cmd::Speak {
                chars: payload.chars().count(),
            }
        }
        "bridge" => Cmd::Bridge {
            other: req_str(b, "call_control_id")?,
        },
        "transfer" => {
            let to = req_str(b, "to")?;
            if !valid_destination(&to) {
                return Err(ApiError::not_e164("to"));
            }
            let from = opt_str(b, "from")?;
            if from.as_ref().is_some_and(|f| !is_e164(f)) {
                return Err(ApiError::not_e164("from"));
            }
            let webhook_url = opt_str(b, "webhook_url")?;
            if webhook_url.as_ref().is_some_and(|u| !is_http_url(u)) {
                return Err(ApiError::invalid_value(
                    "webhook_url",
                    "Must be an http(s) URL.",
                ));
            }
            Cmd::Transfer(Box::new(NewCall {
                from: from.unwrap_or_default(),
                to,
                from_display_name: opt_str(b, "from_display_name")?,
                client_state: client_state(b, "target_leg_client_state")?,
                timeout_secs: opt_int(b, "timeout_secs", 5, 600)?.unwrap_or(30) as u64,
                retry_on_timeout: true,
                time_limit_secs: opt_int(b, "time_limit_secs", 30, 14400)?.unwrap_or(14400) as u64,
                amd: opt_enum(b, "answering_machine_detection", AMD)?.filter(|m| m != "disabled"),
                custom_headers: b.get("custom_headers").cloned().unwrap_or(json!([])),
                target: Target {
                    webhook_url,
                    ..Target::default()
                },
                bridge_on_answer: true,
                ..NewCall::default()
            }))
        }
        "client_state_update" => {
            if opt_str(b, "client_state")?.is_none() {
                return Err(ApiError::missing("client_state"));
            }
            Cmd::ClientStateUpdate
        }
        _ => return Err(ApiError::not_found("action")),
    })
}

async fn action(
    State(inner): S,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    match run_action(&inner, &id, &action, &bytes) {
        Ok(()) => ok(),
        Err(e) => e.into_response(),
    }
}

fn run_action(inner: &Arc<Core>, id: &str, action: &str, bytes: &Bytes) -> ApiResult<()> {
    if !ACTIONS.contains(&action) {
        return Err(ApiError::not_found("action").at("action"));
    }
    let b = parse_body(bytes)?;
    let command_id = opt_str(&b, "command_id")?;
    let mut new_state = client_state(&b, "client_state")?;
    if inner
        .is_repeat(id, command_id.as_deref())
        .map_err(refused)?
    {
        // A repeat within the window is acknowledged and ignored.
        return Ok(());
    }
    let cmd = validate(action, &b)?;
    if action == "client_state_update" {
        new_state = opt_str(&b, "client_state")?;
    }
    inner
        .execute(id, cmd, command_id, new_state)
        .map_err(refused)
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::UnknownCall => ApiError::unknown_call(),
        Refusal::CallEnded => ApiError::call_ended(),
        Refusal::NotAnswered => ApiError::not_answered(),
        Refusal::BridgeWithItself => {
            ApiError::invalid_value("call_control_id", "A call cannot be bridged with itself.")
        }
    }
}

// ---------- recordings ----------

fn recording_json(inner: &Core, r: &Recording) -> Value {
    json!({
        "id": r.id,
        "record_type": "recording",
        "call_control_id": r.call_control_id,
        "call_leg_id": r.call_leg_id,
        "call_session_id": r.call_session_id,
        "conference_id": null,
        "connection_id": r.connection_id,
        "channels": r.channels,
        "duration_millis": r.duration_ms,
        "download_urls": {r.format.clone(): inner.recording_url(&r.id, &r.format)},
        "from": r.from,
        "to": r.to,
        "initiated_by": r.initiated_by,
        "source": "call",
        "status": "completed",
        "recording_started_at": rfc3339(r.started_at),
        "recording_ended_at": rfc3339(r.ended_at),
        "created_at": rfc3339(r.ended_at),
        "updated_at": rfc3339(r.ended_at),
    })
}

pub fn page_params(q: &HashMap<String, String>) -> ApiResult<(usize, usize)> {
    let num = |k: &str, d: usize, max: usize| -> ApiResult<usize> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(
                    ApiError::out_of_range(k, format!("{k} must be between 1 and {max}.")).param(k),
                ),
            },
        }
    };
    let mut e = num("page[number]", 1, usize::MAX)?;
    let size = num("page[size]", 20, 250)?;
    e = e.max(1);
    Ok((e, size))
}

pub fn paged(items: Vec<Value>, page: usize, size: usize) -> Value {
    let total = items.len();
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    json!({
        "data": data,
        "meta": {
            "page_number": page,
            "page_size": size,
            "total_pages": total.div_ceil(size),
            "total_results": total,
        }
    })
}

async fn list_recordings(
    State(inner): S,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let (page, size) = page_params(&q)?;
    let st = inner.lock();
    let mut recs: Vec<&Recording> = st
        .recordings
        .values()
        .filter(|r| {
            [
                ("filter[call_control_id]", &r.call_control_id),
                ("filter[call_leg_id]", &r.call_leg_id),
                ("filter[call_session_id]", &r.call_session_id),
                ("filter[from]", &r.from),
                ("filter[to]", &r.to),
            ]
            .iter()
            .all(|(k, v)| q.get(*k).is_none_or(|f| f == *v))
        })
        .collect();
    recs.sort_by_key(|r| r.ended_at);
    let items = recs
        .into_iter()
        .map(|r| recording_json(&inner, r))
        .collect();
    Ok(axum::Json(paged(items, page, size)))
}

async fn get_recording(State(inner): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let st = inner.lock();
    let r = st
        .recordings
        .get(&id)
        .ok_or_else(|| ApiError::not_found("recording"))?;
    Ok(axum::Json(json!({"data": recording_json(&inner, r)})))
}

async fn delete_recording(State(inner): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let r = inner
        .lock()
        .recordings
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("recording"))?;
    let mut data = recording_json(&inner, &r);
    data["status"] = json!("deleted");
    data["download_urls"] = json!({});
    Ok(axum::Json(json!({ "data": data })))
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Serves a recording like a pre-signed S3 object: no Authorization header allowed, the
/// signature must match and the link must not have expired.
async fn storage(
    State(inner): S,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        );
    }
    let (Some(exp), Some(sig)) = (q.get("X-Emulator-Expires-At"), q.get("X-Amz-Signature")) else {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Query-string authentication requires the Signature and Expires parameters",
        );
    };
    if inner.sign_hex(&format!("{file}|{exp}")) != *sig {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if exp.parse::<i64>().unwrap_or(0) < Utc::now().timestamp_millis() {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let Some((id, ext)) = file.rsplit_once('.') else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let rec = inner.lock().recordings.get(id).cloned();
    let Some(rec) = rec.filter(|r| r.format == ext) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let channels = if rec.channels == "dual" { 2 } else { 1 };
    let (ctype, bytes) = if ext == "wav" {
        ("audio/wav", audio::wav(rec.duration_ms, channels))
    } else {
        ("audio/mpeg", audio::mp3(rec.duration_ms, channels))
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], bytes).into_response()
}
