//! The processor's use case without a queue or a wire format: `Processor::apply_event` on
//! already-read events, built from the same wiring as the Lambda and the local stack.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, CallStatus, Outcome, PhoneNumber};
use ports::{CallStore, EventLog};
use processor::{IncomingEvent, ProcessError, Processed, Processor};
use std::sync::Arc;
use telnyx::ParsedEvent;
use testkit::{FixedClock, emulator, memory_store};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

fn event(id: &str, call: Option<CallId>, at: i64, kind: CallEventKind) -> IncomingEvent {
    IncomingEvent {
        parsed: ParsedEvent {
            event_id: id.into(),
            event_type: format!("{kind:?}"),
            occurred_at: t(at),
            attempt: 1,
            call_control_id: None,
            call_id: call,
            leg: Default::default(),
            event: Some(CallEvent {
                event_id: id.into(),
                occurred_at: t(at),
                kind,
            }),
        },
        received_at: t(at),
        raw: format!("{{\"id\":\"{id}\"}}"),
    }
}

async fn processor(store: &store_sqlite::SqliteStore, clock: Arc<FixedClock>) -> Processor {
    let emulator = emulator(None).await;
    let wiring = testkit::wiring(&emulator, store).with_clock(clock);
    Processor::build(&wiring)
        .await
        .expect("the processor builds")
}

async fn stored_call(store: &store_sqlite::SqliteStore) -> Call {
    let number = |n| PhoneNumber::parse(n, "US").unwrap();
    let call = Call::new(
        CallId::new_at(t(0)),
        number("+13125550201"),
        number("+12125550100"),
        None,
        t(0),
    );
    store.insert(&call).await.unwrap();
    call
}

#[tokio::test]
async fn repeated_and_shuffled_events_give_the_same_call_as_the_ordered_ones() {
    let store = memory_store();
    let p = processor(&store, FixedClock::at(t(60))).await;
    let call = stored_call(&store).await;
    let id = Some(call.id);
    let events = [
        event("e3", id, 20, testkit::hangup("normal_clearing")),
        event("e2", id, 5, CallEventKind::Answered),
        event("e1", id, 1, CallEventKind::Initiated),
        event("e2", id, 5, CallEventKind::Answered),
    ];
    let mut results = Vec::new();
    for e in events {
        results.push(p.apply_event(e).await.unwrap());
    }
    assert_eq!(
        results,
        [
            Processed::Applied,
            Processed::Applied,
            Processed::Applied,
            Processed::Duplicate
        ]
    );
    let call = store.get(call.id).await.unwrap().unwrap();
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(Outcome::Completed));
    assert_eq!(call.answered_at(), Some(t(5)));
    assert_eq!(store.events_for_call(call.id).await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_event_for_no_known_call_is_retried_within_the_grace_then_kept() {
    let store = memory_store();
    let clock = FixedClock::at(t(1));
    let p = processor(&store, clock.clone()).await;
    let stray = || event("e9", None, 0, CallEventKind::Answered);
    let early = p.apply_event(stray()).await.unwrap_err();
    assert!(matches!(early, ProcessError::Retry(_)), "{early:?}");
    clock.set(t(600));
    assert_eq!(p.apply_event(stray()).await.unwrap(), Processed::Unmatched);
}
