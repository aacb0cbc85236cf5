//! What a leg plays and hears: playback and speak (started by commands, ended by time, a
//! stop or the hangup), the callee's DTMF and answering-machine detection.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Core;
use super::call::{Call, CallState};

/// How long the emulator lets one loop of an audio file play, in seconds.
const PLAYBACK_LOOP_SECS: u64 = 3;
/// How long fetching an unreachable audio file takes to fail.
const FETCH_FAILS_AFTER: Duration = Duration::from_millis(300);

/// An `audio_url` nothing can fetch *(emulator choice)*: its host is `invalid` or under
/// `.invalid` (RFC 2606: such names never resolve), or the URL contains `unreachable`.
/// Every other URL plays, though the emulator never fetches anything.
pub fn is_unreachable(url: &str) -> bool {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let bad_host = host.is_some_and(|h| h == "invalid" || h.ends_with(".invalid"));
    bad_host || url.to_ascii_lowercase().contains("unreachable")
}

impl Core {
    /// Ends the running playback (if any) with `status`.
    pub fn end_playback(&self, call: &mut Call, status: &str) {
        if let Some((_, mut media)) = call.playback.take() {
            media["status"] = json!(status);
            self.emit(call, "call.playback.ended", media);
        }
    }

    /// Ends a running playback and speak, as a hangup does.
    pub fn stop_media(&self, call: &mut Call, status: &str) {
        self.end_playback(call, status);
        if call.speak.take().is_some() {
            self.emit(call, "call.speak.ended", json!({"status": status}));
        }
    }

    /// Replaces the current playback (Telnyx queues; the emulator cancels the old one) and
    /// ends it after `loops` loops, or never for `None` (infinity).
    pub fn start_playback(self: &Arc<Self>, id: &str, media: Value, loops: Option<u64>) {
        let mut st = self.lock();
        st.media_seq += 1;
        let generation = st.media_seq;
        let Some(call) = st.calls.get_mut(id) else {
            return;
        };
        self.end_playback(call, "cancelled");
        call.playback = Some((generation, media.clone()));
        let unreachable = media["media_url"].as_str().is_some_and(is_unreachable);
        self.emit(call, "call.playback.started", media);
        drop(st);
        if unreachable {
            self.fail_playback_later(id, generation);
        } else if let Some(n) = loops {
            let id = id.to_string();
            let after = Duration::from_secs(PLAYBACK_LOOP_SECS.saturating_mul(n));
            self.later(after, move |core| {
                let mut st = core.lock();
                if let Some(c) = st.calls.get_mut(&id)
                    && c.playback.as_ref().is_some_and(|(g, _)| *g == generation)
                {
                    core.end_playback(c, "completed");
                }
            });
        }
    }

    /// Ends playback `generation` of leg `id` as Telnyx does when the file cannot be
    /// fetched: `call.playback.ended` with `status: file_not_found` and a `status_detail`.
    fn fail_playback_later(self: &Arc<Self>, id: &str, generation: u64) {
        let id = id.to_string();
        self.later(FETCH_FAILS_AFTER, move |core| {
            let mut st = core.lock();
            let Some(c) = st.calls.get_mut(&id) else {
                return;
            };
            if let Some((g, media)) = c.playback.as_mut()
                && *g == generation
            {
                media["status_detail"] = json!("The audio file could not be downloaded.");
                core.end_playback(c, "file_not_found");
            }
        });
    }

    /// Starts speaking `chars` characters, which takes 60 ms each and at least a second.
    pub fn start_speak(self: &Arc<Self>, id: &str, chars: usize) {
        let mut st = self.lock();
        st.media_seq += 1;
        let generation = st.media_seq;
        let Some(call) = st.calls.get_mut(id) else {
            return;
        };
        call.speak = Some(generation);
        self.emit(call, "call.speak.started", json!({}));
        drop(st);
        let ms = (chars as u64 * 60).max(1000);
        let id = id.to_string();
        self.later(Duration::from_millis(ms), move |core| {
            let mut st = core.lock();
            if let Some(c) = st.calls.get_mut(&id)
                && c.speak == Some(generation)
            {
                c.speak = None;
                core.emit(c, "call.speak.ended", json!({"status": "completed"}));
            }
        });
    }

    /// The callee presses keys. False unless the leg is answered.
    pub fn callee_dtmf(&self, id: &str, digits: &str) -> bool {
        let st = self.lock();
        let Some(call) = st.calls.get(id) else {
            return false;
        };
        if call.state != CallState::Answered {
            return false;
        }
        for d in digits.chars() {
            self.emit(call, "call.dtmf.received", json!({"digit": d.to_string()}));
        }
        true
    }

    /// AMD concludes with `result`; sends the webhooks the dial's AMD mode asks for.
    pub fn machine_detection(&self, id: &str, result: &str) {
        let st = self.lock();
        let Some(call) = st.calls.get(id) else {
            return;
        };
        if call.state != CallState::Answered {
            return;
        }
        let Some(mode) = call.spec.amd.as_deref() else {
            return;
        };
        if mode == "premium" {
            let r = match result {
                "human" => "human_residence",
                "machine" => "machine",
                _ => "not_sure",
            };
            self.emit(
                call,
                "call.machine.premium.detection.ended",
                json!({"result": r}),
            );
            if r == "machine" {
                let beep = json!({"result": "beep_detected"});
                self.emit(call, "call.machine.premium.greeting.ended", beep);
            }
        } else {
            self.emit(
                call,
                "call.machine.detection.ended",
                json!({"result": result}),
            );
            if result == "machine" && matches!(mode, "detect_beep" | "greeting_end") {
                let beep = json!({"result": "beep_detected"});
                self.emit(call, "call.machine.greeting.ended", beep);
            }
        }
    }
}
