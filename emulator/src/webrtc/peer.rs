//! The gateway's end of a page's WebRTC leg, on str0m (sans-IO): ICE-lite, one 127.0.0.1 UDP
//! host candidate, PCMU only. The gateway offers (Telnyx sends the SDP offer in the Verto
//! invite); the page answers. Once connected it sends one 20 ms PCMU frame per tick of
//! whatever [`Sending`] the call's state asks for, and meters every frame it receives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::meter::Meter;
use super::mulaw;
use super::sound::{FRAME_MS, FRAME_SAMPLES, Generator, Sending};

/// What both the media task and the measurement endpoint see of one leg's media.
#[derive(Default, Debug)]
pub struct MediaStats {
    /// Everything the page sent.
    pub received: Meter,
    /// What of it went on to the far end: nothing while the page's leg is held.
    pub forwarded: Meter,
    /// The page put the leg on hold (Verto `modify`): media stops both ways.
    pub held: bool,
    /// In a conference where nobody hears the page (muted, held, alone): nothing passes on.
    pub silenced: bool,
    pub packets_sent: u64,
    pub connected_at: Option<Instant>,
    pub first_sent: Option<Instant>,
}

pub type SharedStats = Arc<Mutex<MediaStats>>;

pub fn lock(s: &SharedStats) -> std::sync::MutexGuard<'_, MediaStats> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A peer that has sent its offer and waits for the page's answer.
pub struct PendingPeer {
    rtc: Rtc,
    pending: SdpPendingOffer,
    socket: std::net::UdpSocket,
    mid: Mid,
}

fn config() -> RtcConfig {
    RtcConfig::new()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .set_ice_lite(true)
        .clear_codecs()
        .enable_pcmu(true, false)
}

/// Builds the offer: (SDP text, the peer waiting for the answer).
pub fn offer() -> Result<(String, PendingPeer), String> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = socket.local_addr().map_err(|e| e.to_string())?;
    let mut rtc = config().build(Instant::now());
    let cand = Candidate::host(addr, "udp").map_err(|e| e.to_string())?;
    rtc.add_local_candidate(cand);
    let mut api = rtc.sdp_api();
    let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, pending) = api.apply().ok_or("no offer to make")?;
    let sdp = offer.to_sdp_string();
    Ok((
        sdp,
        PendingPeer {
            rtc,
            pending,
            socket,
            mid,
        },
    ))
}

impl PendingPeer {
    /// Applies the page's SDP answer; the peer can then run.
    pub fn accept(mut self, answer_sdp: &str) -> Result<ActivePeer, String> {
        let answer = SdpAnswer::from_sdp_string(answer_sdp).map_err(|e| e.to_string())?;
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, answer)
            .map_err(|e| e.to_string())?;
        self.socket
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let socket = UdpSocket::from_std(self.socket).map_err(|e| e.to_string())?;
        Ok(ActivePeer {
            rtc: self.rtc,
            socket,
            mid: self.mid,
            pt: None,
            generator: Generator::default(),
            rtp_time: 0,
        })
    }
}

/// Whether a datagram from `source` is let in: loopback only.
fn accepts(source: SocketAddr) -> bool {
    source.ip().is_loopback()
}

pub struct ActivePeer {
    rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    pt: Option<Pt>,
    generator: Generator,
    rtp_time: u64,
}

/// Runs until `stop` fires (or its sender is dropped) or the connection fails. `what` is
/// asked every 20 ms what to play.
pub async fn run(
    mut peer: ActivePeer,
    stats: SharedStats,
    what: impl Fn() -> Sending + Send + 'static,
    mut stop: oneshot::Receiver<()>,
) {
    let local = match peer.socket.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let mut buf = vec![0u8; 2048];
    let mut next_frame: Option<Instant> = None;
    loop {
        let Some(timeout) = peer.drain(&stats) else {
            return;
        };
        if next_frame.is_none() && lock(&stats).connected_at.is_some() {
            next_frame = Some(Instant::now());
        }
        let wake = next_frame.map_or(timeout, |f| f.min(timeout));
        tokio::select! {
            _ = &mut stop => return,
            r = peer.socket.recv_from(&mut buf) => {
                let Ok((n, source)) = r else { return };
                peer.receive(&buf[..n], source, local);
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
        }
        let now = Instant::now();
        if let Some(due) = next_frame.filter(|f| *f <= now) {
            peer.send_frame(what(), now, &stats);
            // Pace by the clock, not by the loop: catch up at most 100 ms after a stall.
            let next = due + Duration::from_millis(FRAME_MS);
            next_frame = Some(if now > next + Duration::from_millis(100) {
                now
            } else {
                next
            });
        }
        if peer.rtc.handle_input(Input::Timeout(now)).is_err() {
            return;
        }
    }
}

impl ActivePeer {
    /// Sends what str0m wants sent and handles its events; returns its next timeout, or
    /// None when the connection is over.
    fn drain(&mut self, stats: &SharedStats) -> Option<Instant> {
        loop {
            match self.rtc.poll_output().ok()? {
                Output::Timeout(t) => return Some(t),
                Output::Transmit(t) => {
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(e) => self.event(e, stats),
            }
        }
    }

    fn event(&mut self, e: Event, stats: &SharedStats) {
        match e {
            Event::Connected => {
                lock(stats).connected_at.get_or_insert(Instant::now());
            }
            Event::MediaData(d) => {
                let (now, level) = (Instant::now(), d.ext_vals.audio_level);
                let mut s = lock(stats);
                s.received.record(&d.data, level, now);
                if !s.held && !s.silenced {
                    s.forwarded.record(&d.data, level, now);
                }
            }
            _ => {}
        }
    }

    /// Only loopback traffic is accepted: Chromium also gathers this machine's other
    /// addresses, and nothing may leave or enter from outside 127.0.0.1 here.
    fn receive(&mut self, data: &[u8], source: SocketAddr, local: SocketAddr) {
        if !accepts(source) {
            return;
        }
        let Ok(contents) = data.try_into() else {
            return;
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto: Protocol::Udp,
                source,
                destination: local,
                contents,
            },
        );
        let _ = self.rtc.handle_input(input);
    }

    fn send_frame(&mut self, what: Sending, now: Instant, stats: &SharedStats) {
        let pcm = self.generator.frame(what);
        let Some(writer) = self.rtc.writer(self.mid) else {
            return;
        };
        let pt = match self.pt {
            Some(pt) => pt,
            None => {
                let Some(pt) = writer
                    .payload_params()
                    .find(|p| p.spec().codec == Codec::PCMU)
                    .map(|p| p.pt())
                else {
                    return;
                };
                self.pt = Some(pt);
                pt
            }
        };
        let time = MediaTime::new(self.rtp_time, Frequency::EIGHT_KHZ);
        self.rtp_time += FRAME_SAMPLES as u64;
        if writer
            .write(pt, now, time, mulaw::encode_frame(&pcm))
            .is_ok()
        {
            let mut s = lock(stats);
            s.packets_sent += 1;
            s.first_sent.get_or_insert(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_sources_get_in() {
        assert!(accepts("127.0.0.1:5000".parse().unwrap()));
        assert!(accepts("[::1]:5000".parse().unwrap()));
        assert!(!accepts("192.168.1.20:5000".parse().unwrap()));
        assert!(!accepts("10.0.0.1:5000".parse().unwrap()));
    }

    #[test]
    fn the_offer_is_ice_lite_pcmu_on_loopback_only() {
        let (sdp, _peer) = offer().unwrap();
        assert!(sdp.contains("a=ice-lite"), "{sdp}");
        assert!(sdp.contains("PCMU/8000"), "{sdp}");
        let candidates: Vec<&str> = sdp
            .lines()
            .filter(|l| l.starts_with("a=candidate"))
            .collect();
        assert_eq!(candidates.len(), 1, "{sdp}");
        assert!(candidates[0].contains("127.0.0.1"), "{sdp}");
        for codec in ["opus", "PCMA", "G722"] {
            assert!(!sdp.contains(codec), "{codec} offered: {sdp}");
        }
    }
}
