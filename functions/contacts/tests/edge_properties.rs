//! Property tests of the contacts API (issue #8), in-process against the real SQLite store,
//! without the sign-in layer: any JSON-ish body (with or without a JSON content type), any CSV
//! file, any contact id in the path and any query string answer a success or a problem
//! document with a stable code, never a panic or a 5xx.
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

use axum::http::Method;
use contacts::{ContactsState, router};
use ports::SystemClock;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use testkit::edge::{
    bodies, check, content_type, encode, id_requests, is_json_type, junk, problem, request,
    runtime, status_among,
};
use testkit::{memory_store, send};

/// Largest import accepted here: small, so generated files also reach the 413.
const IMPORT_MAX_BYTES: usize = 48 * 1024;
const IMPORT_MAX_ROWS: usize = 40;

struct Fixture {
    router: axum::Router,
    /// A stored contact, for bodies sent to its id.
    id: String,
}

async fn fixture() -> Fixture {
    let store = memory_store();
    let router = edge::http::finish(router(ContactsState {
        contacts: Arc::new(store.clone()),
        history: Arc::new(store),
        clock: Arc::new(SystemClock),
        default_country: "US".into(),
        import_max_bytes: IMPORT_MAX_BYTES,
        import_max_rows: IMPORT_MAX_ROWS,
    }));
    let mut id = String::new();
    for (i, name) in ["Ana Lima", "bob", "Çelik", "Dee \"D\" Doe", "eve, the 2nd"]
        .iter()
        .enumerate()
    {
        let body = json!({"name": name, "phone": format!("+1 212 555 01{i:02}"),
                          "tags": ["vip", "lead"], "favorite": i % 2 == 0});
        let a = send(
            &router,
            request(
                Method::POST,
                "/api/contacts",
                Some("application/json"),
                body.to_string().into_bytes(),
            ),
        )
        .await;
        assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
        id = a.body["id"].as_str().unwrap().to_string();
    }
    Fixture { router, id }
}

/// Text a person might type into any contact field.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z][A-Za-z .'-]{0,12}",
        2 => prop::sample::select(vec![
            "+1 212 555 0142", "(212) 555-0199", "+44 20 7946 0958", "call me", "", " ",
            "a@b.co", "not an email", "=HYPERLINK(\"x\")", "%", "_", "\\", "'; --", "\u{0}",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,20}",
        1 => (150usize..6_000).prop_map(|n| "x".repeat(n)),
    ]
}

/// Contact bodies whose fields are each right, wrong, missing or of the wrong type.
fn contact_body() -> impl Strategy<Value = Value> {
    // Boxed: eight unboxed value trees side by side overflow a test thread's stack in debug.
    let field = |good: BoxedStrategy<Value>| {
        prop::option::weighted(0.7, prop_oneof![20 => good, 1 => junk()]).boxed()
    };
    // Mostly what a person types, sometimes anything (too long, control characters, …).
    let typed = |usual: &'static str| prop_oneof![4 => usual, 1 => text()];
    let tags = prop_oneof![
        4 => prop::collection::vec("[a-z]{1,10}", 0..5),
        1 => prop::collection::vec(text(), 0..25),
    ]
    .prop_map(Value::from)
    .boxed();
    let phone = prop_oneof![
        4 => (0u32..10_000).prop_map(|n| format!("+1 212 555 {n:04}")),
        1 => text(),
    ];
    (
        field(
            typed("[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?")
                .prop_map(Value::from)
                .boxed(),
        ),
        field(phone.prop_map(Value::from).boxed()),
        field(
            typed("[a-z]{1,8}@[a-z]{1,8}\\.com")
                .prop_map(Value::from)
                .boxed(),
        ),
        field(typed("[A-Za-z ,.&]{0,20}").prop_map(Value::from).boxed()),
        field(typed("[ -~]{0,40}").prop_map(Value::from).boxed()),
        field(tags),
        field(any::<bool>().prop_map(Value::from).boxed()),
        prop::option::weighted(0.1, ("\\PC{1,8}", junk())),
    )
        .prop_map(
            |(name, phone, email, company, notes, tags, favorite, extra)| {
                let mut m = Map::new();
                for (k, v) in [
                    ("name", name),
                    ("phone", phone),
                    ("email", email),
                    ("company", company),
                    ("notes", notes),
                    ("tags", tags),
                    ("favorite", favorite),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                if let Some((k, v)) = extra {
                    m.insert(k, v);
                }
                Value::Object(m)
            },
        )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    bodies(contact_body)
}

/// Unpadded base64url, as the API writes cursors.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Cursors: base64url of JSON of the right and wrong shapes, and any text.
fn cursor() -> impl Strategy<Value = String> {
    let shaped = prop_oneof![
        ("\\PC{0,8}", "\\PC{0,8}").prop_map(|(a, b)| json!([a, b])),
        (any::<i64>(), "[0-9a-f-]{0,36}").prop_map(|(t, id)| json!([t, id])),
        junk(),
    ];
    prop_oneof![
        2 => shaped.prop_map(|v| base64url(v.to_string().as_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| base64url(&b)),
        1 => "\\PC{0,20}",
    ]
}

/// Query strings for the lists: the known keys with right and wrong values, unknown keys,
/// repeated keys, and raw text of query characters (broken escapes included).
fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        2 => text(),
        1 => prop::sample::select(vec!["true", "false", "1", "0", "yes", "-1", "201", "200", "99999999999999999999999", "1.5", ""])
            .prop_map(str::to_string),
        1 => cursor(),
    ];
    let key = prop_oneof![
        4 => prop::sample::select(vec!["q", "favorite", "tag", "limit", "cursor", "all_or_nothing"]).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ];
    let pair = (key, value).prop_map(|(k, v)| format!("{}={}", encode(&k), encode(&v)));
    prop_oneof![
        4 => prop::collection::vec(pair, 0..5).prop_map(|p| format!("?{}", p.join("&"))),
        1 => "[A-Za-z0-9=&%+;._~!$'()*,:@/?-]{0,40}".prop_map(|q| format!("?{q}")),
        1 => Just(String::new()),
    ]
}

/// Any body on create, replace and patch: the contact, 400 with field errors, 409 for a number
/// already taken, 415 without a JSON content type; never a 5xx.
#[test]
fn any_contact_body_answers_the_contact_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::sample::select(vec![Method::POST, Method::PUT, Method::PATCH]),
        content_type(),
        body(),
    );
    check(128, strategy, |(method, ct, body)| {
        let uri = if method == Method::POST {
            "/api/contacts".to_string()
        } else {
            format!("/api/contacts/{}", f.id)
        };
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(&f.router, request(method, &uri, ct, body)));
        problem(&a, &uri)?;
        if !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{:?}", a.body);
        } else if !valid_json {
            prop_assert_eq!(a.status.as_u16(), 400, "{:?}", a.body);
        }
        if a.status.is_success() {
            prop_assert!(a.body["phone"].as_str().is_some_and(|p| p.starts_with('+')));
            prop_assert!(
                a.body["name"]
                    .as_str()
                    .is_some_and(|n| !n.trim().is_empty())
            );
        }
        Ok(())
    });
}

/// Any query on the list (following the next cursor once when there is one) and on a
/// contact's calls: a page or 400 `invalid_query` / `invalid_cursor`.
#[test]
fn any_list_query_answers_a_page_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop_oneof![
            Just("/api/contacts".to_string()),
            Just(format!("/api/contacts/{}/calls", f.id)),
        ],
        query(),
    );
    check(192, strategy, |(path, q)| {
        let uri = format!("{path}{q}");
        let a = rt.block_on(send(
            &f.router,
            request(Method::GET, &uri, None, Vec::new()),
        ));
        problem(&a, &uri)?;
        if a.status.is_success() {
            prop_assert!(a.body["items"].is_array(), "{:?}", a.body);
            if let Some(next) = a.body["next_cursor"].as_str() {
                let uri = format!("{path}?limit=1&cursor={}", encode(next));
                let b = rt.block_on(send(
                    &f.router,
                    request(Method::GET, &uri, None, Vec::new()),
                ));
                problem(&b, &uri)?;
                prop_assert_eq!(b.status.as_u16(), 200, "{}: {:?}", uri, b.body);
            }
        } else {
            prop_assert_eq!(a.status.as_u16(), 400, "{}: {:?}", uri, a.body);
        }
        Ok(())
    });
}

/// Any contact id on every `{contact_id}` route: 404 (or 400/415 for a body that is not
/// JSON), never a 5xx.
#[test]
fn any_contact_id_is_not_found() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = id_requests(
        vec![
            (Method::GET, ""),
            (Method::PUT, ""),
            (Method::PATCH, ""),
            (Method::DELETE, ""),
            (Method::GET, "/calls"),
        ],
        body(),
    );
    check(192, strategy, |((method, suffix), id, ct, body)| {
        let reads_body = method == Method::PUT || method == Method::PATCH;
        let uri = format!("/api/contacts/{id}{suffix}");
        let a = rt.block_on(send(&f.router, request(method, &uri, ct, body)));
        problem(&a, &uri)?;
        if reads_body {
            status_among(&a, &uri, &[400, 404, 405, 415])?;
        } else {
            status_among(&a, &uri, &[404, 405])?;
        }
        Ok(())
    });
}

/// Cells of a contact file: numbers, names, e-mail addresses and the characters that trip CSV
/// readers.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u32..100).prop_map(|n| format!("+1 212 555 01{n:02}")),
        3 => prop::sample::select(vec![
            "+1 212 555 0101", "(212) 555-0102", "2125550103", "+44 20 7946 0958", "call me",
            "Ana", "Bob Stone", "a@b.co", "yes", "vip;lead|west", "", " ", "\"", "\"\"", ",",
            "\r", "\n", "\r\n", "\u{feff}", "=SUM(A1)", "'",
        ])
        .prop_map(str::to_string),
        2 => "[0-9 ()+-]{3,16}",
        1 => "\\PC{0,10}",
        1 => (200usize..2_000).prop_map(|n| "n".repeat(n)),
    ]
}

/// Contact files: a header of known and unknown columns, rows of cells (some quoted), any line
/// endings, sometimes a BOM; and any text or bytes.
fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let header = prop::collection::vec(
        prop::sample::select(vec![
            "Name",
            "First Name",
            "Last Name",
            "Phone",
            "Mobile",
            "Email",
            "Company",
            "Notes",
            "Tags",
            "Favorite",
            "Shoe size",
            "",
        ]),
        0..6,
    );
    let rows = prop::collection::vec(prop::collection::vec((cell(), any::<bool>()), 0..7), 0..50);
    let file = (
        any::<bool>(),
        prop::bool::weighted(0.6),
        header,
        rows,
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
    )
        .prop_map(|(bom, usable, mut header, rows, eol)| {
            let mut out = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            if usable {
                header.splice(0..0, ["Name", "Phone"]);
            }
            out.push_str(&header.join(","));
            for row in rows {
                out.push_str(eol);
                let cells: Vec<String> = row
                    .into_iter()
                    .map(|(c, quote)| {
                        if quote {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c
                        }
                    })
                    .collect();
                out.push_str(&cells.join(","));
            }
            out.into_bytes()
        });
    prop_oneof![
        6 => file,
        1 => "\\PC{0,80}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..120),
        1 => (IMPORT_MAX_BYTES - 10..IMPORT_MAX_BYTES + 10).prop_map(|n| {
            let mut b = b"name,phone\n".to_vec();
            b.resize(n, b'x');
            b
        }),
    ]
}

/// Any file, with any content type and query, on the import: a report (200), 400 for a file
/// that is not a contact CSV, 413 too large, 422 refused whole; never a 5xx. A report accounts
/// for every row.
#[test]
fn any_file_on_the_import_answers_a_report_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let strategy = (
        prop::option::of(prop::sample::select(vec![
            "text/csv",
            "application/json",
            "text/plain",
            "",
        ])),
        prop_oneof![
            3 => Just(String::new()),
            2 => prop::sample::select(vec!["?all_or_nothing=true", "?all_or_nothing=false", "?all_or_nothing=1", "?all_or_nothing=", "?x=1"])
                .prop_map(str::to_string),
            1 => query(),
        ],
        csv_file(),
    );
    check(96, strategy, |(ct, q, body)| {
        let size = body.len();
        let uri = format!("/api/contacts/import{q}");
        let a = rt.block_on(send(&f.router, request(Method::POST, &uri, ct, body)));
        problem(&a, &uri)?;
        match a.status.as_u16() {
            200 => {
                let r = &a.body;
                let n = |k: &str| r[k].as_u64().unwrap_or(u64::MAX);
                prop_assert!(n("rows") <= IMPORT_MAX_ROWS as u64, "{r:?}");
                prop_assert!(
                    n("created") + n("updated") + n("skipped") + n("merged") == n("rows"),
                    "{r:?}"
                );
            }
            413 => prop_assert!(
                size > IMPORT_MAX_BYTES
                    || a.body["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("rows"))
            ),
            400 | 422 => {}
            other => prop_assert!(false, "{uri}: {other} {:?}", a.body),
        }
        Ok(())
    });
}
