#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = call_status::StatusState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(
        call_status::router(state),
        wiring.access(call_status::ROUTES).await?,
    );
    lambda_http::run(shared::http::finish(app)).await
}
