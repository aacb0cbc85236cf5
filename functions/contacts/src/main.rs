#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    wiring::lambda::run_http(contacts::ROUTES, contacts::app).await
}
