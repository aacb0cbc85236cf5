#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = auth::AuthState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(auth::router(state), wiring.access(auth::ROUTES).await?);
    lambda_http::run(shared::http::finish(app)).await
}
