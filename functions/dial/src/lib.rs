//! `POST /api/telnyx/dial`: validate, record the call, ask Telnyx to place it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router};
use chrono::Duration;
use domain::policy::DialUsage;
use domain::{Call, CallId, PhoneNumber};
use edge::ApiError;
use edge::auth::CurrentUser;
use edge::auth::Route;
use edge::commands::Commander;
use edge::error::FieldError;
use edge::http::ApiJson;
use edge::view::CallView;
use ports::auth::{AuditEntry, AuditLog, AuthStore, RateDecision, RateLimiter};
use ports::{
    CallControl, CallFilter, CallStore, CommandRecord, CommandResult, DialCommand, SharedClock,
    TelnyxError,
};
use serde::Deserialize;
use std::sync::Arc;

/// What the team's data says about a dial: which caller IDs the account owns, the recording
/// preferences and default caller ID from the settings, and the contacts numbers belong to.
#[derive(Clone)]
pub struct DialPolicy {
    pub owned_numbers: Arc<dyn ports::OwnedNumbers>,
    /// Countries callable besides those of the team's own numbers (`ALLOWED_COUNTRIES`).
    pub extra_countries: Vec<String>,
    pub settings: Arc<dyn ports::SettingsStore>,
    pub contacts: Arc<dyn ports::ContactStore>,
    /// Counts the caller's recent calls for the per-user limits.
    pub history: Arc<dyn ports::CallHistory>,
    /// Bursts of dials per user and per address (shared by every instance).
    pub limiter: Arc<dyn RateLimiter>,
    /// Refused dials are kept here: who tried to call what.
    pub audit: Arc<dyn AuditLog>,
    /// Dials one user may place per minute (`DIAL_RATE_PER_MINUTE`); an address gets three
    /// users' worth, at least [`DIAL_RATE_PER_ADDRESS`].
    pub rate_per_minute: u32,
}

impl DialPolicy {
    /// Every team-data port from one store (the embedded file, or MongoDB in AWS).
    pub fn from_store<S>(
        owned_numbers: Arc<dyn ports::OwnedNumbers>,
        extra_countries: Vec<String>,
        store: Arc<S>,
    ) -> Self
    where
        S: wiring::DataStore + AuthStore + 'static,
    {
        Self {
            owned_numbers,
            extra_countries,
            settings: store.clone(),
            contacts: store.clone(),
            history: store.clone(),
            limiter: store.clone(),
            audit: store,
            rate_per_minute: DIAL_RATE_PER_USER,
        }
    }
}

/// Dials allowed per minute, per user and per client address, by default: a person redialing
/// after a busy line stays far below; a script looping over numbers does not.
pub const DIAL_RATE_WINDOW_SECS: u64 = 60;
pub const DIAL_RATE_PER_USER: u32 = 10;
pub const DIAL_RATE_PER_ADDRESS: u32 = 30;

#[derive(Clone)]
pub struct DialState {
    pub calls: Arc<dyn CallStore>,
    pub telnyx: Arc<dyn CallControl>,
    /// Keeps the dial in the call's timeline.
    pub commander: Commander,
    pub clock: SharedClock,
    pub default_country: String,
    pub ring_timeout_secs: u32,
    pub call_time_limit_secs: u32,
    pub policy: DialPolicy,
}

/// Every route here and who may call it (the router is built from this list).
pub const ROUTES: &[Route] = &[Route::agent("POST", "/api/telnyx/dial")];

pub fn router(state: DialState) -> Router {
    Router::new()
        .route(ROUTES[0].path, post(dial))
        .with_state(state)
}

#[derive(Deserialize)]
pub struct DialBody {
    #[serde(default)]
    pub to_number: Option<String>,
    #[serde(default)]
    pub from_number: Option<String>,
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Record the call from answer.
    #[serde(default)]
    pub record: bool,
}

fn parse_number(
    field: &str,
    value: Option<&str>,
    country: &str,
    errors: &mut Vec<FieldError>,
) -> Option<PhoneNumber> {
    match PhoneNumber::parse(value.unwrap_or_default(), country) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

async fn dial(
    State(state): State<DialState>,
    user: Option<Extension<CurrentUser>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DialBody>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
    let user = user.map(|Extension(u)| u);
    let address = edge::http::client_address(&headers);
    state.rate_limit(user.as_ref(), &address).await?;
    let settings = state.policy.settings.load_settings().await?;
    // No From given: the team's default caller ID, when one is set.
    let default_from = settings.default_caller_id.as_ref().map(|n| n.to_string());
    let from_number = body
        .from_number
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .or(default_from.as_deref());
    let mut errors = Vec::new();
    let to = parse_number(
        "to_number",
        body.to_number.as_deref(),
        &state.default_country,
        &mut errors,
    );
    let from = parse_number(
        "from_number",
        from_number,
        &state.default_country,
        &mut errors,
    );
    let (Some(to), Some(from)) = (to, from) else {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Invalid {
            code: "invalid_phone_number",
            detail,
            errors,
        });
    };
    if to == from {
        return Err(ApiError::invalid_field(
            "invalid_phone_number",
            "to_number",
            "cannot call the caller ID itself",
        ));
    }
    let contact_id = body
        .contact_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if contact_id.as_ref().is_some_and(|c| c.len() > 64) {
        return Err(ApiError::invalid_field(
            "invalid_contact_id",
            "contact_id",
            "is too long",
        ));
    }
    // Telnyx would place a call from any number (and the callee's carrier may flag it as
    // spoofed); only the account's own numbers are caller IDs.
    if !state
        .policy
        .owned_numbers
        .owns(&from)
        .await
        .map_err(ApiError::Telnyx)?
    {
        return Err(ApiError::invalid_field(
            "caller_id_not_owned",
            "from_number",
            format!("{from} is not one of this account's Telnyx numbers (see GET /api/numbers)"),
        ));
    }
    // The toll-fraud guard: premium and special ranges, countries the team does not call, and
    // the caller's own limits, before anything is written or sent.
    let mut countries = state
        .policy
        .owned_numbers
        .countries()
        .await
        .map_err(ApiError::Telnyx)?;
    countries.extend(state.policy.extra_countries.iter().cloned());
    let guard = settings.dial_policy.policy(countries);
    let mut verdict = domain::policy::check_destination(&guard, &to);
    if let (Ok(()), Some(user)) = (&verdict, &user) {
        let usage = state.usage(&user.id).await?;
        verdict = domain::policy::check_usage(&guard, usage);
    }
    if let Err(refusal) = verdict {
        tracing::warn!(code = refusal.code(), "dial refused by the dial policy");
        state
            .refused(user.as_ref(), &address, refusal.code(), &refusal.message())
            .await;
        return Err(ApiError::Forbidden {
            code: refusal.code(),
            detail: refusal.message(),
        });
    }
    // Calls link to contacts by number when the dial does not name one.
    let contact_id = match contact_id {
        Some(id) => Some(id),
        None => state
            .policy
            .contacts
            .contact_by_phone(&to)
            .await?
            .map(|c| c.id),
    };
    let record = body.record || settings.recording.auto_record;

    let now = state.clock.now();
    let mut call = Call::new(CallId::new_at(now), from, to, contact_id, now);
    call.placed_by = user.map(|u| u.id);
    call.recording_requested = record;
    // Telnyx records from answer on its own; the stop control must be offered once talking.
    call.recording_active = record;
    // The call exists before Telnyx hears of it: its first webhook can beat the dial answer.
    state.calls.insert(&call).await?;
    let command = DialCommand {
        to: call.to.clone(),
        from: call.from.clone(),
        call_id: call.id,
        // Our call id: a retried dial for this call is ignored by Telnyx, never a second call.
        command_id: call.id.to_string(),
        timeout_secs: state.ring_timeout_secs,
        time_limit_secs: state.call_time_limit_secs,
        record,
        record_format: settings.recording.format,
        record_channels: settings.recording.channels,
    };
    let outcome = state.telnyx.dial(&command).await;
    let now = state.clock.now();
    state
        .commander
        .note(CommandRecord {
            call_id: call.id,
            command_id: command.command_id.clone(),
            command: "dial".into(),
            detail: Some(format!("{} → {}", call.from, call.to)),
            at: now,
            result: match &outcome {
                Ok(_) => CommandResult::Ok,
                Err(e) => edge::commands::failed(e),
            },
        })
        .await;
    let updated = match &outcome {
        Ok(leg) => {
            let leg = leg.clone();
            state
                .calls
                .update(call.id, &move |c: &mut Call| c.telnyx = Some(leg.clone()))
                .await?
        }
        Err(e) => {
            let (code, message) = failure_reason(e);
            tracing::warn!(call_id = %call.id, %code, "dial refused");
            state
                .calls
                .update(call.id, &move |c: &mut Call| {
                    c.fail_dial(code.clone(), message.clone(), now)
                })
                .await?
        }
    };
    let updated = updated.ok_or_else(|| ApiError::CallNotFound(call.id.to_string()))?;
    match outcome {
        Ok(_) => {
            tracing::info!(call_id = %call.id, "dialing");
            Ok((
                StatusCode::CREATED,
                Json(CallView::new(
                    &updated,
                    edge::view::contact_ref(state.policy.contacts.as_ref(), &updated).await,
                    now,
                )),
            ))
        }
        Err(TelnyxError::RateLimited { retry_after_secs }) => {
            Err(ApiError::Telnyx(TelnyxError::RateLimited {
                retry_after_secs,
            }))
        }
        Err(e) => Err(ApiError::DialRejected(e, call.id.to_string())),
    }
}

/// The failure recorded on the call: Telnyx's own code and words when it gave them.
fn failure_reason(error: &TelnyxError) -> (String, String) {
    match error {
        TelnyxError::Rejected {
            code,
            title,
            detail,
            ..
        } => (
            if code.is_empty() {
                "telnyx_rejected".into()
            } else {
                code.clone()
            },
            match detail {
                Some(d) if !d.is_empty() => format!("{title}: {d}"),
                _ => title.clone(),
            },
        ),
        TelnyxError::RateLimited { .. } => (
            "telnyx_rate_limited".into(),
            "Telnyx's dial rate limit was reached".into(),
        ),
        TelnyxError::Unavailable(_) => (
            "telnyx_unavailable".into(),
            "Telnyx could not be reached".into(),
        ),
    }
}

impl DialState {
    async fn rate_limit(&self, user: Option<&CurrentUser>, address: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let per_user = self.policy.rate_per_minute;
        let per_address = per_user.saturating_mul(3).max(DIAL_RATE_PER_ADDRESS);
        let mut keys = vec![(format!("dial:ip:{address}"), per_address)];
        if let Some(u) = user {
            keys.push((format!("dial:user:{}", u.id), per_user));
        }
        for (key, limit) in keys {
            let decision = self
                .policy
                .limiter
                .hit(&key, DIAL_RATE_WINDOW_SECS, limit, now)
                .await?;
            if let RateDecision::Limited { retry_after_secs } = decision {
                return Err(ApiError::TooManyRequests {
                    code: "rate_limited",
                    detail: format!(
                        "too many calls placed in a short time; try again in {retry_after_secs} s"
                    ),
                    retry_after_secs,
                });
            }
        }
        Ok(())
    }

    /// What the user has been dialing: calls not yet ended, and calls started in the last hour
    /// and day. A call stuck without its final webhook stops counting after a day.
    async fn usage(&self, user_id: &str) -> Result<DialUsage, ApiError> {
        let now = self.clock.now();
        let since = |span| CallFilter {
            placed_by: Some(user_id.to_string()),
            since: Some(now - span),
            ..CallFilter::default()
        };
        let day = self.policy.history.tally(&since(Duration::days(1))).await?;
        let hour = self
            .policy
            .history
            .tally(&since(Duration::hours(1)))
            .await?;
        let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(DialUsage {
            active_calls: count(day.active),
            calls_last_hour: count(hour.total),
            calls_last_day: count(day.total),
        })
    }

    async fn refused(&self, user: Option<&CurrentUser>, address: &str, code: &str, why: &str) {
        let entry = AuditEntry {
            at: self.clock.now(),
            actor: user.map(|u| u.id.clone()),
            action: "dial_refused".into(),
            detail: format!("{code}: {why}"),
            ip: Some(address.to_string()),
        };
        if let Err(e) = self.policy.audit.record_audit(&entry).await {
            tracing::warn!(error = %e, "refused dial not kept in the audit trail");
        }
    }

    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let c = &wiring.config;
        let store = wiring.store().await?;
        let data = wiring.data_store().await?;
        let auth = wiring.auth_store().await?;
        let telnyx = wiring.call_control().await?;
        Ok(Self {
            calls: store.clone(),
            telnyx: telnyx.clone(),
            commander: Commander {
                telnyx,
                log: store,
                clock: wiring.clock.clone(),
            },
            clock: wiring.clock.clone(),
            default_country: c.default_country.clone(),
            ring_timeout_secs: c.ring_timeout_secs,
            call_time_limit_secs: c.call_time_limit_secs,
            policy: DialPolicy {
                owned_numbers: wiring.owned_numbers().await?,
                extra_countries: c.allowed_countries.clone(),
                settings: data.clone(),
                contacts: data.clone(),
                history: data,
                limiter: auth.clone(),
                audit: auth,
                rate_per_minute: c.dial_rate_per_minute,
            },
        })
    }
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(DialState::build(wiring).await?))
}
