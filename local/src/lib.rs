//! The embedded default, composed: the same routers the Lambdas run, an SQLite file for the
//! store, an in-process queue feeding the processor, the Telnyx emulator on its own port and the
//! static frontend. No logic of its own lives here.

use axum::Router;
use emulator::{Emulator, EmulatorConfig};
use shared::Config;
use shared::adapters::memory_queue::{InProcessQueue, QueueOptions};
use shared::adapters::sqlite::SqliteStore;
use shared::config::Secret;
use shared::ports::{SharedClock, SystemClock};
use shared::telnyx::{TelnyxHttp, WebhookVerifier};
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
    pub queue: InProcessQueue,
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
        let telnyx = Arc::new(
            TelnyxHttp::new(
                &emulator.base_url(),
                Secret::new(emulator.config().api_key.clone()),
                emulator.config().connection_id.clone(),
                Some(webhook_url),
            )
            .map_err(|e| StartError::Emulator(e.to_string()))?,
        );
        let calls = Arc::new(store.clone());

        let processor = processor::Processor {
            calls: calls.clone(),
            events: calls.clone(),
            clock: clock.clone(),
        };
        let queue = InProcessQueue::start(Arc::new(processor), QueueOptions::default());

        let api = Router::new()
            .merge(dial::router(dial::DialState {
                calls: calls.clone(),
                telnyx: telnyx.clone(),
                clock: clock.clone(),
                default_country: config.default_country.clone(),
                ring_timeout_secs: config.ring_timeout_secs,
                call_time_limit_secs: config.call_time_limit_secs,
            }))
            .merge(hangup::router(hangup::HangupState {
                calls: calls.clone(),
                telnyx: telnyx.clone(),
                clock: clock.clone(),
            }))
            .merge(call_status::router(call_status::StatusState {
                calls: calls.clone(),
                clock: clock.clone(),
            }))
            .merge(webhook::router(webhook::WebhookState {
                verifier: WebhookVerifier::from_base64(&emulator.public_key_base64()),
                queue: Arc::new(queue.clone()),
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
            queue,
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
