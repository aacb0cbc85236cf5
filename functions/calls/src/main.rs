#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let history = calls::HistoryState::from_wiring(&wiring).await?;
    let detail = calls::DetailState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(
        calls::router(history, detail),
        wiring.access(&calls::routes()).await?,
    );
    lambda_http::run(shared::http::finish(app)).await
}
