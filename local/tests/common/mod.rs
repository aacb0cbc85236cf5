//! Signing in to a running stack, for the tests that drive it over HTTP.

#![allow(dead_code)]

use local::DemoAccounts;
use serde_json::{Value, json};

/// A session token for one of the demo accounts the stack created at start.
pub async fn token(url: &str, email: &str, password: &str) -> String {
    let answer = reqwest::Client::new()
        .post(format!("{url}/api/auth/sign-in"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("sign-in answers");
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "sign-in as {email}: {body}");
    body["token"].as_str().expect("a token").to_string()
}

/// Sessions of the demo agent and the demo admin.
pub async fn demo_tokens(url: &str) -> (String, String) {
    let agent = token(url, DemoAccounts::AGENT_EMAIL, DemoAccounts::AGENT_PASSWORD).await;
    let admin = token(url, DemoAccounts::ADMIN_EMAIL, DemoAccounts::ADMIN_PASSWORD).await;
    (agent, admin)
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

pub async fn agent(url: &str) -> reqwest::Client {
    client_with(&token(url, DemoAccounts::AGENT_EMAIL, DemoAccounts::AGENT_PASSWORD).await)
}

pub async fn admin(url: &str) -> reqwest::Client {
    client_with(&token(url, DemoAccounts::ADMIN_EMAIL, DemoAccounts::ADMIN_PASSWORD).await)
}

/// The whole stack in this process on free ports, with a fresh data directory and a fast
/// emulator clock.
pub async fn stack() -> (local::Stack, tempfile::TempDir) {
    stack_with(wiring::Config::default()).await
}

pub async fn stack_with(config: wiring::Config) -> (local::Stack, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = wiring::Config {
        data_dir: dir.path().to_path_buf(),
        ..config
    };
    let settings = local::Settings {
        host: "127.0.0.1".into(),
        port: 0,
        emulator_port: 0,
        frontend_dir: dir.path().join("no-frontend"),
        config,
        emulator: emulator::EmulatorConfig {
            time_scale: 0.05,
            ..Default::default()
        },
    };
    (local::Stack::start(settings).await.unwrap(), dir)
}
