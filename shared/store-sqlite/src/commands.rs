//! The command log in the embedded store: what we asked Telnyx to do, for each call's timeline.

use crate::store::SqliteStore;
use async_trait::async_trait;
use domain::CallId;
use ports::{CommandLog, CommandRecord, StoreError};
use rusqlite::params;

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl CommandLog for SqliteStore {
    async fn record_command(&self, command: &CommandRecord) -> Result<(), StoreError> {
        let doc = serde_json::to_string(command).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let call_id = command.call_id.to_string();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO commands (call_id, doc) VALUES (?1, ?2)",
                params![call_id, doc],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn commands_for_call(&self, id: CallId) -> Result<Vec<CommandRecord>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT doc FROM commands WHERE call_id = ?1 ORDER BY seq")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([&id], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                let doc = row.map_err(unavailable)?;
                out.push(
                    serde_json::from_str(&doc).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
            }
            Ok(out)
        })
        .await
    }
}
