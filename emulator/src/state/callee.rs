//! Who answers a leg. [`Core::callee_for`] is the one place a dial's destination is turned
//! into a far end; the far end then acts on the leg only through a [`FarEnd`] handle (pick
//! up, hang up, press keys), the same acts `/emulator/calls/{id}/...` offers a test.
//!
//! A destination is played by a scenario (a script for that exact number, else the
//! magic-number table), except `sip:<user>@sip.telnyx.com`: that rings the page registered
//! with that credential on the WebRTC gateway (`crate::webrtc`), which then answers, declines
//! or hangs up the leg as the person at the page does.

use std::sync::Arc;
use std::time::Duration;

use super::call::Call;
use super::{Core, State};
use crate::scenario::{self, Scenario, Step};

/// The far end of one leg, chosen when the leg is created.
pub enum Callee {
    /// A scripted callee: its steps run from the moment the call is dialled.
    Scenario(Scenario),
    /// The page logged in over Verto with this SIP username (or nobody, if none is).
    Page { sip_username: String },
    /// Nobody: the leg is an inbound call and its far end is the caller, whose script
    /// (`state::inbound`) starts with the call.
    Caller,
}

impl Callee {
    /// What snapshots report as the leg's `scenario`.
    pub fn name(&self) -> &str {
        match self {
            Callee::Scenario(s) => &s.name,
            Callee::Page { .. } => "webrtc",
            Callee::Caller => "inbound",
        }
    }

    /// Starts the far end's part in the call.
    pub fn ring(self, leg: FarEnd) {
        match self {
            Callee::Scenario(s) => {
                tokio::spawn(async move { leg.play(s).await });
            }
            Callee::Page { sip_username } => {
                if let Some(req) = leg.core.ring_request(&leg.id) {
                    leg.core.gateway.ring(&leg.core, &sip_username, req);
                }
            }
            Callee::Caller => {}
        }
    }
}

/// What the far end of one leg can do to it.
#[derive(Clone)]
pub struct FarEnd {
    core: Arc<Core>,
    id: String,
}

impl FarEnd {
    /// Picks up a ringing leg. False unless it was ringing.
    pub fn answer(&self) -> bool {
        self.core.answer(&self.id)
    }

    /// Hangs up with `cause`, reported as coming from `source` with SIP code `sip`.
    pub fn hang_up(&self, cause: &str, source: &str, sip: &str) -> bool {
        self.core.end_call(&self.id, cause, source, sip)
    }

    /// Presses keys: one `call.dtmf.received` per digit. False unless answered.
    pub fn press(&self, digits: &str) -> bool {
        self.core.callee_dtmf(&self.id, digits)
    }

    /// Answering-machine detection concludes (`human`, `machine`, `not_sure`).
    pub fn detected(&self, result: &str) {
        self.core.machine_detection(&self.id, result);
    }

    pub fn is_alive(&self) -> bool {
        self.core
            .lock()
            .calls
            .get(&self.id)
            .is_some_and(Call::is_alive)
    }

    async fn play(&self, sc: Scenario) {
        for step in sc.steps {
            if !self.is_alive() {
                return;
            }
            match step {
                Step::Wait { ms } => {
                    tokio::time::sleep(self.core.scaled(Duration::from_millis(ms))).await;
                }
                Step::Answer => {
                    self.answer();
                }
                Step::Hangup { cause, sip, source } => {
                    self.hang_up(&cause, &source, &sip);
                }
                Step::Dtmf { digits } => {
                    self.press(&digits);
                }
                Step::Machine { result } => self.detected(&result),
            }
        }
    }
}

impl Core {
    /// The far end for a new leg to `to`: a scripted number, else the scenario table.
    pub fn callee_for(&self, st: &State, to: &str) -> Callee {
        if let Some(s) = st.scripts.get(to) {
            return Callee::Scenario(s.clone());
        }
        if let Some(user) = crate::webrtc::gateway_user(to) {
            return Callee::Page {
                sip_username: user.to_string(),
            };
        }
        Callee::Scenario(
            scenario::magic_key(to)
                .and_then(scenario::builtin)
                .unwrap_or_else(scenario::default_scenario),
        )
    }

    /// What the gateway's invite tells the page about leg `id`.
    fn ring_request(&self, id: &str) -> Option<crate::webrtc::RingRequest> {
        let st = self.lock();
        let c = st.calls.get(id)?;
        Some(crate::webrtc::RingRequest {
            call_control_id: c.ids.call_control_id.clone(),
            call_leg_id: c.ids.call_leg_id.clone(),
            call_session_id: c.ids.call_session_id.clone(),
            from: c.spec.from.clone(),
            from_display_name: c.spec.from_display_name.clone(),
            to: c.spec.to.clone(),
        })
    }

    /// The handle the far end of leg `id` acts through.
    pub fn far_end(self: &Arc<Self>, id: &str) -> FarEnd {
        FarEnd {
            core: self.clone(),
            id: id.to_string(),
        }
    }
}
