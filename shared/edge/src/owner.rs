//! Who may act on a call: the agent who placed it, or an admin. Reading the team's history stays
//! open to every agent; controlling a live call, hanging it up and editing its notes or tags do
//! not. Every such act, allowed or refused, goes to the audit trail with the caller's address.

use crate::auth::CurrentUser;
use crate::error::ApiError;
use domain::user::Role;
use domain::{Call, CallId};
use ports::auth::{AuditEntry, AuditLog};
use ports::{CallStore, SharedClock};
use std::sync::Arc;

/// Whether `user` may control, hang up or edit `call`. A call with no recorded placer (placed
/// before calls kept who placed them) is left to admins.
pub fn may_act(user: &CurrentUser, call: &Call) -> bool {
    user.role.allows(Role::Admin) || call.placed_by.as_deref() == Some(user.id.as_str())
}

#[derive(Clone)]
pub struct CallGuard {
    pub calls: Arc<dyn CallStore>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: SharedClock,
}

impl CallGuard {
    pub fn build(calls: Arc<dyn CallStore>, audit: Arc<dyn AuditLog>, clock: SharedClock) -> Self {
        Self {
            calls,
            audit,
            clock,
        }
    }

    /// Lets `action` on call `id` go ahead, or refuses it: 404 `call_not_found`, 403
    /// `not_call_owner` (kept in the audit trail as `call_action_refused`). `None` is a
    /// router mounted without the access layer (in-process tests of the edge): there is no
    /// caller to check.
    pub async fn allow(
        &self,
        user: Option<&CurrentUser>,
        id: CallId,
        action: &str,
    ) -> Result<(), ApiError> {
        let Some(user) = user else {
            return Ok(());
        };
        let call = self
            .calls
            .get(id)
            .await?
            .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
        if may_act(user, &call) {
            return Ok(());
        }
        self.record(Some(user), "call_action_refused", format!("{id} {action}"))
            .await;
        Err(ApiError::Forbidden {
            code: "not_call_owner",
            detail: "only the agent who placed this call, or an admin, may do this".into(),
        })
    }

    /// Keeps what `action` on call `id` came to: `call_<action>` with `ok` or the problem's
    /// code.
    pub async fn done<T>(
        &self,
        user: Option<&CurrentUser>,
        id: CallId,
        action: &str,
        result: &Result<T, ApiError>,
    ) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.code(),
        };
        self.record(user, &format!("call_{action}"), format!("{id}: {outcome}"))
            .await;
    }

    async fn record(&self, user: Option<&CurrentUser>, action: &str, detail: String) {
        let entry = AuditEntry {
            at: self.clock.now(),
            actor: user.map(|u| u.id.clone()),
            action: action.into(),
            detail,
            ip: user.map(|u| u.address.clone()),
        };
        if let Err(e) = self.audit.record_audit(&entry).await {
            tracing::warn!(error = %e, action, "call action not kept in the audit trail");
        }
    }
}
