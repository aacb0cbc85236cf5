//! The Telnyx API key never comes back whole and never reaches the logs, captured at TRACE level
//! across our code, reqwest and hyper.

mod common;

use axum::http::StatusCode;
use common::{dial, fixture, get, put};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects everything `tracing` prints while a test runs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_api_key_is_write_only_and_never_logged() {
    let captured = Captured::default();
    let sink = captured.clone();
    // Global, in a test binary of its own: a thread-local subscriber misses events whose
    // callsites were first seen on other threads.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let f = fixture().await;
    let before = get(&f, "/api/settings").await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["telnyx_api_key"]["configured"], false);
    assert_eq!(before.body["telnyx_api_key"]["masked"], Value::Null);
    assert_eq!(before.body["telnyx_api_key"]["writable"], true);

    // The emulator's own key, set through the app: calls keep working with it.
    let key = f.emulator.config().api_key.clone();
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let saved = put(&f, json!({ "telnyx_api_key": key })).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let read = get(&f, "/api/settings").await;
    for answer in [&saved, &read] {
        assert_eq!(answer.body["telnyx_api_key"]["configured"], true);
        assert_eq!(
            answer.body["telnyx_api_key"]["masked"],
            format!("••••{tail}")
        );
        assert!(!answer.body.to_string().contains(&key), "{}", answer.body);
    }
    let placed = dial(
        &f,
        json!({"to_number": "+12125550100", "from_number": "+13125550201"}),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    // A bad key in the request body is reported without echoing it.
    let bad = put(&f, json!({ "telnyx_api_key": "short key" })).await;
    assert_eq!(bad.code(), "invalid_settings");
    assert!(!bad.body.to_string().contains("short key"));

    let logs = captured.text();
    assert!(
        logs.contains("settings updated"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(&key), "the key leaked into the logs");
}
