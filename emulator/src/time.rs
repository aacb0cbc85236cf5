//! Telnyx's timestamp format, shared by webhooks and API answers.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC with microseconds, as Telnyx writes `occurred_at`, `start_time`, ...
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}
