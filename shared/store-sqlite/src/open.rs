//! Opening the file: its pragmas and every part's schema.

use crate::store::{SqliteStore, unavailable};
use crate::{auth, data};
use ports::StoreError;
use rusqlite::Connection;
use std::path::Path;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS calls (
    id              TEXT PRIMARY KEY,
    call_control_id TEXT UNIQUE,
    started_at_us   INTEGER NOT NULL,
    doc             TEXT NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_newest_first ON calls (started_at_us DESC, id DESC);
CREATE TABLE IF NOT EXISTS events (
    event_id        TEXT PRIMARY KEY,
    event_type      TEXT NOT NULL,
    call_id         TEXT,
    call_control_id TEXT,
    occurred_at_us  INTEGER NOT NULL,
    received_at_us  INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,
    deliveries      INTEGER NOT NULL,
    raw             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_call ON events (call_id, occurred_at_us, event_id);
CREATE TABLE IF NOT EXISTS commands (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id         TEXT NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_by_call ON commands (call_id, seq);
"#;

impl SqliteStore {
    /// Opens (creating if needed) the database file, and its directory.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(unavailable)?;
        }
        Self::with_connection(Connection::open(path).map_err(unavailable)?)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn with_connection(conn: Connection) -> Result<Self, StoreError> {
        // WAL lets readers proceed during writes; NORMAL sync is durable across process crashes,
        // which is what a local stack needs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        // Room for every statement the store caches (rusqlite keeps 16 by default).
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        data::migrate(&conn)?;
        auth::migrate(&conn)?;
        Ok(Self::from_connection(conn))
    }
}
