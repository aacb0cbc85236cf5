#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(&call_status::routes(), call_status::app).await
}
