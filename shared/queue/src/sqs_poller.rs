//! A stand-in for the Lambda SQS event source mapping, for running the processor outside Lambda
//! (the local "cloud rehearsal" against moto, or any long-running host).
//!
//! It behaves like the mapping with `ReportBatchItemFailures`: long-polls batches of up to 10,
//! hands each batch to the handler as an [`SqsEvent`], deletes the messages the handler did not
//! report in `batchItemFailures`, and leaves the reported ones alone, so they become visible
//! again when their visibility timeout ends and count towards the queue's `maxReceiveCount`
//! (then the redrive policy moves them to the dead-letter queue). A response naming a message
//! that was not in the batch fails the whole batch, as Lambda does.

use crate::sqs::SqsQueue;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct PollerOptions {
    /// Messages per batch, 1..=10 (the mapping's `BatchSize` for a standard queue without a
    /// batching window).
    pub batch_size: i32,
    /// Long-poll wait, at most 20 s.
    pub wait: Duration,
    /// Overrides the queue's visibility timeout for received messages: how long a failed message
    /// stays hidden before it is redelivered. `None` keeps the queue's setting.
    pub visibility_timeout: Option<Duration>,
    /// Batches handled at once (the mapping scales its pollers the same way).
    pub concurrency: usize,
    /// Pause after a failed receive, so an unreachable queue is not hammered.
    pub error_backoff: Duration,
}

impl Default for PollerOptions {
    fn default() -> Self {
        Self {
            batch_size: 10,
            wait: Duration::from_secs(20),
            visibility_timeout: None,
            concurrency: 2,
            error_backoff: Duration::from_secs(1),
        }
    }
}

/// Counters for logs and tests.
#[derive(Debug, Default)]
pub struct PollerStats {
    pub batches: AtomicU64,
    pub received: AtomicU64,
    pub deleted: AtomicU64,
    /// Messages left for redelivery because the handler reported them (or the whole batch) failed.
    pub failed: AtomicU64,
    pub receive_errors: AtomicU64,
}

/// The running poller; dropping it (or [`SqsPoller::stop`]) stops polling. A batch interrupted
/// mid-way is not lost: its messages were not deleted and come back after their visibility
/// timeout.
pub struct SqsPoller {
    tasks: Vec<JoinHandle<()>>,
    stats: Arc<PollerStats>,
}

impl SqsPoller {
    /// Starts polling on the current Tokio runtime.
    pub fn start<H, F>(queue: SqsQueue, options: PollerOptions, handler: H) -> Self
    where
        H: Fn(SqsEvent) -> F + Send + Sync + 'static,
        F: Future<Output = SqsBatchResponse> + Send + 'static,
    {
        let stats = Arc::new(PollerStats::default());
        let handler = Arc::new(handler);
        let arn = Arc::new(tokio::sync::OnceCell::new());
        let tasks = (0..options.concurrency.max(1))
            .map(|_| {
                let (queue, options, handler, stats, arn) = (
                    queue.clone(),
                    options.clone(),
                    handler.clone(),
                    stats.clone(),
                    arn.clone(),
                );
                tokio::spawn(async move {
                    loop {
                        let arn = arn.get_or_init(|| queue_arn(&queue)).await.clone();
                        match poll_once(&queue, &options, &arn, &*handler, &stats).await {
                            Ok(()) => {}
                            Err(e) => {
                                stats.receive_errors.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(error = %e, queue = queue.queue_url(), "SQS receive failed");
                                tokio::time::sleep(options.error_backoff).await;
                            }
                        }
                    }
                })
            })
            .collect();
        Self { tasks, stats }
    }

    pub fn stats(&self) -> &PollerStats {
        &self.stats
    }

    pub fn stop(self) {}
}

impl Drop for SqsPoller {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The queue's ARN for the records' `eventSourceARN`; `None` if SQS cannot say right now (the
/// processor does not need it).
async fn queue_arn(queue: &SqsQueue) -> Option<String> {
    queue
        .client()
        .get_queue_attributes()
        .queue_url(queue.queue_url())
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .ok()
        .and_then(|o| o.attributes)
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
}

async fn poll_once<H, F>(
    queue: &SqsQueue,
    options: &PollerOptions,
    arn: &Option<String>,
    handler: &H,
    stats: &PollerStats,
) -> Result<(), String>
where
    H: Fn(SqsEvent) -> F,
    F: Future<Output = SqsBatchResponse>,
{
    let mut request = queue
        .client()
        .receive_message()
        .queue_url(queue.queue_url())
        .max_number_of_messages(options.batch_size.clamp(1, 10))
        .wait_time_seconds(options.wait.as_secs().min(20) as i32)
        .message_system_attribute_names(MessageSystemAttributeName::All);
    if let Some(v) = options.visibility_timeout {
        request = request.visibility_timeout(v.as_secs() as i32);
    }
    let output = request.send().await.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    })?;
    let messages = output.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(());
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats
        .received
        .fetch_add(messages.len() as u64, Ordering::Relaxed);

    let region = queue.client().config().region().map(|r| r.to_string());
    let records: Vec<SqsMessage> = messages
        .iter()
        .map(|m| {
            let mut r = SqsMessage::default();
            r.message_id = m.message_id.clone();
            r.receipt_handle = m.receipt_handle.clone();
            r.body = m.body.clone();
            r.md5_of_body = m.md5_of_body.clone();
            r.attributes = m
                .attributes
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                .collect();
            r.event_source = Some("aws:sqs".into());
            r.event_source_arn = arn.clone();
            r.aws_region = region.clone();
            r
        })
        .collect();
    let ids: HashSet<String> = messages
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    let mut event = SqsEvent::default();
    event.records = records;
    let response = handler(event).await;

    let reported: HashSet<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    if !reported.is_subset(&ids) {
        tracing::error!(
            ?reported,
            "batch response names messages not in the batch: the whole batch is retried"
        );
        stats
            .failed
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        return Ok(());
    }
    stats
        .failed
        .fetch_add(reported.len() as u64, Ordering::Relaxed);
    let done: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .filter(|m| {
            m.message_id
                .as_ref()
                .is_some_and(|id| !reported.contains(id))
        })
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle.clone()?)
                .build()
                .ok()
        })
        .collect();
    if done.is_empty() {
        return Ok(());
    }
    let count = done.len() as u64;
    // A failed delete only means a redelivery, which the processor absorbs as a duplicate.
    match queue
        .client()
        .delete_message_batch()
        .queue_url(queue.queue_url())
        .set_entries(Some(done))
        .send()
        .await
    {
        Ok(out) => {
            let failed = out.failed.len() as u64;
            stats.deleted.fetch_add(count - failed, Ordering::Relaxed);
            if failed > 0 {
                tracing::warn!(
                    failed,
                    "some processed messages were not deleted and will come back"
                );
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "processed messages were not deleted and will come back");
        }
    }
    Ok(())
}
