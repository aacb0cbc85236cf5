//! The event processor: applies queued Telnyx events to calls. Safe under at-least-once,
//! unordered delivery: every event is kept once in the event log (by Telnyx's `data.id`) and
//! joined into its call with `Call::apply`, which is idempotent and order-independent.

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use domain::{Call, CallId};
use ports::MessageHandler;
use ports::{CallStore, EventLog, EventRecord, QueuedEvent, Recorded, SharedClock, StoreError};
use std::sync::Arc;
use telnyx::{ParsedEvent, parse_event};
use tracing::Instrument;

/// How long an event naming an unknown call_control_id is retried: the dial answer that stores
/// the id may still be in flight. Older unknown events are not ours (e.g. another app's legs).
const UNMATCHED_GRACE_SECS: i64 = 30;

#[derive(Clone)]
pub struct Processor {
    pub calls: Arc<dyn CallStore>,
    pub events: Arc<dyn EventLog>,
    pub clock: SharedClock,
}

/// A queued event as read: Telnyx's envelope, when we received it, and its raw text (kept in
/// the event log).
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub parsed: ParsedEvent,
    pub received_at: DateTime<Utc>,
    pub raw: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    Applied,
    /// Seen before: re-applied (a no-op by construction) so a half-finished earlier attempt
    /// still completes.
    Duplicate,
    /// Kept in the log; it belongs to no call of ours.
    Unmatched,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Never processable (not a Telnyx envelope): after the queue's receive limit it lands in
    /// the dead-letter queue for a person to look at.
    #[error("poison message: {0}")]
    Poison(String),
    /// Worth retrying: the store is down, or the call is not known yet.
    #[error("retry later: {0}")]
    Retry(String),
}

impl From<StoreError> for ProcessError {
    fn from(e: StoreError) -> Self {
        Self::Retry(e.to_string())
    }
}

impl Processor {
    /// Built here, once, for the Lambda `main`, the local stack and the tests.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let store = wiring.store().await?;
        Ok(Self {
            calls: store.clone(),
            events: store,
            clock: wiring.clock.clone(),
        })
    }

    /// Reads a queued message and applies it. A message that is not a Telnyx envelope is
    /// poison: no retry can fix it.
    pub async fn process(&self, message: &QueuedEvent) -> Result<Processed, ProcessError> {
        let parsed = parse_event(&message.body).map_err(|e| ProcessError::Poison(e.to_string()))?;
        self.apply_event(IncomingEvent {
            parsed,
            received_at: message.received_at,
            raw: message.body.clone(),
        })
        .await
    }

    /// The use case: keeps the event once in the log and joins it into its call. Safe to run
    /// again for the same event, and in any order with the call's other events.
    pub async fn apply_event(&self, incoming: IncomingEvent) -> Result<Processed, ProcessError> {
        let IncomingEvent {
            parsed,
            received_at,
            raw,
        } = incoming;
        let call_id = self.call_of(&parsed).await?;
        if call_id.is_none()
            && parsed.event.is_some()
            && self.clock.now() - received_at < Duration::seconds(UNMATCHED_GRACE_SECS)
        {
            return Err(ProcessError::Retry(format!(
                "{} names no known call yet",
                parsed.event_type
            )));
        }
        let recorded = self
            .events
            .record(&EventRecord {
                event_id: parsed.event_id.clone(),
                event_type: parsed.event_type.clone(),
                call_id,
                call_control_id: parsed.call_control_id.clone(),
                occurred_at: parsed.occurred_at,
                received_at,
                attempt: parsed.attempt,
                deliveries: 1,
                raw,
            })
            .await?;
        let (Some(id), Some(event)) = (call_id, parsed.event) else {
            tracing::info!(event_type = %parsed.event_type, "event kept, no call to apply it to");
            return Ok(Processed::Unmatched);
        };
        let applied = self
            .calls
            .update(id, &|call: &mut Call| call.apply(&event))
            .await?;
        if applied.is_none() {
            tracing::info!(call_id = %id, event_type = %parsed.event_type, "event for an unknown call kept");
            return Ok(Processed::Unmatched);
        }
        Ok(match recorded {
            Recorded::New => Processed::Applied,
            Recorded::Duplicate => Processed::Duplicate,
        })
    }

    /// Our call id from the event's client state, else from its leg's call_control_id.
    async fn call_of(&self, parsed: &ParsedEvent) -> Result<Option<CallId>, StoreError> {
        Ok(match (parsed.call_id, &parsed.call_control_id) {
            (Some(id), _) => Some(id),
            (None, Some(ccid)) => self
                .calls
                .find_by_call_control_id(ccid)
                .await?
                .map(|c| c.id),
            (None, None) => None,
        })
    }

    /// The SQS Lambda entry point: messages are independent, so one failure is reported alone
    /// (`batchItemFailures`) and only it is redelivered.
    pub async fn handle_sqs(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            let id = record.message_id.clone().unwrap_or_default();
            // Instrumented, not entered: an entered guard held across an await would tag other
            // tasks' logs on this thread with this message.
            let span = tracing::info_span!("sqs_message", message_id = %id);
            let result = async {
                let result = match record
                    .body
                    .as_deref()
                    .map(serde_json::from_str::<QueuedEvent>)
                {
                    Some(Ok(message)) => self.process(&message).await.map(|_| ()),
                    Some(Err(e)) => Err(ProcessError::Poison(format!("not a queued event: {e}"))),
                    None => Err(ProcessError::Poison("empty message".into())),
                };
                match &result {
                    Err(e @ ProcessError::Poison(_)) => {
                        tracing::error!(error = %e, "message failed")
                    }
                    Err(e @ ProcessError::Retry(_)) => {
                        tracing::warn!(error = %e, "message will be retried")
                    }
                    Ok(()) => {}
                }
                result
            }
            .instrument(span)
            .await;
            if result.is_err() {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        response
    }
}

#[async_trait]
impl MessageHandler for Processor {
    async fn handle(&self, event: &QueuedEvent) -> Result<(), String> {
        self.process(event)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
