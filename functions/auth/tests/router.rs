//! Sign-in and user administration through the access layer, against the real SQLite store.

use auth::{AuthState, router, routes};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration, Utc};
use edge::auth::{AuthLayerState, Passwords, TokenSigner};
use ports::Secret;
use serde_json::{Value, json};
use std::sync::Arc;
use testkit::{FixedClock, memory_store, send};

const ADMIN: (&str, &str) = ("admin@example.com", "correct horse battery");

struct Fixture {
    app: axum::Router,
    clock: Arc<FixedClock>,
    state: AuthState,
}

async fn fixture() -> Fixture {
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
    Fixture { app, clock, state }
}

async fn req(
    f: &Fixture,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> testkit::Answer {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-forwarded-for", "203.0.113.7");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        r = r.header("content-type", "application/json");
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(&f.app, r.body(Body::from(body)).unwrap()).await
}

async fn sign_in(f: &Fixture, email: &str, password: &str) -> testkit::Answer {
    req(
        f,
        Method::POST,
        "/api/auth/sign-in",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

#[tokio::test]
async fn sign_in_me_and_sign_out() {
    let f = fixture().await;
    let ok = sign_in(&f, " Admin@Example.com ", ADMIN.1).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["user"]["role"], "admin");
    assert!(ok.body["user"].get("password_hash").is_none());
    let token = ok.body["token"].as_str().unwrap().to_string();

    let me = req(&f, Method::GET, "/api/auth/me", Some(&token), None).await;
    assert_eq!(
        (me.status, me.body["email"].as_str()),
        (StatusCode::OK, Some(ADMIN.0))
    );

    assert_eq!(
        req(&f, Method::POST, "/api/auth/sign-out", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = req(&f, Method::GET, "/api/auth/me", Some(&token), None).await;
    assert_eq!(
        (after.status, after.code()),
        (StatusCode::UNAUTHORIZED, "session_expired")
    );

    let audit = f.state.store.audit_entries(10).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sign_out", "sign_in", "admin_bootstrapped"]);
    assert_eq!(audit[1].ip.as_deref(), Some("203.0.113.7"));
}

#[tokio::test]
async fn wrong_credentials_expired_and_tampered_tokens_are_refused() {
    let f = fixture().await;
    for (email, password) in [
        (ADMIN.0, "wrong password!"),
        ("nobody@example.com", ADMIN.1),
    ] {
        let answer = sign_in(&f, email, password).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        );
    }
    assert_eq!(
        sign_in(&f, "not an email", "x").await.status,
        StatusCode::BAD_REQUEST
    );
    let none = req(&f, Method::GET, "/api/auth/me", None, None).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "sign_in_required")
    );

    let token = sign_in(&f, ADMIN.0, ADMIN.1).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let answer = req(&f, Method::GET, "/api/auth/me", Some(&tampered), None).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    f.clock.set(Utc::now() + Duration::hours(9));
    let answer = req(&f, Method::GET, "/api/auth/me", Some(&token), None).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "session_expired")
    );
}

#[tokio::test]
async fn password_guessing_hits_a_rate_limit() {
    let f = fixture().await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(sign_in(&f, ADMIN.0, "wrong password!").await);
    }
    assert!(
        statuses[..5]
            .iter()
            .all(|a| a.status == StatusCode::UNAUTHORIZED)
    );
    let limited = &statuses[5];
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    // even the right password is refused until the window passes
    assert_eq!(
        sign_in(&f, ADMIN.0, ADMIN.1).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    f.clock.set(Utc::now() + Duration::seconds(301));
    assert_eq!(sign_in(&f, ADMIN.0, ADMIN.1).await.status, StatusCode::OK);
}

#[tokio::test]
async fn roles_gate_user_administration_and_changes_apply_at_once() {
    let f = fixture().await;
    let admin = sign_in(&f, ADMIN.0, ADMIN.1).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let created = req(
        &f,
        Method::POST,
        "/api/users",
        Some(&admin),
        Some(
            json!({"email": "agent@example.com", "name": "Agent", "password": "agent password 1"}),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["role"], "agent");
    let dup = req(
        &f,
        Method::POST,
        "/api/users",
        Some(&admin),
        Some(
            json!({"email": "AGENT@example.com", "name": "Again", "password": "agent password 1"}),
        ),
    )
    .await;
    assert_eq!(
        (dup.status, dup.code()),
        (StatusCode::CONFLICT, "email_taken")
    );
    let bad = req(
        &f,
        Method::POST,
        "/api/users",
        Some(&admin),
        Some(json!({"email": "x", "password": "short"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "name"]);

    let agent = sign_in(&f, "agent@example.com", "agent password 1")
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let forbidden = req(&f, Method::GET, "/api/users", Some(&agent), None).await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        req(&f, Method::GET, "/api/auth/me", Some(&agent), None)
            .await
            .status,
        StatusCode::OK
    );

    let agent_id = created.body["id"].as_str().unwrap();
    let disabled = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{agent_id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(disabled.body["disabled"], true);
    let locked = req(&f, Method::GET, "/api/auth/me", Some(&agent), None).await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::UNAUTHORIZED, "account_disabled")
    );

    let me_id = req(&f, Method::GET, "/api/auth/me", Some(&admin), None)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let self_lock = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{me_id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(self_lock.code(), "cannot_lock_yourself_out");
    let missing = req(
        &f,
        Method::PATCH,
        "/api/users/nope",
        Some(&admin),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "user_not_found")
    );
}
