//! `POST /api/telnyx/dial`: the edge of the dial use case ([`place_call`]): the request is read
//! here, checked and carried out there.

mod place_call;

pub use place_call::{Caller, PlaceCall};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json, Router};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::CurrentUser;
use edge::auth::Route;
use edge::commands::Commander;
use edge::http::ApiJson;
use edge::view::CallView;
use ports::auth::{AuditLog, AuthStore, RateLimiter};
use ports::{CallControl, CallStore, SharedClock};
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

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<DialState> {
    RouteTable::new().with(Route::agent("POST", "/api/telnyx/dial"), dial)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: DialState) -> Router {
    table().router().with_state(state)
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

impl From<DialBody> for PlaceCall {
    fn from(body: DialBody) -> Self {
        Self {
            to_number: body.to_number,
            from_number: body.from_number,
            contact_id: body.contact_id.map(|c| c.trim().to_string()),
            record: body.record,
        }
    }
}

async fn dial(
    State(state): State<DialState>,
    user: Option<Extension<CurrentUser>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DialBody>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
    let caller = Caller {
        user: user.map(|Extension(u)| u),
        address: edge::http::client_address(&headers),
    };
    let placed = state.place_call(&caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(placed.view())))
}

impl DialState {
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
