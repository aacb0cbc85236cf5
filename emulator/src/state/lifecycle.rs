//! A leg's life: created ringing, answered, bridged, ended; and Telnyx's own timers (ring
//! timeout, time limit) that close whatever the callee leaves open.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::call::{Call, CallState, Hangup, LegIds, NewCall};
use super::{Core, State};
use crate::time::rfc3339;

fn new_call_control_id() -> String {
    let bytes: [u8; 40] = rand::random();
    format!("v3:{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Core {
    /// Creates the leg, queues `call.initiated`, hands the leg to its callee and starts the
    /// ring timer.
    pub fn create_call(self: &Arc<Self>, spec: NewCall) -> LegIds {
        let mut st = self.lock();
        st.call_seq += 1;
        let seq = st.call_seq;
        let session = spec
            .link_to
            .as_ref()
            .and_then(|l| st.calls.get(l))
            .map(|c| c.ids.call_session_id.clone())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let callee = match spec.incoming {
            true => super::callee::Callee::Caller,
            false => self.callee_for(&st, &spec.to),
        };
        let limit_hit = self.limit_hit(&mut st, &spec.to);
        let ids = LegIds {
            call_control_id: new_call_control_id(),
            call_leg_id: uuid::Uuid::now_v7().to_string(),
            call_session_id: session,
        };
        let events = self
            .events
            .open(spec.target.clone(), spec.chaos.clone(), seq);
        let call = Call {
            seq,
            ids: ids.clone(),
            client_state: spec.client_state.clone(),
            spec,
            callee: callee.name().to_string(),
            state: CallState::Ringing,
            created_at: Utc::now(),
            answered_at: None,
            ended_at: None,
            ended: None,
            hangup: None,
            recording: None,
            recording_ids: vec![],
            playback: None,
            speak: None,
            bridged_with: None,
            command_ids: HashMap::new(),
            events: Some(events),
        };
        self.emit(&call, "call.initiated", initiated(&call));
        let timeout = Duration::from_secs(call.spec.timeout_secs);
        st.calls.insert(ids.call_control_id.clone(), call);
        drop(st);

        match limit_hit {
            Some(hit) => self.refuse_later(&ids.call_control_id, hit),
            None => callee.ring(self.far_end(&ids.call_control_id)),
        }
        let id = ids.call_control_id.clone();
        self.later(timeout, move |core| core.ring_timeout(&id));
        ids
    }

    fn ring_timeout(&self, id: &str) {
        let (cause, source) = match self.lock().calls.get(id) {
            // An inbound caller left ringing gives up (emulator choice, see the README).
            Some(c) if c.state == CallState::Ringing && c.spec.incoming => {
                ("originator_cancel", "caller")
            }
            Some(c) if c.state == CallState::Ringing && c.spec.retry_on_timeout => {
                ("timeout", "unknown")
            }
            Some(c) if c.state == CallState::Ringing => ("no_answer", "unknown"),
            _ => return,
        };
        self.end_call(id, cause, source, "487");
    }

    /// The callee picks up: `call.answered`, recording from answer, bridge on answer, and
    /// the time limit starts.
    pub fn answer(self: &Arc<Self>, id: &str) -> bool {
        let mut st = self.lock();
        let Some(call) = st.calls.get_mut(id) else {
            return false;
        };
        if call.state != CallState::Ringing {
            return false;
        }
        call.state = CallState::Answered;
        call.answered_at = Some(Utc::now());
        self.emit(call, "call.answered", answered(call));
        if let Some(spec) = call.spec.record.clone() {
            call.start_recording(spec);
        }
        let limit = Duration::from_secs(call.spec.time_limit_secs);
        let bridge_to = call
            .spec
            .bridge_on_answer
            .then(|| call.spec.link_to.clone())
            .flatten();
        if let Some(other) = bridge_to
            && st
                .calls
                .get(&other)
                .is_some_and(|o| o.state == CallState::Answered)
        {
            self.bridge_locked(&mut st, id, &other);
        }
        drop(st);
        let id = id.to_string();
        self.later(limit, move |core| {
            let answered = core
                .lock()
                .calls
                .get(&id)
                .is_some_and(|c| c.state == CallState::Answered);
            if answered {
                core.end_call(&id, "time_limit", "unknown", "200");
            }
        });
        true
    }

    /// Emits `call.bridged` on both legs and links them.
    pub fn bridge_locked(&self, st: &mut State, a: &str, b: &str) {
        for (me, other) in [(a, b), (b, a)] {
            if let Some(c) = st.calls.get_mut(me) {
                c.bridged_with = Some(other.to_string());
                let start = rfc3339(c.created_at);
                self.emit(c, "call.bridged", json!({"start_time": start}));
            }
        }
    }

    /// Stops leg `id`'s recording (if any), queues `call.recording.saved` and keeps it.
    pub fn save_recording(&self, st: &mut State, id: &str) {
        let Some(call) = st.calls.get_mut(id) else {
            return;
        };
        if let Some(rec) = call.take_recording(&self.config.connection_id) {
            self.emit(call, "call.recording.saved", self.recording_saved(&rec));
            st.recordings.insert(rec.id.clone(), rec);
        }
    }

    /// Ends a leg (any side) and queues what follows a hangup. False if it had ended.
    pub fn end_call(&self, id: &str, cause: &str, source: &str, sip: &str) -> bool {
        let mut st = self.lock();
        self.end_locked(&mut st, id, cause, source, sip)
    }

    /// Ends a leg under the lock: stops its media, `call.hangup`, `call.recording.saved`,
    /// `call.cost`, and ends a bridged partner unless it parks.
    pub fn end_locked(
        &self,
        st: &mut State,
        id: &str,
        cause: &str,
        source: &str,
        sip: &str,
    ) -> bool {
        let sip_reason = st.limit_use.refused.get(id).cloned();
        let Some(call) = st.calls.get_mut(id) else {
            return false;
        };
        if !call.is_alive() {
            return false;
        }
        let answered = call.state == CallState::Answered;
        let now = Utc::now();
        call.state = CallState::Ended;
        call.ended_at = Some(now);
        call.ended = Some(Instant::now());
        call.hangup = Some(Hangup {
            cause: cause.into(),
            source: source.into(),
            sip: sip.into(),
        });
        self.stop_media(call, "call_hangup");
        let mut payload = hangup(call, answered, now);
        if let Some(r) = sip_reason {
            // Not a Telnyx field: Telnyx shows the reason phrase (with its D-code) only in
            // CDRs and the portal's debugging; the emulator puts it here so a client's
            // "why did this fail" can be tested (emulator choice).
            payload["sip_hangup_reason"] = json!(r);
        }
        self.emit(call, "call.hangup", payload);
        self.gateway.leg_ended(id, cause);
        self.save_recording(st, id);
        self.conference_leg_ended(st, id);
        let call = st.calls.get_mut(id).expect("still there");
        if self.config.call_cost_in_webhooks {
            self.emit(call, "call.cost", cost(call.answered_at, now));
        }
        call.events = None;
        let partner = call.bridged_with.take();
        if let Some(p) = partner
            && let Some(pc) = st.calls.get_mut(&p)
        {
            pc.bridged_with = None;
            if !pc.spec.park_after_unbridge {
                self.end_locked(st, &p, "normal_clearing", "unknown", "200");
            }
        }
        true
    }
}

fn initiated(call: &Call) -> Value {
    let caller_id_name = call
        .spec
        .from_display_name
        .clone()
        .unwrap_or_else(|| call.spec.from.clone());
    let (direction, state) = match call.spec.incoming {
        true => ("incoming", "parked"),
        false => ("outgoing", "bridging"),
    };
    json!({
        "direction": direction,
        "state": state,
        "start_time": rfc3339(call.created_at),
        "caller_id_name": caller_id_name,
        "custom_headers": call.spec.custom_headers,
        "sip_headers": [],
        "tags": [],
        "connection_codecs": "PCMU,PCMA,G722,OPUS",
        "offered_codecs": "PCMU,PCMA,G722,OPUS",
    })
}

fn answered(call: &Call) -> Value {
    json!({
        "state": "answered",
        "start_time": rfc3339(call.created_at),
        "custom_headers": call.spec.custom_headers,
        "sip_headers": [],
        "tags": [],
        "codec": "PCMU",
        "sampling_rate": 8000,
    })
}

fn hangup(call: &Call, answered: bool, now: DateTime<Utc>) -> Value {
    let h = call.hangup.as_ref().expect("set before the event");
    let stats = answered.then(|| {
        json!({
            "inbound": {"jitter_max_variance": "0.00", "jitter_packet_count": "0",
                        "mos": "4.50", "packet_count": "500", "skip_packet_count": "0"},
            "outbound": {"packet_count": "500", "skip_packet_count": "0"}
        })
    });
    json!({
        "state": "hangup",
        "hangup_cause": h.cause,
        "hangup_source": h.source,
        "sip_hangup_cause": h.sip,
        "start_time": rfc3339(call.created_at),
        "end_time": rfc3339(now),
        "call_quality_stats": stats,
        "custom_headers": call.spec.custom_headers,
        "tags": [],
    })
}

fn cost(answered_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Value {
    let billed = answered_at
        .map(|a| ((now - a).num_milliseconds().max(0) as f64 / 1000.0).ceil() as u64)
        .unwrap_or(0);
    // Per-minute rate with per-second billing, like US termination on a rate deck.
    let rate = 0.005;
    let cost = format!("{:.4}", rate * billed as f64 / 60.0);
    json!({
        "total_cost": cost,
        "billed_duration_secs": billed,
        "status": "success",
        "billing_group_id": null,
        "cost_parts": [{"call_part": "call-control", "billed_duration_secs": billed,
                        "rate": format!("{rate}"), "cost": cost, "currency": "USD"}],
    })
}
