//! The store value and what every part of it shares: the client, the collections and their
//! indexes, how calls and events are written, and the compare-and-swap update loop.

use chrono::{DateTime, Utc};
use domain::{Call, CallFacts};
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, IndexModel};
use ports::{EventRecord, StoreError};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) const CALLS: &str = "calls";
pub(crate) const EVENTS: &str = "events";
pub(crate) const COMMANDS: &str = "commands";
/// One document, `{_id: "indexes", version}`: which index set this database already has.
const META: &str = "meta";
/// Bump when `ensure_indexes` changes, so the next cold start of each function creates the new
/// set once.
const INDEX_VERSION: i64 = 1;
const DUPLICATE_KEY: i32 = 11000;
/// Optimistic retries before `update` gives up. Each lost round means another writer of the
/// same call succeeded, so this bounds the wait under a burst of events for one call without
/// ever spinning forever.
const MAX_UPDATE_ATTEMPTS: u32 = 64;

/// Connection settings sized for Lambda: a few sockets per warm container, none kept when idle,
/// and an outage reported within seconds (the processor retries through SQS; the API answers 503)
/// instead of hanging until the function times out.
#[derive(Debug, Clone)]
pub struct MongoOptions {
    pub max_pool_size: u32,
    pub min_pool_size: u32,
    pub server_selection_timeout: Duration,
    pub connect_timeout: Duration,
    pub app_name: Option<String>,
}

impl Default for MongoOptions {
    fn default() -> Self {
        Self {
            max_pool_size: 4,
            min_pool_size: 0,
            server_selection_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(2),
            app_name: Some("dialer".into()),
        }
    }
}

/// Cheap to clone: clones share the driver's connection pool. Build one per process.
#[derive(Clone)]
pub struct MongoStore {
    pub(crate) db: mongodb::Database,
    /// Set once the indexes are known to exist ([`MongoStore::ready`]); shared by clones.
    indexed: Arc<AtomicBool>,
}

impl MongoStore {
    /// Builds the client with [`MongoOptions::default`]. Does not wait for the server (only a
    /// `mongodb+srv://` URI's SRV lookup happens here), so a cold start is not delayed and an
    /// outage surfaces on the first operation as `Unavailable`. Indexes too wait for the first
    /// operation ([`MongoStore::ready`]).
    pub async fn connect(uri: &str, database: &str) -> Result<Self, StoreError> {
        Self::connect_with(uri, database, MongoOptions::default()).await
    }

    pub async fn connect_with(
        uri: &str,
        database: &str,
        options: MongoOptions,
    ) -> Result<Self, StoreError> {
        let mut client_options = ClientOptions::parse(uri).await.map_err(classify)?;
        // Settings given in the URI (`maxPoolSize=…`) win: operators tune them without a build.
        let o = &mut client_options;
        o.max_pool_size = o.max_pool_size.or(Some(options.max_pool_size));
        o.min_pool_size = o.min_pool_size.or(Some(options.min_pool_size));
        o.server_selection_timeout = o
            .server_selection_timeout
            .or(Some(options.server_selection_timeout));
        o.connect_timeout = o.connect_timeout.or(Some(options.connect_timeout));
        o.app_name = o.app_name.take().or(options.app_name);
        let client = Client::with_options(client_options).map_err(classify)?;
        Ok(Self::from_client(&client, database))
    }

    /// Shares an existing client (and its pool) with other users of the same process.
    pub fn from_client(client: &Client, database: &str) -> Self {
        Self {
            db: client.database(database),
            indexed: Default::default(),
        }
    }

    /// A collection, once the indexes exist: every operation goes through here, so no write
    /// can precede the uniqueness constraints (call_control_id, e-mail, phone) it relies on.
    pub(crate) async fn collection(&self, name: &str) -> Result<Collection<Document>, StoreError> {
        self.ready().await?;
        Ok(self.db.collection(name))
    }

    pub(crate) async fn calls(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(CALLS).await
    }

    /// Makes sure the indexes exist, once per process: the first operation reads the `meta`
    /// marker (one round trip) and creates the indexes only when it names an older set, i.e.
    /// once per database and index version, not on every cold start of every function. Kept off
    /// `connect` so a cold start does no I/O. Concurrent first operations each check (the work
    /// is idempotent) rather than queue behind one another: during an outage every one of them
    /// fails after one server-selection timeout, and the next operation tries again.
    pub async fn ready(&self) -> Result<(), StoreError> {
        if self.indexed.load(Ordering::Acquire) {
            return Ok(());
        }
        let marker = self
            .db
            .collection::<Document>(META)
            .find_one(doc! { "_id": "indexes" })
            .await
            .map_err(classify)?;
        let version = marker.as_ref().and_then(|d| get_int(d, "version").ok());
        if version.is_none_or(|v| v < INDEX_VERSION) {
            self.ensure_indexes().await?;
        }
        self.indexed.store(true, Ordering::Release);
        Ok(())
    }

    /// Creates the indexes (idempotent: the server ignores an identical existing index) and
    /// records `INDEX_VERSION` in the marker [`MongoStore::ready`] reads. Uses the collections
    /// directly: it runs inside `ready`.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.ensure_data_indexes().await?;
        self.ensure_auth_indexes().await?;
        let calls = self.db.collection::<Document>(CALLS);
        let unique_sparse = IndexOptions::builder().unique(true).sparse(true).build();
        calls
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "call_control_id": 1 })
                    .options(unique_sparse)
                    .build(),
            )
            .await
            .map_err(classify)?;
        calls
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "started_at_us": -1, "id": -1 })
                    .build(),
            )
            .await
            .map_err(classify)?;
        self.db
            .collection::<Document>(EVENTS)
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "call_id": 1, "occurred_at_us": 1 })
                    .build(),
            )
            .await
            .map_err(classify)?;
        self.db
            .collection::<Document>(COMMANDS)
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "call_id": 1, "at_us": 1 })
                    .build(),
            )
            .await
            .map_err(classify)?;
        self.db
            .collection::<Document>(META)
            .update_one(
                doc! { "_id": "indexes" },
                doc! { "$max": { "version": INDEX_VERSION } },
            )
            .upsert(true)
            .await
            .map_err(classify)?;
        Ok(())
    }
}

pub(crate) async fn collect(
    mut cursor: mongodb::Cursor<Document>,
) -> Result<Vec<Document>, StoreError> {
    let mut out = Vec::new();
    while cursor.advance().await.map_err(classify)? {
        out.push(
            cursor
                .deserialize_current()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
    }
    Ok(out)
}

pub(crate) fn classify(e: mongodb::error::Error) -> StoreError {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => {
            StoreError::Duplicate(w.message.clone())
        }
        ErrorKind::Command(c) if c.code == DUPLICATE_KEY => {
            StoreError::Duplicate(c.message.clone())
        }
        ErrorKind::BsonDeserialization(_) | ErrorKind::BsonSerialization(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt(format!("time {us}")))
}

/// Integers may come back as int32 from servers that narrow small values.
pub(crate) fn get_int(doc: &Document, key: &str) -> Result<i64, StoreError> {
    match doc.get(key) {
        Some(Bson::Int64(v)) => Ok(*v),
        Some(Bson::Int32(v)) => Ok(i64::from(*v)),
        other => Err(StoreError::Corrupt(format!("{key}: {other:?}"))),
    }
}

fn get_str(doc: &Document, key: &str) -> Result<Option<String>, StoreError> {
    match doc.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s.clone())),
        other => Err(StoreError::Corrupt(format!("{key}: {other:?}"))),
    }
}

pub(crate) fn encode_call(call: &Call, version: i64) -> Result<Document, StoreError> {
    let body = mongodb::bson::to_document(call).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id = call.id.to_string();
    let mut d = doc! {
        "_id": &id,
        "id": &id,
        "version": version,
        "started_at_us": micros(call.started_at),
    };
    // Absent rather than null, so the sparse unique index ignores calls not yet dialled.
    if let Some(leg) = &call.telnyx {
        d.insert("call_control_id", leg.call_control_id.clone());
    }
    d.insert("call", body);
    // What history filters and statistics query (`mongo_data`), derived once per write.
    d.insert("facts", call_facts(call));
    Ok(d)
}

pub(crate) fn decode_call(d: &Document) -> Result<Call, StoreError> {
    let body = d
        .get_document("call")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    mongodb::bson::from_document(body.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn encode_event(e: &EventRecord) -> Document {
    let mut d = doc! {
        "_id": &e.event_id,
        "event_type": &e.event_type,
        "occurred_at_us": micros(e.occurred_at),
        "received_at_us": micros(e.received_at),
        "attempt": i64::from(e.attempt),
        "deliveries": 1_i64,
        "raw": &e.raw,
    };
    if let Some(id) = e.call_id {
        d.insert("call_id", id.to_string());
    }
    if let Some(ccid) = &e.call_control_id {
        d.insert("call_control_id", ccid.clone());
    }
    d
}

pub(crate) fn decode_event(d: &Document) -> Result<EventRecord, StoreError> {
    let count = |key: &str| -> Result<u32, StoreError> {
        u32::try_from(get_int(d, key)?).map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))
    };
    Ok(EventRecord {
        event_id: get_str(d, "_id")?
            .ok_or_else(|| StoreError::Corrupt("event without _id".into()))?,
        event_type: get_str(d, "event_type")?.unwrap_or_default(),
        call_id: get_str(d, "call_id")?
            .map(|s| {
                s.parse()
                    .map_err(|e| StoreError::Corrupt(format!("call_id {s}: {e}")))
            })
            .transpose()?,
        call_control_id: get_str(d, "call_control_id")?,
        occurred_at: from_micros(get_int(d, "occurred_at_us")?)?,
        received_at: from_micros(get_int(d, "received_at_us")?)?,
        attempt: count("attempt")?,
        deliveries: count("deliveries")?,
        raw: get_str(d, "raw")?.unwrap_or_default(),
    })
}

/// Randomised backoff so writers that collided do not collide again in lockstep.
pub(crate) async fn contention_pause(attempt: u32) {
    let cap_ms = 1u64 << attempt.min(5);
    let jitter = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        % (cap_ms * 1000 + 1);
    tokio::time::sleep(Duration::from_micros(jitter)).await;
}

/// Applies a pure `change` to the versioned document `key` of `collection`. The change is an
/// arbitrary closure, so it cannot become an atomic update operator: read, apply, and write
/// back only if nobody wrote in between (compare-and-swap on `version`), else start over from
/// the newer document. `None` when there is no such document.
pub(crate) async fn update_versioned<T: Clone + PartialEq>(
    collection: &Collection<Document>,
    key: &str,
    what: &str,
    decode: impl Fn(&Document) -> Result<T, StoreError>,
    encode: impl Fn(&T, i64) -> Result<Document, StoreError>,
    change: &(dyn Fn(&mut T) + Send + Sync),
) -> Result<Option<T>, StoreError> {
    for attempt in 0..MAX_UPDATE_ATTEMPTS {
        let Some(current) = collection
            .find_one(doc! { "_id": key })
            .await
            .map_err(classify)?
        else {
            return Ok(None);
        };
        let version = get_int(&current, "version")?;
        let before = decode(&current)?;
        let mut value = before.clone();
        change(&mut value);
        if value == before {
            // Nothing changed (a duplicate event, say): the read was a consistent snapshot.
            return Ok(Some(value));
        }
        let written = collection
            .replace_one(
                doc! { "_id": key, "version": version },
                encode(&value, version + 1)?,
            )
            .await
            .map_err(classify)?;
        if written.matched_count == 1 {
            return Ok(Some(value));
        }
        contention_pause(attempt).await;
    }
    Err(StoreError::Unavailable(format!(
        "{what} {key}: still contended after {MAX_UPDATE_ATTEMPTS} attempts"
    )))
}

pub(crate) fn call_facts(call: &Call) -> Document {
    let f = CallFacts::of(call);
    doc! {
        "class": f.class.as_str(),
        "outcome": f.outcome.map(|o| o.as_str()),
        "from": call.from.as_str(),
        "to": call.to.as_str(),
        "contact_id": call.contact_id.clone(),
        "digits": format!("{} {}", call.to.digits(), call.from.digits()),
        "day": call.started_at.format("%Y-%m-%d").to_string(),
        "talk_secs": f.talk_secs.unwrap_or(0),
        "ring_secs": f.ring_secs.unwrap_or(0),
        "rang": i64::from(f.ring_secs.is_some()),
        "placed_by": call.placed_by.clone(),
    }
}
