//! Helpers shared by the contract suites: finding the local stand-ins and waiting on
//! conditions with deadlines.
#![allow(dead_code)] // each test crate uses a different subset

use std::future::Future;
use std::io::Write;
use std::time::Duration;

/// Whether a missing stand-in must fail the run (the project's test command sets it) instead of
/// skipping.
pub fn standins_required() -> bool {
    std::env::var("REQUIRE_STANDINS").is_ok_and(|v| v.trim() == "1")
}

/// The value of `var` (a stand-in's address), or `None` after announcing the skip.
pub fn standin(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            skip_or_fail(test, &format!("{var} is not set"));
            None
        }
    }
}

/// Written to the real stderr, not through `eprintln!`, so the line shows even though the
/// harness captures the output of passing tests.
pub fn skip_or_fail(test: &str, why: &str) {
    if standins_required() {
        panic!(
            "{test}: {why}, and REQUIRE_STANDINS=1 (start them with scripts/standins.sh and source the env file it prints)"
        );
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {why} (start the stand-ins with scripts/standins.sh and source the env file it prints; REQUIRE_STANDINS=1 makes this a failure)"
    );
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// Awaits `fut`, failing the test if it takes longer than `deadline`.
pub async fn within<T>(deadline: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(deadline, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within {deadline:?}"),
    }
}

/// A short unique suffix for database and queue names, so tests never share state.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A store under contract test, and how to clean up after it.
pub struct Fixture<S> {
    pub store: S,
    pub cleanup: Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>,
}

/// The embedded store: a fresh in-memory database per test.
pub async fn open_sqlite(_test: &str) -> Option<Fixture<store_sqlite::SqliteStore>> {
    Some(Fixture {
        store: store_sqlite::SqliteStore::in_memory().unwrap(),
        cleanup: None,
    })
}

/// The MongoDB stand-in, one database per test (cases run in parallel and must not see each
/// other's data), dropped afterwards; `None` (after announcing the skip) without a stand-in.
pub async fn open_mongo(test: &str, prefix: &str) -> Option<Fixture<store_mongo::MongoStore>> {
    let uri = standin("MONGODB_URI", test)?;
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let name = unique(prefix);
    let store = store_mongo::MongoStore::from_client(&client, &name);
    store.ensure_indexes().await.unwrap();
    let db = client.database(&name);
    Some(Fixture {
        store,
        cleanup: Some(Box::pin(async move {
            let _ = db.drop().await;
        })),
    })
}

/// One test per contract case for a backend: each opens its own fixture named after the test
/// (`None`, a skip, when the backend's stand-in is absent), runs `cases::<case>` on it and cleans
/// up. The contract suites list their cases once and call this for SQLite and MongoDB.
#[macro_export]
macro_rules! backend_cases {
    ($backend:ident, $open:path; $($case:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let name = concat!(stringify!($backend), "::", stringify!($case));
                    let Some(fixture) = $open(name).await else { return };
                    super::cases::$case(fixture.store.clone()).await;
                    if let Some(cleanup) = fixture.cleanup {
                        cleanup.await;
                    }
                }
            )*
        }
    };
}
