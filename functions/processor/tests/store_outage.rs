//! A store outage while events arrive: every message fails and comes back (in-process queue
//! redelivery, or SQS `batchItemFailures`), nothing is dead-lettered, and once the store is back
//! the calls are exactly what an undisturbed run gives.

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration as Span, TimeZone, Utc};
use domain::{Call, CallId, CallStatus, Outcome, PhoneNumber};
use ports::{
    CallChange, CallQuery, CallStore, EventLog, EventQueue, EventRecord, QueuedEvent, Recorded,
    StoreError,
};
use processor::Processor;
use queue::memory::{InProcessQueue, QueueOptions};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store_sqlite::SqliteStore;
use testkit::{FixedClock, memory_store};

fn t(secs: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap() + Span::seconds(secs)
}

/// The real store behind two switches: the call documents and the event log can fail on their
/// own, as when one of them times out.
#[derive(Clone)]
struct Outage {
    inner: SqliteStore,
    calls_down: Arc<AtomicBool>,
    events_down: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl Outage {
    fn new(inner: SqliteStore) -> Self {
        Self {
            inner,
            calls_down: Arc::default(),
            events_down: Arc::default(),
            refused: Arc::default(),
        }
    }

    fn check(&self, switch: &AtomicBool) -> Result<(), StoreError> {
        if switch.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Unavailable("injected outage".into()));
        }
        Ok(())
    }

    fn set_down(&self, calls: bool, events: bool) {
        self.calls_down.store(calls, Ordering::SeqCst);
        self.events_down.store(events, Ordering::SeqCst);
    }
}

#[async_trait]
impl CallStore for Outage {
    async fn insert(&self, call: &Call) -> Result<(), StoreError> {
        self.check(&self.calls_down)?;
        self.inner.insert(call).await
    }
    async fn insert_within_limit(
        &self,
        call: &Call,
        max_active: u32,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.check(&self.calls_down)?;
        self.inner
            .insert_within_limit(call, max_active, since)
            .await
    }
    async fn get(&self, id: CallId) -> Result<Option<Call>, StoreError> {
        self.check(&self.calls_down)?;
        self.inner.get(id).await
    }
    async fn find_by_call_control_id(&self, ccid: &str) -> Result<Option<Call>, StoreError> {
        self.check(&self.calls_down)?;
        self.inner.find_by_call_control_id(ccid).await
    }
    async fn update(&self, id: CallId, change: CallChange<'_>) -> Result<Option<Call>, StoreError> {
        self.check(&self.calls_down)?;
        self.inner.update(id, change).await
    }
    async fn list(&self, query: &CallQuery) -> Result<Vec<Call>, StoreError> {
        self.check(&self.calls_down)?;
        self.inner.list(query).await
    }
}

#[async_trait]
impl EventLog for Outage {
    async fn record(&self, event: &EventRecord) -> Result<Recorded, StoreError> {
        self.check(&self.events_down)?;
        self.inner.record(event).await
    }
    async fn events_for_call(&self, id: CallId) -> Result<Vec<EventRecord>, StoreError> {
        self.check(&self.events_down)?;
        self.inner.events_for_call(id).await
    }
}

fn new_call() -> Call {
    Call::new(
        CallId::new_at(t(0)),
        PhoneNumber::parse("+13125550201", "US").unwrap(),
        PhoneNumber::parse("+12125550100", "US").unwrap(),
        None,
        t(0),
    )
}

fn envelope(id: &str, kind: &str, at: i64, call: CallId, extra: serde_json::Value) -> String {
    testkit::telnyx_envelope(id, kind, t(at), call, "v3:outage-leg", extra)
}

/// A whole answered call, callee hangs up, with a recording; deliberately not in time order.
fn events(id: CallId) -> Vec<QueuedEvent> {
    [
        envelope(
            "o-hangup",
            "call.hangup",
            35,
            id,
            json!({"hangup_cause": "normal_clearing", "hangup_source": "callee",
                   "sip_hangup_cause": "200", "start_time": t(1).to_rfc3339(),
                   "end_time": t(35).to_rfc3339()}),
        ),
        envelope(
            "o-init",
            "call.initiated",
            1,
            id,
            json!({"direction": "outgoing", "state": "bridging"}),
        ),
        envelope(
            "o-answer",
            "call.answered",
            5,
            id,
            json!({"start_time": t(1).to_rfc3339()}),
        ),
        envelope("o-dtmf", "call.dtmf.received", 9, id, json!({"digit": "7"})),
        envelope(
            "o-rec",
            "call.recording.saved",
            37,
            id,
            json!({"recording_id": "rec-o", "format": "mp3", "channels": "dual",
                   "recording_started_at": t(5).to_rfc3339(),
                   "recording_ended_at": t(35).to_rfc3339(),
                   "recording_urls": {"mp3": "http://x/rec.mp3"}}),
        ),
    ]
    .into_iter()
    .map(|body| QueuedEvent {
        body,
        telnyx_timestamp: t(0).timestamp(),
        received_at: t(60),
    })
    .collect()
}

/// The call an undisturbed processor makes of the same events.
async fn undisturbed(call: &Call) -> Call {
    let store = memory_store();
    store.insert(call).await.unwrap();
    let processor = Processor {
        calls: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        clock: FixedClock::at(t(120)),
        legs: None,
    };
    for e in events(call.id) {
        processor.process(&e).await.unwrap();
    }
    let expected = store.get(call.id).await.unwrap().unwrap();
    assert_eq!(expected.status(), CallStatus::Ended);
    assert_eq!(expected.outcome(), Some(Outcome::Completed));
    assert_eq!(expected.recordings.len(), 1);
    expected
}

async fn wait_until(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn queued_events_come_back_until_the_store_returns_then_the_call_is_right() {
    let call = new_call();
    let expected = undisturbed(&call).await;

    let store = Outage::new(memory_store());
    store.insert(&call).await.unwrap();
    let processor = Processor {
        calls: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        clock: FixedClock::at(t(120)),
        legs: None,
    };
    let queue = InProcessQueue::start(
        Arc::new(processor),
        QueueOptions {
            // Enough receives to outlast the outage: nothing may reach the dead-letter list.
            max_receives: 30,
            redelivery_delay: Duration::from_millis(2),
            ..QueueOptions::default()
        },
    );
    store.set_down(true, true);
    let sent = events(call.id);
    for e in &sent {
        queue.send(e).await.unwrap();
    }
    // Every message must have failed at least twice (first delivery and one redelivery).
    let wanted = 2 * sent.len();
    wait_until(
        "every message refused twice",
        Duration::from_secs(20),
        || store.refused.load(Ordering::SeqCst) >= wanted,
    )
    .await;
    assert_eq!(
        store.inner.get(call.id).await.unwrap().unwrap(),
        call,
        "nothing applied during the outage"
    );
    assert!(queue.in_flight() > 0, "messages were dropped, not retried");

    store.set_down(false, false);
    assert!(
        queue.drained(Duration::from_secs(30)).await,
        "queue did not drain"
    );
    assert!(
        queue.dead_letters().is_empty(),
        "{:?}",
        queue.dead_letters()
    );
    assert_eq!(store.get(call.id).await.unwrap().unwrap(), expected);
    let log = store.events_for_call(call.id).await.unwrap();
    assert_eq!(log.len(), sent.len(), "each event kept once: {log:?}");
}

fn batch(events: &[QueuedEvent]) -> SqsEvent {
    let mut batch = SqsEvent::default();
    batch.records = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("msg-{i}"));
            m.body = Some(serde_json::to_string(e).unwrap());
            m
        })
        .collect();
    batch
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn an_sqs_batch_fails_whole_during_an_outage_and_lands_on_redelivery() {
    let call = new_call();
    let expected = undisturbed(&call).await;
    let store = Outage::new(memory_store());
    store.insert(&call).await.unwrap();
    let processor = Processor {
        calls: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        clock: FixedClock::at(t(120)),
        legs: None,
    };
    let sent = events(call.id);
    let all: Vec<String> = (0..sent.len()).map(|i| format!("msg-{i}")).collect();

    // Everything down: every message reported, nothing written.
    store.set_down(true, true);
    assert_eq!(failed_ids(&processor.handle_sqs(batch(&sent)).await), all);

    // Only the call documents down: events get logged, but the messages must still fail, or the
    // calls would never see them.
    store.set_down(true, false);
    assert_eq!(failed_ids(&processor.handle_sqs(batch(&sent)).await), all);
    assert_eq!(store.inner.get(call.id).await.unwrap().unwrap(), call);

    // Back: the redelivered batch succeeds whole and completes the half-done work.
    store.set_down(false, false);
    assert!(failed_ids(&processor.handle_sqs(batch(&sent)).await).is_empty());
    assert_eq!(store.get(call.id).await.unwrap().unwrap(), expected);
    let log = store.events_for_call(call.id).await.unwrap();
    assert_eq!(log.len(), sent.len());
    assert!(
        log.iter().all(|e| e.deliveries == 2),
        "the logged attempt and the redelivery are both counted: {:?}",
        log.iter()
            .map(|e| (&e.event_id, e.deliveries))
            .collect::<Vec<_>>()
    );

    // A further redelivery (SQS is at-least-once) changes nothing.
    assert!(failed_ids(&processor.handle_sqs(batch(&sent)).await).is_empty());
    assert_eq!(store.get(call.id).await.unwrap().unwrap(), expected);
}
