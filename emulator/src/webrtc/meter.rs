//! The measurement of one direction of a leg's audio: what the gateway received from the page.
//!
//! Two independent readings per packet: the level of the decoded PCM (what a listener would
//! hear), and the RFC 6464 audio level Chromium writes into each RTP header (what the page's
//! own audio pipeline measured before encoding). A frame counts as *voiced* when its decoded
//! level is above [`VOICED_DBOV`]; a muted track (`enabled = false`) still sends ~50 packets
//! a second, all digital silence, so "packets grow, voiced time does not" is the proof of mute.

use std::collections::VecDeque;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::mulaw;

/// Frames louder than this (decoded RMS, dBov) are voiced. Room noise through a phone sits
/// around -60 dBov, quiet speech around -35; pure digital silence reads [`FLOOR_DBOV`].
pub const VOICED_DBOV: f64 = -45.0;
pub const FLOOR_DBOV: f64 = -127.0;
/// How many recent frames the mean level covers (one second of 20 ms packets).
const RECENT_FRAMES: usize = 50;

/// RMS level of 16-bit PCM relative to the overload point, with a full-scale sine at 0 dBov
/// (ITU-T G.100.1), floored at -127 like RFC 6464.
pub fn frame_level_dbov(pcm: &[i16]) -> f64 {
    if pcm.is_empty() {
        return FLOOR_DBOV;
    }
    let sum: f64 = pcm.iter().map(|s| (*s as f64) * (*s as f64)).sum();
    let rms = (sum / pcm.len() as f64).sqrt();
    if rms < 1.0 {
        return FLOOR_DBOV;
    }
    (20.0 * (rms / 32768.0).log10() + 3.01).clamp(FLOOR_DBOV, 0.0)
}

#[derive(Default, Debug)]
pub struct Meter {
    packets: u64,
    voiced_ms: u64,
    recent: VecDeque<f64>,
    recent_rfc6464: VecDeque<f64>,
    last_packet_at: Option<DateTime<Utc>>,
    /// Instants for latency figures (same process only).
    pub first_packet: Option<Instant>,
    pub first_voiced: Option<Instant>,
    pub last_voiced: Option<Instant>,
}

/// What `/emulator/calls/{id}/media` reports about the received direction.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Reading {
    pub packets_received: u64,
    pub voiced_ms: u64,
    /// Decoded level of the last second of packets (mean power, dBov); null before the first
    /// packet.
    pub level_dbov: Option<f64>,
    /// Mean RFC 6464 level (as negative dBov) over the same packets; null if the sender puts
    /// no audio-level header extension in its packets.
    pub rfc6464_level_dbov: Option<f64>,
    pub last_packet_at: Option<String>,
}

impl Meter {
    /// One received PCMU payload, with the RFC 6464 level (0..=127, = -dBov) if present.
    pub fn record(&mut self, payload: &[u8], audio_level: Option<i8>, at: Instant) {
        let pcm = mulaw::decode_frame(payload);
        let level = frame_level_dbov(&pcm);
        self.packets += 1;
        self.first_packet.get_or_insert(at);
        if level > VOICED_DBOV {
            self.voiced_ms += pcm.len() as u64 * 1000 / super::sound::RATE as u64;
            self.first_voiced.get_or_insert(at);
            self.last_voiced = Some(at);
        }
        push_recent(&mut self.recent, level);
        if let Some(l) = audio_level {
            push_recent(&mut self.recent_rfc6464, -(l.clamp(0, 127) as f64));
        }
        self.last_packet_at = Some(Utc::now());
    }

    pub fn reading(&self) -> Reading {
        Reading {
            packets_received: self.packets,
            voiced_ms: self.voiced_ms,
            level_dbov: mean(&self.recent),
            rfc6464_level_dbov: mean(&self.recent_rfc6464),
            last_packet_at: self.last_packet_at.map(crate::time::rfc3339),
        }
    }
}

fn push_recent(q: &mut VecDeque<f64>, v: f64) {
    if q.len() == RECENT_FRAMES {
        q.pop_front();
    }
    q.push_back(v);
}

/// The level of the window as a whole: mean power, not mean of decibels, so a second that is
/// half tone and half silence reads 3 dB below the tone rather than halfway to -127.
fn mean(q: &VecDeque<f64>) -> Option<f64> {
    if q.is_empty() {
        return None;
    }
    let power = q.iter().map(|db| 10f64.powf(db / 10.0)).sum::<f64>() / q.len() as f64;
    let db = (10.0 * power.log10()).clamp(FLOOR_DBOV, 0.0);
    Some((db * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webrtc::sound::{Generator, Sending};

    #[test]
    fn full_scale_sine_is_about_zero_dbov() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i as f64 * std::f64::consts::TAU / 16.0).sin() * 32767.0) as i16)
            .collect();
        assert!(frame_level_dbov(&pcm).abs() < 0.2);
        assert_eq!(frame_level_dbov(&[0; 160]), FLOOR_DBOV);
    }

    #[test]
    fn silence_counts_packets_but_not_voice() {
        let mut m = Meter::default();
        let silence = mulaw::encode_frame(&[0; 160]);
        for _ in 0..10 {
            m.record(&silence, Some(127), Instant::now());
        }
        let r = m.reading();
        assert_eq!((r.packets_received, r.voiced_ms), (10, 0));
        assert_eq!(r.level_dbov, Some(FLOOR_DBOV));
        assert_eq!(r.rfc6464_level_dbov, Some(-127.0));
    }

    #[test]
    fn window_level_is_mean_power() {
        let mut m = Meter::default();
        let mut g = Generator::default();
        let silence = mulaw::encode_frame(&[0; 160]);
        for i in 0..50 {
            let f = if i % 2 == 0 {
                mulaw::encode_frame(&g.frame(Sending::Ringback))
            } else {
                silence.clone()
            };
            m.record(&f, None, Instant::now());
        }
        let half = m.reading().level_dbov.unwrap();
        let mut full = Meter::default();
        let mut g = Generator::default();
        for _ in 0..50 {
            full.record(
                &mulaw::encode_frame(&g.frame(Sending::Ringback)),
                None,
                Instant::now(),
            );
        }
        let all = full.reading().level_dbov.unwrap();
        assert!((all - half - 3.0).abs() < 0.5, "{all} vs {half}");
    }

    #[test]
    fn ringback_frames_count_as_voiced_time() {
        let mut m = Meter::default();
        let mut g = Generator::default();
        for _ in 0..50 {
            m.record(
                &mulaw::encode_frame(&g.frame(Sending::Ringback)),
                None,
                Instant::now(),
            );
        }
        let r = m.reading();
        assert_eq!(r.voiced_ms, 1000);
        assert!(r.level_dbov.unwrap() > -25.0, "{r:?}");
        assert_eq!(r.rfc6464_level_dbov, None);
    }
}
