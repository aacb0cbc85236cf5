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

/// A text id path segment (`{contact_id}`, `{user_id}`). One that decodes to no text (invalid
/// UTF-8) names nothing: 404 problem JSON, not axum's plain-text 400.
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|_| ApiError::NotFound {
                code: "not_found",
                detail: "nothing has this id".into(),
            })
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
        .layer(axum::middleware::from_fn(lambda_source_ip))
}

/// Behind API Gateway, its own record of the caller (`requestContext.http.sourceIp`) replaces
/// whatever `X-Forwarded-For` the client sent, so [`client_address`] cannot be forged. Outside
/// Lambda there is no request context and nothing changes.
async fn lambda_source_ip(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use lambda_http::request::RequestContext;
    let source = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source.and_then(|ip| axum::http::HeaderValue::from_str(&ip).ok()) {
        req.headers_mut().insert("x-forwarded-for", ip);
    }
    next.run(req).await
}

/// `axum::extract::Query` whose rejections are problem responses (`invalid_query`).
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_like(query).map(Self)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| {
        ApiError::invalid_field("invalid_query", "query", "is not a valid query string")
    })?)
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| {
        let text = e.body_text();
        let message = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text)
            .to_string();
        ApiError::invalid_field("invalid_query", "query", message)
    })
}

/// Opaque pagination cursors: base64url of a small JSON value, so clients cannot depend on
/// what is inside and a tampered cursor is a 400, never a 500.
pub mod cursor {
    use crate::error::ApiError;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub fn encode<T: Serialize>(value: &T) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
    }

    pub fn decode<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
        URL_SAFE_NO_PAD
            .decode(raw.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "invalid_cursor",
                    "cursor",
                    "is not a cursor this API gave out (start again without it)",
                )
            })
    }
}

/// The caller's address, for rate limits and the audit trail: the last `X-Forwarded-For` entry,
/// which the edge sets from what it saw (API Gateway's request context in Lambda, see
/// [`finish`]; the socket's peer on the local server). Earlier entries are the client's words.
pub fn client_address(headers: &axum::http::HeaderMap) -> String {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .map(|v| v.chars().take(64).collect())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod client_address_tests {
    use super::client_address;
    use axum::http::HeaderMap;

    #[test]
    fn the_last_forwarded_entry_is_the_callers_address() {
        let mut h = HeaderMap::new();
        assert_eq!(client_address(&h), "unknown");
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(
            client_address(&h),
            "203.0.113.7",
            "a forged first entry is ignored"
        );
        h.append("x-forwarded-for", " 198.51.100.2 ".parse().unwrap());
        assert_eq!(client_address(&h), "198.51.100.2");
    }
}

#[cfg(test)]
mod lambda_tests {
    use axum::body::Body;
    use axum::http::{HeaderMap, Request};
    use axum::routing::get;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use tower::ServiceExt;

    #[tokio::test]
    async fn behind_api_gateway_the_request_context_names_the_caller() {
        let app = super::finish(axum::Router::new().route(
            "/ip",
            get(|headers: HeaderMap| async move { super::client_address(&headers) }),
        ));
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        ctx.http.source_ip = Some("198.51.100.9".into());
        let mut req = Request::get("/ip")
            .header("x-forwarded-for", "6.6.6.6")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(RequestContext::ApiGatewayV2(ctx));
        let res = app.clone().oneshot(req).await.unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"198.51.100.9", "the forged header is replaced");

        let plain = Request::get("/ip")
            .header("x-forwarded-for", "203.0.113.1")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(plain).await.unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"203.0.113.1", "outside Lambda nothing changes");
    }
}
