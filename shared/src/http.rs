//! HTTP glue shared by the function routers: extractors that turn bad input into problem
//! responses, and the fallbacks every router installs.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use domain::CallId;
use serde::de::DeserializeOwned;

/// `axum::Json` whose rejections are problem responses with stable codes.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(rejection) => Err(ApiError::MalformedJson(rejection.body_text())),
        }
    }
}

/// The `{call_id}` path segment. An id that cannot exist answers 404 like an unknown one.
pub struct CallIdPath(pub CallId);

impl<S: Send + Sync> FromRequestParts<S> for CallIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::CallNotFound(String::new()))?;
        raw.parse::<CallId>()
            .map(Self)
            .map_err(|_| ApiError::CallNotFound(truncate(&raw, 64)))
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Router fallback: unknown paths answer problem JSON, not an empty 404.
pub async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// Method fallback for known paths.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Adds the shared fallbacks to a function's router.
pub fn finish<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}
