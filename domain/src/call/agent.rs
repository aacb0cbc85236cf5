//! The agent's leg and the two-leg flow: the agent (their browser or their phone) is dialled
//! first, and only once they answer is the customer dialled, linked to the agent's leg so Telnyx
//! bridges the two on the customer's answer. The call's existing facts (`telnyx`, `answered`,
//! `hangup`, ...) stay the customer's; the agent's leg keeps its own.
//!
//! What to do next is decided here, from facts alone ([`Call::next_actions`]), and claimed on
//! the call in the same atomic update that applied the event ([`Call::claim`]): duplicated or
//! reordered events can therefore never dial the customer twice, or after the call ended.

use super::{
    AnsweredBy, Call, DialFailure, Hangup, Stamped, TelnyxLeg, keep_earliest, stamp_key, stamped,
};
use crate::event::{CallEvent, CallEventKind};
use crate::settings::AgentMode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which leg of a call an event or a command is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    Agent,
    /// The person called; a one-leg call has only this one.
    #[default]
    Customer,
}

impl Leg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Customer => "customer",
        }
    }
}

/// The agent's leg of a two-leg call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLeg {
    /// `browser` or `phone`: how the agent is reached.
    pub mode: AgentMode,
    /// What was dialled: the agent's E.164 number, or `sip:<user>@sip.telnyx.com`.
    pub to: String,
    pub telnyx: Option<TelnyxLeg>,
    pub dial_failure: Option<DialFailure>,
    pub initiated: Option<Stamped<()>>,
    pub answered: Option<Stamped<()>>,
    /// Telnyx's answering machine detection result (`human`, `machine`, `not_sure`, ...):
    /// phone-mode agent legs ask for it, so a voicemail never gets the customer dialled.
    #[serde(default)]
    pub machine_detection: Option<Stamped<String>>,
    pub hangup: Option<Hangup>,
}

impl AgentLeg {
    pub fn new(mode: AgentMode, to: impl Into<String>) -> Self {
        Self {
            mode,
            to: to.into(),
            telnyx: None,
            dial_failure: None,
            initiated: None,
            answered: None,
            machine_detection: None,
            hangup: None,
        }
    }

    /// Whether this leg is dialled with answering machine detection: only a phone can reach
    /// a voicemail; a browser's SIP leg is the agent themself.
    pub fn detects_machine(&self) -> bool {
        self.mode == AgentMode::Phone
    }

    /// Detection said a machine answered: the agent's phone went to voicemail.
    pub fn went_to_voicemail(&self) -> bool {
        self.machine_detection
            .as_ref()
            .is_some_and(|d| AnsweredBy::from_detection(&d.value) == Some(AnsweredBy::Machine))
    }

    /// Whether the agent is known to be there to talk: answered, and for a detected leg, the
    /// detection ended with anything but `machine` (Telnyx always ends it with a result, and
    /// `not_sure` is given the benefit of the doubt rather than dropping the call).
    pub fn ready_to_talk(&self) -> bool {
        self.answered.is_some()
            && (!self.detects_machine()
                || (self.machine_detection.is_some() && !self.went_to_voicemail()))
    }

    pub fn is_ended(&self) -> bool {
        self.hangup.is_some() || self.dial_failure.is_some()
    }

    pub fn status(&self) -> LegStatus {
        if self.is_ended() {
            LegStatus::Ended
        } else if self.answered.is_some() {
            LegStatus::Active
        } else if self.initiated.is_some() {
            LegStatus::Ringing
        } else {
            LegStatus::Dialing
        }
    }

    pub fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.answered.as_ref().map(|a| a.occurred_at)
    }

    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        if let Some(h) = &self.hangup {
            return Some(h.end_time.unwrap_or(h.occurred_at));
        }
        self.dial_failure.as_ref().map(|f| f.at)
    }

    /// Joins one of the leg's events: the same join as the customer's (earliest fact wins).
    fn apply(&mut self, event: &CallEvent) {
        match &event.kind {
            CallEventKind::Initiated => {
                keep_earliest(&mut self.initiated, stamped(event, ()), stamp_key)
            }
            CallEventKind::Answered => {
                keep_earliest(&mut self.answered, stamped(event, ()), stamp_key)
            }
            CallEventKind::Hangup { .. } => {
                if let Some(h) = Hangup::of(event) {
                    keep_earliest(&mut self.hangup, h, |h| (h.occurred_at, &h.event_id))
                }
            }
            CallEventKind::MachineDetectionEnded { result } => keep_earliest(
                &mut self.machine_detection,
                stamped(event, result.clone()),
                stamp_key,
            ),
            // The agent's keys, cost: the customer's leg is the call's record.
            _ => {}
        }
    }
}

/// Where one leg stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegStatus {
    Dialing,
    Ringing,
    Active,
    Ended,
}

impl LegStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }
}

/// The call's progress across both legs, as the live view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    CallingAgent,
    AgentAnswered,
    DialingCustomer,
    Ringing,
    Connected,
    Ended,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallingAgent => "calling_agent",
            Self::AgentAnswered => "agent_answered",
            Self::DialingCustomer => "dialing_customer",
            Self::Ringing => "ringing",
            Self::Connected => "connected",
            Self::Ended => "ended",
        }
    }
}

/// What the processor must ask Telnyx for after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextAction {
    /// Dial the customer linked to the agent's leg, bridged on answer.
    DialCustomer,
    /// End this leg: the other one ended.
    HangUp(Leg),
}

/// What the two-leg flow has already asked for, so it is asked once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegClaims {
    /// When the customer's dial was decided (the dial itself may still be in flight).
    pub customer_dial_at: Option<DateTime<Utc>>,
    pub agent_hangup_sent: bool,
    pub customer_hangup_sent: bool,
}

impl Call {
    /// Joins an event of one leg. `Customer` is [`Call::apply`]; an agent-leg event of a call
    /// without an agent leg is ignored.
    pub fn apply_leg(&mut self, leg: Leg, event: &CallEvent) {
        match leg {
            Leg::Customer => self.apply(event),
            Leg::Agent => {
                if let Some(agent) = &mut self.agent {
                    agent.apply(event);
                }
            }
        }
    }

    /// Which leg a Telnyx `call_control_id` is: the agent's when it is the agent leg's id.
    pub fn leg_of(&self, call_control_id: &str) -> Leg {
        match &self.agent {
            Some(a)
                if a.telnyx.as_ref().map(|t| t.call_control_id.as_str())
                    == Some(call_control_id) =>
            {
                Leg::Agent
            }
            _ => Leg::Customer,
        }
    }

    /// `none` for a one-leg call, else the agent leg's mode.
    pub fn agent_mode(&self) -> AgentMode {
        self.agent.as_ref().map_or(AgentMode::None, |a| a.mode)
    }

    fn customer_ended(&self) -> bool {
        self.hangup.is_some() || self.dial_failure.is_some()
    }

    /// Whether the customer was, or is being, dialled: any fact of the customer's leg says so.
    pub fn customer_dialled(&self) -> bool {
        self.legs.customer_dial_at.is_some()
            || self.telnyx.is_some()
            || self.dial_failure.is_some()
            || self.initiated.is_some()
            || self.answered.is_some()
            || self.hangup.is_some()
    }

    /// The agent leg ended before the customer was ever dialled: the agent is why the call
    /// ended.
    pub fn ended_at_agent(&self) -> bool {
        self.agent
            .as_ref()
            .is_some_and(|a| a.is_ended() && !self.customer_dialled())
    }

    pub fn phase(&self) -> Phase {
        if self.is_ended() {
            return Phase::Ended;
        }
        if self.answered.is_some() {
            return Phase::Connected;
        }
        if self.initiated.is_some() {
            return Phase::Ringing;
        }
        match &self.agent {
            Some(a) if !self.customer_dialled() => {
                if a.answered.is_some() {
                    Phase::AgentAnswered
                } else {
                    Phase::CallingAgent
                }
            }
            _ => Phase::DialingCustomer,
        }
    }

    /// What must happen next, from the facts alone, leaving out what was already claimed.
    pub fn next_actions(&self) -> Vec<NextAction> {
        let Some(agent) = &self.agent else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        if agent.ready_to_talk()
            && !agent.is_ended()
            && !self.customer_dialled()
            && self.hangup_requested_at.is_none()
        {
            actions.push(NextAction::DialCustomer);
        }
        if agent.is_ended()
            && self.telnyx.is_some()
            && !self.customer_ended()
            && !self.legs.customer_hangup_sent
        {
            actions.push(NextAction::HangUp(Leg::Customer));
        }
        // A voicemail answered the agent's phone: end it, and the call ends at the agent.
        let voicemail = agent.went_to_voicemail() && !self.customer_dialled();
        if (self.customer_ended() || voicemail)
            && agent.telnyx.is_some()
            && !agent.is_ended()
            && !self.legs.agent_hangup_sent
        {
            actions.push(NextAction::HangUp(Leg::Agent));
        }
        actions
    }

    /// Marks the actions as taken, in the update that decided them.
    pub fn claim(&mut self, actions: &[NextAction], now: DateTime<Utc>) {
        for action in actions {
            match action {
                NextAction::DialCustomer => {
                    self.legs.customer_dial_at.get_or_insert(now);
                }
                NextAction::HangUp(Leg::Agent) => self.legs.agent_hangup_sent = true,
                NextAction::HangUp(Leg::Customer) => self.legs.customer_hangup_sent = true,
            }
        }
    }

    /// Gives a hangup back when sending it failed, so a redelivered event sends it again.
    pub fn unclaim_hangup(&mut self, leg: Leg) {
        match leg {
            Leg::Agent => self.legs.agent_hangup_sent = false,
            Leg::Customer => self.legs.customer_hangup_sent = false,
        }
    }

    /// Applies an event and claims what it calls for: the processor's whole decision, pure.
    pub fn step(&mut self, leg: Leg, event: &CallEvent, now: DateTime<Utc>) -> Vec<NextAction> {
        self.apply_leg(leg, event);
        let actions = self.next_actions();
        self.claim(&actions, now);
        actions
    }
}

#[cfg(test)]
mod tests;
