//! The embedded store's data features: contacts, history filters and statistics over calls,
//! settings and secrets. Filters and aggregates run in SQL over columns derived from each call
//! (`domain::CallFacts`), written in the same transaction as the call document itself.

use crate::store::{SqliteStore, decode_call, from_micros, micros, unavailable};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::settings::Settings;
use domain::{Call, CallFacts, CallId, Contact, ContactDraft, PhoneNumber, Tally};
use ports::Secret;
use ports::{
    CallFilter, CallHistory, ContactActivity, ContactLink, ContactQuery, ContactStore,
    ImportCounts, SecretError, SecretStore, SettingsStore, StatsGroup, StoreError,
};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::collections::HashMap;

/// Schema versions (`PRAGMA user_version`). Each step runs once, in order, in a transaction.
const MIGRATIONS: &[&str] = &[
    // 1: history and statistics columns on calls; contacts; settings; secrets.
    r#"
    ALTER TABLE calls ADD COLUMN from_number TEXT;
    ALTER TABLE calls ADD COLUMN to_number TEXT;
    ALTER TABLE calls ADD COLUMN contact_id TEXT;
    ALTER TABLE calls ADD COLUMN class TEXT;
    ALTER TABLE calls ADD COLUMN outcome TEXT;
    ALTER TABLE calls ADD COLUMN talk_secs INTEGER;
    ALTER TABLE calls ADD COLUMN ring_secs INTEGER;
    ALTER TABLE calls ADD COLUMN digits TEXT;
    CREATE INDEX calls_by_class ON calls (class, started_at_us DESC, id DESC);
    CREATE INDEX calls_by_to ON calls (to_number, started_at_us DESC);
    CREATE INDEX calls_by_from ON calls (from_number, started_at_us DESC);
    CREATE INDEX calls_by_contact ON calls (contact_id, started_at_us DESC);
    CREATE TABLE contacts (
        id        TEXT PRIMARY KEY,
        phone     TEXT NOT NULL UNIQUE,
        name_key  TEXT NOT NULL,
        digits    TEXT NOT NULL,
        favorite  INTEGER NOT NULL,
        doc       TEXT NOT NULL
    );
    CREATE INDEX contacts_by_name ON contacts (name_key, id);
    CREATE INDEX contacts_favorites ON contacts (favorite, name_key, id);
    CREATE TABLE settings (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    "#,
    // 2: who placed each call (per-user dial limits).
    r#"
    ALTER TABLE calls ADD COLUMN placed_by TEXT;
    CREATE INDEX calls_by_user ON calls (placed_by, started_at_us DESC);
    UPDATE calls SET placed_by = json_extract(doc, '$.placed_by');
    "#,
];

pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable)?;
    let version = usize::try_from(version).unwrap_or(0);
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let to = i + 1;
        conn.execute_batch(&format!(
            "BEGIN; {step} PRAGMA user_version = {to}; COMMIT;"
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Unavailable(format!("migrating the embedded store to v{to}: {e}"))
        })?;
    }
    // Derived columns are written by the current code, so after the last step: a file from
    // before the history columns gets all of them at once.
    if version == 0 {
        backfill_facts(conn)?;
    }
    Ok(())
}

/// Calls stored before the history columns existed get them once.
fn backfill_facts(conn: &Connection) -> Result<(), StoreError> {
    let docs: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT doc FROM calls WHERE class IS NULL")
            .map_err(unavailable)?;
        stmt.query_map([], |r| r.get(0))
            .map_err(unavailable)?
            .collect::<Result<_, _>>()
            .map_err(unavailable)?
    };
    for doc in docs {
        store_facts(conn, &decode_call(&doc)?)?;
    }
    Ok(())
}

/// Writes the derived columns of one call. Called wherever the call document is written.
pub(crate) fn store_facts(conn: &Connection, call: &Call) -> Result<(), StoreError> {
    let f = CallFacts::of(call);
    let mut stmt = conn
        .prepare_cached(
            "UPDATE calls SET from_number = ?2, to_number = ?3, contact_id = ?4, class = ?5,
                outcome = ?6, talk_secs = ?7, ring_secs = ?8, digits = ?9, placed_by = ?10
                WHERE id = ?1",
        )
        .map_err(unavailable)?;
    stmt.execute(params![
        call.id.to_string(),
        call.from.as_str(),
        call.to.as_str(),
        call.contact_id,
        f.class.as_str(),
        f.outcome.map(|o| o.as_str()),
        f.talk_secs,
        f.ring_secs,
        format!("{} {}", call.to.digits(), call.from.digits()),
        call.placed_by,
    ])
    .map_err(unavailable)?;
    Ok(())
}

/// `%fragment%` for LIKE with `\` escaping, so a user's `%` or `_` matches itself.
fn like(fragment: &str) -> String {
    let mut out = String::from("%");
    for c in fragment.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A WHERE clause and its parameters, built from a filter.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Sql>,
}

impl Where {
    fn push(&mut self, clause: &str, params: impl IntoIterator<Item = Sql>) {
        self.clauses.push(clause.to_string());
        self.params.extend(params);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn text(s: impl Into<String>) -> Sql {
    Sql::Text(s.into())
}

fn call_where(filter: &CallFilter) -> Where {
    let mut w = Where::default();
    if let Some(status) = filter.status {
        w.push("class = ?", [text(status.as_str())]);
    }
    if let Some(t) = filter.since {
        w.push("started_at_us >= ?", [Sql::Integer(micros(t))]);
    }
    if let Some(t) = filter.until {
        w.push("started_at_us < ?", [Sql::Integer(micros(t))]);
    }
    if let Some(n) = &filter.from_number {
        w.push("from_number = ?", [text(n.as_str())]);
    }
    if let Some(user) = &filter.placed_by {
        w.push("placed_by = ?", [text(user.clone())]);
    }
    if let Some(c) = &filter.contact {
        w.push(
            "(contact_id = ? OR to_number = ?)",
            [
                text(c.id.clone()),
                c.phone.as_ref().map_or(Sql::Null, |p| text(p.as_str())),
            ],
        );
    }
    if let Some(s) = &filter.search {
        let name = like(&s.text);
        // Also the call's own notes and tags (lower() folds ASCII only; LIKE already ignores
        // ASCII case, and the text is lower-cased by SearchTerms).
        let by_text = "to_number IN (SELECT phone FROM contacts WHERE name_key LIKE ? ESCAPE '\\')
             OR contact_id IN (SELECT id FROM contacts WHERE name_key LIKE ? ESCAPE '\\')
             OR lower(json_extract(doc, '$.notes')) LIKE ? ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE lower(value) LIKE ? ESCAPE '\\')";
        let texts = || std::iter::repeat_n(text(name.clone()), 4);
        match &s.digits {
            Some(d) => w.push(
                &format!("(digits LIKE ? ESCAPE '\\' OR {by_text})"),
                std::iter::once(text(like(d))).chain(texts()),
            ),
            None => w.push(&format!("({by_text})"), texts()),
        }
    }
    w
}

const TALLY_COLUMNS: &str = "COUNT(*),
    COALESCE(SUM(class = 'active'), 0),
    COALESCE(SUM(outcome = 'completed'), 0),
    COALESCE(SUM(outcome = 'no_answer'), 0),
    COALESCE(SUM(outcome = 'busy'), 0),
    COALESCE(SUM(outcome = 'rejected'), 0),
    COALESCE(SUM(outcome = 'canceled'), 0),
    COALESCE(SUM(outcome = 'failed'), 0),
    COALESCE(SUM(talk_secs), 0),
    COALESCE(SUM(ring_secs), 0),
    COUNT(ring_secs),
    COALESCE(SUM(outcome = 'agent_no_answer'), 0),
    COALESCE(SUM(outcome = 'agent_failed'), 0)";

fn read_tally(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<Tally> {
    let n = |i: usize| r.get::<_, i64>(from + i).map(|v| v.max(0) as u64);
    Ok(Tally {
        total: n(0)?,
        active: n(1)?,
        completed: n(2)?,
        no_answer: n(3)?,
        busy: n(4)?,
        rejected: n(5)?,
        canceled: n(6)?,
        failed: n(7)?,
        talk_secs_sum: r.get(from + 8)?,
        ring_secs_sum: r.get(from + 9)?,
        ring_count: n(10)?,
        agent_no_answer: n(11)?,
        agent_failed: n(12)?,
    })
}

#[async_trait]
impl CallHistory for SqliteStore {
    async fn search_calls(
        &self,
        filter: &CallFilter,
        limit: usize,
        before: Option<(DateTime<Utc>, CallId)>,
    ) -> Result<Vec<Call>, StoreError> {
        let mut w = call_where(filter);
        if let Some((t, id)) = before {
            w.push(
                "(started_at_us, id) < (?, ?)",
                [Sql::Integer(micros(t)), text(id.to_string())],
            );
        }
        let sql = format!(
            "SELECT doc FROM calls {} ORDER BY started_at_us DESC, id DESC LIMIT {}",
            w.sql(),
            limit.clamp(1, 1000)
        );
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let docs: Vec<String> = stmt
                .query_map(params_from_iter(w.params.iter()), |r| r.get(0))
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            docs.iter().map(|d| decode_call(d)).collect()
        })
        .await
    }

    async fn tally(&self, filter: &CallFilter) -> Result<Tally, StoreError> {
        let w = call_where(filter);
        let sql = format!("SELECT {TALLY_COLUMNS} FROM calls {}", w.sql());
        self.run(move |conn| {
            conn.query_row(&sql, params_from_iter(w.params.iter()), |r| {
                read_tally(r, 0)
            })
            .map_err(unavailable)
        })
        .await
    }

    async fn tally_by(
        &self,
        filter: &CallFilter,
        group: StatsGroup,
    ) -> Result<Vec<(String, Tally)>, StoreError> {
        let w = call_where(filter);
        let key = match group {
            StatsGroup::Day => "strftime('%Y-%m-%d', started_at_us / 1000000, 'unixepoch')",
            StatsGroup::FromNumber => "from_number",
        };
        let sql = format!(
            "SELECT {key} AS k, {TALLY_COLUMNS} FROM calls {} GROUP BY k ORDER BY k",
            w.sql()
        );
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            stmt.query_map(params_from_iter(w.params.iter()), |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    read_tally(r, 1)?,
                ))
            })
            .map_err(unavailable)?
            .collect::<Result<_, _>>()
            .map_err(unavailable)
        })
        .await
    }

    async fn contact_activity(
        &self,
        contacts: &[ContactLink],
    ) -> Result<HashMap<String, ContactActivity>, StoreError> {
        let links = contacts.to_vec();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT COUNT(*), MAX(started_at_us) FROM calls WHERE contact_id = ?1 OR to_number = ?2",
                )
                .map_err(unavailable)?;
            let mut out = HashMap::new();
            for link in links {
                let (count, last): (i64, Option<i64>) = stmt
                    .query_row(params![link.id, link.phone.as_ref().map(|p| p.as_str())], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(unavailable)?;
                out.insert(
                    link.id,
                    ContactActivity {
                        call_count: count.max(0) as u64,
                        last_called_at: last.map(from_micros).transpose()?,
                    },
                );
            }
            Ok(out)
        })
        .await
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A contact search matches the name or the company (the company lives in the document only).
const BY_NAME_OR_COMPANY: &str = "name_key LIKE ? ESCAPE '\\'
    OR lower(json_extract(doc, '$.company')) LIKE ? ESCAPE '\\'";

fn name_key(c: &Contact) -> String {
    c.name.to_lowercase()
}

/// Maps a phone uniqueness violation to `Duplicate` naming the contact that holds the number.
fn contact_write_error(conn: &Connection, e: rusqlite::Error, phone: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            let holder: Option<String> = conn
                .query_row("SELECT id FROM contacts WHERE phone = ?1", [phone], |r| {
                    r.get(0)
                })
                .optional()
                .ok()
                .flatten();
            StoreError::Duplicate(holder.unwrap_or_default())
        }
        other => unavailable(other),
    }
}

fn insert_contact(conn: &Connection, c: &Contact) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO contacts (id, phone, name_key, digits, favorite, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![c.id, c.phone.as_str(), name_key(c), c.phone.digits(), c.favorite, encode(c)?],
    )
    .map_err(|e| contact_write_error(conn, e, c.phone.as_str()))?;
    Ok(())
}

fn update_contact(conn: &Connection, c: &Contact) -> Result<bool, StoreError> {
    let n = conn
        .execute(
            "UPDATE contacts SET phone = ?2, name_key = ?3, digits = ?4, favorite = ?5, doc = ?6 WHERE id = ?1",
            params![c.id, c.phone.as_str(), name_key(c), c.phone.digits(), c.favorite, encode(c)?],
        )
        .map_err(|e| contact_write_error(conn, e, c.phone.as_str()))?;
    Ok(n > 0)
}

fn one_contact(conn: &Connection, sql: &str, key: &str) -> Result<Option<Contact>, StoreError> {
    let doc: Option<String> = conn
        .query_row(sql, [key], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    doc.as_deref().map(decode).transpose()
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn create_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        let c = contact.clone();
        self.run(move |conn| insert_contact(conn, &c)).await
    }

    async fn contact(&self, id: &str) -> Result<Option<Contact>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| one_contact(conn, "SELECT doc FROM contacts WHERE id = ?1", &id))
            .await
    }

    async fn contact_by_phone(&self, phone: &PhoneNumber) -> Result<Option<Contact>, StoreError> {
        let phone = phone.as_str().to_string();
        self.run(move |conn| one_contact(conn, "SELECT doc FROM contacts WHERE phone = ?1", &phone))
            .await
    }

    async fn replace_contact(&self, contact: &Contact) -> Result<bool, StoreError> {
        let c = contact.clone();
        self.run(move |conn| update_contact(conn, &c)).await
    }

    async fn delete_contact(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            conn.execute("DELETE FROM contacts WHERE id = ?1", [&id])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
        .await
    }

    async fn list_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, StoreError> {
        let mut w = Where::default();
        if let Some(s) = &query.search {
            match &s.digits {
                Some(d) => w.push(
                    &format!("({BY_NAME_OR_COMPANY} OR digits LIKE ? ESCAPE '\\')"),
                    [text(like(&s.text)), text(like(&s.text)), text(like(d))],
                ),
                None => w.push(
                    &format!("({BY_NAME_OR_COMPANY})"),
                    [text(like(&s.text)), text(like(&s.text))],
                ),
            }
        }
        if let Some(f) = query.favorite {
            w.push("favorite = ?", [Sql::Integer(f as i64)]);
        }
        if let Some(tag) = &query.tag {
            w.push(
                "EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = ?)",
                [text(tag.clone())],
            );
        }
        if let Some((name, id)) = &query.after {
            w.push(
                "(name_key, id) > (?, ?)",
                [text(name.clone()), text(id.clone())],
            );
        }
        let sql = format!(
            "SELECT doc FROM contacts {} ORDER BY name_key, id LIMIT {}",
            w.sql(),
            query.limit.clamp(1, 1000)
        );
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let docs: Vec<String> = stmt
                .query_map(params_from_iter(w.params.iter()), |r| r.get(0))
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            docs.iter().map(|d| decode(d)).collect()
        })
        .await
    }

    async fn import_contacts(
        &self,
        rows: &[ContactDraft],
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError> {
        let rows = rows.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction().map_err(unavailable)?;
            let mut counts = ImportCounts::default();
            for row in rows {
                let existing = one_contact(
                    &tx,
                    "SELECT doc FROM contacts WHERE phone = ?1",
                    row.phone.as_str(),
                )?;
                match existing {
                    Some(mut c) => {
                        if c.merge_import(&row, now) {
                            update_contact(&tx, &c)?;
                            counts.updated += 1;
                        } else {
                            counts.unchanged += 1;
                        }
                    }
                    None => {
                        let id = CallId::new_at(now).to_string();
                        insert_contact(&tx, &Contact::new(id, row, now))?;
                        counts.created += 1;
                    }
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(counts)
        })
        .await
    }
}

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn load_settings(&self) -> Result<Settings, StoreError> {
        self.run(|conn| {
            let doc: Option<String> = conn
                .query_row("SELECT doc FROM settings WHERE key = 'team'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(unavailable)?;
            Ok(doc.as_deref().map(decode).transpose()?.unwrap_or_default())
        })
        .await
    }

    async fn save_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let doc = encode(settings)?;
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO settings (key, doc) VALUES ('team', ?1)
                 ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
                [doc],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }
}

/// Locally the secret sits in the same file as the data, on the user's own machine; in AWS the
/// deployment's secret store is used instead (see `the wiring crate's `secrets``).
#[async_trait]
impl SecretStore for SqliteStore {
    async fn secret(&self, name: &'static str) -> Result<Option<Secret>, StoreError> {
        self.run(move |conn| {
            conn.query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map(|v| v.map(Secret::new))
            .map_err(unavailable)
        })
        .await
    }

    async fn put_secret(
        &self,
        name: &'static str,
        value: Option<&Secret>,
    ) -> Result<(), SecretError> {
        let value = value.map(|v| v.expose().to_string());
        self.run(move |conn| {
            match value {
                Some(v) => conn.execute(
                    "INSERT INTO secrets (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    params![name, v],
                ),
                None => conn.execute("DELETE FROM secrets WHERE name = ?1", [name]),
            }
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
        .map_err(SecretError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ports::CallStore;

    /// A file written before the history columns existed opens, migrates once, and its calls
    /// are found by the new filters.
    #[tokio::test]
    async fn version_zero_files_are_migrated_and_backfilled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let at = Utc::now();
        let old = Call::new(
            CallId::new_at(at),
            PhoneNumber::parse("+13125550201", "US").unwrap(),
            PhoneNumber::parse("+12125550100", "US").unwrap(),
            None,
            at,
        );
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE calls (id TEXT PRIMARY KEY, call_control_id TEXT UNIQUE,
                 started_at_us INTEGER NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL);",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO calls VALUES (?1, NULL, ?2, ?3, 1)",
                params![
                    old.id.to_string(),
                    micros(at),
                    serde_json::to_string(&old).unwrap()
                ],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let active = CallFilter {
            status: Some(domain::HistoryStatus::Active),
            search: domain::SearchTerms::parse("555 0100"),
            ..Default::default()
        };
        let found = store.search_calls(&active, 10, None).await.unwrap();
        assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [old.id]);
        assert!(store.get(old.id).await.unwrap().is_some());
        drop(store);
        // Opening again runs no migration twice.
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.tally(&CallFilter::default()).await.unwrap().total, 1);
    }
}
