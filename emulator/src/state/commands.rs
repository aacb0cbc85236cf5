//! What `/v2/calls/{id}/actions/*` do to a leg once their bodies are valid: the state rules
//! (known leg, alive, answered, `command_id` seen before) and the effect.

use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use serde_json::Value;

use super::call::{CallState, NewCall};
use super::recording::RecordSpec;
use super::{Core, State};

/// A command whose arguments have been checked against its body alone.
pub enum Command {
    Hangup,
    Dtmf {
        digits: String,
    },
    RecordStart {
        format: String,
        channels: String,
    },
    RecordStop,
    RecordPause(bool),
    PlaybackStart {
        media: Value,
        loops: Option<u64>,
    },
    PlaybackStop,
    Speak {
        chars: usize,
    },
    Bridge {
        other: String,
    },
    Transfer(Box<NewCall>),
    ClientStateUpdate,
    /// Picks up an inbound call.
    Answer,
    /// Turns an inbound call away: `call_rejected` (603) or `user_busy` (486).
    Reject {
        busy: bool,
    },
}

impl Command {
    /// Whether the leg must have been answered, beyond existing.
    fn needs_answer(&self) -> bool {
        matches!(
            self,
            Command::Dtmf { .. }
                | Command::RecordStart { .. }
                | Command::PlaybackStart { .. }
                | Command::Speak { .. }
                | Command::Bridge { .. }
                | Command::Transfer(_)
        )
    }
}

/// Why a leg refuses a command (Telnyx's 90015, 90018, 90034).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownCall,
    CallEnded,
    NotAnswered,
    /// `bridge` named the leg itself.
    BridgeWithItself,
    /// `answer`/`reject` on a leg that is not a ringing inbound call.
    NotIncomingRinging,
}

impl Core {
    /// True if leg `id` already took `command_id` within the window: the repeat is to be
    /// acknowledged and ignored.
    pub fn is_repeat(&self, id: &str, command_id: Option<&str>) -> Result<bool, Refusal> {
        let window = self.config.command_id_window;
        let mut st = self.lock();
        let c = self.live_call(&mut st, id).ok_or(Refusal::UnknownCall)?;
        c.command_ids.retain(|_, t| t.elapsed() < window);
        Ok(command_id.is_some_and(|cid| c.command_ids.contains_key(cid)))
    }

    /// Checks the leg can take `cmd`, then applies it with its `command_id` and
    /// `client_state` (which replaces the leg's state for later webhooks).
    pub fn execute(
        self: &Arc<Self>,
        id: &str,
        cmd: Command,
        command_id: Option<String>,
        client_state: Option<String>,
    ) -> Result<(), Refusal> {
        let mut st = self.lock();
        let state = self
            .live_call(&mut st, id)
            .ok_or(Refusal::UnknownCall)?
            .state;
        if state == CallState::Ended {
            return Err(Refusal::CallEnded);
        }
        if cmd.needs_answer() && state != CallState::Answered {
            return Err(Refusal::NotAnswered);
        }
        let inbound_ringing =
            state == CallState::Ringing && st.calls.get(id).is_some_and(|c| c.spec.incoming);
        if matches!(cmd, Command::Answer | Command::Reject { .. }) && !inbound_ringing {
            return Err(Refusal::NotIncomingRinging);
        }
        // The other leg of a bridge is checked before anything is changed on this one.
        if let Command::Bridge { other } = &cmd {
            self.check_bridge(&mut st, id, other)?;
        }
        let c = st.calls.get_mut(id).ok_or(Refusal::UnknownCall)?;
        if let Some(cid) = command_id {
            c.command_ids.insert(cid, Instant::now());
        }
        if client_state.is_some() {
            c.client_state = client_state;
        }
        self.apply(st, id, cmd);
        Ok(())
    }

    fn check_bridge(&self, st: &mut State, id: &str, other: &str) -> Result<(), Refusal> {
        if other == id {
            return Err(Refusal::BridgeWithItself);
        }
        let o = self.live_call(st, other).ok_or(Refusal::UnknownCall)?;
        match o.state {
            CallState::Ended => Err(Refusal::CallEnded),
            CallState::Ringing => Err(Refusal::NotAnswered),
            CallState::Answered => Ok(()),
        }
    }

    fn apply(self: &Arc<Self>, mut st: MutexGuard<'_, State>, id: &str, cmd: Command) {
        let Some(c) = st.calls.get_mut(id) else {
            return;
        };
        match cmd {
            Command::Hangup => {
                let (cause, source, sip) = hangup_cause(c.state, c.spec.incoming);
                self.end_locked(&mut st, id, cause, source, sip);
            }
            Command::Answer => {
                drop(st);
                self.answer(id);
            }
            Command::Reject { busy } => {
                let (cause, sip) = if busy {
                    ("user_busy", "486")
                } else {
                    ("call_rejected", "603")
                };
                self.end_locked(&mut st, id, cause, "callee", sip);
            }
            Command::Dtmf { digits } => self.gateway.dtmf_sent(id, &digits),
            Command::ClientStateUpdate => {}
            Command::RecordStart { format, channels } => {
                if c.recording.is_none() {
                    c.start_recording(RecordSpec {
                        recording_id: uuid::Uuid::new_v4().to_string(),
                        format,
                        channels,
                        initiated_by: "StartCallRecordingAPI",
                    });
                }
            }
            Command::RecordStop => self.save_recording(&mut st, id),
            Command::RecordPause(pause) => c.pause_recording(pause),
            Command::PlaybackStart { media, loops } => {
                drop(st);
                self.start_playback(id, media, loops);
            }
            Command::PlaybackStop => self.end_playback(c, "cancelled"),
            Command::Speak { chars } => {
                drop(st);
                self.start_speak(id, chars);
            }
            Command::Bridge { other } => self.bridge_locked(&mut st, id, &other),
            Command::Transfer(spec) => {
                let mut spec = *spec;
                if spec.from.is_empty() {
                    spec.from = c.spec.to.clone();
                }
                if spec.target.webhook_url.is_none() {
                    spec.target = c.spec.target.clone();
                }
                spec.chaos = c.spec.chaos.clone();
                spec.link_to = Some(id.to_string());
                drop(st);
                self.create_call(spec);
            }
        }
    }
}

/// Our own hangup as `call.hangup` reports it. On an inbound call we are the callee.
fn hangup_cause(state: CallState, incoming: bool) -> (&'static str, &'static str, &'static str) {
    match (state, incoming) {
        (CallState::Answered, false) => ("normal_clearing", "caller", "200"),
        (_, false) => ("originator_cancel", "caller", "487"),
        (CallState::Answered, true) => ("normal_clearing", "callee", "200"),
        (_, true) => ("call_rejected", "callee", "603"),
    }
}
