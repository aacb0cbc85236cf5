//! The hangup router in-process, against a real store and the Telnyx emulator.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber};
use ports::CallStore;
use std::sync::Arc;
use std::time::Duration;
use testkit::{call, emulator, eventually, memory_store, telnyx_client};

struct Fixture {
    router: axum::Router,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
    telnyx: Arc<telnyx::TelnyxHttp>,
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
    Fixture {
        router,
        store,
        emulator,
        telnyx,
    }
}

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, "US").unwrap()
}

async fn live_call(f: &Fixture, to: &str) -> Call {
    testkit::place_call(&f.store, &f.telnyx, to, false).await
}

fn hangups(f: &Fixture, ccid: &str) -> Vec<serde_json::Value> {
    f.emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == format!("/v2/calls/{ccid}/actions/hangup"))
        .map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn hanging_up_a_live_call_sends_one_deduplicable_command() {
    let f = fixture().await;
    let c = live_call(&f, "+12125550108").await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    let uri = format!("/api/telnyx/hangup/{}", c.id);
    let answer = call(&f.router, Method::POST, &uri, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["call_id"], c.id.to_string());
    assert!(answer.body["hangup_requested_at"].is_string());
    let sent = hangups(&f, &ccid);
    assert_eq!(sent.len(), 1, "{:?}", f.emulator.requests());
    assert_eq!(sent[0]["command_id"], format!("{}:hangup", c.id));

    // A second press before Telnyx's hangup event arrives: same command id, still 200.
    let again = call(&f.router, Method::POST, &uri, None).await;
    assert_eq!(again.status, StatusCode::OK);
    let sent = hangups(&f, &ccid);
    assert!(
        sent.iter()
            .all(|b| b["command_id"] == format!("{}:hangup", c.id))
    );
    // The emulator ended the leg exactly once.
    let leg = eventually(Duration::from_secs(5), "emulator ends the leg", || {
        let snapshot = f.emulator.call(&ccid);
        async move { snapshot.filter(|s| s.hangup_cause.is_some()) }
    })
    .await;
    assert_eq!(leg.hangup_source.as_deref(), Some("caller"));
}

#[tokio::test]
async fn hanging_up_an_ended_call_is_200_and_sends_nothing() {
    let f = fixture().await;
    let c = live_call(&f, "+12125550108").await;
    let hangup_event = CallEvent {
        event_id: "h1".into(),
        occurred_at: Utc::now(),
        kind: CallEventKind::Hangup {
            cause: "normal_clearing".into(),
            source: Some("callee".into()),
            sip_code: Some("200".into()),
            start_time: None,
            end_time: None,
        },
    };
    f.store
        .update(c.id, &move |call: &mut Call| call.apply(&hangup_event))
        .await
        .unwrap();
    let answer = call(
        &f.router,
        Method::POST,
        &format!("/api/telnyx/hangup/{}", c.id),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], "ended");
    assert!(hangups(&f, &c.telnyx.unwrap().call_control_id).is_empty());
}

#[tokio::test]
async fn a_callee_who_hung_up_first_is_absorbed_not_an_error() {
    let f = fixture().await;
    let c = live_call(&f, "+12125550108").await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    assert!(f.emulator.hangup_by_callee(&ccid));
    eventually(Duration::from_secs(5), "leg ended at Telnyx", || {
        let s = f.emulator.call(&ccid);
        async move { s.filter(|s| s.hangup_cause.is_some()) }
    })
    .await;
    let answer = call(
        &f.router,
        Method::POST,
        &format!("/api/telnyx/hangup/{}", c.id),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        hangups(&f, &ccid).len(),
        1,
        "the command was tried and refused with 90018"
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_and_unplaced_calls_409() {
    let f = fixture().await;
    for id in [
        CallId::new_at(Utc::now()).to_string(),
        "not-a-call".into(),
        "%00".into(),
    ] {
        let answer = call(
            &f.router,
            Method::POST,
            &format!("/api/telnyx/hangup/{id}"),
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(answer.code(), "call_not_found");
    }
    let now = Utc::now();
    let c = Call::new(
        CallId::new_at(now),
        number("+13125550201"),
        number("+12125550100"),
        None,
        now,
    );
    f.store.insert(&c).await.unwrap();
    let answer = call(
        &f.router,
        Method::POST,
        &format!("/api/telnyx/hangup/{}", c.id),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "call_not_ready");
}
