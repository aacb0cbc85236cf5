use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Telnyx API error answer: the `{"errors":[...]}` envelope (§5 of the reference) with one
/// entry, or several when a body had several bad fields. Boxed so the `Result`s every handler
/// returns stay small.
#[derive(Debug)]
pub struct ApiError(Box<ErrorData>);

#[derive(Debug)]
pub struct ErrorData {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The first entry is the one the builder methods shape.
    pub entries: Vec<Entry>,
}

/// One entry of `errors`.
#[derive(Debug)]
pub struct Entry {
    pub code: &'static str,
    pub title: String,
    pub detail: String,
    pub pointer: Option<String>,
    pub parameter: Option<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError(Box::new(ErrorData {
            status,
            headers: HeaderMap::new(),
            entries: vec![Entry {
                code,
                title: title.to_string(),
                detail: detail.into(),
                pointer: None,
                parameter: None,
            }],
        }))
    }

    /// One answer listing every error, in order; the first decides the status. `None` for
    /// no errors.
    pub fn all(errors: Vec<ApiError>) -> Option<Self> {
        let mut errors = errors.into_iter();
        let mut first = errors.next()?;
        first.0.entries.extend(errors.flat_map(|e| e.0.entries));
        Some(first)
    }

    fn first(&mut self) -> &mut Entry {
        &mut self.0.entries[0]
    }

    pub fn at(mut self, field: &str) -> Self {
        self.first().pointer = Some(format!("/{}", field.trim_start_matches('/')));
        self
    }

    pub fn param(mut self, name: &str) -> Self {
        self.first().parameter = Some(name.to_string());
        self
    }

    pub fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            self.0.headers.insert(HeaderName::from_static(name), v);
        }
        self
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "10009",
            "Authentication failed",
            "The API key in the Authorization header is missing or invalid.",
        )
    }

    pub fn bad_json(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "10015", "Bad Request", detail)
    }

    pub fn missing(field: &str) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10004",
            "Missing required parameter",
            format!("The '{field}' parameter is required."),
        )
        .at(field)
    }

    pub fn invalid_value(field: &str, detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10015",
            &format!("Invalid value for {field}"),
            detail,
        )
        .at(field)
    }

    pub fn invalid_enum(field: &str, allowed: &[&str]) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10032",
            "Invalid enumerated value",
            format!("'{field}' must be one of: {}.", allowed.join(", ")),
        )
        .at(field)
    }

    pub fn out_of_range(field: &str, detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10033",
            "Value outside of range",
            detail,
        )
        .at(field)
    }

    pub fn not_e164(field: &str) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "10016",
            "Phone number must be in +E164 format",
            format!("'{field}' must be a phone number in +E.164 format, e.g. +13125550100."),
        )
        .at(field)
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "10005",
            "Resource not found",
            format!("The requested {what} could not be found."),
        )
    }

    pub fn unknown_call() -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "90015",
            "Invalid Call Control ID",
            "The call_control_id provided was not valid.",
        )
        .at("call_control_id")
    }

    pub fn call_ended() -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "90018",
            "Call has already ended",
            "This call is no longer active and can't receive commands.",
        )
        .at("call_control_id")
    }

    pub fn not_answered() -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "90034",
            "Call not answered yet",
            "This command can only be sent to a call that has been answered.",
        )
        .at("call_control_id")
    }

    pub fn body(&self) -> Value {
        let errors: Vec<Value> = self.0.entries.iter().map(Entry::json).collect();
        json!({ "errors": errors })
    }
}

impl Entry {
    fn json(&self) -> Value {
        let mut e = json!({
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "meta": {"url": format!("https://developers.telnyx.com/docs/overview/errors/{}", self.code)},
        });
        if let Some(p) = &self.pointer {
            e["source"] = json!({"pointer": p});
        } else if let Some(p) = &self.parameter {
            e["source"] = json!({"parameter": p});
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let d = *self.0;
        let mut resp = (d.status, axum::Json(body)).into_response();
        resp.headers_mut().extend(d.headers);
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
