//! Verification against the fixed vectors of reference/telnyx-api.md §4.2 (keys published in
//! Telnyx's own SDK tests), under a fixed clock.

use super::*;
use chrono::TimeZone;

const KEY_1: &str = "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik=";
const KEY_2: &str = "jrMBoswHlhhVx2W2Www72WU/xn4UMpjreslD0m2u0qs=";

pub(crate) const VECTOR_C_BODY: &str = r#"{"data":{"event_type":"call.hangup","id":"f95c9c17-8dd9-4360-acc1-de74a6c2027a","occurred_at":"2025-09-11T12:33:37.840802Z","payload":{"call_control_id":"v3:vZdWG4JkwAHwEj4KBrAFeLprgbHYQVN8qt9rAhmO8fQRZ5ohsjz1jw","call_leg_id":"876b7aec-8f0b-11f0-a6b2-02420a1f0b69","call_session_id":"876b6c5a-8f0b-11f0-9f1e-02420a1f0b69","client_state":null,"connection_id":"2774993960299398855","end_time":"2025-09-11T12:33:37.840802Z","from":"+12037206619","hangup_cause":"normal_clearing","hangup_source":"caller","sip_hangup_cause":"200","start_time":"2025-09-11T12:33:32.760802Z","to":"+18004377950"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks/telnyx"}}"#;

struct Vector {
    key: &'static str,
    timestamp: &'static str,
    body: &'static str,
    signature: &'static str,
}

const VECTORS: [Vector; 3] = [
    Vector {
        key: KEY_1,
        timestamp: "1700000000",
        body: r#"{"data":{"event_type":"message.received","id":"test-123"}}"#,
        signature: "tMXRZyBL2gkwrgKp6CTDXTO/K+DVq0ZKEFB3tSdfBwqZGC3K/Hr7TCW+jY7RdWrAiKXEckI3tsHEpdz7lS/MDA==",
    },
    Vector {
        key: KEY_2,
        timestamp: "1700000000",
        body: r#"{"event_type":"test","id":"abc123"}"#,
        signature: "7o3u2izfEtn5PFPE0nDvo9y8RErRmfHM5wIO04wRV6VTNaq6RiLj1ehc7uMJuIMihJobi2u3HYyB1Ie61c2XCQ==",
    },
    Vector {
        key: KEY_1,
        timestamp: "1757594018",
        body: VECTOR_C_BODY,
        signature: "EC41HS3/oxUQX+rqRT/en2I/nGszRYxitemrFZQ8YHmLxoCSb8/17XJai8gC+TLx2w65QSveDL4MrhPXnNRnAA==",
    },
];

fn at(ts: &str, offset: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts.parse::<i64>().unwrap() + offset, 0)
        .unwrap()
}

fn check(v: &Vector, ts: &str, body: &[u8], now: DateTime<Utc>) -> Result<i64, SignatureError> {
    WebhookVerifier::from_base64(v.key).verify(Some(ts), Some(v.signature), body, now)
}

#[test]
fn published_vectors_verify() {
    assert_eq!(VECTORS[2].body.len(), 688);
    for v in &VECTORS {
        assert_eq!(
            check(v, v.timestamp, v.body.as_bytes(), at(v.timestamp, 0)),
            Ok(v.timestamp.parse().unwrap())
        );
        // anywhere inside the window, either side
        assert!(check(v, v.timestamp, v.body.as_bytes(), at(v.timestamp, 300)).is_ok());
        assert!(check(v, v.timestamp, v.body.as_bytes(), at(v.timestamp, -300)).is_ok());
    }
}

#[test]
fn any_changed_body_byte_fails() {
    for v in &VECTORS {
        for i in [0, v.body.len() / 2, v.body.len() - 1] {
            let mut body = v.body.as_bytes().to_vec();
            body[i] ^= 0x01;
            assert_eq!(
                check(v, v.timestamp, &body, at(v.timestamp, 0)),
                Err(SignatureError::Mismatch)
            );
        }
    }
}

#[test]
fn changed_timestamp_fails() {
    for v in &VECTORS {
        let other = (v.timestamp.parse::<i64>().unwrap() + 1).to_string();
        assert_eq!(
            check(v, &other, v.body.as_bytes(), at(v.timestamp, 0)),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn stale_or_future_timestamps_fail() {
    let v = &VECTORS[2];
    for offset in [301, -301, 86_400] {
        assert_eq!(
            check(v, v.timestamp, v.body.as_bytes(), at(v.timestamp, offset)),
            Err(SignatureError::StaleTimestamp),
            "offset {offset}"
        );
    }
}

#[test]
fn missing_headers_and_bad_keys_fail() {
    let v = &VECTORS[0];
    let now = at(v.timestamp, 0);
    let verifier = WebhookVerifier::from_base64(v.key);
    assert_eq!(
        verifier.verify(None, Some(v.signature), v.body.as_bytes(), now),
        Err(SignatureError::MissingTimestamp)
    );
    assert_eq!(
        verifier.verify(Some(v.timestamp), None, v.body.as_bytes(), now),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        verifier.verify(Some("soon"), Some(v.signature), v.body.as_bytes(), now),
        Err(SignatureError::BadTimestamp)
    );
    assert_eq!(
        verifier.verify(
            Some(v.timestamp),
            Some("bm90IDY0IGJ5dGVz"),
            v.body.as_bytes(),
            now
        ),
        Err(SignatureError::BadSignatureEncoding)
    );
    // the other account's key
    assert_eq!(
        WebhookVerifier::from_base64(KEY_2).verify(
            Some(v.timestamp),
            Some(v.signature),
            v.body.as_bytes(),
            now
        ),
        Err(SignatureError::Mismatch)
    );
    for bad_key in [
        "",
        "not base64 at all!",
        "AAAA",
        "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik",
    ] {
        let verifier = WebhookVerifier::from_base64(bad_key);
        assert!(
            !verifier.is_configured() || bad_key.len() == 43,
            "{bad_key}"
        );
        if !verifier.is_configured() {
            assert_eq!(
                verifier.verify(Some(v.timestamp), Some(v.signature), v.body.as_bytes(), now),
                Err(SignatureError::KeyNotConfigured)
            );
        }
    }
}

#[test]
fn hangup_envelope_parses_into_a_domain_event() {
    let parsed = parse_event(VECTOR_C_BODY).unwrap();
    assert_eq!(parsed.event_id, "f95c9c17-8dd9-4360-acc1-de74a6c2027a");
    assert_eq!(parsed.event_type, "call.hangup");
    assert_eq!(parsed.attempt, 1);
    assert_eq!(parsed.call_id, None, "client_state was null");
    assert_eq!(
        parsed.call_control_id.as_deref(),
        Some("v3:vZdWG4JkwAHwEj4KBrAFeLprgbHYQVN8qt9rAhmO8fQRZ5ohsjz1jw")
    );
    let event = parsed.event.unwrap();
    match event.kind {
        CallEventKind::Hangup {
            cause,
            source,
            sip_code,
            start_time,
            end_time,
        } => {
            assert_eq!(cause, "normal_clearing");
            assert_eq!(source.as_deref(), Some("caller"));
            assert_eq!(sip_code.as_deref(), Some("200"));
            assert_eq!(
                start_time.unwrap().to_rfc3339(),
                "2025-09-11T12:33:32.760802+00:00"
            );
            assert_eq!(end_time, Some(event.occurred_at));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn lenient_parsing_of_real_world_shapes() {
    let id = domain::CallId::new_at(Utc::now());
    let state = client_state::encode(id);
    let body = format!(
        r#"{{"data":{{"record_type":"event","event_type":"call.recording.saved","id":"e-1","occurred_at":"2022-02-04T11:36:13.508869Z","payload":{{"call_leg_id":"x","client_state":"{state}","channels":"single","recording_urls":{{"wav":"https://s3/x.wav"}},"recording_started_at":"2022-02-04T11:36:08.148619Z","unknown_field":[1,2]}}}}}}"#
    );
    let parsed = parse_event(&body).unwrap();
    assert_eq!(parsed.call_id, Some(id));
    assert_eq!(parsed.attempt, 1, "meta is optional");
    match parsed.event.unwrap().kind {
        CallEventKind::RecordingSaved {
            recording_id,
            format,
            ..
        } => {
            assert_eq!(recording_id, "e-1");
            assert_eq!(format.as_deref(), Some("wav"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let not_call = parse_event(
        r#"{"data":{"event_type":"number_order.complete","id":"n1","occurred_at":"2025-01-01T00:00:00Z","payload":{}},"meta":{"attempt":3}}"#,
    )
    .unwrap();
    assert!(not_call.event.is_none());
    assert_eq!(not_call.attempt, 3);
    for bad in [
        "",
        "{}",
        "[]",
        r#"{"data":{"event_type":"call.answered"}}"#,
        r#"{"data":{"event_type":"call.answered","id":"","occurred_at":"2025-01-01T00:00:00Z"}}"#,
        r#"{"data":{"event_type":"call.answered","id":"x","occurred_at":"yesterday"}}"#,
    ] {
        assert!(parse_event(bad).is_err(), "{bad}");
    }
}
