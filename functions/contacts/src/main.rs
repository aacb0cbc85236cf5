#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let state = contacts::ContactsState::from_wiring(&wiring).await?;
    let app = shared::auth::protect(
        contacts::router(state),
        wiring.access(contacts::ROUTES).await?,
    );
    lambda_http::run(shared::http::finish(app)).await
}
