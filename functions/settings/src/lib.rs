//! `GET|PUT /api/settings`, `POST /api/settings/test-webhook` and the account's phone numbers
//! (`/api/numbers…`).
//!
//! Where settings live: everything except secrets is one document in the database (the
//! `settings` table locally, a `settings` collection in MongoDB). The Telnyx API key is a
//! secret: locally the embedded store keeps it (it is the user's own machine); in AWS it lives in
//! Secrets Manager, is read into `TELNYX_API_KEY` at cold start (`wiring::aws_secrets`), and
//! cannot be changed through this API (409 `setting_managed_by_deployment`). Answers only ever show its
//! last four characters, and nothing here logs it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json, Router};
use base64::Engine;
use domain::PhoneNumber;
use domain::settings::{RecordingPrefs, Settings, SettingsPatch, validate_api_key};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::{CurrentUser, Route};
use edge::error::FieldError;
use edge::http::{ApiJson, ApiQuery};
use ports::Secret;
use ports::auth::{AuditEntry, AuditLog};
use ports::{
    NumberInventory, NumberSearch, SECRET_TELNYX_API_KEY, SecretError, SecretStore, SettingsStore,
    TelnyxError, WebhookProbe,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct SettingsState {
    pub settings: Arc<dyn SettingsStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub numbers: Arc<dyn NumberInventory>,
    pub probe: Arc<dyn WebhookProbe>,
    /// The public URL of `/api/webhooks/telnyx` to paste into Telnyx.
    pub webhook_url: Option<String>,
    /// What the deployment configured, shown while the app's settings leave a field unset.
    pub deployment_public_key: String,
    pub deployment_connection_id: String,
    pub default_country: String,
    /// How long the webhook test waits for the first delivery attempt.
    pub probe_deadline: Duration,
    /// True in AWS: the API key belongs to Secrets Manager and is read-only here.
    pub deployment_managed_secrets: bool,
    /// Settings changes and number purchases are kept here: who changed what.
    pub audit: Arc<dyn AuditLog>,
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<SettingsState> {
    RouteTable::new()
        .with(Route::agent("GET", "/api/settings"), read)
        .with(Route::admin("PUT", "/api/settings"), write)
        .with(
            Route::admin("POST", "/api/settings/test-webhook"),
            test_webhook,
        )
        .with(Route::agent("GET", "/api/numbers"), owned)
        .with(Route::admin("GET", "/api/numbers/available"), available)
        .with(Route::admin("POST", "/api/numbers/orders"), order)
        .with(Route::admin("GET", "/api/cost-estimate"), cost_estimate)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: SettingsState) -> Router {
    table().router().with_state(state)
}

#[derive(Debug, Serialize)]
pub struct ApiKeyView {
    pub configured: bool,
    /// `••••` and the last four characters; never the key.
    pub masked: Option<String>,
    /// Whether `PUT /api/settings` may change it (false in AWS: Secrets Manager owns it).
    pub writable: bool,
}

#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub telnyx_api_key: ApiKeyView,
    pub telnyx_public_key: Option<String>,
    pub telnyx_connection_id: Option<String>,
    pub default_caller_id: Option<String>,
    pub recording: RecordingPrefs,
    pub hold_music_url: Option<String>,
    pub agent_mode: domain::settings::AgentMode,
    pub agent_phone: Option<String>,
    pub dial_policy: domain::settings::DialPolicySettings,
    /// Paste this into the Telnyx Call Control application's webhook URL.
    pub webhook_url: Option<String>,
}

fn or_default(v: Option<String>, default: &str) -> Option<String> {
    v.or_else(|| (!default.is_empty()).then(|| default.to_string()))
}

async fn view(state: &SettingsState, s: Settings) -> Result<SettingsView, ApiError> {
    let key = state.secrets.secret(SECRET_TELNYX_API_KEY).await?;
    let writable = !state.secrets_read_only();
    Ok(SettingsView {
        telnyx_api_key: ApiKeyView {
            configured: key.as_ref().is_some_and(|k| !k.is_empty()),
            masked: key.filter(|k| !k.is_empty()).map(|k| k.masked()),
            writable,
        },
        // Webhooks are verified with the deployment's key (the webhook function reads no
        // settings, to answer Telnyx fast), so that is the key shown.
        telnyx_public_key: (!state.deployment_public_key.is_empty())
            .then(|| state.deployment_public_key.clone()),
        telnyx_connection_id: or_default(s.telnyx_connection_id, &state.deployment_connection_id),
        default_caller_id: s.default_caller_id.map(|n| n.to_string()),
        recording: s.recording,
        hold_music_url: s.hold_music_url,
        agent_mode: s.agent_mode,
        agent_phone: s.agent_phone.map(|n| n.to_string()),
        dial_policy: s.dial_policy,
        webhook_url: state.webhook_url.clone(),
    })
}

impl SettingsState {
    fn secrets_read_only(&self) -> bool {
        self.deployment_managed_secrets
    }

    async fn audit(&self, user: Option<Extension<CurrentUser>>, action: &str, detail: String) {
        let (actor, ip) = user.map(|Extension(u)| (u.id, u.address)).unzip();
        let entry = AuditEntry {
            at: chrono::Utc::now(),
            actor,
            action: action.into(),
            detail,
            ip,
        };
        if let Err(e) = self.audit.record_audit(&entry).await {
            tracing::warn!(error = %e, action, "audit entry not kept");
        }
    }

    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let c = &wiring.config;
        let data = wiring.data_store().await?;
        Ok(Self {
            settings: data,
            secrets: wiring.secrets(),
            numbers: wiring.numbers().await?,
            probe: wiring.webhook_probe(),
            webhook_url: c.webhook_url.clone(),
            deployment_public_key: c.telnyx_public_key.clone(),
            deployment_connection_id: c.telnyx_connection_id.clone(),
            default_country: c.default_country.clone(),
            probe_deadline: Duration::from_secs(5),
            deployment_managed_secrets: wiring.secrets_managed_by_deployment(),
            audit: wiring.auth_store().await?,
        })
    }
}

async fn read(State(state): State<SettingsState>) -> Result<Json<SettingsView>, ApiError> {
    let s = state.settings.load_settings().await?;
    Ok(Json(view(&state, s).await?))
}

fn valid_public_key(key: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .is_ok_and(|b| b.len() == 32)
}

async fn write(
    State(state): State<SettingsState>,
    user: Option<Extension<CurrentUser>>,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsView>, ApiError> {
    let current = state.settings.load_settings().await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let next = match current.apply(&patch, &state.default_country) {
        Ok(next) => Some(next),
        Err(issues) => {
            errors.extend(
                issues
                    .into_iter()
                    .map(|i| FieldError::new(i.field, i.message)),
            );
            None
        }
    };
    if let Some(Some(k)) = &patch.telnyx_public_key
        && !k.trim().is_empty()
    {
        if !valid_public_key(k) {
            errors.push(FieldError::new(
                "telnyx_public_key",
                "must be the base64 Ed25519 public key from the Telnyx portal (44 characters)",
            ));
        } else if k.trim() != state.deployment_public_key {
            return Err(ApiError::Conflict {
                code: "setting_managed_by_deployment",
                detail: "webhooks are verified with the deployment's TELNYX_PUBLIC_KEY \
                         (the TelnyxPublicKey parameter in AWS); change it there"
                    .into(),
            });
        }
    }
    let key = match &patch.telnyx_api_key {
        None => None,
        Some(None) => Some(None),
        Some(Some(k)) if k.trim().is_empty() => Some(None),
        Some(Some(k)) => match validate_api_key(k.trim()) {
            Ok(()) => Some(Some(Secret::new(k.trim()))),
            Err(e) => {
                errors.push(FieldError::new(e.field, e.message));
                None
            }
        },
    };
    let Some(next) = next.filter(|_| errors.is_empty()) else {
        return Err(ApiError::invalid_fields("invalid_settings", errors));
    };
    if let Some(key) = key {
        match state
            .secrets
            .put_secret(SECRET_TELNYX_API_KEY, key.as_ref())
            .await
        {
            Ok(()) => {}
            Err(SecretError::ReadOnly(_)) => {
                return Err(ApiError::Conflict {
                    code: "setting_managed_by_deployment",
                    detail: "the Telnyx API key is kept in AWS Secrets Manager for this \
                             deployment; change it there and redeploy"
                        .into(),
                });
            }
            Err(SecretError::Store(e)) => return Err(e.into()),
        }
    }
    state.settings.save_settings(&next).await?;
    tracing::info!("settings updated");
    state
        .audit(user, "settings_changed", changed_fields(&patch))
        .await;
    Ok(Json(view(&state, next).await?))
}

/// The names of the fields a change touched, never their values (the API key is one of them).
fn changed_fields(patch: &SettingsPatch) -> String {
    let touched = [
        ("telnyx_api_key", patch.telnyx_api_key.is_some()),
        ("telnyx_public_key", patch.telnyx_public_key.is_some()),
        ("telnyx_connection_id", patch.telnyx_connection_id.is_some()),
        ("default_caller_id", patch.default_caller_id.is_some()),
        ("recording", patch.recording.is_some()),
        ("hold_music_url", patch.hold_music_url.is_some()),
        ("agent_mode", patch.agent_mode.is_some()),
        ("agent_phone", patch.agent_phone.is_some()),
        ("dial_policy", patch.dial_policy.is_some()),
    ];
    let names: Vec<&str> = touched
        .iter()
        .filter(|(_, t)| *t)
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "nothing".into()
    } else {
        names.join(", ")
    }
}

#[derive(Debug, Serialize)]
pub struct WebhookTest {
    /// Whether the provider can send test events (the emulator can; Telnyx cannot).
    pub supported: bool,
    pub webhook_url: String,
    pub event_id: Option<String>,
    /// Our endpoint answered at all.
    pub arrived: bool,
    /// It answered 200: signature verified and the event queued.
    pub verified: bool,
    /// `verified`, `signature_rejected`, `endpoint_error`, `unreachable`, `no_answer_yet`,
    /// `unsupported`.
    pub result: &'static str,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub advice: Option<String>,
}

async fn test_webhook(State(state): State<SettingsState>) -> Result<Json<WebhookTest>, ApiError> {
    let Some(url) = state.webhook_url.clone() else {
        return Err(ApiError::Conflict {
            code: "webhook_url_unknown",
            detail: "this deployment does not know its public webhook URL (set WEBHOOK_URL)".into(),
        });
    };
    let mut answer = WebhookTest {
        supported: true,
        webhook_url: url.clone(),
        event_id: None,
        arrived: false,
        verified: false,
        result: "no_answer_yet",
        status: None,
        error: None,
        advice: None,
    };
    let Some(event_id) = state
        .probe
        .send_test_event(&url)
        .await
        .map_err(ApiError::Telnyx)?
    else {
        answer.supported = false;
        answer.result = "unsupported";
        answer.advice = Some(
            "Telnyx cannot send a test event on request: place a short test call and check \
             that its status moves past \"dialing\"."
                .into(),
        );
        return Ok(Json(answer));
    };
    answer.event_id = Some(event_id.clone());
    let deadline = tokio::time::Instant::now() + state.probe_deadline;
    let first = loop {
        let attempts = state
            .probe
            .deliveries(&event_id)
            .await
            .map_err(ApiError::Telnyx)?;
        if let Some(first) = attempts.into_iter().next() {
            break Some(first);
        }
        if tokio::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if let Some(d) = first {
        answer.status = d.status;
        answer.error = d.error;
        answer.arrived = d.status.is_some();
        answer.verified = d.status == Some(200);
        (answer.result, answer.advice) = match d.status {
            Some(200) => ("verified", None),
            Some(401) => (
                "signature_rejected",
                Some(
                    "The endpoint refused the signature: set the Telnyx public key \
                     (Portal → Keys & Credentials → Public Key)."
                        .into(),
                ),
            ),
            Some(_) => (
                "endpoint_error",
                Some("The endpoint answered with an error; check the function's logs.".into()),
            ),
            None => (
                "unreachable",
                Some("The webhook URL could not be reached from Telnyx.".into()),
            ),
        };
    }
    Ok(Json(answer))
}

#[derive(Debug, Serialize)]
pub struct OwnedView {
    pub phone_number: String,
    pub status: Option<String>,
    pub connection_id: Option<String>,
    pub country: Option<String>,
    pub is_default_caller_id: bool,
}

#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// Telnyx errors on number requests: our input problems are 4xx for the user, not 502s.
fn numbers_error(e: TelnyxError) -> ApiError {
    match &e {
        TelnyxError::Rejected {
            status: 400 | 404 | 409 | 422,
            title,
            detail,
            ..
        } => ApiError::Conflict {
            code: "number_not_available",
            detail: format!(
                "Telnyx refused: {title}{}",
                detail
                    .as_deref()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default()
            ),
        },
        _ => ApiError::Telnyx(e),
    }
}

async fn owned(State(state): State<SettingsState>) -> Result<Json<Items<OwnedView>>, ApiError> {
    let default = state.settings.load_settings().await?.default_caller_id;
    let numbers = state
        .numbers
        .owned_numbers()
        .await
        .map_err(ApiError::Telnyx)?;
    Ok(Json(Items {
        items: numbers
            .into_iter()
            .map(|n| OwnedView {
                is_default_caller_id: default
                    .as_ref()
                    .is_some_and(|d| d.as_str() == n.phone_number),
                phone_number: n.phone_number,
                status: n.status,
                connection_id: n.connection_id,
                country: n.country,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct AvailableQuery {
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    area_code: Option<String>,
    #[serde(default)]
    contains: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn available(
    State(state): State<SettingsState>,
    ApiQuery(q): ApiQuery<AvailableQuery>,
) -> Result<Json<Items<ports::AvailableNumber>>, ApiError> {
    let mut errors = Vec::new();
    let country = q
        .country
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| state.default_country.clone());
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        errors.push(FieldError::new(
            "country",
            "must be a two-letter country code (US, CA, GB…)",
        ));
    }
    let digits = |field: &'static str,
                  v: Option<String>,
                  len: std::ops::RangeInclusive<usize>,
                  errors: &mut Vec<FieldError>| {
        let v = v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())?;
        if !len.contains(&v.len()) || !v.chars().all(|c| c.is_ascii_digit()) {
            errors.push(FieldError::new(
                field,
                format!("must be {}–{} digits", len.start(), len.end()),
            ));
            return None;
        }
        Some(v)
    };
    let area_code = digits("area_code", q.area_code, 2..=5, &mut errors);
    let contains = digits("contains", q.contains, 1..=10, &mut errors);
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        errors.push(FieldError::new("limit", "must be between 1 and 50"));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields("invalid_query", errors));
    }
    let items = state
        .numbers
        .available_numbers(&NumberSearch {
            country,
            area_code,
            contains,
            limit,
        })
        .await
        .map_err(numbers_error)?;
    Ok(Json(Items { items }))
}

#[derive(Debug, Deserialize)]
pub struct OrderBody {
    #[serde(default)]
    phone_number: Option<String>,
    /// Must repeat `phone_number`: buying costs money, so a stray or replayed request with only
    /// a number in it never buys anything.
    #[serde(default)]
    confirm: Option<String>,
}

async fn order(
    State(state): State<SettingsState>,
    user: Option<Extension<CurrentUser>>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<ports::NumberOrder>), ApiError> {
    let number = PhoneNumber::parse(
        body.phone_number.as_deref().unwrap_or_default(),
        &state.default_country,
    )
    .map_err(|e| ApiError::invalid_field("invalid_phone_number", "phone_number", e.to_string()))?;
    let confirmed = body
        .confirm
        .as_deref()
        .and_then(|c| PhoneNumber::parse(c, &state.default_country).ok())
        .is_some_and(|c| c == number);
    if !confirmed {
        return Err(ApiError::invalid_field(
            "confirmation_required",
            "confirm",
            "repeat the phone number being bought to confirm the purchase",
        ));
    }
    let placed = state
        .numbers
        .order_numbers(std::slice::from_ref(&number))
        .await
        .map_err(numbers_error)?;
    tracing::info!(order_id = %placed.id, number = %number, "number ordered");
    state
        .audit(
            user,
            "numbers_ordered",
            format!("{number} (order {})", placed.id),
        )
        .await;
    Ok((StatusCode::CREATED, Json(placed)))
}

/// What the platform costs on AWS per 1,000 calls, for the default call profile (3-minute calls,
/// 1 s polling) and list prices: the figure docs/cost-model.md explains.
async fn cost_estimate() -> Result<Json<domain::cost::CostEstimate>, ApiError> {
    domain::cost::estimate(&domain::cost::CostInputs::default())
        .map(Json)
        .map_err(|e| ApiError::invalid_field("invalid_cost_inputs", e.field, e.to_string()))
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(SettingsState::build(wiring).await?))
}
