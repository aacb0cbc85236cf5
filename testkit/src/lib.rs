//! Test support: real adapters wherever possible (an in-memory SQLite store, the Telnyx emulator
//! on a loopback port), plus a request helper for routers called in-process.

pub mod edge;
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use emulator::EmulatorConfig;
use http_body_util::BodyExt;
use ports::Secret;
use ports::{Clock, EventQueue, QueueError, QueuedEvent};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store_sqlite::SqliteStore;
use telnyx::TelnyxHttp;
use tower::ServiceExt;

pub use emulator::Emulator;

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Answer {
    /// The problem `code` of an error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// Sends one request to a router in-process.
pub async fn call(router: &Router, method: Method, uri: &str, body: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Body::from(body.unwrap_or_default().to_string()))
        .expect("request builds");
    send(router, request).await
}

pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("routers are infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body reads")
        .to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer {
        status,
        content_type,
        body,
    }
}

/// A clock the test sets.
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(t)))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A queue that keeps what it is sent, and can be switched off to simulate an outage.
#[derive(Default)]
pub struct CollectingQueue {
    pub sent: Mutex<Vec<QueuedEvent>>,
    pub down: std::sync::atomic::AtomicBool,
}

impl CollectingQueue {
    pub fn sent(&self) -> Vec<QueuedEvent> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl EventQueue for CollectingQueue {
    async fn send(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(QueueError::Unavailable("switched off by the test".into()));
        }
        self.sent.lock().unwrap().push(event.clone());
        Ok(())
    }
}

/// The Telnyx emulator on a free loopback port, fast-forwarded for tests.
pub async fn emulator(app_webhook_url: Option<String>) -> Emulator {
    let config = EmulatorConfig {
        time_scale: 0.05,
        app_webhook_url,
        ..EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback port");
    Emulator::start(config, listener)
        .await
        .expect("emulator starts")
}

/// Our real Telnyx client pointed at the emulator.
pub fn telnyx_client(emulator: &Emulator) -> Arc<TelnyxHttp> {
    Arc::new(
        TelnyxHttp::new(
            &emulator.base_url(),
            Secret::new(emulator.config().api_key.clone()),
            emulator.config().connection_id.clone(),
            None,
        )
        .expect("emulator URL parses"),
    )
}

/// The wiring a test builds functions from, as the local stack does: the emulator stands in for
/// Telnyx and `store` serves every port and keeps the secrets.
pub fn wiring(emulator: &Emulator, store: &SqliteStore) -> wiring::Wiring {
    let mut config = wiring::Config::default();
    config.telnyx_api_base = emulator.base_url();
    config.telnyx_api_key = Secret::new(emulator.config().api_key.clone());
    config.telnyx_connection_id = emulator.config().connection_id.clone();
    config.telnyx_public_key = emulator.public_key_base64();
    config.session_secret = Some(Secret::new(
        "testkit-session-secret-of-at-least-32-characters",
    ));
    wiring::Wiring::new(config).with_embedded(Arc::new(store.clone()))
}

pub fn memory_store() -> SqliteStore {
    SqliteStore::in_memory().expect("in-memory SQLite opens")
}

/// Polls `check` until it returns `Some`, failing the test after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if start.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A commander sending through `telnyx` and keeping commands in `store`.
pub fn commander(
    telnyx: Arc<dyn ports::CallControl>,
    store: &SqliteStore,
) -> ::edge::commands::Commander {
    ::edge::commands::Commander {
        telnyx,
        log: Arc::new(store.clone()),
        clock: Arc::new(ports::SystemClock),
    }
}

/// A response whose headers matter (redirects): status, headers, body text.
pub struct RawAnswer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send_raw(router: &Router, method: Method, uri: &str) -> RawAnswer {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .expect("request builds");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("routers are infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body reads")
        .to_bytes();
    RawAnswer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The account's owned numbers, read from the emulator's `/v2/phone_numbers` through our real
/// client and cache (what the dial path uses in production).
pub fn owned_numbers(emulator: &Emulator) -> Arc<telnyx::numbers::CachedInventory> {
    Arc::new(telnyx::numbers::CachedInventory::new(
        telnyx_client(emulator),
        Duration::from_secs(60),
    ))
}

/// A call placed through the emulator with our Telnyx client and stored as the dial function
/// leaves it (Telnyx ids known, nothing heard back yet).
pub async fn place_call(
    store: &SqliteStore,
    telnyx: &TelnyxHttp,
    to: &str,
    record: bool,
) -> domain::Call {
    use ports::{CallControl, CallStore, DialCommand};
    let number = |n: &str| domain::PhoneNumber::parse(n, "US").expect("test numbers parse");
    let now = Utc::now();
    let mut call = domain::Call::new(
        domain::CallId::new_at(now),
        number("+13125550201"),
        number(to),
        None,
        now,
    );
    call.recording_requested = record;
    call.recording_active = record;
    let leg = telnyx
        .dial(&DialCommand {
            to: call.to.to_string(),
            from: call.from.clone(),
            call_id: call.id,
            command_id: call.id.to_string(),
            timeout_secs: 30,
            time_limit_secs: 600,
            record,
            record_format: Default::default(),
            record_channels: Default::default(),
            leg: domain::Leg::Customer,
            link_to: None,
            bridge_on_answer: false,
            detect_machine: false,
        })
        .await
        .expect("the emulator accepts the dial");
    call.telnyx = Some(leg);
    store.insert(&call).await.expect("call stored");
    call
}

/// A Telnyx webhook body about one of our calls (its id in `client_state`), as Telnyx sends it
/// for the leg `leg`; `extra` fields join the payload.
pub fn telnyx_envelope(
    id: &str,
    kind: &str,
    occurred_at: DateTime<Utc>,
    call: domain::CallId,
    leg: &str,
    extra: Value,
) -> String {
    let mut payload = serde_json::json!({
        "call_control_id": leg,
        "call_leg_id": "leg",
        "call_session_id": "session",
        "connection_id": "1",
        "client_state": telnyx::client_state::encode(call),
        "from": "+13125550201",
        "to": "+12125550100",
    });
    if let (Some(payload), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        payload.extend(extra.clone());
    }
    serde_json::json!({
        "data": {"record_type": "event", "event_type": kind, "id": id,
                 "occurred_at": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                 "payload": payload},
        "meta": {"attempt": 1, "delivered_to": "http://localhost/api/webhooks/telnyx"}
    })
    .to_string()
}

/// The callee hanging up with `cause`, as the processor reads Telnyx's `call.hangup`.
pub fn hangup(cause: &str) -> domain::CallEventKind {
    domain::CallEventKind::Hangup {
        cause: cause.into(),
        source: Some("callee".into()),
        sip_code: None,
        start_time: None,
        end_time: None,
    }
}

/// A signed-in agent as the access layer hands it to a use case, calling from `AGENT_ADDRESS`.
pub fn agent_user(id: &str) -> ::edge::auth::CurrentUser {
    ::edge::auth::CurrentUser {
        id: id.into(),
        email: format!("{id}@example.test"),
        role: domain::user::Role::Agent,
        token_id: format!("token-{id}"),
        token_expires: i64::MAX,
        address: AGENT_ADDRESS.into(),
    }
}

/// Where `agent_user`'s requests come from (a documentation address).
pub const AGENT_ADDRESS: &str = "198.51.100.7";
