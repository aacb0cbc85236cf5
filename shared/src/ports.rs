//! Ports: what the handlers need from the outside world, one narrow trait per capability.
//! Adapters implement them (embedded SQLite, MongoDB, in-process queue, SQS, Telnyx HTTP); the
//! handlers only ever see these traits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Call, CallId, PhoneNumber, TelnyxLeg};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Storage failures. Every variant is transient from the caller's point of view except
/// `Duplicate`, which reports a broken uniqueness rule (e.g. an id inserted twice).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("duplicate key: {0}")]
    Duplicate(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
}

/// A pure change applied to a call inside [`CallStore::update`]. It may run more than once
/// (optimistic retries), so it must not perform I/O.
pub type CallChange<'a> = &'a (dyn Fn(&mut Call) + Send + Sync);

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Inserts a new call. `Duplicate` if the id exists.
    async fn insert(&self, call: &Call) -> Result<(), StoreError>;
    async fn get(&self, id: CallId) -> Result<Option<Call>, StoreError>;
    async fn find_by_call_control_id(
        &self,
        call_control_id: &str,
    ) -> Result<Option<Call>, StoreError>;
    /// Atomically applies `change` to the stored call and returns the result; `None` if the call
    /// does not exist. Concurrent updates of one call never lose each other's changes.
    async fn update(&self, id: CallId, change: CallChange<'_>) -> Result<Option<Call>, StoreError>;
    /// Calls newest first, `limit` at most, strictly older than `before` when given.
    async fn list(&self, query: &CallQuery) -> Result<Vec<Call>, StoreError>;
}

#[derive(Debug, Clone, Default)]
pub struct CallQuery {
    pub limit: usize,
    /// Cursor: only calls that sort after this one (older, or same time with a smaller id).
    pub before: Option<(DateTime<Utc>, CallId)>,
}

/// One raw Telnyx event as kept in the event log, keyed by Telnyx's `data.id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub event_id: String,
    pub event_type: String,
    pub call_id: Option<CallId>,
    pub call_control_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// When our webhook endpoint first accepted it.
    pub received_at: DateTime<Utc>,
    /// Telnyx's `meta.attempt` of the first delivery we processed.
    pub attempt: u32,
    /// How many times it reached the processor (Telnyx retries + queue redeliveries).
    pub deliveries: u32,
    pub raw: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
}

#[async_trait]
pub trait EventLog: Send + Sync {
    /// Keeps the event once; a repeat only increments its delivery count.
    async fn record(&self, event: &EventRecord) -> Result<Recorded, StoreError>;
    /// The call's events ordered by `occurred_at`, then event id.
    async fn events_for_call(&self, id: CallId) -> Result<Vec<EventRecord>, StoreError>;
}

/// A verified webhook on its way from the webhook function to the processor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEvent {
    /// The exact body Telnyx signed.
    pub body: String,
    /// Telnyx's `telnyx-timestamp` header (already verified).
    pub telnyx_timestamp: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait EventQueue: Send + Sync {
    /// Returns only once the message is durably queued.
    async fn send(&self, event: &QueuedEvent) -> Result<(), QueueError>;
}

/// What we ask Telnyx to dial. Connection, webhook URL and credentials are the adapter's.
#[derive(Debug, Clone, PartialEq)]
pub struct DialCommand {
    pub to: PhoneNumber,
    pub from: PhoneNumber,
    pub call_id: CallId,
    /// De-duplication key: Telnyx ignores a repeated dial with the same id.
    pub command_id: String,
    pub timeout_secs: u32,
    pub time_limit_secs: u32,
    /// Record from answer (Telnyx `record: record-from-answer`).
    pub record: bool,
}

/// A command on a live leg. Each carries its own `command_id` at the call site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    Hangup,
    SendDtmf { digits: String },
}

impl CallAction {
    /// The path segment under `/v2/calls/{id}/actions/`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hangup => "hangup",
            Self::SendDtmf { .. } => "send_dtmf",
        }
    }
}

/// How Telnyx said no, or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelnyxError {
    /// Telnyx answered with an error envelope (4xx): `code` is Telnyx's (e.g. "90018").
    #[error("Telnyx refused ({status}, {code}): {title}{}", detail.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())]
    Rejected {
        status: u16,
        code: String,
        title: String,
        detail: Option<String>,
    },
    #[error("Telnyx rate limit reached")]
    RateLimited { retry_after_secs: Option<u64> },
    /// Network failure, timeout or 5xx after retries.
    #[error("Telnyx unavailable: {0}")]
    Unavailable(String),
}

impl TelnyxError {
    pub const CALL_ALREADY_ENDED: &'static str = "90018";

    pub fn is_call_already_ended(&self) -> bool {
        matches!(self, Self::Rejected { code, .. } if code == Self::CALL_ALREADY_ENDED)
    }
}

#[async_trait]
pub trait CallControl: Send + Sync {
    async fn dial(&self, command: &DialCommand) -> Result<TelnyxLeg, TelnyxError>;
    async fn act(
        &self,
        call_control_id: &str,
        action: &CallAction,
        command_id: &str,
    ) -> Result<(), TelnyxError>;
}

/// The time source, injectable so signature windows and durations are testable.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub type SharedClock = Arc<dyn Clock>;
