#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(&controls::routes(), controls::app).await
}
