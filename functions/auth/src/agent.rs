//! The signed-in user's agent side: their own agent mode and phone (`GET|PATCH /api/auth/me`)
//! and their softphone's login (`POST /api/webrtc/token`): a Telnyx telephony credential per
//! user on the deployment's credential connection, created on first need and kept, and a
//! short-lived token for each login. The token is a secret: never logged.

use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::PhoneNumber;
use domain::settings::{AgentMode, Settings};
use domain::user::{User, WebRtcCredential};
use edge::ApiError;
use edge::auth::CurrentUser;
use edge::http::ApiJson;
use ports::{SettingsStore, WebRtcAccounts};
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::Arc;
use wiring::config::IceServer;

use crate::{AuthState, UserView};

/// What the agent side needs: the team's defaults, Telnyx's credentials API and the
/// deployment's WebRTC settings.
#[derive(Clone)]
pub struct AgentSetup {
    pub settings: Arc<dyn SettingsStore>,
    pub accounts: Arc<dyn WebRtcAccounts>,
    /// `None`: browser mode is not configured (503 `webrtc_not_configured`).
    pub credential_connection_id: Option<String>,
    pub host: Option<String>,
    pub ice_servers: Option<Vec<IceServer>>,
    pub default_country: String,
}

impl AgentSetup {
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let c = &wiring.config;
        Ok(Self {
            settings: wiring.data_store().await?,
            accounts: wiring.webrtc_accounts().await?,
            credential_connection_id: c.telnyx_credential_connection_id.clone(),
            host: c.webrtc_host.clone(),
            ice_servers: c.webrtc_ice_servers.clone(),
            default_country: c.default_country.clone(),
        })
    }
}

/// The user's own choice and what is in force once the team's default fills the gaps.
#[derive(Debug, Serialize)]
pub struct AgentView {
    pub mode: Option<AgentMode>,
    pub phone: Option<String>,
    pub effective_mode: AgentMode,
    pub effective_phone: Option<String>,
}

impl AgentView {
    pub fn of(user: &User, team: &Settings) -> Self {
        let (mode, phone) = user.agent.effective(team);
        Self {
            mode: user.agent.mode,
            phone: user.agent.phone.as_ref().map(|p| p.to_string()),
            effective_mode: mode,
            effective_phone: phone.map(|p| p.to_string()),
        }
    }
}

/// `GET /api/auth/me`: the user and their agent side.
#[derive(Serialize)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub agent: AgentView,
}

impl AuthState {
    async fn team_settings(&self) -> Result<Settings, ApiError> {
        match &self.agents {
            Some(a) => Ok(a.settings.load_settings().await?),
            None => Ok(Settings::default()),
        }
    }

    pub(crate) async fn me_view(&self, user: &User) -> Result<MeView, ApiError> {
        let team = self.team_settings().await?;
        Ok(MeView {
            user: UserView::from(user),
            agent: AgentView::of(user, &team),
        })
    }
}

/// `null` and absent differ: `null` goes back to the team's default.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// Read as text so a wrong value is `invalid_request` on the field, not a JSON error.
    #[serde(default, deserialize_with = "present")]
    agent_mode: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    agent_phone: Option<Option<String>>,
}

pub(crate) async fn patch_me(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(body): ApiJson<MePatch>,
) -> Result<Json<MeView>, ApiError> {
    let team = state.team_settings().await?;
    let country = state
        .agents
        .as_ref()
        .map_or("US", |a| a.default_country.as_str())
        .to_string();
    let mode: Option<Option<AgentMode>> = match body.agent_mode.as_ref().map(|m| m.as_deref()) {
        None => None,
        Some(None) => Some(None),
        Some(Some("browser")) => Some(Some(AgentMode::Browser)),
        Some(Some("phone")) => Some(Some(AgentMode::Phone)),
        Some(Some(_)) => {
            return Err(ApiError::invalid_field(
                "invalid_request",
                "agent_mode",
                "must be \"browser\", \"phone\" or null (the team's default)",
            ));
        }
    };
    let phone: Option<Option<PhoneNumber>> = match &body.agent_phone {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) if p.trim().is_empty() => Some(None),
        Some(Some(p)) => Some(Some(PhoneNumber::parse(p, &country).map_err(|e| {
            ApiError::invalid_field("invalid_agent_phone", "agent_phone", e.to_string())
        })?)),
    };
    let current = state.store.user_by_id(&me.id).await?.ok_or_else(gone)?;
    let mut next = current.agent.clone();
    if let Some(m) = mode {
        next.mode = m;
    }
    if let Some(p) = phone {
        next.phone = p;
    }
    let (mode, effective_phone) = next.effective(&team);
    if mode == AgentMode::Phone && effective_phone.is_none() {
        return Err(ApiError::invalid_field(
            "agent_phone_required",
            "agent_phone",
            "phone mode needs a phone to ring (yours, or the team's default)",
        ));
    }
    let choice = next.clone();
    let updated = state
        .store
        .update_user(&me.id, &move |u: &mut User| u.agent = choice.clone())
        .await?
        .ok_or_else(gone)?;
    state
        .audit(
            Some(me.id.clone()),
            "agent_settings_changed",
            format!(
                "mode {}, phone {}",
                next.mode.map_or("team default", mode_name),
                if next.phone.is_some() {
                    "set"
                } else {
                    "team default"
                }
            ),
            Some(me.address.clone()),
        )
        .await;
    Ok(Json(state.me_view(&updated).await?))
}

fn mode_name(m: AgentMode) -> &'static str {
    match m {
        AgentMode::None => "none",
        AgentMode::Browser => "browser",
        AgentMode::Phone => "phone",
    }
}

fn gone() -> ApiError {
    ApiError::Unauthorized {
        code: "account_disabled",
        detail: "this account no longer exists".into(),
    }
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub token: String,
    pub expires_at: String,
    pub sip_username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_servers: Option<Vec<IceServer>>,
}

pub(crate) async fn webrtc_token(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
) -> Result<Json<TokenView>, ApiError> {
    Ok(Json(state.mint_token(&me.id).await?))
}

impl AuthState {
    /// The use case: the user's credential (created once, kept) and a fresh token for it.
    pub async fn mint_token(&self, user_id: &str) -> Result<TokenView, ApiError> {
        let (Some(agents), Some(connection)) = (
            &self.agents,
            self.agents
                .as_ref()
                .and_then(|a| a.credential_connection_id.clone()),
        ) else {
            return Err(not_configured());
        };
        let user = self.store.user_by_id(user_id).await?.ok_or_else(gone)?;
        let credential = match user.webrtc.clone() {
            Some(c) => c,
            None => self.create_credential(agents, &connection, &user).await?,
        };
        let token = agents
            .accounts
            .credential_token(&credential.credential_id)
            .await
            .map_err(ApiError::Telnyx)?;
        let expires_at = expiry_of(token.expose())
            .unwrap_or_else(|| self.clock.now() + chrono::Duration::hours(24));
        Ok(TokenView {
            token: token.expose().to_string(),
            expires_at: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            sip_username: credential.sip_username,
            host: agents.host.clone(),
            ice_servers: agents.ice_servers.clone(),
        })
    }

    /// Creates the user's credential at Telnyx and keeps it with the user. Nothing is left
    /// half-made: if it cannot be kept (or another request kept one first), ours is deleted.
    async fn create_credential(
        &self,
        agents: &AgentSetup,
        connection: &str,
        user: &User,
    ) -> Result<WebRtcCredential, ApiError> {
        let created = agents
            .accounts
            .create_credential(connection, &format!("dialer agent {}", user.id))
            .await
            .map_err(ApiError::Telnyx)?;
        let mine = created.clone();
        let stored = self
            .store
            .update_user(&user.id, &move |u: &mut User| {
                u.webrtc.get_or_insert_with(|| mine.clone());
            })
            .await;
        let kept = match stored {
            Ok(Some(u)) => u.webrtc,
            Ok(None) => None,
            Err(e) => {
                self.delete_quietly(agents, &created.credential_id).await;
                return Err(e.into());
            }
        };
        match kept {
            Some(k) if k == created => {
                tracing::info!(user_id = %user.id, "softphone credential created");
                Ok(k)
            }
            Some(k) => {
                self.delete_quietly(agents, &created.credential_id).await;
                Ok(k)
            }
            None => {
                self.delete_quietly(agents, &created.credential_id).await;
                Err(gone())
            }
        }
    }

    async fn delete_quietly(&self, agents: &AgentSetup, credential_id: &str) {
        if let Err(e) = agents.accounts.delete_credential(credential_id).await {
            tracing::warn!(error = %e, "an unused softphone credential could not be deleted");
        }
    }

    /// A disabled user's softphone must stop working: its credential is deleted at Telnyx
    /// (its tokens stop with it) and forgotten. A failure is logged; the next disable retries.
    pub(crate) async fn revoke_softphone(&self, user: &User) {
        let (Some(agents), Some(credential)) = (&self.agents, &user.webrtc) else {
            return;
        };
        match agents
            .accounts
            .delete_credential(&credential.credential_id)
            .await
        {
            Ok(()) => {
                let gone_id = credential.credential_id.clone();
                let forgot = self
                    .store
                    .update_user(&user.id, &move |u: &mut User| {
                        if u.webrtc
                            .as_ref()
                            .is_some_and(|c| c.credential_id == gone_id)
                        {
                            u.webrtc = None;
                        }
                    })
                    .await;
                if let Err(e) = forgot {
                    tracing::warn!(error = %e, "a deleted softphone credential is still on the user");
                }
            }
            Err(e) => tracing::warn!(error = %e, "softphone credential not deleted"),
        }
    }
}

fn not_configured() -> ApiError {
    ApiError::problem(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "webrtc_not_configured",
        "the browser softphone is not set up in this deployment (TELNYX_CREDENTIAL_CONNECTION_ID, \
         see docs/deploy.md); use agent phone mode",
    )
}

/// The `exp` claim of a JWT, read without verifying it (Telnyx signed it; we only pass it on).
fn expiry_of(jwt: &str) -> Option<DateTime<Utc>> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}
