//! Calls, the raw event log and the command log.

use crate::store::{
    COMMANDS, EVENTS, MongoStore, classify, collect, contention_pause, decode_call, decode_event,
    encode_call, encode_event, micros, update_versioned,
};
use async_trait::async_trait;
use domain::{Call, CallId};
use mongodb::bson::doc;
use mongodb::bson::oid::ObjectId;
use ports::{
    CallChange, CallQuery, CallStore, CommandLog, CommandRecord, EventLog, EventRecord, Recorded,
    StoreError,
};

/// One document per user whose dials take turns (see `insert_within_limit`).
const DIAL_LOCKS: &str = "dial_locks";
/// How long a dial lease lasts if its holder never releases it (a crashed instance).
const DIAL_LEASE_MS: i64 = 10_000;
/// Attempts at a held lease before giving up (each after a randomised pause).
const MAX_LEASE_ATTEMPTS: u32 = 200;

#[async_trait]
impl CallStore for MongoStore {
    async fn insert(&self, call: &Call) -> Result<(), StoreError> {
        self.calls()
            .await?
            .insert_one(encode_call(call, 1)?)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Dials of one user take turns through a lease in `dial_locks` (one document per user,
    /// taken by an upsert that only matches an expired lease, so a second taker hits the
    /// duplicate `_id`). Under it, the count of the user's live calls and the insert cannot be
    /// interleaved with another dial of the same user. A lease left by a crashed instance
    /// expires after [`DIAL_LEASE_MS`].
    async fn insert_within_limit(
        &self,
        call: &Call,
        max_active: u32,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let Some(user) = call.placed_by.clone() else {
            self.insert(call).await?;
            return Ok(true);
        };
        let locks = self.collection(DIAL_LOCKS).await?;
        let holder = ObjectId::new().to_hex();
        let mut attempt = 0;
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let taken = locks
                .update_one(
                    doc! { "_id": &user, "until_ms": { "$lt": now } },
                    doc! { "$set": { "holder": &holder, "until_ms": now + DIAL_LEASE_MS } },
                )
                .upsert(true)
                .await
                .map_err(classify);
            match taken {
                Ok(_) => break,
                Err(StoreError::Duplicate(_)) if attempt < MAX_LEASE_ATTEMPTS => {
                    contention_pause(attempt.min(8)).await;
                    attempt += 1;
                }
                Err(StoreError::Duplicate(e)) => {
                    return Err(StoreError::Unavailable(format!(
                        "dial lease for {user} not taken after {MAX_LEASE_ATTEMPTS} attempts: {e}"
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        let outcome = async {
            let active = self
                .calls()
                .await?
                .count_documents(doc! {
                    "facts.placed_by": &user,
                    "facts.class": "active",
                    "started_at_us": { "$gte": micros(since) },
                })
                .await
                .map_err(classify)?;
            if active >= u64::from(max_active) {
                return Ok(false);
            }
            self.insert(call).await?;
            Ok(true)
        }
        .await;
        // Released whatever happened; if this fails the lease simply expires.
        let _ = locks
            .delete_one(doc! { "_id": &user, "holder": &holder })
            .await;
        outcome
    }

    async fn get(&self, id: CallId) -> Result<Option<Call>, StoreError> {
        let found = self
            .calls()
            .await?
            .find_one(doc! { "_id": id.to_string() })
            .await
            .map_err(classify)?;
        found.as_ref().map(decode_call).transpose()
    }

    async fn find_by_call_control_id(
        &self,
        call_control_id: &str,
    ) -> Result<Option<Call>, StoreError> {
        let found = self
            .calls()
            .await?
            .find_one(doc! { "call_control_id": call_control_id })
            .await
            .map_err(classify)?;
        found.as_ref().map(decode_call).transpose()
    }

    async fn update(&self, id: CallId, change: CallChange<'_>) -> Result<Option<Call>, StoreError> {
        let key = id.to_string();
        update_versioned(
            &self.calls().await?,
            &key,
            "call",
            decode_call,
            encode_call,
            change,
        )
        .await
    }

    async fn list(&self, query: &CallQuery) -> Result<Vec<Call>, StoreError> {
        let limit = query.limit.clamp(1, 500) as i64;
        let filter = match query.before {
            Some((t, id)) => {
                let t = micros(t);
                doc! { "$or": [
                    { "started_at_us": { "$lt": t } },
                    { "started_at_us": t, "id": { "$lt": id.to_string() } },
                ] }
            }
            None => doc! {},
        };
        let cursor = self
            .calls()
            .await?
            .find(filter)
            .sort(doc! { "started_at_us": -1, "id": -1 })
            .limit(limit)
            .await
            .map_err(classify)?;
        collect(cursor).await?.iter().map(decode_call).collect()
    }
}

#[async_trait]
impl EventLog for MongoStore {
    async fn record(&self, event: &EventRecord) -> Result<Recorded, StoreError> {
        let events = self.collection(EVENTS).await?;
        match events
            .insert_one(encode_event(event))
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(Recorded::New),
            Err(StoreError::Duplicate(_)) => {
                events
                    .update_one(
                        doc! { "_id": &event.event_id },
                        doc! { "$inc": { "deliveries": 1_i64 } },
                    )
                    .await
                    .map_err(classify)?;
                Ok(Recorded::Duplicate)
            }
            Err(other) => Err(other),
        }
    }

    async fn events_for_call(&self, id: CallId) -> Result<Vec<EventRecord>, StoreError> {
        let cursor = self
            .collection(EVENTS)
            .await?
            .find(doc! { "call_id": id.to_string() })
            .sort(doc! { "occurred_at_us": 1, "_id": 1 })
            .await
            .map_err(classify)?;
        collect(cursor).await?.iter().map(decode_event).collect()
    }
}

#[async_trait]
impl CommandLog for MongoStore {
    async fn record_command(&self, command: &CommandRecord) -> Result<(), StoreError> {
        let body =
            mongodb::bson::to_document(command).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.collection(COMMANDS)
            .await?
            .insert_one(doc! {
                "_id": ObjectId::new(),
                "call_id": command.call_id.to_string(),
                "at_us": micros(command.at),
                "command": body,
            })
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn commands_for_call(&self, id: CallId) -> Result<Vec<CommandRecord>, StoreError> {
        let cursor = self
            .collection(COMMANDS)
            .await?
            .find(doc! { "call_id": id.to_string() })
            .sort(doc! { "at_us": 1, "_id": 1 })
            .await
            .map_err(classify)?;
        collect(cursor)
            .await?
            .iter()
            .map(|d| {
                let body = d
                    .get_document("command")
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                mongodb::bson::from_document(body.clone())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }
}
