//! The in-process event queue of the local stack: the same at-least-once contract as SQS
//! (a failed message comes back after a delay, and after `max_receives` it goes to a dead-letter
//! list), without a network hop. Messages live in memory: a crash between the webhook's 200 and
//! processing loses them, which is acceptable for a laptop and is why production uses SQS.

use async_trait::async_trait;
use ports::{EventQueue, MessageHandler, QueueError, QueuedEvent};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct QueueOptions {
    pub workers: usize,
    /// Receives before a message is moved to the dead-letter list (SQS `maxReceiveCount`).
    pub max_receives: u32,
    /// Delay before the first redelivery; doubles each time (SQS visibility timeout).
    pub redelivery_delay: Duration,
    pub capacity: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            workers: 4,
            max_receives: 5,
            redelivery_delay: Duration::from_millis(200),
            capacity: 10_000,
        }
    }
}

struct Message {
    event: QueuedEvent,
    receives: u32,
}

struct Shared {
    available: AtomicBool,
    in_flight: AtomicUsize,
    dead_letters: Mutex<Vec<QueuedEvent>>,
    idle: tokio::sync::Notify,
}

#[derive(Clone)]
pub struct InProcessQueue {
    sender: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

impl InProcessQueue {
    /// Starts the workers on the current Tokio runtime.
    pub fn start(handler: Arc<dyn MessageHandler>, options: QueueOptions) -> Self {
        let (sender, receiver) = mpsc::channel::<Message>(options.capacity);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let shared = Arc::new(Shared {
            available: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
            dead_letters: Mutex::new(Vec::new()),
            idle: tokio::sync::Notify::new(),
        });
        for _ in 0..options.workers.max(1) {
            let receiver = receiver.clone();
            let handler = handler.clone();
            let shared = shared.clone();
            let sender = sender.clone();
            let options = options.clone();
            tokio::spawn(async move {
                loop {
                    let next = receiver.lock().await.recv().await;
                    let Some(mut message) = next else { break };
                    message.receives += 1;
                    match handler.handle(&message.event).await {
                        Ok(()) => finish(&shared),
                        Err(reason) if message.receives >= options.max_receives => {
                            tracing::error!(%reason, receives = message.receives, "event moved to the dead-letter list");
                            shared
                                .dead_letters
                                .lock()
                                .expect("dead-letter lock")
                                .push(message.event);
                            finish(&shared);
                        }
                        Err(reason) => {
                            tracing::warn!(%reason, receives = message.receives, "event will be redelivered");
                            let delay = options.redelivery_delay * 2u32.pow(message.receives - 1);
                            let sender = sender.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(delay).await;
                                let _ = sender.send(message).await;
                            });
                        }
                    }
                }
            });
        }
        Self { sender, shared }
    }

    /// Simulates an outage: sends fail until it is turned back on.
    pub fn set_available(&self, available: bool) {
        self.shared.available.store(available, Ordering::SeqCst);
    }

    /// Messages accepted and not yet processed or dead-lettered.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    pub fn dead_letters(&self) -> Vec<QueuedEvent> {
        self.shared
            .dead_letters
            .lock()
            .expect("dead-letter lock")
            .clone()
    }

    /// Waits until every accepted message is processed or dead-lettered, or `deadline` passes.
    /// Returns whether the queue drained.
    pub async fn drained(&self, deadline: Duration) -> bool {
        tokio::time::timeout(deadline, async {
            loop {
                let notified = self.shared.idle.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        })
        .await
        .is_ok()
    }
}

fn finish(shared: &Shared) {
    if shared.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
        shared.idle.notify_waiters();
    }
}

#[async_trait]
impl EventQueue for InProcessQueue {
    async fn send(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        if !self.shared.available.load(Ordering::SeqCst) {
            return Err(QueueError::Unavailable(
                "in-process queue switched off".into(),
            ));
        }
        self.shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let message = Message {
            event: event.clone(),
            receives: 0,
        };
        if self.sender.send(message).await.is_err() {
            finish(&self.shared);
            return Err(QueueError::Unavailable("queue workers stopped".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::collections::HashMap;

    /// Fails each body a set number of times before accepting it, counting every receive.
    struct Flaky {
        failures: HashMap<String, u32>,
        seen: Mutex<HashMap<String, u32>>,
    }

    #[async_trait]
    impl MessageHandler for Flaky {
        async fn handle(&self, event: &QueuedEvent) -> Result<(), String> {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(event.body.clone()).or_default();
            *n += 1;
            if *n <= self.failures.get(&event.body).copied().unwrap_or(0) {
                Err(format!("failure {n}"))
            } else {
                Ok(())
            }
        }
    }

    fn event(body: &str) -> QueuedEvent {
        QueuedEvent {
            body: body.into(),
            telnyx_timestamp: 0,
            received_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn failed_messages_come_back_and_poison_ends_in_dead_letters() {
        let handler = Arc::new(Flaky {
            failures: [("flaky".to_string(), 2), ("poison".to_string(), 99)].into(),
            seen: Mutex::default(),
        });
        let queue = InProcessQueue::start(
            handler.clone(),
            QueueOptions {
                max_receives: 4,
                redelivery_delay: Duration::from_millis(5),
                ..QueueOptions::default()
            },
        );
        for body in ["ok", "flaky", "poison"] {
            queue.send(&event(body)).await.unwrap();
        }
        assert!(queue.drained(Duration::from_secs(10)).await);
        let seen = handler.seen.lock().unwrap().clone();
        assert_eq!(seen["ok"], 1);
        assert_eq!(seen["flaky"], 3);
        assert_eq!(seen["poison"], 4);
        assert_eq!(
            queue.dead_letters(),
            vec![event_with_body(&queue, "poison")]
        );
    }

    fn event_with_body(queue: &InProcessQueue, body: &str) -> QueuedEvent {
        queue
            .dead_letters()
            .into_iter()
            .find(|e| e.body == body)
            .expect("dead letter present")
    }

    #[tokio::test]
    async fn an_outage_refuses_sends_until_it_ends() {
        let handler = Arc::new(Flaky {
            failures: HashMap::new(),
            seen: Mutex::default(),
        });
        let queue = InProcessQueue::start(handler.clone(), QueueOptions::default());
        queue.set_available(false);
        assert!(queue.send(&event("a")).await.is_err());
        queue.set_available(true);
        queue.send(&event("a")).await.unwrap();
        assert!(queue.drained(Duration::from_secs(5)).await);
        assert_eq!(handler.seen.lock().unwrap()["a"], 1);
    }
}
