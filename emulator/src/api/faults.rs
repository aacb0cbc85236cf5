//! REST faults on dials and commands: the emulator-wide [`FaultPlan`] in force, or the one a
//! request asks for with `X-Emulator-Fault` (emulator-only; `off` exempts the request).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::S;
use crate::error::ApiError;
use crate::faults::{AppliedFault, FAULT_HEADER, FaultKind, FaultOutcome, FaultPlan};
use crate::state::Core;

/// Marks an answer the client must never get: [`super::record`] logs it, then drops the
/// connection.
#[derive(Clone, Copy, Debug)]
pub struct Abandon;

/// Which fault an answer came from, for the request log.
#[derive(Clone, Copy, Debug)]
pub struct Applied(pub FaultKind);

pub async fn inject(State(core): S, req: Request, next: Next) -> Response {
    let plan = match chosen(&core, req.headers()) {
        Ok(Some(plan)) => plan,
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let log = LogEntry::open(&core, &req, plan.fault);
    let mut resp = match plan.fault {
        FaultKind::Stall => {
            tokio::time::sleep(plan.hold()).await;
            stalled()
        }
        FaultKind::ServerError => server_error(plan.status),
        FaultKind::RateLimited => rate_limited(plan.retry_after_secs),
        FaultKind::LostAnswer => {
            // Carried out for real (a dial's leg exists and its webhooks flow); only the
            // answer is lost after the client has waited past its timeout.
            let mut resp = next.run(req).await;
            tokio::time::sleep(plan.hold()).await;
            resp.extensions_mut().insert(Abandon);
            resp
        }
    };
    let dropped = resp.extensions().get::<Abandon>().is_some();
    log.close(if dropped {
        FaultOutcome::AnswerDropped
    } else {
        FaultOutcome::Answered
    });
    resp.extensions_mut().insert(Applied(plan.fault));
    resp
}

/// The fault log entry of one request. Dropped unclosed means hyper dropped the handler:
/// the client went away while the connection was held.
struct LogEntry {
    core: Arc<Core>,
    index: usize,
    closed: bool,
}

impl LogEntry {
    fn open(core: &Arc<Core>, req: &Request, fault: FaultKind) -> LogEntry {
        let mut st = core.lock();
        st.fault_log.push(AppliedFault {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            fault,
            outcome: FaultOutcome::Holding,
        });
        LogEntry {
            core: core.clone(),
            index: st.fault_log.len() - 1,
            closed: false,
        }
    }

    fn set(&self, outcome: FaultOutcome) {
        // A reset may have emptied the log meanwhile.
        if let Some(e) = self.core.lock().fault_log.get_mut(self.index) {
            e.outcome = outcome;
        }
    }

    fn close(mut self, outcome: FaultOutcome) {
        self.closed = true;
        self.set(outcome);
    }
}

impl Drop for LogEntry {
    fn drop(&mut self) {
        if !self.closed {
            self.set(FaultOutcome::ClientGone);
        }
    }
}

/// The request's own fault if it names one, else a draw from the plan in force.
fn chosen(core: &Core, headers: &HeaderMap) -> Result<Option<FaultPlan>, ApiError> {
    if let Some(v) = headers.get(FAULT_HEADER) {
        let spec = v.to_str().unwrap_or_default();
        return FaultPlan::parse(spec).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "10015", "Bad Request", e)
                .param("X-Emulator-Fault")
        });
    }
    Ok(core.lock().faults.as_mut().and_then(|f| f.draw()))
}

/// What a stalled request finally answers, long after any client gave up *(emulator
/// choice: Telnyx documents no such answer)*. Nothing was carried out.
fn stalled() -> Response {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "10007",
        "Unexpected error",
        "The request timed out inside the platform and was not carried out.",
    )
    .into_response()
}

/// A 5xx in Telnyx's error envelope (`10007` "Unexpected error", §5 of the reference).
fn server_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let detail = match status.as_u16() {
        502 => "Bad gateway: an upstream service did not answer properly.",
        503 => "The service is temporarily unavailable. Please retry.",
        _ => "An unexpected error occurred. Please retry.",
    };
    ApiError::new(status, "10007", "Unexpected error", detail).into_response()
}

/// Telnyx's general rate limit: 429 `10011` with the `x-ratelimit-*` headers, and
/// `Retry-After`.
fn rate_limited(retry_after: u64) -> Response {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "10011",
        "Too many requests",
        format!("Rate limit exceeded. Retry after {retry_after} seconds."),
    )
    .header("retry-after", retry_after)
    .header("x-ratelimit-limit", 100)
    .header("x-ratelimit-remaining", 0)
    .header("x-ratelimit-reset", retry_after)
    .into_response()
}
