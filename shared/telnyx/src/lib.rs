//! The Telnyx adapter: webhook verification and parsing (inbound) and the Call Control HTTP
//! client (outbound). Wire formats stay here; the rest of the code sees domain types.

pub mod client;
pub mod client_state;
pub mod configured;
pub mod numbers;
pub mod probe;
pub mod webhook;

pub use client::TelnyxHttp;
pub use webhook::{ParsedEvent, SignatureError, WebhookVerifier, parse_event};
