#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(&hangup::routes(), hangup::app).await
}
