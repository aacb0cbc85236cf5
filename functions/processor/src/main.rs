use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let wiring = shared::wiring::Wiring::from_env_and_secrets().await?;
    let processor = processor::Processor::from_wiring(&wiring).await?;
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(processor.handle_sqs(event.payload).await)
    }))
    .await
}
