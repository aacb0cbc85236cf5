//! A function's route table: each entry is a route (method, path, who may call it) with its
//! handler. The router is built from the table, and the access layer, the template check and
//! the OpenAPI check read the same table, so a path is written once and a route cannot be added
//! without saying who may call it.

use crate::auth::Route;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

pub struct RouteTable<S> {
    entries: Vec<(Route, MethodRouter<S>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for RouteTable<S> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> RouteTable<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `route`, answered by `handler`.
    pub fn with<H, T>(self, route: Route, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.with_layered(route, handler, |m| m)
    }

    /// Adds `route`, answered by `handler` behind what `wrap` puts around it (a body limit).
    pub fn with_layered<H, T>(
        mut self,
        route: Route,
        handler: H,
        wrap: impl FnOnce(MethodRouter<S>) -> MethodRouter<S>,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.entries
            .push((route, wrap(on(method_filter(route.method), handler))));
        self
    }

    /// Another function's table beside this one (a function made of two parts).
    pub fn merge(mut self, other: Self) -> Self {
        self.entries.extend(other.entries);
        self
    }

    pub fn routes(&self) -> Vec<Route> {
        self.entries.iter().map(|(route, _)| *route).collect()
    }

    /// The router: one entry per route, the methods of one path joined.
    pub fn router(self) -> Router<S> {
        self.entries
            .into_iter()
            .fold(Router::new(), |router, (route, handler)| {
                router.route(route.path, handler)
            })
    }
}

/// Route tables are written in code, so a method that is not one is a programming error, caught
/// by every test that builds a router.
fn method_filter(method: &str) -> MethodFilter {
    Method::from_bytes(method.as_bytes())
        .ok()
        .and_then(|m| MethodFilter::try_from(m).ok())
        .unwrap_or_else(|| panic!("route table names an unknown HTTP method {method:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn methods_of_one_path_are_joined_and_each_route_is_listed_once() {
        let table = RouteTable::<()>::new()
            .with(Route::agent("GET", "/api/things"), || async { "list" })
            .with(Route::admin("POST", "/api/things"), || async { "create" });
        assert_eq!(
            table.routes(),
            [
                Route::agent("GET", "/api/things"),
                Route::admin("POST", "/api/things")
            ]
        );
        let router = table.router();
        for (method, status) in [
            ("GET", StatusCode::OK),
            ("POST", StatusCode::OK),
            ("DELETE", StatusCode::METHOD_NOT_ALLOWED),
        ] {
            let request = Request::builder()
                .method(method)
                .uri("/api/things")
                .body(Body::empty())
                .unwrap();
            let answer = router.clone().oneshot(request).await.unwrap();
            assert_eq!(answer.status(), status, "{method}");
        }
    }
}
