//! Property tests of the status endpoint (issue #8), in-process against the real store, without
//! the sign-in layer: any call id in the path, any query string and any `If-None-Match` answer
//! the call (200 or 304) or a problem document with a stable code, never a panic or a 5xx.
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, header};
use call_status::{StatusState, router};
use chrono::{TimeZone, Utc};
use domain::{Call, CallId, PhoneNumber};
use ports::CallStore;
use proptest::prelude::*;
use std::sync::Arc;
use testkit::edge::{check, encode, path_id, problem, runtime};
use testkit::{FixedClock, memory_store, send, send_raw};

struct Fixture {
    router: axum::Router,
    call: Call,
}

async fn fixture() -> Fixture {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let store = memory_store();
    let router = edge::http::finish(router(StatusState {
        calls: Arc::new(store.clone()),
        contacts: Arc::new(store.clone()),
        clock: FixedClock::at(t0),
    }));
    let number = |n: &str| PhoneNumber::parse(n, "US").unwrap();
    let call = Call::new(
        CallId::new_at(t0),
        number("+13125550201"),
        number("+12125550100"),
        None,
        t0,
    );
    store.insert(&call).await.unwrap();
    Fixture { router, call }
}

/// Query strings: pairs of any text (encoded), and raw text of query characters including
/// broken escapes.
fn query() -> impl Strategy<Value = String> {
    let pair = (
        prop_oneof![
            Just("v".to_string()),
            Just("since".to_string()),
            "\\PC{0,8}"
        ],
        "\\PC{0,16}",
    )
        .prop_map(|(k, v)| format!("{}={}", encode(&k), encode(&v)));
    prop_oneof![
        3 => prop::collection::vec(pair, 0..4).prop_map(|p| format!("?{}", p.join("&"))),
        1 => "[A-Za-z0-9=&%+;._~!$'()*,:@/?-]{0,40}".prop_map(|q| format!("?{q}")),
        1 => Just(String::new()),
    ]
}

fn request(method: Method, uri: &str, if_none_match: &[String]) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    for v in if_none_match {
        if let Ok(v) = HeaderValue::from_str(v) {
            r = r.header(header::IF_NONE_MATCH, v);
        }
    }
    r.body(Body::empty()).expect("request builds")
}

/// Any path id, with any query: 404 (unknown call, or no such route), never a 5xx.
#[test]
fn any_call_id_is_not_found() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    check(256, (path_id(), query()), |(id, q)| {
        let uri = format!("/api/call-status/status/{id}{q}");
        let a = rt.block_on(send(&f.router, request(Method::GET, &uri, &[])));
        problem(&a, &uri)?;
        prop_assert_eq!(a.status.as_u16(), 404, "{}: {:?}", uri, a.body);
        Ok(())
    });
}

/// The stored call with any query and any `If-None-Match` values (sometimes its own tag among
/// them): 200 with the view and an `ETag`, or 304 exactly when a value matches.
#[test]
fn any_validator_answers_the_call_or_not_modified() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let uri = format!("/api/call-status/status/{}", f.call.id);
    let first = rt.block_on(send_raw(&f.router, Method::GET, &uri));
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    let tag = first.header("etag").expect("an ETag").to_string();
    let candidate = prop_oneof![
        3 => "[ -~]{0,40}",
        1 => Just(tag.clone()),
        1 => Just(tag.trim_start_matches("W/").to_string()),
        1 => Just("*".to_string()),
        1 => Just(format!("\"x\", {tag}")),
        1 => Just(",,,".to_string()),
    ];
    let strategy = (query(), prop::collection::vec(candidate, 0..3));
    check(256, strategy, |(q, values)| {
        let uri = format!("{uri}{q}");
        let a = rt.block_on(send(&f.router, request(Method::GET, &uri, &values)));
        let matched = values.iter().any(|v| {
            v.split(',')
                .map(str::trim)
                .any(|c| c == "*" || c.trim_start_matches("W/") == tag.trim_start_matches("W/"))
        });
        if matched {
            prop_assert_eq!(a.status.as_u16(), 304, "{:?} {:?}", values, a.body);
        } else {
            prop_assert_eq!(a.status.as_u16(), 200, "{:?} {:?}", values, a.body);
            let id = f.call.id.to_string();
            prop_assert_eq!(a.body["call_id"].as_str(), Some(id.as_str()));
        }
        Ok(())
    });
}

/// Other methods on the status and health routes, and health with any query: problems or the
/// answer, never a 5xx.
#[test]
fn other_methods_and_queries_answer_problems() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ]),
        prop_oneof![
            Just("/api/health".to_string()),
            Just(format!("/api/call-status/status/{}", f.call.id)),
            path_id().prop_map(|id| format!("/api/call-status/{id}")),
            path_id().prop_map(|id| format!("/api/health/{id}")),
        ],
        query(),
    );
    check(128, strategy, |(method, path, q)| {
        let get = method == Method::GET;
        let uri = format!("{path}{q}");
        let a = rt.block_on(send(&f.router, request(method, &uri, &[])));
        problem(&a, &uri)?;
        if get && path == "/api/health" {
            prop_assert_eq!(a.status.as_u16(), 200);
            prop_assert_eq!(&a.body["status"], "ok");
        }
        Ok(())
    });
}
