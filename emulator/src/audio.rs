//! Audio served for recordings. WAV carries a real 440 Hz tone; MP3 is a stream of valid
//! MPEG-1 Layer III frames whose main data is empty, which every decoder plays as silence.
//! Encoding a tone to MP3 would need an encoder crate (LAME bindings are C); silence of the
//! right length is enough to exercise download, content-type and duration handling.

pub const WAV_RATE: u32 = 8000;

pub fn wav(duration_ms: u64, channels: u16) -> Vec<u8> {
    let channels = channels.max(1);
    let frames = (duration_ms * WAV_RATE as u64 / 1000) as u32;
    let data_len = frames * channels as u32 * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&WAV_RATE.to_le_bytes());
    out.extend_from_slice(&(WAV_RATE * channels as u32 * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let t = i as f64 / WAV_RATE as f64;
        for ch in 0..channels {
            // Different pitch per channel so a dual-channel file is visibly two legs.
            let f = if ch == 0 { 440.0 } else { 660.0 };
            let s = ((t * f * std::f64::consts::TAU).sin() * 8000.0) as i16;
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
    out
}

/// MPEG-1 Layer III, 32 kHz, 32 kbit/s: 144-byte frames of 1152 samples (36 ms).
pub const MP3_FRAME_BYTES: usize = 144;
pub const MP3_FRAME_MS: f64 = 36.0;

pub fn mp3(duration_ms: u64, channels: u16) -> Vec<u8> {
    let frames = ((duration_ms as f64) / MP3_FRAME_MS).ceil().max(1.0) as usize;
    // 0xFFFB: sync, MPEG-1, Layer III, no CRC. 0x18: 32 kbit/s, 32 kHz, no padding.
    // Last byte: channel mode (00 stereo, 11 mono), original, no emphasis.
    let mode = if channels >= 2 { 0x04 } else { 0xC4 };
    let header = [0xFF, 0xFB, 0x18, mode];
    let mut out = Vec::with_capacity(frames * MP3_FRAME_BYTES);
    for _ in 0..frames {
        out.extend_from_slice(&header);
        // Zero side information (17 or 32 bytes) = no main data = silence.
        out.resize(out.len() + MP3_FRAME_BYTES - header.len(), 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_length_matches_duration() {
        let w = wav(1500, 2);
        assert_eq!(&w[0..4], b"RIFF");
        let data_len = u32::from_le_bytes(w[40..44].try_into().unwrap()) as usize;
        assert_eq!(data_len, 1500 * 8 * 2 * 2);
        assert_eq!(w.len(), 44 + data_len);
    }

    #[test]
    fn mp3_is_whole_frames() {
        let m = mp3(1000, 1);
        assert_eq!(m.len() % MP3_FRAME_BYTES, 0);
        assert_eq!(m.len() / MP3_FRAME_BYTES, 28);
        assert!(
            m.chunks(MP3_FRAME_BYTES)
                .all(|f| f[0] == 0xFF && f[1] == 0xFB)
        );
    }
}
