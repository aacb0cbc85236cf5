//! `functions/auth`: sign-in and user administration:
//! `POST /api/auth/sign-in`, `POST /api/auth/sign-out`, `GET /api/auth/me`,
//! `GET|POST /api/users`, `PATCH /api/users/{user_id}`, `GET /api/audit`.
//!
//! Sign-in is rate limited per client address and per e-mail (brute force), counting failures
//! only (a correct password is never refused because of earlier sign-ins), answers the same
//! 401 for an unknown e-mail, a wrong password and a disabled account (no account probing), and
//! every attempt lands in the audit trail.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json, Router};
use chrono::SecondsFormat;
use domain::user::{Role, User, check_password, normalise_email};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::{CurrentUser, Passwords, Route, TokenSigner};
use edge::http::{ApiJson, ApiQuery, IdPath};
use ports::auth::{AuditEntry, AuthStore, RateDecision};
use ports::{SharedClock, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod agent;
pub use agent::AgentSetup;

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<AuthState> {
    RouteTable::new()
        .with(Route::public("POST", "/api/auth/sign-in"), sign_in)
        .with(Route::agent("POST", "/api/auth/sign-out"), sign_out)
        .with(Route::agent("GET", "/api/auth/me"), me)
        .with(Route::agent("PATCH", "/api/auth/me"), agent::patch_me)
        .with(
            Route::agent("POST", "/api/webrtc/token"),
            agent::webrtc_token,
        )
        .with(Route::admin("GET", "/api/users"), list_users)
        .with(Route::admin("POST", "/api/users"), create_user)
        .with(Route::admin("PATCH", "/api/users/{user_id}"), update_user)
        .with(Route::admin("GET", "/api/audit"), audit)
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

/// Failed sign-in attempts allowed per window, per client address and per e-mail.
pub const SIGN_IN_WINDOW_SECS: u64 = 300;
pub const SIGN_IN_PER_ADDRESS: u32 = 20;
pub const SIGN_IN_PER_EMAIL: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Wiring(#[from] wiring::WiringError),
    #[error("creating the first administrator: {0}")]
    Bootstrap(String),
}

#[derive(Clone)]
pub struct AuthState {
    pub store: Arc<dyn AuthStore>,
    pub signer: TokenSigner,
    pub passwords: Passwords,
    pub clock: SharedClock,
    /// The agent side (own agent mode, softphone credentials); `None` in tests that need
    /// neither (the token answers 503 `webrtc_not_configured`).
    pub agents: Option<AgentSetup>,
}

pub fn router(state: AuthState) -> Router {
    table().router().with_state(state)
}

#[derive(Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

impl AuthState {
    /// The one composition root of this function (Lambda `main`, local stack, tests).
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        Ok(Self {
            store: wiring.auth_store().await?,
            signer: wiring.token_signer()?,
            passwords: Passwords::recommended(),
            clock: wiring.clock.clone(),
            agents: Some(AgentSetup::build(wiring).await?),
        })
    }

    /// Creates the first administrator from `ADMIN_EMAIL` and `ADMIN_PASSWORD` when there is
    /// no user yet.
    pub async fn bootstrap_from(self, config: &wiring::Config) -> Result<Self, StartError> {
        let state = self;
        if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
            state
                .bootstrap_admin(email, password.expose())
                .await
                .map_err(|e| StartError::Bootstrap(e.to_string()))?;
        }
        Ok(state)
    }

    /// Adds a user whose e-mail, name and password were already checked. `email_taken` (409)
    /// when the e-mail belongs to someone.
    pub async fn add_user(
        &self,
        email: &str,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<User, ApiError> {
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.to_string(),
            name: name.to_string(),
            role,
            disabled: false,
            password_hash: self.passwords.hash(password),
            created_at: self.clock.now(),
            sessions_valid_after: None,
            agent: Default::default(),
            webrtc: None,
        };
        self.store.insert_user(&user).await.map_err(|e| match e {
            StoreError::Duplicate(_) => ApiError::Conflict {
                code: "email_taken",
                detail: "a user with this e-mail already exists".into(),
            },
            other => other.into(),
        })?;
        Ok(user)
    }

    async fn audit(&self, actor: Option<String>, action: &str, detail: String, ip: Option<String>) {
        let entry = AuditEntry {
            at: self.clock.now(),
            actor,
            action: action.into(),
            detail,
            ip,
        };
        if let Err(e) = self.store.record_audit(&entry).await {
            tracing::warn!(error = %e, action, "audit entry not kept");
        }
    }

    async fn limit(&self, key: String, limit: u32) -> Result<(), ApiError> {
        match self
            .store
            .hit(&key, SIGN_IN_WINDOW_SECS, limit, self.clock.now())
            .await?
        {
            RateDecision::Allowed => Ok(()),
            RateDecision::Limited { retry_after_secs } => Err(ApiError::TooManyRequests {
                code: "too_many_attempts",
                detail: format!("too many sign-in attempts; try again in {retry_after_secs} s"),
                retry_after_secs,
            }),
        }
    }

    /// Gives back the places a successful sign-in held, so only failures count.
    async fn release(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = self
                .store
                .release(key, SIGN_IN_WINDOW_SECS, self.clock.now())
                .await
            {
                // The attempt stays counted: a later sign-in may be refused sooner, never later.
                tracing::warn!(error = %e, "sign-in limit not released");
            }
        }
    }

    /// Creates the first admin when there is no user at all (from `ADMIN_EMAIL` and
    /// `ADMIN_PASSWORD`, or the local stack's demo account). Returns whether it did.
    pub async fn bootstrap_admin(&self, email: &str, password: &str) -> Result<bool, ApiError> {
        if !self.store.list_users().await?.is_empty() {
            return Ok(false);
        }
        let email = normalise_email(email)
            .map_err(|m| ApiError::invalid_field("invalid_user", "ADMIN_EMAIL", m))?;
        check_password(password)
            .map_err(|m| ApiError::invalid_field("invalid_user", "ADMIN_PASSWORD", m))?;
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            name: "Administrator".into(),
            email,
            role: Role::Admin,
            disabled: false,
            password_hash: self.passwords.hash(password),
            created_at: self.clock.now(),
            sessions_valid_after: None,
            agent: Default::default(),
            webrtc: None,
        };
        match self.store.insert_user(&user).await {
            Ok(()) => {}
            // another instance bootstrapped at the same moment
            Err(StoreError::Duplicate(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        self.audit(None, "admin_bootstrapped", user.email.clone(), None)
            .await;
        Ok(true)
    }
}

#[derive(Deserialize)]
struct SignInBody {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
struct SignedIn {
    token: String,
    expires_at: String,
    user: UserView,
}

async fn sign_in(
    State(state): State<AuthState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<Json<SignedIn>, ApiError> {
    let ip = edge::http::client_address(&headers);
    // Every attempt takes a place before the password is checked (so parallel guesses cannot
    // all pass the limit) and a successful one gives it back.
    let ip_key = format!("sign-in:ip:{ip}");
    state.limit(ip_key.clone(), SIGN_IN_PER_ADDRESS).await?;
    let email = normalise_email(body.email.as_deref().unwrap_or_default())
        .map_err(|m| ApiError::invalid_field("invalid_credentials", "email", m))?;
    let email_key = format!("sign-in:email:{email}");
    state.limit(email_key.clone(), SIGN_IN_PER_EMAIL).await?;
    let password = body.password.unwrap_or_default();
    let user = state.store.user_by_email(&email).await?;
    let ok = match &user {
        Some(u) => state.passwords.verify(&password, &u.password_hash) && !u.disabled,
        None => {
            // Spend the same effort as a real check so timing does not reveal unknown e-mails.
            let dummy = DUMMY_HASH.get_or_init(|| state.passwords.hash("no such user"));
            let _ = state.passwords.verify(&password, dummy);
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state
            .audit(Some(email), "sign_in_failed", String::new(), Some(ip))
            .await;
        return Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            detail: "the e-mail or password is wrong, or the account is disabled".into(),
        });
    };
    state.release(&[ip_key, email_key]).await;
    let (token, claims) = state.signer.issue(&user.id, user.role, state.clock.now());
    state
        .audit(
            Some(user.id.clone()),
            "sign_in",
            user.email.clone(),
            Some(ip),
        )
        .await;
    Ok(Json(SignedIn {
        token,
        expires_at: chrono::DateTime::from_timestamp(claims.exp, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        user: UserView::from(&user),
    }))
}

/// A hash made with the deployment's own settings, checked against when the e-mail is unknown.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn sign_out(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
) -> Result<StatusCode, ApiError> {
    let until = chrono::DateTime::from_timestamp(me.token_expires, 0).unwrap_or_default();
    state.store.revoke(&me.token_id, until).await?;
    state
        .audit(
            Some(me.id.clone()),
            "sign_out",
            String::new(),
            Some(me.address.clone()),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
) -> Result<Json<agent::MeView>, ApiError> {
    let user = state
        .store
        .user_by_id(&me.id)
        .await?
        .ok_or(ApiError::Unauthorized {
            code: "account_disabled",
            detail: "this account no longer exists".into(),
        })?;
    Ok(Json(state.me_view(&user).await?))
}

async fn list_users(State(state): State<AuthState>) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = state.store.list_users().await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

#[derive(Deserialize)]
struct NewUser {
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
    role: Option<Role>,
}

async fn create_user(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let mut errors = Vec::new();
    let email = normalise_email(body.email.as_deref().unwrap_or_default())
        .map_err(|m| errors.push(edge::error::FieldError::new("email", m)))
        .ok();
    let password = body.password.unwrap_or_default();
    if let Err(m) = check_password(&password) {
        errors.push(edge::error::FieldError::new("password", m));
    }
    let name = body.name.unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(edge::error::FieldError::new(
            "name",
            "give a name of 1 to 100 characters",
        ));
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ApiError::Invalid {
            code: "invalid_user",
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        });
    };
    let user = state
        .add_user(&email, &name, &password, body.role.unwrap_or(Role::Agent))
        .await?;
    state
        .audit(
            Some(me.id),
            "user_created",
            format!("{} ({})", user.email, user.role.as_str()),
            Some(me.address),
        )
        .await;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

#[derive(Deserialize)]
struct UserPatch {
    name: Option<String>,
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
}

async fn update_user(
    State(state): State<AuthState>,
    Extension(me): Extension<CurrentUser>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    if id == me.id && (body.disabled == Some(true) || body.role == Some(Role::Agent)) {
        return Err(ApiError::Conflict {
            code: "cannot_lock_yourself_out",
            detail: "you cannot disable or demote your own account; ask another admin".into(),
        });
    }
    if let Some(p) = &body.password {
        check_password(p).map_err(|m| ApiError::invalid_field("invalid_user", "password", m))?;
    }
    let name = body.name.map(|n| n.trim().to_string());
    if name
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 100)
    {
        return Err(ApiError::invalid_field(
            "invalid_user",
            "name",
            "give a name of 1 to 100 characters",
        ));
    }
    let hash = body.password.as_deref().map(|p| state.passwords.hash(p));
    let other_fields = name.is_some() || body.role.is_some() || body.disabled.is_some();
    let reset = hash.is_some();
    let (role, disabled) = (body.role, body.disabled);
    let now = state.clock.now();
    let updated = state
        .store
        .update_user(&id, &move |u: &mut User| {
            if let Some(n) = &name {
                u.name.clone_from(n);
            }
            if let Some(r) = role {
                u.role = r;
            }
            if let Some(d) = disabled {
                u.disabled = d;
            }
            if let Some(h) = &hash {
                u.password_hash.clone_from(h);
                // Every session signed in with the old password ends here.
                u.sessions_valid_after = Some(now);
            }
        })
        .await?
        .ok_or(ApiError::NotFound {
            code: "user_not_found",
            detail: "no user has this id".into(),
        })?;
    if updated.disabled {
        state.revoke_softphone(&updated).await;
    }
    // A new password is its own entry, so a reset never reads as a no-op update.
    if reset {
        state
            .audit(
                Some(me.id.clone()),
                "password_reset",
                updated.email.clone(),
                Some(me.address.clone()),
            )
            .await;
    }
    if other_fields || !reset {
        state
            .audit(
                Some(me.id),
                "user_updated",
                format!(
                    "{}: role {}, {}",
                    updated.email,
                    updated.role.as_str(),
                    if updated.disabled {
                        "disabled"
                    } else {
                        "enabled"
                    }
                ),
                Some(me.address),
            )
            .await;
    }
    Ok(Json(UserView::from(&updated)))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<usize>,
}

async fn audit(
    State(state): State<AuthState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(
        state.store.audit_entries(q.limit.unwrap_or(100)).await?,
    ))
}

/// The function's router, built from the process's wiring; the first administrator is created
/// from the configuration.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, StartError> {
    let state = AuthState::build(wiring).await?;
    Ok(router(state.bootstrap_from(&wiring.config).await?))
}
