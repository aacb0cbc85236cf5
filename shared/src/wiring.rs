//! Builds the adapters a function needs from configuration, once per process. Each Lambda
//! `main` asks only for what it uses, so the webhook function never opens a database client.

use crate::config::{Config, ConfigError};
use crate::ports::{CallControl, CallStore, EventLog, EventQueue, SharedClock, SystemClock};
use crate::telnyx::{TelnyxHttp, WebhookVerifier};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Adapter(String),
}

/// A store that is both the call store and the event log (every adapter implements both).
pub trait Store: CallStore + EventLog {}
impl<T: CallStore + EventLog> Store for T {}

pub struct Wiring {
    pub config: Config,
    pub clock: SharedClock,
}

impl Wiring {
    pub fn from_env() -> Result<Self, WiringError> {
        Ok(Self::new(Config::from_env()?))
    }

    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
        }
    }

    /// MongoDB when `MONGODB_URI` is set, else the embedded SQLite file under `DATA_DIR`
    /// (a single-machine set-up such as `cargo lambda watch`).
    pub async fn store(&self) -> Result<Arc<dyn Store>, WiringError> {
        if self.config.mongodb_uri.is_some() {
            return self.mongo_store().await;
        }
        self.embedded_store()
    }

    #[cfg(feature = "sqlite")]
    fn embedded_store(&self) -> Result<Arc<dyn Store>, WiringError> {
        let path = self.config.data_dir.join("dialer.sqlite3");
        let store = crate::adapters::sqlite::SqliteStore::open(&path)
            .map_err(|e| WiringError::Adapter(format!("embedded store {}: {e}", path.display())))?;
        Ok(Arc::new(store))
    }

    #[cfg(not(feature = "sqlite"))]
    fn embedded_store(&self) -> Result<Arc<dyn Store>, WiringError> {
        Err(WiringError::Adapter(
            "MONGODB_URI is not set and this build has no embedded store".into(),
        ))
    }

    async fn mongo_store(&self) -> Result<Arc<dyn Store>, WiringError> {
        Err(WiringError::Adapter(
            "MONGODB_URI is set but this build was compiled without the mongodb feature".into(),
        ))
    }

    pub fn telnyx(&self) -> Result<Arc<dyn CallControl>, WiringError> {
        let c = &self.config;
        let client = TelnyxHttp::new(
            &c.telnyx_api_base,
            c.telnyx_api_key.clone(),
            c.telnyx_connection_id.clone(),
            c.webhook_url.clone(),
        )
        .map_err(|e| WiringError::Adapter(e.to_string()))?;
        Ok(Arc::new(client))
    }

    /// SQS when `EVENTS_QUEUE_URL` is set. There is no embedded fallback: a Lambda without a
    /// queue would acknowledge webhooks it cannot keep.
    pub async fn queue(&self) -> Result<Arc<dyn EventQueue>, WiringError> {
        Err(WiringError::Adapter(match &self.config.events_queue_url {
            Some(_) => {
                "EVENTS_QUEUE_URL is set but this build was compiled without the sqs feature".into()
            }
            None => "EVENTS_QUEUE_URL is not set".into(),
        }))
    }

    pub fn verifier(&self) -> WebhookVerifier {
        WebhookVerifier::from_base64(&self.config.telnyx_public_key)
    }
}
