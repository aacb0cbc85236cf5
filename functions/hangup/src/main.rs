#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = hangup::HangupState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(hangup::router(state), wiring.access(hangup::ROUTES).await?);
    lambda_http::run(shared::http::finish(app)).await
}
