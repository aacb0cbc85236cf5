//! Property tests of the webhook endpoint (issue #8), in-process under a fixed clock: any
//! headers and body answer 401 (or 400/404/405/415) with a problem document, never a panic or
//! a 500, and nothing unverified is queued; a correctly signed body inside the window is queued
//! byte for byte, and the same request replayed later than the window is refused.
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::*;
use std::sync::Arc;
use testkit::edge::{check, problem, runtime};
use testkit::{CollectingQueue, FixedClock, send};
use webhook::{WebhookState, router};

const PATH: &str = "/api/webhooks/telnyx";
/// The fixed clock, as Unix seconds.
const NOW: i64 = 1_757_594_018;
const WINDOW: i64 = telnyx::webhook::TIMESTAMP_TOLERANCE_SECS;

struct Fixture {
    router: axum::Router,
    queue: Arc<CollectingQueue>,
    clock: Arc<FixedClock>,
    key: SigningKey,
}

fn fixture() -> Fixture {
    let key = SigningKey::from_bytes(&[42; 32]);
    let queue = Arc::new(CollectingQueue::default());
    let clock = FixedClock::at(Utc.timestamp_opt(NOW, 0).unwrap());
    let router = edge::http::finish(router(WebhookState {
        verifier: telnyx::WebhookVerifier::from_base64(
            &STANDARD.encode(key.verifying_key().to_bytes()),
        ),
        queue: queue.clone(),
        clock: clock.clone(),
    }));
    Fixture {
        router,
        queue,
        clock,
        key,
    }
}

fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let mut message = format!("{timestamp}|").into_bytes();
    message.extend_from_slice(body);
    STANDARD.encode(key.sign(&message).to_bytes())
}

/// A request with these headers (values that are not valid header values are left out, as no
/// client could send them).
fn request(
    method: Method,
    uri: &str,
    headers: &[(&str, Option<String>)],
    body: Vec<u8>,
) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        if let Some(v) = value
            && axum::http::HeaderValue::from_str(v).is_ok()
        {
            r = r.header(*name, v.as_str());
        }
    }
    r.body(Body::from(body)).expect("request builds")
}

/// Bodies: envelope-like JSON, JSON-ish text cut anywhere, any text, any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let envelope = (
        prop::sample::select(vec!["call.initiated", "call.answered", "call.hangup", "x", ""]),
        "\\PC{0,12}",
        prop::sample::select(vec!["2025-09-11T12:33:37.840802Z", "yesterday", ""]),
    )
        .prop_map(|(t, id, at)| {
            serde_json::json!({"data": {"event_type": t, "id": id, "occurred_at": at, "payload": {}}})
                .to_string()
                .into_bytes()
        });
    prop_oneof![
        2 => envelope.clone(),
        1 => (envelope, any::<prop::sample::Index>()).prop_map(|(b, cut)| b[..cut.index(b.len() + 1)].to_vec()),
        1 => "\\PC{0,80}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => (0usize..200_000).prop_map(|n| vec![b'{'; n]),
    ]
}

fn timestamp() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            3 => (-2 * WINDOW..2 * WINDOW).prop_map(|d| (NOW + d).to_string()),
            1 => any::<i64>().prop_map(|t| t.to_string()),
            2 => prop::sample::select(vec![
                i64::MIN.to_string(),
                i64::MAX.to_string(),
                String::new(),
                " ".into(),
                format!("+{NOW}"),
                format!("{NOW}.0"),
                "9".repeat(40),
            ]),
            1 => "\\PC{0,20}",
        ],
    )
}

fn signature() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.95,
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 64).prop_map(|b| STANDARD.encode(b)),
            1 => prop::collection::vec(any::<u8>(), 0..100).prop_map(|b| STANDARD.encode(b)),
            1 => "\\PC{0,100}",
        ],
    )
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "application/octet-stream",
            "",
            "application/x-www-form-urlencoded",
        ])
        .prop_map(str::to_string),
    )
}

/// Unsigned, badly signed, stale or garbled requests: a 401 problem, and nothing queued.
#[test]
fn unverifiable_requests_are_refused_and_never_queued() {
    let rt = runtime();
    let f = fixture();
    let strategy = (
        timestamp(),
        signature(),
        content_type(),
        body(),
        any::<bool>(),
    );
    check(256, strategy, |(ts, sig, ct, body, header_case)| {
        let (ts_name, sig_name) = if header_case {
            ("Telnyx-Timestamp", "Telnyx-Signature-Ed25519")
        } else {
            ("telnyx-timestamp", "telnyx-signature-ed25519")
        };
        let headers = [(ts_name, ts), (sig_name, sig), ("content-type", ct)];
        let a = rt.block_on(send(&f.router, request(Method::POST, PATH, &headers, body)));
        problem(&a, "unsigned webhook")?;
        prop_assert_eq!(a.status.as_u16(), 401, "{:?}", a.body);
        prop_assert_eq!(a.code(), "invalid_signature");
        prop_assert!(f.queue.sent().is_empty());
        Ok(())
    });
}

/// Signed with the account's key: queued byte for byte inside the window (400 when the bytes
/// are not UTF-8 text), refused when the same request comes back later than the window.
#[test]
fn signed_requests_are_accepted_once_inside_the_window_and_replays_refused() {
    let rt = runtime();
    let f = fixture();
    let strategy = (
        body(),
        -WINDOW..=WINDOW,
        prop_oneof![3 => (WINDOW + 1)..=(WINDOW + 86_400), 1 => (WINDOW + 1)..=100_000_000],
        content_type(),
    );
    check(48, strategy, |(body, skew, replay_after, ct)| {
        let ts = NOW + skew;
        let header = ts.to_string();
        let sig = sign(&f.key, &header, &body);
        let headers = [
            ("telnyx-timestamp", Some(header.clone())),
            ("telnyx-signature-ed25519", Some(sig.clone())),
            ("content-type", ct.clone()),
        ];
        let before = f.queue.sent().len();
        f.clock.set(Utc.timestamp_opt(NOW, 0).unwrap());
        let a = rt.block_on(send(
            &f.router,
            request(Method::POST, PATH, &headers, body.clone()),
        ));
        problem(&a, "signed webhook")?;
        let sent = f.queue.sent();
        match std::str::from_utf8(&body) {
            Ok(text) => {
                prop_assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
                prop_assert_eq!(sent.len(), before + 1);
                let queued = sent.last().unwrap();
                prop_assert_eq!(queued.body.as_str(), text);
                prop_assert_eq!(queued.telnyx_timestamp, ts);
            }
            Err(_) => {
                prop_assert_eq!(a.status.as_u16(), 400, "{:?}", a.body);
                prop_assert_eq!(a.code(), "invalid_event");
                prop_assert_eq!(sent.len(), before);
            }
        }
        // The same request, replayed later than the window.
        f.clock
            .set(Utc.timestamp_opt(ts + replay_after, 0).unwrap());
        let replay = rt.block_on(send(
            &f.router,
            request(Method::POST, PATH, &headers, body.clone()),
        ));
        problem(&replay, "replayed webhook")?;
        prop_assert_eq!(replay.status.as_u16(), 401);
        prop_assert_eq!(replay.code(), "invalid_signature");
        prop_assert_eq!(f.queue.sent().len(), sent.len());
        Ok(())
    });
}

/// Other methods and paths under the webhook: problem answers, never a 5xx.
#[test]
fn other_methods_and_paths_answer_problems() {
    let rt = runtime();
    let f = fixture();
    let strategy = (
        prop::sample::select(vec![
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
        ]),
        prop_oneof![
            Just(String::new()),
            "[a-zA-Z0-9._~-]{0,20}".prop_map(|s| format!("/{s}")),
            "[a-zA-Z0-9=&%._~-]{0,30}".prop_map(|s| format!("?{s}")),
        ],
        body(),
    );
    check(128, strategy, |(method, suffix, body)| {
        let post = method == Method::POST;
        let head = method == Method::HEAD;
        let uri = format!("{PATH}{suffix}");
        let a = rt.block_on(send(&f.router, request(method, &uri, &[], body)));
        prop_assert!(a.status.as_u16() < 500, "{uri}: {} {:?}", a.status, a.body);
        if !head {
            problem(&a, &uri)?;
        }
        if post && (suffix.is_empty() || suffix.starts_with('?')) {
            prop_assert_eq!(a.status.as_u16(), 401);
        }
        prop_assert!(f.queue.sent().is_empty());
        Ok(())
    });
}

/// The extreme timestamps, each with a well-formed signature: refused as stale like any other
/// timestamp outside the window (the window check must not overflow).
#[test]
fn extreme_timestamps_are_refused() {
    let rt = runtime();
    let f = fixture();
    for ts in [i64::MIN, i64::MIN + 1, i64::MAX, NOW - i64::MAX] {
        let headers = [
            ("telnyx-timestamp", Some(ts.to_string())),
            (
                "telnyx-signature-ed25519",
                Some(sign(&f.key, &ts.to_string(), b"{}")),
            ),
            ("content-type", Some("application/json".to_string())),
        ];
        let a = rt.block_on(send(
            &f.router,
            request(Method::POST, PATH, &headers, b"{}".to_vec()),
        ));
        assert_eq!(a.status.as_u16(), 401, "{ts}: {:?}", a.body);
        assert_eq!(a.code(), "invalid_signature");
    }
    assert!(f.queue.sent().is_empty());
}
