//! The one error type every handler returns, and how it maps to an RFC 9457 problem response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ports::{QueueError, StoreError, TelnyxError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input failed validation. `code` is stable (e.g. `invalid_phone_number`).
    #[error("{detail}")]
    Invalid {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("the request body is not valid JSON for this endpoint: {0}")]
    MalformedJson(String),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("no call has the id {0}")]
    CallNotFound(String),
    #[error("this call is still being placed; try again in a moment")]
    CallNotReady,
    #[error("this control needs an answered call; the call is not connected yet")]
    CallNotActive,
    #[error("this call has already ended")]
    CallAlreadyEnded,
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("this call has no recording")]
    RecordingNotFound,
    #[error("the recording is not ready yet: Telnyx delivers it shortly after the call ends")]
    RecordingProcessing,
    /// The request is valid but the current configuration or state does not allow it.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the webhook signature could not be verified: {0}")]
    InvalidSignature(&'static str),
    #[error("Telnyx refused the call: {0}")]
    DialRejected(TelnyxError, String),
    #[error(transparent)]
    Telnyx(TelnyxError),
    #[error("the event queue is unavailable; Telnyx will retry")]
    Queue(#[from] QueueError),
    #[error("the database is unavailable; try again shortly")]
    Store(#[from] StoreError),
    /// Any other refusal with its own status and stable code (e.g. 404 `contact_not_found`,
    /// 413 `payload_too_large`, 403 `caller_id_not_owned`).
    #[error("{detail}")]
    Problem {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
    #[error("no such endpoint")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    pub fn problem(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Problem {
            status,
            code,
            detail: detail.into(),
        }
    }

    /// Validation failure with several fields (`errors[]`).
    pub fn invalid_fields(code: &'static str, errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::Invalid {
            code,
            detail,
            errors,
        }
    }

    pub fn invalid_field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Invalid {
            code,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// The stable code this error answers with.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::CallNotFound(_) => (StatusCode::NOT_FOUND, "call_not_found"),
            Self::CallNotReady => (StatusCode::CONFLICT, "call_not_ready"),
            Self::CallNotActive => (StatusCode::CONFLICT, "call_not_active"),
            Self::CallAlreadyEnded => (StatusCode::CONFLICT, "call_already_ended"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::RecordingNotFound => (StatusCode::NOT_FOUND, "recording_not_found"),
            Self::NotFound { code, .. } => (StatusCode::NOT_FOUND, code),
            Self::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::TooManyRequests { code, .. } => (StatusCode::TOO_MANY_REQUESTS, code),
            Self::RecordingProcessing => (StatusCode::NOT_FOUND, "recording_processing"),
            Self::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            Self::DialRejected(e, _) | Self::Telnyx(e) => match e {
                TelnyxError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, e.code()),
                TelnyxError::Rejected { .. } | TelnyxError::Unavailable(_) => {
                    (StatusCode::BAD_GATEWAY, e.code())
                }
            },
            Self::Queue(_) => (StatusCode::SERVICE_UNAVAILABLE, "queue_unavailable"),
            Self::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::Problem { status, code, .. } => (*status, code),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Invalid { .. } | Self::MalformedJson(_) => "Invalid request",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::CallNotFound(_) => "Call not found",
            Self::CallNotReady => "Call not ready",
            Self::CallNotActive => "Call not active",
            Self::CallAlreadyEnded => "Call already ended",
            Self::Conflict { .. } => "Conflict",
            Self::RecordingNotFound => "Recording not found",
            Self::NotFound { .. } => "Not found",
            Self::Unauthorized { .. } => "Unauthorized",
            Self::Forbidden { .. } => "Forbidden",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::RecordingProcessing => "Recording processing",
            Self::InvalidSignature(_) => "Invalid webhook signature",
            Self::DialRejected(..) | Self::Telnyx(_) => "Telnyx error",
            Self::Queue(_) | Self::Store(_) => "Service unavailable",
            Self::Problem { status, .. } => status.canonical_reason().unwrap_or("Error"),
            Self::RouteNotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telnyx_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_id: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        // Infrastructure failures are logged with their cause here and answered with a sentence
        // that gives nothing internal away.
        match &self {
            Self::Store(e) => tracing::error!(error = %e, "store failure"),
            Self::Queue(e) => tracing::error!(error = %e, "queue failure"),
            Self::Telnyx(e) | Self::DialRejected(e, _) => {
                tracing::warn!(error = %e, "telnyx error")
            }
            Self::InvalidSignature(why) => tracing::warn!(reason = why, "webhook refused"),
            _ => {}
        }
        let detail = match &self {
            Self::Telnyx(TelnyxError::Unavailable(_))
            | Self::DialRejected(TelnyxError::Unavailable(_), _) => {
                "Telnyx could not be reached; try again shortly".to_string()
            }
            other => other.to_string(),
        };
        let (telnyx_code, call_id) = match &self {
            Self::DialRejected(TelnyxError::Rejected { code, .. }, call_id) => {
                (Some(code.as_str()), Some(call_id.as_str()))
            }
            Self::DialRejected(_, call_id) => (None, Some(call_id.as_str())),
            Self::Telnyx(TelnyxError::Rejected { code, .. }) => (Some(code.as_str()), None),
            _ => (None, None),
        };
        let errors = match &self {
            Self::Invalid { errors, .. } if !errors.is_empty() => Some(errors.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind: "about:blank",
            title: self.title(),
            status: status.as_u16(),
            detail,
            code,
            errors,
            telnyx_code,
            call_id,
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let Self::Telnyx(TelnyxError::RateLimited {
            retry_after_secs: Some(secs),
        }) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // RFC 6750: a 401 names the scheme that would be accepted.
        if let Self::Unauthorized { code, .. } = &self {
            let challenge = match *code {
                "sign_in_required" => Some("Bearer"),
                "invalid_token" | "session_expired" | "account_disabled" => {
                    Some("Bearer error=\"invalid_token\"")
                }
                _ => None,
            };
            if let Some(c) = challenge {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
            }
        }
        response
    }
}
