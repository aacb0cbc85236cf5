//! `functions/calls`: the call history (list, filters, notes and tags, CSV export, statistics)
//! and the call detail. Each part is a module with its own routes; this router merges them.

pub mod detail;
pub mod history;

pub use detail::DetailState;
pub use history::HistoryState;

/// Every route of this function, for the OpenAPI test.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    history::ROUTES
        .iter()
        .chain(detail::ROUTES)
        .copied()
        .collect()
}

pub fn router(history: HistoryState, detail: DetailState) -> axum::Router {
    axum::Router::new()
        .merge(history::routes(history))
        .merge(detail::routes(detail))
}
