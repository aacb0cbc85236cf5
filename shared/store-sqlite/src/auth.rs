//! Users, the audit trail, rate-limit counters and revoked sessions in the embedded store.

use crate::store::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::User;
use ports::StoreError;
use ports::auth::{
    AuditEntry, AuditLog, RateDecision, RateLimiter, Revocations, UserChange, UserStore,
};
use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    id    TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    doc   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    doc   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_limits (
    key       TEXT NOT NULL,
    window_id INTEGER NOT NULL,
    hits      INTEGER NOT NULL,
    PRIMARY KEY (key, window_id)
);
CREATE TABLE IF NOT EXISTS revoked_sessions (
    token_id TEXT PRIMARY KEY,
    until_s  INTEGER NOT NULL
);
"#;

pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA).map_err(unavailable)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn decode(doc: &str) -> Result<User, StoreError> {
    serde_json::from_str(doc).map_err(corrupt)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let doc = serde_json::to_string(user).map_err(corrupt)?;
        let (id, email) = (user.id.clone(), user.email.clone());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO users (id, email, doc) VALUES (?1, ?2, ?3)",
                params![id, email, doc],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Duplicate(format!("user {email}"))
                }
                other => unavailable(other),
            })?;
            Ok(())
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = email.to_string();
        self.run(move |conn| {
            let doc: Option<String> = conn
                .query_row("SELECT doc FROM users WHERE email = ?1", [&email], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(unavailable)?;
            doc.as_deref().map(decode).transpose()
        })
        .await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let doc: Option<String> = conn
                .query_row("SELECT doc FROM users WHERE id = ?1", [&id], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            doc.as_deref().map(decode).transpose()
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT doc FROM users ORDER BY email")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(decode(&row.map_err(unavailable)?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn update_user(
        &self,
        id: &str,
        change: UserChange<'_>,
    ) -> Result<Option<User>, StoreError> {
        // Borrowed closure: the read-modify-write runs here, holding the one connection.
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        let tx = guard.transaction().map_err(unavailable)?;
        let doc: Option<String> = tx
            .query_row("SELECT doc FROM users WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(unavailable)?;
        let Some(doc) = doc else { return Ok(None) };
        let mut user = decode(&doc)?;
        change(&mut user);
        tx.execute(
            "UPDATE users SET doc = ?2, email = ?3 WHERE id = ?1",
            params![
                id,
                serde_json::to_string(&user).map_err(corrupt)?,
                user.email
            ],
        )
        .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Some(user))
    }
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let doc = serde_json::to_string(entry).map_err(corrupt)?;
        self.run(move |conn| {
            conn.execute("INSERT INTO audit (doc) VALUES (?1)", [doc])
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = limit.clamp(1, 1000) as i64;
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT doc FROM audit ORDER BY seq DESC LIMIT ?1")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([limit], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(serde_json::from_str(&row.map_err(unavailable)?).map_err(corrupt)?);
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl RateLimiter for SqliteStore {
    async fn hit(
        &self,
        key: &str,
        window_secs: u64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<RateDecision, StoreError> {
        let window_secs = window_secs.max(1) as i64;
        let window_id = now.timestamp().div_euclid(window_secs);
        let key = key.to_string();
        let retry_after = ((window_id + 1) * window_secs - now.timestamp()).max(1) as u64;
        self.run(move |conn| {
            let hits: i64 = conn
                .query_row(
                    "INSERT INTO rate_limits (key, window_id, hits) VALUES (?1, ?2, 1)
                     ON CONFLICT (key, window_id) DO UPDATE SET hits = hits + 1
                     RETURNING hits",
                    params![key, window_id],
                    |r| r.get(0),
                )
                .map_err(unavailable)?;
            if hits == 1 {
                // A new window: forget the old ones for this key.
                conn.execute(
                    "DELETE FROM rate_limits WHERE key = ?1 AND window_id < ?2",
                    params![key, window_id],
                )
                .map_err(unavailable)?;
            }
            Ok(if hits > limit as i64 {
                RateDecision::Limited {
                    retry_after_secs: retry_after,
                }
            } else {
                RateDecision::Allowed
            })
        })
        .await
    }

    async fn release(
        &self,
        key: &str,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let window_id = now.timestamp().div_euclid(window_secs.max(1) as i64);
        let key = key.to_string();
        self.run(move |conn| {
            conn.execute(
                "UPDATE rate_limits SET hits = hits - 1
                 WHERE key = ?1 AND window_id = ?2 AND hits > 0",
                params![key, window_id],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Revocations for SqliteStore {
    async fn revoke(&self, token_id: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let (id, until) = (token_id.to_string(), until.timestamp());
        self.run(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO revoked_sessions (token_id, until_s) VALUES (?1, ?2)",
                params![id, until],
            )
            .map_err(unavailable)?;
            conn.execute(
                "DELETE FROM revoked_sessions WHERE until_s < strftime('%s','now')",
                [],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn is_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        let id = token_id.to_string();
        self.run(move |conn| {
            conn.query_row(
                "SELECT 1 FROM revoked_sessions WHERE token_id = ?1",
                [&id],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(unavailable)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::user::Role;

    fn user(id: &str, email: &str) -> User {
        User {
            id: id.into(),
            email: email.into(),
            name: "Ana".into(),
            role: Role::Agent,
            disabled: false,
            password_hash: "$argon2id$x".into(),
            created_at: Utc::now(),
            sessions_valid_after: None,
            agent: Default::default(),
            webrtc: None,
        }
    }

    #[tokio::test]
    async fn users_are_unique_by_email_and_updatable() {
        let store = SqliteStore::in_memory().unwrap();
        store
            .insert_user(&user("u1", "ana@example.com"))
            .await
            .unwrap();
        assert!(matches!(
            store.insert_user(&user("u2", "ana@example.com")).await,
            Err(StoreError::Duplicate(_))
        ));
        let updated = store
            .update_user("u1", &|u: &mut User| u.role = Role::Admin)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.role, Role::Admin);
        assert_eq!(
            store
                .user_by_email("ana@example.com")
                .await
                .unwrap()
                .unwrap()
                .role,
            Role::Admin
        );
        assert!(store.user_by_id("nobody").await.unwrap().is_none());
        assert!(
            store
                .update_user("nobody", &|_: &mut User| {})
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn rate_limits_count_per_key_and_window() {
        let store = SqliteStore::in_memory().unwrap();
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(
                store.hit("ip:1", 60, 3, t).await.unwrap(),
                RateDecision::Allowed
            );
        }
        assert_eq!(
            store
                .hit("ip:1", 60, 3, t + chrono::Duration::seconds(20))
                .await
                .unwrap(),
            RateDecision::Limited {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            store.hit("ip:2", 60, 3, t).await.unwrap(),
            RateDecision::Allowed
        );
        assert_eq!(
            store
                .hit("ip:1", 60, 3, t + chrono::Duration::seconds(60))
                .await
                .unwrap(),
            RateDecision::Allowed,
            "a new window starts from zero"
        );
    }

    #[tokio::test]
    async fn revoked_sessions_and_audit_entries() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(!store.is_revoked("t1").await.unwrap());
        store
            .revoke("t1", Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap();
        assert!(store.is_revoked("t1").await.unwrap());
        for action in ["sign_in", "dial_refused"] {
            store
                .record_audit(&AuditEntry {
                    at: Utc::now(),
                    actor: Some("u1".into()),
                    action: action.into(),
                    detail: String::new(),
                    ip: None,
                })
                .await
                .unwrap();
        }
        let entries = store.audit_entries(10).await.unwrap();
        assert_eq!(
            entries
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            ["dial_refused", "sign_in"]
        );
    }
}
