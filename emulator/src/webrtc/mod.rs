//! The emulator as Telnyx's WebRTC gateway: a page logs in over Verto (JSON-RPC on a
//! WebSocket at `/verto`) with a telephony credential's token, and a dial to
//! `sip:<sip_username>@sip.telnyx.com` rings it. Media is real WebRTC (str0m, PCMU, ICE-lite
//! on 127.0.0.1): the gateway plays ringback while a linked customer leg rings and a
//! synthetic customer voice once bridged, and meters what the page sends. See the README's
//! "WebRTC gateway" section for the Verto subset, failure causes and the measurement.
//!
//! The call core is reached only through the [`Legs`] port (implemented in `hooks.rs`), so
//! the gateway does not depend on how calls are stored.

pub mod creds;
mod hooks;
mod http;
pub mod meter;
pub mod mulaw;
mod peer;
pub mod sound;
mod verto;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

pub use http::router;
pub use meter::Reading;
pub use peer::MediaStats;
pub use sound::Sending;

use peer::{PendingPeer, SharedStats};

/// The `@telnyx/webrtc` release whose Verto messages this gateway was last checked against
/// (login, clientReady, gatewayState, invite, answer, bye, modify, info, ping). The frontend's
/// pinned version is compared with this by the Verto e2e spec: bump both together, after
/// re-reading the SDK's `VertoHandler`/`BaseCall`.
pub const VERTO_CHECKED_SDK_VERSION: &str = "2.27.10";

/// The SIP domain a credential's URI is dialled on.
pub const SIP_DOMAIN: &str = "sip.telnyx.com";

/// `sip:<user>@sip.telnyx.com` → `user`.
pub fn gateway_user(to: &str) -> Option<&str> {
    let rest = to.strip_prefix("sip:")?;
    let (user, domain) = rest.split_once('@')?;
    let domain = domain.split([';', '?', ':']).next().unwrap_or_default();
    (domain.eq_ignore_ascii_case(SIP_DOMAIN) && !user.is_empty()).then_some(user)
}

/// Where a leg is in its life, as the gateway needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegState {
    Ringing,
    Answered,
    Ended,
}

/// What the gateway reads about a leg from the call core.
#[derive(Clone, Debug)]
pub struct LegView {
    pub state: LegState,
    pub bridged_with: Option<String>,
    pub link_to: Option<String>,
    /// A leg dialled with `link_to` = this one is still ringing.
    pub linked_ringing: bool,
    /// Some leg was dialled with `link_to` = this one (this is the agent's leg).
    pub linked_by_any: bool,
    /// A playback runs on this leg (hold music when it loops).
    pub playback: bool,
    /// The leg is in a conference: what it hears there.
    pub conference: Option<ConfAudio>,
    /// The bridged leg is an inbound caller who says nothing.
    pub partner_silent: bool,
}

/// What a conference participant hears, from the conference's participant flags.
#[derive(Clone, Debug, Default)]
pub struct ConfAudio {
    /// Held by the conference: hears hold audio (or silence), heard by nobody.
    pub on_hold: bool,
    pub hold_audio: bool,
    /// The other participants it hears, in joining order.
    pub hears: Vec<String>,
}

/// The port into the call core.
pub trait Legs: Send + Sync + 'static {
    fn answer(&self, ccid: &str) -> bool;
    fn end(&self, ccid: &str, cause: &str, source: &str, sip: &str) -> bool;
    /// The page pressed keys on this leg (`call.dtmf.received`).
    fn dtmf(&self, ccid: &str, digits: &str);
    fn view(&self, ccid: &str) -> Option<LegView>;
}

/// What a ring needs to know about the new leg.
pub struct RingRequest {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub from: String,
    pub from_display_name: Option<String>,
    pub to: String,
}

struct Session {
    id: u64,
    out: mpsc::UnboundedSender<String>,
}

struct Leg {
    verto_call_id: String,
    session: u64,
    out: mpsc::UnboundedSender<String>,
    pending: Option<PendingPeer>,
    stop: Option<oneshot::Sender<()>>,
    stats: SharedStats,
    dtmf: String,
    /// The page ended the call itself (or went away): no bye is sent to it.
    page_gone: bool,
}

#[derive(Default)]
struct GwState {
    /// By SIP username: the last page to register a credential is the one that rings.
    sessions: HashMap<String, Session>,
    legs: HashMap<String, Leg>,
    /// Digits sent with `send_dtmf` to legs that are not the page's (the customer's).
    dtmf_sent: HashMap<String, String>,
}

#[derive(Default)]
pub struct Gateway {
    st: Mutex<GwState>,
    /// Credentials apart from the sessions: taken alone, never with another lock held.
    creds: Mutex<creds::Store>,
    ids: AtomicU64,
}

fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// Telnyx hangup cause → the Verto cause the gateway's bye carries.
fn verto_cause(cause: &str) -> (&'static str, u16) {
    match cause {
        "originator_cancel" => ("ORIGINATOR_CANCEL", 487),
        "timeout" | "no_answer" => ("NO_ANSWER", 19),
        "user_busy" => ("USER_BUSY", 17),
        "call_rejected" => ("CALL_REJECTED", 21),
        _ => ("NORMAL_CLEARING", 16),
    }
}

impl Gateway {
    fn lock(&self) -> MutexGuard<'_, GwState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The credential connections and telephony credentials.
    pub fn creds(&self) -> MutexGuard<'_, creds::Store> {
        self.creds.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn register(&self, sip_username: &str, out: mpsc::UnboundedSender<String>) -> u64 {
        let id = self.next_id();
        let s = Session { id, out };
        self.lock().sessions.insert(sip_username.to_string(), s);
        id
    }

    /// Forgets a closed socket; returns the legs it was on that are still up.
    fn unregister(&self, session: u64) -> Vec<String> {
        let mut st = self.lock();
        st.sessions.retain(|_, s| s.id != session);
        st.legs
            .iter_mut()
            .filter(|(_, l)| l.session == session && !l.page_gone)
            .map(|(id, l)| {
                l.page_gone = true;
                id.clone()
            })
            .collect()
    }

    /// Is a page registered for this SIP username right now?
    pub fn is_registered(&self, sip_username: &str) -> bool {
        self.lock().sessions.contains_key(sip_username)
    }

    /// Rings the page registered for `user` with a Verto invite, or fails the leg at once.
    pub fn ring(&self, legs: &dyn Legs, user: &str, req: RingRequest) {
        // No page holds this credential: the SIP leg finds no one (Telnyx: 480).
        let offer = self.is_registered(user).then(peer::offer);
        let mut st = self.lock();
        let (Some(session), Some(Ok((sdp, pending)))) = (st.sessions.get(user), offer) else {
            drop(st);
            legs.end(&req.call_control_id, "not_found", "callee", "480");
            return;
        };
        let verto_call_id = uuid::Uuid::new_v4().to_string();
        let caller_name = req.from_display_name.clone().unwrap_or(req.from.clone());
        let params = json!({
            "callID": verto_call_id,
            "sdp": sdp,
            "caller_id_name": caller_name,
            "caller_id_number": req.from,
            "callee_id_name": "",
            "callee_id_number": req.to,
            "display_direction": "inbound",
            "telnyx_call_control_id": req.call_control_id,
            "telnyx_session_id": req.call_session_id,
            "telnyx_leg_id": req.call_leg_id,
        });
        let out = session.out.clone();
        let leg = Leg {
            verto_call_id,
            session: session.id,
            out: out.clone(),
            pending: Some(pending),
            stop: None,
            stats: SharedStats::default(),
            dtmf: String::new(),
            page_gone: false,
        };
        st.legs.insert(req.call_control_id.clone(), leg);
        drop(st);
        let _ = out.send(request(self.next_id(), "telnyx_rtc.invite", params));
    }

    /// The call core ended a leg: stop its media and, unless the page hung up itself, tell it.
    pub fn leg_ended(&self, ccid: &str, cause: &str) {
        let mut st = self.lock();
        let Some(leg) = st.legs.get_mut(ccid) else {
            return;
        };
        leg.pending = None;
        leg.stop = None;
        if std::mem::replace(&mut leg.page_gone, true) {
            return;
        }
        let (cause, code) = verto_cause(cause);
        let params = json!({"callID": leg.verto_call_id, "cause": cause, "causeCode": code});
        let out = leg.out.clone();
        drop(st);
        let _ = out.send(request(self.next_id(), "telnyx_rtc.bye", params));
    }

    fn leg_by_call_id<'a>(
        st: &'a mut GwState,
        session: u64,
        call_id: &str,
    ) -> Option<(&'a String, &'a mut Leg)> {
        st.legs
            .iter_mut()
            .find(|(_, l)| l.session == session && l.verto_call_id == call_id)
    }

    /// Records digits sent to a leg by `send_dtmf` (shown in its measurement).
    pub fn dtmf_sent(&self, ccid: &str, digits: &str) {
        self.lock()
            .dtmf_sent
            .entry(ccid.to_string())
            .or_default()
            .push_str(digits);
    }

    /// Whether a page's audio goes on to anyone: a conference says so after every change.
    pub fn set_silenced(&self, ccid: &str, silenced: bool) {
        if let Some(l) = self.lock().legs.get(ccid) {
            peer::lock(&l.stats).silenced = silenced;
        }
    }

    /// Media statistics of a page's leg (in-process callers, e.g. latency figures).
    pub fn media_stats(&self, ccid: &str) -> Option<SharedStats> {
        self.lock().legs.get(ccid).map(|l| l.stats.clone())
    }
}

/// What the gateway plays to a page's leg in the call's present state.
pub fn sending_for(view: &LegView, held: bool) -> Sending {
    match view.state {
        LegState::Ringing | LegState::Ended => Sending::None,
        LegState::Answered if held => Sending::Silence,
        LegState::Answered if view.conference.is_some() => conference_sound(view),
        LegState::Answered if view.bridged_with.is_some() && view.partner_silent => {
            Sending::Silence
        }
        LegState::Answered if view.bridged_with.is_some() => Sending::Voice,
        LegState::Answered if view.linked_ringing => Sending::Ringback,
        LegState::Answered => Sending::Silence,
    }
}

/// A participant on conference hold hears the hold audio; otherwise the synthetic talker
/// stands for the others while it hears anybody (no mixer: see the README).
pub(crate) fn conference_sound(view: &LegView) -> Sending {
    match &view.conference {
        Some(c) if c.on_hold && c.hold_audio => Sending::HoldMusic,
        Some(c) if c.on_hold || c.hears.is_empty() => Sending::Silence,
        _ => Sending::Voice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_user_takes_only_telnyx_sip_uris() {
        assert_eq!(
            gateway_user("sip:gencredab1@sip.telnyx.com"),
            Some("gencredab1")
        );
        assert_eq!(
            gateway_user("sip:u@SIP.TELNYX.COM;transport=tls"),
            Some("u")
        );
        assert_eq!(gateway_user("sip:u@example.com"), None);
        assert_eq!(gateway_user("+13125550100"), None);
        assert_eq!(gateway_user("sip:@sip.telnyx.com"), None);
    }

    fn view(state: LegState) -> LegView {
        LegView {
            state,
            bridged_with: None,
            link_to: None,
            linked_ringing: false,
            linked_by_any: false,
            playback: false,
            conference: None,
            partner_silent: false,
        }
    }

    #[test]
    fn ringback_while_customer_rings_then_voice_once_bridged() {
        let mut v = view(LegState::Answered);
        assert_eq!(sending_for(&v, false), Sending::Silence);
        v.linked_ringing = true;
        assert_eq!(sending_for(&v, false), Sending::Ringback);
        v.linked_ringing = false;
        v.bridged_with = Some("b".into());
        assert_eq!(sending_for(&v, false), Sending::Voice);
        assert_eq!(sending_for(&v, true), Sending::Silence);
        assert_eq!(sending_for(&view(LegState::Ringing), false), Sending::None);
    }
}

#[cfg(test)]
mod conference_tests {
    use super::*;

    #[test]
    fn a_page_in_a_conference_hears_voice_hold_audio_or_silence() {
        let mut v = LegView {
            state: LegState::Answered,
            bridged_with: None,
            link_to: None,
            linked_ringing: false,
            linked_by_any: false,
            playback: false,
            conference: Some(ConfAudio::default()),
            partner_silent: false,
        };
        assert_eq!(sending_for(&v, false), Sending::Silence, "alone");
        v.conference = Some(ConfAudio {
            hears: vec!["b".into()],
            ..Default::default()
        });
        assert_eq!(sending_for(&v, false), Sending::Voice);
        assert_eq!(sending_for(&v, true), Sending::Silence, "the page holds");
        v.conference = Some(ConfAudio {
            on_hold: true,
            hold_audio: true,
            hears: vec![],
        });
        assert_eq!(sending_for(&v, false), Sending::HoldMusic);
        v.conference = Some(ConfAudio {
            on_hold: true,
            ..Default::default()
        });
        assert_eq!(
            sending_for(&v, false),
            Sending::Silence,
            "hold without audio"
        );
    }
}
