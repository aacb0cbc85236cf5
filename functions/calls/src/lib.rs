//! `functions/calls`: the call history (list, filters, notes and tags, CSV export, statistics)
//! and the call detail. Each part is a module with its own routes; this router merges them.

pub mod detail;
pub mod history;

pub use detail::DetailState;
pub use history::HistoryState;

/// Every route of this function and who may call it.
pub fn routes() -> Vec<edge::auth::Route> {
    let mut routes = history::table().routes();
    routes.extend(detail::table().routes());
    routes
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<axum::Router, wiring::WiringError> {
    Ok(router(
        HistoryState::build(wiring).await?,
        DetailState::build(wiring).await?,
    ))
}

pub fn router(history: HistoryState, detail: DetailState) -> axum::Router {
    axum::Router::new()
        .merge(history::routes(history))
        .merge(detail::routes(detail))
}
