//! The queue contract: what the webhook function relies on from any `EventQueue` (a sent event
//! reaches the consumer intact; an unreachable queue is reported, fast, as `Unavailable`), run
//! against the in-process queue always and against SQS when `AWS_ENDPOINT_URL_SQS` points at a
//! server (moto from scripts/standins.sh). SQS-only cases cover what the processor relies on:
//! delete acknowledges, an unacknowledged message comes back, poison ends in the DLQ.

mod common;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use ports::{EventQueue, MessageHandler, QueueError, QueuedEvent};
use queue::memory::{InProcessQueue, QueueOptions};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A queue under test plus a way to consume from it.
#[async_trait]
trait Harness: Send + Sync {
    fn queue(&self) -> &dyn EventQueue;
    /// Acknowledges and returns what the consumer got, once at least `n` events arrived or
    /// `deadline` passed.
    async fn consume(&self, n: usize, deadline: Duration) -> Vec<QueuedEvent>;
    /// A queue of the same kind whose backend cannot be reached.
    async fn unreachable(&self) -> Box<dyn EventQueue>;
}

fn events() -> Vec<QueuedEvent> {
    let at = |us: i64| Utc.timestamp_micros(1_767_225_600_000_000 + us).unwrap();
    let mut out: Vec<QueuedEvent> = (0..4)
        .map(|i| QueuedEvent {
            body: format!(
                r#"{{"data":{{"id":"ev-{i}","event_type":"call.answered","payload":{{"client_state":"YWJj"}}}},"meta":{{"attempt":1}}}}"#
            ),
            telnyx_timestamp: 1_767_225_600 + i,
            received_at: at(i),
        })
        .collect();
    // Telnyx bodies are a few KB; a large one with non-ASCII text and escapes must survive
    // byte for byte (the signature covers every byte).
    out.push(QueuedEvent {
        body: format!(
            "{{\"data\":{{\"id\":\"ev-big\",\"note\":\"{}\"}}}}\n",
            "☎ ünïcödé \\\"quoted\\\" \t ".repeat(2_000)
        ),
        telnyx_timestamp: 1_767_225_700,
        received_at: at(123_456),
    });
    out
}

fn sorted(mut v: Vec<QueuedEvent>) -> Vec<QueuedEvent> {
    v.sort_by(|a, b| a.body.cmp(&b.body));
    v
}

mod cases {
    use super::*;

    pub async fn sent_events_arrive_intact(h: &dyn Harness) {
        let sent = events();
        for e in &sent {
            h.queue().send(e).await.unwrap();
        }
        let got = h.consume(sent.len(), Duration::from_secs(30)).await;
        // Neither queue promises order (standard SQS does not): compare as sets.
        assert_eq!(sorted(got), sorted(sent));
    }

    pub async fn an_unreachable_queue_is_unavailable_fast(h: &dyn Harness) {
        let broken = h.unreachable().await;
        let started = Instant::now();
        let result = common::within(
            Duration::from_secs(10),
            "send during an outage",
            broken.send(&events()[0]),
        )
        .await;
        assert!(
            matches!(result, Err(QueueError::Unavailable(_))),
            "{result:?}"
        );
        // The webhook must answer Telnyx within 2 s, this included.
        assert!(
            started.elapsed() < Duration::from_millis(1900),
            "outage took {:?} to report",
            started.elapsed()
        );
    }
}

struct Collector {
    got: Mutex<Vec<QueuedEvent>>,
    arrived: tokio::sync::Notify,
}

#[async_trait]
impl MessageHandler for Collector {
    async fn handle(&self, event: &QueuedEvent) -> Result<(), String> {
        self.got.lock().unwrap().push(event.clone());
        self.arrived.notify_waiters();
        Ok(())
    }
}

struct InProcessHarness {
    queue: InProcessQueue,
    collector: Arc<Collector>,
}

impl InProcessHarness {
    fn start() -> Self {
        let collector = Arc::new(Collector {
            got: Mutex::new(Vec::new()),
            arrived: tokio::sync::Notify::new(),
        });
        let queue = InProcessQueue::start(collector.clone(), QueueOptions::default());
        Self { queue, collector }
    }
}

#[async_trait]
impl Harness for InProcessHarness {
    fn queue(&self) -> &dyn EventQueue {
        &self.queue
    }

    async fn consume(&self, n: usize, deadline: Duration) -> Vec<QueuedEvent> {
        let _ = tokio::time::timeout(deadline, async {
            loop {
                let arrived = self.collector.arrived.notified();
                if self.collector.got.lock().unwrap().len() >= n {
                    return;
                }
                arrived.await;
            }
        })
        .await;
        std::mem::take(&mut *self.collector.got.lock().unwrap())
    }

    async fn unreachable(&self) -> Box<dyn EventQueue> {
        let broken = InProcessHarness::start();
        broken.queue.set_available(false);
        Box::new(broken.queue)
    }
}

#[tokio::test]
async fn in_process_sent_events_arrive_intact() {
    cases::sent_events_arrive_intact(&InProcessHarness::start()).await;
}

#[tokio::test]
async fn in_process_an_unreachable_queue_is_unavailable_fast() {
    cases::an_unreachable_queue_is_unavailable_fast(&InProcessHarness::start()).await;
}

mod sqs {
    use super::*;
    use aws_sdk_sqs::config::{Credentials, Region};
    use aws_sdk_sqs::types::QueueAttributeName;
    use queue::sqs::{ReceivedEvent, SqsQueue, load_sdk_config};

    /// A fresh queue on the stand-in; `None` (after the loud skip) when there is none.
    async fn fresh_queue(
        test: &str,
        attributes: &[(QueueAttributeName, String)],
    ) -> Option<SqsQueue> {
        common::standin("AWS_ENDPOINT_URL_SQS", test)?;
        let client = aws_sdk_sqs::Client::new(&load_sdk_config().await);
        let mut create = client.create_queue().queue_name(common::unique("contract"));
        for (k, v) in attributes {
            create = create.attributes(k.clone(), v);
        }
        let url = create.send().await.unwrap().queue_url.unwrap();
        Some(SqsQueue::new(client, url))
    }

    struct SqsHarness {
        queue: SqsQueue,
    }

    #[async_trait]
    impl Harness for SqsHarness {
        fn queue(&self) -> &dyn EventQueue {
            &self.queue
        }

        async fn consume(&self, n: usize, deadline: Duration) -> Vec<QueuedEvent> {
            let until = Instant::now() + deadline;
            let mut got = Vec::new();
            while got.len() < n && Instant::now() < until {
                for m in self
                    .queue
                    .receive(10, Duration::from_secs(1), None)
                    .await
                    .unwrap()
                {
                    self.queue.delete(&m.receipt_handle).await.unwrap();
                    got.push(m.event.unwrap());
                }
            }
            got
        }

        async fn unreachable(&self) -> Box<dyn EventQueue> {
            Box::new(unreachable_sqs())
        }
    }

    /// Explicit region and credentials: this must fail for the outage, not for missing config.
    fn unreachable_sqs() -> SqsQueue {
        let endpoint = format!("http://127.0.0.1:{}", common::closed_port());
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(&endpoint)
            .build();
        SqsQueue::new(
            aws_sdk_sqs::Client::from_conf(config),
            format!("{endpoint}/123456789012/missing"),
        )
    }

    #[tokio::test]
    async fn sqs_sent_events_arrive_intact() {
        let Some(queue) = fresh_queue("sqs::sent_events_arrive_intact", &[]).await else {
            return;
        };
        cases::sent_events_arrive_intact(&SqsHarness { queue }).await;
    }

    /// Needs no server: the point is that there is none.
    #[tokio::test]
    async fn sqs_an_unreachable_queue_is_unavailable_fast() {
        let started = Instant::now();
        let result = unreachable_sqs().send(&events()[0]).await;
        assert!(
            matches!(result, Err(QueueError::Unavailable(_))),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(1900),
            "{:?}",
            started.elapsed()
        );
    }

    /// Receives until `want` says yes to a batch, or fails at the deadline.
    async fn receive_until(
        queue: &SqsQueue,
        visibility: Option<Duration>,
        deadline: Duration,
        mut want: impl FnMut(&[ReceivedEvent]) -> bool,
    ) -> Vec<ReceivedEvent> {
        let until = Instant::now() + deadline;
        loop {
            let batch = queue
                .receive(10, Duration::from_secs(1), visibility)
                .await
                .unwrap();
            if want(&batch) {
                return batch;
            }
            assert!(
                Instant::now() < until,
                "condition not met within {deadline:?}"
            );
        }
    }

    #[tokio::test]
    async fn sqs_a_deleted_message_never_comes_back() {
        let Some(queue) = fresh_queue("sqs::a_deleted_message_never_comes_back", &[]).await else {
            return;
        };
        let sent = &events()[0];
        queue.send(sent).await.unwrap();
        let visibility = Duration::from_secs(1);
        let batch = receive_until(&queue, Some(visibility), Duration::from_secs(10), |b| {
            !b.is_empty()
        })
        .await;
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].receive_count, 1);
        assert_eq!(batch[0].event.as_ref().unwrap(), sent);
        queue.delete(&batch[0].receipt_handle).await.unwrap();
        // Absence can only be shown by looking past the visibility timeout it would have had.
        let until = Instant::now() + visibility * 3;
        while Instant::now() < until {
            let again = queue
                .receive(10, Duration::from_secs(1), None)
                .await
                .unwrap();
            assert!(again.is_empty(), "deleted message redelivered: {again:?}");
        }
    }

    #[tokio::test]
    async fn sqs_an_unacknowledged_message_comes_back() {
        let Some(queue) = fresh_queue("sqs::an_unacknowledged_message_comes_back", &[]).await
        else {
            return;
        };
        let sent = &events()[1];
        queue.send(sent).await.unwrap();
        let first = receive_until(
            &queue,
            Some(Duration::from_secs(1)),
            Duration::from_secs(10),
            |b| !b.is_empty(),
        )
        .await;
        assert_eq!(first[0].receive_count, 1);
        // Not deleted: visible again once the 1 s visibility timeout ends.
        let second = receive_until(&queue, None, Duration::from_secs(15), |b| !b.is_empty()).await;
        assert_eq!(second[0].message_id, first[0].message_id);
        assert_eq!(second[0].receive_count, 2);
        assert_eq!(second[0].event.as_ref().unwrap(), sent);
        // A consumer that gives up on a message releases it at once instead of waiting.
        queue
            .release(&second[0].receipt_handle, Duration::ZERO)
            .await
            .unwrap();
        let third = receive_until(&queue, None, Duration::from_secs(5), |b| !b.is_empty()).await;
        assert_eq!(third[0].receive_count, 3);
        queue.delete(&third[0].receipt_handle).await.unwrap();
    }

    #[tokio::test]
    async fn sqs_poison_ends_in_the_dead_letter_queue() {
        let test = "sqs::poison_ends_in_the_dead_letter_queue";
        let Some(dlq) = fresh_queue(test, &[]).await else {
            return;
        };
        let client = dlq.client().clone();
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(dlq.queue_url())
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&QueueAttributeName::QueueArn]
            .clone();
        let max_receives: u32 = 2;
        let policy = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receives,
        })
        .to_string();
        let queue = fresh_queue(test, &[(QueueAttributeName::RedrivePolicy, policy)])
            .await
            .unwrap();

        // The policy as SQS reports it (moto gives a number, AWS a string).
        let attrs = client
            .get_queue_attributes()
            .queue_url(queue.queue_url())
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        let read: serde_json::Value =
            serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
        let count = match &read["maxReceiveCount"] {
            serde_json::Value::String(s) => s.parse::<u32>().ok(),
            other => other.as_u64().and_then(|n| u32::try_from(n).ok()),
        };
        assert_eq!(count, Some(max_receives), "{read}");

        client
            .send_message()
            .queue_url(queue.queue_url())
            .message_body("this is not a queued event")
            .send()
            .await
            .unwrap();
        let good = &events()[2];
        queue.send(good).await.unwrap();

        // A consumer that fails the poison message every time and acknowledges the good one.
        let mut poison_receives = 0;
        let mut good_seen = 0;
        let until = Instant::now() + Duration::from_secs(30);
        let dead = loop {
            assert!(Instant::now() < until, "poison never reached the DLQ");
            for m in queue
                .receive(10, Duration::from_secs(1), None)
                .await
                .unwrap()
            {
                match &m.event {
                    Ok(e) => {
                        assert_eq!(e, good);
                        good_seen += 1;
                        queue.delete(&m.receipt_handle).await.unwrap();
                    }
                    Err(decode) => {
                        assert!(decode.to_string().contains(&m.message_id), "{decode}");
                        poison_receives += 1;
                        queue
                            .release(&m.receipt_handle, Duration::ZERO)
                            .await
                            .unwrap();
                    }
                }
            }
            let dead = client
                .receive_message()
                .queue_url(dlq.queue_url())
                .send()
                .await
                .unwrap();
            if !dead.messages().is_empty() {
                break dead;
            }
        };
        assert_eq!(good_seen, 1);
        assert_eq!(
            poison_receives, max_receives,
            "received before dead-lettering"
        );
        // The DLQ keeps the original bytes, so a redrive replays exactly what was sent.
        let bodies: Vec<_> = dead.messages().iter().filter_map(|m| m.body()).collect();
        assert_eq!(bodies, ["this is not a queued event"]);
        assert!(
            queue
                .receive(10, Duration::from_secs(1), None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
