//! The auth router behind the access layer, on the real SQLite store, as each suite here uses it.
#![allow(dead_code)]

use auth::{AuthState, router, routes};
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::{Duration, Utc};
use edge::auth::{AuthLayerState, Passwords, TokenSigner};
use ports::Secret;
use serde_json::{Value, json};
use std::sync::Arc;
use testkit::{FixedClock, memory_store, send};

pub const ADMIN: (&str, &str) = ("admin@example.com", "correct horse battery");
pub const ADDRESS: &str = "203.0.113.7";

pub struct Fixture {
    pub app: axum::Router,
    pub state: AuthState,
    pub clock: Arc<FixedClock>,
}

pub async fn fixture() -> Fixture {
    let store = memory_store();
    let clock = FixedClock::at(Utc::now());
    let signer = TokenSigner::new(Secret::new("x".repeat(40)), Duration::hours(8)).unwrap();
    let state = AuthState {
        store: Arc::new(store.clone()),
        signer: signer.clone(),
        passwords: Passwords::for_tests(),
        clock: clock.clone(),
        agents: None,
    };
    assert!(state.bootstrap_admin(ADMIN.0, ADMIN.1).await.unwrap());
    assert!(
        !state
            .bootstrap_admin("other@example.com", ADMIN.1)
            .await
            .unwrap(),
        "only once"
    );
    let layer = AuthLayerState::new(
        signer,
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        clock.clone(),
        &routes(),
    );
    let app = edge::http::finish(edge::auth::protect(router(state.clone()), layer));
    Fixture { app, state, clock }
}

pub async fn req(
    f: &Fixture,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> testkit::Answer {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-forwarded-for", ADDRESS);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        r = r.header("content-type", "application/json");
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(&f.app, r.body(Body::from(body)).unwrap()).await
}

pub async fn sign_in(f: &Fixture, email: &str, password: &str) -> testkit::Answer {
    req(
        f,
        Method::POST,
        "/api/auth/sign-in",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}
