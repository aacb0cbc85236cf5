//! Harness: an emulator on 127.0.0.1:0, a webhook receiver on another port, and waits with
//! deadlines.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

/// Fast enough that a 30 s ring timeout takes 0.6 s.
pub const SCALE: f64 = 0.02;
pub const WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct Hook {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
    pub json: Value,
}

impl Hook {
    pub fn event_type(&self) -> &str {
        self.json["data"]["event_type"].as_str().unwrap_or_default()
    }
    pub fn payload(&self) -> &Value {
        &self.json["data"]["payload"]
    }
    pub fn id(&self) -> &str {
        self.json["data"]["id"].as_str().unwrap_or_default()
    }
    pub fn attempt(&self) -> u64 {
        self.json["meta"]["attempt"].as_u64().unwrap_or(0)
    }
    /// Which receiver path got it (`/hook`, `/fail`, ...).
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn ccid(&self) -> &str {
        self.payload()["call_control_id"]
            .as_str()
            .unwrap_or_default()
    }
}

#[derive(Clone, Default)]
struct RxState {
    hooks: Arc<Mutex<Vec<Hook>>>,
    flaky_failures: Arc<AtomicU32>,
}

/// Receives webhooks. Paths: `/hook` 200, `/fail` 500, `/flaky` 500 for the first
/// `flaky_failures` requests then 200, `/slow` answers after 2 s, `/failover` 200.
#[derive(Clone)]
pub struct Receiver {
    st: RxState,
    pub base: String,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let st = RxState::default();
        let app = Router::new()
            .route("/{kind}", post(receive))
            .with_state(st.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { st, base }
    }

    pub fn url(&self, kind: &str) -> String {
        format!("{}/{kind}", self.base)
    }

    pub fn set_flaky_failures(&self, n: u32) {
        self.st.flaky_failures.store(n, Ordering::SeqCst);
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.st.hooks.lock().unwrap().clone()
    }

    pub fn for_call(&self, ccid: &str) -> Vec<Hook> {
        self.hooks()
            .into_iter()
            .filter(|h| h.ccid() == ccid)
            .collect()
    }

    pub fn types(&self, ccid: &str) -> Vec<String> {
        self.for_call(ccid)
            .iter()
            .map(|h| h.event_type().to_string())
            .collect()
    }

    /// The digits of the call's `call.dtmf.received` events, in arrival order.
    pub fn digits(&self, ccid: &str) -> Vec<String> {
        self.for_call(ccid)
            .iter()
            .filter(|h| h.event_type() == "call.dtmf.received")
            .map(|h| {
                h.payload()["digit"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// Waits until the call has an event of this type; returns it.
    pub async fn wait_event(&self, ccid: &str, event_type: &str) -> Hook {
        eventually(&format!("{event_type} for {ccid}"), || {
            self.for_call(ccid)
                .into_iter()
                .find(|h| h.event_type() == event_type)
        })
        .await
    }
}

async fn receive(
    State(st): State<RxState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let text = String::from_utf8_lossy(&body).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    st.hooks.lock().unwrap().push(Hook {
        path: format!("/{kind}"),
        headers,
        body: text,
        json,
    });
    match kind.as_str() {
        "fail" => StatusCode::INTERNAL_SERVER_ERROR,
        "flaky" => {
            let left = st.flaky_failures.load(Ordering::SeqCst);
            if left > 0 {
                st.flaky_failures.store(left - 1, Ordering::SeqCst);
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            StatusCode::OK
        }
        _ => StatusCode::OK,
    }
}

pub async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn test_config() -> EmulatorConfig {
    EmulatorConfig {
        time_scale: SCALE,
        webhook_retry_base: Duration::from_millis(100),
        ..EmulatorConfig::default()
    }
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Emulator::start(config, listener).await.unwrap()
}

pub struct Api {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub rx: Receiver,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.json["errors"][0]["code"].as_str().unwrap_or_default()
    }
    pub fn pointer(&self) -> &str {
        self.json["errors"][0]["source"]["pointer"]
            .as_str()
            .unwrap_or_default()
    }
    pub fn data(&self) -> &Value {
        &self.json["data"]
    }
}

impl Api {
    pub async fn new() -> Api {
        Api::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut EmulatorConfig)) -> Api {
        let rx = Receiver::start().await;
        let mut c = test_config();
        f(&mut c);
        Api {
            emu: start(c).await,
            http: reqwest::Client::new(),
            rx,
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let url = format!("{}{path}", self.emu.base_url());
        let mut req = self
            .http
            .request(method.parse().unwrap(), url)
            .bearer_auth(&self.emu.config().api_key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Resp {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None).await
    }

    pub fn dial_body(&self, to: &str, extra: Value) -> Value {
        let mut b = json!({
            "connection_id": self.emu.config().connection_id,
            "to": to,
            "from": "+13125550201",
            "webhook_url": self.rx.url("hook"),
        });
        if let Value::Object(m) = extra {
            for (k, v) in m {
                b[k] = v;
            }
        }
        b
    }

    /// Dials and returns the call_control_id (asserting a 200).
    pub async fn dial(&self, to: &str, extra: Value) -> String {
        let r = self.post("/calls", self.dial_body(to, extra)).await;
        assert_eq!(r.status, 200, "dial failed: {}", r.json);
        r.data()["call_control_id"].as_str().unwrap().to_string()
    }

    pub async fn action(&self, ccid: &str, action: &str, body: Value) -> Resp {
        self.post(&format!("/calls/{ccid}/actions/{action}"), body)
            .await
    }

    /// A `/emulator/...` test control: `(status, JSON answer)`.
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/emulator/{path}", self.emu.root_url());
        let mut req = self.http.request(method.parse().unwrap(), url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits for `call.hangup` and then for the call's queue to be fully delivered.
    pub async fn wait_hangup(&self, ccid: &str) -> Hook {
        self.rx.wait_event(ccid, "call.hangup").await
    }
}
