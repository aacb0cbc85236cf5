//! The webhook in front of real SQS (the moto stand-in): while SQS cannot be reached it answers
//! 5xx in time for Telnyx to retry, and the retry lands exactly once, byte for byte. Needs
//! `AWS_ENDPOINT_URL_SQS` (scripts/standins.sh); skips loudly without it, or fails under
//! `REQUIRE_STANDINS=1`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use ports::EventQueue;
use queue::sqs::aws_sdk_sqs;
use queue::sqs::{SqsQueue, create_queue_with_dlq, load_sdk_config};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::{FixedClock, send};
use webhook::{WebhookState, router};

// The published test vector (reference §4.2), as in tests/router.rs.
const KEY: &str = "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik=";
const TS: &str = "1757594018";
const BODY: &str = r#"{"data":{"event_type":"call.hangup","id":"f95c9c17-8dd9-4360-acc1-de74a6c2027a","occurred_at":"2025-09-11T12:33:37.840802Z","payload":{"call_control_id":"v3:vZdWG4JkwAHwEj4KBrAFeLprgbHYQVN8qt9rAhmO8fQRZ5ohsjz1jw","call_leg_id":"876b7aec-8f0b-11f0-a6b2-02420a1f0b69","call_session_id":"876b6c5a-8f0b-11f0-9f1e-02420a1f0b69","client_state":null,"connection_id":"2774993960299398855","end_time":"2025-09-11T12:33:37.840802Z","from":"+12037206619","hangup_cause":"normal_clearing","hangup_source":"caller","sip_hangup_cause":"200","start_time":"2025-09-11T12:33:32.760802Z","to":"+18004377950"},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks/telnyx"}}"#;
const SIG: &str =
    "EC41HS3/oxUQX+rqRT/en2I/nGszRYxitemrFZQ8YHmLxoCSb8/17XJai8gC+TLx2w65QSveDL4MrhPXnNRnAA==";

fn endpoint() -> Option<String> {
    match std::env::var("AWS_ENDPOINT_URL_SQS") {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            let why = "AWS_ENDPOINT_URL_SQS is not set";
            if std::env::var("REQUIRE_STANDINS").is_ok_and(|v| v.trim() == "1") {
                panic!("webhook sqs_outage: {why}, and REQUIRE_STANDINS=1");
            }
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED webhook sqs_outage: {why} (start scripts/standins.sh and source its env file)"
            );
            None
        }
    }
}

fn webhook(queue: Arc<dyn EventQueue>) -> axum::Router {
    edge::http::finish(router(WebhookState {
        verifier: telnyx::WebhookVerifier::from_base64(KEY),
        queue,
        clock: FixedClock::at(Utc.timestamp_opt(TS.parse().unwrap(), 0).unwrap()),
    }))
}

fn delivery() -> Request<Body> {
    Request::post("/api/webhooks/telnyx")
        .header("content-type", "application/json")
        .header("telnyx-timestamp", TS)
        .header("telnyx-signature-ed25519", SIG)
        .body(Body::from(BODY))
        .unwrap()
}

/// The same queue URL, but the endpoint has nothing listening: SQS is down.
fn unreachable(queue_url: &str) -> SqsQueue {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    SqsQueue::new(aws_sdk_sqs::Client::from_conf(config), queue_url)
}

#[tokio::test]
async fn an_sqs_outage_answers_503_in_time_and_the_retry_lands_once() {
    if endpoint().is_none() {
        return;
    }
    let client = aws_sdk_sqs::Client::new(&load_sdk_config().await);
    let name = format!("webhook-outage-{}", &uuid_suffix());
    let (url, _dlq) = create_queue_with_dlq(&client, &name, 5, Duration::from_secs(30))
        .await
        .unwrap();

    let down = webhook(Arc::new(unreachable(&url)));
    let started = Instant::now();
    let answer = send(&down, delivery()).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.code(), "queue_unavailable");
    assert!(
        started.elapsed() < Duration::from_millis(1900),
        "Telnyx waits 2 s: the outage took {:?} to answer",
        started.elapsed()
    );

    // Telnyx retries the same signed bytes; SQS is back.
    let healthy = SqsQueue::new(client.clone(), url.clone());
    let up = webhook(Arc::new(healthy.clone()));
    let retry = send(&up, delivery()).await;
    assert_eq!(retry.status, StatusCode::OK, "{:?}", retry.body);

    // Exactly one message, the exact bytes. Absence of a second one is shown by draining until
    // a long poll comes back empty.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    loop {
        let batch = healthy
            .receive(10, Duration::from_secs(1), Some(Duration::from_secs(30)))
            .await
            .unwrap();
        if batch.is_empty() && !got.is_empty() {
            break;
        }
        got.extend(batch);
        assert!(Instant::now() < deadline, "the retried event never arrived");
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let event = got[0].event.as_ref().unwrap();
    assert_eq!(event.body, BODY);
    assert_eq!(event.telnyx_timestamp, TS.parse::<i64>().unwrap());
    let _ = client.delete_queue().queue_url(&url).send().await;
}

fn uuid_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}
