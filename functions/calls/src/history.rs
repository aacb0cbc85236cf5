//! `GET /api/calls` (filters, cursor pages), `PATCH /api/calls/{call_id}` (notes, tags),
//! `GET /api/calls/export.csv` (same filters, streamed) and `GET /api/stats`.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::{Call, CallId, HistoryStatus, PhoneNumber, SearchTerms, Summary};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::CurrentUser;
use edge::auth::Route;
use edge::http::{ApiJson, ApiQuery, CallIdPath, cursor};
use edge::view::{CallView, ContactRef};
use ports::{
    CallFilter, CallHistory, CallStore, ContactLink, ContactStore, SharedClock, StatsGroup,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;
/// Rows fetched per store query while exporting.
const EXPORT_CHUNK: usize = 500;
pub const MAX_NOTES: usize = 5_000;

#[derive(Clone)]
pub struct HistoryState {
    pub calls: Arc<dyn CallStore>,
    pub history: Arc<dyn CallHistory>,
    pub contacts: Arc<dyn ContactStore>,
    pub clock: SharedClock,
    pub default_country: String,
    /// Only the call's agent or an admin edits its notes and tags; every edit is audited.
    pub guard: edge::owner::CallGuard,
}

impl HistoryState {
    /// Built here, once, for the Lambda `main`, the local stack and the tests.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let data = wiring.data_store().await?;
        Ok(Self {
            guard: edge::owner::CallGuard::build(
                data.clone(),
                wiring.auth_store().await?,
                wiring.clock.clone(),
            ),
            calls: data.clone(),
            history: data.clone(),
            contacts: data,
            clock: wiring.clock.clone(),
            default_country: wiring.config.default_country.clone(),
        })
    }
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<HistoryState> {
    RouteTable::new()
        .with(Route::agent("GET", "/api/calls"), list)
        .with(Route::agent("GET", "/api/calls/export.csv"), export)
        .with(Route::agent("PATCH", "/api/calls/{call_id}"), annotate)
        .with(Route::agent("GET", "/api/stats"), stats)
}

pub fn routes(state: HistoryState) -> Router {
    table().router().with_state(state)
}

/// The history filters, as they arrive in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    from_number: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    group: Option<String>,
    /// `me`, or a user id: the calls that user placed.
    #[serde(default)]
    placed_by: Option<String>,
}

/// RFC 3339, or a plain date meaning that day's midnight UTC.
fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            ApiError::invalid_field(
                "invalid_query",
                field,
                "must be an RFC 3339 time (2026-01-31T09:00:00Z) or a date (2026-01-31)",
            )
        })
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

async fn filter(
    state: &HistoryState,
    q: &FilterQuery,
    user: Option<&CurrentUser>,
) -> Result<CallFilter, ApiError> {
    let status = nonempty(&q.status)
        .map(|s| {
            HistoryStatus::parse(s).ok_or_else(|| {
                ApiError::invalid_field(
                    "invalid_query",
                    "status",
                    "must be one of active, completed, missed, failed",
                )
            })
        })
        .transpose()?;
    let since = nonempty(&q.since)
        .map(|s| parse_time("since", s))
        .transpose()?;
    let until = nonempty(&q.until)
        .map(|s| parse_time("until", s))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::invalid_field(
            "invalid_query",
            "until",
            "must not be before since",
        ));
    }
    let from_number = nonempty(&q.from_number)
        .map(|n| {
            PhoneNumber::parse(n, &state.default_country).map_err(|e| {
                ApiError::invalid_field("invalid_phone_number", "from_number", e.to_string())
            })
        })
        .transpose()?;
    let contact = match nonempty(&q.contact_id) {
        None => None,
        Some(id) => Some(ContactLink {
            id: id.to_string(),
            // A deleted contact still filters by the id its calls carry.
            phone: state.contacts.contact(id).await?.map(|c| c.phone),
        }),
    };
    let placed_by = match (nonempty(&q.placed_by), user) {
        (None, _) => None,
        (Some("me"), Some(me)) => Some(me.id.clone()),
        (Some(id), _) if id != "me" && id.len() <= 64 => Some(id.to_string()),
        _ => {
            return Err(ApiError::invalid_field(
                "invalid_query",
                "placed_by",
                "must be \"me\" (signed in) or a user id",
            ));
        }
    };
    Ok(CallFilter {
        status,
        search: q.q.as_deref().and_then(SearchTerms::parse),
        since,
        until,
        contact,
        from_number,
        placed_by,
    })
}

type Cursor = (i64, CallId);

fn before(q: &FilterQuery) -> Result<Option<(DateTime<Utc>, CallId)>, ApiError> {
    let Some(raw) = nonempty(&q.cursor) else {
        return Ok(None);
    };
    let (us, id): Cursor = cursor::decode(raw)?;
    DateTime::from_timestamp_micros(us)
        .map(|t| Some((t, id)))
        .ok_or_else(|| cursor::decode::<()>("").unwrap_err())
}

/// A call in the history: the status view plus what the team wrote about it.
#[derive(Serialize)]
pub struct HistoryItem {
    #[serde(flatten)]
    pub call: CallView,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// Resolves contact names for a batch of calls, one lookup per distinct contact or number.
#[derive(Default)]
struct Names(HashMap<String, Option<ContactRef>>);

impl Names {
    async fn of(&mut self, contacts: &dyn ContactStore, call: &Call) -> Option<ContactRef> {
        let key = format!("{:?}|{}", call.contact_id, call.to);
        if let Some(hit) = self.0.get(&key) {
            return hit.clone();
        }
        let found = edge::view::contact_ref(contacts, call).await;
        self.0.insert(key, found.clone());
        found
    }
}

async fn item(state: &HistoryState, names: &mut Names, call: &Call) -> HistoryItem {
    let contact = names.of(state.contacts.as_ref(), call).await;
    HistoryItem {
        call: CallView::new(call, contact, state.clock.now()),
        notes: call.notes.clone(),
        tags: call.tags.clone(),
    }
}

#[derive(Serialize)]
pub struct Page {
    pub items: Vec<HistoryItem>,
    pub next_cursor: Option<String>,
}

async fn list(
    State(state): State<HistoryState>,
    user: Option<Extension<CurrentUser>>,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Json<Page>, ApiError> {
    let limit = match q.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "invalid_query",
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
    };
    let f = filter(&state, &q, user.as_ref().map(|Extension(u)| u)).await?;
    let mut found = state
        .history
        .search_calls(&f, limit + 1, before(&q)?)
        .await?;
    let next_cursor = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|c| cursor::encode(&(c.started_at.timestamp_micros(), c.id)))
    } else {
        None
    };
    let mut names = Names::default();
    let mut items = Vec::with_capacity(found.len());
    for call in &found {
        items.push(item(&state, &mut names, call).await);
    }
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    /// A string sets, `null` or `""` clears, absent keeps.
    #[serde(default, deserialize_with = "nullable")]
    notes: Option<Option<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

async fn annotate(
    State(state): State<HistoryState>,
    user: Option<Extension<CurrentUser>>,
    CallIdPath(id): CallIdPath,
    ApiJson(body): ApiJson<Annotation>,
) -> Result<Json<HistoryItem>, ApiError> {
    let user = user.as_ref().map(|Extension(u)| u);
    let result = annotate_call(&state, user, id, body).await;
    state.guard.done(user, id, "annotate", &result).await;
    result
}

async fn annotate_call(
    state: &HistoryState,
    user: Option<&CurrentUser>,
    id: CallId,
    body: Annotation,
) -> Result<Json<HistoryItem>, ApiError> {
    state.guard.allow(user, id, "annotate").await?;
    let notes = body
        .notes
        .map(|n| n.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()));
    if notes
        .as_ref()
        .and_then(|n| n.as_ref())
        .is_some_and(|n| n.chars().count() > MAX_NOTES)
    {
        return Err(ApiError::invalid_field(
            "invalid_annotation",
            "notes",
            format!("must be at most {MAX_NOTES} characters"),
        ));
    }
    let tags = body
        .tags
        .map(|t| domain::contact::normalise_tags(&t, "tags"))
        .transpose()
        .map_err(|e| ApiError::invalid_field("invalid_annotation", e.field, e.message))?;
    let updated = state
        .calls
        .update(id, &move |c: &mut Call| {
            if let Some(n) = &notes {
                c.notes.clone_from(n);
            }
            if let Some(t) = &tags {
                c.tags.clone_from(t);
            }
        })
        .await?
        .ok_or_else(|| ApiError::CallNotFound(id.to_string()))?;
    Ok(Json(item(state, &mut Names::default(), &updated).await))
}

const CSV_HEADER: [&str; 16] = [
    "call_id",
    "started_at",
    "answered_at",
    "ended_at",
    "status",
    "outcome",
    "answered_by",
    "from_number",
    "to_number",
    "contact_id",
    "contact_name",
    "duration_secs",
    "hangup_cause",
    "hangup_source",
    "notes",
    "tags",
];

fn csv_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn csv_row(out: &mut String, call: &Call, contact: Option<ContactRef>, now: DateTime<Utc>) {
    let hangup = call.hangup.as_ref();
    let answered_by = match call.answered_by() {
        Some(domain::AnsweredBy::Human) => "human",
        Some(domain::AnsweredBy::Machine) => "machine",
        None => "",
    };
    domain::csv::write_record(
        out,
        &[
            call.id.to_string(),
            csv_time(Some(call.started_at)),
            csv_time(call.answered_at()),
            csv_time(call.ended_at()),
            call.status().as_str().to_string(),
            call.outcome()
                .map(|o| o.as_str())
                .unwrap_or_default()
                .to_string(),
            answered_by.to_string(),
            call.from.to_string(),
            call.to.to_string(),
            contact.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            contact.map(|c| c.name).unwrap_or_default(),
            call.duration_secs(now).to_string(),
            hangup.map(|h| h.cause.clone()).unwrap_or_default(),
            hangup.and_then(|h| h.source.clone()).unwrap_or_default(),
            call.notes.clone().unwrap_or_default(),
            call.tags.join(";"),
        ],
    );
}

/// Streams the filtered history as CSV, a chunk of calls at a time, so an export of a year of
/// calls never sits in memory whole. A store failure mid-stream ends the body with an error
/// (the client sees a truncated download, not a file that silently lacks rows).
async fn export(
    State(state): State<HistoryState>,
    user: Option<Extension<CurrentUser>>,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Response, ApiError> {
    let f = filter(&state, &q, user.as_ref().map(|Extension(u)| u)).await?;
    let start = before(&q)?;
    let mut header = String::new();
    domain::csv::write_record(&mut header, &CSV_HEADER);
    // The first chunk is read before answering, so a store outage is still a 503 problem.
    let first = state.history.search_calls(&f, EXPORT_CHUNK, start).await?;
    struct Cursor {
        state: HistoryState,
        filter: CallFilter,
        pending: Option<Vec<Call>>,
        header: Option<String>,
        names: Names,
        last: Option<(DateTime<Utc>, CallId)>,
        done: bool,
    }
    let seed = Cursor {
        state,
        filter: f,
        pending: Some(first),
        header: Some(header),
        names: Names::default(),
        last: None,
        done: false,
    };
    let stream = futures_util::stream::unfold(seed, |mut cur| async move {
        if let Some(h) = cur.header.take() {
            return Some((Ok::<_, std::io::Error>(h), cur));
        }
        if cur.done {
            return None;
        }
        let batch = match cur.pending.take() {
            Some(b) => b,
            None => {
                let last = cur.last;
                match cur
                    .state
                    .history
                    .search_calls(&cur.filter, EXPORT_CHUNK, last)
                    .await
                {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "export interrupted");
                        cur.done = true;
                        return Some((Err(std::io::Error::other("store unavailable")), cur));
                    }
                }
            }
        };
        if batch.len() < EXPORT_CHUNK {
            cur.done = true;
        }
        if batch.is_empty() {
            return None;
        }
        let now = cur.state.clock.now();
        let mut out = String::new();
        for call in &batch {
            let contact = cur.names.of(cur.state.contacts.as_ref(), call).await;
            csv_row(&mut out, call, contact, now);
        }
        cur.last = batch.last().map(|c| (c.started_at, c.id));
        Some((Ok(out), cur))
    });
    let filename = format!("calls-{}.csv", Utc::now().format("%Y%m%d-%H%M%S"));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Serialize)]
pub struct Group {
    pub key: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct Stats {
    pub since: Option<String>,
    pub until: Option<String>,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_day: Option<Vec<Group>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_number: Option<Vec<Group>>,
}

async fn stats(
    State(state): State<HistoryState>,
    user: Option<Extension<CurrentUser>>,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Json<Stats>, ApiError> {
    let (day, number) = match nonempty(&q.group) {
        None => (true, true),
        Some("day") => (true, false),
        Some("number") => (false, true),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "invalid_query",
                "group",
                "must be day or number",
            ));
        }
    };
    let f = filter(&state, &q, user.as_ref().map(|Extension(u)| u)).await?;
    let summary = state.history.tally(&f).await?.summary();
    let groups = |g: StatsGroup| {
        let state = state.clone();
        let f = f.clone();
        async move {
            Ok::<_, ApiError>(
                state
                    .history
                    .tally_by(&f, g)
                    .await?
                    .into_iter()
                    .map(|(key, t)| Group {
                        key,
                        summary: t.summary(),
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let by_day = if day {
        Some(groups(StatsGroup::Day).await?)
    } else {
        None
    };
    let by_number = if number {
        Some(groups(StatsGroup::FromNumber).await?)
    } else {
        None
    };
    Ok(Json(Stats {
        since: f
            .since
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        until: f
            .until
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        summary,
        by_day,
        by_number,
    }))
}
