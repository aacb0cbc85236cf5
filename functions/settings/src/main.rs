#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = settings::SettingsState::from_wiring(&wiring).await?;
    lambda_http::run(shared::http::finish(settings::router(state))).await
}
