//! What every Lambda `main` does, written once: logging, the wiring from the environment (and
//! Secrets Manager), the function built from it, the access layer from its route table, and the
//! runtime loop.

use crate::{Wiring, WiringError};
use axum::Router;
use edge::auth::{Access, Route, protect};

/// Runs an HTTP function. A function whose routes are all public (the webhook) gets no access
/// layer, so it needs neither the session secret nor a store.
pub async fn run_http<E>(
    routes: &[Route],
    build: impl AsyncFnOnce(&Wiring) -> Result<Router, E>,
) -> Result<(), lambda_http::Error>
where
    E: std::error::Error + Send + Sync + 'static,
{
    crate::telemetry::init();
    let wiring = Wiring::from_env_and_secrets().await?;
    let mut app = build(&wiring).await?;
    if routes.iter().any(|r| r.access != Access::Public) {
        app = protect(app, wiring.access(routes).await?);
    }
    lambda_http::run(edge::http::finish(app)).await
}

/// Builds a non-HTTP function (the SQS consumer) the same way; its `main` runs the loop.
pub async fn build<T>(
    build: impl AsyncFnOnce(&Wiring) -> Result<T, WiringError>,
) -> Result<T, WiringError> {
    crate::telemetry::init();
    build(&Wiring::from_env_and_secrets().await?).await
}
