#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let history = calls::HistoryState::from_wiring(&wiring).await?;
    let detail = calls::DetailState::from_wiring(&wiring).await?;
    lambda_http::run(shared::http::finish(calls::router(history, detail))).await
}
