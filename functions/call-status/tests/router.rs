//! The status router in-process: the seed's live view, with a clock the test controls.

use axum::http::{Method, StatusCode};
use call_status::{StatusState, router};
use chrono::{Duration, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber};
use ports::CallStore;
use std::sync::Arc;
use testkit::{FixedClock, call, memory_store};

fn event(id: &str, at: chrono::DateTime<Utc>, kind: CallEventKind) -> CallEvent {
    CallEvent {
        event_id: id.into(),
        occurred_at: at,
        kind,
    }
}

struct Fixture {
    router: axum::Router,
    clock: Arc<FixedClock>,
    store: store_sqlite::SqliteStore,
    call: Call,
    uri: String,
}

/// The status router with a clock the test moves, and one call placed at `t0`.
async fn fixture(t0: chrono::DateTime<Utc>) -> Fixture {
    let clock = FixedClock::at(t0);
    let store = memory_store();
    let router = edge::http::finish(router(StatusState {
        calls: Arc::new(store.clone()),
        contacts: Arc::new(store.clone()),
        clock: clock.clone(),
    }));
    let c = Call::new(
        CallId::new_at(t0),
        PhoneNumber::parse("+13125550201", "US").unwrap(),
        PhoneNumber::parse("+12125550100", "US").unwrap(),
        None,
        t0,
    );
    store.insert(&c).await.unwrap();
    let uri = format!("/api/call-status/status/{}", c.id);
    Fixture {
        router,
        clock,
        store,
        call: c,
        uri,
    }
}

#[tokio::test]
async fn the_view_follows_the_call_with_a_live_duration() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let Fixture {
        router,
        clock,
        store,
        call: c,
        uri,
    } = fixture(t0).await;

    let view = call(&router, Method::GET, &uri, None).await;
    assert_eq!(view.status, StatusCode::OK);
    let expected_keys = [
        "call_id",
        "status",
        "outcome",
        "from_number",
        "to_number",
        "contact",
        "started_at",
        "answered_at",
        "ended_at",
        "duration",
        "muted",
        "on_hold",
        "speaker",
        "recording_url",
        "hangup_cause",
        "controls",
    ];
    for key in expected_keys {
        assert!(view.body.get(key).is_some(), "missing {key}");
    }
    assert_eq!(view.body["status"], "dialing");
    assert_eq!(view.body["started_at"], "2026-11-24T09:00:00.000Z");
    assert_eq!(view.body["controls"]["hangup"], true);
    assert_eq!(view.body["controls"]["dtmf"], false);

    let answered = t0 + Duration::seconds(4);
    for e in [
        event("i", t0 + Duration::seconds(1), CallEventKind::Initiated),
        event("a", answered, CallEventKind::Answered),
    ] {
        store
            .update(c.id, &move |call: &mut Call| call.apply(&e))
            .await
            .unwrap();
    }
    clock.set(answered + Duration::milliseconds(12_500));
    let view = call(&router, Method::GET, &uri, None).await;
    assert_eq!(view.body["status"], "active");
    assert_eq!(view.body["duration"], 12, "live talk time, whole seconds");
    assert_eq!(view.body["controls"]["dtmf"], true);

    let hangup = event(
        "h",
        answered + Duration::seconds(30),
        CallEventKind::Hangup {
            cause: "normal_clearing".into(),
            source: Some("callee".into()),
            sip_code: Some("200".into()),
            start_time: Some(t0),
            end_time: Some(answered + Duration::seconds(30)),
        },
    );
    store
        .update(c.id, &move |call: &mut Call| call.apply(&hangup))
        .await
        .unwrap();
    clock.set(answered + Duration::seconds(300));
    let view = call(&router, Method::GET, &uri, None).await;
    assert_eq!(view.body["status"], "ended");
    assert_eq!(view.body["outcome"], "completed");
    assert_eq!(view.body["duration"], 30);
    assert_eq!(view.body["hangup_cause"], "normal_clearing");
    assert_eq!(view.body["hangup_source"], "callee");
    assert_eq!(view.body["sip_hangup_cause"], "200");
    assert!(
        serde_json::to_vec(&view.body).unwrap().len() < 1024,
        "fits a poll budget"
    );
}

#[tokio::test]
async fn unknown_calls_are_404_problems_and_health_answers() {
    let store = memory_store();
    let router = edge::http::finish(router(StatusState {
        calls: Arc::new(store.clone()),
        contacts: Arc::new(store),
        clock: FixedClock::at(Utc::now()),
    }));
    for id in [CallId::new_at(Utc::now()).to_string(), "abc".to_string()] {
        let answer = call(
            &router,
            Method::GET,
            &format!("/api/call-status/status/{id}"),
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.code(), "call_not_found");
        assert_eq!(answer.body["status"], 404);
    }
    let health = call(&router, Method::GET, "/api/health", None).await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
}

/// One poll with `If-None-Match`: (status, ETag, body bytes).
async fn poll(router: &axum::Router, uri: &str, tag: Option<&str>) -> (StatusCode, String, usize) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::get(uri);
    if let Some(t) = tag {
        req = req.header("if-none-match", t);
    }
    let res = router
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["cache-control"], "private, no-cache");
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, etag, body.len())
}

#[tokio::test]
async fn an_unchanged_call_answers_304_and_a_change_is_seen_at_the_next_poll() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let Fixture {
        router,
        clock,
        store,
        call: c,
        uri,
    } = fixture(t0).await;

    let (status, tag, len) = poll(&router, &uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tag.starts_with("W/\"") && len > 100);
    // Ringing for a while: nothing changes, nothing is sent.
    clock.set(t0 + Duration::seconds(3));
    let (status, same, len) = poll(&router, &uri, Some(&tag)).await;
    assert_eq!((status, len), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(same, tag);
    assert_eq!(
        poll(&router, &uri, Some("W/\"other\", *")).await.0,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        poll(&router, &uri, Some("W/\"other\"")).await.0,
        StatusCode::OK
    );

    // Answered: the very next poll with the old tag gets the new view.
    let answered = event("a", t0 + Duration::seconds(4), CallEventKind::Answered);
    store
        .update(c.id, &move |call: &mut Call| call.apply(&answered))
        .await
        .unwrap();
    let (status, changed, len) = poll(&router, &uri, Some(&tag)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(changed, tag);
    assert!(len > 100);
    // While talking the live duration changes every second, so does the tag.
    clock.set(t0 + Duration::seconds(6));
    assert_eq!(poll(&router, &uri, Some(&changed)).await.0, StatusCode::OK);
}
