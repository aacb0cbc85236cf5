//! The store contract: every `CallStore + EventLog` adapter must pass the same cases. They run
//! against the embedded SQLite store always, and against MongoDB when `MONGODB_URI` points at a
//! server (the local stand-in from scripts/standins.sh, or a real cluster); without it the
//! MongoDB cases skip loudly, or fail under `REQUIRE_STANDINS=1`.

mod common;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber, TelnyxLeg};
use ports::{
    CallQuery, CallStore, CommandLog, CommandRecord, CommandResult, EventLog, EventRecord,
    Recorded, StoreError,
};
use std::collections::HashSet;
use std::time::Duration;

/// What a case needs from a store; both adapters are cheap to clone (shared pool/connection).
trait Store: CallStore + EventLog + CommandLog + Clone + 'static {}
impl<T: CallStore + EventLog + CommandLog + Clone + 'static> Store for T {}

/// A fixed instant with microsecond detail, so precision loss in a store shows.
fn t0() -> DateTime<Utc> {
    Utc.timestamp_micros(1_767_225_600_000_001).unwrap()
}

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, "US").unwrap()
}

fn call_at(at: DateTime<Utc>) -> Call {
    call_with_id(CallId::new_at(at), at)
}

fn call_with_id(id: CallId, at: DateTime<Utc>) -> Call {
    Call::new(id, number("+12125550200"), number("+12125550100"), None, at)
}

fn leg(ccid: &str) -> TelnyxLeg {
    TelnyxLeg {
        call_control_id: ccid.into(),
        call_leg_id: format!("leg-{ccid}"),
        call_session_id: format!("session-{ccid}"),
    }
}

fn event(id: &str, at: DateTime<Utc>, kind: CallEventKind) -> CallEvent {
    CallEvent {
        event_id: id.into(),
        occurred_at: at,
        kind,
    }
}

/// Every fact a call can carry, with nanosecond times and non-ASCII text.
fn fully_projected(call: &mut Call) {
    let at = |ms: i64| t0() + Span::milliseconds(ms) + Span::nanoseconds(123);
    call.contact_id = Some("contact-ü".into());
    call.telnyx = Some(leg(&format!("v3:{}", call.id)));
    call.hangup_requested_at = Some(at(9_000));
    call.muted = true;
    call.speaker = true;
    for e in [
        event("e-init", at(100), CallEventKind::Initiated),
        event("e-ans", at(2_000), CallEventKind::Answered),
        event(
            "e-amd",
            at(2_500),
            CallEventKind::MachineDetectionEnded {
                result: "human".into(),
            },
        ),
        event(
            "e-d1",
            at(3_000),
            CallEventKind::DtmfReceived { digit: "#".into() },
        ),
        event(
            "e-d2",
            at(3_100),
            CallEventKind::DtmfReceived { digit: "7".into() },
        ),
        event(
            "e-rec",
            at(12_000),
            CallEventKind::RecordingSaved {
                recording_id: "rec-1".into(),
                format: Some("mp3".into()),
                channels: Some("dual".into()),
                started_at: Some(at(2_100)),
                ended_at: Some(at(10_000)),
            },
        ),
        event(
            "e-recerr",
            at(12_500),
            CallEventKind::RecordingError {
                reason: "storage — full".into(),
            },
        ),
        event(
            "e-hup",
            at(10_000),
            CallEventKind::Hangup {
                cause: "normal_clearing".into(),
                source: Some("callee".into()),
                sip_code: Some("200".into()),
                start_time: Some(at(0)),
                end_time: Some(at(10_000)),
            },
        ),
        event(
            "e-cost",
            at(20_000),
            CallEventKind::Cost {
                total_cost: "0.0070".into(),
                currency: Some("USD".into()),
                billed_duration_secs: Some(60),
            },
        ),
    ] {
        call.apply(&e);
    }
}

fn record(event_id: &str, call_id: Option<CallId>, occurred: DateTime<Utc>) -> EventRecord {
    EventRecord {
        event_id: event_id.into(),
        event_type: "call.dtmf.received".into(),
        call_id,
        call_control_id: Some("v3:events".into()),
        occurred_at: occurred,
        received_at: t0() + Span::microseconds(7),
        attempt: 1,
        deliveries: 1,
        raw: format!(r#"{{"data":{{"id":"{event_id}","note":"ünïcode ☎"}}}}"#),
    }
}

fn ids(calls: &[Call]) -> Vec<CallId> {
    calls.iter().map(|c| c.id).collect()
}

mod cases {
    use super::*;

    pub async fn insert_get_and_duplicate<S: Store>(s: S) {
        let c = call_at(t0());
        s.insert(&c).await.unwrap();
        assert_eq!(s.get(c.id).await.unwrap(), Some(c.clone()));

        let mut changed = c.clone();
        changed.muted = true;
        assert!(
            matches!(s.insert(&changed).await, Err(StoreError::Duplicate(_))),
            "a second insert of one id must be a Duplicate"
        );
        assert_eq!(
            s.get(c.id).await.unwrap(),
            Some(c),
            "a refused insert changes nothing"
        );
        assert_eq!(s.get(CallId::new_at(t0())).await.unwrap(), None);
    }

    pub async fn a_fully_projected_call_round_trips<S: Store>(s: S) {
        let mut full = call_at(t0());
        fully_projected(&mut full);
        s.insert(&full).await.unwrap();
        assert_eq!(s.get(full.id).await.unwrap(), Some(full.clone()));

        let bare = call_at(t0() + Span::seconds(1));
        s.insert(&bare).await.unwrap();
        let returned = s.update(bare.id, &fully_projected).await.unwrap().unwrap();
        let mut expected = bare.clone();
        fully_projected(&mut expected);
        assert_eq!(returned, expected);
        assert_eq!(s.get(bare.id).await.unwrap(), Some(expected));
    }

    pub async fn call_control_id_finds_the_dialled_call<S: Store>(s: S) {
        // Several undialled calls (no call_control_id) must coexist under the unique index.
        let calls: Vec<Call> = (0..3).map(|i| call_at(t0() + Span::seconds(i))).collect();
        for c in &calls {
            s.insert(c).await.unwrap();
        }
        assert_eq!(s.find_by_call_control_id("v3:one").await.unwrap(), None);

        s.update(calls[0].id, &|c: &mut Call| c.telnyx = Some(leg("v3:one")))
            .await
            .unwrap()
            .unwrap();
        let found = s.find_by_call_control_id("v3:one").await.unwrap().unwrap();
        assert_eq!(found.id, calls[0].id);
        assert_eq!(found.telnyx, Some(leg("v3:one")));

        // Telnyx never reuses a call_control_id: a second call claiming it is refused.
        let stolen = s
            .update(calls[1].id, &|c: &mut Call| c.telnyx = Some(leg("v3:one")))
            .await;
        assert!(
            matches!(stolen, Err(StoreError::Duplicate(_))),
            "two calls with one call_control_id must be a Duplicate: {stolen:?}"
        );
        assert_eq!(s.get(calls[1].id).await.unwrap().unwrap().telnyx, None);
        assert_eq!(
            s.find_by_call_control_id("v3:one")
                .await
                .unwrap()
                .unwrap()
                .id,
            calls[0].id
        );
        // And a call inserted already dialled is found too.
        let mut dialled = call_at(t0() + Span::seconds(5));
        dialled.telnyx = Some(leg("v3:two"));
        s.insert(&dialled).await.unwrap();
        assert_eq!(
            s.find_by_call_control_id("v3:two")
                .await
                .unwrap()
                .unwrap()
                .id,
            dialled.id
        );
    }

    pub async fn updating_a_missing_call_is_none<S: Store>(s: S) {
        let missing = CallId::new_at(t0());
        assert_eq!(
            s.update(missing, &|c: &mut Call| c.muted = true)
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.get(missing).await.unwrap(), None);
    }

    pub async fn an_update_that_changes_nothing_returns_the_call<S: Store>(s: S) {
        let c = call_at(t0());
        s.insert(&c).await.unwrap();
        assert_eq!(
            s.update(c.id, &|_: &mut Call| {}).await.unwrap(),
            Some(c.clone())
        );
        assert_eq!(s.get(c.id).await.unwrap(), Some(c));
    }

    pub async fn parallel_inserts_never_pass_the_active_limit<S: Store>(s: S) {
        let placed_by = |user: &str, at| {
            let mut c = call_at(at);
            c.placed_by = Some(user.into());
            c
        };
        let since = t0() - Span::days(1);
        // Limit 3, twelve at once: exactly three stored, whatever the interleaving.
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let s = s.clone();
                let c = placed_by("ana", t0() + Span::milliseconds(i));
                tokio::spawn(async move { s.insert_within_limit(&c, 3, since).await.unwrap() })
            })
            .collect();
        let mut stored = 0;
        for t in tasks {
            stored += u32::from(t.await.unwrap());
        }
        assert_eq!(stored, 3);
        let all = s
            .list(&CallQuery {
                limit: 100,
                before: None,
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
        // Another user, calls with no placer and calls older than `since` are not counted.
        assert!(
            s.insert_within_limit(&placed_by("bo", t0()), 3, since)
                .await
                .unwrap()
        );
        assert!(
            s.insert_within_limit(&call_at(t0()), 0, since)
                .await
                .unwrap()
        );
        assert!(
            s.insert_within_limit(&placed_by("ana", t0()), 3, t0() + Span::seconds(1))
                .await
                .unwrap()
        );
    }

    pub async fn concurrent_updates_lose_nothing<S: Store>(s: S) {
        let c = call_at(t0());
        s.insert(&c).await.unwrap();
        let other = call_at(t0() + Span::seconds(1));
        s.insert(&other).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = s.clone();
            let id = c.id;
            tasks.push(tokio::spawn(async move {
                let e = event(
                    &format!("dtmf-{i:02}"),
                    t0() + Span::milliseconds(i),
                    CallEventKind::DtmfReceived {
                        digit: (i % 10).to_string(),
                    },
                );
                let after = s
                    .update(id, &move |call: &mut Call| call.apply(&e))
                    .await
                    .unwrap()
                    .unwrap();
                assert!(after.dtmf_received.contains_key(&format!("dtmf-{i:02}")));
            }));
        }
        // A writer of another call meanwhile must neither block nor be blocked.
        let s2 = s.clone();
        let other_id = other.id;
        tasks.push(tokio::spawn(async move {
            s2.update(other_id, &|c: &mut Call| c.on_hold = true)
                .await
                .unwrap()
                .unwrap();
        }));
        common::within(Duration::from_secs(60), "20 concurrent updates", async {
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await;
        let back = s.get(c.id).await.unwrap().unwrap();
        let kept: Vec<&String> = back.dtmf_received.keys().collect();
        assert_eq!(kept.len(), 20, "lost updates: kept only {kept:?}");
        assert!(s.get(other.id).await.unwrap().unwrap().on_hold);
    }

    pub async fn history_pages_are_stable_while_calls_arrive<S: Store>(s: S) {
        let mut initial = Vec::new();
        // Ties on started_at are broken by id, newest (largest) first.
        for _ in 0..3 {
            initial.push(call_at(t0()));
        }
        for i in 1..=4 {
            initial.push(call_at(t0() - Span::seconds(i)));
        }
        // One microsecond apart, with ids ordered the other way: a store that kept only
        // milliseconds would fall back to the id and get these two backwards.
        let later = t0() + Span::seconds(10);
        initial.push(call_with_id(
            CallId::new_at(t0() - Span::days(1)),
            later + Span::microseconds(1),
        ));
        initial.push(call_with_id(CallId::new_at(t0() + Span::days(1)), later));
        for c in &initial {
            s.insert(c).await.unwrap();
        }
        let mut expected = initial.clone();
        expected.sort_by(|a, b| {
            (b.started_at, b.id.to_string()).cmp(&(a.started_at, a.id.to_string()))
        });
        assert_eq!(expected[0].started_at, later + Span::microseconds(1));

        let first = s
            .list(&CallQuery {
                limit: 3,
                before: None,
            })
            .await
            .unwrap();
        assert_eq!(ids(&first), ids(&expected[..3]));

        let mut seen = first.clone();
        let mut arrivals = 0;
        loop {
            // A newer call arrives between every two page loads.
            arrivals += 1;
            s.insert(&call_at(t0() + Span::minutes(arrivals)))
                .await
                .unwrap();
            let last = seen.last().unwrap();
            let page = s
                .list(&CallQuery {
                    limit: 2,
                    before: Some((last.started_at, last.id)),
                })
                .await
                .unwrap();
            assert!(page.len() <= 2, "limit ignored: {} calls", page.len());
            if page.is_empty() {
                break;
            }
            seen.extend(page);
            assert!(arrivals < 20, "pagination does not end");
        }
        assert_eq!(
            ids(&seen),
            ids(&expected),
            "pages skipped, repeated or reordered calls"
        );
        assert_eq!(seen, expected, "listed calls differ from the stored ones");

        let newest = s
            .list(&CallQuery {
                limit: 1,
                before: None,
            })
            .await
            .unwrap();
        assert_eq!(newest[0].started_at, t0() + Span::minutes(arrivals));
    }

    pub async fn the_event_log_keeps_each_event_once<S: Store>(s: S) {
        let call = CallId::new_at(t0());
        let at = |ms: i64| t0() + Span::milliseconds(ms);
        assert_eq!(
            s.record(&record("b", Some(call), at(2))).await.unwrap(),
            Recorded::New
        );
        assert_eq!(
            s.record(&record("c", Some(call), at(1))).await.unwrap(),
            Recorded::New
        );
        assert_eq!(
            s.record(&record("a", Some(call), at(1))).await.unwrap(),
            Recorded::New
        );
        assert_eq!(
            s.record(&record("x", Some(CallId::new_at(t0())), at(0)))
                .await
                .unwrap(),
            Recorded::New
        );
        assert_eq!(
            s.record(&record("orphan", None, at(0))).await.unwrap(),
            Recorded::New
        );

        // Repeats (a Telnyx retry with a later attempt, a queue redelivery) only count.
        let mut retry = record("b", Some(call), at(2));
        retry.attempt = 2;
        retry.received_at = at(99);
        retry.raw = "{}".into();
        assert_eq!(s.record(&retry).await.unwrap(), Recorded::Duplicate);
        assert_eq!(s.record(&retry).await.unwrap(), Recorded::Duplicate);

        let timeline = s.events_for_call(call).await.unwrap();
        let mut b = record("b", Some(call), at(2));
        b.deliveries = 3;
        assert_eq!(
            timeline,
            vec![
                record("a", Some(call), at(1)),
                record("c", Some(call), at(1)),
                b
            ],
            "ordered by occurred_at then event id, first delivery's fields kept"
        );
        assert!(
            s.events_for_call(CallId::new_at(t0()))
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn the_command_log_keeps_each_calls_commands_in_order<S: Store>(s: S) {
        let call = CallId::new_at(t0());
        let other = CallId::new_at(t0());
        let at = |ms: i64| t0() + Span::milliseconds(ms) + Span::nanoseconds(456);
        let command = |id: CallId, name: &str, ms: i64, result: CommandResult| CommandRecord {
            call_id: id,
            command_id: format!("{id}-{name}-{ms}"),
            command: name.into(),
            detail: (name == "dtmf").then(|| "12#☎".to_string()),
            at: at(ms),
            result,
        };
        let made = vec![
            command(call, "dial", 0, CommandResult::Ok),
            command(call, "hold", 1_000, CommandResult::Ok),
            // Same instant as the previous one: insertion order decides.
            command(
                call,
                "resume",
                1_000,
                CommandResult::Failed {
                    code: "90034".into(),
                    message: "Call is not answered — ünïcode".into(),
                },
            ),
            command(call, "dtmf", 2_000, CommandResult::Ok),
            command(
                call,
                "hangup",
                3_000,
                CommandResult::Absorbed {
                    code: "90018".into(),
                },
            ),
        ];
        for (i, c) in made.iter().enumerate() {
            s.record_command(c).await.unwrap();
            if i == 1 {
                s.record_command(&command(other, "dial", 500, CommandResult::Ok))
                    .await
                    .unwrap();
            }
        }
        // A retried command is a second entry: the timeline shows both attempts.
        s.record_command(&made[4]).await.unwrap();
        let mut expected = made.clone();
        expected.push(made[4].clone());
        assert_eq!(s.commands_for_call(call).await.unwrap(), expected);
        assert_eq!(
            s.commands_for_call(other).await.unwrap(),
            vec![command(other, "dial", 500, CommandResult::Ok)]
        );
        assert!(
            s.commands_for_call(CallId::new_at(t0()))
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn concurrent_duplicate_deliveries_are_recognised<S: Store>(s: S) {
        let call = CallId::new_at(t0());
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.record(&record("same", Some(call), t0())).await.unwrap()
            }));
        }
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let new = outcomes.iter().filter(|o| **o == Recorded::New).count();
        assert_eq!(new, 1, "exactly one delivery is new: {outcomes:?}");
        let timeline = s.events_for_call(call).await.unwrap();
        assert_eq!(timeline.len(), 1);
        assert_eq!(timeline[0].deliveries, 12);
        let distinct: HashSet<_> = timeline.iter().map(|e| &e.event_id).collect();
        assert_eq!(distinct.len(), 1);
    }
}

/// One `#[tokio::test]` per contract case for a backend; `$open` yields `None` to skip.
macro_rules! store_contract {
    ($backend:ident, $open:path) => {
        crate::backend_cases!($backend, $open;
            insert_get_and_duplicate,
            a_fully_projected_call_round_trips,
            call_control_id_finds_the_dialled_call,
            updating_a_missing_call_is_none,
            an_update_that_changes_nothing_returns_the_call,
            concurrent_updates_lose_nothing,
            parallel_inserts_never_pass_the_active_limit,
            history_pages_are_stable_while_calls_arrive,
            the_event_log_keeps_each_event_once,
            the_command_log_keeps_each_calls_commands_in_order,
            concurrent_duplicate_deliveries_are_recognised,
        );
    };
}

store_contract!(sqlite, common::open_sqlite);

mod mongo_backend {
    use super::*;
    use mongodb::bson::{Bson, Document, doc};
    use std::time::Instant;
    use store_mongo::{MongoOptions, MongoStore};

    pub async fn open_mongo(test: &str) -> Option<common::Fixture<MongoStore>> {
        common::open_mongo(test, "contract").await
    }

    store_contract!(mongo, open_mongo);

    /// Needs no server: the point is that there is none.
    #[tokio::test]
    async fn an_unreachable_server_fails_fast_as_unavailable() {
        let uri = format!(
            "mongodb://127.0.0.1:{}/?directConnection=true",
            common::closed_port()
        );
        let store = MongoStore::connect(&uri, "outage").await.unwrap();
        let started = Instant::now();
        let c = call_at(t0());
        let query = CallQuery {
            limit: 10,
            before: None,
        };
        let ev = record("e", Some(c.id), t0());
        let (get, insert, update, list, rec) = common::within(
            Duration::from_secs(15),
            "store operations during an outage",
            async {
                tokio::join!(
                    store.get(c.id),
                    store.insert(&c),
                    store.update(c.id, &|c: &mut Call| c.muted = true),
                    store.list(&query),
                    store.record(&ev),
                )
            },
        )
        .await;
        let elapsed = started.elapsed();
        for (op, result) in [
            ("get", get.map(|_| ())),
            ("insert", insert),
            ("update", update.map(|_| ())),
            ("list", list.map(|_| ())),
            ("record", rec.map(|_| ())),
        ] {
            assert!(
                matches!(result, Err(StoreError::Unavailable(_))),
                "{op} during an outage: {result:?}"
            );
        }
        let limit = MongoOptions::default().server_selection_timeout + Duration::from_secs(3);
        assert!(elapsed < limit, "outage took {elapsed:?} to report");
    }

    #[tokio::test]
    async fn settings_in_the_uri_override_the_defaults() {
        let uri = format!(
            "mongodb://127.0.0.1:{}/?directConnection=true&serverSelectionTimeoutMS=300",
            common::closed_port()
        );
        let store = MongoStore::connect(&uri, "outage").await.unwrap();
        let started = Instant::now();
        let result = store.get(CallId::new_at(t0())).await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "{:?}",
            started.elapsed()
        );
    }

    /// A cold start opens the store without touching the server; the first operation creates
    /// the indexes (so the very first writes already meet the uniqueness they rely on) and
    /// records them, and later processes only read that record.
    #[tokio::test]
    async fn indexes_are_made_by_the_first_operation_and_only_checked_after() {
        let Some(uri) = common::standin("MONGODB_URI", "mongo_backend::lazy_indexes") else {
            return;
        };
        let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
        let name = common::unique("lazy");
        let db = client.database(&name);
        let first = MongoStore::from_client(&client, &name);
        assert!(
            db.list_collection_names().await.unwrap().is_empty(),
            "opening the store wrote to the database"
        );

        // The first operations of a process are the racy ones: run them at once.
        let calls: Vec<Call> = (0..2).map(|i| call_at(t0() + Span::seconds(i))).collect();
        let (a, b) = tokio::join!(first.insert(&calls[0]), first.insert(&calls[1]));
        a.unwrap();
        b.unwrap();
        first
            .update(calls[0].id, &|c: &mut Call| c.telnyx = Some(leg("v3:lazy")))
            .await
            .unwrap();
        let stolen = first
            .update(calls[1].id, &|c: &mut Call| c.telnyx = Some(leg("v3:lazy")))
            .await;
        assert!(
            matches!(stolen, Err(StoreError::Duplicate(_))),
            "the unique index exists before the first write: {stolen:?}"
        );
        let marker = db
            .collection::<Document>("meta")
            .find_one(doc! { "_id": "indexes" })
            .await
            .unwrap()
            .expect("the index set is recorded");
        assert!(marker.get("version").is_some(), "{marker:?}");

        // A later cold start trusts the record: an index dropped behind its back stays dropped
        // (which is how we can tell it did not run the creations again). Names are the
        // server's (the stand-in names indexes its own way).
        let events = db.collection::<Document>("events");
        let before = events.list_index_names().await.unwrap();
        let victim = before.iter().find(|n| *n != "_id_").unwrap().clone();
        events.drop_index(&victim).await.unwrap();
        let later = MongoStore::from_client(&client, &name);
        assert_eq!(
            later.get(calls[0].id).await.unwrap().unwrap().id,
            calls[0].id
        );
        let names = events.list_index_names().await.unwrap();
        assert_eq!(names.len(), before.len() - 1, "{names:?}");
        // `ensure_indexes` (what a bumped index version triggers) puts it back.
        later.ensure_indexes().await.unwrap();
        let names = events.list_index_names().await.unwrap();
        assert_eq!(names.len(), before.len(), "{names:?}");
    }

    #[tokio::test]
    async fn documents_follow_the_documented_schema() {
        let Some(uri) = common::standin("MONGODB_URI", "mongo_backend::schema") else {
            return;
        };
        let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
        let name = common::unique("schema");
        let store = MongoStore::from_client(&client, &name);
        store.ensure_indexes().await.unwrap();
        store.ensure_indexes().await.unwrap(); // idempotent on every cold start

        let c = call_at(t0());
        store.insert(&c).await.unwrap();
        let calls = client.database(&name).collection::<Document>("calls");
        let raw = calls.find_one(doc! {}).await.unwrap().unwrap();
        assert_eq!(raw.get("_id"), Some(&Bson::String(c.id.to_string())));
        assert_eq!(get_i64(&raw, "version"), 1);
        assert_eq!(get_i64(&raw, "started_at_us"), t0().timestamp_micros());
        assert!(
            !raw.contains_key("call_control_id"),
            "undialled calls omit it: {raw}"
        );
        assert!(raw.get_document("call").is_ok());

        store
            .update(c.id, &|c: &mut Call| c.telnyx = Some(leg("v3:schema")))
            .await
            .unwrap();
        let raw = calls.find_one(doc! {}).await.unwrap().unwrap();
        assert_eq!(get_i64(&raw, "version"), 2);
        assert_eq!(raw.get_str("call_control_id").unwrap(), "v3:schema");

        store.record(&record("ev", Some(c.id), t0())).await.unwrap();
        let events = client.database(&name).collection::<Document>("events");
        let raw = events.find_one(doc! {}).await.unwrap().unwrap();
        assert_eq!(raw.get_str("_id").unwrap(), "ev");
        assert_eq!(raw.get_str("call_id").unwrap(), c.id.to_string());
        assert_eq!(get_i64(&raw, "occurred_at_us"), t0().timestamp_micros());
        assert_eq!(get_i64(&raw, "deliveries"), 1);

        store
            .record_command(&CommandRecord {
                call_id: c.id,
                command_id: "cmd-1".into(),
                command: "hangup".into(),
                detail: None,
                at: t0(),
                result: CommandResult::Ok,
            })
            .await
            .unwrap();
        let commands = client.database(&name).collection::<Document>("commands");
        let raw = commands.find_one(doc! {}).await.unwrap().unwrap();
        assert!(raw.get_object_id("_id").is_ok(), "{raw}");
        assert_eq!(raw.get_str("call_id").unwrap(), c.id.to_string());
        assert_eq!(get_i64(&raw, "at_us"), t0().timestamp_micros());
        assert_eq!(
            raw.get_document("command")
                .unwrap()
                .get_str("command_id")
                .unwrap(),
            "cmd-1"
        );
        let _ = client.database(&name).drop().await;
    }

    fn get_i64(d: &Document, key: &str) -> i64 {
        match d.get(key) {
            Some(Bson::Int64(v)) => *v,
            Some(Bson::Int32(v)) => i64::from(*v),
            other => panic!("{key}: {other:?}"),
        }
    }
}
