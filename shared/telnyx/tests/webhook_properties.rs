//! Property tests of the webhook edge (issue #8): signature verification and envelope parsing
//! take any headers and any bytes and answer with a value or an error, never a panic; a
//! correctly signed body is accepted only inside the timestamp window (a replay later is
//! refused) and any change to it is refused.
//!
//! Keys are made here from generated seeds (Ed25519 as Telnyx uses it); the fixed vectors of
//! the reference live in the module's unit tests. `PROPTEST_CASES=N` raises the budget; no
//! failure files are written.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use domain::CallId;
use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::*;
use serde_json::{Value, json};
use telnyx::client_state;
use telnyx::webhook::{SignatureError, TIMESTAMP_TOLERANCE_SECS, WebhookVerifier, parse_event};

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A moment in 2025, as Unix seconds (the clock of most cases).
const NOW: i64 = 1_757_594_018;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .expect("in chrono's range")
}

/// The account's key pair and the verifier built from its public half, as it is configured.
fn account(seed: [u8; 32]) -> (SigningKey, WebhookVerifier) {
    let key = SigningKey::from_bytes(&seed);
    let public = STANDARD.encode(key.verifying_key().to_bytes());
    (key, WebhookVerifier::from_base64(&public))
}

/// The `telnyx-signature-ed25519` header Telnyx sends: base64 of the signature over
/// `timestamp|body`.
fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let mut message = format!("{timestamp}|").into_bytes();
    message.extend_from_slice(body);
    STANDARD.encode(key.sign(&message).to_bytes())
}

/// Bodies: JSON-looking text, a real envelope, or any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => envelope().prop_map(|v| v.to_string().into_bytes()),
        1 => "\\PC{0,64}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

/// `telnyx-timestamp` values: near now, anywhere in i64, and text that is not a number.
fn timestamp_header() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            3 => (-1_000i64..1_000).prop_map(|d| (NOW + d).to_string()),
            2 => any::<i64>().prop_map(|t| t.to_string()),
            1 => prop::sample::select(vec![
                i64::MIN.to_string(),
                i64::MAX.to_string(),
                (NOW - i64::MAX).to_string(),
                "".into(),
                " ".into(),
                "+1757594018".into(),
                " 1757594018 ".into(),
                "1757594018.5".into(),
                "1e9".into(),
                "99999999999999999999999".into(),
                "-0".into(),
            ]),
            1 => "\\PC{0,24}",
        ],
    )
}

/// `telnyx-signature-ed25519` values: base64 of the right and wrong lengths, and junk.
fn signature_header() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 64).prop_map(|b| STANDARD.encode(b)),
            1 => prop::collection::vec(any::<u8>(), 0..100).prop_map(|b| STANDARD.encode(b)),
            1 => "[A-Za-z0-9+/=]{0,100}",
            1 => "\\PC{0,100}",
        ],
    )
}

/// Any JSON, with the envelope's own field names as likely keys.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "data", "meta", "event_type", "id", "occurred_at", "payload", "attempt",
            "record_type", "call_control_id", "client_state", "hangup_cause", "hangup_source",
            "sip_hangup_cause", "start_time", "end_time", "result", "digit", "recording_id",
            "recording_urls", "format", "channels", "reason", "total_cost", "currency",
            "cost_parts", "billed_duration_secs",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ]
}

/// Strings that mean something somewhere in an envelope.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "\\PC{0,16}",
        1 => event_type(),
        1 => time_text(),
        1 => any::<i64>().prop_map(|t| CallId::new_at(at(NOW + t % 1_000_000_000)).to_string()),
        1 => any::<i64>().prop_map(|t| client_state::encode(CallId::new_at(at(NOW + t % 1_000_000_000)))),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| STANDARD.encode(b)),
    ]
}

fn event_type() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "call.initiated", "call.answered", "call.hangup", "call.machine.detection.ended",
            "call.machine.premium.detection.ended", "call.dtmf.received", "call.recording.saved",
            "call.recording.error", "call.cost", "call.bridged", "call.", "number_order.complete",
            "message.received", "",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ]
}

fn time_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "2025-09-11T12:33:37.840802Z",
            "2025-09-11T12:33:37Z",
            "2025-09-11T12:33:37+02:00",
            "+262143-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:60Z",
            "2025-02-30T00:00:00Z",
            "2025-09-11",
            "yesterday",
            "",
        ])
        .prop_map(str::to_string),
        (-8_000_000_000_000i64..8_000_000_000_000).prop_map(|t| at(t).to_rfc3339()),
    ]
}

/// A v2 envelope whose fields are each right, wrong or missing.
fn envelope() -> impl Strategy<Value = Value> {
    let payload = prop::collection::btree_map(key(), json_value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    (
        prop::option::weighted(0.9, event_type().prop_map(Value::from)),
        prop::option::weighted(
            0.9,
            prop_oneof![4 => text().prop_map(Value::from), 1 => json_value()],
        ),
        prop::option::weighted(
            0.9,
            prop_oneof![4 => time_text().prop_map(Value::from), 1 => json_value()],
        ),
        prop::option::of(payload),
        prop::option::of(prop_oneof![
            3 => any::<u32>().prop_map(Value::from),
            1 => json_value(),
        ]),
    )
        .prop_map(|(event_type, id, occurred_at, payload, attempt)| {
            let mut data = serde_json::Map::new();
            for (k, v) in [
                ("event_type", event_type),
                ("id", id),
                ("occurred_at", occurred_at),
                ("payload", payload),
            ] {
                if let Some(v) = v {
                    data.insert(k.into(), v);
                }
            }
            data.insert("record_type".into(), json!("event"));
            match attempt {
                Some(a) => json!({ "data": data, "meta": { "attempt": a } }),
                None => json!({ "data": data }),
            }
        })
}

proptest! {
    #![proptest_config(config(128))]

    /// Any headers over any body, checked with some account's key: refused, never accepted and
    /// never a panic (a random signature does not verify).
    #[test]
    fn unsigned_or_badly_signed_requests_are_refused(
        seed in any::<[u8; 32]>(),
        timestamp in timestamp_header(),
        signature in signature_header(),
        body in body(),
        now in -1_000_000i64..1_000_000,
    ) {
        let (_, verifier) = account(seed);
        let verdict = verifier.verify(
            timestamp.as_deref(),
            signature.as_deref(),
            &body,
            at(NOW + now),
        );
        prop_assert!(verdict.is_err(), "{verdict:?}");
        let reason = verdict.unwrap_err().reason();
        prop_assert!(!reason.is_empty());
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Timestamps anywhere in i64 against clocks anywhere chrono reaches: an answer, never an
    /// arithmetic overflow.
    #[test]
    fn extreme_timestamps_never_panic(
        timestamp in prop_oneof![
            any::<i64>(),
            Just(i64::MIN),
            Just(i64::MAX),
            i64::MIN..(i64::MIN + 10_000_000_000_000),
            (i64::MAX - 10_000_000_000_000)..=i64::MAX,
        ],
        now in -8_000_000_000_000i64..8_000_000_000_000,
        signature in signature_header(),
    ) {
        let (_, verifier) = account([7; 32]);
        let verdict = verifier.verify(
            Some(&timestamp.to_string()),
            Some(signature.as_deref().unwrap_or("x")),
            b"{}",
            at(now),
        );
        prop_assert!(verdict.is_err());
    }

    /// A verifier from any configured text: one that works or one that refuses everything.
    #[test]
    fn any_public_key_setting_builds_a_verifier(
        key in prop_oneof![
            "\\PC{0,60}",
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| STANDARD.encode(b)),
        ],
    ) {
        let verifier = WebhookVerifier::from_base64(&key);
        let verdict = verifier.verify(Some(&NOW.to_string()), Some("AAAA"), b"{}", at(NOW));
        if verifier.is_configured() {
            prop_assert_eq!(verdict, Err(SignatureError::BadSignatureEncoding));
        } else {
            prop_assert_eq!(verdict, Err(SignatureError::KeyNotConfigured));
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// A correctly signed body is accepted anywhere inside the window, either side of its
    /// timestamp; the same request replayed later than the window (or dated too far ahead) is
    /// refused as stale.
    #[test]
    fn signed_bodies_verify_only_inside_the_window(
        seed in any::<[u8; 32]>(),
        body in body(),
        sent in -1_000_000_000i64..1_000_000_000,
        inside in -TIMESTAMP_TOLERANCE_SECS..=TIMESTAMP_TOLERANCE_SECS,
        outside in prop_oneof![
            3 => (TIMESTAMP_TOLERANCE_SECS + 1)..=(TIMESTAMP_TOLERANCE_SECS + 3_600),
            1 => (TIMESTAMP_TOLERANCE_SECS + 1)..=4_000_000_000_000,
        ],
        later in any::<bool>(),
    ) {
        let (key, verifier) = account(seed);
        let ts = NOW + sent;
        let header = ts.to_string();
        let signature = sign(&key, &header, &body);
        let check = |now: i64| verifier.verify(Some(&header), Some(&signature), &body, at(now));
        prop_assert_eq!(check(ts + inside), Ok(ts));
        let replay_at = if later { ts + outside } else { ts - outside };
        prop_assert_eq!(check(replay_at), Err(SignatureError::StaleTimestamp));
    }

}

proptest! {
    #![proptest_config(config(16))]

    /// Any single changed, added or removed body byte, another timestamp inside the window, or a
    /// changed signature byte: refused.
    #[test]
    fn any_change_to_a_signed_request_is_refused(
        seed in any::<[u8; 32]>(),
        body in body().prop_filter("a byte to change", |b| !b.is_empty()),
        at_byte in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        shift in prop_oneof![(-TIMESTAMP_TOLERANCE_SECS..0), (1..=TIMESTAMP_TOLERANCE_SECS)],
        sig_byte in 0usize..64,
    ) {
        let (key, verifier) = account(seed);
        let header = NOW.to_string();
        let signature = sign(&key, &header, &body);
        let now = at(NOW);
        prop_assert_eq!(verifier.verify(Some(&header), Some(&signature), &body, now), Ok(NOW));

        let i = at_byte.index(body.len());
        let mut changed = body.clone();
        changed[i] ^= flip;
        let mut added = body.clone();
        added.insert(i, flip);
        let mut removed = body.clone();
        removed.remove(i);
        for other in [&changed, &added, &removed] {
            prop_assert_eq!(
                verifier.verify(Some(&header), Some(&signature), other, now),
                Err(SignatureError::Mismatch)
            );
        }
        let moved = (NOW + shift).to_string();
        prop_assert_eq!(
            verifier.verify(Some(&moved), Some(&signature), &body, now),
            Err(SignatureError::Mismatch)
        );
        let mut raw = STANDARD.decode(&signature).unwrap();
        raw[sig_byte] ^= flip;
        prop_assert_eq!(
            verifier.verify(Some(&header), Some(&STANDARD.encode(raw)), &body, now),
            Err(SignatureError::Mismatch)
        );
        // Another account's signature over the very same request.
        let (other_key, _) = account(seed.map(|b| b.wrapping_add(1)));
        prop_assert_eq!(
            verifier.verify(Some(&header), Some(&sign(&other_key, &header, &body)), &body, now),
            Err(SignatureError::Mismatch)
        );
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text, any JSON and any envelope-shaped JSON: an event or an envelope error. An
    /// event carries the envelope's id and type, and a domain event only for `call.*` types.
    #[test]
    fn parse_event_takes_any_body(
        body in prop_oneof![
            3 => envelope().prop_map(|v| v.to_string()),
            1 => json_value().prop_map(|v| v.to_string()),
            1 => any::<String>(),
        ],
    ) {
        let sent: Option<Value> = serde_json::from_str(&body).ok();
        match parse_event(&body) {
            Ok(parsed) => {
                let data = &sent.as_ref().expect("only JSON parses")["data"];
                prop_assert_eq!(data["id"].as_str(), Some(parsed.event_id.as_str()));
                prop_assert!(!parsed.event_id.trim().is_empty());
                prop_assert_eq!(data["event_type"].as_str(), Some(parsed.event_type.as_str()));
                prop_assert!(parsed.attempt >= 1 || sent.as_ref().unwrap()["meta"]["attempt"] == json!(0));
                if let Some(event) = &parsed.event {
                    prop_assert!(parsed.event_type.starts_with("call."), "{parsed:?}");
                    prop_assert_eq!(&event.event_id, &parsed.event_id);
                    prop_assert_eq!(event.occurred_at, parsed.occurred_at);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// `client_state` from any text: our call id or nothing; ours always read back.
    #[test]
    fn client_state_decodes_anything(
        raw in prop_oneof![
            "\\PC{0,60}",
            prop::collection::vec(any::<u8>(), 0..60).prop_map(|b| STANDARD.encode(b)),
            json_value().prop_map(|v| STANDARD.encode(v.to_string())),
        ],
        secs in -8_000_000_000_000i64..8_000_000_000_000,
    ) {
        let _ = client_state::decode(&raw);
        let id = CallId::new_at(at(secs));
        prop_assert_eq!(client_state::decode(&client_state::encode(id)), Some(id));
    }
}

/// Found by `extreme_timestamps_never_panic`: the window check subtracts the timestamp from
/// the clock in plain i64 arithmetic, so a `telnyx-timestamp` far in the past or future
/// overflows (a panic in debug builds; in release the wrapped difference is meaningless).
#[test]
fn the_most_negative_timestamp_is_refused_without_overflow() {
    let (_, verifier) = account([7; 32]);
    for ts in [i64::MIN, i64::MAX, NOW - i64::MAX] {
        assert_eq!(
            verifier.verify(
                Some(&ts.to_string()),
                Some(&STANDARD.encode([0u8; 64])),
                b"{}",
                at(NOW)
            ),
            Err(SignatureError::StaleTimestamp),
            "{ts}"
        );
    }
}
