//! Adapters behind the ports.

pub mod memory_queue;
#[cfg(feature = "mongodb")]
pub mod mongo;
#[cfg(feature = "mongodb")]
pub mod mongo_auth;
#[cfg(feature = "mongodb")]
pub mod mongo_data;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_auth;
#[cfg(feature = "sqlite")]
mod sqlite_commands;
#[cfg(feature = "sqlite")]
pub mod sqlite_data;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(feature = "sqs")]
pub mod sqs_poller;
