//! The dial router in-process, against a real store and the Telnyx emulator.

use axum::http::{Method, StatusCode};
use dial::{DialState, router};
use domain::{CallId, CallStatus};
use ports::{CallStore, SystemClock};
use std::sync::Arc;
use testkit::{call, emulator, memory_store};

struct Fixture {
    router: axum::Router,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
}

async fn fixture() -> Fixture {
    // Telnyx refuses dials when neither the app nor the dial names a webhook URL; nothing
    // listens here, and these tests only look at what the dial itself does.
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let mut wiring = testkit::wiring(&emulator, &store);
    wiring.config.call_time_limit_secs = 3600;
    let router = edge::http::finish(dial::app(&wiring).await.expect("dial builds"));
    Fixture {
        router,
        store,
        emulator,
    }
}

fn dial_body(to: &str, from: &str) -> String {
    serde_json::json!({ "to_number": to, "from_number": from }).to_string()
}

#[tokio::test]
async fn a_dial_records_the_call_and_sends_telnyx_a_deduplicable_command() {
    let f = fixture().await;
    let answer = call(
        &f.router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&dial_body("(212) 555-0100", "+1 312-555-0201")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["status"], "dialing");
    assert_eq!(answer.body["to_number"], "+12125550100");
    assert_eq!(answer.body["from_number"], "+13125550201");
    assert!(answer.body["started_at"].as_str().unwrap().ends_with('Z'));

    let id: CallId = answer.body["call_id"].as_str().unwrap().parse().unwrap();
    let stored = f.store.get(id).await.unwrap().expect("call stored");
    let leg = stored.telnyx.expect("Telnyx ids stored");
    assert!(leg.call_control_id.starts_with("v3:"));
    assert!(!leg.call_leg_id.is_empty() && !leg.call_session_id.is_empty());

    // Exactly what reached Telnyx
    let dials: Vec<_> = f
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/calls")
        .collect();
    assert_eq!(dials.len(), 1);
    let sent = &dials[0].body;
    assert_eq!(sent["to"], "+12125550100");
    assert_eq!(sent["from"], "+13125550201");
    assert_eq!(
        sent["connection_id"],
        f.emulator.config().connection_id.as_str()
    );
    assert_eq!(sent["command_id"], id.to_string());
    let state = sent["client_state"].as_str().unwrap();
    assert_eq!(telnyx::client_state::decode(state), Some(id));
}

#[tokio::test]
async fn bad_numbers_are_refused_with_the_offending_fields_and_nothing_written() {
    let f = fixture().await;
    let cases = [
        (dial_body("call me", "+13125550201"), vec!["to_number"]),
        (dial_body("+13125550201", ""), vec!["from_number"]),
        (dial_body("12", "555"), vec!["to_number", "from_number"]),
        (
            r#"{"from_number":"+13125550201"}"#.to_string(),
            vec!["to_number"],
        ),
        (dial_body("+1 212 555", "+13125550201"), vec!["to_number"]),
        (
            dial_body("+13125550201", "+1 (312) 555-0201"),
            vec!["to_number"],
        ),
    ];
    for (body, fields) in cases {
        let answer = call(&f.router, Method::POST, "/api/telnyx/dial", Some(&body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.code(), "invalid_phone_number", "{body}");
        let got: Vec<_> = answer.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, fields, "{body}");
        assert!(answer.body["detail"].as_str().unwrap().len() > 10);
    }
    assert!(f.store.list(&Default::default()).await.unwrap().is_empty());
    assert!(f.emulator.requests().iter().all(|r| r.path != "/v2/calls"));
}

#[tokio::test]
async fn malformed_bodies_get_problem_json_not_500() {
    let f = fixture().await;
    for (body, status, code) in [
        ("{", StatusCode::BAD_REQUEST, "malformed_json"),
        (
            "\"+12125550100\"",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            r#"{"to_number": 5}"#,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
    ] {
        let answer = call(&f.router, Method::POST, "/api/telnyx/dial", Some(body)).await;
        assert_eq!((answer.status, answer.code()), (status, code), "{body}");
    }
    let no_type = testkit::send(
        &f.router,
        axum::http::Request::post("/api/telnyx/dial")
            .body(axum::body::Body::from(dial_body(
                "+12125550100",
                "+13125550201",
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong_method = call(&f.router, Method::GET, "/api/telnyx/dial", None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");
}

#[tokio::test]
async fn a_telnyx_refusal_ends_the_call_failed_with_telnyx_reason() {
    let f = fixture().await;
    // A connection id the account does not have: Telnyx answers 422 / 10015.
    let refusing = telnyx::TelnyxHttp::new(
        &f.emulator.base_url(),
        ports::Secret::new(f.emulator.config().api_key.clone()),
        "999",
        None,
    )
    .unwrap();
    let router = edge::http::finish(router(DialState {
        calls: Arc::new(f.store.clone()),
        telnyx: Arc::new(refusing.clone()),
        commander: testkit::commander(Arc::new(refusing), &f.store),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        ring_timeout_secs: 30,
        call_time_limit_secs: 3600,
        policy: dial::DialPolicy::from_store(
            testkit::owned_numbers(&f.emulator),
            Vec::new(),
            Arc::new(f.store.clone()),
        ),
    }));
    let answer = call(
        &router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&dial_body("+12125550100", "+13125550201")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{:?}", answer.body);
    assert_eq!(answer.code(), "telnyx_rejected");
    assert_eq!(answer.body["telnyx_code"], "10015");
    let id: CallId = answer.body["call_id"].as_str().unwrap().parse().unwrap();
    let stored = f.store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status(), CallStatus::Ended);
    assert_eq!(stored.outcome(), Some(domain::Outcome::Failed));
    let failure = stored.dial_failure.unwrap();
    assert_eq!(failure.code, "10015");
    assert!(stored.telnyx.is_none());
}

#[tokio::test]
async fn an_unreachable_telnyx_fails_the_call_clearly() {
    let store = memory_store();
    let numbers = emulator(None).await;
    let dead = telnyx::TelnyxHttp::new(
        "http://127.0.0.1:9/v2",
        ports::Secret::new("KEY"),
        "1",
        None,
    )
    .unwrap();
    let router = edge::http::finish(router(DialState {
        calls: Arc::new(store.clone()),
        telnyx: Arc::new(dead.clone()),
        commander: testkit::commander(Arc::new(dead), &store),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        ring_timeout_secs: 30,
        call_time_limit_secs: 3600,
        // Ownership is known (the emulator answers); only the dial itself meets a dead Telnyx.
        policy: dial::DialPolicy::from_store(
            testkit::owned_numbers(&numbers),
            Vec::new(),
            Arc::new(store.clone()),
        ),
    }));
    let answer = call(
        &router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&dial_body("+12125550100", "+13125550201")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert_eq!(answer.code(), "telnyx_unavailable");
    let calls = store.list(&Default::default()).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].dial_failure.as_ref().unwrap().code,
        "telnyx_unavailable"
    );
    assert!(
        !answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1")
    );
}

#[tokio::test]
async fn unknown_paths_answer_problem_json() {
    let f = fixture().await;
    let answer = call(&f.router, Method::GET, "/api/nope", None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");
}

#[tokio::test]
async fn the_toll_fraud_guard_refuses_premium_and_foreign_destinations_before_anything_happens() {
    let f = fixture().await;
    let before = f.emulator.requests().len();
    for (to, code, words) in [
        ("+1 900 555 0100", "destination_blocked", "premium-rate"),
        ("+1 212 976 0100", "destination_blocked", "premium-rate"),
        (
            "+44 20 7946 0958",
            "destination_country_not_allowed",
            "GB, which this team does not call",
        ),
        ("+44 909 879 0000", "destination_blocked", "UK premium-rate"),
    ] {
        let answer = call(
            &f.router,
            Method::POST,
            "/api/telnyx/dial",
            Some(&dial_body(to, "+13125550201")),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{to}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), code, "{to}");
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{to}: {detail}");
    }
    assert!(
        f.store.list(&Default::default()).await.unwrap().is_empty(),
        "nothing written"
    );
    let dials = f.emulator.requests()[before..]
        .iter()
        .filter(|r| r.path == "/v2/calls")
        .count();
    assert_eq!(dials, 0, "nothing sent to Telnyx");
}

#[tokio::test]
async fn a_recorded_dial_asks_telnyx_to_record_from_answer_and_offers_stop() {
    let f = fixture().await;
    let body = serde_json::json!({"to_number": "+12125550100", "from_number": "+13125550201", "record": true});
    let answer = call(
        &f.router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["recording_status"], "recording");
    let id: CallId = answer.body["call_id"].as_str().unwrap().parse().unwrap();
    let stored = f.store.get(id).await.unwrap().unwrap();
    assert!(stored.recording_requested && stored.recording_active);
    let sent = f
        .emulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v2/calls")
        .unwrap()
        .body;
    assert_eq!(sent["record"], "record-from-answer");
}
