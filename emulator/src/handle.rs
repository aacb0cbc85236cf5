//! [`Emulator`]: the handle a test or the local stack holds on a running emulator, and the
//! state every HTTP handler is given.

use std::sync::Arc;

use axum::extract::FromRef;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::{ChaosConfig, EmulatorConfig};
use crate::scenario::Scenario;
use crate::state::{CallSnapshot, Core, RecordedRequest};
use crate::webhook::{self, Delivery, Webhooks};

/// Clone-able handle on a running emulator.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) core: Arc<Core>,
    pub(crate) webhooks: Webhooks,
}

impl FromRef<Emulator> for Arc<Core> {
    fn from_ref(emu: &Emulator) -> Arc<Core> {
        emu.core.clone()
    }
}

impl Emulator {
    /// The switch and its webhook sender, wired through the event port, for a server
    /// reachable at `public_base` (e.g. `http://127.0.0.1:4010`).
    pub(crate) fn wire(config: EmulatorConfig, public_base: String) -> Emulator {
        let webhooks = Webhooks::new(&config);
        let core = Arc::new(Core::new(config, public_base, Arc::new(webhooks.clone())));
        Emulator { core, webhooks }
    }

    /// What `TELNYX_API_BASE` should be set to, e.g. `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("{}/v2", self.core.public_base)
    }

    /// Root of the server (without `/v2`), where `/emulator/...` lives.
    pub fn root_url(&self) -> String {
        self.core.public_base.clone()
    }

    /// A hold-music file this emulator serves publicly (for `HOLD_MUSIC_URL` in demos).
    pub fn hold_music_url(&self) -> String {
        format!("{}/media/hold-music.wav", self.core.public_base)
    }

    /// The webhook signing public key (32 raw bytes, base64): `TELNYX_PUBLIC_KEY`.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.core.signing_key.verifying_key().to_bytes())
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.core.config
    }

    /// Every `/v2` request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.core.lock().requests.clone()
    }

    /// Every webhook delivery attempt, in the order they completed.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.webhooks.deliveries()
    }

    /// Forgets recorded requests and deliveries, `command_id`s, the dial-rate window, the
    /// fault log and what the account limits have counted. Calls in progress continue.
    pub fn reset(&self) {
        let mut st = self.core.lock();
        st.requests.clear();
        self.webhooks.forget_deliveries();
        st.dial_dedup.clear();
        st.dial_times.clear();
        st.limit_use = Default::default();
        st.fault_log.clear();
        for c in st.calls.values_mut() {
            c.command_ids.clear();
        }
    }

    pub fn calls(&self) -> Vec<CallSnapshot> {
        self.core.snapshots()
    }

    pub fn call(&self, call_control_id: &str) -> Option<CallSnapshot> {
        self.core.snapshot(call_control_id)
    }

    /// The callee hangs up a live call (`normal_clearing`, source `callee`). False if the call
    /// is unknown or already ended.
    pub fn hangup_by_callee(&self, call_control_id: &str) -> bool {
        self.hangup_with(call_control_id, "normal_clearing", "callee", "200")
    }

    /// The far end ends the call with any cause (e.g. `user_busy`/`486` while ringing).
    pub fn hangup_with(&self, call_control_id: &str, cause: &str, source: &str, sip: &str) -> bool {
        self.core
            .far_end(call_control_id)
            .hang_up(cause, source, sip)
    }

    /// The callee picks up a ringing call now.
    pub fn answer(&self, call_control_id: &str) -> bool {
        self.core.far_end(call_control_id).answer()
    }

    /// The callee presses keys: one `call.dtmf.received` per digit. False unless answered.
    pub fn press_dtmf(&self, call_control_id: &str, digits: &str) -> bool {
        self.core.far_end(call_control_id).press(digits)
    }

    /// Scripts the callee for dials to `number` (exact E.164), overriding the table.
    pub fn set_scenario(&self, number: &str, scenario: Scenario) {
        self.core
            .lock()
            .scripts
            .insert(number.to_string(), scenario);
    }

    /// Back to the table for `number`; false if it was not scripted.
    pub fn clear_scenario(&self, number: &str) -> bool {
        self.core.lock().scripts.remove(number).is_some()
    }

    /// Chaos for calls dialled from now on (`None` turns it off).
    pub fn set_chaos(&self, chaos: Option<ChaosConfig>) {
        self.core.lock().chaos = chaos;
    }

    pub fn chaos(&self) -> Option<ChaosConfig> {
        self.core.lock().chaos.clone()
    }

    /// Signs `timestamp|body` with the emulator's key, as a webhook would be signed.
    pub fn sign(&self, timestamp: i64, body: &str) -> String {
        webhook::sign(&self.core.signing_key, timestamp, body)
    }

    /// The Verto WebSocket a `@telnyx/webrtc` page is given as `host`, e.g.
    /// `ws://127.0.0.1:PORT/verto` (`wss://` when the public URL is https).
    pub fn verto_url(&self) -> String {
        let base = &self.core.public_base;
        match base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}/verto"),
            None => format!("ws://{}/verto", base.trim_start_matches("http://")),
        }
    }

    /// Is a page logged in over Verto with this SIP username's credential?
    pub fn webrtc_registered(&self, sip_username: &str) -> bool {
        self.core.gateway.is_registered(sip_username)
    }

    /// When the gateway first received a voiced frame on a page's leg (latency figures).
    pub fn webrtc_first_voiced(&self, call_control_id: &str) -> Option<std::time::Instant> {
        let stats = self.core.gateway.media_stats(call_control_id)?;
        let s = stats.lock().unwrap_or_else(|e| e.into_inner());
        s.received.first_voiced
    }
}
