//! Everything the dialer's functions share: the ports (narrow traits over storage, queue and
//! Telnyx), their adapters, configuration, and the HTTP glue that maps one error type to
//! RFC 9457 problem responses.

pub mod adapters;
pub mod auth;
pub mod aws_secrets;
pub mod commands;
pub mod config;
pub mod error;
pub mod http;
pub mod ports;
pub mod secrets;
pub mod telemetry;
pub mod telnyx;
pub mod view;
pub mod wiring;

pub use config::Config;
pub use error::ApiError;
