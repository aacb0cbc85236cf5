//! The embedded default, composed: the same routers the Lambdas run, an SQLite file for the
//! store, an in-process queue feeding the processor, the Telnyx emulator on its own port and the
//! static frontend. No logic of its own lives here.
//!
//! With `MONGODB_URI` and `EVENTS_QUEUE_URL` set it runs as a *cloud rehearsal*: calls, events
//! and commands go to MongoDB and webhooks through SQS, consumed by a poller that behaves like
//! the Lambda event source mapping (`scripts/run-standins.sh` does this against local stand-ins).

use axum::Router;
use emulator::{Emulator, EmulatorConfig};
use shared::Config;
use shared::adapters::memory_queue::{InProcessQueue, QueueOptions};
use shared::adapters::mongo::MongoStore;
use shared::adapters::sqlite::SqliteStore;
use shared::adapters::sqs::SqsQueue;
use shared::adapters::sqs_poller::{PollerOptions, SqsPoller};
use shared::config::Secret;
use shared::ports::{EventQueue, SharedClock, SystemClock};
use shared::telnyx::WebhookVerifier;
use shared::telnyx::configured::{ConfiguredTelnyx, TelnyxDefaults};
use shared::telnyx::numbers::CachedInventory;
use shared::telnyx::probe::EmulatorProbe;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] shared::config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("embedded store: {0}")]
    Store(#[from] shared::ports::StoreError),
    #[error("emulator: {0}")]
    Emulator(String),
    #[error("event pipeline: {0}")]
    Pipeline(String),
}

/// Where and how to run; read from the environment by [`Settings::from_env`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    pub emulator_port: u16,
    pub frontend_dir: PathBuf,
    pub config: Config,
    pub emulator: EmulatorConfig,
}

impl Settings {
    pub fn from_env() -> Result<Self, StartError> {
        let port = |name: &'static str, default: u16| -> Result<u16, StartError> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| {
                    StartError::Config(shared::config::ConfigError {
                        name,
                        problem: format!("must be a port number, got {v:?}"),
                    })
                }),
                _ => Ok(default),
            }
        };
        Ok(Self {
            host: std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            port: port("PORT", 8080)?,
            emulator_port: port("EMULATOR_PORT", 8090)?,
            frontend_dir: std::env::var("FRONTEND_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| PathBuf::from("frontend/out")),
            config: Config::from_env()?,
            emulator: EmulatorConfig::from_env()
                .map_err(|e| StartError::Emulator(e.to_string()))?,
        })
    }
}

/// The running stack, for `main` and for tests.
pub struct Stack {
    pub url: String,
    pub addr: SocketAddr,
    pub emulator: Emulator,
    pub events: EventPump,
    /// The embedded file; in a rehearsal it still keeps what MongoDB does not (see [`EventPump`]).
    pub store: SqliteStore,
    pub frontend: Option<PathBuf>,
    server: tokio::task::JoinHandle<()>,
}

impl Stack {
    pub async fn start(settings: Settings) -> Result<Self, StartError> {
        let bind = |port: u16| {
            let addr = format!("{}:{port}", settings.host);
            async move {
                TcpListener::bind(&addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })
            }
        };
        let listener = bind(settings.port).await?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: settings.host.clone(),
            source,
        })?;
        let url = format!("http://{addr}");
        let webhook_url = format!("{url}/api/webhooks/telnyx");

        let mut emulator_config = settings.emulator.clone();
        emulator_config.app_webhook_url = Some(webhook_url.clone());
        let emulator = Emulator::start(emulator_config, bind(settings.emulator_port).await?)
            .await
            .map_err(|e| StartError::Emulator(e.to_string()))?;

        let config = &settings.config;
        let store = SqliteStore::open(&config.data_dir.join("dialer.sqlite3"))?;
        let clock: SharedClock = Arc::new(SystemClock);
        let calls = Arc::new(store.clone());
        let rehearsal = Rehearsal::from_config(config).await?;
        // Calls, their events and commands, and beside them contacts, history, statistics and
        // settings: MongoDB in a rehearsal, else the embedded file. Secrets stay in the file
        // (in AWS they come from Secrets Manager).
        let (pipeline, data): (
            Arc<dyn shared::wiring::Store>,
            Arc<dyn shared::wiring::DataStore>,
        ) = match &rehearsal {
            Some(r) => (Arc::new(r.store.clone()), Arc::new(r.store.clone())),
            None => (calls.clone(), calls.clone()),
        };
        // Every Telnyx request follows the key and connection saved through /api/settings; the
        // emulator's own are the defaults.
        let telnyx = Arc::new(ConfiguredTelnyx::new(
            TelnyxDefaults {
                api_base: emulator.base_url(),
                api_key: Secret::new(emulator.config().api_key.clone()),
                connection_id: emulator.config().connection_id.clone(),
                webhook_url: Some(webhook_url.clone()),
            },
            data.clone(),
            Arc::new(store.clone()),
        ));
        let numbers = Arc::new(CachedInventory::new(
            telnyx.clone(),
            std::time::Duration::from_secs(30),
        ));
        let processor = processor::Processor {
            calls: pipeline.clone(),
            events: pipeline.clone(),
            clock: clock.clone(),
        };
        let (queue, events) = EventPump::start(rehearsal, processor);
        let commander = shared::commands::Commander {
            telnyx: telnyx.clone(),
            log: pipeline.clone(),
            clock: clock.clone(),
        };

        let api = Router::new()
            .merge(dial::router(dial::DialState {
                calls: pipeline.clone(),
                telnyx: telnyx.clone(),
                commander: commander.clone(),
                clock: clock.clone(),
                default_country: config.default_country.clone(),
                ring_timeout_secs: config.ring_timeout_secs,
                call_time_limit_secs: config.call_time_limit_secs,
                policy: dial::DialPolicy {
                    owned_numbers: numbers.clone(),
                    extra_countries: config.allowed_countries.clone(),
                    settings: data.clone(),
                    contacts: data.clone(),
                },
            }))
            .merge(contacts::router(contacts::ContactsState {
                contacts: data.clone(),
                history: data.clone(),
                clock: clock.clone(),
                default_country: config.default_country.clone(),
                import_max_bytes: contacts::ContactsState::IMPORT_MAX_BYTES,
                import_max_rows: contacts::ContactsState::IMPORT_MAX_ROWS,
            }))
            .merge(calls::router(
                calls::HistoryState {
                    calls: data.clone(),
                    history: data.clone(),
                    contacts: data.clone(),
                    clock: clock.clone(),
                    default_country: config.default_country.clone(),
                },
                calls::DetailState {
                    calls: pipeline.clone(),
                    contacts: data.clone(),
                    events: pipeline.clone(),
                    commands: pipeline.clone(),
                    telnyx: telnyx.clone(),
                    clock: clock.clone(),
                },
            ))
            .merge(settings_fn::router(settings_fn::SettingsState {
                settings: data.clone(),
                secrets: calls.clone(),
                numbers: numbers.clone(),
                probe: Arc::new(EmulatorProbe::new(&emulator.root_url())),
                webhook_url: Some(webhook_url.clone()),
                deployment_public_key: emulator.public_key_base64(),
                deployment_connection_id: emulator.config().connection_id.clone(),
                default_country: config.default_country.clone(),
                probe_deadline: std::time::Duration::from_secs(5),
                deployment_managed_secrets: false,
            }))
            .merge(hangup::router(hangup::HangupState {
                calls: pipeline.clone(),
                contacts: data.clone(),
                commander: commander.clone(),
                clock: clock.clone(),
            }))
            .merge(controls::router(controls::ControlsState {
                calls: pipeline.clone(),
                commander: commander.clone(),
                clock: clock.clone(),
                settings: data.clone(),
                contacts: data.clone(),
                default_hold_music_url: if config.hold_music_url.is_empty() {
                    emulator.hold_music_url()
                } else {
                    config.hold_music_url.clone()
                },
            }))
            .merge(call_status::router(call_status::StatusState {
                calls: pipeline.clone(),
                contacts: data.clone(),
                clock: clock.clone(),
            }))
            .merge(webhook::router(webhook::WebhookState {
                verifier: WebhookVerifier::from_base64(&emulator.public_key_base64()),
                queue,
                clock: clock.clone(),
            }));

        let frontend = settings
            .frontend_dir
            .join("index.html")
            .is_file()
            .then(|| settings.frontend_dir.clone());
        let app = match &frontend {
            // API paths keep problem-JSON answers; everything else is the static site.
            Some(dir) => api
                .nest("/api", Router::new().fallback(shared::http::not_found))
                .method_not_allowed_fallback(shared::http::method_not_allowed)
                .fallback_service(
                    ServeDir::new(dir)
                        .append_index_html_on_directories(true)
                        .not_found_service(ServeFile::new(dir.join("404.html"))),
                ),
            None => shared::http::finish(api),
        };

        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "server stopped");
            }
        });
        Ok(Self {
            url,
            addr,
            emulator,
            events,
            store,
            frontend,
            server,
        })
    }

    /// Serves until the task is stopped.
    pub async fn wait(self) {
        let _ = self.server.await;
    }
}

/// The cloud adapters of a rehearsal.
struct Rehearsal {
    store: MongoStore,
    queue: SqsQueue,
}

impl Rehearsal {
    /// `Some` when both `MONGODB_URI` and `EVENTS_QUEUE_URL` are set; one without the other is a
    /// mistake worth stopping for, not a half-cloud stack.
    async fn from_config(config: &Config) -> Result<Option<Self>, StartError> {
        match (&config.mongodb_uri, &config.events_queue_url) {
            (None, None) => Ok(None),
            (Some(_), Some(url)) => {
                let wiring = shared::wiring::Wiring::new(config.clone());
                let store = wiring
                    .mongo()
                    .await
                    .map_err(|e| StartError::Pipeline(e.to_string()))?;
                let queue = SqsQueue::from_env(url.clone()).await;
                Ok(Some(Self { store, queue }))
            }
            _ => Err(StartError::Pipeline(
                "set both MONGODB_URI and EVENTS_QUEUE_URL for a cloud rehearsal, or neither"
                    .into(),
            )),
        }
    }
}

/// How webhooks reach the processor.
pub enum EventPump {
    /// The embedded default.
    InProcess(InProcessQueue),
    /// SQS, polled like the Lambda event source mapping (batches of up to 10, failed messages
    /// left for redelivery after the queue's visibility timeout, then its dead-letter queue).
    Sqs(SqsPoller),
}

impl EventPump {
    fn start(
        rehearsal: Option<Rehearsal>,
        processor: processor::Processor,
    ) -> (Arc<dyn EventQueue>, Self) {
        match rehearsal {
            None => {
                let queue = InProcessQueue::start(Arc::new(processor), QueueOptions::default());
                (Arc::new(queue.clone()), Self::InProcess(queue))
            }
            Some(r) => {
                let poller = SqsPoller::start(
                    r.queue.clone(),
                    PollerOptions {
                        concurrency: 4,
                        ..PollerOptions::default()
                    },
                    move |batch| {
                        let processor = processor.clone();
                        async move { processor.handle_sqs(batch).await }
                    },
                );
                (Arc::new(r.queue), Self::Sqs(poller))
            }
        }
    }

    /// One line for the start-up banner.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::InProcess(_) => "embedded (SQLite file, in-process queue)",
            Self::Sqs(_) => "cloud rehearsal (MongoDB store, SQS queue polled like Lambda)",
        }
    }
}
