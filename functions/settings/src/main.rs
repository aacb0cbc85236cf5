#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = settings::SettingsState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(
        settings::router(state),
        wiring.access(settings::ROUTES).await?,
    );
    lambda_http::run(shared::http::finish(app)).await
}
