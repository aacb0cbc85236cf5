//! Conferences (`/v2/conferences`): a room made from an answered leg, which other answered
//! legs join. The participant flags kept here (muted, on hold, left) are the one source of
//! "who hears whom": the `/emulator/conferences/{id}/audio` matrix and the WebRTC gateway's
//! media for a page in a conference both read [`Conference::hears`].

use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

use super::call::{Call, CallState};
use super::commands::Refusal;
use super::{Core, State};
use crate::events::Event;
use crate::time::rfc3339;

/// One leg's place in a conference.
pub struct Participant {
    pub id: String,
    pub ccid: String,
    pub call_leg_id: String,
    pub muted: bool,
    pub on_hold: bool,
    /// What a held participant hears (`None`: silence).
    pub hold_audio_url: Option<String>,
    pub end_conference_on_exit: bool,
    pub soft_end_conference_on_exit: bool,
    pub left: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct Conference {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended: bool,
    pub end_reason: Option<&'static str>,
    /// (call_control_id, call_session_id) of the leg whose exit ended it.
    pub ended_by: Option<(String, String)>,
    pub hold_audio_url: Option<String>,
    pub max_participants: Option<u64>,
    pub participants: Vec<Participant>,
}

/// What a create or a join asks of the new participant.
#[derive(Clone, Debug, Default)]
pub struct JoinSpec {
    pub muted: bool,
    pub hold: bool,
    pub hold_audio_url: Option<String>,
    pub end_conference_on_exit: bool,
    pub soft_end_conference_on_exit: bool,
}

/// What a create asks of the conference itself.
#[derive(Clone, Debug, Default)]
pub struct CreateSpec {
    pub name: String,
    pub hold_audio_url: Option<String>,
    pub max_participants: Option<u64>,
    pub first: JoinSpec,
}

/// Why a conference command is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfRefusal {
    UnknownConference,
    Ended,
    Call(Refusal),
    /// The leg is in a conference already (this one or another).
    AlreadyIn,
    /// A `call_control_id` named is not a participant of this conference.
    NotParticipant(String),
    Full,
}

/// A change of participants' flags (`mute`, `unmute`, `hold`, `unhold`).
#[derive(Clone, Debug)]
pub enum Flag {
    Mute(bool),
    Hold(bool, Option<String>),
}

impl Conference {
    pub fn active(&self) -> impl Iterator<Item = &Participant> {
        self.participants.iter().filter(|p| !p.left)
    }

    pub fn participant(&self, ccid: &str) -> Option<&Participant> {
        self.active().find(|p| p.ccid == ccid)
    }

    /// Does `listener` hear `speaker`? Both present, not the same leg, the listener not on
    /// hold (it hears hold audio instead), the speaker neither muted nor on hold.
    pub fn hears(&self, listener: &str, speaker: &str) -> bool {
        match (self.participant(listener), self.participant(speaker)) {
            (Some(l), Some(s)) => l.ccid != s.ccid && !l.on_hold && !s.muted && !s.on_hold,
            _ => false,
        }
    }

    /// The legs `listener` hears, in joining order.
    pub fn heard_by(&self, listener: &str) -> Vec<String> {
        self.active()
            .filter(|s| self.hears(listener, &s.ccid))
            .map(|s| s.ccid.clone())
            .collect()
    }

    pub fn json(&self, connection_id: &str) -> Value {
        let ended_by = self
            .ended_by
            .as_ref()
            .map(|(c, s)| json!({"call_control_id": c, "call_session_id": s}));
        let status = if self.ended {
            "completed"
        } else {
            "in_progress"
        };
        json!({
            "record_type": "conference",
            "id": self.id,
            "name": self.name,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
            "expires_at": rfc3339(self.created_at + ChronoDuration::hours(4)),
            "region": "ch1",
            "status": status,
            "end_reason": self.end_reason,
            "ended_by": ended_by,
            "connection_id": connection_id,
        })
    }

    pub fn participant_json(&self, p: &Participant) -> Value {
        json!({
            "record_type": "participant",
            "id": p.id,
            "call_control_id": p.ccid,
            "call_leg_id": p.call_leg_id,
            "conference": {"id": self.id, "name": self.name},
            "muted": p.muted,
            "on_hold": p.on_hold,
            "end_conference_on_exit": p.end_conference_on_exit,
            "soft_end_conference_on_exit": p.soft_end_conference_on_exit,
            "status": if p.left { "left" } else { "joined" },
            "whisper_call_control_ids": [],
            "created_at": rfc3339(p.created_at),
            "updated_at": rfc3339(p.updated_at),
        })
    }
}

/// Queues a `conference.*` webhook on a participant's leg, with the fields Telnyx's
/// conference events carry (not the call events' `from`/`to`).
fn emit(call: &Call, connection_id: &str, event_type: &str, conf_id: &str, extra: Value) {
    let mut payload = json!({
        "call_control_id": call.ids.call_control_id,
        "call_leg_id": call.ids.call_leg_id,
        "call_session_id": call.ids.call_session_id,
        "client_state": call.client_state,
        "connection_id": connection_id,
        "conference_id": conf_id,
        "occurred_at": rfc3339(Utc::now()),
    });
    if let (Value::Object(p), Value::Object(e)) = (&mut payload, extra) {
        p.extend(e);
    }
    if let Some(tx) = &call.events {
        let _ = tx.send(Event::new(event_type, payload));
    }
}

impl Core {
    fn conf_emit(&self, st: &State, ccid: &str, event_type: &str, conf: &str, extra: Value) {
        if let Some(c) = st.calls.get(ccid) {
            emit(c, &self.config.connection_id, event_type, conf, extra);
        }
    }

    /// The conference leg `ccid` is in now, if any.
    pub fn conference_of<'a>(&self, st: &'a State, ccid: &str) -> Option<&'a Conference> {
        st.conferences
            .values()
            .find(|c| !c.ended && c.participant(ccid).is_some())
    }

    /// A leg that may enter a conference: live, answered, in none yet.
    fn check_joiner(&self, st: &mut State, ccid: &str) -> Result<(), ConfRefusal> {
        let c = self
            .live_call(st, ccid)
            .ok_or(ConfRefusal::Call(Refusal::UnknownCall))?;
        match c.state {
            CallState::Ended => return Err(ConfRefusal::Call(Refusal::CallEnded)),
            CallState::Ringing => return Err(ConfRefusal::Call(Refusal::NotAnswered)),
            CallState::Answered => {}
        }
        if self.conference_of(st, ccid).is_some() {
            return Err(ConfRefusal::AlreadyIn);
        }
        Ok(())
    }

    /// `POST /v2/conferences`: the conference with leg `ccid` as its first participant.
    pub fn create_conference(
        self: &Arc<Self>,
        ccid: &str,
        spec: CreateSpec,
        client_state: Option<String>,
    ) -> Result<Value, ConfRefusal> {
        let mut st = self.lock();
        self.check_joiner(&mut st, ccid)?;
        let now = Utc::now();
        let id = uuid::Uuid::new_v4().to_string();
        let conf = Conference {
            id: id.clone(),
            name: spec.name,
            created_at: now,
            updated_at: now,
            ended: false,
            end_reason: None,
            ended_by: None,
            hold_audio_url: spec.hold_audio_url,
            max_participants: spec.max_participants,
            participants: vec![],
        };
        if let (Some(cs), Some(c)) = (client_state, st.calls.get_mut(ccid)) {
            c.client_state = Some(cs);
        }
        st.conferences.insert(id.clone(), conf);
        self.conf_emit(&st, ccid, "conference.created", &id, json!({}));
        self.add_participant(&mut st, &id, ccid, spec.first);
        let body = st.conferences[&id].json(&self.config.connection_id);
        drop(st);
        self.conference_media_changed(&id);
        Ok(body)
    }

    /// `actions/join`: leg `ccid` enters conference `id`.
    pub fn join_conference(
        self: &Arc<Self>,
        id: &str,
        ccid: &str,
        spec: JoinSpec,
        client_state: Option<String>,
    ) -> Result<(), ConfRefusal> {
        let mut st = self.lock();
        self.check_member(&mut st, id, &[])?;
        let conf = &st.conferences[id];
        let full = conf
            .max_participants
            .is_some_and(|m| conf.active().count() as u64 >= m);
        self.check_joiner(&mut st, ccid)?;
        if full {
            return Err(ConfRefusal::Full);
        }
        if let (Some(cs), Some(c)) = (client_state, st.calls.get_mut(ccid)) {
            c.client_state = Some(cs);
        }
        self.add_participant(&mut st, id, ccid, spec);
        drop(st);
        self.conference_media_changed(id);
        Ok(())
    }

    /// Puts the leg in the room (a bridge it was in is undone: the conference replaces it)
    /// and queues `conference.participant.joined`.
    fn add_participant(&self, st: &mut State, id: &str, ccid: &str, spec: JoinSpec) {
        let Some(call) = st.calls.get_mut(ccid) else {
            return;
        };
        let call_leg_id = call.ids.call_leg_id.clone();
        if let Some(p) = call.bridged_with.take()
            && let Some(pc) = st.calls.get_mut(&p)
        {
            pc.bridged_with = None;
        }
        let now = Utc::now();
        let Some(conf) = st.conferences.get_mut(id) else {
            return;
        };
        let hold_audio_url = spec.hold_audio_url.or(conf.hold_audio_url.clone());
        conf.participants.push(Participant {
            id: uuid::Uuid::new_v4().to_string(),
            ccid: ccid.to_string(),
            call_leg_id,
            muted: spec.muted,
            on_hold: spec.hold,
            hold_audio_url,
            end_conference_on_exit: spec.end_conference_on_exit,
            soft_end_conference_on_exit: spec.soft_end_conference_on_exit,
            left: false,
            created_at: now,
            updated_at: now,
        });
        conf.updated_at = now;
        self.conf_emit(st, ccid, "conference.participant.joined", id, json!({}));
    }
}

/// How a conference comes to an end when a participant goes.
enum Exit {
    /// Others stay; the conference ends only if nobody is left (`all_left`).
    Plain,
    /// `end_conference_on_exit`: everybody else is hung up (`host_left`).
    HangUpAll,
    /// `soft_end_conference_on_exit`: the others leave but stay up (`host_left`).
    ReleaseAll,
}

impl Core {
    /// `actions/leave`: the leg leaves and stays up (parked).
    pub fn leave_conference(&self, id: &str, ccid: &str) -> Result<(), ConfRefusal> {
        let mut st = self.lock();
        self.check_member(&mut st, id, &[ccid.to_string()])?;
        self.remove_participant(&mut st, id, ccid);
        Ok(())
    }

    /// `actions/end`: every participant is hung up; the last one out ends it (`all_left`).
    pub fn end_conference(&self, id: &str) -> Result<(), ConfRefusal> {
        let mut st = self.lock();
        self.check_member(&mut st, id, &[])?;
        let legs: Vec<String> = st.conferences[id]
            .active()
            .map(|p| p.ccid.clone())
            .collect();
        for ccid in legs {
            self.end_locked(&mut st, &ccid, "normal_clearing", "unknown", "200");
        }
        Ok(())
    }

    /// The conference is live and every leg named is in it.
    fn check_member(&self, st: &mut State, id: &str, ccids: &[String]) -> Result<(), ConfRefusal> {
        let conf = st
            .conferences
            .get(id)
            .ok_or(ConfRefusal::UnknownConference)?;
        if conf.ended {
            return Err(ConfRefusal::Ended);
        }
        match ccids.iter().find(|c| conf.participant(c).is_none()) {
            Some(c) => Err(ConfRefusal::NotParticipant(c.clone())),
            None => Ok(()),
        }
    }

    /// `mute`/`unmute`/`hold`/`unhold` on the legs named (all participants when none are).
    pub fn set_participants(
        &self,
        id: &str,
        ccids: &[String],
        flag: Flag,
    ) -> Result<(), ConfRefusal> {
        let mut st = self.lock();
        self.check_member(&mut st, id, ccids)?;
        let conf = st.conferences.get_mut(id).expect("checked");
        let now = Utc::now();
        for p in conf.participants.iter_mut().filter(|p| !p.left) {
            if !ccids.is_empty() && !ccids.contains(&p.ccid) {
                continue;
            }
            match &flag {
                Flag::Mute(m) => p.muted = *m,
                Flag::Hold(h, audio) => {
                    p.on_hold = *h;
                    if audio.is_some() {
                        p.hold_audio_url = audio.clone();
                    }
                }
            }
            p.updated_at = now;
        }
        conf.updated_at = now;
        self.media_changed_locked(&st, id);
        Ok(())
    }

    /// Hook from the hangup path: a participant that ends leaves its conference.
    pub fn conference_leg_ended(&self, st: &mut State, ccid: &str) {
        if let Some(id) = self.conference_of(st, ccid).map(|c| c.id.clone()) {
            self.remove_participant(st, &id, ccid);
        }
    }

    /// `conference.participant.left`, then whatever the leaver's exit does to the rest.
    fn remove_participant(&self, st: &mut State, id: &str, ccid: &str) {
        let Some(conf) = st.conferences.get_mut(id) else {
            return;
        };
        let Some(p) = conf
            .participants
            .iter_mut()
            .find(|p| !p.left && p.ccid == ccid)
        else {
            return;
        };
        p.left = true;
        p.updated_at = Utc::now();
        let exit = match (p.end_conference_on_exit, p.soft_end_conference_on_exit) {
            (true, _) => Exit::HangUpAll,
            (_, true) => Exit::ReleaseAll,
            _ => Exit::Plain,
        };
        let nobody_left = conf.active().next().is_none();
        self.gateway.set_silenced(ccid, false);
        self.conf_emit(st, ccid, "conference.participant.left", id, json!({}));
        match exit {
            Exit::Plain if nobody_left => {
                self.finish(st, id, ccid, "all_left");
            }
            Exit::Plain => self.media_changed_locked(st, id),
            Exit::HangUpAll | Exit::ReleaseAll => {
                let others = self.finish(st, id, ccid, "host_left");
                if matches!(exit, Exit::HangUpAll) {
                    for o in others {
                        self.end_locked(st, &o, "normal_clearing", "unknown", "200");
                    }
                }
            }
        }
    }

    /// Ends the conference: the others leave, `conference.ended` goes out on the leg whose
    /// exit ended it. Returns the legs that were still in.
    fn finish(&self, st: &mut State, id: &str, by: &str, reason: &'static str) -> Vec<String> {
        let session = st.calls.get(by).map(|c| c.ids.call_session_id.clone());
        let Some(conf) = st.conferences.get_mut(id) else {
            return vec![];
        };
        let now = Utc::now();
        let others: Vec<String> = conf.active().map(|p| p.ccid.clone()).collect();
        for p in conf.participants.iter_mut().filter(|p| !p.left) {
            p.left = true;
            p.updated_at = now;
        }
        conf.ended = true;
        conf.updated_at = now;
        conf.end_reason = Some(reason);
        if reason == "host_left" {
            conf.ended_by = session.map(|s| (by.to_string(), s));
        }
        for o in &others {
            self.gateway.set_silenced(o, false);
            self.conf_emit(st, o, "conference.participant.left", id, json!({}));
        }
        self.conf_emit(st, by, "conference.ended", id, json!({"reason": reason}));
        others
    }

    fn conference_media_changed(&self, id: &str) {
        let st = self.lock();
        self.media_changed_locked(&st, id);
    }

    /// Tells the gateway, for each participant, whether anybody hears it: a page nobody
    /// hears has its audio passed on to no one.
    fn media_changed_locked(&self, st: &State, id: &str) {
        let Some(conf) = st.conferences.get(id) else {
            return;
        };
        for p in conf.active() {
            let heard = conf.active().any(|l| conf.hears(&l.ccid, &p.ccid));
            self.gateway.set_silenced(&p.ccid, !heard);
        }
    }

    /// Who hears whom in conference `id`, from the participant flags.
    pub fn conference_audio(&self, id: &str) -> Option<Value> {
        let st = self.lock();
        let conf = st.conferences.get(id)?;
        let rows: Vec<Value> = conf
            .active()
            .map(|p| {
                let heard_by: Vec<&str> = conf
                    .active()
                    .filter(|l| conf.hears(&l.ccid, &p.ccid))
                    .map(|l| l.ccid.as_str())
                    .collect();
                json!({
                    "call_control_id": p.ccid,
                    "webrtc": self.gateway.media_stats(&p.ccid).is_some(),
                    "media": self.page_media(&p.ccid),
                    "muted": p.muted,
                    "on_hold": p.on_hold,
                    "hears": conf.heard_by(&p.ccid),
                    "hold_audio_url": p.hold_audio_url,
                    "heard_by": heard_by,
                })
            })
            .collect();
        Some(json!({"conference_id": id, "ended": conf.ended, "participants": rows}))
    }
}

impl Core {
    /// For a page's leg: what the gateway received from the page and what of it it passed
    /// on into the conference (stands still while nobody hears the page). Null otherwise.
    fn page_media(&self, ccid: &str) -> Value {
        let Some(stats) = self.gateway.media_stats(ccid) else {
            return Value::Null;
        };
        let s = stats.lock().unwrap_or_else(|e| e.into_inner());
        json!({"received": s.received.reading(), "passed_on": s.forwarded.reading()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(flags: &[(&str, bool, bool)]) -> Conference {
        let now = Utc::now();
        Conference {
            id: "c".into(),
            name: "n".into(),
            created_at: now,
            updated_at: now,
            ended: false,
            end_reason: None,
            ended_by: None,
            hold_audio_url: None,
            max_participants: None,
            participants: flags
                .iter()
                .map(|(id, muted, on_hold)| Participant {
                    id: format!("p-{id}"),
                    ccid: id.to_string(),
                    call_leg_id: String::new(),
                    muted: *muted,
                    on_hold: *on_hold,
                    hold_audio_url: None,
                    end_conference_on_exit: false,
                    soft_end_conference_on_exit: false,
                    left: false,
                    created_at: now,
                    updated_at: now,
                })
                .collect(),
        }
    }

    #[test]
    fn muted_heard_by_nobody_held_hears_and_is_heard_by_nobody() {
        let c = room(&[("a", false, false), ("b", true, false), ("c", false, true)]);
        assert_eq!(c.heard_by("a"), Vec::<String>::new(), "b muted, c held");
        assert_eq!(c.heard_by("b"), vec!["a".to_string()]);
        assert!(c.heard_by("c").is_empty(), "held: hold audio only");
        assert!(!c.hears("a", "a"), "nobody hears themselves");
        let mut c = room(&[("a", false, false), ("b", false, false)]);
        assert_eq!(c.heard_by("a"), vec!["b".to_string()]);
        c.participants[1].left = true;
        assert!(c.heard_by("a").is_empty(), "gone is not heard");
        assert!(c.participant("b").is_none());
    }
}
