#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(&settings::routes(), settings::app).await
}
