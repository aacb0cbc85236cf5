#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(call_status::ROUTES, call_status::app).await
}
