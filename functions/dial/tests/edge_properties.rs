//! Property tests of the dial endpoint (issue #8), in-process against the real store and the
//! Telnyx emulator, without the sign-in layer: any body, with or without a JSON content type,
//! answers a success or a problem document with a stable code, never a panic or a 500. The only
//! 5xx allowed is the documented 502 when Telnyx itself refuses or cannot be reached.
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::http::Method;
use dial::{DialState, router};
use ports::SystemClock;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use testkit::edge::{check, content_type, is_json_type, problem, request, runtime};
use testkit::{emulator, memory_store, send, telnyx_client};

const PATH: &str = "/api/telnyx/dial";

struct Fixture {
    router: axum::Router,
    _emulator: testkit::Emulator,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let mut policy = dial::DialPolicy::from_store(
        testkit::owned_numbers(&emulator),
        vec!["GB".into()],
        Arc::new(store.clone()),
    );
    // Every case comes from one address: lift the burst limit so the cases reach the parser.
    policy.rate_per_minute = 1_000_000;
    let router = edge::http::finish(router(DialState {
        calls: Arc::new(store.clone()),
        telnyx: telnyx_client(&emulator),
        commander: testkit::commander(telnyx_client(&emulator), &store),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        ring_timeout_secs: 30,
        call_time_limit_secs: 3600,
        policy,
    }));
    Fixture {
        router,
        _emulator: emulator,
    }
}

/// Numbers as people type them: the emulator's scenarios, other countries, premium ranges,
/// and text that is no number at all.
fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u32..12, prop::sample::select(vec!["+1 212 555 ", "(212) 555-", "212.555.", "1-212-555-"]))
            .prop_map(|(n, p)| format!("{p}{:04}", 100 + n)),
        1 => prop::sample::select(vec![
            "+13125550201", "+1 312 555 0201", "(312) 555-0202", "+14155550203", "+12125550204",
            "+44 20 7946 0958", "+49 30 901820", "+1 900 555 0100", "+1 212 976 1234",
            "+44 9 0912 3456", "+882 16 1234567", "+979 1234 5678", "+800 1234 5678",
            "011 44 20 7946 0958", "", " ", "+", "call me", "1-800-FLOWERS", "0", "+1",
        ])
        .prop_map(str::to_string),
        1 => "[0-9 +().-]{0,24}",
        1 => "\\PC{0,24}",
        1 => (0usize..5_000).prop_map(|n| "9".repeat(n)),
    ]
}

/// JSON that is not what a field expects, including a number where a string belongs.
fn junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => testkit::edge::junk(),
        1 => Just(json!(["+12125550100"])),
        1 => Just(json!({"number": "+12125550100"})),
    ]
}

/// The emulator's own numbers, as caller IDs are typed.
fn owned() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "+13125550201",
        "+1 312 555 0201",
        "(312) 555-0202",
        "+14155550203",
        "212-555-0204",
    ])
    .prop_map(str::to_string)
}

/// Dial bodies whose fields are each right, wrong, missing or of the wrong type.
fn dial_body() -> impl Strategy<Value = Value> {
    let field = |good: BoxedStrategy<Value>| {
        prop::option::weighted(0.9, prop_oneof![12 => good, 1 => junk()])
    };
    (
        field(phone().prop_map(Value::from).boxed()),
        field(
            prop_oneof![3 => owned(), 1 => phone()]
                .prop_map(Value::from)
                .boxed(),
        ),
        prop::option::weighted(
            0.3,
            prop_oneof![
                "[a-z0-9-]{0,20}".prop_map(Value::from),
                (60usize..200).prop_map(|n| Value::from("c".repeat(n))),
                junk(),
            ],
        ),
        prop::option::weighted(
            0.3,
            prop_oneof![4 => any::<bool>().prop_map(Value::from), 1 => junk()],
        ),
        prop::option::weighted(0.1, ("\\PC{1,10}", junk())),
    )
        .prop_map(|(to, from, contact, record, extra)| {
            let mut m = Map::new();
            for (k, v) in [
                ("to_number", to),
                ("from_number", from),
                ("contact_id", contact),
                ("record", record),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

/// Bodies: dial-shaped JSON, other JSON, JSON cut anywhere, any text, any bytes, a big one.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => dial_body().prop_map(|v| v.to_string().into_bytes()),
        1 => junk().prop_map(|v| v.to_string().into_bytes()),
        1 => (dial_body(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let b = v.to_string().into_bytes();
            b[..cut.index(b.len() + 1)].to_vec()
        }),
        1 => "\\PC{0,60}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..120),
        1 => (0usize..3_000_000).prop_map(|n| {
            let mut b = br#"{"to_number":""#.to_vec();
            b.extend(std::iter::repeat_n(b'1', n));
            b.extend_from_slice(br#""}"#);
            b
        }),
    ]
}

/// Any body on the dial: a placed call, a refusal in words, or Telnyx's documented 502.
#[test]
fn any_dial_body_answers_a_call_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    check(192, (content_type(), body()), |(ct, body)| {
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(&f.router, request(Method::POST, PATH, ct, body)));
        problem(&a, "dial")?;
        if !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{:?}", a.body);
            prop_assert_eq!(a.code(), "unsupported_media_type");
        } else if !valid_json {
            prop_assert!(a.status.is_client_error(), "{} {:?}", a.status, a.body);
        }
        if a.status.is_success() {
            prop_assert_eq!(a.status.as_u16(), 201);
            prop_assert!(a.body["call_id"].as_str().is_some_and(|id| !id.is_empty()));
            prop_assert!(
                a.body["to_number"]
                    .as_str()
                    .is_some_and(|n| n.starts_with('+'))
            );
        }
        Ok(())
    });
}

/// Other methods, and paths below the dial: problem answers, never a 5xx.
#[test]
fn other_methods_and_paths_answer_problems() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::sample::select(vec![
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
            Method::POST,
        ]),
        prop_oneof![
            "[a-zA-Z0-9._~-]{0,20}".prop_map(|s| format!("/{s}")),
            "[a-zA-Z0-9=&%._~+-]{0,30}".prop_map(|s| format!("?{s}")),
            prop::collection::vec(any::<u8>(), 0..30).prop_map(|b| format!(
                "/{}",
                b.iter().map(|b| format!("%{b:02X}")).collect::<String>()
            )),
        ],
    );
    check(64, strategy, |(method, suffix)| {
        let uri = format!("{PATH}{suffix}");
        let a = rt.block_on(send(&f.router, request(method, &uri, None, Vec::new())));
        problem(&a, &uri)?;
        Ok(())
    });
}
