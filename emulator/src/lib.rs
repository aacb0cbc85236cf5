//! A Telnyx Call Control v2 emulator: the REST API a dialer calls, signed webhooks with
//! Telnyx's delivery semantics, callee scenarios chosen by destination number, recordings,
//! numbers, and test controls under `/emulator`. See README.md for the behaviour table.

mod api;
mod api_numbers;
mod audio;
mod config;
mod control;
mod error;
mod numbers;
mod scenario;
mod state;
mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub use config::{
    ChaosConfig, ConfigError, DEFAULT_API_KEY, DEFAULT_CONNECTION_ID, EmulatorConfig,
};
pub use numbers::SEEDED_OWNED;
pub use scenario::{Scenario, Step, builtin as builtin_scenario, magic_key};
pub use state::{CallSnapshot, CallState, RecordedRequest};
pub use webhook::Delivery;

use state::Inner;

/// Shared state behind the HTTP server; what [`router`] is built from.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// State for a server reachable at `public_base_url` (e.g. `http://127.0.0.1:4010`).
    pub fn new(config: EmulatorConfig, public_base_url: &str) -> AppState {
        let base = config
            .public_base_url
            .clone()
            .unwrap_or_else(|| public_base_url.trim_end_matches('/').to_string());
        AppState(Arc::new(Inner::new(config, base)))
    }
}

/// The whole emulator as one axum router: `/v2/...`, `/storage/...`, `/emulator/...`.
pub fn router(state: AppState) -> axum::Router {
    let inner = state.0;
    axum::Router::new()
        .merge(api::v2_router(inner.clone()))
        .merge(api::storage_router())
        .merge(control::router())
        .with_state(inner)
}

/// Clone-able handle on a running emulator.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl Emulator {
    /// Serves on `listener` in the background and returns at once.
    pub async fn start(
        config: EmulatorConfig,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<Emulator> {
        let addr: SocketAddr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        let state = AppState::new(config, &format!("http://{host}"));
        let inner = state.0.clone();
        let app = router(state);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        Ok(Emulator { inner })
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Emulator {
        Emulator { inner }
    }

    /// What `TELNYX_API_BASE` should be set to, e.g. `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("{}/v2", self.inner.public_base)
    }

    /// Root of the server (without `/v2`), where `/emulator/...` lives.
    pub fn root_url(&self) -> String {
        self.inner.public_base.clone()
    }

    /// A hold-music file this emulator serves publicly (for `HOLD_MUSIC_URL` in demos).
    pub fn hold_music_url(&self) -> String {
        format!("{}/media/hold-music.wav", self.inner.public_base)
    }

    /// The webhook signing public key (32 raw bytes, base64): `TELNYX_PUBLIC_KEY`.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.inner.signing_key.verifying_key().to_bytes())
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// Every `/v2` request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every webhook delivery attempt, in the order they completed.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.clone()
    }

    /// Forgets recorded requests and deliveries, `command_id`s and the dial-rate window.
    /// Calls in progress continue.
    pub fn reset(&self) {
        let mut st = self.inner.lock();
        st.requests.clear();
        st.deliveries.clear();
        st.dial_dedup.clear();
        st.dial_times.clear();
        for c in st.calls.values_mut() {
            c.command_ids.clear();
        }
    }

    pub fn calls(&self) -> Vec<CallSnapshot> {
        self.inner.snapshots()
    }

    pub fn call(&self, call_control_id: &str) -> Option<CallSnapshot> {
        self.inner.snapshot(call_control_id)
    }

    /// The callee hangs up a live call (`normal_clearing`, source `callee`). False if the call
    /// is unknown or already ended.
    pub fn hangup_by_callee(&self, call_control_id: &str) -> bool {
        self.inner
            .end_call(call_control_id, "normal_clearing", "callee", "200")
    }

    /// The far end ends the call with any cause (e.g. `user_busy`/`486` while ringing).
    pub fn hangup_with(&self, call_control_id: &str, cause: &str, source: &str, sip: &str) -> bool {
        self.inner.end_call(call_control_id, cause, source, sip)
    }

    /// The callee picks up a ringing call now.
    pub fn answer(&self, call_control_id: &str) -> bool {
        self.inner.answer(call_control_id)
    }

    /// The callee presses keys: one `call.dtmf.received` per digit. False unless answered.
    pub fn press_dtmf(&self, call_control_id: &str, digits: &str) -> bool {
        self.inner.callee_dtmf(call_control_id, digits)
    }

    /// Scripts the callee for dials to `number` (exact E.164), overriding the table.
    pub fn set_scenario(&self, number: &str, scenario: Scenario) {
        self.inner
            .lock()
            .scripts
            .insert(number.to_string(), scenario);
    }

    pub fn clear_scenario(&self, number: &str) {
        self.inner.lock().scripts.remove(number);
    }

    /// Chaos for calls dialled from now on (`None` turns it off).
    pub fn set_chaos(&self, chaos: Option<ChaosConfig>) {
        self.inner.lock().chaos = chaos;
    }

    /// Signs `timestamp|body` with the emulator's key, as a webhook would be signed.
    pub fn sign(&self, timestamp: i64, body: &str) -> String {
        webhook::sign(&self.inner.signing_key, timestamp, body)
    }
}
