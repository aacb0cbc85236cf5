//! Shared fixture: the settings and dial routers over one SQLite store and the emulator.
#![allow(dead_code)]

use axum::http::Method;
use ports::Secret;
use ports::SystemClock;
use serde_json::Value;
use settings::{SettingsState, router};
use std::sync::Arc;
use std::time::Duration;
use store_sqlite::SqliteStore;
use telnyx::configured::{ConfiguredTelnyx, TelnyxDefaults};
use telnyx::numbers::CachedInventory;
use telnyx::probe::EmulatorProbe;
use testkit::{Answer, Emulator, call, memory_store};

pub struct Fixture {
    pub store: SqliteStore,
    pub emulator: Emulator,
    pub settings: axum::Router,
    pub dial: axum::Router,
}

pub async fn fixture_with(webhook_url: Option<String>) -> Fixture {
    let emulator = testkit::emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let telnyx = Arc::new(ConfiguredTelnyx::new(
        TelnyxDefaults {
            api_base: emulator.base_url(),
            api_key: Secret::new(emulator.config().api_key.clone()),
            connection_id: emulator.config().connection_id.clone(),
            webhook_url: None,
        },
        Arc::new(store.clone()),
        Arc::new(store.clone()),
    ));
    let numbers = Arc::new(CachedInventory::new(
        telnyx.clone(),
        Duration::from_secs(60),
    ));
    let settings = edge::http::finish(router(SettingsState {
        settings: Arc::new(store.clone()),
        secrets: Arc::new(store.clone()),
        numbers: numbers.clone(),
        probe: Arc::new(EmulatorProbe::new(&emulator.root_url())),
        webhook_url,
        deployment_public_key: emulator.public_key_base64(),
        deployment_connection_id: emulator.config().connection_id.clone(),
        default_country: "US".into(),
        probe_deadline: Duration::from_secs(5),
        deployment_managed_secrets: false,
        audit: Arc::new(store.clone()),
    }));
    let dial = edge::http::finish(dial::router(dial::DialState {
        calls: Arc::new(store.clone()),
        telnyx: telnyx.clone(),
        commander: testkit::commander(telnyx.clone(), &store),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        ring_timeout_secs: 30,
        call_time_limit_secs: 3600,
        policy: dial::DialPolicy::from_store(numbers, Vec::new(), Arc::new(store.clone())),
    }));
    Fixture {
        store,
        emulator,
        settings,
        dial,
    }
}

pub async fn fixture() -> Fixture {
    fixture_with(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await
}

pub async fn put(f: &Fixture, body: Value) -> Answer {
    call(
        &f.settings,
        Method::PUT,
        "/api/settings",
        Some(&body.to_string()),
    )
    .await
}

pub async fn get(f: &Fixture, uri: &str) -> Answer {
    call(&f.settings, Method::GET, uri, None).await
}

pub async fn dial(f: &Fixture, body: Value) -> Answer {
    call(
        &f.dial,
        Method::POST,
        "/api/telnyx/dial",
        Some(&body.to_string()),
    )
    .await
}

/// Serves the real webhook router on a loopback port, verifying with `public_key`.
pub async fn webhook_endpoint(public_key: &str) -> (String, Arc<testkit::CollectingQueue>) {
    let queue = Arc::new(testkit::CollectingQueue::default());
    let app = webhook::router(webhook::WebhookState {
        verifier: telnyx::WebhookVerifier::from_base64(public_key),
        queue: queue.clone(),
        clock: Arc::new(SystemClock),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api/webhooks/telnyx"), queue)
}

/// The same store and emulator behind a settings router with another webhook URL.
pub async fn rebuild_with_emulator(f: Fixture, webhook_url: Option<String>) -> Fixture {
    let telnyx = Arc::new(ConfiguredTelnyx::new(
        TelnyxDefaults {
            api_base: f.emulator.base_url(),
            api_key: Secret::new(f.emulator.config().api_key.clone()),
            connection_id: f.emulator.config().connection_id.clone(),
            webhook_url: None,
        },
        Arc::new(f.store.clone()),
        Arc::new(f.store.clone()),
    ));
    let settings = edge::http::finish(router(SettingsState {
        settings: Arc::new(f.store.clone()),
        secrets: Arc::new(f.store.clone()),
        numbers: Arc::new(CachedInventory::new(telnyx, Duration::from_secs(60))),
        probe: Arc::new(EmulatorProbe::new(&f.emulator.root_url())),
        webhook_url,
        deployment_public_key: f.emulator.public_key_base64(),
        deployment_connection_id: f.emulator.config().connection_id.clone(),
        default_country: "US".into(),
        probe_deadline: Duration::from_secs(5),
        deployment_managed_secrets: false,
        audit: Arc::new(f.store.clone()),
    }));
    Fixture { settings, ..f }
}
