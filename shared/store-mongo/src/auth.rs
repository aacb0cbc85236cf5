//! MongoDB side of the sign-in ports: users, the audit trail, rate-limit counters and revoked
//! sessions, held to the same contract tests as the embedded store (`tests/auth_contract.rs`).
//!
//! # Schema
//!
//! `users` — one document per user:
//! `{_id: user id, email, version (int64, +1 on every write), user: <serde form of
//! domain::user::User>}`. Index: `{email: 1}` unique (the e-mail arrives normalised by the
//! caller). Updates are a compare-and-swap on `version`, like calls.
//!
//! `audit` — `{_id: ObjectId, at_us (µs since the epoch), entry: <serde form of AuditEntry>}`.
//! Index: `{at_us: -1}`. Newest first by `at_us`; equal times keep their insertion order through
//! the ObjectId (made by the writer: its time and counter grow within a process).
//!
//! `rate_limits` — one document per (key, window size, window):
//! `{_id: "<window_secs>:<window>:<key>", key, window_secs, window, hits, expires_at (date)}`,
//! counted by one atomic `$inc` upsert. Index: `{expires_at: 1}` TTL (a minute after the window's
//! end, for clock skew between instances), so old windows disappear by themselves.
//!
//! `revoked_sessions` — `{_id: token id, until (date)}`. Index: `{until: 1}` TTL. A session is
//! revoked while its document exists, whether or not the TTL monitor (which runs about once a
//! minute) has caught up with `until` yet: the token itself expires at `until` anyway.

use crate::store::{
    MongoStore, classify, collect, contention_pause, get_int, micros, update_versioned,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::User;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Document, doc};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, IndexModel};
use ports::StoreError;
use ports::auth::{
    AuditEntry, AuditLog, RateDecision, RateLimiter, Revocations, UserChange, UserStore,
};
use std::time::Duration;

const USERS: &str = "users";
const AUDIT: &str = "audit";
const RATE_LIMITS: &str = "rate_limits";
const REVOKED_SESSIONS: &str = "revoked_sessions";
/// Rounds of the rate-limit upsert: two first hits of a window may race on the insert, and the
/// loser of that race simply counts again (real servers usually retry it themselves).
const MAX_HIT_ATTEMPTS: u32 = 5;
/// How long a finished window's counter outlives its end (instances' clocks differ a little).
const WINDOW_GRACE: Duration = Duration::from_secs(60);
/// Most audit entries one read returns.
const MAX_AUDIT_ENTRIES: usize = 1000;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn date(t: DateTime<Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(t.timestamp_millis())
}

fn encode_user(user: &User, version: i64) -> Result<Document, StoreError> {
    Ok(doc! {
        "_id": &user.id,
        "email": &user.email,
        "version": version,
        "user": mongodb::bson::to_document(user).map_err(corrupt)?,
    })
}

fn decode_user(d: &Document) -> Result<User, StoreError> {
    let body = d.get_document("user").map_err(corrupt)?;
    mongodb::bson::from_document(body.clone()).map_err(corrupt)
}

impl MongoStore {
    async fn users(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(USERS).await
    }

    async fn audit(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(AUDIT).await
    }

    async fn rate_limits(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(RATE_LIMITS).await
    }

    async fn revoked_sessions(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(REVOKED_SESSIONS).await
    }

    /// Indexes for sign-in; part of `ensure_indexes` (idempotent like the rest).
    pub async fn ensure_auth_indexes(&self) -> Result<(), StoreError> {
        self.db
            .collection::<Document>(USERS)
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "email": 1 })
                    .options(IndexOptions::builder().unique(true).build())
                    .build(),
            )
            .await
            .map_err(classify)?;
        self.db
            .collection::<Document>(AUDIT)
            .create_index(IndexModel::builder().keys(doc! { "at_us": -1 }).build())
            .await
            .map_err(classify)?;
        for (collection, field, after) in [
            (
                self.db.collection::<Document>(RATE_LIMITS),
                "expires_at",
                WINDOW_GRACE,
            ),
            (
                self.db.collection::<Document>(REVOKED_SESSIONS),
                "until",
                Duration::ZERO,
            ),
        ] {
            collection
                .create_index(
                    IndexModel::builder()
                        .keys(doc! { field: 1 })
                        .options(IndexOptions::builder().expire_after(after).build())
                        .build(),
                )
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn one_user(&self, filter: Document) -> Result<Option<User>, StoreError> {
        let found = self
            .users()
            .await?
            .find_one(filter)
            .await
            .map_err(classify)?;
        found.as_ref().map(decode_user).transpose()
    }
}

#[async_trait]
impl UserStore for MongoStore {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        match self.users().await?.insert_one(encode_user(user, 1)?).await {
            Ok(_) => Ok(()),
            Err(e) => Err(match classify(e) {
                StoreError::Duplicate(_) => StoreError::Duplicate(format!("user {}", user.email)),
                other => other,
            }),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.one_user(doc! { "email": email }).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.one_user(doc! { "_id": id }).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let cursor = self
            .users()
            .await?
            .find(doc! {})
            .sort(doc! { "email": 1 })
            .await
            .map_err(classify)?;
        collect(cursor).await?.iter().map(decode_user).collect()
    }

    async fn update_user(
        &self,
        id: &str,
        change: UserChange<'_>,
    ) -> Result<Option<User>, StoreError> {
        // The id is the key: a change cannot move the document.
        let keep_id = move |user: &mut User| {
            change(user);
            user.id = id.to_string();
        };
        update_versioned(
            &self.users().await?,
            id,
            "user",
            decode_user,
            encode_user,
            &keep_id,
        )
        .await
    }
}

#[async_trait]
impl AuditLog for MongoStore {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.audit()
            .await?
            .insert_one(doc! {
                "_id": ObjectId::new(),
                "at_us": micros(entry.at),
                "entry": mongodb::bson::to_document(entry).map_err(corrupt)?,
            })
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = limit.clamp(1, MAX_AUDIT_ENTRIES) as i64;
        let cursor = self
            .audit()
            .await?
            .find(doc! {})
            .sort(doc! { "at_us": -1, "_id": -1 })
            .limit(limit)
            .await
            .map_err(classify)?;
        collect(cursor)
            .await?
            .iter()
            .map(|d| {
                let body = d.get_document("entry").map_err(corrupt)?;
                mongodb::bson::from_document(body.clone()).map_err(corrupt)
            })
            .collect()
    }
}

#[async_trait]
impl RateLimiter for MongoStore {
    async fn hit(
        &self,
        key: &str,
        window_secs: u64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<RateDecision, StoreError> {
        let window_secs = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
        let window = now.timestamp().div_euclid(window_secs);
        let ends = window.saturating_add(1).saturating_mul(window_secs);
        let retry_after_secs = u64::try_from((ends - now.timestamp()).max(1)).unwrap_or(1);
        let expires_at = DateTime::from_timestamp(ends, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let id = format!("{window_secs}:{window}:{key}");
        // One atomic read-and-increment shared by every instance. The other fields are set on
        // every hit (not `$setOnInsert`) because they never change within a window and the
        // local stand-in ignores `$setOnInsert` in findAndModify.
        let update = doc! {
            "$inc": { "hits": 1_i64 },
            "$set": {
                "key": key,
                "window_secs": window_secs,
                "window": window,
                "expires_at": date(expires_at),
            },
        };
        let mut last = String::new();
        for attempt in 0..MAX_HIT_ATTEMPTS {
            let counted = self
                .rate_limits()
                .await?
                .find_one_and_update(doc! { "_id": &id }, update.clone())
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
                .map_err(classify);
            match counted {
                Ok(Some(d)) => {
                    let hits = get_int(&d, "hits")?;
                    return Ok(if hits > i64::from(limit) {
                        RateDecision::Limited { retry_after_secs }
                    } else {
                        RateDecision::Allowed
                    });
                }
                // A concurrent first hit inserted the window first: count again on it. (`None`
                // cannot happen with an upsert on a real server; a stand-in that swallowed an
                // error gets the same treatment.)
                Err(StoreError::Duplicate(e)) => last = e,
                Ok(None) => last = "no document after an upsert".into(),
                Err(other) => return Err(other),
            }
            contention_pause(attempt).await;
        }
        Err(StoreError::Unavailable(format!(
            "rate limit {key}: not counted after {MAX_HIT_ATTEMPTS} attempts: {last}"
        )))
    }

    async fn release(
        &self,
        key: &str,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let window_secs = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
        let window = now.timestamp().div_euclid(window_secs);
        let id = format!("{window_secs}:{window}:{key}");
        self.rate_limits()
            .await?
            .update_one(
                doc! { "_id": &id, "hits": { "$gt": 0_i64 } },
                doc! { "$inc": { "hits": -1_i64 } },
            )
            .await
            .map_err(classify)?;
        Ok(())
    }
}

#[async_trait]
impl Revocations for MongoStore {
    async fn revoke(&self, token_id: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        // `$max`: revoking again never shortens how long the revocation is kept.
        self.revoked_sessions()
            .await?
            .update_one(
                doc! { "_id": token_id },
                doc! { "$max": { "until": date(until) } },
            )
            .upsert(true)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn is_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        // Present means revoked, even past `until` while the TTL monitor has not run yet.
        let found = self
            .revoked_sessions()
            .await?
            .find_one(doc! { "_id": token_id })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(classify)?;
        Ok(found.is_some())
    }
}
