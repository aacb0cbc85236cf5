//! Telnyx Messaging as pure rules: how a text is encoded and split into parts, what a
//! destination does with a message (the outcome table), and which inbound texts are opt-out
//! keywords. No state, no I/O; `state::messages` and `api::messages` act on these.

/// The one messaging profile every owned number belongs to.
pub const DEFAULT_PROFILE_ID: &str = "40017f8e-5a1f-4c2b-9d3e-000000000001";
pub const DEFAULT_PROFILE_NAME: &str = "emulator default";
/// Telnyx splits a message into at most 10 parts.
pub const MAX_PARTS: usize = 10;
/// Telnyx accepts at most 10 media URLs on an MMS.
pub const MAX_MEDIA: usize = 10;

/// Telnyx's GSM-7 set (its own, narrower than GSM 03.38: no `` ` ``, no `€`, no Greek).
const GSM_BASIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\r !\"#$%&'()*+,-./:;<=>?@_£¥èéùìòØøÅåÆæßÉ¡ÄÖÑÜ¿äöñüà";
/// In the set, but sent with an escape code: each counts as two characters.
const GSM_EXTENDED: &str = "~^|\\{}[]";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// As Telnyx writes it in a message's `encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }

    /// (one-part capacity, per-part capacity of a multi-part message), in units.
    fn capacity(self) -> (usize, usize) {
        match self {
            Encoding::Gsm7 => (160, 153),
            Encoding::Ucs2 => (70, 67),
        }
    }
}

/// How a text goes over the air: its encoding, its length in that encoding's units, and
/// how many parts it is billed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    pub units: usize,
    pub parts: usize,
}

/// Encodes as Telnyx does: GSM-7 when every character is in its set (escaped ones count 2),
/// else UCS-2 for the whole text, counted in UTF-16 code units (an emoji counts 2).
pub fn segments(text: &str) -> Segments {
    let gsm: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM_EXTENDED.contains(c) {
                Some(2)
            } else if GSM_BASIC.contains(c) {
                Some(1)
            } else {
                None
            }
        })
        .sum();
    let (encoding, units) = match gsm {
        Some(n) => (Encoding::Gsm7, n),
        None => (Encoding::Ucs2, text.encode_utf16().count()),
    };
    let (single, multi) = encoding.capacity();
    let parts = match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    };
    Segments {
        encoding,
        units,
        parts,
    }
}

/// A delivery error as Telnyx reports it in `errors` (code, title).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CarrierError {
    pub code: &'static str,
    pub title: &'static str,
    pub detail: &'static str,
}

/// What the destination does with an accepted message, or that it refuses it outright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `message.sent`, then `message.finalized` `delivered` after `finalize_ms`.
    Delivered { finalize_ms: u64 },
    /// `message.sent`, then `message.finalized` `delivery_failed` with the carrier's error.
    DeliveryFailed(CarrierError),
    /// No `message.sent`: `message.finalized` `sending_failed` (Telnyx never handed it on).
    SendingFailed(CarrierError),
    /// The send itself is refused with 40300: the destination has a block rule.
    OptedOut,
}

pub const SENT_AFTER_MS: u64 = 300;
pub const FINALIZE_MS: u64 = 1_500;
pub const DELAYED_FINALIZE_MS: u64 = 60_000;

pub const NOT_ROUTABLE: CarrierError = CarrierError {
    code: "40001",
    title: "Not routable",
    detail: "The destination number is a landline or otherwise cannot receive messages.",
};
pub const UNDELIVERABLE: CarrierError = CarrierError {
    code: "40008",
    title: "Undeliverable",
    detail: "The carrier did not accept the message.",
};
pub const SPAM_TEMPORARY: CarrierError = CarrierError {
    code: "40002",
    title: "Blocked as spam - temporary",
    detail: "The carrier's spam filter blocked the message.",
};
pub const UNREGISTERED_10DLC: CarrierError = CarrierError {
    code: "40010",
    title: "Not 10DLC registered",
    detail: "The sending number is not 10DLC-registered but is required to be by the carrier.",
};

/// The key of a magic destination: the last four digits of `+1 NPA 555-01NN`.
fn magic_key(to: &str) -> Option<&str> {
    let d = to.strip_prefix("+1")?;
    (d.len() == 10 && &d[3..6] == "555" && &d[6..8] == "01").then(|| &d[6..])
}

/// The outcome table, keyed like the call scenarios; any other number is delivered.
pub fn outcome_for(to: &str) -> Outcome {
    match magic_key(to) {
        Some("0151") => Outcome::DeliveryFailed(NOT_ROUTABLE),
        Some("0152") => Outcome::DeliveryFailed(UNDELIVERABLE),
        Some("0153") => Outcome::Delivered {
            finalize_ms: DELAYED_FINALIZE_MS,
        },
        Some("0154") => Outcome::OptedOut,
        Some("0155") => Outcome::SendingFailed(UNREGISTERED_10DLC),
        Some("0156") => Outcome::DeliveryFailed(SPAM_TEMPORARY),
        _ => Outcome::Delivered {
            finalize_ms: FINALIZE_MS,
        },
    }
}

/// `(carrier, line_type)` Telnyx's lookup would give the destination *(emulator choice)*.
pub fn carrier_of(to: &str) -> (&'static str, &'static str) {
    match magic_key(to) {
        Some("0151") => ("EMULATED LANDLINE CO", "Wireline"),
        _ => ("T-MOBILE USA, INC.", "Wireless"),
    }
}

/// An inbound text that is one of Telnyx's default keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

impl Keyword {
    /// The inbound message's `autoresponse_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Stop => "STOP",
            Keyword::Start => "START",
            Keyword::Help => "HELP",
        }
    }

    /// The reply Telnyx sends back on its own *(wording: emulator choice)*.
    pub fn auto_reply(self) -> &'static str {
        match self {
            Keyword::Stop => {
                "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe."
            }
            Keyword::Start => {
                "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe."
            }
            Keyword::Help => "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
        }
    }
}

/// Telnyx's default keywords: the whole text, any case, surrounding space ignored.
pub fn keyword(text: &str) -> Option<Keyword> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "stop" | "stopall" | "stop all" | "unsubscribe" | "cancel" | "end" | "quit" => {
            Some(Keyword::Stop)
        }
        "start" | "unstop" => Some(Keyword::Start),
        "help" | "info" => Some(Keyword::Help),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> (&'static str, usize, usize) {
        let s = segments(text);
        (s.encoding.as_str(), s.units, s.parts)
    }

    #[test]
    fn gsm7_parts_are_160_then_153() {
        let a = |n: usize| "a".repeat(n);
        assert_eq!(seg(""), ("GSM-7", 0, 0));
        assert_eq!(seg("Hello, World!"), ("GSM-7", 13, 1));
        assert_eq!(seg(&a(160)), ("GSM-7", 160, 1));
        assert_eq!(seg(&a(161)), ("GSM-7", 161, 2));
        assert_eq!(seg(&a(306)), ("GSM-7", 306, 2));
        assert_eq!(seg(&a(307)), ("GSM-7", 307, 3));
        assert_eq!(seg(&a(1530)), ("GSM-7", 1530, 10));
        assert_eq!(seg(&a(1531)), ("GSM-7", 1531, 11));
    }

    #[test]
    fn escaped_characters_count_two() {
        assert_eq!(seg("{}"), ("GSM-7", 4, 1));
        assert_eq!(seg(&format!("{}[", "a".repeat(159))), ("GSM-7", 161, 2));
        assert_eq!(seg("£5 ü é"), ("GSM-7", 6, 1));
    }

    #[test]
    fn anything_outside_the_set_makes_the_whole_text_ucs2() {
        let u = |n: usize| "é".repeat(n - 1) + "€";
        assert_eq!(seg("€"), ("UCS-2", 1, 1));
        assert_eq!(seg("`"), ("UCS-2", 1, 1));
        assert_eq!(seg(&u(70)), ("UCS-2", 70, 1));
        assert_eq!(seg(&u(71)), ("UCS-2", 71, 2));
        assert_eq!(seg(&u(134)), ("UCS-2", 134, 2));
        assert_eq!(seg(&u(135)), ("UCS-2", 135, 3));
        // An emoji is two UTF-16 units.
        assert_eq!(seg("hi 😀"), ("UCS-2", 5, 1));
    }

    #[test]
    fn outcomes_are_chosen_by_the_last_four_digits() {
        assert_eq!(
            outcome_for("+13125550151"),
            Outcome::DeliveryFailed(NOT_ROUTABLE)
        );
        assert_eq!(outcome_for("+14155550154"), Outcome::OptedOut);
        assert_eq!(
            outcome_for("+13125550155"),
            Outcome::SendingFailed(UNREGISTERED_10DLC)
        );
        assert_eq!(
            outcome_for("+13125550153"),
            Outcome::Delivered {
                finalize_ms: DELAYED_FINALIZE_MS
            }
        );
        for other in ["+13125550100", "+13125550251", "+442079460151"] {
            assert_eq!(
                outcome_for(other),
                Outcome::Delivered {
                    finalize_ms: FINALIZE_MS
                }
            );
        }
    }

    #[test]
    fn keywords_are_whole_texts_in_any_case() {
        assert_eq!(keyword(" Stop "), Some(Keyword::Stop));
        assert_eq!(keyword("STOP ALL"), Some(Keyword::Stop));
        assert_eq!(keyword("unstop"), Some(Keyword::Start));
        assert_eq!(keyword("START"), Some(Keyword::Start));
        assert_eq!(keyword("help"), Some(Keyword::Help));
        assert_eq!(keyword("please stop"), None);
        assert_eq!(keyword("join"), None);
    }
}
