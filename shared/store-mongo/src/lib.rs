//! The production store: MongoDB (Atlas) through the official driver, behind the same ports as
//! the embedded SQLite store and held to the same contract tests.
//!
//! # Collection schema
//!
//! ## `calls` — one document per call
//!
//! | field             | type              | notes                                                |
//! |-------------------|-------------------|------------------------------------------------------|
//! | `_id`             | string            | the call id (UUIDv7, hyphenated); unique by `_id`    |
//! | `id`              | string            | the same id again, as the history tie-breaker        |
//! | `version`         | int64             | starts at 1, +1 on every write (optimistic locking)  |
//! | `started_at_us`   | int64             | `call.started_at` in µs since the epoch (sort key)   |
//! | `call_control_id` | string, absent    | Telnyx's id of the customer leg, once dialled        |
//! | `call`            | document          | the serde form of [`domain::Call`] (times as RFC 3339 strings, exact to the ns) |
//! | `facts`           | document          | history/statistics fields derived from the call (`mongo_data`) |
//!
//! Indexes: `{call_control_id: 1}` unique + sparse (calls not yet dialled have no such field);
//! `{started_at_us: -1, id: -1}` for history pages, newest first (the copy of `_id` exists because
//! the local stand-in breaks every insert once a compound index names `_id`).
//!
//! ## `events` — every raw Telnyx event, once
//!
//! | field             | type            | notes                                           |
//! |-------------------|-----------------|-------------------------------------------------|
//! | `_id`             | string          | Telnyx `data.id`; unique by `_id`               |
//! | `event_type`      | string          | e.g. `call.answered`                            |
//! | `call_id`         | string, absent  | our call id, when the event could be matched    |
//! | `call_control_id` | string, absent  |                                                 |
//! | `occurred_at_us`  | int64           | Telnyx `occurred_at`, µs since the epoch        |
//! | `received_at_us`  | int64           | first acceptance by our webhook, µs             |
//! | `attempt`         | int64           | Telnyx `meta.attempt` of the first delivery     |
//! | `deliveries`      | int64           | `$inc`'d on each repeat                         |
//! | `raw`             | string          | the exact body Telnyx signed                    |
//!
//! Index: `{call_id: 1, occurred_at_us: 1}` for a call's timeline (ties on the time are sorted
//! by `_id` in memory: a call has a few dozen events).
//!
//! ## `commands` — what we asked Telnyx to do, for each call's timeline
//!
//! | field      | type     | notes                                                          |
//! |------------|----------|----------------------------------------------------------------|
//! | `_id`      | ObjectId | made by the writer; breaks ties on `at_us` in insertion order  |
//! | `call_id`  | string   | our call id                                                    |
//! | `at_us`    | int64    | when the command was sent, µs since the epoch                  |
//! | `command`  | document | the serde form of [`CommandRecord`] (`command_id`, `command`, `detail`, `result`, …) |
//!
//! Index: `{call_id: 1, at_us: 1}`. A command is appended once per attempt, never updated: the
//! timeline shows retries as they happened.
//!
//! ## `meta` — one document, `{_id: "indexes", version: int64}`
//!
//! The index set this database has (`INDEX_VERSION`). The first operation of each process reads
//! it and creates the indexes only when it is missing or older ([`MongoStore::ready`]).
//!
//! Why this shape: ids are strings because both Atlas and the local stand-in sort them
//! correctly (the stand-in mis-sorts integer `_id`); times used for sorting and cursors are
//! integer microseconds because BSON datetimes stop at milliseconds and the cursor must match
//! the embedded store's ordering exactly; the call itself stays a real sub-document so Atlas
//! queries and future history filters can reach its fields. Index names are left to the server
//! (the stand-in does not support custom names).

pub mod auth;
mod calls;
pub mod data;
mod store;

pub use store::{MongoOptions, MongoStore};
