//! The [`Legs`] port on the emulator's call store: the only place the gateway touches it.

use std::sync::Arc;

use super::{ConfAudio, LegState, LegView, Legs};
use crate::state::{CallState, Core};

impl Legs for Arc<Core> {
    fn answer(&self, ccid: &str) -> bool {
        Core::answer(self, ccid)
    }

    fn end(&self, ccid: &str, cause: &str, source: &str, sip: &str) -> bool {
        self.end_call(ccid, cause, source, sip)
    }

    fn dtmf(&self, ccid: &str, digits: &str) {
        self.callee_dtmf(ccid, digits);
    }

    fn view(&self, ccid: &str) -> Option<LegView> {
        let st = self.lock();
        let c = st.calls.get(ccid)?;
        let linked = || {
            st.calls
                .values()
                .filter(|o| o.spec.link_to.as_deref() == Some(ccid))
        };
        Some(LegView {
            state: match c.state {
                CallState::Ringing => LegState::Ringing,
                CallState::Answered => LegState::Answered,
                CallState::Ended => LegState::Ended,
            },
            bridged_with: c.bridged_with.clone(),
            link_to: c.spec.link_to.clone(),
            linked_ringing: linked().any(|o| o.state == CallState::Ringing),
            // An inbound caller is the customer even when the agent's leg links to it.
            linked_by_any: !c.spec.incoming && linked().next().is_some(),
            playback: c.playback.is_some(),
            partner_silent: c
                .bridged_with
                .as_ref()
                .and_then(|b| st.calls.get(b))
                .is_some_and(|b| b.spec.silent_caller),
            conference: self.conference_of(&st, ccid).and_then(|conf| {
                let p = conf.participant(ccid)?;
                Some(ConfAudio {
                    on_hold: p.on_hold,
                    hold_audio: p.hold_audio_url.is_some(),
                    hears: conf.heard_by(ccid),
                })
            }),
        })
    }
}
