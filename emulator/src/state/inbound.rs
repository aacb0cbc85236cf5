//! Inbound calls on demand: a test places a call from `from` to one of our numbers; the leg
//! is parked (`call.initiated`, `direction: incoming`) until the application answers it, and
//! the caller acts out a small script (hang up after a while, press keys, say nothing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Core;
use super::call::{CallState, LegIds, NewCall};
use crate::events::Target;

/// What the caller does.
#[derive(Clone, Debug, Default)]
pub struct CallerScript {
    /// Hangs up this long after dialling (ringing or answered).
    pub hang_up_after: Option<Duration>,
    /// Keys pressed once answered, after `press_after`.
    pub press: Option<String>,
    pub press_after: Duration,
    /// Says nothing: a page bridged to this caller hears silence.
    pub silent: bool,
    /// How long the caller lets the call ring before giving up.
    pub ring_timeout_secs: u64,
}

/// Why an inbound call cannot be placed.
#[derive(Debug, PartialEq, Eq)]
pub enum InboundRefusal {
    /// `to` is not a number we own on the Call Control application.
    NotOurs,
}

impl Core {
    /// Places the call: the leg rings on our side, its webhooks go to the application.
    pub fn place_inbound(
        self: &Arc<Self>,
        from: &str,
        to: &str,
        script: CallerScript,
    ) -> Result<LegIds, InboundRefusal> {
        let ours = self.lock().numbers.owned.iter().any(|n| {
            n.phone_number == to
                && n.status == "active"
                && n.connection_id.as_deref() == Some(self.config.connection_id.as_str())
        });
        if !ours {
            return Err(InboundRefusal::NotOurs);
        }
        let spec = NewCall {
            from: from.to_string(),
            to: to.to_string(),
            timeout_secs: script.ring_timeout_secs,
            time_limit_secs: 14_400,
            custom_headers: serde_json::json!([]),
            target: Target::default(),
            incoming: true,
            silent_caller: script.silent,
            ..NewCall::default()
        };
        let ids = self.create_call(spec);
        let core = self.clone();
        let id = ids.call_control_id.clone();
        tokio::spawn(async move { core.play_caller(&id, script).await });
        Ok(ids)
    }

    async fn play_caller(self: &Arc<Self>, id: &str, script: CallerScript) {
        if let Some(after) = script.hang_up_after {
            let (core, id) = (self.clone(), id.to_string());
            self.later(after, move |c| {
                let answered = core.state_of(&id) == Some(CallState::Answered);
                let (cause, sip) = if answered {
                    ("normal_clearing", "200")
                } else {
                    ("originator_cancel", "487")
                };
                c.end_call(&id, cause, "caller", sip);
            });
        }
        let Some(digits) = script.press else {
            return;
        };
        if self.until_answered(id).await {
            tokio::time::sleep(self.scaled(script.press_after)).await;
            self.callee_dtmf(id, &digits);
        }
    }

    fn state_of(&self, id: &str) -> Option<CallState> {
        self.lock().calls.get(id).map(|c| c.state)
    }

    /// Waits for the leg to be answered; false if it ended first. The leg's own ring
    /// timeout bounds the wait.
    async fn until_answered(&self, id: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(3600);
        while Instant::now() < deadline {
            match self.state_of(id) {
                Some(CallState::Answered) => return true,
                Some(CallState::Ringing) => tokio::time::sleep(Duration::from_millis(10)).await,
                _ => return false,
            }
        }
        false
    }
}
