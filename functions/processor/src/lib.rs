//! The event processor: applies queued Telnyx events to calls. Safe under at-least-once,
//! unordered delivery: every event is kept once in the event log (by Telnyx's `data.id`) and
//! joined into its call with `Call::apply`, which is idempotent and order-independent.

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use domain::{Call, CallId, Leg, NextAction};
use edge::commands::Commander;
use ports::MessageHandler;
use ports::{
    CallAction, CallControl, CallStore, CommandRecord, CommandResult, DialCommand, EventLog,
    EventRecord, QueuedEvent, Recorded, SettingsStore, SharedClock, StoreError,
};
use std::sync::{Arc, Mutex};
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
    /// Carries out what two-leg calls need after an event (dial the customer when the agent
    /// answers, hang up one leg when the other ends). `None`: events are only applied.
    pub legs: Option<LegDriver>,
}

/// What the processor needs to act on a two-leg call's events.
#[derive(Clone)]
pub struct LegDriver {
    pub telnyx: Arc<dyn CallControl>,
    /// Sends hangups (90018 is harmless) and keeps every command in the timeline.
    pub commander: Commander,
    /// The recording format of the customer's leg.
    pub settings: Arc<dyn SettingsStore>,
    pub ring_timeout_secs: u32,
    pub call_time_limit_secs: u32,
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
        let telnyx = wiring.call_control().await?;
        let legs = LegDriver {
            telnyx: telnyx.clone(),
            commander: Commander {
                telnyx,
                log: store.clone(),
                clock: wiring.clock.clone(),
            },
            settings: wiring.data_store().await?,
            ring_timeout_secs: wiring.config.ring_timeout_secs,
            call_time_limit_secs: wiring.config.call_time_limit_secs,
        };
        Ok(Self {
            calls: store.clone(),
            events: store,
            clock: wiring.clock.clone(),
            legs: Some(legs),
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
        // The actions decided by the update that was kept (it may run more than once).
        let planned = Mutex::new(Vec::new());
        let now = self.clock.now();
        let driving = self.legs.is_some();
        let (said_leg, ccid) = (parsed.leg, parsed.call_control_id.clone());
        let applied = self
            .calls
            .update(id, &|call: &mut Call| {
                let leg = match (said_leg, &ccid) {
                    (Leg::Customer, Some(ccid)) => call.leg_of(ccid),
                    (leg, _) => leg,
                };
                let actions = if driving {
                    call.step(leg, &event, now)
                } else {
                    call.apply_leg(leg, &event);
                    Vec::new()
                };
                *planned.lock().unwrap_or_else(|p| p.into_inner()) = actions;
            })
            .await?;
        let Some(call) = applied else {
            tracing::info!(call_id = %id, event_type = %parsed.event_type, "event for an unknown call kept");
            return Ok(Processed::Unmatched);
        };
        let actions = planned.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(legs) = &self.legs {
            legs.carry_out(self, call, actions).await?;
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

impl LegDriver {
    /// Carries out claimed actions, and whatever their results call for in turn (the agent may
    /// have hung up while the customer's dial was in flight).
    async fn carry_out(
        &self,
        processor: &Processor,
        mut call: Call,
        mut pending: Vec<NextAction>,
    ) -> Result<(), ProcessError> {
        while let Some(action) = pending.pop() {
            let now = processor.clock.now();
            let change: Box<dyn Fn(&mut Call) + Send + Sync> = match action {
                NextAction::DialCustomer => self.dial_customer(&call).await?,
                NextAction::HangUp(leg) => match self.hang_up(&call, leg).await {
                    Ok(()) => continue,
                    Err(e) => {
                        // Give the claim back: the event's redelivery sends the hangup again.
                        processor
                            .calls
                            .update(call.id, &move |c: &mut Call| c.unclaim_hangup(leg))
                            .await?;
                        return Err(e);
                    }
                },
            };
            let next = Mutex::new(Vec::new());
            let updated = processor
                .calls
                .update(call.id, &|c: &mut Call| {
                    change(c);
                    let actions = c.next_actions();
                    c.claim(&actions, now);
                    *next.lock().unwrap_or_else(|p| p.into_inner()) = actions;
                })
                .await?;
            let Some(updated) = updated else {
                return Ok(());
            };
            call = updated;
            pending.extend(next.into_inner().unwrap_or_else(|p| p.into_inner()));
        }
        Ok(())
    }

    /// Dials the customer linked to the agent's leg, bridged on answer, and answers the change
    /// that stores Telnyx's answer on the call (the leg, or the refusal as the call's failure).
    async fn dial_customer(
        &self,
        call: &Call,
    ) -> Result<Box<dyn Fn(&mut Call) + Send + Sync>, ProcessError> {
        let settings = self.settings.load_settings().await?;
        let agent = call
            .agent
            .as_ref()
            .and_then(|a| a.telnyx.as_ref())
            .map(|t| t.call_control_id.clone());
        let command = DialCommand {
            to: call.to.to_string(),
            from: call.from.clone(),
            call_id: call.id,
            // The one-leg dial's id: Telnyx ignores a repeat, so the customer is dialled once.
            command_id: call.id.to_string(),
            timeout_secs: self.ring_timeout_secs,
            time_limit_secs: self.call_time_limit_secs,
            record: call.recording_requested,
            record_format: settings.recording.format,
            // Customer and agent on their own channels.
            record_channels: domain::settings::RecordingChannels::Dual,
            leg: Leg::Customer,
            link_to: agent,
            bridge_on_answer: true,
            detect_machine: false,
        };
        let outcome = self.telnyx.dial(&command).await;
        let now = self.commander.clock.now();
        self.commander
            .note(CommandRecord {
                call_id: call.id,
                command_id: command.command_id.clone(),
                command: "dial".into(),
                detail: Some(format!(
                    "{} → {} (customer, after the agent answered)",
                    call.from, call.to
                )),
                at: now,
                result: match &outcome {
                    Ok(_) => CommandResult::Ok,
                    Err(e) => CommandResult::failed(e),
                },
            })
            .await;
        Ok(match outcome {
            Ok(leg) => {
                tracing::info!(call_id = %call.id, "dialing the customer");
                Box::new(move |c: &mut Call| c.telnyx = Some(leg.clone()))
            }
            Err(e) => {
                let (code, message) = (e.recorded_code(), e.message());
                tracing::warn!(call_id = %call.id, %code, "customer dial refused");
                Box::new(move |c: &mut Call| c.fail_dial(code.clone(), message.clone(), now))
            }
        })
    }

    async fn hang_up(&self, call: &Call, leg: Leg) -> Result<(), ProcessError> {
        let ccid = match leg {
            Leg::Customer => call.telnyx.as_ref(),
            Leg::Agent => call.agent.as_ref().and_then(|a| a.telnyx.as_ref()),
        };
        let Some(ccid) = ccid.map(|t| t.call_control_id.clone()) else {
            return Ok(());
        };
        let other = match leg {
            Leg::Agent => "the customer's leg ended",
            Leg::Customer => "the agent's leg ended",
        };
        self.commander
            .send(
                call.id,
                &ccid,
                CallAction::Hangup,
                format!("{}:hangup-{}", call.id, leg.as_str()),
                Some(format!("{} leg: {other}", leg.as_str())),
            )
            .await
            .map(|_| ())
            .map_err(|e| ProcessError::Retry(format!("hanging up the {} leg: {e}", leg.as_str())))
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
