//! Queue adapters behind `ports::EventQueue`: the in-process queue of the local stack and SQS,
//! with a poller that consumes SQS like the Lambda event source mapping.

pub mod memory;
pub mod sqs;
pub mod sqs_poller;
