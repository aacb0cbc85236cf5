//! Ports: what the handlers need from the outside world, one narrow trait per capability.
//! Adapters implement them (embedded SQLite, MongoDB, in-process queue, SQS, Telnyx HTTP); the
//! handlers only ever see these traits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Call, CallId, PhoneNumber, TelnyxLeg};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod auth;
mod secret;

pub use secret::Secret;

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
    /// Inserts a new call unless the user who placed it already has `max_active` calls not yet
    /// ended that started at or after `since`: the count and the insert are one step per user,
    /// so parallel dials can never pass the limit together. `Ok(false)`: at the limit, nothing
    /// stored. A call with no placer is inserted as by [`CallStore::insert`].
    async fn insert_within_limit(
        &self,
        call: &Call,
        max_active: u32,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
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
    /// E.164, or a SIP URI (`sip:<user>@sip.telnyx.com`: an agent's browser).
    pub to: String,
    pub from: PhoneNumber,
    pub call_id: CallId,
    /// De-duplication key: Telnyx ignores a repeated dial with the same id.
    pub command_id: String,
    pub timeout_secs: u32,
    pub time_limit_secs: u32,
    /// Record from answer (Telnyx `record: record-from-answer`).
    pub record: bool,
    /// Used when `record` is set (the team's recording preferences).
    pub record_format: domain::settings::RecordingFormat,
    pub record_channels: domain::settings::RecordingChannels,
    /// Which leg of the call this dial places (carried in `client_state`).
    pub leg: domain::Leg,
    /// Telnyx `link_to`: the leg this one belongs with (the agent's, for the customer's).
    pub link_to: Option<String>,
    /// Telnyx `bridge_on_answer`: bridge to `link_to` when this leg answers.
    pub bridge_on_answer: bool,
}

/// A command on a live leg. Each carries its own `command_id` at the call site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    Hangup,
    SendDtmf {
        digits: String,
    },
    /// Loops an audio file to the customer: hold music (Telnyx has no single-leg hold).
    PlaybackStart {
        audio_url: String,
    },
    PlaybackStop,
    RecordStart {
        format: String,
        channels: String,
    },
    RecordStop,
}

impl CallAction {
    /// The path segment under `/v2/calls/{id}/actions/`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hangup => "hangup",
            Self::SendDtmf { .. } => "send_dtmf",
            Self::PlaybackStart { .. } => "playback_start",
            Self::PlaybackStop => "playback_stop",
            Self::RecordStart { .. } => "record_start",
            Self::RecordStop => "record_stop",
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

/// The one reading of a Telnyx failure: the same code in problem answers, on a failed call and
/// in its timeline (`docs/openapi.yaml` documents these codes).
impl TelnyxError {
    pub const CALL_ALREADY_ENDED: &'static str = "90018";

    /// Our stable code for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rejected { .. } => "telnyx_rejected",
            Self::RateLimited { .. } => "telnyx_rate_limited",
            Self::Unavailable(_) => "telnyx_unavailable",
        }
    }

    /// Telnyx's own code, when it gave one (e.g. "10015").
    pub fn telnyx_code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }

    /// What a call or its timeline keeps: Telnyx's own code when it gave one, else ours.
    pub fn recorded_code(&self) -> String {
        self.telnyx_code().unwrap_or(self.code()).to_string()
    }

    /// A sentence for a person: Telnyx's own words when it gave them.
    pub fn message(&self) -> String {
        match self {
            Self::Rejected { title, detail, .. } => match detail {
                Some(d) if !d.is_empty() => format!("{title}: {d}"),
                _ => title.clone(),
            },
            Self::RateLimited { .. } => "Telnyx's rate limit was reached".into(),
            Self::Unavailable(_) => "Telnyx could not be reached".into(),
        }
    }

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
    /// A fresh download link for a saved recording (Telnyx's links expire after 10 minutes).
    async fn recording_link(
        &self,
        recording_id: &str,
        format: Option<&str>,
    ) -> Result<String, TelnyxError>;
}

/// Telnyx telephony credentials for agents' softphones (browser mode), on the deployment's
/// credential connection.
#[async_trait]
pub trait WebRtcAccounts: Send + Sync {
    async fn create_credential(
        &self,
        connection_id: &str,
        name: &str,
    ) -> Result<domain::user::WebRtcCredential, TelnyxError>;
    /// A login token (a JWT) for the credential: a secret, never logged.
    async fn credential_token(&self, credential_id: &str) -> Result<Secret, TelnyxError>;
    /// Removes it; one that is already gone is not an error.
    async fn delete_credential(&self, credential_id: &str) -> Result<(), TelnyxError>;
}

/// What happened to a command we sent to Telnyx, for the call's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CommandResult {
    Ok,
    /// Telnyx refused, but the refusal is expected and harmless (e.g. 90018 after the callee
    /// hung up first).
    Absorbed {
        code: String,
    },
    Failed {
        code: String,
        message: String,
    },
}

impl CommandResult {
    /// The timeline entry for a refused or failed command.
    pub fn failed(e: &TelnyxError) -> Self {
        Self::Failed {
            code: e.recorded_code(),
            message: e.message(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub call_id: CallId,
    pub command_id: String,
    /// Our name for it: `dial`, `hangup`, `hold`, `resume`, `dtmf`, `mute`, …
    pub command: String,
    /// What was asked, e.g. the digits sent.
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub result: CommandResult,
}

#[async_trait]
pub trait CommandLog: Send + Sync {
    async fn record_command(&self, command: &CommandRecord) -> Result<(), StoreError>;
    /// The call's commands in the order they were made.
    async fn commands_for_call(&self, id: CallId) -> Result<Vec<CommandRecord>, StoreError>;
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

// ---------------------------------------------------------------------------------------------
// Data: contacts, call history and statistics, settings, secrets, numbers.
// ---------------------------------------------------------------------------------------------

/// A page of contacts, sorted by name (case-insensitive), then id.
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    pub search: Option<domain::SearchTerms>,
    pub favorite: Option<bool>,
    pub tag: Option<String>,
    pub limit: usize,
    /// Cursor: only contacts sorting after `(lower-cased name, id)`.
    pub after: Option<(String, String)>,
}

/// How an import changed the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    /// Rows matching an existing contact that changed nothing.
    pub unchanged: usize,
}

/// Contacts of the team. Phone numbers (E.164) are unique: `create_contact` and
/// `replace_contact` answer `Duplicate` (message: the contact id holding the number) when
/// another contact has the number.
#[async_trait]
pub trait ContactStore: Send + Sync {
    async fn create_contact(&self, contact: &domain::Contact) -> Result<(), StoreError>;
    async fn contact(&self, id: &str) -> Result<Option<domain::Contact>, StoreError>;
    async fn contact_by_phone(
        &self,
        phone: &PhoneNumber,
    ) -> Result<Option<domain::Contact>, StoreError>;
    /// Replaces the stored contact with the same id; `false` if there is none.
    async fn replace_contact(&self, contact: &domain::Contact) -> Result<bool, StoreError>;
    /// `false` if there was no such contact. Calls keep their `contact_id` (history stays).
    async fn delete_contact(&self, id: &str) -> Result<bool, StoreError>;
    async fn list_contacts(&self, query: &ContactQuery)
    -> Result<Vec<domain::Contact>, StoreError>;
    /// Creates or merges (`Contact::merge_import`) every row, by phone number, all in one
    /// transaction: either every row is written or none is. Rows must have distinct numbers.
    async fn import_contacts(
        &self,
        rows: &[domain::ContactDraft],
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError>;
}

/// Which calls belong to a contact: those dialled for it (`contact_id`) and those to its number,
/// so calls placed before the contact existed are part of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLink {
    pub id: String,
    /// `None` for a contact that no longer exists (its calls keep its id).
    pub phone: Option<PhoneNumber>,
}

/// History filters (design.md): every field narrows the result; all absent = every call.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub status: Option<domain::HistoryStatus>,
    /// A number fragment (digits of either number) or a contact name.
    pub search: Option<domain::SearchTerms>,
    /// Calls started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Calls started strictly before.
    pub until: Option<DateTime<Utc>>,
    pub contact: Option<ContactLink>,
    pub from_number: Option<PhoneNumber>,
    /// Calls placed by this user id.
    pub placed_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsGroup {
    /// UTC calendar days of `started_at`, key `YYYY-MM-DD`.
    Day,
    /// The caller ID used, key E.164.
    FromNumber,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContactActivity {
    pub call_count: u64,
    pub last_called_at: Option<DateTime<Utc>>,
}

/// Queries over the call history. Stores answer them with indexes and aggregates: nothing here
/// may load every call into memory.
#[async_trait]
pub trait CallHistory: Send + Sync {
    /// Newest first (`started_at`, then id, descending), `limit` at most, strictly after the
    /// `before` cursor: a call created after the first page never shifts later pages.
    async fn search_calls(
        &self,
        filter: &CallFilter,
        limit: usize,
        before: Option<(DateTime<Utc>, CallId)>,
    ) -> Result<Vec<Call>, StoreError>;
    async fn tally(&self, filter: &CallFilter) -> Result<domain::Tally, StoreError>;
    /// One tally per group key, keys ascending; groups without calls are absent.
    async fn tally_by(
        &self,
        filter: &CallFilter,
        group: StatsGroup,
    ) -> Result<Vec<(String, domain::Tally)>, StoreError>;
    /// Call count and latest call per contact id.
    async fn contact_activity(
        &self,
        contacts: &[ContactLink],
    ) -> Result<std::collections::HashMap<String, ContactActivity>, StoreError>;
}

/// The team's settings (not secrets). An unset store answers `Settings::default()`.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn load_settings(&self) -> Result<domain::settings::Settings, StoreError>;
    async fn save_settings(&self, settings: &domain::settings::Settings) -> Result<(), StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    /// The deployment manages this secret (e.g. Secrets Manager); the app may not change it.
    #[error("{0} is managed by the deployment and cannot be changed here")]
    ReadOnly(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where secrets live: the embedded store locally; in AWS, Secrets Manager / SSM (read through
/// the function's environment, so this app cannot change them).
#[async_trait]
pub trait SecretStore: Send + Sync {
    async fn secret(&self, name: &'static str) -> Result<Option<Secret>, StoreError>;
    /// `None` removes the secret.
    async fn put_secret(
        &self,
        name: &'static str,
        value: Option<&Secret>,
    ) -> Result<(), SecretError>;
}

pub const SECRET_TELNYX_API_KEY: &str = "telnyx_api_key";

/// A number the Telnyx account owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedNumber {
    pub phone_number: String,
    pub status: Option<String>,
    pub connection_id: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableNumber {
    pub phone_number: String,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub monthly_cost: Option<String>,
    pub upfront_cost: Option<String>,
    pub currency: Option<String>,
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberSearch {
    /// ISO 3166 alpha-2.
    pub country: String,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberOrder {
    pub id: String,
    pub status: String,
    pub phone_numbers: Vec<String>,
}

/// The account's phone numbers at Telnyx.
#[async_trait]
pub trait NumberInventory: Send + Sync {
    async fn owned_numbers(&self) -> Result<Vec<OwnedNumber>, TelnyxError>;
    async fn available_numbers(
        &self,
        search: &NumberSearch,
    ) -> Result<Vec<AvailableNumber>, TelnyxError>;
    async fn order_numbers(&self, numbers: &[PhoneNumber]) -> Result<NumberOrder, TelnyxError>;
}

/// Whether the account may use a number as caller ID (dial refuses the others).
#[async_trait]
pub trait OwnedNumbers: Send + Sync {
    async fn owns(&self, number: &PhoneNumber) -> Result<bool, TelnyxError>;
    /// ISO codes of the countries the account's numbers belong to: where the team calls.
    async fn countries(&self) -> Result<std::collections::BTreeSet<String>, TelnyxError>;
}

/// What became of one test webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    pub url: String,
    /// The HTTP status our endpoint answered (200 = verified and queued, 401 = signature
    /// refused), `None` if it was not reached.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Asks the provider to send a signed test event to a URL and reports its deliveries.
#[async_trait]
pub trait WebhookProbe: Send + Sync {
    /// `Ok(None)` when the provider cannot send test events (Telnyx itself has no such API).
    async fn send_test_event(&self, url: &str) -> Result<Option<String>, TelnyxError>;
    /// Delivery attempts of the test event so far, oldest first.
    async fn deliveries(&self, event_id: &str) -> Result<Vec<WebhookDelivery>, TelnyxError>;
}

/// What consumes queued events (the processor).
#[async_trait]
pub trait MessageHandler: Send + Sync + 'static {
    /// `Err` asks for redelivery later.
    async fn handle(&self, event: &QueuedEvent) -> Result<(), String>;
}
