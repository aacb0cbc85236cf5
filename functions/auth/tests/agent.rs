//! The signed-in user's agent side through the access layer: their own agent mode and phone
//! (`PATCH /api/auth/me`, validated, audited) and their softphone credential, against the real
//! SQLite store and the Telnyx emulator.

use auth::{AuthState, router, routes};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use edge::auth::AuthLayerState;
use ports::auth::{AuditLog, UserStore};
use serde_json::{Value, json};
use testkit::{emulator, memory_store, send};

const ADMIN: (&str, &str) = ("admin@example.com", "correct horse battery");
const AGENT: (&str, &str) = ("agent@example.com", "another horse battery");

struct Fixture {
    app: axum::Router,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
    state: AuthState,
}

async fn fixture(with_connection: bool) -> Fixture {
    let emulator = emulator(None).await;
    let store = memory_store();
    let wiring = testkit::wiring(&emulator, &store);
    let mut state = AuthState::build(&wiring).await.unwrap();
    state.passwords = edge::auth::Passwords::for_tests();
    if with_connection {
        let id = testkit::telnyx_client(&emulator)
            .create_credential_connection(
                "softphones",
                "softphoneuser1",
                &ports::Secret::new("pw-123456"),
            )
            .await
            .unwrap();
        state.agents.as_mut().unwrap().credential_connection_id = Some(id);
    } else {
        state.agents.as_mut().unwrap().credential_connection_id = None;
    }
    assert!(state.bootstrap_admin(ADMIN.0, ADMIN.1).await.unwrap());
    state
        .add_user(AGENT.0, "Agent", AGENT.1, domain::user::Role::Agent)
        .await
        .unwrap();
    let layer = AuthLayerState::new(
        state.signer.clone(),
        std::sync::Arc::new(store.clone()),
        std::sync::Arc::new(store.clone()),
        state.clock.clone(),
        &routes(),
    );
    let app = edge::http::finish(edge::auth::protect(router(state.clone()), layer));
    Fixture {
        app,
        store,
        emulator,
        state,
    }
}

impl Fixture {
    async fn req(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> testkit::Answer {
        let mut r = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            r = r.header("content-type", "application/json");
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        send(&self.app, r.body(Body::from(body)).unwrap()).await
    }

    async fn token(&self, who: (&str, &str)) -> String {
        let a = self
            .req(
                Method::POST,
                "/api/auth/sign-in",
                None,
                Some(json!({"email": who.0, "password": who.1})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body["token"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn agents_choose_their_own_mode_and_phone_validated_and_audited() {
    let f = fixture(false).await;
    let t = f.token(AGENT).await;
    let me = f.req(Method::GET, "/api/auth/me", Some(&t), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body["agent"],
        json!({"mode": null, "phone": null, "effective_mode": "none", "effective_phone": null})
    );

    let bad = f
        .req(
            Method::PATCH,
            "/api/auth/me",
            Some(&t),
            Some(json!({"agent_phone": "12"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_agent_phone");
    assert_eq!(bad.body["errors"][0]["field"], "agent_phone");
    let bad = f
        .req(
            Method::PATCH,
            "/api/auth/me",
            Some(&t),
            Some(json!({"agent_mode": "robot"})),
        )
        .await;
    assert_eq!(bad.code(), "invalid_request");
    let bad = f
        .req(
            Method::PATCH,
            "/api/auth/me",
            Some(&t),
            Some(json!({"agent_mode": "phone"})),
        )
        .await;
    assert_eq!(bad.code(), "agent_phone_required");

    let ok = f
        .req(
            Method::PATCH,
            "/api/auth/me",
            Some(&t),
            Some(json!({"agent_mode": "phone", "agent_phone": "(312) 555-0100"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        ok.body["agent"],
        json!({"mode": "phone", "phone": "+13125550100", "effective_mode": "phone", "effective_phone": "+13125550100"})
    );
    assert_eq!(ok.body["email"], AGENT.0);
    // null goes back to the team's default.
    let reset = f
        .req(
            Method::PATCH,
            "/api/auth/me",
            Some(&t),
            Some(json!({"agent_mode": null})),
        )
        .await;
    assert_eq!(reset.body["agent"]["mode"], Value::Null);
    assert_eq!(reset.body["agent"]["phone"], "+13125550100", "untouched");
    assert_eq!(reset.body["agent"]["effective_mode"], "none");
    let audit = f.store.audit_entries(50).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "agent_settings_changed")
            .count(),
        2,
        "refusals change nothing and are not audited as changes"
    );
}

#[tokio::test]
async fn the_token_needs_a_credential_connection() {
    let f = fixture(false).await;
    let t = f.token(AGENT).await;
    let a = f
        .req(Method::POST, "/api/webrtc/token", Some(&t), None)
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.code(), "webrtc_not_configured");
    assert!(
        f.emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains("telephony_credentials"))
    );
}

#[tokio::test]
async fn disabling_a_user_deletes_their_softphone_credential() {
    let f = fixture(true).await;
    let t = f.token(AGENT).await;
    let a = f
        .req(Method::POST, "/api/webrtc/token", Some(&t), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let user = f.store.user_by_email(AGENT.0).await.unwrap().unwrap();
    let credential = user.webrtc.clone().expect("kept with the user");
    assert_eq!(a.body["sip_username"], credential.sip_username.as_str());

    let admin = f.token(ADMIN).await;
    let d = f
        .req(
            Method::PATCH,
            &format!("/api/users/{}", user.id),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    let deleted = f
        .emulator
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "DELETE"
                && r.path == format!("/v2/telephony_credentials/{}", credential.credential_id)
        })
        .count();
    assert_eq!(deleted, 1);
    let user = f.store.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(user.webrtc.is_none(), "forgotten once deleted");
    let _ = &f.state;
}
