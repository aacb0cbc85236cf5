//! The composition root: one [`Wiring`] per process builds every adapter a function asks for,
//! once, from configuration. Each function crate builds its state from a `&Wiring` in exactly
//! one place, and that place serves its Lambda `main` ([`lambda`]), the local stack and the
//! tests alike; they differ only in how the wiring was made (environment and secrets, or an
//! embedded store and an in-process queue handed in).

pub mod aws_secrets;
pub mod config;
pub mod lambda;
pub mod secrets;
pub mod telemetry;

pub use config::{Config, ConfigError};

use edge::auth::{AuthLayerState, Route, TokenSigner};
use ports::auth::AuthStore;
use ports::{
    CallControl, CallHistory, CallStore, CommandLog, ContactStore, EventLog, EventQueue,
    NumberInventory, OwnedNumbers, SecretStore, SettingsStore, SharedClock, SystemClock,
    WebhookProbe,
};
use std::sync::{Arc, OnceLock};
use store_mongo::MongoStore;
use telnyx::WebhookVerifier;
use telnyx::configured::{ConfiguredTelnyx, TelnyxDefaults};
use telnyx::numbers::{CachedInventory, OWNED_NUMBERS_TTL};
use telnyx::probe::{EmulatorProbe, NoProbe};

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Adapter(String),
}

/// Every store adapter keeps calls, the raw event log and the command log.
pub trait Store: CallStore + EventLog + CommandLog {}
impl<T: CallStore + EventLog + CommandLog> Store for T {}

/// A store with the data features: contacts, history queries, settings (and calls, which the
/// history is about).
pub trait DataStore: CallStore + ContactStore + CallHistory + SettingsStore {}
impl<T: CallStore + ContactStore + CallHistory + SettingsStore> DataStore for T {}

/// What each store adapter implements: every storage port, so one of them serves a whole
/// process and each port is that store seen through a narrower trait.
pub trait Backing: Store + DataStore + AuthStore {}
impl<T: Store + DataStore + AuthStore> Backing for T {}

/// A store that also keeps secrets: the embedded file on a single machine, where the settings
/// page may set the Telnyx key.
pub trait EmbeddedStore: Backing + SecretStore {}
impl<T: Backing + SecretStore> EmbeddedStore for T {}

/// How long a session lasts: a working day, so an agent signs in once per shift.
pub const SESSION_LIFETIME_HOURS: i64 = 12;

pub struct Wiring {
    pub config: Config,
    pub clock: SharedClock,
    /// One client (and pool) per process, however many ports are asked for.
    mongo: tokio::sync::OnceCell<MongoStore>,
    /// Handed in by the local stack and tests; a Lambda has none (and links no SQLite).
    embedded: Option<Arc<dyn EmbeddedStore>>,
    /// Handed in where the consumer lives in the same process (the local stack, tests).
    queue: Option<Arc<dyn EventQueue>>,
    telnyx: OnceLock<Arc<ConfiguredTelnyx>>,
    numbers: OnceLock<Arc<CachedInventory>>,
}

impl Wiring {
    pub fn from_env() -> Result<Self, WiringError> {
        Ok(Self::new(Config::from_env()?))
    }

    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
            mongo: tokio::sync::OnceCell::new(),
            embedded: None,
            queue: None,
            telnyx: OnceLock::new(),
            numbers: OnceLock::new(),
        }
    }

    /// Serves every storage port from `store` unless `MONGODB_URI` is set, and keeps secrets in
    /// it whatever the backend.
    pub fn with_embedded(mut self, store: Arc<dyn EmbeddedStore>) -> Self {
        self.embedded = Some(store);
        self
    }

    /// Webhooks go to `queue` instead of SQS.
    pub fn with_queue(mut self, queue: Arc<dyn EventQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The store behind calls, the event log and the command log.
    pub async fn store(&self) -> Result<Arc<dyn Store>, WiringError> {
        Ok(self.backend().await?)
    }

    /// The store behind contacts, history, statistics and settings.
    pub async fn data_store(&self) -> Result<Arc<dyn DataStore>, WiringError> {
        Ok(self.backend().await?)
    }

    /// The store behind users, the audit trail, rate-limit counters and revoked sessions.
    pub async fn auth_store(&self) -> Result<Arc<dyn AuthStore>, WiringError> {
        Ok(self.backend().await?)
    }

    /// MongoDB when `MONGODB_URI` is set, else the embedded store handed in. Every port is
    /// served by this one choice, and by one client or connection per process.
    async fn backend(&self) -> Result<Arc<dyn Backing>, WiringError> {
        if self.config.mongodb_uri.is_some() {
            return Ok(Arc::new(self.mongo().await?));
        }
        match &self.embedded {
            Some(store) => Ok(store.clone()),
            None => Err(WiringError::Adapter(
                "MONGODB_URI is not set and this process has no embedded store".into(),
            )),
        }
    }

    /// The process's MongoDB store (clones share its pool). Building it does no I/O beyond a
    /// `mongodb+srv://` URI's SRV lookup: the connection and the index check
    /// ([`MongoStore::ready`]) wait for the first operation, so a cold start stays off the
    /// network.
    pub async fn mongo(&self) -> Result<MongoStore, WiringError> {
        let uri = self
            .config
            .mongodb_uri
            .as_ref()
            .ok_or_else(|| WiringError::Adapter("MONGODB_URI is not set".into()))?;
        let store = self
            .mongo
            .get_or_try_init(|| async {
                MongoStore::connect(uri.expose(), &self.config.mongodb_database)
                    .await
                    .map_err(|e| WiringError::Adapter(format!("MongoDB client: {e}")))
            })
            .await?;
        Ok(store.clone())
    }

    /// In AWS the Telnyx key comes from Secrets Manager through the environment and is
    /// read-only here (see [`secrets`]); on a single machine the embedded store keeps it.
    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        match &self.embedded {
            Some(store) => store.clone(),
            None => Arc::new(secrets::DeploymentSecrets {
                telnyx_api_key: self.config.telnyx_api_key.clone(),
            }),
        }
    }

    /// Whether secrets are the deployment's (Secrets Manager) rather than the app's to change.
    pub fn secrets_managed_by_deployment(&self) -> bool {
        self.embedded.is_none()
    }

    /// The Telnyx client every function uses: it follows the key and connection saved in the
    /// settings, falling back to the environment. One per process.
    pub async fn telnyx(&self) -> Result<Arc<ConfiguredTelnyx>, WiringError> {
        if let Some(client) = self.telnyx.get() {
            return Ok(client.clone());
        }
        let c = &self.config;
        let client = Arc::new(ConfiguredTelnyx::new(
            TelnyxDefaults {
                api_base: c.telnyx_api_base.clone(),
                api_key: c.telnyx_api_key.clone(),
                connection_id: c.telnyx_connection_id.clone(),
                webhook_url: c.webhook_url.clone(),
            },
            self.data_store().await?,
            self.secrets(),
        ));
        Ok(self.telnyx.get_or_init(|| client).clone())
    }

    /// [`Wiring::telnyx`] seen as the call-control port.
    pub async fn call_control(&self) -> Result<Arc<dyn CallControl>, WiringError> {
        Ok(self.telnyx().await?)
    }

    /// Telnyx commands that land in the call's timeline: how every function sends them.
    pub async fn commander(&self) -> Result<edge::commands::Commander, WiringError> {
        Ok(edge::commands::Commander {
            telnyx: self.call_control().await?,
            log: self.store().await?,
            clock: self.clock.clone(),
        })
    }

    /// Who may act on a call (its agent or an admin), with every act audited.
    pub async fn call_guard(&self) -> Result<edge::owner::CallGuard, WiringError> {
        Ok(edge::owner::CallGuard::build(
            self.store().await?,
            self.auth_store().await?,
            self.clock.clone(),
        ))
    }

    /// Telephony credentials for agents' softphones, through the same Telnyx client.
    pub async fn webrtc_accounts(&self) -> Result<Arc<dyn ports::WebRtcAccounts>, WiringError> {
        Ok(self.telnyx().await?)
    }

    /// The account's numbers through one cache per process (see [`OWNED_NUMBERS_TTL`]).
    pub async fn numbers(&self) -> Result<Arc<CachedInventory>, WiringError> {
        if let Some(numbers) = self.numbers.get() {
            return Ok(numbers.clone());
        }
        let inner: Arc<dyn NumberInventory> = self.telnyx().await?;
        let numbers = Arc::new(CachedInventory::new(inner, OWNED_NUMBERS_TTL));
        Ok(self.numbers.get_or_init(|| numbers).clone())
    }

    /// [`Wiring::numbers`] seen as the owned-numbers port.
    pub async fn owned_numbers(&self) -> Result<Arc<dyn OwnedNumbers>, WiringError> {
        Ok(self.numbers().await?)
    }

    /// Telnyx sends no test events; an emulator standing in for it does.
    pub fn webhook_probe(&self) -> Arc<dyn WebhookProbe> {
        let base = &self.config.telnyx_api_base;
        if base.contains("telnyx.com") {
            Arc::new(NoProbe)
        } else {
            Arc::new(EmulatorProbe::new(base.trim_end_matches("/v2")))
        }
    }

    /// The queue handed in, else SQS when `EVENTS_QUEUE_URL` is set. There is no other
    /// fallback: a Lambda without a queue would acknowledge webhooks it cannot keep.
    pub async fn queue(&self) -> Result<Arc<dyn EventQueue>, WiringError> {
        if let Some(queue) = &self.queue {
            return Ok(queue.clone());
        }
        match &self.config.events_queue_url {
            Some(url) => Ok(Arc::new(queue::sqs::SqsQueue::from_env(url.clone()).await)),
            None => Err(WiringError::Adapter("EVENTS_QUEUE_URL is not set".into())),
        }
    }

    pub fn verifier(&self) -> WebhookVerifier {
        WebhookVerifier::from_base64(&self.config.telnyx_public_key)
    }

    /// The entry point for Lambda mains: [`Wiring::from_env`], plus, when the environment names
    /// Secrets Manager secrets (`<NAME>_SECRET_ID`, as template.yaml sets them), their values
    /// read once at cold start. Without such names it is exactly `from_env` (local runs,
    /// tests).
    pub async fn from_env_and_secrets() -> Result<Self, WiringError> {
        let lookup = |name: &str| std::env::var(name).ok();
        if !aws_secrets::names_secrets(&lookup) {
            return Self::from_env();
        }
        let source = aws_secrets::SecretsManager::from_env()
            .map_err(|e| WiringError::Adapter(format!("Secrets Manager: {e}")))?;
        let config = aws_secrets::config_with_secrets(&lookup, &source)
            .await
            .map_err(|e| WiringError::Adapter(e.to_string()))?;
        Ok(Self::new(config))
    }

    /// Signs and checks session tokens with `SESSION_SECRET`. A deployment without one cannot
    /// sign anyone in, so it does not start.
    pub fn token_signer(&self) -> Result<TokenSigner, WiringError> {
        let secret = self.config.session_secret.clone().ok_or_else(|| {
            WiringError::Config(ConfigError {
                name: "SESSION_SECRET",
                problem: "is not set; every endpoint but health and the webhook needs it".into(),
            })
        })?;
        TokenSigner::new(secret, chrono::Duration::hours(SESSION_LIFETIME_HOURS)).map_err(
            |problem| {
                WiringError::Config(ConfigError {
                    name: "SESSION_SECRET",
                    problem: problem.into(),
                })
            },
        )
    }

    /// The access layer for a function's routes (see [`edge::auth::protect`]).
    pub async fn access(&self, routes: &[Route]) -> Result<AuthLayerState, WiringError> {
        let store = self.auth_store().await?;
        Ok(AuthLayerState::new(
            self.token_signer()?,
            store.clone(),
            store,
            self.clock.clone(),
            routes,
        ))
    }
}
