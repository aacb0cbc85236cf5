//! The history routes in-process over the real SQLite store, with a fixture of calls whose
//! statistics were worked out by hand.

use axum::http::{Method, StatusCode};
use calls::HistoryState;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{Call, CallEvent, CallEventKind, CallId, PhoneNumber};
use ports::{CallStore, ContactStore};
use serde_json::{Value, json};
use std::sync::Arc;
use store_sqlite::SqliteStore;
use testkit::{Answer, FixedClock, call, memory_store};

const A: &str = "+13125550201";
const B: &str = "+13125550202";

fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn n(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, "US").unwrap()
}

enum Fate {
    /// Answered after `ring` s, hung up after `talk` s of talk (None: still up).
    Answered {
        ring: i64,
        talk: Option<i64>,
    },
    /// Ended unanswered after `ring` s with this cause.
    Unanswered {
        ring: i64,
        cause: &'static str,
    },
    DialFailed,
}

async fn add(store: &SqliteStore, at: DateTime<Utc>, from: &str, to: &str, fate: Fate) -> Call {
    let mut c = Call::new(CallId::new_at(at), n(from), n(to), None, at);
    let ev = |id: &str, secs: i64, kind: CallEventKind| CallEvent {
        event_id: format!("{}-{id}", c.id),
        occurred_at: at + Duration::seconds(secs),
        kind,
    };
    let hangup = testkit::hangup;
    let mut events = vec![ev("init", 1, CallEventKind::Initiated)];
    match fate {
        Fate::Answered { ring, talk } => {
            events.push(ev("ans", ring, CallEventKind::Answered));
            if let Some(t) = talk {
                events.push(ev("hup", ring + t, hangup("normal_clearing")));
            }
        }
        Fate::Unanswered { ring, cause } => events.push(ev("hup", ring, hangup(cause))),
        Fate::DialFailed => {
            events.clear();
            c.fail_dial("10015", "Invalid connection", at);
        }
    }
    for e in &events {
        c.apply(e);
    }
    store.insert(&c).await.unwrap();
    c
}

struct Fixture {
    store: SqliteStore,
    router: axum::Router,
    ids: Vec<CallId>,
}

/// Seven calls around 2026-03-02 (UTC). On the day itself, calls 1–5:
/// talk 120 + 60 = 180 s over 2 answered; rings 10, 5, 4, 30 (the failed dial never rang).
async fn fixture() -> Fixture {
    let store = memory_store();
    let d = day();
    let h = |hours: i64| d + Duration::hours(hours);
    let ids = vec![
        add(
            &store,
            h(9),
            A,
            "+12125550100",
            Fate::Answered {
                ring: 10,
                talk: Some(120),
            },
        )
        .await
        .id,
        add(
            &store,
            h(10),
            A,
            "+12125550101",
            Fate::Answered {
                ring: 5,
                talk: Some(60),
            },
        )
        .await
        .id,
        add(
            &store,
            h(11),
            B,
            "+12125550102",
            Fate::Unanswered {
                ring: 4,
                cause: "user_busy",
            },
        )
        .await
        .id,
        add(
            &store,
            h(12),
            B,
            "+12125550103",
            Fate::Unanswered {
                ring: 30,
                cause: "timeout",
            },
        )
        .await
        .id,
        add(&store, h(13), A, "+12125550105", Fate::DialFailed)
            .await
            .id,
        add(
            &store,
            h(32),
            A,
            "+12125550100",
            Fate::Answered {
                ring: 20,
                talk: None,
            },
        )
        .await
        .id,
        add(
            &store,
            d - Duration::seconds(1),
            B,
            "+12125550104",
            Fate::Unanswered {
                ring: 3,
                cause: "call_rejected",
            },
        )
        .await
        .id,
    ];
    let router = edge::http::finish(calls::history::routes(history_state(
        &store,
        FixedClock::at(d + Duration::days(2)),
    )));
    Fixture { store, router, ids }
}

/// The history use cases over one SQLite store, at a fixed time.
fn history_state(store: &SqliteStore, clock: Arc<FixedClock>) -> HistoryState {
    HistoryState {
        calls: Arc::new(store.clone()),
        history: Arc::new(store.clone()),
        contacts: Arc::new(store.clone()),
        clock,
        default_country: "US".into(),
        guard: edge::owner::CallGuard::build(
            Arc::new(store.clone()),
            Arc::new(store.clone()),
            Arc::new(ports::SystemClock),
        ),
    }
}

async fn get(f: &Fixture, uri: &str) -> Answer {
    call(&f.router, Method::GET, uri, None).await
}

fn ids(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", answer.body))
        .iter()
        .map(|c| c["call_id"].as_str().unwrap().to_string())
        .collect()
}

fn want(f: &Fixture, which: &[usize]) -> Vec<String> {
    which.iter().map(|i| f.ids[i - 1].to_string()).collect()
}

#[tokio::test]
async fn filters_follow_the_design_words() {
    let f = fixture().await;
    assert_eq!(
        ids(&get(&f, "/api/calls").await),
        want(&f, &[6, 5, 4, 3, 2, 1, 7])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?status=missed").await),
        want(&f, &[4, 3, 7])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?status=active").await),
        want(&f, &[6])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?status=completed").await),
        want(&f, &[2, 1])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?status=FAILED").await),
        want(&f, &[5])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?since=2026-03-02&until=2026-03-03").await),
        want(&f, &[5, 4, 3, 2, 1])
    );
    assert_eq!(
        ids(&get(
            &f,
            "/api/calls?since=2026-03-02T10:00:00Z&until=2026-03-02T12:00:00%2B00:00"
        )
        .await),
        want(&f, &[3, 2])
    );
    assert_eq!(
        ids(&get(&f, "/api/calls?from_number=(312)%20555-0202").await),
        want(&f, &[4, 3, 7])
    );
    // A number fragment, typed any way.
    assert_eq!(
        ids(&get(&f, "/api/calls?q=555%200103").await),
        want(&f, &[4])
    );
    assert_eq!(ids(&get(&f, "/api/calls?q=555-01").await).len(), 7);
    // A contact name finds calls to the contact's number, even placed before it existed.
    let zed = domain::ContactInput {
        name: Some("Zed Zulu".into()),
        phone: Some("+12125550101".into()),
        ..Default::default()
    }
    .validate("US")
    .unwrap();
    let zed = domain::Contact::new("zed".into(), zed, Utc::now());
    f.store.create_contact(&zed).await.unwrap();
    let by_name = get(&f, "/api/calls?q=zulu").await;
    assert_eq!(ids(&by_name), want(&f, &[2]));
    assert_eq!(by_name.body["items"][0]["contact"]["name"], "Zed Zulu");
    assert_eq!(
        ids(&get(&f, "/api/calls?contact_id=zed").await),
        want(&f, &[2])
    );
    assert!(ids(&get(&f, "/api/calls?contact_id=nobody").await).is_empty());
    assert!(ids(&get(&f, "/api/calls?q=nobody").await).is_empty());
}

#[tokio::test]
async fn bad_filters_are_problems_not_500s() {
    let f = fixture().await;
    for (uri, code, field) in [
        ("/api/calls?status=ended", "invalid_query", "status"),
        ("/api/calls?since=yesterday", "invalid_query", "since"),
        (
            "/api/calls?since=2026-03-03&until=2026-03-02",
            "invalid_query",
            "until",
        ),
        (
            "/api/calls?from_number=abc",
            "invalid_phone_number",
            "from_number",
        ),
        ("/api/calls?limit=500", "invalid_query", "limit"),
        ("/api/calls?limit=-1", "invalid_query", "query"),
        ("/api/calls?cursor=bm9wZQ", "invalid_cursor", "cursor"),
        ("/api/stats?group=week", "invalid_query", "group"),
        ("/api/calls/export.csv?status=x", "invalid_query", "status"),
    ] {
        let a = get(&f, uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {:?}", a.body);
        assert_eq!(a.code(), code, "{uri}");
        assert_eq!(a.body["errors"][0]["field"], field, "{uri}");
    }
}

#[tokio::test]
async fn cursor_pages_stay_put_while_new_calls_arrive() {
    let f = fixture().await;
    let p1 = get(&f, "/api/calls?limit=2").await;
    assert_eq!(ids(&p1), want(&f, &[6, 5]));
    // A call placed between page reads is newer than everything: it never shifts page 2.
    add(
        &f.store,
        Utc::now(),
        A,
        "+12125550100",
        Fate::Answered {
            ring: 1,
            talk: None,
        },
    )
    .await;
    let c1 = p1.body["next_cursor"].as_str().unwrap();
    let p2 = get(&f, &format!("/api/calls?limit=2&cursor={c1}")).await;
    assert_eq!(ids(&p2), want(&f, &[4, 3]));
    let c2 = p2.body["next_cursor"].as_str().unwrap();
    let p3 = get(&f, &format!("/api/calls?limit=3&cursor={c2}")).await;
    assert_eq!(ids(&p3), want(&f, &[2, 1, 7]));
    assert_eq!(
        p3.body["next_cursor"],
        Value::Null,
        "an exact last page has no next"
    );
    // Filters and cursors combine.
    let m1 = get(&f, "/api/calls?status=missed&limit=1").await;
    let mc = m1.body["next_cursor"].as_str().unwrap();
    let m2 = get(&f, &format!("/api/calls?status=missed&limit=5&cursor={mc}")).await;
    assert_eq!(ids(&m2), want(&f, &[3, 7]));
}

#[tokio::test]
async fn notes_and_tags() {
    let f = fixture().await;
    let uri = format!("/api/calls/{}", f.ids[0]);
    let set = call(
        &f.router,
        Method::PATCH,
        &uri,
        Some(
            r#"{"notes":"  Call back Tuesday, after 3pm ","tags":["Follow-up","follow-up","hot"]}"#,
        ),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["notes"], "Call back Tuesday, after 3pm");
    assert_eq!(set.body["tags"], json!(["follow-up", "hot"]));
    assert_eq!(set.body["outcome"], "completed");
    // Absent keeps, null clears.
    let kept = call(&f.router, Method::PATCH, &uri, Some(r#"{"tags":[]}"#)).await;
    assert_eq!(kept.body["notes"], "Call back Tuesday, after 3pm");
    assert_eq!(kept.body["tags"], json!([]));
    let cleared = call(&f.router, Method::PATCH, &uri, Some(r#"{"notes":null}"#)).await;
    assert_eq!(cleared.body["notes"], Value::Null);
    let stored = f.store.get(f.ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.notes, None);

    let long = json!({ "notes": "x".repeat(5001) }).to_string();
    let too_long = call(&f.router, Method::PATCH, &uri, Some(&long)).await;
    assert_eq!(too_long.code(), "invalid_annotation");
    let typo = call(&f.router, Method::PATCH, &uri, Some(r#"{"note":"x"}"#)).await;
    assert_eq!(typo.code(), "malformed_json");
    let missing = format!("/api/calls/{}", CallId::new_at(Utc::now()));
    let gone = call(&f.router, Method::PATCH, &missing, Some("{}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "call_not_found");
    let junk = call(&f.router, Method::PATCH, "/api/calls/not-an-id", Some("{}")).await;
    assert_eq!(junk.code(), "call_not_found");
}

#[tokio::test]
async fn stats_match_the_hand_computed_numbers() {
    let f = fixture().await;
    let s = get(&f, "/api/stats?since=2026-03-02&until=2026-03-03").await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let b = &s.body;
    assert_eq!(b["total"], 5);
    assert_eq!(b["completed"], 2);
    assert_eq!(b["missed"], 2);
    assert_eq!(b["failed"], 1);
    assert_eq!(b["active"], 0);
    assert_eq!(
        b["by_outcome"],
        json!({"completed": 2, "no_answer": 1, "busy": 1, "rejected": 0, "canceled": 0, "failed": 1, "agent_no_answer": 0, "agent_failed": 0})
    );
    assert_eq!(b["answer_rate"], 0.5); // 2 answered of 4 that rang
    assert_eq!(b["total_talk_secs"], 180);
    assert_eq!(b["avg_talk_secs"], 90.0);
    assert_eq!(b["avg_ring_secs"], 12.3); // (10 + 5 + 4 + 30) / 4 = 12.25
    let by_number = b["by_number"].as_array().unwrap();
    assert_eq!(by_number.len(), 2);
    assert_eq!(by_number[0]["key"], A);
    assert_eq!(by_number[0]["total"], 3);
    assert_eq!(by_number[0]["answer_rate"], 1.0);
    assert_eq!(by_number[0]["avg_ring_secs"], 7.5);
    assert_eq!(by_number[1]["key"], B);
    assert_eq!(by_number[1]["answer_rate"], 0.0);
    assert_eq!(by_number[1]["avg_talk_secs"], Value::Null);
    assert_eq!(by_number[1]["avg_ring_secs"], 17.0);
    assert_eq!(b["by_day"].as_array().unwrap().len(), 1);

    let all = get(&f, "/api/stats?group=day").await;
    assert!(all.body.get("by_number").is_none());
    let days: Vec<(&str, u64)> = all.body["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["key"].as_str().unwrap(), d["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        days,
        [("2026-03-01", 1), ("2026-03-02", 5), ("2026-03-03", 1)]
    );
    assert_eq!(all.body["active"], 1);
    assert_eq!(all.body["answer_rate"], 0.4); // 2 of 5 that rang
    assert_eq!(all.body["avg_ring_secs"], 12.0); // 72 / 6

    let empty = get(&f, "/api/stats?since=2020-01-01&until=2020-01-02").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["total"], 0);
    assert_eq!(empty.body["answer_rate"], Value::Null);
    assert_eq!(empty.body["avg_talk_secs"], Value::Null);
    assert_eq!(empty.body["avg_ring_secs"], Value::Null);
    assert_eq!(empty.body["total_talk_secs"], 0);
    assert_eq!(empty.body["by_day"], json!([]));
    assert_eq!(empty.body["by_number"], json!([]));
}

#[tokio::test]
async fn export_round_trips_through_a_csv_parser() {
    let f = fixture().await;
    let uri = format!("/api/calls/{}", f.ids[1]);
    let tricky = "Said \"call me\", then:\nhung up";
    let body = json!({"notes": tricky, "tags": ["a", "b"]}).to_string();
    assert_eq!(
        call(&f.router, Method::PATCH, &uri, Some(&body))
            .await
            .status,
        StatusCode::OK
    );

    let a = get(
        &f,
        "/api/calls/export.csv?since=2026-03-02&until=2026-03-03",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type, "text/csv; charset=utf-8");
    let text = a.body.as_str().expect("CSV text");
    let rows = domain::csv::parse(text).unwrap();
    assert_eq!(rows[0].fields[0], "call_id");
    let header = &rows[0].fields;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let data = &rows[1..];
    assert_eq!(
        data.iter().map(|r| r.fields[0].clone()).collect::<Vec<_>>(),
        want(&f, &[5, 4, 3, 2, 1])
    );
    let second = &data[3].fields;
    assert_eq!(second[col("notes")], tricky);
    assert_eq!(second[col("tags")], "a;b");
    assert_eq!(second[col("outcome")], "completed");
    assert_eq!(second[col("duration_secs")], "60");
    assert_eq!(second[col("to_number")], "+12125550101");
    assert_eq!(second[col("started_at")], "2026-03-02T10:00:00Z");
    assert_eq!(data[0].fields[col("outcome")], "failed");
    assert!(data.iter().all(|r| r.fields.len() == header.len()));

    let none = get(
        &f,
        "/api/calls/export.csv?since=2020-01-01&until=2020-01-02",
    )
    .await;
    let rows = domain::csv::parse(none.body.as_str().unwrap()).unwrap();
    assert_eq!(rows.len(), 1, "header only");
}

#[tokio::test]
async fn a_large_export_streams_every_row_once() {
    let store = memory_store();
    let base = day();
    for i in 0..1234 {
        let at = base + Duration::seconds(i);
        add(
            &store,
            at,
            A,
            "+12125550100",
            Fate::Unanswered {
                ring: 1,
                cause: "timeout",
            },
        )
        .await;
    }
    let router = edge::http::finish(calls::history::routes(history_state(
        &store,
        FixedClock::at(base + Duration::days(1)),
    )));
    let a = call(&router, Method::GET, "/api/calls/export.csv", None).await;
    let rows = domain::csv::parse(a.body.as_str().unwrap()).unwrap();
    assert_eq!(rows.len(), 1235);
    let mut seen: Vec<&str> = rows[1..].iter().map(|r| r.fields[0].as_str()).collect();
    seen.dedup();
    assert_eq!(seen.len(), 1234);
}

#[tokio::test]
async fn history_and_detail_share_the_call_path() {
    // PATCH (history) and GET (detail) on /api/calls/{call_id} live in two modules; the merged
    // router must serve both.
    let f = fixture().await;
    let emulator = testkit::emulator(None).await;
    let store = f.store.clone();
    let router = edge::http::finish(calls::router(
        history_state(&store, FixedClock::at(day())),
        calls::DetailState {
            calls: Arc::new(store.clone()),
            contacts: Arc::new(store.clone()),
            events: Arc::new(store.clone()),
            commands: Arc::new(store.clone()),
            telnyx: testkit::telnyx_client(&emulator),
            clock: FixedClock::at(day()),
        },
    ));
    let uri = format!("/api/calls/{}", f.ids[0]);
    let patched = call(&router, Method::PATCH, &uri, Some(r#"{"notes":"n"}"#)).await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    let read = call(&router, Method::GET, &uri, None).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body["notes"], "n");
    let listed = call(&router, Method::GET, "/api/calls?limit=1", None).await;
    assert_eq!(listed.status, StatusCode::OK);
}

/// Every prefix a spreadsheet reads as a formula, in every free-text column (the contact's
/// name, the call's notes and tags), comes out guarded with `'`; the number columns stay E.164.
#[tokio::test]
async fn export_neutralises_every_formula_prefix() {
    let store = memory_store();
    let base = day();
    let prefixes = ["=", "+", "-", "@", "\t", "\r"];
    for (i, p) in prefixes.iter().enumerate() {
        let at = base + Duration::minutes(i as i64);
        let contact = domain::Contact {
            id: format!("c{i}"),
            name: format!("{p}HYPERLINK(\"http://evil.example\")"),
            phone: n(&format!("+1212555010{i}")),
            email: None,
            company: None,
            notes: None,
            tags: vec![],
            favorite: false,
            created_at: at,
            updated_at: at,
        };
        store.create_contact(&contact).await.unwrap();
        let mut c = Call::new(
            CallId::new_at(at),
            n(A),
            contact.phone.clone(),
            Some(contact.id.clone()),
            at,
        );
        c.notes = Some(format!("{p}2+3+cmd|' /C calc'!A0"));
        c.tags = vec![format!("{p}tag")];
        store.insert(&c).await.unwrap();
    }
    let router = edge::http::finish(calls::history::routes(history_state(
        &store,
        FixedClock::at(base + Duration::days(1)),
    )));
    let a = call(&router, Method::GET, "/api/calls/export.csv", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let rows = domain::csv::parse(a.body.as_str().unwrap()).unwrap();
    let header = &rows[0].fields;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), prefixes.len() + 1);
    for row in &rows[1..] {
        let f = &row.fields;
        for name in ["contact_name", "notes", "tags"] {
            let cell = &f[col(name)];
            assert!(
                cell.starts_with('\'') && prefixes.iter().any(|p| cell[1..].starts_with(p)),
                "{name} not guarded: {cell:?}"
            );
        }
        for name in ["from_number", "to_number"] {
            let cell = &f[col(name)];
            assert!(
                PhoneNumber::parse(cell, "US").is_ok_and(|p| p.to_string() == *cell),
                "{name} not E.164: {cell:?}"
            );
        }
    }
}
