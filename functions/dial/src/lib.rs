//! `POST /api/telnyx/dial`: validate, record the call, ask Telnyx to place it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::{Call, CallId, PhoneNumber};
use serde::Deserialize;
use shared::ApiError;
use shared::commands::Commander;
use shared::error::FieldError;
use shared::http::ApiJson;
use shared::ports::{
    CallControl, CallStore, CommandRecord, CommandResult, DialCommand, SharedClock, TelnyxError,
};
use shared::view::CallView;
use std::sync::Arc;

/// What the team's data says about a dial: which caller IDs the account owns, the recording
/// preferences and default caller ID from the settings, and the contacts numbers belong to.
#[derive(Clone)]
pub struct DialPolicy {
    pub owned_numbers: Arc<dyn shared::ports::OwnedNumbers>,
    /// Countries callable besides those of the team's own numbers (`ALLOWED_COUNTRIES`).
    pub extra_countries: Vec<String>,
    pub settings: Arc<dyn shared::ports::SettingsStore>,
    pub contacts: Arc<dyn shared::ports::ContactStore>,
}

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

/// (method, path) of every route here, for the OpenAPI test.
pub const ROUTES: &[(&str, &str)] = &[("POST", "/api/telnyx/dial")];

pub fn router(state: DialState) -> Router {
    Router::new()
        .route(ROUTES[0].1, post(dial))
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
    ApiJson(body): ApiJson<DialBody>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
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
    // The toll-fraud guard: premium and special ranges, and countries the team does not call,
    // are refused before anything is written or sent.
    let mut countries = state
        .policy
        .owned_numbers
        .countries()
        .await
        .map_err(ApiError::Telnyx)?;
    countries.extend(state.policy.extra_countries.iter().cloned());
    let guard = domain::policy::DialPolicy::for_countries(countries);
    if let Err(refusal) = domain::policy::check_destination(&guard, &to) {
        tracing::warn!(
            code = refusal.code(),
            "dial refused by the toll-fraud guard"
        );
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
                Err(e) => shared::commands::failed(e),
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
                    shared::view::contact_ref(state.policy.contacts.as_ref(), &updated).await,
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
    pub async fn from_wiring(
        wiring: &shared::wiring::Wiring,
    ) -> Result<Self, shared::wiring::WiringError> {
        let c = &wiring.config;
        let store = wiring.store().await?;
        let data = wiring.data_store().await?;
        let secrets = wiring.secrets()?;
        // Commands follow the key and connection saved in the settings.
        let configured = wiring.configured_telnyx(data.clone(), secrets);
        let telnyx: Arc<dyn CallControl> = configured.clone();
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
                owned_numbers: Arc::new(shared::telnyx::numbers::CachedInventory::new(
                    configured,
                    std::time::Duration::from_secs(60),
                )),
                extra_countries: c.allowed_countries.clone(),
                settings: data.clone(),
                contacts: data,
            },
        })
    }
}
