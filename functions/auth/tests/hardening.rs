//! Issue 17 on sign-in and user administration, through the access layer against the real
//! SQLite store: only failures count toward the sign-in limit, HEAD is allowed as its GET, a bad
//! audit query is a problem answer, every entry carries the caller's address and a password reset
//! reads as one.

use auth::SIGN_IN_PER_EMAIL;
use axum::http::{Method, StatusCode};
use chrono::Duration;
use ports::Clock;
use serde_json::json;

mod common;
use common::{ADDRESS, ADMIN, Fixture, fixture, req, sign_in};

const AGENT: (&str, &str) = ("agent@example.com", "agent password 1");

#[tokio::test]
async fn a_correct_password_is_never_limited_by_earlier_successes() {
    let f = fixture().await;
    for i in 0..(SIGN_IN_PER_EMAIL * 3) {
        let a = sign_in(&f, ADMIN.0, ADMIN.1).await;
        assert_eq!(a.status, StatusCode::OK, "sign-in {i}: {:?}", a.body);
    }
    // Failures still count: one short of the limit, the right password still works…
    for _ in 0..SIGN_IN_PER_EMAIL - 1 {
        assert_eq!(
            sign_in(&f, ADMIN.0, "wrong password!").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(sign_in(&f, ADMIN.0, ADMIN.1).await.status, StatusCode::OK);
    // …and at the limit, guessing stops, the right password included.
    assert_eq!(
        sign_in(&f, ADMIN.0, "wrong password!").await.status,
        StatusCode::UNAUTHORIZED
    );
    let limited = sign_in(&f, ADMIN.0, "wrong password!").await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    assert_eq!(
        sign_in(&f, ADMIN.0, ADMIN.1).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn head_is_allowed_to_whoever_may_get() {
    let f = fixture().await;
    let _ = with_agent(&f).await;
    let agent = token(&f, AGENT).await;
    let head = req(&f, Method::HEAD, "/api/auth/me", Some(&agent), None).await;
    assert_eq!(head.status, StatusCode::OK);
    // Still signed in only, and an admin GET stays admin-only for HEAD too.
    let anon = req(&f, Method::HEAD, "/api/auth/me", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let users = req(&f, Method::HEAD, "/api/users", Some(&agent), None).await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bad_audit_query_is_a_problem_answer() {
    let f = fixture().await;
    let admin = token(&f, ADMIN).await;
    for q in ["limit=abc", "limit=-1", "limit=1e3", "limit=%zz"] {
        let a = req(
            &f,
            Method::GET,
            &format!("/api/audit?{q}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(a.code(), "invalid_query", "{q}: {:?}", a.body);
        assert_eq!(a.content_type, "application/problem+json", "{q}");
    }
    let ok = req(&f, Method::GET, "/api/audit?limit=5", Some(&admin), None).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn admin_entries_carry_the_address_and_a_reset_reads_as_one() {
    let f = fixture().await;
    let (admin, agent_id) = with_agent(&f).await;
    let reset = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{agent_id}"),
        Some(&admin),
        Some(json!({"password": "a brand new password"})),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    let renamed = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{agent_id}"),
        Some(&admin),
        Some(json!({"name": "Renamed"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK);
    let out = req(&f, Method::POST, "/api/auth/sign-out", Some(&admin), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);

    let audit = f.state.store.audit_entries(20).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "sign_out",
            "user_updated",
            "password_reset",
            "user_created",
            "sign_in",
            "admin_bootstrapped"
        ]
    );
    assert_eq!(audit[2].detail, AGENT.0);
    for e in &audit[..5] {
        assert_eq!(e.ip.as_deref(), Some(ADDRESS), "{e:?}");
    }
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_that_user() {
    let f = fixture().await;
    let (admin, agent_id) = with_agent(&f).await;
    let before = [token(&f, AGENT).await, token(&f, AGENT).await];
    for t in &before {
        let me = req(&f, Method::GET, "/api/auth/me", Some(t), None).await;
        assert_eq!(me.status, StatusCode::OK);
    }
    let reset = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{agent_id}"),
        Some(&admin),
        Some(json!({"password": "a brand new password"})),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    for t in &before {
        let me = req(&f, Method::GET, "/api/auth/me", Some(t), None).await;
        assert_eq!(
            (me.status, me.code()),
            (StatusCode::UNAUTHORIZED, "session_ended"),
            "{:?}",
            me.body
        );
    }
    // Only that user's sessions: the admin who reset it is still signed in.
    let me = req(&f, Method::GET, "/api/auth/me", Some(&admin), None).await;
    assert_eq!(me.status, StatusCode::OK);
    // The old password no longer signs in; the new one does, from the next second on.
    assert_eq!(
        sign_in(&f, AGENT.0, AGENT.1).await.status,
        StatusCode::UNAUTHORIZED
    );
    f.clock.set(f.clock.now() + Duration::seconds(1));
    let fresh = token(&f, (AGENT.0, "a brand new password")).await;
    let me = req(&f, Method::GET, "/api/auth/me", Some(&fresh), None).await;
    assert_eq!(me.status, StatusCode::OK);
    // A change that is not a password leaves sessions alone.
    let renamed = req(
        &f,
        Method::PATCH,
        &format!("/api/users/{agent_id}"),
        Some(&admin),
        Some(json!({"name": "Renamed"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK);
    let me = req(&f, Method::GET, "/api/auth/me", Some(&fresh), None).await;
    assert_eq!(me.status, StatusCode::OK);
}

async fn token(f: &Fixture, who: (&str, &str)) -> String {
    let a = sign_in(f, who.0, who.1).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body["token"].as_str().unwrap().to_string()
}

/// The admin and an agent; returns (admin token, agent id).
async fn with_agent(f: &Fixture) -> (String, String) {
    let admin = token(f, ADMIN).await;
    let created = req(
        f,
        Method::POST,
        "/api/users",
        Some(&admin),
        Some(json!({"email": AGENT.0, "name": "Agent", "password": AGENT.1})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    (admin, created.body["id"].as_str().unwrap().to_string())
}
