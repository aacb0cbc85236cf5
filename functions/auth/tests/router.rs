//! Sign-in and user administration through the access layer, against the real SQLite store.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::json;

mod common;
use common::{ADMIN, fixture, req, sign_in};

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
