//! Calls and the raw event log.

use crate::data::store_facts;
use crate::store::{SqliteStore, decode_call, encode_call, from_micros, micros, unavailable};
use async_trait::async_trait;
use domain::{Call, CallId};
use ports::{CallChange, CallQuery, CallStore, EventLog, EventRecord, Recorded, StoreError};
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl CallStore for SqliteStore {
    async fn insert(&self, call: &Call) -> Result<(), StoreError> {
        self.insert_within_limit(call, u32::MAX, chrono::DateTime::<chrono::Utc>::MIN_UTC)
            .await
            .map(|_| ())
    }

    async fn insert_within_limit(
        &self,
        call: &Call,
        max_active: u32,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let doc = encode_call(call)?;
        let id = call.id.to_string();
        let ccid = call.telnyx.as_ref().map(|t| t.call_control_id.clone());
        let started = micros(call.started_at);
        let since = micros(since);
        let call = call.clone();
        self.run(move |conn| {
            // IMMEDIATE takes the write lock before the count, so no other writer (another
            // process on the same file included) can insert between the count and the insert.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            if let (Some(user), true) = (&call.placed_by, max_active < u32::MAX) {
                let active: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM calls
                         WHERE placed_by = ?1 AND class = 'active' AND started_at_us >= ?2",
                        params![user, since],
                        |r| r.get(0),
                    )
                    .map_err(unavailable)?;
                if active >= i64::from(max_active) {
                    return Ok(false);
                }
            }
            tx.execute(
                "INSERT INTO calls (id, call_control_id, started_at_us, doc, version) VALUES (?1, ?2, ?3, ?4, 1)",
                params![id, ccid, started, doc],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Duplicate(format!("call {id}"))
                }
                other => unavailable(other),
            })?;
            store_facts(&tx, &call)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn get(&self, id: CallId) -> Result<Option<Call>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let doc: Option<String> = conn
                .query_row("SELECT doc FROM calls WHERE id = ?1", [&id], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            doc.as_deref().map(decode_call).transpose()
        })
        .await
    }

    async fn find_by_call_control_id(
        &self,
        call_control_id: &str,
    ) -> Result<Option<Call>, StoreError> {
        let ccid = call_control_id.to_string();
        self.run(move |conn| {
            let doc: Option<String> = conn
                .query_row(
                    "SELECT doc FROM calls WHERE call_control_id = ?1",
                    [&ccid],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            doc.as_deref().map(decode_call).transpose()
        })
        .await
    }

    async fn update(&self, id: CallId, change: CallChange<'_>) -> Result<Option<Call>, StoreError> {
        // The closure is borrowed, so the read-modify-write runs on this thread while holding
        // the connection; each step is a few microseconds against a local file.
        let id_text = id.to_string();
        let conn = self.conn.clone();
        let mut guard = conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        let tx = guard.transaction().map_err(unavailable)?;
        // Cached statements: the processor runs this for every event, and preparing costs as
        // much as running it.
        let doc: Option<String> = tx
            .prepare_cached("SELECT doc FROM calls WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([&id_text], |r| r.get(0)).optional())
            .map_err(unavailable)?;
        let Some(doc) = doc else {
            return Ok(None);
        };
        let mut call = decode_call(&doc)?;
        change(&mut call);
        let changed = encode_call(&call)?;
        if changed == doc {
            // A redelivered or already-superseded event: nothing to write (no version bump,
            // so a poller's ETag stays valid), and the read-only transaction rolls back.
            return Ok(Some(call));
        }
        let doc = changed;
        let ccid = call.telnyx.as_ref().map(|t| t.call_control_id.clone());
        tx.prepare_cached(
            "UPDATE calls SET doc = ?2, call_control_id = ?3, version = version + 1 WHERE id = ?1",
        )
        .and_then(|mut stmt| stmt.execute(params![id_text, doc, ccid]))
        .map_err(|e| match e {
            // The only constraint an update can break: another call holds this call_control_id.
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Duplicate(format!(
                    "call_control_id {} belongs to another call",
                    ccid.as_deref().unwrap_or_default()
                ))
            }
            other => unavailable(other),
        })?;
        store_facts(&tx, &call)?;
        tx.commit().map_err(unavailable)?;
        Ok(Some(call))
    }

    async fn list(&self, query: &CallQuery) -> Result<Vec<Call>, StoreError> {
        let limit = query.limit.clamp(1, 500) as i64;
        let before = query.before.map(|(t, id)| (micros(t), id.to_string()));
        self.run(move |conn| {
            let mut docs = Vec::new();
            match before {
                Some((t, id)) => {
                    let mut stmt = conn
                        .prepare_cached(
                            "SELECT doc FROM calls WHERE (started_at_us, id) < (?1, ?2) ORDER BY started_at_us DESC, id DESC LIMIT ?3",
                        )
                        .map_err(unavailable)?;
                    let rows = stmt
                        .query_map(params![t, id, limit], |r| r.get::<_, String>(0))
                        .map_err(unavailable)?;
                    for row in rows {
                        docs.push(row.map_err(unavailable)?);
                    }
                }
                None => {
                    let mut stmt = conn
                        .prepare_cached(
                            "SELECT doc FROM calls ORDER BY started_at_us DESC, id DESC LIMIT ?1",
                        )
                        .map_err(unavailable)?;
                    let rows = stmt
                        .query_map(params![limit], |r| r.get::<_, String>(0))
                        .map_err(unavailable)?;
                    for row in rows {
                        docs.push(row.map_err(unavailable)?);
                    }
                }
            }
            docs.iter().map(|d| decode_call(d)).collect()
        })
        .await
    }
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn record(&self, event: &EventRecord) -> Result<Recorded, StoreError> {
        let e = event.clone();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO events (event_id, event_type, call_id, call_control_id, occurred_at_us, received_at_us, attempt, deliveries, raw)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)
                     ON CONFLICT (event_id) DO UPDATE SET deliveries = deliveries + 1
                     RETURNING deliveries",
                )
                .map_err(unavailable)?;
            let deliveries: i64 = stmt
                .query_row(
                    params![
                        e.event_id,
                        e.event_type,
                        e.call_id.map(|c| c.to_string()),
                        e.call_control_id,
                        micros(e.occurred_at),
                        micros(e.received_at),
                        e.attempt,
                        e.raw
                    ],
                    |r| r.get(0),
                )
                .map_err(unavailable)?;
            Ok(if deliveries == 1 {
                Recorded::New
            } else {
                Recorded::Duplicate
            })
        })
        .await
    }

    async fn events_for_call(&self, id: CallId) -> Result<Vec<EventRecord>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT event_id, event_type, call_id, call_control_id, occurred_at_us, received_at_us, attempt, deliveries, raw
                     FROM events WHERE call_id = ?1 ORDER BY occurred_at_us, event_id",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, u32>(6)?,
                        r.get::<_, u32>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                })
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                let (event_id, event_type, call_id, ccid, occ, rec, attempt, deliveries, raw) =
                    row.map_err(unavailable)?;
                out.push(EventRecord {
                    event_id,
                    event_type,
                    call_id: call_id.and_then(|c| c.parse().ok()),
                    call_control_id: ccid,
                    occurred_at: from_micros(occ)?,
                    received_at: from_micros(rec)?,
                    attempt,
                    deliveries,
                    raw,
                });
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use domain::{CallEvent, CallEventKind, PhoneNumber, TelnyxLeg};

    fn call(at: DateTime<Utc>) -> Call {
        Call::new(
            CallId::new_at(at),
            PhoneNumber::parse("+12125550200", "US").unwrap(),
            PhoneNumber::parse("+12125550100", "US").unwrap(),
            None,
            at,
        )
    }

    #[tokio::test]
    async fn calls_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dialer.sqlite3");
        let c = call(Utc::now());
        {
            let store = SqliteStore::open(&path).unwrap();
            store.insert(&c).await.unwrap();
            let leg = TelnyxLeg {
                call_control_id: "v3:abc".into(),
                call_leg_id: "leg".into(),
                call_session_id: "sess".into(),
            };
            store
                .update(c.id, &move |call: &mut Call| {
                    call.telnyx = Some(leg.clone())
                })
                .await
                .unwrap()
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let back = store.get(c.id).await.unwrap().unwrap();
        assert_eq!(back.telnyx.as_ref().unwrap().call_control_id, "v3:abc");
        let by_ccid = store
            .find_by_call_control_id("v3:abc")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_ccid.id, c.id);
        assert!(matches!(
            store.insert(&c).await,
            Err(StoreError::Duplicate(_))
        ));
        assert!(
            store
                .get(CallId::new_at(Utc::now()))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn concurrent_updates_lose_nothing() {
        let store = SqliteStore::in_memory().unwrap();
        let c = call(Utc::now());
        store.insert(&c).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = store.clone();
            let id = c.id;
            tasks.push(tokio::spawn(async move {
                let event = CallEvent {
                    event_id: format!("dtmf-{i}"),
                    occurred_at: Utc::now(),
                    kind: CallEventKind::DtmfReceived { digit: "1".into() },
                };
                store
                    .update(id, &move |call: &mut Call| call.apply(&event))
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let back = store.get(c.id).await.unwrap().unwrap();
        assert_eq!(back.dtmf_received.len(), 50);
    }

    #[tokio::test]
    async fn a_change_that_changes_nothing_writes_nothing() {
        let store = SqliteStore::in_memory().unwrap();
        let c = call(Utc::now());
        store.insert(&c).await.unwrap();
        let event = CallEvent {
            event_id: "dtmf-once".into(),
            occurred_at: Utc::now(),
            kind: CallEventKind::DtmfReceived { digit: "5".into() },
        };
        let version = |store: SqliteStore, id: CallId| async move {
            store
                .run(move |conn| {
                    conn.query_row(
                        "SELECT version FROM calls WHERE id = ?1",
                        [id.to_string()],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(unavailable)
                })
                .await
                .unwrap()
        };
        for _ in 0..3 {
            let applied = store
                .update(c.id, &|call: &mut Call| call.apply(&event))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(applied.dtmf_received.len(), 1, "the event counts once");
        }
        // One real change, then two redeliveries that left the row as it was.
        assert_eq!(version(store.clone(), c.id).await, 2);
        assert_eq!(
            store.get(c.id).await.unwrap().unwrap().dtmf_received.len(),
            1
        );
    }

    #[tokio::test]
    async fn list_pages_newest_first_with_a_stable_cursor() {
        let store = SqliteStore::in_memory().unwrap();
        let base = Utc::now();
        let mut ids = Vec::new();
        for i in 0..7 {
            let c = call(base + chrono::Duration::seconds(i));
            ids.push(c.id);
            store.insert(&c).await.unwrap();
        }
        ids.reverse();
        let first = store
            .list(&CallQuery {
                limit: 3,
                before: None,
            })
            .await
            .unwrap();
        assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..3]);
        // a new call arriving between pages does not shift the next page
        store
            .insert(&call(base + chrono::Duration::seconds(60)))
            .await
            .unwrap();
        let last = first.last().unwrap();
        let second = store
            .list(&CallQuery {
                limit: 10,
                before: Some((last.started_at, last.id)),
            })
            .await
            .unwrap();
        assert_eq!(second.iter().map(|c| c.id).collect::<Vec<_>>(), ids[3..]);
    }

    #[tokio::test]
    async fn event_log_keeps_each_event_once_and_counts_deliveries() {
        let store = SqliteStore::in_memory().unwrap();
        let id = CallId::new_at(Utc::now());
        let record = |event_id: &str, secs: i64| EventRecord {
            event_id: event_id.into(),
            event_type: "call.answered".into(),
            call_id: Some(id),
            call_control_id: Some("v3:x".into()),
            occurred_at: DateTime::from_timestamp(1_760_000_000 + secs, 0).unwrap(),
            received_at: Utc::now(),
            attempt: 1,
            deliveries: 1,
            raw: "{}".into(),
        };
        assert_eq!(store.record(&record("b", 2)).await.unwrap(), Recorded::New);
        assert_eq!(store.record(&record("a", 1)).await.unwrap(), Recorded::New);
        assert_eq!(
            store.record(&record("b", 2)).await.unwrap(),
            Recorded::Duplicate
        );
        let events = store.events_for_call(id).await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| (e.event_id.as_str(), e.deliveries))
                .collect::<Vec<_>>(),
            [("a", 1), ("b", 2)]
        );
    }
}
