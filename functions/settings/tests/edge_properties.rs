//! Property tests of the settings and numbers API (issue #8), in-process against the real
//! store and the Telnyx emulator, without the sign-in layer: any settings patch, any number
//! order and any search query (with or without a JSON content type) answer a success or a
//! problem document with a stable code, never a panic or a 500 (the only 5xx allowed is the
//! documented 502 when Telnyx itself refuses or cannot be reached).
//!
//! `PROPTEST_CASES=N` raises the budget; no failure files are written.

mod common;

use axum::http::Method;
use common::fixture;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use testkit::edge::{check, content_type, encode, is_json_type, junk, problem, request, runtime};
use testkit::send;

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "+13125550201", "(312) 555-0202", "+1 415 555 0203", "+12125550204", "+12125550100",
            "+44 20 7946 0958", "+1 900 555 0100", "call me", "", " ",
        ])
        .prop_map(str::to_string),
        1 => "[0-9 +().-]{0,20}",
        1 => "\\PC{0,16}",
    ]
}

/// A field that is usually a string of `good`, sometimes null (clears) or another JSON type.
fn nullable(good: BoxedStrategy<String>) -> BoxedStrategy<Option<Value>> {
    prop::option::weighted(
        0.5,
        prop_oneof![
            24 => good.prop_map(Value::from),
            2 => Just(Value::Null),
            1 => junk(),
        ],
    )
    .boxed()
}

/// Settings patches whose fields are each right, wrong, absent, null or of the wrong type, and
/// sometimes a typo'd field (refused).
fn settings_patch() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        "KEY[0-9A-Za-z_]{8,40}",
        "[ -~]{0,20}",
        (250usize..300).prop_map(|n| "K".repeat(n)),
    ]
    .boxed();
    let public_key = prop_oneof![
        prop::collection::vec(any::<u8>(), 32).prop_map(|b| base64(&b)),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| base64(&b)),
        "\\PC{0,44}",
    ]
    .boxed();
    let connection = prop_oneof!["[0-9A-Za-z-]{0,70}", "\\PC{0,10}"].boxed();
    let url = prop_oneof![
        "https://[a-z]{1,10}\\.example/[a-z]{0,8}\\.mp3",
        "(ftp|http|https)://[ -~]{0,20}",
        (2_040usize..2_060).prop_map(|n| format!("https://x.example/{}", "a".repeat(n))),
        "\\PC{0,20}",
    ]
    .boxed();
    let recording = prop::option::weighted(
        0.4,
        prop_oneof![
            4 => (
                prop::option::of(any::<bool>()),
                prop::option::of(prop_oneof![
                    8 => prop::sample::select(vec!["mp3", "wav"]),
                    1 => prop::sample::select(vec!["ogg", "MP3", ""]),
                ]),
                prop::option::of(prop_oneof![
                    8 => prop::sample::select(vec!["single", "dual"]),
                    1 => Just("stereo"),
                ]),
            )
                .prop_map(|(a, f, c)| {
                    let mut m = Map::new();
                    if let Some(a) = a {
                        m.insert("auto_record".into(), a.into());
                    }
                    if let Some(f) = f {
                        m.insert("format".into(), f.into());
                    }
                    if let Some(c) = c {
                        m.insert("channels".into(), c.into());
                    }
                    Value::Object(m)
                }),
            1 => prop_oneof![Just(json!({"auto_recrod": true})), junk()],
        ],
    )
    .boxed();
    let mode = prop::option::weighted(
        0.4,
        prop_oneof![
            12 => prop::sample::select(vec!["none", "browser", "phone"]).prop_map(Value::from),
            1 => prop::sample::select(vec!["robot", "Phone", ""]).prop_map(Value::from),
            1 => junk(),
        ],
    )
    .boxed();
    (
        nullable(key),
        nullable(public_key),
        nullable(connection),
        nullable(phone().boxed()),
        recording,
        nullable(url),
        mode,
        nullable(phone().boxed()),
        prop::option::weighted(0.05, "[a-z_]{1,12}"),
    )
        .prop_map(
            |(key, public, connection, caller, recording, url, mode, agent_phone, typo)| {
                let mut m = Map::new();
                for (k, v) in [
                    ("telnyx_api_key", key),
                    ("telnyx_public_key", public),
                    ("telnyx_connection_id", connection),
                    ("default_caller_id", caller),
                    ("recording", recording),
                    ("hold_music_url", url),
                    ("agent_mode", mode),
                    ("agent_phone", agent_phone),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                if let Some(k) = typo {
                    m.insert(k, Value::Bool(true));
                }
                Value::Object(m)
            },
        )
}

/// Standard padded base64, as Telnyx shows public keys.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Bodies: `shaped` JSON, other JSON, JSON cut anywhere, any text, any bytes.
fn body(shaped: BoxedStrategy<Value>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => shaped.clone().prop_map(|v| v.to_string().into_bytes()),
        1 => junk().prop_map(|v| v.to_string().into_bytes()),
        1 => (shaped, any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let b = v.to_string().into_bytes();
            b[..cut.index(b.len() + 1)].to_vec()
        }),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..80),
    ]
}

/// Any settings patch: the settings, 400 with field errors, 409 for what the deployment owns,
/// 415 without a JSON content type; never a 5xx. The settings read back after every patch.
#[test]
fn any_settings_patch_answers_the_settings_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let key = f.emulator.public_key_base64();
    let shaped = prop_oneof![
        6 => settings_patch(),
        1 => Just(json!({ "telnyx_public_key": key })),
    ]
    .boxed();
    check(128, (content_type(), body(shaped)), |(ct, body)| {
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(
            &f.settings,
            request(Method::PUT, "/api/settings", ct, body),
        ));
        problem(&a, "PUT /api/settings")?;
        if !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{:?}", a.body);
        } else if !valid_json {
            prop_assert_eq!(a.status.as_u16(), 400, "{:?}", a.body);
        }
        let read = rt.block_on(send(
            &f.settings,
            request(Method::GET, "/api/settings", None, Vec::new()),
        ));
        problem(&read, "GET /api/settings")?;
        prop_assert_eq!(read.status.as_u16(), 200);
        if a.status.is_success() {
            prop_assert_eq!(&a.body, &read.body);
        }
        Ok(())
    });
}

/// Any order body: 201 for a number bought, 400 (invalid or unconfirmed), 409 (Telnyx does not
/// have it), 415; or Telnyx's documented 502. Never a 500.
#[test]
fn any_number_order_answers_an_order_or_a_problem() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let order = (
        prop::option::weighted(
            0.9,
            prop_oneof![6 => phone().prop_map(Value::from), 1 => junk()],
        ),
        prop::option::weighted(
            0.8,
            prop_oneof![6 => phone().prop_map(Value::from), 1 => junk()],
        ),
        any::<bool>(),
    )
        .prop_map(|(number, confirm, same)| {
            let mut m = Map::new();
            if let Some(n) = number.clone() {
                m.insert("phone_number".into(), n);
            }
            match (same, number, confirm) {
                (true, Some(n), _) => {
                    m.insert("confirm".into(), n);
                }
                (_, _, Some(c)) => {
                    m.insert("confirm".into(), c);
                }
                _ => {}
            }
            Value::Object(m)
        })
        .boxed();
    check(128, (content_type(), body(order)), |(ct, body)| {
        let valid_json = serde_json::from_slice::<Value>(&body).is_ok();
        let a = rt.block_on(send(
            &f.settings,
            request(Method::POST, "/api/numbers/orders", ct, body),
        ));
        problem(&a, "POST /api/numbers/orders")?;
        if !is_json_type(ct) {
            prop_assert_eq!(a.status.as_u16(), 415, "{:?}", a.body);
        } else if !valid_json {
            prop_assert_eq!(a.status.as_u16(), 400, "{:?}", a.body);
        }
        Ok(())
    });
}

/// Any query on the settings, the owned numbers, the number search and the cost estimate: the
/// answer, or 400 `invalid_query` (or Telnyx's documented 502 for a search it refuses); never
/// a 500.
#[test]
fn any_query_answers_or_is_refused() {
    let rt = runtime();
    let f = rt.block_on(fixture());
    let value = prop_oneof![
        3 => prop::sample::select(vec![
            "US", "us", "GB", "CA", "XX", "U", "USA", "1", "312", "212", "555", "0201",
            "12345678901", "20", "50", "51", "0", "-1", "4294967296", "", " ",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ];
    let key = prop_oneof![
        4 => prop::sample::select(vec!["country", "area_code", "contains", "limit"]).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ];
    let pair = (key, value).prop_map(|(k, v)| format!("{}={}", encode(&k), encode(&v)));
    let query = prop_oneof![
        4 => prop::collection::vec(pair, 0..5).prop_map(|p| format!("?{}", p.join("&"))),
        1 => "[A-Za-z0-9=&%+;._~!$'()*,:@/?-]{0,40}".prop_map(|q| format!("?{q}")),
        1 => Just(String::new()),
    ];
    let strategy = (
        prop_oneof![
            6 => Just("/api/numbers/available"),
            1 => Just("/api/settings"),
            1 => Just("/api/numbers"),
            1 => Just("/api/cost-estimate"),
        ],
        query,
    );
    check(128, strategy, |(path, q)| {
        let uri = format!("{path}{q}");
        let a = rt.block_on(send(
            &f.settings,
            request(Method::GET, &uri, None, Vec::new()),
        ));
        problem(&a, &uri)?;
        if path != "/api/numbers/available" {
            prop_assert_eq!(a.status.as_u16(), 200, "{}: {:?}", uri, a.body);
        }
        Ok(())
    });
}
