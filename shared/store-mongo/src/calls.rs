//! Calls, the raw event log and the command log.

use crate::store::{
    COMMANDS, EVENTS, MongoStore, classify, collect, decode_call, decode_event, encode_call,
    encode_event, micros, update_versioned,
};
use async_trait::async_trait;
use domain::{Call, CallId};
use mongodb::bson::doc;
use mongodb::bson::oid::ObjectId;
use ports::{
    CallChange, CallQuery, CallStore, CommandLog, CommandRecord, EventLog, EventRecord, Recorded,
    StoreError,
};

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
