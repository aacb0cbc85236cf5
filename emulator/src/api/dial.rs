//! `POST /v2/calls` (Dial) and `GET /v2/calls/{id}` (status read), §1 of the reference.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::S;
use super::body::{
    Amd, AudioFormat, Channels, Check, CustomHeaders, Field, Int, RetryPolicies, Track, UrlMap,
    Wire, choice, is_dtmf, is_http_url, json_object, validate,
};
use crate::config::{ChaosConfig, EmulatorConfig};
use crate::error::{ApiError, ApiResult};
use crate::events::Target;
use crate::state::{Core, NewCall, RecordSpec};
use crate::time::rfc3339;

choice!(RecordMode { FromAnswer = "record-from-answer" });
choice!(HttpMethod { Post = "POST", Get = "GET" });
choice!(MediaEncryption { Disabled = "disabled", Srtp = "SRTP", Dtls = "DTLS" });
choice!(SipTransport { Udp = "UDP", Tcp = "TCP", Tls = "TLS" });
choice!(Park { OnSelf = "self" });

/// `to`: one destination, or a list of which the emulator dials the first.
#[derive(Debug, Default)]
pub struct Destination(pub String);

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(Destination(match Raw::deserialize(d)? {
            Raw::One(s) => s,
            Raw::Many(v) => v.into_iter().next().unwrap_or_default(),
        }))
    }
}

impl Wire for Destination {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, format!("'{field}' must be a string."))
    }

    fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

/// The ring and call timers and AMD, which a dial and a transfer both take.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Timers {
    timeout_secs: Field<Int>,
    time_limit_secs: Field<Int>,
    answering_machine_detection: Field<Amd>,
}

impl Timers {
    /// `(timeout_secs, time_limit_secs, AMD mode)` with Telnyx's defaults.
    pub fn check(self, c: &mut Check) -> (u64, u64, Option<String>) {
        let timeout = c.int("timeout_secs", self.timeout_secs, 5, 600);
        let limit = c.int("time_limit_secs", self.time_limit_secs, 30, 14400);
        let amd = c.opt(
            "answering_machine_detection",
            self.answering_machine_detection,
        );
        (
            timeout.unwrap_or(30) as u64,
            limit.unwrap_or(14400) as u64,
            amd.and_then(Amd::mode),
        )
    }
}

/// `custom_headers`, and the emulator's own `X-Emulator-Chaos` among them: `Some` when the
/// dial sets chaos for its call.
pub fn custom_headers(
    c: &mut Check,
    f: Field<CustomHeaders>,
) -> (Value, Option<Option<ChaosConfig>>) {
    let headers = c.opt("custom_headers", f).unwrap_or_default();
    let mut chaos = None;
    for h in &headers.0 {
        if h.name.eq_ignore_ascii_case("X-Emulator-Chaos") {
            match ChaosConfig::parse(&h.value) {
                Ok(parsed) => chaos = Some(parsed),
                Err(e) => c.fail(
                    "custom_headers",
                    ApiError::invalid_value("custom_headers", e),
                ),
            }
        }
    }
    (json!(headers), chaos)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DialBody {
    command_id: Field<String>,
    #[serde(flatten)]
    ends: Ends,
    from_display_name: Field<String>,
    client_state: Field<String>,
    send_digits_on_answer: Field<String>,
    media_encryption: Field<MediaEncryption>,
    sip_transport_protocol: Field<SipTransport>,
    retry_on_timeout: Field<bool>,
    #[serde(flatten)]
    timers: Timers,
    #[serde(flatten)]
    recording: Recording,
    #[serde(flatten)]
    hooks: Hooks,
    custom_headers: Field<CustomHeaders>,
    #[serde(flatten)]
    link: Link,
}

/// The three required fields: which application, to whom, from which number.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ends {
    connection_id: Field<String>,
    to: Field<Destination>,
    from: Field<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Recording {
    record: Field<RecordMode>,
    record_format: Field<AudioFormat>,
    record_channels: Field<Channels>,
    record_track: Field<Track>,
    record_max_length: Field<Int>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Hooks {
    webhook_url: Field<String>,
    webhook_url_method: Field<HttpMethod>,
    webhook_urls: Field<UrlMap>,
    webhook_retries_policies: Field<RetryPolicies>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Link {
    link_to: Field<String>,
    bridge_intent: Field<bool>,
    bridge_on_answer: Field<bool>,
    park_after_unbridge: Field<Park>,
}

/// A dial whose body is valid; what is left to check needs the calls.
struct Dial {
    command_id: Option<String>,
    spec: NewCall,
    /// `Some` when the dial's custom headers set chaos for this call.
    chaos: Option<Option<ChaosConfig>>,
    bridge_intent: bool,
}

impl DialBody {
    fn check(self, c: &mut Check, config: &EmulatorConfig) -> Dial {
        let command_id = c.opt("command_id", self.command_id);
        let (to, from) = self.ends.check(c, config);
        let client_state = c.base64("client_state", self.client_state);
        let (timeout_secs, time_limit_secs, amd) = self.timers.check(c);
        let retry_on_timeout = c.opt("retry_on_timeout", self.retry_on_timeout);
        let record = self.recording.check(c);
        c.opt("sip_transport_protocol", self.sip_transport_protocol);
        let from_display_name = display_name(c, self.from_display_name);
        send_digits(c, self.send_digits_on_answer);
        let encrypted = c
            .opt("media_encryption", self.media_encryption)
            .is_some_and(|m| m != MediaEncryption::Disabled);
        if encrypted && to.as_ref().is_some_and(|t| !t.starts_with("sip:")) {
            c.fail("media_encryption", pstn_encryption());
        }
        let target = self.hooks.check(c, config);
        let (custom_headers, chaos) = custom_headers(c, self.custom_headers);
        let (link_to, bridge_intent, bridge_on_answer, park_after_unbridge) = self.link.check(c);
        let spec = NewCall {
            from: from.unwrap_or_default(),
            to: to.unwrap_or_default(),
            from_display_name,
            client_state,
            timeout_secs,
            retry_on_timeout: retry_on_timeout.unwrap_or(true),
            time_limit_secs,
            amd,
            record,
            custom_headers,
            target,
            chaos: None,
            link_to,
            bridge_on_answer,
            park_after_unbridge,
            ..NewCall::default()
        };
        Dial {
            command_id,
            spec,
            chaos,
            bridge_intent,
        }
    }
}

impl Ends {
    /// `(to, from)`; the connection must be the emulator's one application.
    fn check(self, c: &mut Check, config: &EmulatorConfig) -> (Option<String>, Option<String>) {
        let connection_id = c.req("connection_id", self.connection_id);
        let ours = connection_id.is_none_or(|id| id == config.connection_id);
        c.rule("connection_id", ours, || {
            ApiError::invalid_value(
                "connection_id",
                "The connection_id is not a Call Control application with a webhook URL.",
            )
        });
        let to = c.req("to", self.to).map(|d| d.0);
        let to = c.destination("to", to);
        let from = c.req("from", self.from);
        (to, c.phone("from", from))
    }
}

fn send_digits(c: &mut Check, f: Field<String>) {
    if let Some(d) = c.opt("send_digits_on_answer", f) {
        c.rule(
            "send_digits_on_answer",
            d.len() <= 64 && is_dtmf(&d),
            || ApiError::invalid_value("send_digits_on_answer", "At most 64 of 0-9 A-D * # w W."),
        );
    }
}

fn display_name(c: &mut Check, f: Field<String>) -> Option<String> {
    let d = c.opt("from_display_name", f)?;
    let ok = d.chars().count() <= 128;
    c.rule("from_display_name", ok, || {
        ApiError::out_of_range(
            "from_display_name",
            "'from_display_name' must be at most 128 characters.",
        )
    });
    ok.then_some(d)
}

fn pstn_encryption() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "10011",
        "Media encryption not supported for PSTN calls",
        "SRTP/DTLS can only be used with SIP URI destinations.",
    )
    .at("media_encryption")
}

impl Recording {
    fn check(self, c: &mut Check) -> Option<RecordSpec> {
        let record = c.opt("record", self.record);
        let format = c.opt("record_format", self.record_format);
        let channels = c.opt("record_channels", self.record_channels);
        c.opt("record_track", self.record_track);
        c.int("record_max_length", self.record_max_length, 0, 43200);
        record.map(|_| RecordSpec {
            recording_id: uuid::Uuid::new_v4().to_string(),
            format: format.unwrap_or(AudioFormat::Mp3).as_str().into(),
            channels: channels.unwrap_or(Channels::Dual).as_str().into(),
            initiated_by: "OutboundAPI",
        })
    }
}

impl Hooks {
    /// Where the call's webhooks go; refused when neither the dial nor the application
    /// names a URL.
    fn check(self, c: &mut Check, config: &EmulatorConfig) -> Target {
        let webhook_url = c.url("webhook_url", self.webhook_url);
        c.opt("webhook_url_method", self.webhook_url_method);
        let per_event = c
            .opt("webhook_urls", self.webhook_urls)
            .unwrap_or_default()
            .0;
        c.rule(
            "webhook_urls",
            per_event.values().all(|u| is_http_url(u)),
            || ApiError::invalid_value("webhook_urls", "Values must be http(s) URLs."),
        );
        let policies = c.opt("webhook_retries_policies", self.webhook_retries_policies);
        let retries = policies.unwrap_or_default().0;
        let within = retries
            .values()
            .all(|p| p.retries_ms.len() <= 5 && p.retries_ms.iter().sum::<u64>() <= 60_000);
        c.rule("webhook_retries_policies", within, || {
            ApiError::out_of_range(
                "webhook_retries_policies",
                "At most 5 retries adding up to at most 60000 ms.",
            )
        });
        let named = webhook_url.is_some()
            || !per_event.is_empty()
            || c.failed("webhook_url")
            || c.failed("webhook_urls");
        c.rule(
            "connection_id",
            named || config.app_webhook_url.is_some(),
            || {
                ApiError::invalid_value(
                    "connection_id",
                    "The Call Control application has no webhook URL and the dial gave none.",
                )
            },
        );
        Target {
            webhook_url,
            failover_url: None,
            per_event: per_event.into_iter().collect(),
            retries: retries
                .into_iter()
                .map(|(k, p)| (k, p.retries_ms))
                .collect(),
        }
    }
}

impl Link {
    /// `(link_to, bridge_intent, bridge_on_answer, park_after_unbridge)`; the last three
    /// need `link_to`.
    fn check(self, c: &mut Check) -> (Option<String>, bool, bool, bool) {
        let link_to = c.opt("link_to", self.link_to);
        let intent = c.opt("bridge_intent", self.bridge_intent).unwrap_or(false);
        let on_answer = c
            .opt("bridge_on_answer", self.bridge_on_answer)
            .unwrap_or(false);
        let park = c
            .opt("park_after_unbridge", self.park_after_unbridge)
            .is_some();
        if (intent || on_answer || park) && link_to.is_none() {
            c.fail("link_to", ApiError::missing("link_to"));
        }
        (link_to, intent, on_answer, park)
    }
}

pub async fn dial(State(core): S, bytes: Bytes) -> Response {
    let (limit, remaining, reset) = match rate_limit(&core) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let mut resp = match place(&core, &bytes) {
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
fn rate_limit(core: &Core) -> ApiResult<(u64, u64, u64)> {
    let window = core.config.dial_rate_window;
    let per_sec = core.config.dial_rate_limit_per_sec;
    let limit = ((per_sec as f64) * window.as_secs_f64()).round() as u64;
    let mut st = core.lock();
    let now = Instant::now();
    while st
        .dial_times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        st.dial_times.pop_front();
    }
    let used = st.dial_times.len() as u64;
    let reset = st.dial_times.front().map_or(0, |t| {
        let left = window.saturating_sub(now.duration_since(*t));
        left.as_secs_f64().ceil() as u64
    });
    if used >= limit {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "90103",
            "Dial rate limit exceeded",
            format!(
                "Outbound dials are limited to {per_sec} per second averaged over {} seconds.",
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

/// Validates the dial, answers a repeated `command_id` with the first answer, resolves
/// `link_to`, and creates the leg.
fn place(core: &Arc<Core>, bytes: &Bytes) -> ApiResult<Value> {
    let body = json_object(bytes)?;
    let dial = validate(&body, |b: DialBody, c| b.check(c, &core.config))?;
    if let Some(cid) = &dial.command_id {
        let window = core.config.command_id_window;
        let mut st = core.lock();
        st.dial_dedup.retain(|_, (_, t)| t.elapsed() < window);
        if let Some((resp, _)) = st.dial_dedup.get(cid) {
            return Ok(resp.clone());
        }
    }
    let mut spec = dial.spec;
    {
        let mut st = core.lock();
        spec.chaos = dial.chaos.unwrap_or_else(|| st.chaos.clone());
        if let Some(l) = &spec.link_to {
            let linked = core
                .live_call(&mut st, l)
                .filter(|c| c.is_alive())
                .ok_or_else(|| ApiError::unknown_call().at("link_to"))?;
            if dial.bridge_intent {
                spec.from = linked.spec.from.clone();
            }
        }
    }
    let recording_id = spec.record.as_ref().map(|r| r.recording_id.clone());
    let client_state = spec.client_state.clone();
    let ids = core.create_call(spec);
    let mut data = json!({
        "call_control_id": ids.call_control_id,
        "call_leg_id": ids.call_leg_id,
        "call_session_id": ids.call_session_id,
        "client_state": client_state,
        "is_alive": false,
        "record_type": "call",
    });
    if let Some(r) = recording_id {
        data["recording_id"] = json!(r);
    }
    let resp = json!({ "data": data });
    if let Some(cid) = dial.command_id {
        let entry = (resp.clone(), Instant::now());
        core.lock().dial_dedup.insert(cid, entry);
    }
    Ok(resp)
}

pub async fn get_call(State(core): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let mut st = core.lock();
    let c = core
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
