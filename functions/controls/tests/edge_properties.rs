//! Property tests of the in-call controls (issue #8), in-process against the real store and the
//! Telnyx emulator, without the sign-in layer: any call id in the path, any body with or without
//! a JSON content type, and any `Idempotency-Key` answer a call view or a problem document with
//! a stable code, never a panic or a 500 (the only 5xx allowed is the documented 502 when
//! Telnyx itself refuses or cannot be reached).
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, header};
use chrono::Utc;
use domain::{Call, CallEvent, CallEventKind, CallId};
use ports::CallStore;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::edge::{check, content_type, is_json_type, junk, path_id, problem, runtime};
use testkit::{emulator, eventually, memory_store, send, telnyx_client};

const CONTROLS: &[&str] = &[
    "mute",
    "unmute",
    "hold",
    "resume",
    "speaker",
    "dtmf",
    "recording/start",
    "recording/stop",
];

struct Fixture {
    router: axum::Router,
    /// A call the emulator's callee answered, applied to the store as the processor would.
    call: Call,
    _emulator: testkit::Emulator,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let telnyx = telnyx_client(&emulator);
    let router = {
        let mut wiring = testkit::wiring(&emulator, &store);
        wiring.config.hold_music_url = "https://example.com/hold.mp3".into();
        edge::http::finish(controls::app(&wiring).await.expect("controls build"))
    };
    let c = testkit::place_call(&store, &telnyx, "+12125550100", false).await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    eventually(Duration::from_secs(5), "callee answers", || {
        let s = emulator.call(&ccid);
        async move { s.filter(|s| s.answered_at.is_some()) }
    })
    .await;
    for kind in [CallEventKind::Initiated, CallEventKind::Answered] {
        let e = CallEvent {
            event_id: format!("ev-{}", CallId::new_at(Utc::now())),
            occurred_at: Utc::now(),
            kind,
        };
        store
            .update(c.id, &move |call: &mut Call| call.apply(&e))
            .await
            .unwrap();
    }
    let call = store.get(c.id).await.unwrap().unwrap();
    Fixture {
        router,
        call,
        _emulator: emulator,
    }
}

fn request(
    uri: &str,
    content_type: Option<&str>,
    idempotency_key: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut r = Request::builder().method(Method::POST).uri(uri);
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    if let Some(k) = idempotency_key.and_then(|k| HeaderValue::from_str(k).ok()) {
        r = r.header("idempotency-key", k);
    }
    r.body(Body::from(body)).expect("request builds")
}

/// Bodies: control-shaped JSON (`on`, `digits`), other JSON, JSON cut anywhere, text, bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let digits = prop_oneof![
        4 => "[0-9*#A-Da-d]{0,40}",
        1 => "[0-9*# ]{0,8}",
        1 => "\\PC{0,12}",
    ];
    let shaped = prop_oneof![
        2 => prop_oneof![3 => any::<bool>().prop_map(Value::from), 1 => junk()]
            .prop_map(|on| json!({ "on": on })),
        2 => prop_oneof![4 => digits.prop_map(Value::from), 1 => junk()]
            .prop_map(|d| json!({ "digits": d })),
        1 => Just(json!({})),
        1 => junk(),
    ];
    prop_oneof![
        6 => shaped.clone().prop_map(|v| v.to_string().into_bytes()),
        1 => (shaped, any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let b = v.to_string().into_bytes();
            b[..cut.index(b.len() + 1)].to_vec()
        }),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..80),
    ]
}

fn idempotency_key() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[ -~]{0,80}",
        (60usize..200).prop_map(|n| "k".repeat(n)),
    ])
}

/// Any path id on every control: 404 (unknown call or no such route), or 400/415 for a bad
/// body on the controls that read one; never a 5xx.
#[test]
fn any_call_id_on_any_control_is_not_found() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::sample::select(CONTROLS.to_vec()),
        path_id(),
        content_type(),
        body(),
    );
    check(256, strategy, |(control, id, ct, body)| {
        let uri = format!("/api/calls/{id}/{control}");
        let a = rt.block_on(send(&f.router, request(&uri, ct, None, body)));
        problem(&a, &uri)?;
        // DTMF digits and the speaker flag are checked before the call is looked up.
        if matches!(control, "speaker" | "dtmf") {
            prop_assert!(a.status.is_client_error(), "{}: {:?}", uri, a.body);
        } else {
            prop_assert_eq!(a.status.as_u16(), 404, "{}: {:?}", uri, a.body);
        }
        Ok(())
    });
}

/// Any body and key on every control of a live call: the call, a refusal (400, 409, 415), or
/// Telnyx's documented 502; bodies that are not JSON never succeed on the controls that read
/// one.
#[test]
fn any_body_on_a_live_call_answers_the_call_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let id = f.call.id.to_string();
    // The two controls that read a body, three times as often.
    let mut controls = CONTROLS.to_vec();
    controls.extend(["speaker", "dtmf"].repeat(2));
    let strategy = (
        prop::sample::select(controls),
        content_type(),
        idempotency_key(),
        body(),
    );
    check(256, strategy, |(control, ct, key, body)| {
        let uri = format!("/api/calls/{id}/{control}");
        let reads_body = matches!(control, "speaker" | "dtmf");
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(&f.router, request(&uri, ct, key.as_deref(), body)));
        problem(&a, &uri)?;
        if reads_body && !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{}: {:?}", uri, a.body);
        } else if reads_body && !valid_json {
            prop_assert!(
                a.status.is_client_error(),
                "{}: {} {:?}",
                uri,
                a.status,
                a.body
            );
        }
        if a.status.is_success() {
            prop_assert_eq!(a.body["call_id"].as_str(), Some(id.as_str()));
        }
        Ok(())
    });
}
