//! Call detail and recordings in-process, with the emulator as Telnyx: the timeline orders what
//! happened by when it happened, and the recording link is fresh on every request.

use axum::http::{Method, StatusCode};
use calls::detail::{DetailState, routes, timeline};
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber};
use ports::{
    CallStore, CommandLog, CommandRecord, CommandResult, EventLog, EventRecord, SystemClock,
};
use std::sync::Arc;
use std::time::Duration;
use testkit::{call, eventually, memory_store, telnyx_client};

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, "US").unwrap()
}

fn event_record(
    id: &str,
    kind: &str,
    occurred: i64,
    received: i64,
    call_id: CallId,
) -> EventRecord {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    EventRecord {
        event_id: id.into(),
        event_type: kind.into(),
        call_id: Some(call_id),
        call_control_id: None,
        occurred_at: t0 + ChronoDuration::seconds(occurred),
        received_at: t0 + ChronoDuration::seconds(received),
        attempt: 1,
        deliveries: 1,
        raw: format!(
            r#"{{"data":{{"event_type":"{kind}","id":"{id}","occurred_at":"x","payload":{{"digit":"5","hangup_cause":"normal_clearing","hangup_source":"callee","sip_hangup_cause":"200"}}}}}}"#
        ),
    }
}

#[test]
fn the_timeline_is_ordered_by_occurrence_not_arrival() {
    let id = CallId::new_at(Utc::now());
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    // arrival order: hangup first, then dtmf, then answered, then initiated
    let events = vec![
        event_record("h", "call.hangup", 30, 31, id),
        event_record("d", "call.dtmf.received", 12, 40, id),
        event_record("a", "call.answered", 5, 50, id),
        event_record("i", "call.initiated", 1, 60, id),
    ];
    let commands = vec![
        CommandRecord {
            call_id: id,
            command_id: "c1".into(),
            command: "dial".into(),
            detail: None,
            at: t0,
            result: CommandResult::Ok,
        },
        CommandRecord {
            call_id: id,
            command_id: "c2".into(),
            command: "playback_start".into(),
            detail: None,
            at: t0 + ChronoDuration::seconds(12),
            result: CommandResult::Failed {
                code: "90034".into(),
                message: "Call not answered yet".into(),
            },
        },
    ];
    let entries = serde_json::to_value(timeline(events, commands)).unwrap();
    let labels: Vec<String> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["event_type"]
                .as_str()
                .or(e["command"].as_str())
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        labels,
        [
            "dial",
            "call.initiated",
            "call.answered",
            "playback_start",
            "call.dtmf.received",
            "call.hangup"
        ]
    );
    assert_eq!(entries[3]["result"], "failed");
    assert_eq!(entries[3]["code"], "90034");
    assert_eq!(entries[4]["summary"], "pressed 5");
    assert_eq!(entries[5]["summary"], "normal_clearing by callee (SIP 200)");
    assert_eq!(entries[1]["received_at"], "2026-11-24T09:01:00.000Z");
}

struct Fixture {
    router: axum::Router,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
}

async fn fixture(recording_ttl: Duration) -> Fixture {
    let config = emulator::EmulatorConfig {
        time_scale: 0.05,
        app_webhook_url: Some("http://127.0.0.1:9/api/webhooks/telnyx".into()),
        recording_url_ttl: recording_ttl,
        ..emulator::EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emulator = testkit::Emulator::start(config, listener).await.unwrap();
    let store = memory_store();
    let router = edge::http::finish(routes(DetailState {
        calls: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        commands: Arc::new(store.clone()),
        telnyx: telnyx_client(&emulator),
        contacts: Arc::new(store.clone()),
        clock: Arc::new(SystemClock),
    }));
    Fixture {
        router,
        store,
        emulator,
    }
}

/// A recorded call placed through the emulator and hung up after the callee answered; the
/// recording.saved facts are applied as the processor would.
async fn recorded_call(f: &Fixture) -> Call {
    let c = testkit::place_call(&f.store, &telnyx_client(&f.emulator), "+12125550100", true).await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    let answered = eventually(Duration::from_secs(5), "answer", || {
        let s = f.emulator.call(&ccid);
        async move { s.filter(|s| s.answered_at.is_some()) }
    })
    .await;
    assert!(f.emulator.hangup_by_callee(&ccid));
    let rec_id = eventually(Duration::from_secs(5), "recording saved", || {
        let s = f.emulator.call(&ccid);
        async move { s.and_then(|s| s.recording_ids.first().cloned()) }
    })
    .await;
    let _ = answered;
    let events = [
        CallEventKind::Answered,
        CallEventKind::Hangup {
            cause: "normal_clearing".into(),
            source: Some("callee".into()),
            sip_code: Some("200".into()),
            start_time: None,
            end_time: None,
        },
        CallEventKind::RecordingSaved {
            recording_id: rec_id,
            format: Some("mp3".into()),
            channels: Some("dual".into()),
            started_at: None,
            ended_at: None,
        },
    ];
    for (i, kind) in events.into_iter().enumerate() {
        let e = CallEvent {
            event_id: format!("e{i}"),
            occurred_at: Utc::now(),
            kind,
        };
        f.store
            .update(c.id, &move |call: &mut Call| call.apply(&e))
            .await
            .unwrap();
    }
    f.store.get(c.id).await.unwrap().unwrap()
}

async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_recording_link_is_minted_fresh_after_telnyx_links_expire() {
    let f = fixture(Duration::from_secs(1)).await;
    let c = recorded_call(&f).await;
    let uri = format!("/api/calls/{}/recording", c.id);

    let first = testkit::send_raw(&f.router, Method::GET, &uri).await;
    assert_eq!(first.status, StatusCode::FOUND);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let link1 = first.header("location").unwrap().to_string();
    let (status, audio) = fetch(&link1).await;
    assert_eq!(status, 200);
    assert!(audio.len() > 100, "real audio bytes");

    // Wait until Telnyx's link has expired, then ask us again.
    eventually(Duration::from_secs(10), "the first link to expire", || {
        let link1 = link1.clone();
        async move { (fetch(&link1).await.0 == 403).then_some(()) }
    })
    .await;
    let second = testkit::send_raw(&f.router, Method::GET, &uri).await;
    let link2 = second.header("location").unwrap().to_string();
    assert_ne!(link1, link2);
    assert_eq!(fetch(&link2).await.0, 200);
}

#[tokio::test]
async fn detail_shows_the_call_with_recordings_and_timeline() {
    let f = fixture(Duration::from_secs(600)).await;
    let c = recorded_call(&f).await;
    f.store
        .record(&event_record("x", "call.answered", 5, 6, c.id))
        .await
        .unwrap();
    f.store
        .record_command(&CommandRecord {
            call_id: c.id,
            command_id: format!("{}:hold:1", c.id),
            command: "playback_start".into(),
            detail: None,
            at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 10).unwrap(),
            result: CommandResult::Ok,
        })
        .await
        .unwrap();
    let answer = call(
        &f.router,
        Method::GET,
        &format!("/api/calls/{}", c.id),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["call_id"], c.id.to_string());
    assert_eq!(answer.body["recording_status"], "available");
    assert_eq!(
        answer.body["recording_url"],
        format!("/api/calls/{}/recording", c.id)
    );
    assert_eq!(answer.body["recordings"].as_array().unwrap().len(), 1);
    assert!(answer.body["notes"].is_null());
    assert_eq!(answer.body["tags"], serde_json::json!([]));
    let timeline = answer.body["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[0]["kind"], "event");
    assert_eq!(timeline[1]["kind"], "command");
}

#[tokio::test]
async fn missing_recordings_and_calls_are_clear_404s() {
    let f = fixture(Duration::from_secs(600)).await;
    let now = Utc::now();
    let mut c = Call::new(
        CallId::new_at(now),
        number("+13125550201"),
        number("+12125550100"),
        None,
        now,
    );
    f.store.insert(&c).await.unwrap();
    let uri = format!("/api/calls/{}/recording", c.id);
    let none = call(&f.router, Method::GET, &uri, None).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::NOT_FOUND, "recording_not_found")
    );

    c.id = CallId::new_at(now + ChronoDuration::seconds(1));
    c.recording_requested = true;
    c.apply(&CallEvent {
        event_id: "a".into(),
        occurred_at: now,
        kind: CallEventKind::Answered,
    });
    f.store.insert(&c).await.unwrap();
    let processing = call(
        &f.router,
        Method::GET,
        &format!("/api/calls/{}/recording", c.id),
        None,
    )
    .await;
    assert_eq!(
        (processing.status, processing.code()),
        (StatusCode::NOT_FOUND, "recording_processing")
    );
    let unknown = call(
        &f.router,
        Method::GET,
        &format!("/api/calls/{}", CallId::new_at(now)),
        None,
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "call_not_found")
    );
}
