//! The access layer: every matched route is classified (public, agent, admin) and checked before
//! its handler runs. A route with no classification is refused, so a new endpoint cannot be
//! left open by forgetting it.

use super::route::{Access, Route};
use super::token::TokenSigner;
use crate::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::user::Role;
use ports::SharedClock;
use ports::auth::{Revocations, UserStore};
use std::collections::HashMap;
use std::sync::Arc;

/// The signed-in user, for handlers that need to know who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub token_id: String,
    pub token_expires: i64,
    /// The caller's address (`crate::http::client_address`), for the audit trail.
    pub address: String,
}

#[derive(Clone)]
pub struct AuthLayerState {
    pub signer: TokenSigner,
    pub users: Arc<dyn UserStore>,
    pub revocations: Arc<dyn Revocations>,
    pub clock: SharedClock,
    /// (method, route pattern) → who may call it.
    pub rules: Arc<HashMap<(Method, String), Access>>,
}

impl AuthLayerState {
    pub fn new(
        signer: TokenSigner,
        users: Arc<dyn UserStore>,
        revocations: Arc<dyn Revocations>,
        clock: SharedClock,
        routes: &[Route],
    ) -> Self {
        Self {
            signer,
            users,
            revocations,
            clock,
            rules: Self::rules_from(routes),
        }
    }

    pub fn rules_from(routes: &[Route]) -> Arc<HashMap<(Method, String), Access>> {
        Arc::new(
            routes
                .iter()
                .map(|r| {
                    (
                        (
                            r.method.parse().expect("route methods are valid"),
                            r.path.to_string(),
                        ),
                        r.access,
                    )
                })
                .collect(),
        )
    }
}

/// Puts every route of `router` behind the access layer. `route_layer` runs it only for matched
/// routes, so unknown paths still answer 404 and wrong methods 405.
pub fn protect<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    access: AuthLayerState,
) -> axum::Router<S> {
    router.route_layer(axum::middleware::from_fn_with_state(access, require_access))
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

pub async fn require_access(
    State(state): State<AuthLayerState>,
    mut req: Request,
    next: Next,
) -> Response {
    match check(&state, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AuthLayerState, req: &mut Request) -> Result<(), ApiError> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    // axum answers HEAD with the GET handler, so HEAD is allowed to whoever may GET.
    let method = if req.method() == Method::HEAD {
        Method::GET
    } else {
        req.method().clone()
    };
    let needed = state
        .rules
        .get(&(method, path))
        .copied()
        .unwrap_or(Access::Role(Role::Admin));
    let Access::Role(needed) = needed else {
        return Ok(());
    };
    let token = bearer(req).ok_or(ApiError::Unauthorized {
        code: "sign_in_required",
        detail: "sign in to use this".into(),
    })?;
    let claims =
        state
            .signer
            .verify(token, state.clock.now())
            .map_err(|e| ApiError::Unauthorized {
                code: match e {
                    super::token::TokenError::Expired => "session_expired",
                    _ => "invalid_token",
                },
                detail: e.to_string(),
            })?;
    if state.revocations.is_revoked(&claims.jti).await? {
        return Err(ApiError::Unauthorized {
            code: "session_expired",
            detail: "this session was signed out; sign in again".into(),
        });
    }
    // The stored user, not the token, decides: a disabled or demoted user loses access at once.
    let user = state
        .users
        .user_by_id(&claims.sub)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(ApiError::Unauthorized {
            code: "account_disabled",
            detail: "this account is disabled or no longer exists".into(),
        })?;
    if !user.session_is_current(claims.iat) {
        return Err(ApiError::Unauthorized {
            code: "session_ended",
            detail: "the password changed since this session signed in; sign in again".into(),
        });
    }
    if !user.role.allows(needed) {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: format!("this needs the {} role", needed.as_str()),
        });
    }
    let address = crate::http::client_address(req.headers());
    req.extensions_mut().insert(CurrentUser {
        id: user.id,
        email: user.email,
        role: user.role,
        token_id: claims.jti,
        token_expires: claims.exp,
        address,
    });
    Ok(())
}
