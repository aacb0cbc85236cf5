//! Shared harness of the edge property tests (`functions/*/tests/edge_properties.rs`): a bounded
//! budget (`PROPTEST_CASES` raises it; no failure files are written), a runtime per test, and the
//! inputs and checks every router's properties use.

use crate::Answer;
use axum::body::Body;
use axum::http::{Method, Request, header};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Value, json};

pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `test` on `cases` generated inputs; a failure panics with the minimal input.
pub fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    if let Err(e) = TestRunner::new(config(cases)).run(&strategy, test) {
        panic!("{e}");
    }
}

/// Percent-encodes every byte outside the unreserved set, so any text makes a valid path.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Path ids: any text, raw escapes (also of invalid UTF-8), id-shaped, very long, and the
/// segments that trip routers.
pub fn path_id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>().prop_map(|s| encode(&s)),
        1 => prop::collection::vec(any::<u8>(), 1..40)
            .prop_map(|b| b.iter().map(|b| format!("%{b:02X}")).collect()),
        1 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        1 => "[0-9A-Za-z]{26}",
        1 => (1usize..8_000).prop_map(|n| "7".repeat(n)),
        1 => prop::sample::select(vec![
            "..", ".", "%2e%2e", "%2F", "%00", "%25", "null", "0", "-1", "%20", "+", ":", "@",
            "!$&'()*+,;=", "%F0%9F%98%80", "%C3%A9",
        ])
        .prop_map(str::to_string),
    ]
}

/// Content types for a JSON route: mostly `application/json`, sometimes another JSON type
/// (a parameter, a `+json` suffix), none, or one that is not JSON. [`is_json_type`] says which
/// the router must accept.
/// Requests to the `{id}` routes of a resource: one of `routes` (method, path suffix), any path
/// id, any content type, any `body`.
pub fn id_requests<B: Strategy>(
    routes: Vec<(axum::http::Method, &'static str)>,
    body: B,
) -> impl Strategy<
    Value = (
        (axum::http::Method, &'static str),
        String,
        Option<&'static str>,
        B::Value,
    ),
> {
    (
        prop::sample::select(routes),
        path_id(),
        content_type(),
        body,
    )
}

pub fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        8 => Just(Some("application/json")),
        1 => prop::sample::select(vec![
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "application/problem+json",
        ])
        .prop_map(Some),
        1 => Just(None),
        1 => prop::sample::select(vec![
            "text/plain",
            "text/csv",
            "application/x-www-form-urlencoded",
            "",
            "json",
        ])
        .prop_map(Some),
    ]
}

pub fn is_json_type(ct: Option<&str>) -> bool {
    ct.is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence == "application/json" || essence.ends_with("+json")
    })
}

pub fn request(
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    r.body(Body::from(body)).expect("request builds")
}

/// The answer's status is one of `allowed`.
pub fn status_among(a: &Answer, what: &str, allowed: &[u16]) -> Result<(), TestCaseError> {
    prop_assert!(
        allowed.contains(&a.status.as_u16()),
        "{what}: {} {:?}",
        a.status,
        a.body
    );
    Ok(())
}

/// What every edge answer must be: below 500 (but for the documented 502 when Telnyx refuses or
/// cannot be reached), and a problem document with a stable `code` when it is an error.
pub fn problem(a: &Answer, what: &str) -> Result<(), TestCaseError> {
    let upstream = a.status.as_u16() == 502 && a.code().starts_with("telnyx_");
    prop_assert!(
        a.status.as_u16() < 500 || upstream,
        "{what}: {} {:?}",
        a.status,
        a.body
    );
    if !a.status.is_success() && !a.status.is_redirection() {
        prop_assert!(
            a.content_type.starts_with("application/problem+json") && !a.code().is_empty(),
            "{what}: {} {} {:?}",
            a.status,
            a.content_type,
            a.body
        );
    }
    Ok(())
}

pub fn junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["a", 1])),
    ]
}

/// Bodies: mostly `shaped` JSON, then other JSON, JSON cut anywhere, any text, any bytes.
pub fn bodies<S>(shaped: impl Fn() -> S) -> impl Strategy<Value = Vec<u8>>
where
    S: Strategy<Value = Value>,
{
    prop_oneof![
        8 => shaped().prop_map(|v| v.to_string().into_bytes()),
        1 => junk().prop_map(|v| v.to_string().into_bytes()),
        1 => (shaped(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let b = v.to_string().into_bytes();
            b[..cut.index(b.len() + 1)].to_vec()
        }),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..80),
    ]
}
