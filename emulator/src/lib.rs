//! A Telnyx Call Control v2 emulator: the REST API a dialer calls, signed webhooks with
//! Telnyx's delivery semantics, callee scenarios chosen by destination number, recordings,
//! numbers, test controls under `/emulator`, and Telnyx's WebRTC gateway (Verto and real
//! media for `@telnyx/webrtc` pages). See README.md for the behaviour table.
//!
//! Layout: `api` (the `/v2` HTTP face, typed bodies) and `control` (`/emulator`) drive
//! `state` (the switch); `state` emits through the `events` port, which `webhook` delivers;
//! `handle` wires the two and is what callers hold. `webrtc` rings registered pages for the
//! legs `state` hands it and acts on them through its `Legs` port.

mod api;
mod audio;
mod config;
mod control;
pub mod dev;
mod error;
mod events;
mod fault_controls;
mod faults;
mod handle;
mod inbound_controls;
mod limits;
mod message_controls;
mod messaging;
mod numbers;
mod scenario;
mod state;
mod time;
mod webhook;
pub mod webrtc;

use std::net::SocketAddr;

pub use config::{
    ChaosConfig, ConfigError, DEFAULT_API_KEY, DEFAULT_CONNECTION_ID, EmulatorConfig,
};
pub use faults::{AppliedFault, FAULT_HEADER, FaultKind, FaultOutcome, FaultPlan};
pub use handle::Emulator;
pub use limits::AccountLimits;
pub use message_controls::InboundError;
pub use messaging::DEFAULT_PROFILE_ID as DEFAULT_MESSAGING_PROFILE_ID;
pub use numbers::SEEDED_OWNED;
pub use scenario::{Scenario, Step, builtin as builtin_scenario, magic_key};
pub use state::{CallSnapshot, CallState, RecordedRequest};
pub use webhook::Delivery;

/// Shared state behind the HTTP server; what [`router`] is built from.
#[derive(Clone)]
pub struct AppState(Emulator);

impl AppState {
    /// State for a server reachable at `public_base_url` (e.g. `http://127.0.0.1:4010`).
    pub fn new(config: EmulatorConfig, public_base_url: &str) -> AppState {
        let base = config
            .public_base_url
            .clone()
            .unwrap_or_else(|| public_base_url.trim_end_matches('/').to_string());
        AppState(Emulator::wire(config, base))
    }
}

/// The whole emulator as one axum router: `/v2/...`, `/storage/...`, `/emulator/...`.
pub fn router(state: AppState) -> axum::Router {
    let emu = state.0;
    axum::Router::new()
        .merge(api::v2_router(emu.core.clone()))
        .merge(api::storage_router())
        .merge(control::router())
        .merge(webrtc::router())
        .merge(fault_controls::router())
        .merge(message_controls::router())
        .merge(inbound_controls::router())
        .with_state(emu)
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
        let emu = state.0.clone();
        let app = router(state);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        Ok(emu)
    }
}
