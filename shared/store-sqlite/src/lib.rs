//! The embedded store: one SQLite file holding every port's data (calls, the raw event log,
//! commands, contacts, settings, secrets, users). Used by the local stack (it survives restarts)
//! and by tests; it implements the same ports as MongoDB. Each file below adds one part; `store`
//! is what they share and `open` puts the schema together.

mod auth;
mod calls;
mod commands;
pub mod data;
mod open;
mod store;

pub use store::SqliteStore;
