//! Typed request bodies read the way Telnyx reads them, in one validation pass.
//!
//! A body is a `Deserialize` struct of [`Field`]s. Reading it never fails on a field: each
//! one comes out absent (left out or `null`), given, or of the wrong type, and unknown fields
//! are ignored, as Telnyx ignores them. A [`Check`] then walks the fields once, collecting
//! every problem as Telnyx's error entry with the field's `source.pointer`; the answer lists
//! them all.

use std::collections::{BTreeMap, HashSet};

use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// One body field: left out (or `null`), given with the right type, or given with another.
#[derive(Debug, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Given(T),
    WrongType,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Field::Absent,
            v => T::deserialize(v).map_or(Field::WrongType, Field::Given),
        })
    }
}

/// A type a field can hold, and how Telnyx words a value that is not of it.
pub trait Wire: DeserializeOwned {
    fn wrong_type(field: &str) -> ApiError;

    /// Whether a given value counts as left out for a required field.
    fn is_blank(&self) -> bool {
        false
    }
}

impl Wire for String {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, format!("'{field}' must be a string."))
    }

    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl Wire for bool {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, format!("'{field}' must be a boolean."))
    }
}

/// An integer, given as a JSON number or as a string of digits.
#[derive(Clone, Copy, Debug)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Int(n)),
            Raw::Text(s) => s
                .parse()
                .map(Int)
                .map_err(|_| serde::de::Error::custom("not an integer")),
        }
    }
}

impl Wire for Int {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, format!("'{field}' must be an integer."))
    }
}

/// `custom_headers`: SIP headers to add, echoed in the leg's webhooks.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct CustomHeaders(pub Vec<CustomHeader>);

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CustomHeader {
    pub name: String,
    pub value: String,
}

impl Wire for CustomHeaders {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, "Must be a list of {name, value}.")
    }
}

/// `webhook_urls`: event type → URL.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct UrlMap(pub BTreeMap<String, String>);

impl Wire for UrlMap {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, "Must map event types to http(s) URLs.")
    }
}

/// `webhook_retries_policies`: event type → `{"retries_ms": [...]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct RetryPolicies(pub BTreeMap<String, RetryPolicy>);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    pub retries_ms: Vec<u64>,
}

impl Wire for RetryPolicies {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(
            field,
            "Must map event types to {\"retries_ms\": [ms, ...]}.",
        )
    }
}

/// Declares a field type of fixed string values, with Telnyx's 10032 for any other value.
macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            #[allow(dead_code)]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $crate::api::body::Wire for $name {
            fn wrong_type(field: &str) -> $crate::error::ApiError {
                $crate::error::ApiError::invalid_enum(field, Self::NAMES)
            }
        }
    };
}
pub(crate) use choice;

choice!(
    /// `answering_machine_detection`.
    Amd {
        Premium = "premium",
        Detect = "detect",
        DetectBeep = "detect_beep",
        DetectWords = "detect_words",
        GreetingEnd = "greeting_end",
        Disabled = "disabled",
    }
);

impl Amd {
    /// The mode a leg runs AMD in; `disabled` is none.
    pub fn mode(self) -> Option<String> {
        (self != Amd::Disabled).then(|| self.as_str().to_string())
    }
}

choice!(
    /// A recording's file format.
    AudioFormat { Wav = "wav", Mp3 = "mp3" }
);
choice!(
    /// A recording's channels.
    Channels { Single = "single", Dual = "dual" }
);
choice!(
    /// Which side of the call a recording hears.
    Track { Both = "both", Inbound = "inbound", Outbound = "outbound" }
);

/// Reads a body: empty means `{}`; anything but a JSON object is Telnyx's 400 `10015`.
pub fn json_object(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::bad_json(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_json(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Reads `body` as `B` and runs its one validation pass: the value if every field is right,
/// else every problem found.
pub fn validate<B: DeserializeOwned, T>(
    body: &Value,
    check: impl FnOnce(B, &mut Check) -> T,
) -> ApiResult<T> {
    let b = B::deserialize(body).map_err(|e| ApiError::bad_json(e.to_string()))?;
    let mut c = Check::default();
    let out = check(b, &mut c);
    match ApiError::all(c.errors) {
        None => Ok(out),
        Some(e) => Err(e),
    }
}

/// The problems found so far in one body. A field that failed once is not judged again, so
/// each bad field gives one entry.
#[derive(Default)]
pub struct Check {
    errors: Vec<ApiError>,
    failed: HashSet<String>,
}

impl Check {
    /// Records a problem with `field` unless it already has one.
    pub fn fail(&mut self, field: &str, e: ApiError) {
        if self.failed.insert(field.to_string()) {
            self.errors.push(e);
        }
    }

    /// Whether `field` has a problem already.
    pub fn failed(&self, field: &str) -> bool {
        self.failed.contains(field)
    }

    /// Records `e()` against `field` when `ok` is false.
    pub fn rule(&mut self, field: &str, ok: bool, e: impl FnOnce() -> ApiError) {
        if !ok {
            self.fail(field, e());
        }
    }

    /// An optional field: its value if given with the right type.
    pub fn opt<T: Wire>(&mut self, field: &str, f: Field<T>) -> Option<T> {
        match f {
            Field::Absent => None,
            Field::Given(v) => Some(v),
            Field::WrongType => {
                self.fail(field, T::wrong_type(field));
                None
            }
        }
    }

    /// A required field; left out, `null` or blank is Telnyx's `10004`.
    pub fn req<T: Wire>(&mut self, field: &str, f: Field<T>) -> Option<T> {
        let v = self.opt(field, f).filter(|v| !v.is_blank());
        if v.is_none() {
            self.fail(field, ApiError::missing(field));
        }
        v
    }

    /// An optional integer in `min..=max` (Telnyx's `10033` outside).
    pub fn int(&mut self, field: &str, f: Field<Int>, min: i64, max: i64) -> Option<i64> {
        let n = self.opt(field, f)?.0;
        let inside = (min..=max).contains(&n);
        self.rule(field, inside, || {
            ApiError::out_of_range(field, format!("'{field}' must be between {min} and {max}."))
        });
        inside.then_some(n)
    }

    /// An optional `client_state`-like field: a string that must be valid Base64.
    pub fn base64(&mut self, field: &str, f: Field<String>) -> Option<String> {
        let s = self.opt(field, f)?;
        let ok = STANDARD.decode(s.as_bytes()).is_ok();
        self.rule(field, ok, || {
            ApiError::invalid_value(
                field,
                format!("'{field}' must be a valid Base64 encoded string."),
            )
        });
        ok.then_some(s)
    }

    /// Keeps `v` if it is a +E.164 number (Telnyx's `10016` otherwise).
    pub fn phone(&mut self, field: &str, v: Option<String>) -> Option<String> {
        let ok = v.as_deref().is_none_or(is_e164);
        self.rule(field, ok, || ApiError::not_e164(field));
        v.filter(|_| ok)
    }

    /// Keeps `v` if it is something Telnyx dials: E.164 (with optional `,digits`) or a SIP URI.
    pub fn destination(&mut self, field: &str, v: Option<String>) -> Option<String> {
        let ok = v.as_deref().is_none_or(valid_destination);
        self.rule(field, ok, || ApiError::not_e164(field));
        v.filter(|_| ok)
    }

    /// An optional URL Telnyx would call back: http(s) only.
    pub fn url(&mut self, field: &str, f: Field<String>) -> Option<String> {
        let u = self.opt(field, f)?;
        let ok = is_http_url(&u);
        self.rule(field, ok, || {
            ApiError::invalid_value(field, "Must be an http(s) URL.")
        });
        ok.then_some(u)
    }
}

pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()) && !d.starts_with('0')
}

/// A dial destination: E.164 (optionally with `,digits` to send after answer) or a SIP URI.
fn valid_destination(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("sip:") {
        return !rest.is_empty();
    }
    let number = s.split(',').next().unwrap_or_default();
    is_e164(number)
}

pub fn is_http_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len()
}

/// DTMF Telnyx can send: digits, A-D, `*`, `#`, and `w`/`W` pauses.
pub fn is_dtmf(s: &str) -> bool {
    s.chars().all(|c| "0123456789ABCD*#wW".contains(c))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Sample {
        name: Field<String>,
        count: Field<Int>,
        format: Field<AudioFormat>,
    }

    fn run(body: Value) -> ApiResult<(Option<String>, Option<i64>, Option<AudioFormat>)> {
        validate(&body, |b: Sample, c| {
            (
                c.req("name", b.name),
                c.int("count", b.count, 1, 5),
                c.opt("format", b.format),
            )
        })
    }

    /// `code pointer` of each entry.
    fn entries(e: ApiError) -> Vec<String> {
        let v = e.body();
        let entry = |e: &Value| {
            let p = e["source"]["pointer"].as_str().unwrap_or_default();
            format!("{} {p}", e["code"].as_str().unwrap())
        };
        v["errors"].as_array().unwrap().iter().map(entry).collect()
    }

    #[test]
    fn reads_typed_values_and_ignores_unknown_fields() {
        let v = run(json!({"name": "a", "count": "3", "format": "wav", "extra": [1]})).unwrap();
        assert_eq!(v, (Some("a".into()), Some(3), Some(AudioFormat::Wav)));
    }

    #[test]
    fn lists_every_bad_field_once_with_its_pointer() {
        let e = run(json!({"name": 7, "count": 9, "format": "ogg"})).unwrap_err();
        assert_eq!(entries(e), ["10015 /name", "10033 /count", "10032 /format"]);
        let e = run(json!({"name": "  ", "count": 1.5, "format": 3})).unwrap_err();
        assert_eq!(entries(e), ["10004 /name", "10015 /count", "10032 /format"]);
    }

    #[test]
    fn null_is_absent() {
        let e = run(json!({"name": null})).unwrap_err();
        assert_eq!(entries(e), ["10004 /name"]);
    }

    #[test]
    fn only_objects_are_bodies() {
        assert!(json_object(&Bytes::from_static(b" ")).unwrap().is_object());
        assert!(json_object(&Bytes::from_static(b"[1]")).is_err());
        assert!(json_object(&Bytes::from_static(b"{no")).is_err());
    }
}
