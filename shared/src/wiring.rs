//! Builds the adapters a function needs from configuration, once per process. Each Lambda
//! `main` asks only for what it uses, so the webhook function never opens a database client.

use crate::config::{Config, ConfigError};
use crate::ports::{
    CallControl, CallStore, CommandLog, EventLog, EventQueue, SharedClock, SystemClock,
};
use crate::telnyx::{TelnyxHttp, WebhookVerifier};
use std::sync::Arc;

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

pub struct Wiring {
    pub config: Config,
    pub clock: SharedClock,
    /// One client (and pool) per process, however many ports are asked for.
    #[cfg(feature = "mongodb")]
    mongo: tokio::sync::OnceCell<crate::adapters::mongo::MongoStore>,
    /// Likewise one connection to the embedded file.
    #[cfg(feature = "sqlite")]
    embedded: std::sync::OnceLock<crate::adapters::sqlite::SqliteStore>,
}

/// What each store adapter implements: every port, so one of them serves a whole process (see
/// [`Wiring::backend`]) and each port is that store seen through a narrower trait.
trait Backing: Store + DataStore + crate::auth::ports::AuthStore {}
impl<T: Store + DataStore + crate::auth::ports::AuthStore> Backing for T {}

impl Wiring {
    pub fn from_env() -> Result<Self, WiringError> {
        Ok(Self::new(Config::from_env()?))
    }

    pub fn new(config: Config) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "mongodb")]
            mongo: tokio::sync::OnceCell::new(),
            #[cfg(feature = "sqlite")]
            embedded: std::sync::OnceLock::new(),
        }
    }

    /// The store behind calls, the event log and the command log.
    pub async fn store(&self) -> Result<Arc<dyn Store>, WiringError> {
        Ok(self.backend().await?)
    }

    /// MongoDB when `MONGODB_URI` is set, else the embedded SQLite file under `DATA_DIR` in
    /// builds with the `sqlite` feature; the Lambda builds have none. Every port is served by
    /// this one choice, and by one client or connection per process.
    async fn backend(&self) -> Result<Arc<dyn Backing>, WiringError> {
        if self.config.mongodb_uri.is_some() {
            #[cfg(feature = "mongodb")]
            return Ok(Arc::new(self.mongo().await?));
            #[cfg(not(feature = "mongodb"))]
            return Err(WiringError::Adapter(
                "MONGODB_URI is set but this build was compiled without the mongodb feature".into(),
            ));
        }
        #[cfg(feature = "sqlite")]
        return Ok(Arc::new(self.embedded()?));
        #[cfg(not(feature = "sqlite"))]
        Err(WiringError::Adapter(
            "MONGODB_URI is not set and this build has no embedded store".into(),
        ))
    }

    /// The process's connection to the embedded file, opened (and migrated) once.
    #[cfg(feature = "sqlite")]
    fn embedded(&self) -> Result<crate::adapters::sqlite::SqliteStore, WiringError> {
        if let Some(store) = self.embedded.get() {
            return Ok(store.clone());
        }
        let path = self.config.data_dir.join("dialer.sqlite3");
        let opened = crate::adapters::sqlite::SqliteStore::open(&path)
            .map_err(|e| WiringError::Adapter(format!("embedded store {}: {e}", path.display())))?;
        Ok(self.embedded.get_or_init(|| opened).clone())
    }

    /// The process's MongoDB store (clones share its pool). Building it does no I/O beyond a
    /// `mongodb+srv://` URI's SRV lookup: the connection and the index check
    /// ([`MongoStore::ready`](crate::adapters::mongo::MongoStore::ready)) wait for the first
    /// operation, so a cold start stays off the network.
    #[cfg(feature = "mongodb")]
    pub async fn mongo(&self) -> Result<crate::adapters::mongo::MongoStore, WiringError> {
        let uri = self
            .config
            .mongodb_uri
            .as_ref()
            .ok_or_else(|| WiringError::Adapter("MONGODB_URI is not set".into()))?;
        let store = self
            .mongo
            .get_or_try_init(|| async {
                crate::adapters::mongo::MongoStore::connect(
                    uri.expose(),
                    &self.config.mongodb_database,
                )
                .await
                .map_err(|e| WiringError::Adapter(format!("MongoDB client: {e}")))
            })
            .await?;
        Ok(store.clone())
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
        match &self.config.events_queue_url {
            #[cfg(feature = "sqs")]
            Some(url) => Ok(Arc::new(
                crate::adapters::sqs::SqsQueue::from_env(url.clone()).await,
            )),
            #[cfg(not(feature = "sqs"))]
            Some(_) => Err(WiringError::Adapter(
                "EVENTS_QUEUE_URL is set but this build was compiled without the sqs feature"
                    .into(),
            )),
            None => Err(WiringError::Adapter("EVENTS_QUEUE_URL is not set".into())),
        }
    }

    pub fn verifier(&self) -> WebhookVerifier {
        WebhookVerifier::from_base64(&self.config.telnyx_public_key)
    }
}

/// A store with the data features: contacts, history queries, settings (and calls, which the
/// history is about).
pub trait DataStore:
    CallStore + crate::ports::ContactStore + crate::ports::CallHistory + crate::ports::SettingsStore
{
}
impl<T> DataStore for T where
    T: CallStore
        + crate::ports::ContactStore
        + crate::ports::CallHistory
        + crate::ports::SettingsStore
{
}

impl Wiring {
    /// The store behind contacts, history, statistics and settings.
    pub async fn data_store(&self) -> Result<Arc<dyn DataStore>, WiringError> {
        Ok(self.backend().await?)
    }

    /// In AWS the Telnyx key comes from Secrets Manager through the environment and is
    /// read-only here (see `crate::secrets`); on a single machine the embedded store keeps it.
    pub fn secrets(&self) -> Result<Arc<dyn crate::ports::SecretStore>, WiringError> {
        #[cfg(feature = "sqlite")]
        if self.config.mongodb_uri.is_none() {
            return Ok(Arc::new(self.embedded()?));
        }
        Ok(Arc::new(crate::secrets::DeploymentSecrets {
            telnyx_api_key: self.config.telnyx_api_key.clone(),
        }))
    }

    /// The Telnyx client that follows the app's settings (key, connection), falling back to the
    /// environment.
    pub fn configured_telnyx(
        &self,
        settings: Arc<dyn crate::ports::SettingsStore>,
        secrets: Arc<dyn crate::ports::SecretStore>,
    ) -> Arc<crate::telnyx::configured::ConfiguredTelnyx> {
        let c = &self.config;
        Arc::new(crate::telnyx::configured::ConfiguredTelnyx::new(
            crate::telnyx::configured::TelnyxDefaults {
                api_base: c.telnyx_api_base.clone(),
                api_key: c.telnyx_api_key.clone(),
                connection_id: c.telnyx_connection_id.clone(),
                webhook_url: c.webhook_url.clone(),
            },
            settings,
            secrets,
        ))
    }
}

// ── Deploy: secrets read at cold start (see `crate::aws_secrets`) ───────────────────────────

impl Wiring {
    /// The entry point for Lambda mains: [`Wiring::from_env`], plus, when the environment names
    /// Secrets Manager secrets (`<NAME>_SECRET_ID`, as template.yaml sets them), their values
    /// read once at cold start. Without such names it is exactly `from_env` (local runs,
    /// tests). Naming a secret in a build without the `aws-secrets` feature is an error, not a
    /// silent empty value.
    pub async fn from_env_and_secrets() -> Result<Self, WiringError> {
        let lookup = |name: &str| std::env::var(name).ok();
        if !crate::aws_secrets::names_secrets(&lookup) {
            return Self::from_env();
        }
        #[cfg(feature = "aws-secrets")]
        {
            let source = crate::aws_secrets::SecretsManager::from_env()
                .map_err(|e| WiringError::Adapter(format!("Secrets Manager: {e}")))?;
            let config = crate::aws_secrets::config_with_secrets(&lookup, &source)
                .await
                .map_err(|e| WiringError::Adapter(e.to_string()))?;
            Ok(Self::new(config))
        }
        #[cfg(not(feature = "aws-secrets"))]
        Err(WiringError::Adapter(
            "the environment names Secrets Manager secrets (..._SECRET_ID) but this build was \
             compiled without the shared/aws-secrets feature"
                .into(),
        ))
    }
}

// ── Sign-in: users, sessions and the access layer ───────────────────────────────────────────

/// How long a session lasts: a working day, so an agent signs in once per shift.
pub const SESSION_LIFETIME_HOURS: i64 = 12;

impl Wiring {
    /// The store behind users, the audit trail, rate-limit counters and revoked sessions.
    pub async fn auth_store(&self) -> Result<Arc<dyn crate::auth::ports::AuthStore>, WiringError> {
        Ok(self.backend().await?)
    }

    /// Signs and checks session tokens with `SESSION_SECRET`. A deployment without one cannot
    /// sign anyone in, so it does not start.
    pub fn token_signer(&self) -> Result<crate::auth::TokenSigner, WiringError> {
        let secret = self.config.session_secret.clone().ok_or_else(|| {
            WiringError::Config(ConfigError {
                name: "SESSION_SECRET",
                problem: "is not set; every endpoint but health and the webhook needs it".into(),
            })
        })?;
        crate::auth::TokenSigner::new(secret, chrono::Duration::hours(SESSION_LIFETIME_HOURS))
            .map_err(|problem| {
                WiringError::Config(ConfigError {
                    name: "SESSION_SECRET",
                    problem: problem.into(),
                })
            })
    }

    /// The access layer for a function's routes (see [`crate::auth::protect`]).
    pub async fn access(
        &self,
        routes: &[crate::auth::Route],
    ) -> Result<crate::auth::AuthLayerState, WiringError> {
        let store = self.auth_store().await?;
        Ok(crate::auth::AuthLayerState::new(
            self.token_signer()?,
            store.clone(),
            store,
            self.clock.clone(),
            routes,
        ))
    }
}
