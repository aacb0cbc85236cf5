//! Who answers a leg. [`Core::callee_for`] is the one place a dial's destination is turned
//! into a far end; the far end then acts on the leg only through a [`FarEnd`] handle (pick
//! up, hang up, press keys), the same acts `/emulator/calls/{id}/...` offers a test.
//!
//! Today every destination is played by a scenario (a script for that exact number, else the
//! magic-number table). A live endpoint, e.g. a browser registered as `sip:<user>@sip.telnyx.com`,
//! is meant to become another [`Callee`] variant chosen here, driving its leg through the
//! same [`FarEnd`].

use std::sync::Arc;
use std::time::Duration;

use super::call::Call;
use super::{Core, State};
use crate::scenario::{self, Scenario, Step};

/// The far end of one leg, chosen when the leg is created.
pub enum Callee {
    /// A scripted callee: its steps run from the moment the call is dialled.
    Scenario(Scenario),
}

impl Callee {
    /// What snapshots report as the leg's `scenario`.
    pub fn name(&self) -> &str {
        match self {
            Callee::Scenario(s) => &s.name,
        }
    }

    /// Starts the far end's part in the call.
    pub fn ring(self, leg: FarEnd) {
        match self {
            Callee::Scenario(s) => {
                tokio::spawn(async move { leg.play(s).await });
            }
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
        Callee::Scenario(
            scenario::magic_key(to)
                .and_then(scenario::builtin)
                .unwrap_or_else(scenario::default_scenario),
        )
    }

    /// The handle the far end of leg `id` acts through.
    pub fn far_end(self: &Arc<Self>, id: &str) -> FarEnd {
        FarEnd {
            core: self.clone(),
            id: id.to_string(),
        }
    }
}
