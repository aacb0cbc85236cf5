//! The store value and what every part of it shares: the one connection, the worker that runs
//! statements off the async threads, and how calls and times are written.

use chrono::{DateTime, Utc};
use domain::Call;
use ports::StoreError;
use rusqlite::Connection;
use std::sync::{Arc, Mutex};

/// Cheap to clone; all clones share one connection. SQLite serialises writers anyway, and one
/// connection keeps read-modify-write updates atomic without retry loops.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) conn: Arc<Mutex<Connection>>,
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt(format!("time {us}")))
}

pub(crate) fn decode_call(doc: &str) -> Result<Call, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn encode_call(call: &Call) -> Result<String, StoreError> {
    serde_json::to_string(call).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqliteStore {
    pub(crate) fn from_connection(conn: Connection) -> Self {
        Self {
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }
}
