//! The embedded default, composed: the same routers the Lambdas run, an SQLite file for the
//! store, an in-process queue feeding the processor, the Telnyx emulator on its own port and the
//! static frontend. No logic of its own lives here.
//!
//! With `MONGODB_URI` and `EVENTS_QUEUE_URL` set it runs as a *cloud rehearsal*: calls, events
//! and commands go to MongoDB and webhooks through SQS, consumed by a poller that behaves like
//! the Lambda event source mapping (`scripts/run-standins.sh` does this against local stand-ins).

use axum::Router;
use edge::auth::{Route, protect};
use emulator::{Emulator, EmulatorConfig};
use ports::{EventQueue, Secret, SecretStore};
use queue::memory::{InProcessQueue, QueueOptions};
use queue::sqs::SqsQueue;
use queue::sqs_poller::{PollerOptions, SqsPoller};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use wiring::{Config, Wiring};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] wiring::config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("embedded store: {0}")]
    Store(#[from] ports::StoreError),
    #[error("emulator: {0}")]
    Emulator(String),
    #[error("event pipeline: {0}")]
    Pipeline(String),
    #[error("sign-in: {0}")]
    Accounts(String),
    #[error(transparent)]
    Wiring(#[from] wiring::WiringError),
    #[error(transparent)]
    Auth(#[from] auth::StartError),
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
                    StartError::Config(wiring::config::ConfigError {
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

/// Where the emulator listens: `host` when it is a loopback address, else 127.0.0.1. Its
/// `/emulator` control plane (faults, scenarios, inbound calls) has no sign-in, so exposing the
/// API with `HOST=0.0.0.0` must not expose it too.
pub fn emulator_host(host: &str) -> &str {
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback { host } else { "127.0.0.1" }
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
    /// Who can sign in, for the start-up banner.
    pub accounts: DemoAccounts,
    server: tokio::task::JoinHandle<()>,
}

/// The accounts the local stack creates on its first start (when there is no user yet).
#[derive(Debug, Clone)]
pub struct DemoAccounts {
    pub admin_email: String,
    /// `None` when the password came from `ADMIN_PASSWORD` (not echoed).
    pub admin_password: Option<String>,
    pub agent_email: String,
    pub agent_password: String,
}

impl DemoAccounts {
    pub const ADMIN_EMAIL: &'static str = "admin@dialer.local";
    pub const ADMIN_PASSWORD: &'static str = "dialer-demo-admin";
    pub const AGENT_EMAIL: &'static str = "agent@dialer.local";
    pub const AGENT_PASSWORD: &'static str = "dialer-demo-agent";

    fn from_config(config: &Config) -> Self {
        let (admin_email, admin_password) = match (&config.admin_email, &config.admin_password) {
            (Some(email), Some(_)) => (email.clone(), None),
            _ => (
                Self::ADMIN_EMAIL.to_string(),
                Some(Self::ADMIN_PASSWORD.to_string()),
            ),
        };
        Self {
            admin_email,
            admin_password,
            agent_email: Self::AGENT_EMAIL.into(),
            agent_password: Self::AGENT_PASSWORD.into(),
        }
    }

    /// Creates the admin and the demo agent when nobody can sign in yet.
    async fn create(&self, auth: &auth::AuthState, config: &Config) -> Result<(), StartError> {
        // `from_config` keeps the demo password exactly when ADMIN_PASSWORD is not set.
        let admin_password = self
            .admin_password
            .clone()
            .or_else(|| {
                config
                    .admin_password
                    .as_ref()
                    .map(|p| p.expose().to_string())
            })
            .unwrap_or_default();
        let bootstrap = |e: edge::ApiError| StartError::Accounts(e.to_string());
        if auth
            .bootstrap_admin(&self.admin_email, &admin_password)
            .await
            .map_err(bootstrap)?
        {
            auth.add_user(
                &self.agent_email,
                "Demo Agent",
                &self.agent_password,
                domain::user::Role::Agent,
            )
            .await
            .map_err(bootstrap)?;
        }
        Ok(())
    }
}

impl Stack {
    pub async fn start(settings: Settings) -> Result<Self, StartError> {
        let bind = |host: &str, port: u16| {
            let addr = format!("{host}:{port}");
            async move {
                TcpListener::bind(&addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })
            }
        };
        let listener = bind(&settings.host, settings.port).await?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: settings.host.clone(),
            source,
        })?;
        let url = format!("http://{addr}");
        let webhook_url = format!("{url}/api/webhooks/telnyx");

        let mut emulator_config = settings.emulator.clone();
        emulator_config.app_webhook_url = Some(webhook_url.clone());
        let emulator_host = emulator_host(&settings.host);
        if emulator_host != settings.host {
            tracing::warn!(
                host = %settings.host,
                "HOST is not a loopback address: the API listens there, but the Telnyx emulator \
                 (whose /emulator control plane has no sign-in) stays on {emulator_host}"
            );
        }
        let emulator_listener = bind(emulator_host, settings.emulator_port).await?;
        let emulator = Emulator::start(emulator_config, emulator_listener)
            .await
            .map_err(|e| StartError::Emulator(e.to_string()))?;

        let store = SqliteStore::open(&settings.config.data_dir.join("dialer.sqlite3"))?;
        let config = local_config(&settings.config, &emulator, webhook_url, &store).await?;
        let rehearsal = Rehearsal::from_config(&config).await?;
        let accounts = DemoAccounts::from_config(&config);
        // The same wiring the Lambdas are built from, with the embedded file handed in: it serves
        // every port (MongoDB does in a rehearsal) and keeps the secrets.
        let wiring = Wiring::new(config).with_embedded(Arc::new(store.clone()));
        let processor = processor::Processor::build(&wiring).await?;
        let (queue, events) = EventPump::start(rehearsal, processor);
        let wiring = wiring.with_queue(queue);
        let api = mount(&wiring, &accounts).await?;
        let frontend = settings
            .frontend_dir
            .join("index.html")
            .is_file()
            .then(|| settings.frontend_dir.clone());
        let app = with_site(api, frontend.as_deref());
        let server = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
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
            accounts,
            server,
        })
    }

    /// Serves until the task is stopped.
    pub async fn wait(self) {
        let _ = self.server.await;
    }
}

/// Every function, built from the one wiring, behind the same access table the Lambdas use.
async fn mount(wiring: &Wiring, accounts: &DemoAccounts) -> Result<Router, StartError> {
    let auth = auth::AuthState::build(wiring).await?;
    accounts.create(&auth, &wiring.config).await?;
    let api = Router::new()
        .merge(dial::app(wiring).await?)
        .merge(hangup::app(wiring).await?)
        .merge(call_status::app(wiring).await?)
        .merge(controls::app(wiring).await?)
        .merge(contacts::app(wiring).await?)
        .merge(calls::app(wiring).await?)
        .merge(settings_fn::app(wiring).await?)
        .merge(webhook::app(wiring).await?)
        .merge(auth::router(auth));
    Ok(protect(api, wiring.access(&routes()).await?))
}

/// API paths keep problem-JSON answers; everything else is the static site, when it is built.
fn with_site(api: Router, frontend: Option<&std::path::Path>) -> Router {
    let app = match frontend {
        Some(dir) => api
            .nest("/api", Router::new().fallback(edge::http::not_found))
            .method_not_allowed_fallback(edge::http::method_not_allowed)
            .fallback_service(
                ServeDir::new(dir)
                    .append_index_html_on_directories(true)
                    .not_found_service(ServeFile::new(dir.join("404.html"))),
            )
            .layer(axum::middleware::from_fn(site_headers)),
        None => edge::http::finish(api),
    };
    app.layer(axum::middleware::from_fn(forwarded_for_peer))
}

/// Every route of every function, with who may call it.
pub fn routes() -> Vec<Route> {
    [
        dial::routes(),
        hangup::routes(),
        call_status::routes(),
        controls::routes(),
        contacts::routes(),
        calls::routes(),
        settings_fn::routes(),
        webhook::routes(),
        auth::routes(),
    ]
    .concat()
}

/// The configuration the functions are built from on one machine: the emulator stands in for
/// Telnyx (its key, connection, public key and hold music are the defaults; keys and
/// connections saved through /api/settings still win), and the session key is kept in the file.
async fn local_config(
    config: &Config,
    emulator: &Emulator,
    webhook_url: String,
    store: &SqliteStore,
) -> Result<Config, StartError> {
    let mut config = config.clone();
    config.telnyx_api_base = emulator.base_url();
    config.telnyx_api_key = Secret::new(emulator.config().api_key.clone());
    config.telnyx_connection_id = emulator.config().connection_id.clone();
    config.telnyx_public_key = emulator.public_key_base64();
    config.webhook_url = Some(webhook_url);
    if config.hold_music_url.is_empty() {
        config.hold_music_url = emulator.hold_music_url();
    }
    config.session_secret = Some(session_secret(&config, store).await?);
    if config.telnyx_credential_connection_id.is_none() {
        config.telnyx_credential_connection_id = Some(credential_connection(&config).await?);
    }
    // The softphone talks to the emulator's Verto gateway; loopback host candidates need no
    // ICE server.
    config.webrtc_host = Some(emulator.verto_url());
    config.webrtc_ice_servers = Some(Vec::new());
    Ok(config)
}

/// The emulator starts empty each time: browser-mode agents' credentials need a credential
/// connection on it, created as a deployment creates its own once.
async fn credential_connection(config: &Config) -> Result<String, StartError> {
    let client = telnyx::TelnyxHttp::new(
        &config.telnyx_api_base,
        config.telnyx_api_key.clone(),
        config.telnyx_connection_id.clone(),
        None,
    )
    .map_err(|e| StartError::Emulator(e.to_string()))?;
    let password = Secret::new(uuid::Uuid::new_v4().simple().to_string());
    let user = format!(
        "dialerlocal{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    client
        .create_credential_connection("dialer softphones (local)", &user, &password)
        .await
        .map_err(|e| StartError::Emulator(format!("creating the credential connection: {e}")))
}

/// The key that signs sessions: `SESSION_SECRET` when set, else one generated on the first start
/// and kept in the embedded file, so signing in survives a restart.
async fn session_secret(config: &Config, store: &SqliteStore) -> Result<Secret, StartError> {
    const NAME: &str = "session_secret";
    if let Some(s) = &config.session_secret {
        return Ok(s.clone());
    }
    if let Some(s) = store.secret(NAME).await? {
        return Ok(s);
    }
    let generated = Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ));
    store
        .put_secret(NAME, Some(&generated))
        .await
        .map_err(|e| StartError::Accounts(e.to_string()))?;
    Ok(generated)
}

/// No proxy stands in front of the local server: the socket's peer is the caller, whatever a
/// client wrote in `X-Forwarded-For` (rate limits and the audit trail key on it).
async fn forwarded_for_peer(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Ok(value) = peer.ip().to_string().parse() {
        req.headers_mut().insert("x-forwarded-for", value);
    }
    next.run(req).await
}

/// The static site's security headers, as CloudFront's response-headers policy sets them in AWS
/// (template.yaml, `SiteSecurityHeaders`): the app's own scripts and styles (Next.js inlines its
/// bootstrap), the API on the same origin, recordings from the emulator's or Telnyx's links.
/// The softphone's Verto socket goes to the emulator's own port on loopback (in AWS: Telnyx's
/// `wss://*.telnyx.com`), so loopback WebSockets on any port are allowed here.
const SITE_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:*; media-src 'self' blob: http: https:; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "camera=(), geolocation=(), microphone=(self)",
    ),
];

async fn site_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let page = !req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if page {
        for (name, value) in SITE_HEADERS {
            res.headers_mut().insert(
                axum::http::HeaderName::from_static(name),
                axum::http::HeaderValue::from_static(value),
            );
        }
    }
    res
}

/// The queue of a rehearsal (its MongoDB store comes through the wiring, like a Lambda's).
struct Rehearsal {
    queue: SqsQueue,
}

impl Rehearsal {
    /// `Some` when both `MONGODB_URI` and `EVENTS_QUEUE_URL` are set; one without the other is a
    /// mistake worth stopping for, not a half-cloud stack.
    async fn from_config(config: &Config) -> Result<Option<Self>, StartError> {
        match (&config.mongodb_uri, &config.events_queue_url) {
            (None, None) => Ok(None),
            (Some(_), Some(url)) => Ok(Some(Self {
                queue: SqsQueue::from_env(url.clone()).await,
            })),
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
