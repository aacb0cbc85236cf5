//! The HTTP edge every function shares: request extractors, the one error type and its RFC 9457
//! problem answers, the call view, the sign-in layer with its route table, and the command
//! sender that keeps Telnyx commands in a call's timeline.

pub mod auth;
pub mod commands;
pub mod error;
pub mod http;
pub mod owner;
pub mod routes;
pub mod view;

pub use error::ApiError;
pub use routes::RouteTable;
