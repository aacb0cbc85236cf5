//! The ports of sign-in and access control: users, the audit trail, rate-limit counters and
//! revoked sessions. Adapters: the embedded SQLite store (and MongoDB).

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::User;
use serde::{Deserialize, Serialize};

/// A pure change to a user (may run more than once under optimistic retries). An alias keeps the
/// closure's argument lifetime higher-ranked through `async_trait`.
pub type UserChange<'a> = &'a (dyn Fn(&mut User) + Send + Sync);

#[async_trait]
pub trait UserStore: Send + Sync {
    /// `Duplicate` when the e-mail is taken.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Atomically applies a pure change; `None` if the user does not exist.
    async fn update_user(
        &self,
        id: &str,
        change: UserChange<'_>,
    ) -> Result<Option<User>, StoreError>;
}

/// Who did what, when: sign-ins, settings changes, number purchases, refused dials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// User id, or the e-mail tried for a failed sign-in; `None` for the system.
    pub actor: Option<String>,
    /// Stable name, e.g. `sign_in`, `sign_in_failed`, `dial_refused`, `settings_changed`.
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Newest first.
    async fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    Limited { retry_after_secs: u64 },
}

/// Fixed-window counters shared by every instance (Lambdas do not share memory).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit on `key` in the current window of `window_secs` and says whether it is
    /// within `limit`.
    async fn hit(
        &self,
        key: &str,
        window_secs: u64,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<RateDecision, StoreError>;

    /// Takes back one hit on `key` in the current window (never below zero). A caller that
    /// counts only failures hits first (so concurrent attempts each hold a place and cannot
    /// all slip under the limit) and releases when the attempt turned out fine.
    async fn release(
        &self,
        key: &str,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Sessions ended by sign-out before their token expired.
#[async_trait]
pub trait Revocations: Send + Sync {
    async fn revoke(&self, token_id: &str, until: DateTime<Utc>) -> Result<(), StoreError>;
    async fn is_revoked(&self, token_id: &str) -> Result<bool, StoreError>;
}

/// Everything sign-in needs from a store.
pub trait AuthStore: UserStore + AuditLog + RateLimiter + Revocations {}
impl<T: UserStore + AuditLog + RateLimiter + Revocations> AuthStore for T {}
