//! Property tests of the call history and detail (issue #8), in-process against the real
//! SQLite store, without the sign-in layer: any query string on the lists, the statistics and
//! the export, any annotation body, and any call id in the path answer a success or a problem
//! document with a stable code, never a panic or a 5xx.
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::http::Method;
use calls::{DetailState, HistoryState};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber};
use ports::CallStore;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use testkit::edge::{
    bodies, check, content_type, encode, id_requests, is_json_type, junk, problem, request,
    runtime, status_among,
};
use testkit::{FixedClock, memory_store, send, telnyx_client};

struct Fixture {
    router: axum::Router,
    /// Calls in the store, newest last.
    ids: Vec<CallId>,
    _emulator: testkit::Emulator,
}

fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

/// Eight calls over two days from two caller IDs: answered, busy, unanswered, failed, live.
async fn fixture() -> Fixture {
    let emulator = testkit::emulator(None).await;
    let store = memory_store();
    let n = |s: &str| PhoneNumber::parse(s, "US").unwrap();
    let mut ids = Vec::new();
    for i in 0..8i64 {
        let at = day() + Duration::hours(7 * i);
        let from = if i % 2 == 0 {
            "+13125550201"
        } else {
            "+13125550202"
        };
        let mut c = Call::new(
            CallId::new_at(at),
            n(from),
            n(&format!("+1212555010{i}")),
            None,
            at,
        );
        let ev = |id: &str, secs: i64, kind: CallEventKind| CallEvent {
            event_id: format!("{}-{id}", c.id),
            occurred_at: at + Duration::seconds(secs),
            kind,
        };
        let hangup = testkit::hangup;
        let events = match i % 4 {
            0 => vec![
                ev("i", 1, CallEventKind::Initiated),
                ev("a", 5, CallEventKind::Answered),
                ev("h", 65, hangup("normal_clearing")),
            ],
            1 => vec![
                ev("i", 1, CallEventKind::Initiated),
                ev("h", 4, hangup("user_busy")),
            ],
            2 => vec![
                ev("i", 1, CallEventKind::Initiated),
                ev("a", 3, CallEventKind::Answered),
            ],
            _ => Vec::new(),
        };
        if i % 4 == 3 {
            c.fail_dial("10015", "Invalid connection", at);
        }
        for e in &events {
            c.apply(e);
        }
        c.notes = Some(format!("note {i}"));
        c.tags = vec!["vip".into()];
        store.insert(&c).await.unwrap();
        ids.push(c.id);
    }
    let clock = FixedClock::at(day() + Duration::days(2));
    let router = edge::http::finish(calls::router(
        HistoryState {
            calls: Arc::new(store.clone()),
            history: Arc::new(store.clone()),
            contacts: Arc::new(store.clone()),
            clock: clock.clone(),
            default_country: "US".into(),
            guard: edge::owner::CallGuard::build(
                Arc::new(store.clone()),
                Arc::new(store.clone()),
                Arc::new(ports::SystemClock),
            ),
        },
        DetailState {
            calls: Arc::new(store.clone()),
            events: Arc::new(store.clone()),
            commands: Arc::new(store.clone()),
            telnyx: telnyx_client(&emulator),
            contacts: Arc::new(store.clone()),
            clock,
        },
    ));
    Fixture {
        router,
        ids,
        _emulator: emulator,
    }
}

/// Unpadded base64url, as the API writes cursors.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Cursors: `[micros, call id]` with any numbers and ids, other JSON, any bytes, any text.
fn cursor() -> impl Strategy<Value = String> {
    let shaped = prop_oneof![
        (any::<i64>(), "[0-9a-f-]{0,36}").prop_map(|(t, id)| json!([t, id])),
        (any::<i64>()).prop_map(|t| json!([t, CallId::new_at(day()).to_string()])),
        junk(),
    ];
    prop_oneof![
        2 => shaped.prop_map(|v| base64url(v.to_string().as_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| base64url(&b)),
        1 => "\\PC{0,20}",
    ]
}

/// Times as filters take them, and times they must refuse.
fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "2026-03-02", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00+14:00",
            "2026-03-02T10:00:00.123456789-12:00", "0000-01-01", "9999-12-31",
            "9999-12-31T23:59:59Z", "0000-01-01T00:00:00+23:59", "1970-01-01T00:00:00Z",
            "2026-02-30", "2026-13-01", "+10000-01-01", "-0001-01-01", "2026-03-02T24:00:00Z",
            "2026-03-02T23:59:60Z", "", " ", "now", "1767225600",
        ])
        .prop_map(str::to_string),
        1 => (0i32..=9999, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => "\\PC{0,12}",
    ]
}

/// Query strings for the history: the known keys with right and wrong values, unknown and
/// repeated keys, and raw text of query characters (broken escapes included).
fn query() -> impl Strategy<Value = String> {
    let pair = prop_oneof![
        2 => time().prop_map(|t| ("since".to_string(), t)),
        2 => time().prop_map(|t| ("until".to_string(), t)),
        1 => prop::sample::select(vec!["active", "completed", "missed", "failed", "MISSED", " failed ", "all", ""])
            .prop_map(|s| ("status".to_string(), s.to_string())),
        1 => prop::sample::select(vec!["+13125550201", "(312) 555-0202", "+44 20 7946 0958", "nope", ""])
            .prop_map(|s| ("from_number".to_string(), s.to_string())),
        1 => prop_oneof![Just("555 01".to_string()), "\\PC{0,10}", Just("%".to_string()), Just("_".to_string())]
            .prop_map(|s| ("q".to_string(), s)),
        1 => prop::sample::select(vec!["1", "2", "50", "200", "201", "0", "-1", "1.5", "18446744073709551616", "x"])
            .prop_map(|s| ("limit".to_string(), s.to_string())),
        1 => cursor().prop_map(|c| ("cursor".to_string(), c)),
        1 => prop::sample::select(vec!["day", "number", "month", ""])
            .prop_map(|s| ("group".to_string(), s.to_string())),
        1 => "\\PC{0,10}".prop_map(|s| ("contact_id".to_string(), s)),
        1 => ("\\PC{0,6}", "\\PC{0,10}"),
    ]
    .prop_map(|(k, v)| format!("{}={}", encode(&k), encode(&v)));
    prop_oneof![
        5 => prop::collection::vec(pair, 0..5).prop_map(|p| format!("?{}", p.join("&"))),
        1 => "[A-Za-z0-9=&%+;._~!$'()*,:@/?-]{0,40}".prop_map(|q| format!("?{q}")),
        1 => Just(String::new()),
    ]
}

/// Any query on the list (following its next cursor once), the statistics and the export: the
/// answer, or 400 with a problem; never a 5xx.
#[test]
fn any_history_query_answers_or_is_refused() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::sample::select(vec!["/api/calls", "/api/stats", "/api/calls/export.csv"]),
        query(),
    );
    check(192, strategy, |(path, q)| {
        let uri = format!("{path}{q}");
        let a = rt.block_on(send(
            &f.router,
            request(Method::GET, &uri, None, Vec::new()),
        ));
        problem(&a, &uri)?;
        if !a.status.is_success() {
            prop_assert_eq!(a.status.as_u16(), 400, "{}: {:?}", uri, a.body);
            return Ok(());
        }
        match path {
            "/api/calls" => {
                prop_assert!(a.body["items"].is_array(), "{:?}", a.body);
                if let Some(next) = a.body["next_cursor"].as_str() {
                    let uri = format!("{path}?cursor={}", encode(next));
                    let b = rt.block_on(send(
                        &f.router,
                        request(Method::GET, &uri, None, Vec::new()),
                    ));
                    problem(&b, &uri)?;
                    prop_assert_eq!(b.status.as_u16(), 200, "{}: {:?}", uri, b.body);
                }
            }
            "/api/stats" => prop_assert!(a.body.is_object(), "{:?}", a.body),
            _ => {
                prop_assert!(a.content_type.starts_with("text/csv"), "{}", a.content_type);
                let text = a.body.as_str().unwrap_or_default();
                prop_assert!(text.starts_with("call_id,"), "{text:?}");
            }
        }
        Ok(())
    });
}

/// Annotation bodies whose fields are each right, wrong, missing or of the wrong type, plus
/// unknown fields.
fn annotation() -> impl Strategy<Value = Value> {
    (
        prop::option::weighted(
            0.7,
            prop_oneof![
                4 => "[ -~]{0,40}".prop_map(Value::from),
                1 => (4_990usize..5_010).prop_map(|n| Value::from("n".repeat(n))),
                1 => "\\PC{0,20}".prop_map(Value::from),
                1 => junk(),
            ],
        ),
        prop::option::weighted(
            0.7,
            prop_oneof![
                4 => prop::collection::vec("[a-zA-Z ]{0,12}", 0..6).prop_map(Value::from),
                1 => prop::collection::vec("\\PC{0,50}", 0..25).prop_map(Value::from),
                1 => junk(),
            ],
        ),
        prop::option::weighted(0.1, ("[a-z_]{1,8}", junk())),
    )
        .prop_map(|(notes, tags, extra)| {
            let mut m = Map::new();
            if let Some(v) = notes {
                m.insert("notes".into(), v);
            }
            if let Some(v) = tags {
                m.insert("tags".into(), v);
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    bodies(annotation)
}

/// Any annotation body on a stored call: the annotated call, or 400/415 with a problem.
#[test]
fn any_annotation_answers_the_call_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (prop::sample::select(f.ids.clone()), content_type(), body());
    check(128, strategy, |(id, ct, body)| {
        let uri = format!("/api/calls/{id}");
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(&f.router, request(Method::PATCH, &uri, ct, body)));
        problem(&a, &uri)?;
        if !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{:?}", a.body);
        } else if !valid_json {
            prop_assert_eq!(a.status.as_u16(), 400, "{:?}", a.body);
        }
        if a.status.is_success() {
            let id = id.to_string();
            prop_assert_eq!(a.body["call_id"].as_str(), Some(id.as_str()));
            prop_assert!(a.body["tags"].is_array());
        }
        Ok(())
    });
}

/// Any call id on the detail, recording and annotation routes: 404 (or 400/405/415 for what
/// is checked first), never a 5xx.
#[test]
fn any_call_id_is_not_found() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = id_requests(
        vec![
            (Method::GET, ""),
            (Method::GET, "/recording"),
            (Method::GET, "/recording/link"),
            (Method::PATCH, ""),
            (Method::DELETE, ""),
        ],
        body(),
    );
    check(192, strategy, |((method, suffix), id, ct, body)| {
        let uri = format!("/api/calls/{id}{suffix}");
        let a = rt.block_on(send(&f.router, request(method, &uri, ct, body)));
        problem(&a, &uri)?;
        status_among(&a, &uri, &[400, 404, 405, 415])?;
        Ok(())
    });
}
