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

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(not(unix))]
fn private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, and its directory. The file holds the
    /// session signing key and the Telnyx API key, so it is made owner-only (0600) and its
    /// folder 0700 before SQLite writes a byte; SQLite gives its WAL and SHM files the same mode
    /// as the database. An existing file or folder left open by an older version is tightened.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(|e| unavailable(format!("{}: {e}", dir.display())))?;
        }
        private_file(path).map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_file_is_owner_only_and_its_folder_too() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let path = dir.join("dialer.sqlite3");
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        for extra in ["dialer.sqlite3-wal", "dialer.sqlite3-shm"] {
            let p = dir.join(extra);
            if p.exists() {
                assert_eq!(mode(&p) & 0o077, 0, "{extra}");
            }
        }
    }

    #[test]
    fn an_existing_open_file_and_folder_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("dialer.sqlite3");
        drop(SqliteStore::open(&path).unwrap());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        drop(store);
    }
}
