//! The processor against a real store: duplicates and shuffles give the ordered result, poison
//! is isolated in SQS batches, and events naming no known call are retried, then kept.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration, TimeZone, Utc};
use domain::{Call, CallId, CallStatus, Outcome, PhoneNumber};
use ports::{CallStore, EventLog, QueuedEvent};
use processor::{ProcessError, Processed, Processor};
use serde_json::json;
use std::sync::Arc;
use testkit::{FixedClock, memory_store};

fn t(secs: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap() + Duration::milliseconds(secs * 1000)
}

fn envelope(id: &str, kind: &str, at: i64, call: CallId, extra: serde_json::Value) -> String {
    testkit::telnyx_envelope(id, kind, t(at), call, "v3:test-leg", extra)
}

fn queued(body: String) -> QueuedEvent {
    QueuedEvent {
        body,
        telnyx_timestamp: t(0).timestamp(),
        received_at: t(60),
    }
}

async fn setup() -> (Processor, store_sqlite::SqliteStore, Call) {
    let store = memory_store();
    let call = Call::new(
        CallId::new_at(t(0)),
        PhoneNumber::parse("+13125550201", "US").unwrap(),
        PhoneNumber::parse("+12125550100", "US").unwrap(),
        None,
        t(0),
    );
    store.insert(&call).await.unwrap();
    let processor = Processor {
        calls: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        clock: FixedClock::at(t(120)),
        legs: None,
    };
    (processor, store, call)
}

fn call_events(id: CallId) -> Vec<String> {
    vec![
        envelope(
            "e-init",
            "call.initiated",
            1,
            id,
            json!({"direction": "outgoing", "state": "bridging"}),
        ),
        envelope(
            "e-answer",
            "call.answered",
            5,
            id,
            json!({"start_time": t(1).to_rfc3339()}),
        ),
        envelope("e-dtmf", "call.dtmf.received", 9, id, json!({"digit": "5"})),
        envelope("e-bridged", "call.bridged", 6, id, json!({})),
        envelope(
            "e-hangup",
            "call.hangup",
            35,
            id,
            json!({"hangup_cause": "normal_clearing", "hangup_source": "callee", "sip_hangup_cause": "200",
                   "start_time": t(1).to_rfc3339(), "end_time": t(35).to_rfc3339()}),
        ),
        envelope(
            "e-rec",
            "call.recording.saved",
            37,
            id,
            json!({"recording_id": "rec-1", "format": "mp3", "channels": "dual",
                   "recording_started_at": t(5).to_rfc3339(), "recording_ended_at": t(35).to_rfc3339(),
                   "recording_urls": {"mp3": "http://x/rec.mp3"}}),
        ),
        envelope(
            "e-cost",
            "call.cost",
            38,
            id,
            json!({"total_cost": "0.0210", "billed_duration_secs": 31,
                   "cost_parts": [{"currency": "USD"}]}),
        ),
    ]
}

#[tokio::test]
async fn shuffled_duplicated_delivery_gives_the_ordered_call() {
    let (processor, store, call) = setup().await;
    for body in call_events(call.id) {
        processor.process(&queued(body)).await.unwrap();
    }
    let ordered = store.get(call.id).await.unwrap().unwrap();
    assert_eq!(ordered.status(), CallStatus::Ended);
    assert_eq!(ordered.outcome(), Some(Outcome::Completed));
    assert_eq!(ordered.duration_secs(t(999)), 30);
    assert_eq!(ordered.recordings.len(), 1);
    assert_eq!(ordered.cost.as_ref().unwrap().value.total_cost, "0.0210");

    // 30 deliveries in a scrambled order, every event at least twice
    for round in 0..5u64 {
        let (processor, store, call2) = setup().await;
        let mut bodies: Vec<String> = call_events(call2.id);
        bodies.extend(call_events(call2.id));
        bodies.extend(call_events(call2.id).into_iter().step_by(2));
        let mut state = round.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for i in (1..bodies.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bodies.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut statuses = Vec::new();
        for body in bodies {
            processor.process(&queued(body)).await.unwrap();
            statuses.push(store.get(call2.id).await.unwrap().unwrap().status());
        }
        assert!(
            statuses.windows(2).all(|w| w[0] <= w[1]),
            "went backwards: {statuses:?}"
        );
        let mut shuffled = store.get(call2.id).await.unwrap().unwrap();
        shuffled.id = call.id;
        shuffled.started_at = call.started_at;
        assert_eq!(shuffled, ordered, "round {round}");
        let log = store.events_for_call(call2.id).await.unwrap();
        assert_eq!(log.len(), 7, "each event kept once");
        assert!(log.iter().all(|e| e.deliveries >= 2));
    }
}

#[tokio::test]
async fn duplicates_are_reported_as_such() {
    let (processor, _, call) = setup().await;
    let body = call_events(call.id).remove(0);
    assert_eq!(
        processor.process(&queued(body.clone())).await.unwrap(),
        Processed::Applied
    );
    assert_eq!(
        processor.process(&queued(body)).await.unwrap(),
        Processed::Duplicate
    );
}

#[tokio::test]
async fn events_for_no_known_call_are_retried_while_young_then_kept() {
    let (processor, store, _) = setup().await;
    let body = json!({"data": {"event_type": "call.answered", "id": "stray", "occurred_at": "2026-11-24T09:00:01Z",
        "payload": {"call_control_id": "v3:someone-else", "client_state": null}}}).to_string();
    let young = QueuedEvent {
        received_at: t(110),
        ..queued(body.clone())
    };
    assert!(matches!(
        processor.process(&young).await,
        Err(ProcessError::Retry(_))
    ));
    let old = QueuedEvent {
        received_at: t(10),
        ..queued(body)
    };
    assert_eq!(processor.process(&old).await.unwrap(), Processed::Unmatched);
    assert!(
        store
            .list(&Default::default())
            .await
            .unwrap()
            .iter()
            .all(|c| c.answered.is_none())
    );
}

#[tokio::test]
async fn one_poison_message_fails_alone_in_an_sqs_batch() {
    let (processor, store, call) = setup().await;
    let mut records = Vec::new();
    let bodies = [
        Some(serde_json::to_string(&queued(call_events(call.id).remove(0))).unwrap()),
        Some("this is not json".to_string()),
        Some(serde_json::to_string(&queued("{\"data\":{}}".into())).unwrap()),
        None,
        Some(serde_json::to_string(&queued(call_events(call.id).remove(1))).unwrap()),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let mut m = SqsMessage::default();
        m.message_id = Some(format!("m{i}"));
        m.body = body;
        records.push(m);
    }
    let mut event = SqsEvent::default();
    event.records = records;
    let response = processor.handle_sqs(event).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m1", "m2", "m3"]);
    assert_eq!(
        store.get(call.id).await.unwrap().unwrap().status(),
        CallStatus::Active
    );
}
