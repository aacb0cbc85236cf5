//! The emulated switch: every call leg, recording and number, behind one lock. Split by
//! concern: [`call`] (a leg), [`lifecycle`] (ring, answer, bridge, hang up), [`callee`] (who
//! answers a leg), [`commands`] (what `/actions/*` do), [`media`] (playback, speak, DTMF, AMD),
//! [`recording`]. Events leave through the [`EventSink`] port only.

mod call;
mod callee;
mod commands;
mod conference;
mod inbound;
mod lifecycle;
mod limits;
mod media;
mod messages;
mod orders;
mod recording;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::Value;

pub use call::{Call, CallSnapshot, CallState, NewCall, RecordedRequest};
pub use commands::{Command, Refusal};
pub use conference::{ConfRefusal, Conference, CreateSpec, Flag, JoinSpec};
pub use inbound::{CallerScript, InboundRefusal};
pub use messages::{Inbound, Messaging, Outbound, SendRefusal};
pub use recording::{RecordSpec, Recording};

use limits::LimitUse;

use crate::config::{ChaosConfig, EmulatorConfig};
use crate::events::EventSink;
use crate::faults::{ActiveFaults, AppliedFault};
use crate::limits::AccountLimits;
use crate::numbers::Numbers;
use crate::scenario::Scenario;

/// What changes while the emulator runs.
#[derive(Default)]
pub struct State {
    pub calls: HashMap<String, Call>,
    pub call_seq: u64,
    pub media_seq: u64,
    /// Dial answers by `command_id`, for the de-duplication window.
    pub dial_dedup: HashMap<String, (Value, Instant)>,
    pub recordings: HashMap<String, Recording>,
    pub requests: Vec<RecordedRequest>,
    pub dial_times: VecDeque<Instant>,
    /// Callees scripted for exact destinations, over the scenario table.
    pub scripts: HashMap<String, Scenario>,
    pub chaos: Option<ChaosConfig>,
    pub numbers: Numbers,
    /// The REST fault plan in force, if any.
    pub faults: Option<ActiveFaults>,
    /// Every request that got a fault, oldest first.
    pub fault_log: Vec<AppliedFault>,
    pub limits: AccountLimits,
    pub limit_use: LimitUse,
    pub messaging: Messaging,
    pub conferences: HashMap<String, Conference>,
}

/// The switch itself: configuration, the signing key for recording links, and the state.
pub struct Core {
    pub config: EmulatorConfig,
    pub signing_key: SigningKey,
    pub public_base: String,
    events: Arc<dyn EventSink>,
    /// The WebRTC gateway: credentials, registered pages and their media.
    pub gateway: crate::webrtc::Gateway,
    st: Mutex<State>,
}

impl Core {
    pub fn new(config: EmulatorConfig, public_base: String, events: Arc<dyn EventSink>) -> Core {
        let st = State {
            chaos: config.chaos.clone(),
            faults: config.rest_faults.clone().map(ActiveFaults::new),
            limits: config.limits.clone(),
            numbers: Numbers::seeded(&config.connection_id, config.number_order_delay),
            ..State::default()
        };
        Core {
            signing_key: SigningKey::from_bytes(&config.signing_seed),
            config,
            public_base,
            events,
            gateway: crate::webrtc::Gateway::default(),
            st: Mutex::new(st),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock must not take the whole emulator down.
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn scaled(&self, d: Duration) -> Duration {
        self.config.scaled(d)
    }

    /// Queues an event on a call with this emulator's connection id.
    pub fn emit(&self, call: &Call, event_type: &str, extra: Value) {
        call.emit(&self.config.connection_id, event_type, extra);
    }

    /// Looks a call up, hiding calls that ended longer ago than Telnyx keeps them.
    pub fn live_call<'a>(&self, st: &'a mut State, id: &str) -> Option<&'a mut Call> {
        let retention = self.config.call_retention;
        let c = st.calls.get_mut(id)?;
        if c.ended.is_some_and(|t| t.elapsed() > retention) {
            return None;
        }
        Some(c)
    }

    pub fn snapshots(&self) -> Vec<CallSnapshot> {
        let st = self.lock();
        let mut v: Vec<_> = st.calls.values().map(|c| (c.seq, c.snapshot())).collect();
        v.sort_by_key(|(s, _)| *s);
        v.into_iter().map(|(_, s)| s).collect()
    }

    pub fn snapshot(&self, id: &str) -> Option<CallSnapshot> {
        self.lock().calls.get(id).map(Call::snapshot)
    }

    /// Runs `f` after `after` (scaled), on the runtime.
    pub fn later(self: &Arc<Self>, after: Duration, f: impl FnOnce(&Arc<Core>) + Send + 'static) {
        let core = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(core.scaled(after)).await;
            f(&core);
        });
    }
}
