//! Property tests of the hangup endpoint (issue #8), in-process against the real store and the
//! Telnyx emulator, without the sign-in layer: any call id in the path, with any body and query,
//! answers the call or a problem document with a stable code, never a panic or a 500 (the only
//! 5xx allowed is the documented 502 when Telnyx itself refuses or cannot be reached).
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::http::Method;
use domain::Call;
use proptest::prelude::*;
use testkit::edge::{check, encode, path_id, problem, request, runtime};
use testkit::{emulator, memory_store, send, telnyx_client};

struct Fixture {
    router: axum::Router,
    /// A live call placed through the emulator.
    call: Call,
    _emulator: testkit::Emulator,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let telnyx = telnyx_client(&emulator);
    let router = edge::http::finish(
        hangup::app(&testkit::wiring(&emulator, &store))
            .await
            .expect("hangup builds"),
    );
    let call = testkit::place_call(&store, &telnyx, "+12125550100", false).await;
    Fixture {
        router,
        call,
        _emulator: emulator,
    }
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => ("\\PC{0,8}", "\\PC{0,16}").prop_map(|(k, v)| format!("?{}={}", encode(&k), encode(&v))),
        1 => "[A-Za-z0-9=&%+;._~!$'()*,:@/?-]{0,40}".prop_map(|q| format!("?{q}")),
    ]
}

/// Bodies the hangup ignores: JSON, text, bytes, with any content type.
fn body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    (
        prop::option::of(prop::sample::select(vec![
            "application/json",
            "text/plain",
            "application/octet-stream",
            "",
        ])),
        prop_oneof![
            Just(Vec::new()),
            Just(b"{}".to_vec()),
            Just(br#"{"cause":"user_busy"}"#.to_vec()),
            "\\PC{0,40}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..80),
        ],
    )
}

/// Any path id, body and query: 404 (unknown call, or no such route), never a 5xx.
#[test]
fn any_call_id_is_not_found() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    check(256, (path_id(), query(), body()), |(id, q, (ct, body))| {
        let uri = format!("/api/telnyx/hangup/{id}{q}");
        let a = rt.block_on(send(&f.router, request(Method::POST, &uri, ct, body)));
        problem(&a, &uri)?;
        prop_assert_eq!(a.status.as_u16(), 404, "{}: {:?}", uri, a.body);
        Ok(())
    });
}

/// The live call hung up again and again, with any body and query: the call every time (the
/// command is idempotent), or Telnyx's documented 502.
#[test]
fn repeated_hangups_with_any_body_answer_the_call() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let id = f.call.id.to_string();
    check(64, (query(), body()), |(q, (ct, body))| {
        let uri = format!("/api/telnyx/hangup/{id}{q}");
        let a = rt.block_on(send(&f.router, request(Method::POST, &uri, ct, body)));
        problem(&a, &uri)?;
        if a.status.is_success() {
            prop_assert_eq!(a.body["call_id"].as_str(), Some(id.as_str()));
        }
        Ok(())
    });
}

/// Other methods on the hangup route: problems, never a 5xx.
#[test]
fn other_methods_answer_problems() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let id = f.call.id.to_string();
    let strategy = (
        prop::sample::select(vec![
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ]),
        prop_oneof![Just(id), path_id()],
    );
    check(64, strategy, |(method, id)| {
        let uri = format!("/api/telnyx/hangup/{id}");
        let a = rt.block_on(send(&f.router, request(method, &uri, None, Vec::new())));
        problem(&a, &uri)?;
        prop_assert!(a.status.is_client_error());
        Ok(())
    });
}
