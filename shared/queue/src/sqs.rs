//! The production event queue: Amazon SQS through `aws-sdk-sqs`.
//!
//! The message body is the [`QueuedEvent`] as JSON (Telnyx's signed body stays byte-exact inside
//! it). The processor Lambda receives batches through the SQS event source and decodes each
//! record with [`decode_record`]; [`SqsQueue::receive`], [`SqsQueue::delete`] and
//! [`SqsQueue::release`] serve tests and a local SQS runner that polls the queue itself.
//!
//! The endpoint follows the SDK's standard configuration, so `AWS_ENDPOINT_URL_SQS` (or
//! `AWS_ENDPOINT_URL`) points it at a local stand-in; region and credentials come from the usual
//! environment variables (Lambda sets them).

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_lambda_events::event::sqs::SqsMessage;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use ports::{EventQueue, QueueError, QueuedEvent};
use std::time::Duration;

/// Telnyx retries a webhook not answered within 2 s; the webhook function must report an
/// unreachable queue (5xx) well before that, retries included.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_millis(1500);

/// Loads the shared AWS configuration (region, credentials, endpoint overrides) from the
/// environment, with an HTTPS client on rustls/ring and a short connect timeout. Build it once
/// per process and derive every client from it.
pub async fn load_sdk_config() -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .build(),
        )
        .load()
        .await
}

/// The SDK, for callers that manage queues (tests, stand-in scripts) without a second copy of it.
pub use aws_sdk_sqs;

/// Creates (or finds: `CreateQueue` is idempotent for identical attributes) an events queue and
/// its dead-letter queue `<name>-dlq`, with a redrive policy moving a message there after
/// `max_receive_count` failed receives. In AWS the SAM template does this; this is for the local
/// stand-ins and tests. Returns `(queue_url, dlq_url)`.
pub async fn create_queue_with_dlq(
    client: &Client,
    name: &str,
    max_receive_count: u32,
    visibility_timeout: Duration,
) -> Result<(String, String), QueueError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        // The longest SQS allows, so a dead letter waits for a person (and a redrive).
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| unavailable(describe(&e)))?
        .queue_url
        .ok_or_else(|| QueueError::Unavailable("CreateQueue returned no URL".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| unavailable(describe(&e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError::Unavailable("the dead-letter queue has no ARN".into()))?;
    let policy = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receive_count.to_string(),
    });
    let url = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_timeout.as_secs().to_string(),
        )
        .send()
        .await
        .map_err(|e| unavailable(describe(&e)))?
        .queue_url
        .ok_or_else(|| QueueError::Unavailable("CreateQueue returned no URL".into()))?;
    Ok((url, dlq_url))
}

/// A queue message that could not be turned back into a [`QueuedEvent`]. Permanent: the
/// message will never decode, so it belongs in the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("SQS message {message_id} has no body")]
    MissingBody { message_id: String },
    #[error("SQS message {message_id} is not a queued event: {reason}")]
    Invalid { message_id: String, reason: String },
}

/// The message body for an event.
pub fn encode_body(event: &QueuedEvent) -> String {
    serde_json::to_string(event).expect("a QueuedEvent always serialises")
}

/// Decodes one message body; `message_id` only labels the error.
pub fn decode_body(message_id: &str, body: &str) -> Result<QueuedEvent, DecodeError> {
    serde_json::from_str(body).map_err(|e| DecodeError::Invalid {
        message_id: message_id.to_string(),
        reason: e.to_string(),
    })
}

/// Decodes one record of the Lambda SQS event the processor receives.
pub fn decode_record(record: &SqsMessage) -> Result<QueuedEvent, DecodeError> {
    let message_id = record.message_id.as_deref().unwrap_or("(no id)");
    let body = record
        .body
        .as_deref()
        .ok_or_else(|| DecodeError::MissingBody {
            message_id: message_id.to_string(),
        })?;
    decode_body(message_id, body)
}

/// One message taken from the queue by [`SqsQueue::receive`]; invisible to other consumers
/// until its visibility timeout ends, deleted only by [`SqsQueue::delete`].
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub message_id: String,
    pub receipt_handle: String,
    /// SQS's `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
    pub event: Result<QueuedEvent, DecodeError>,
}

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    send_timeout: Duration,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

/// The SDK's errors print only their kind; the source chain says what actually failed.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            send_timeout: DEFAULT_SEND_TIMEOUT,
        }
    }

    /// A queue on a client built from [`load_sdk_config`].
    pub async fn from_env(queue_url: impl Into<String>) -> Self {
        Self::new(Client::new(&load_sdk_config().await), queue_url)
    }

    /// Overall bound on one `send`, SDK retries included.
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Takes up to `max` (1..=10) messages, waiting up to `wait` (long poll, whole seconds,
    /// at most 20) for the first. `visibility` overrides the queue's visibility timeout for
    /// these messages.
    pub async fn receive(
        &self,
        max: i32,
        wait: Duration,
        visibility: Option<Duration>,
    ) -> Result<Vec<ReceivedEvent>, QueueError> {
        let mut request = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount);
        if let Some(v) = visibility {
            request = request.visibility_timeout(v.as_secs() as i32);
        }
        let output = request
            .send()
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        Ok(output
            .messages()
            .iter()
            .map(|m| {
                let message_id = m.message_id().unwrap_or("(no id)").to_string();
                let receive_count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                let event = match m.body() {
                    Some(body) => decode_body(&message_id, body),
                    None => Err(DecodeError::MissingBody {
                        message_id: message_id.clone(),
                    }),
                };
                ReceivedEvent {
                    receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
                    message_id,
                    receive_count,
                    event,
                }
            })
            .collect())
    }

    /// Acknowledges a processed message.
    pub async fn delete(&self, receipt_handle: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        Ok(())
    }

    /// Gives a message back for redelivery after `after` (zero: at once), counting towards the
    /// queue's `maxReceiveCount` like any failed delivery.
    pub async fn release(&self, receipt_handle: &str, after: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(after.as_secs() as i32)
            .send()
            .await
            .map_err(|e| unavailable(describe(&e)))?;
        Ok(())
    }
}

#[async_trait]
impl EventQueue for SqsQueue {
    async fn send(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        let request = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(encode_body(event))
            .send();
        // SQS has stored the message redundantly once SendMessage succeeds: that is "durable".
        match tokio::time::timeout(self.send_timeout, request).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unavailable(describe(&e))),
            Err(_) => Err(QueueError::Unavailable(format!(
                "SQS did not accept the message within {:?}",
                self.send_timeout
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn event() -> QueuedEvent {
        QueuedEvent {
            body: r#"{"data":{"id":"e1","event_type":"call.answered"}}"#.into(),
            telnyx_timestamp: 1_760_000_000,
            received_at: Utc.timestamp_micros(1_760_000_000_123_456).unwrap(),
        }
    }

    fn record(body: Option<&str>) -> SqsMessage {
        let mut r = SqsMessage::default();
        r.message_id = Some("m-1".into());
        r.body = body.map(str::to_string);
        r
    }

    #[test]
    fn a_record_body_decodes_back_to_the_event() {
        let e = event();
        assert_eq!(decode_record(&record(Some(&encode_body(&e)))), Ok(e));
    }

    #[test]
    fn garbage_and_missing_bodies_are_clear_errors() {
        let err = decode_record(&record(Some("not json"))).unwrap_err();
        assert!(matches!(&err, DecodeError::Invalid { message_id, .. } if message_id == "m-1"));
        assert!(err.to_string().contains("m-1"), "{err}");
        // valid JSON of the wrong shape (e.g. a raw Telnyx webhook enqueued by mistake)
        assert!(matches!(
            decode_record(&record(Some(r#"{"data":{}}"#))),
            Err(DecodeError::Invalid { .. })
        ));
        assert_eq!(
            decode_record(&record(None)),
            Err(DecodeError::MissingBody {
                message_id: "m-1".into()
            })
        );
    }

    #[test]
    fn a_lambda_sqs_event_fixture_decodes() {
        let body = encode_body(&event());
        let fixture = serde_json::json!({
            "Records": [{
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events",
                "awsRegion": "us-east-1"
            }]
        });
        let parsed: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(fixture).unwrap();
        assert_eq!(decode_record(&parsed.records[0]), Ok(event()));
    }
}
