//! G.711 µ-law (PCMU), the one codec the gateway speaks: 8 kHz, one byte per sample, 160 bytes
//! per 20 ms packet. RFC 7874 makes it mandatory for WebRTC endpoints, so Chromium always offers
//! it and no Opus codec is needed.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encodes one 16-bit linear sample (ITU-T G.711, with the usual bias and inverted bits).
pub fn encode(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    let s = s.min(CLIP) + BIAS;
    // Segment = position of the highest set bit above bit 7.
    let exponent = (31 - (s as u32).leading_zeros()).saturating_sub(7).min(7) as i32;
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) | mantissa) as u8
}

/// Decodes one µ-law byte to a 16-bit linear sample.
pub fn decode(byte: u8) -> i16 {
    let b = !byte as i32;
    let sign = b & 0x80;
    let exponent = (b >> 4) & 0x07;
    let mantissa = b & 0x0F;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

pub fn encode_frame(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().copied().map(encode).collect()
}

pub fn decode_frame(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().copied().map(decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_0xff_and_back() {
        assert_eq!(encode(0), 0xFF);
        assert_eq!(decode(0xFF), 0);
    }

    #[test]
    fn round_trip_error_stays_within_the_segment_step() {
        for s in (-32768i32..=32767).step_by(7) {
            let s = s as i16;
            let back = decode(encode(s)) as i32;
            let err = (back - s as i32).abs();
            // The quantisation step doubles per segment; worst case ~1/16 of the magnitude.
            let allowed = ((s as i32).abs() / 16).max(8) + 16;
            assert!(err <= allowed, "{s} -> {back} (err {err})");
        }
    }

    #[test]
    fn known_values_from_g711() {
        // Full-scale positive and negative land in the last segment.
        assert_eq!(encode(32767), 0x80);
        assert_eq!(encode(-32768), 0x00);
        assert_eq!(decode(0x80), 32124);
        assert_eq!(decode(0x00), -32124);
    }
}
