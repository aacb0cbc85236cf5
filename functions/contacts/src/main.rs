#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(&contacts::routes(), contacts::app).await
}
