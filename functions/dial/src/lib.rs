//! `POST /api/telnyx/dial`: the edge of the dial use case ([`place_call`]): the request is read
//! here, checked and carried out there.

mod place_call;

pub use place_call::{
    Caller, DIAL_RATE_PER_ADDRESS, DIAL_RATE_PER_USER, DIAL_RATE_WINDOW_SECS, DialPolicy,
    DialState, PlaceCall,
};

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
use serde::Deserialize;

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
    /// Browser mode: the page's softphone is registered and may ring.
    #[serde(default)]
    pub agent_ready: Option<bool>,
}

impl From<DialBody> for PlaceCall {
    fn from(body: DialBody) -> Self {
        Self {
            to_number: body.to_number,
            from_number: body.from_number,
            contact_id: body.contact_id.map(|c| c.trim().to_string()),
            record: body.record,
            agent_ready: body.agent_ready,
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
                users: auth.clone(),
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
