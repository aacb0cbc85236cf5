//! The webhook router in-process with the published test vectors (reference §4.2) under a
//! fixed clock: only correctly signed, fresh bodies reach the queue, byte for byte.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use testkit::{CollectingQueue, FixedClock, send};
use webhook::{WebhookState, router};

const KEY: &str = "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik=";
const TS: &str = "1757594018";
const BODY: &str = r#"{"data":{"event_type":"call.hangup","id":"f95c9c17-8dd9-4360-acc1-de74a6c2027a","occurred_at":"2025-09-11T12:33:37.840802Z","payload":{"call_control_id":"v3:vZdWG4JkwAHwEj4KBrAFeLprgbHYQVN8qt9rAhmO8fQRZ5ohsjz1jw","call_leg_id":"876b7aec-8f0b-11f0-a6b2-02420a1f0b69","call_session_id":"876b6c5a-8f0b-11f0-9f1e-02420a1f0b69","client_state":null,"connection_id":"2774993960299398855","end_time":"2025-09-11T12:33:37.840802Z","from":"+12037206619","hangup_cause":"normal_clearing","hangup_source":"caller","sip_hangup_cause":"200","start_time":"2025-09-11T12:33:32.760802Z","to":"+18004377950"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks/telnyx"}}"#;
const SIG: &str =
    "EC41HS3/oxUQX+rqRT/en2I/nGszRYxitemrFZQ8YHmLxoCSb8/17XJai8gC+TLx2w65QSveDL4MrhPXnNRnAA==";

fn setup(key: &str, clock_offset: i64) -> (axum::Router, Arc<CollectingQueue>) {
    let queue = Arc::new(CollectingQueue::default());
    let now = Utc
        .timestamp_opt(TS.parse::<i64>().unwrap() + clock_offset, 0)
        .unwrap();
    let router = edge::http::finish(router(WebhookState {
        verifier: telnyx::WebhookVerifier::from_base64(key),
        queue: queue.clone(),
        clock: FixedClock::at(now),
    }));
    (router, queue)
}

fn post(body: &str, ts: Option<&str>, sig: Option<&str>) -> Request<Body> {
    let mut r = Request::post("/api/webhooks/telnyx").header("content-type", "application/json");
    if let Some(ts) = ts {
        r = r.header("Telnyx-Timestamp", ts);
    }
    if let Some(sig) = sig {
        r = r.header("telnyx-signature-ed25519", sig);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn a_signed_event_is_queued_byte_for_byte() {
    let (router, queue) = setup(KEY, 12);
    let answer = send(&router, post(BODY, Some(TS), Some(SIG))).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let sent = queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body, BODY);
    assert_eq!(sent[0].telnyx_timestamp, TS.parse::<i64>().unwrap());
}

#[tokio::test]
async fn anything_not_verifiable_is_401_and_nothing_is_queued() {
    let mut changed = BODY.to_string();
    changed.replace_range(100..101, "X");
    let later = (TS.parse::<i64>().unwrap() + 1).to_string();
    // (what, key, clock offset, timestamp header, signature header)
    type Case<'a> = (&'a str, &'a str, i64, Option<&'a str>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("changed body byte", KEY, 0, Some(TS), Some(SIG)),
        ("changed timestamp", KEY, 0, Some(&later), Some(SIG)),
        ("stale", KEY, 301, Some(TS), Some(SIG)),
        ("future", KEY, -301, Some(TS), Some(SIG)),
        ("missing timestamp", KEY, 0, None, Some(SIG)),
        ("missing signature", KEY, 0, Some(TS), None),
        ("garbage signature", KEY, 0, Some(TS), Some("%%%")),
        ("bad key", "not-a-key", 0, Some(TS), Some(SIG)),
        ("no key", "", 0, Some(TS), Some(SIG)),
    ];
    for (name, key, offset, ts, sig) in cases {
        let (router, queue) = setup(key, offset);
        let body = if name == "changed body byte" {
            changed.as_str()
        } else {
            BODY
        };
        let answer = send(&router, post(body, ts, sig)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.code(), "invalid_signature", "{name}");
        assert!(queue.sent().is_empty(), "{name}: nothing may be queued");
    }
}

#[tokio::test]
async fn a_queue_outage_answers_503_so_telnyx_retries_and_the_retry_lands() {
    let (router, queue) = setup(KEY, 0);
    queue.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let answer = send(&router, post(BODY, Some(TS), Some(SIG))).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "queue_unavailable");
    assert!(
        !answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("switched off"),
        "no internals"
    );
    queue.down.store(false, std::sync::atomic::Ordering::SeqCst);
    let retry = send(&router, post(BODY, Some(TS), Some(SIG))).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(queue.sent().len(), 1);
}
