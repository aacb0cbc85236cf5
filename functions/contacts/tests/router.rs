//! The contacts router in-process, against the real SQLite store.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use contacts::{ContactsState, router};
use domain::{Call, CallId, PhoneNumber};
use ports::{CallStore, SystemClock};
use serde_json::{Value, json};
use std::sync::Arc;
use store_sqlite::SqliteStore;
use testkit::{Answer, call, memory_store, send};

fn app(store: &SqliteStore, max_bytes: usize) -> axum::Router {
    edge::http::finish(router(ContactsState {
        contacts: Arc::new(store.clone()),
        history: Arc::new(store.clone()),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        import_max_bytes: max_bytes,
        import_max_rows: 5_000,
    }))
}

fn fixture() -> (SqliteStore, axum::Router) {
    let store = memory_store();
    let router = app(&store, ContactsState::IMPORT_MAX_BYTES);
    (store, router)
}

async fn create(router: &axum::Router, body: Value) -> Answer {
    call(
        router,
        Method::POST,
        "/api/contacts",
        Some(&body.to_string()),
    )
    .await
}

async fn get(router: &axum::Router, uri: &str) -> Answer {
    call(router, Method::GET, uri, None).await
}

async fn import(router: &axum::Router, query: &str, csv: &str) -> Answer {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/contacts/import{query}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.to_string()))
        .unwrap();
    send(router, request).await
}

fn names(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", answer.body))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn crud_round_trip_with_normalised_numbers() {
    let (_, router) = fixture();
    let made = create(
        &router,
        json!({"name": " Jane Doe ", "phone": "(212) 555-1234", "email": "Jane@Example.com",
               "company": "Acme", "tags": ["VIP", "vip", "lead"]}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["phone"], "+12125551234");
    assert_eq!(made.body["name"], "Jane Doe");
    assert_eq!(made.body["email"], "jane@example.com");
    assert_eq!(made.body["tags"], json!(["vip", "lead"]));
    assert_eq!(made.body["favorite"], false);
    assert_eq!(made.body["call_count"], 0);
    assert_eq!(made.body["last_called_at"], Value::Null);
    let id = made.body["id"].as_str().unwrap().to_string();
    let uri = format!("/api/contacts/{id}");

    let read = get(&router, &uri).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["company"], "Acme");

    // PATCH changes only what it names.
    let starred = call(&router, Method::PATCH, &uri, Some(r#"{"favorite":true}"#)).await;
    assert_eq!(starred.status, StatusCode::OK, "{:?}", starred.body);
    assert_eq!(starred.body["favorite"], true);
    assert_eq!(starred.body["company"], "Acme");

    // PUT replaces: the company is gone.
    let replaced = call(
        &router,
        Method::PUT,
        &uri,
        Some(r#"{"name":"Jane D.","phone":"+1 212 555 1234"}"#),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::OK, "{:?}", replaced.body);
    assert_eq!(replaced.body["company"], Value::Null);
    assert_eq!(replaced.body["created_at"], made.body["created_at"]);

    let deleted = call(&router, Method::DELETE, &uri, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE] {
        let gone = call(&router, method, &uri, None).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.code(), "contact_not_found");
        assert_eq!(gone.content_type, "application/problem+json");
    }
    let gone = call(&router, Method::PATCH, &uri, Some("{}")).await;
    assert_eq!(gone.code(), "contact_not_found");
}

#[tokio::test]
async fn bad_input_is_a_problem_with_every_field() {
    let (_, router) = fixture();
    let bad = create(
        &router,
        json!({"name": "", "phone": "call me", "email": "nope"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_contact");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "phone", "email"]);
    let phone_only = create(&router, json!({"name": "X", "phone": "12"})).await;
    assert_eq!(phone_only.code(), "invalid_phone_number");
    let not_json = call(&router, Method::POST, "/api/contacts", Some("{")).await;
    assert_eq!(not_json.code(), "malformed_json");
    let bad_limit = get(&router, "/api/contacts?limit=0").await;
    assert_eq!(bad_limit.code(), "invalid_query");
    let bad_cursor = get(&router, "/api/contacts?cursor=%%%").await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_cursor.code(), "invalid_cursor");
    let bad_bool = get(&router, "/api/contacts?favorite=maybe").await;
    assert_eq!(bad_bool.code(), "invalid_query");
}

#[tokio::test]
async fn one_number_one_contact() {
    let (_, router) = fixture();
    let first = create(
        &router,
        json!({"name": "Ada Lovelace", "phone": "2125551234"}),
    )
    .await;
    let id = first.body["id"].as_str().unwrap();
    let dup = create(&router, json!({"name": "B", "phone": "+1 (212) 555-1234"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "duplicate_phone");
    let detail = dup.body["detail"].as_str().unwrap();
    assert_eq!(detail, "Ada Lovelace already has this phone number");
    assert!(!detail.contains(id), "no internal id: {detail}");
    let other = create(&router, json!({"name": "C", "phone": "2125559999"})).await;
    let clash = call(
        &router,
        Method::PATCH,
        &format!("/api/contacts/{}", other.body["id"].as_str().unwrap()),
        Some(r#"{"phone":"212-555-1234"}"#),
    )
    .await;
    assert_eq!(clash.code(), "duplicate_phone");
    assert_eq!(
        clash.body["detail"],
        "Ada Lovelace already has this phone number"
    );
}

#[tokio::test]
async fn search_by_fragment_formatting_and_case() {
    let (_, router) = fixture();
    for (name, phone) in [
        ("Jane Doe", "+1 212 555 1234"),
        ("Bob Stone", "+1 415 555 0000"),
        ("Ann Janeway", "+44 20 7946 0958"),
    ] {
        let made = create(&router, json!({"name": name, "phone": phone})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    }
    let search = |q: &str| {
        let router = router.clone();
        let uri = format!(
            "/api/contacts?q={}",
            q.replace(' ', "%20").replace('+', "%2B")
        );
        async move { names(&get(&router, &uri).await) }
    };
    assert_eq!(search("555 12").await, ["Jane Doe"]);
    assert_eq!(search("(212) 555-1").await, ["Jane Doe"]);
    assert_eq!(search("+44 20").await, ["Ann Janeway"]);
    assert_eq!(search("JANE").await, ["Ann Janeway", "Jane Doe"]);
    assert_eq!(search("stone").await, ["Bob Stone"]);
    assert_eq!(search("555").await, ["Bob Stone", "Jane Doe"]);
    assert!(search("nobody").await.is_empty());
    // LIKE wildcards typed by a user match themselves only.
    assert!(search("%").await.is_empty());
    assert!(search("_").await.is_empty());
}

#[tokio::test]
async fn pages_and_favorites() {
    let (_, router) = fixture();
    for i in 0..5 {
        let made = create(
            &router,
            json!({"name": format!("Person {i}"), "phone": format!("+1 212 555 010{i}"),
                   "favorite": i % 2 == 0}),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED);
    }
    let p1 = get(&router, "/api/contacts?limit=2").await;
    assert_eq!(names(&p1), ["Person 0", "Person 1"]);
    let c1 = p1.body["next_cursor"].as_str().unwrap();
    let p2 = get(&router, &format!("/api/contacts?limit=2&cursor={c1}")).await;
    assert_eq!(names(&p2), ["Person 2", "Person 3"]);
    let c2 = p2.body["next_cursor"].as_str().unwrap();
    let p3 = get(&router, &format!("/api/contacts?limit=2&cursor={c2}")).await;
    assert_eq!(names(&p3), ["Person 4"]);
    assert_eq!(p3.body["next_cursor"], Value::Null);
    // Exactly a page: no phantom next page.
    let exact = get(&router, "/api/contacts?limit=5").await;
    assert_eq!(exact.body["next_cursor"], Value::Null);
    let favs = get(&router, "/api/contacts?favorite=true").await;
    assert_eq!(names(&favs), ["Person 0", "Person 2", "Person 4"]);
    let too_big = get(&router, "/api/contacts?limit=201").await;
    assert_eq!(too_big.code(), "invalid_query");
}

#[tokio::test]
async fn per_contact_history_counts_calls_by_id_and_by_number() {
    let (store, router) = fixture();
    let made = create(&router, json!({"name": "Jane", "phone": "+12125551234"})).await;
    let id = made.body["id"].as_str().unwrap().to_string();
    let base = Utc::now() - Duration::hours(1);
    let jane = PhoneNumber::parse("+12125551234", "US").unwrap();
    let from = PhoneNumber::parse("+13125550201", "US").unwrap();
    // Two calls to her number (one before she was a contact), one to someone else.
    for (i, to, contact) in [
        (0, jane.clone(), None),
        (1, jane.clone(), Some(id.clone())),
        (2, PhoneNumber::parse("+14155550000", "US").unwrap(), None),
    ] {
        let at = base + Duration::minutes(i);
        let c = Call::new(CallId::new_at(at), from.clone(), to, contact, at);
        store.insert(&c).await.unwrap();
    }
    let read = get(&router, &format!("/api/contacts/{id}")).await;
    assert_eq!(read.body["call_count"], 2);
    let last = read.body["last_called_at"].as_str().unwrap();
    assert!(
        last.starts_with(
            &(base + Duration::minutes(1))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        )
    );

    let history = get(&router, &format!("/api/contacts/{id}/calls?limit=1")).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    assert_eq!(history.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(history.body["items"][0]["contact"]["name"], "Jane");
    let next = history.body["next_cursor"].as_str().unwrap();
    let rest = get(&router, &format!("/api/contacts/{id}/calls?cursor={next}")).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let missing = get(&router, "/api/contacts/nope/calls").await;
    assert_eq!(missing.code(), "contact_not_found");
}

const MESSY: &str = "\u{feff}First Name,Last Name,Phone Number,Company,E-mail,Tags\r\n\
\"Doe\",\"Jane\",\"(212) 555-1234\",\"Acme, Inc.\",jane@acme.io,vip;east\r\n\
\r\n\
Bob,Stone,call me maybe,,,\r\n\
Carl,,+1 415 555 0000,\"Say \"\"hi\"\"\",carl@,\r\n\
,,+1 415 555 0001,,,\r\n\
Jane,Doe,+1 212-555-1234,,,west\r\n\
Dan,Fox,617.555.0199,Fox LLC,,\r\n";

#[tokio::test]
async fn a_messy_csv_imports_with_a_precise_report() {
    let (_, router) = fixture();
    // An existing contact the file updates rather than doubles.
    create(
        &router,
        json!({"name": "Old Dan", "phone": "+16175550199", "favorite": true}),
    )
    .await;

    let report = import(&router, "", MESSY).await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    let r = &report.body;
    assert_eq!(r["rows"], 6);
    assert_eq!(r["created"], 1, "{r}"); // Jane (two rows merged)
    assert_eq!(r["updated"], 1, "{r}"); // Dan
    assert_eq!(r["merged"], 1);
    assert_eq!(r["skipped"], 3, "{r}"); // Bob (phone), Carl (email), row 6 (name)
    assert_eq!(r["committed"], true);
    let errors: Vec<(u64, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(4, "phone"), (5, "email"), (6, "name")]);

    let all = get(&router, "/api/contacts").await;
    assert_eq!(names(&all), ["Dan Fox", "Jane Doe"]);
    let jane = get(&router, "/api/contacts?q=555%201234").await;
    assert_eq!(jane.body["items"].as_array().unwrap().len(), 1);
    let jane = &jane.body["items"][0];
    assert_eq!(jane["name"], "Jane Doe");
    assert_eq!(jane["company"], "Acme, Inc.");
    assert_eq!(jane["tags"], json!(["vip", "east", "west"]));
    let dan = get(&router, "/api/contacts?q=fox").await;
    assert_eq!(dan.body["items"][0]["company"], "Fox LLC");
    assert_eq!(
        dan.body["items"][0]["favorite"], true,
        "a favorite stays a favorite"
    );

    // Importing the same file again changes nothing and doubles nothing.
    let again = import(&router, "", MESSY).await;
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["updated"], 0);
    assert_eq!(names(&get(&router, "/api/contacts").await).len(), 2);
}

#[tokio::test]
async fn all_or_nothing_writes_nothing_when_a_row_is_bad() {
    let (_, router) = fixture();
    let refused = import(&router, "?all_or_nothing=true", MESSY).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.content_type, "application/problem+json");
    assert_eq!(refused.code(), "import_rejected");
    assert_eq!(refused.body["report"]["committed"], false);
    assert_eq!(
        refused.body["report"]["errors"].as_array().unwrap().len(),
        3
    );
    assert!(names(&get(&router, "/api/contacts").await).is_empty());

    let clean = "name,phone\nA,2125550001\nB,2125550002\n";
    let ok = import(&router, "?all_or_nothing=true", clean).await;
    assert_eq!(ok.body["created"], 2);
}

#[tokio::test]
async fn unusable_files_are_clear_problems() {
    let store = memory_store();
    let small = app(&store, 64);
    let big = format!("name,phone\n{}", "A,2125550001\n".repeat(10));
    let too_big = import(&small, "", &big).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.code(), "payload_too_large");
    assert_eq!(too_big.content_type, "application/problem+json");

    let (_, router) = fixture();
    for (csv, needle) in [
        ("", "empty"),
        ("name,email\nA,a@b.io\n", "phone"),
        ("name,phone\n\"open,2125550001\n", "never closed"),
    ] {
        let answer = import(&router, "", csv).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{csv:?}");
        assert_eq!(answer.code(), "invalid_csv");
        assert!(
            answer.body["detail"].as_str().unwrap().contains(needle),
            "{:?}",
            answer.body
        );
    }
    let binary = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts/import")
        .body(Body::from(vec![0xff, 0xfe, 0x00]))
        .unwrap();
    assert_eq!(send(&router, binary).await.code(), "invalid_csv");
}

#[tokio::test]
async fn a_thousand_contacts_import_in_one_go() {
    let (_, router) = fixture();
    let mut csv = String::from("Full Name,Mobile,Company\r\n");
    for i in 0..1000 {
        csv.push_str(&format!(
            "\"Lead {i:04}, Jr\",(646) 555-{:04},Co {i}\r\n",
            i
        ));
    }
    let report = import(&router, "", &csv).await;
    assert_eq!(report.body["created"], 1000, "{:?}", report.body["errors"]);
    let found = get(&router, "/api/contacts?q=555%200042").await;
    assert_eq!(names(&found), ["Lead 0042, Jr"]);
}
