//! What the gateway plays to the page, 20 ms (160 samples at 8 kHz) at a time: US ringback
//! while the customer's phone rings, a synthetic "customer voice" once bridged, silence
//! otherwise.

use std::f64::consts::TAU;

pub const RATE: u32 = 8000;
pub const FRAME_SAMPLES: usize = 160;
pub const FRAME_MS: u64 = 20;

/// What the gateway is sending to a page, as the measurement reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sending {
    Ringback,
    Voice,
    HoldMusic,
    Silence,
    None,
}

/// A sample generator. Each source starts from its own beginning when it begins to play, as
/// ringback starts with a ring when the far phone starts ringing.
pub struct Generator {
    playing: Sending,
    n: u64,
}

impl Default for Generator {
    fn default() -> Self {
        Generator {
            playing: Sending::None,
            n: 0,
        }
    }
}

impl Generator {
    pub fn frame(&mut self, what: Sending) -> [i16; FRAME_SAMPLES] {
        if what != self.playing {
            self.playing = what;
            self.n = 0;
        }
        let mut out = [0i16; FRAME_SAMPLES];
        for s in out.iter_mut() {
            let t = self.n as f64 / RATE as f64;
            self.n += 1;
            let v = match what {
                Sending::Ringback => ringback(t),
                Sending::Voice => voice(t),
                Sending::HoldMusic => hold_music(t),
                Sending::Silence | Sending::None => 0.0,
            };
            *s = (v * 32767.0).clamp(-32768.0, 32767.0) as i16;
        }
        out
    }
}

/// North American ringback: 440 + 480 Hz, 2 s on, 4 s off, about -19 dBov per tone.
fn ringback(t: f64) -> f64 {
    if t % 6.0 >= 2.0 {
        return 0.0;
    }
    0.11 * ((TAU * 440.0 * t).sin() + (TAU * 480.0 * t).sin())
}

/// A voice-like signal: a gliding 110-150 Hz glottal buzz whose harmonics are shaped by two
/// formants that move from syllable to syllable, in 4-5 syllables per second with a pause
/// between "sentences". Speech detectors and level meters treat it like talk; no real speech
/// (and no TTS dependency) is needed to prove audio flows.
fn voice(t: f64) -> f64 {
    let sentence = t % 3.0;
    if sentence >= 2.4 {
        return 0.0;
    }
    let syllable = (sentence / 0.22).floor();
    let phase = (sentence % 0.22) / 0.22;
    let envelope = (std::f64::consts::PI * phase).sin().powf(0.6);
    let f0 = 130.0 + 20.0 * (TAU * 0.7 * t).sin();
    // Vowel formants per syllable (roughly a, e, i, o, u).
    const FORMANTS: [(f64, f64); 5] = [
        (730.0, 1090.0),
        (530.0, 1840.0),
        (270.0, 2290.0),
        (570.0, 840.0),
        (300.0, 870.0),
    ];
    let (f1, f2) = FORMANTS[syllable as usize % FORMANTS.len()];
    let mut v = 0.0;
    for k in 1..=25 {
        let f = f0 * k as f64;
        if f > 3400.0 {
            break;
        }
        let gain = resonance(f, f1, 90.0) + 0.6 * resonance(f, f2, 120.0);
        v += gain / k as f64 * (TAU * f * t).sin();
    }
    0.35 * envelope * v
}

fn resonance(f: f64, centre: f64, width: f64) -> f64 {
    let d = (f - centre) / width;
    1.0 / (1.0 + d * d)
}

/// A slow arpeggio of sine notes (C, E, G, C'), half a second each.
fn hold_music(t: f64) -> f64 {
    const NOTES: [f64; 4] = [261.63, 329.63, 392.0, 523.25];
    let note = NOTES[(t / 0.5) as usize % NOTES.len()];
    let phase = (t % 0.5) / 0.5;
    0.2 * (1.0 - phase) * (TAU * note * t).sin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webrtc::meter::frame_level_dbov;

    fn levels(what: Sending, secs: u64) -> Vec<f64> {
        let mut g = Generator::default();
        (0..secs * 1000 / FRAME_MS)
            .map(|_| frame_level_dbov(&g.frame(what)))
            .collect()
    }

    #[test]
    fn ringback_is_two_seconds_on_four_off() {
        let l = levels(Sending::Ringback, 6);
        let on = l.iter().filter(|d| **d > -30.0).count();
        assert_eq!(on, 100, "2 s of 20 ms frames");
        assert!(l[..100].iter().all(|d| *d > -30.0));
        assert!(l[100..].iter().all(|d| *d < -90.0));
    }

    #[test]
    fn voice_talks_most_of_the_time_with_pauses() {
        let l = levels(Sending::Voice, 6);
        let voiced = l.iter().filter(|d| **d > -40.0).count() as f64 / l.len() as f64;
        assert!((0.6..0.85).contains(&voiced), "voiced share {voiced}");
        assert!(l.iter().any(|d| *d < -90.0), "sentence pauses");
    }

    #[test]
    fn a_source_starts_from_its_beginning() {
        let mut g = Generator::default();
        for _ in 0..150 {
            g.frame(Sending::Voice); // 3 s: ringback's clock would be in its off phase
        }
        assert!(frame_level_dbov(&g.frame(Sending::Ringback)) > -30.0);
    }

    #[test]
    fn silence_is_digital_zero() {
        let mut g = Generator::default();
        assert!(g.frame(Sending::Silence).iter().all(|s| *s == 0));
    }
}
