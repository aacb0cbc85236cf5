//! `/api/contacts…`: the team's address book. Create, read, update, delete; search by name or
//! number fragment; favorites; each contact's call history with call count and last call; and
//! CSV import with a per-row report.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use domain::import::{self, ImportError, RowError};
use domain::{CallId, Contact, ContactInput, SearchTerms};
use edge::ApiError;
use edge::RouteTable;
use edge::auth::Route;
use edge::error::FieldError;
use edge::http::{ApiJson, ApiQuery, IdPath, cursor};
use edge::view::{CallView, ContactRef};
use ports::{
    CallFilter, CallHistory, ContactActivity, ContactLink, ContactQuery, ContactStore, SharedClock,
    StoreError,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

#[derive(Clone)]
pub struct ContactsState {
    pub contacts: Arc<dyn ContactStore>,
    pub history: Arc<dyn CallHistory>,
    pub clock: SharedClock,
    pub default_country: String,
    /// Largest CSV accepted by the import, in bytes.
    pub import_max_bytes: usize,
    pub import_max_rows: usize,
}

impl ContactsState {
    pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;
    pub const IMPORT_MAX_ROWS: usize = 20_000;
}

/// Every route here, who may call it, and its handler. The router is built from this table;
/// the access layer, the template check and the OpenAPI check read it too.
pub fn table() -> RouteTable<ContactsState> {
    RouteTable::new()
        .with(Route::agent("GET", "/api/contacts"), list)
        .with(Route::agent("POST", "/api/contacts"), create)
        // The import reads the body itself, to answer an oversized file with a problem (413)
        // instead of axum's plain-text rejection.
        .with_layered(
            Route::agent("POST", "/api/contacts/import"),
            import_csv,
            |m| m.layer(DefaultBodyLimit::disable()),
        )
        .with(Route::agent("GET", "/api/contacts/{contact_id}"), read)
        .with(Route::agent("PUT", "/api/contacts/{contact_id}"), replace)
        .with(Route::agent("PATCH", "/api/contacts/{contact_id}"), patch)
        .with(Route::agent("DELETE", "/api/contacts/{contact_id}"), remove)
        .with(
            Route::agent("GET", "/api/contacts/{contact_id}/calls"),
            calls,
        )
}

pub fn routes() -> Vec<Route> {
    table().routes()
}

pub fn router(state: ContactsState) -> Router {
    table().router().with_state(state)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub favorite: bool,
    pub created_at: String,
    pub updated_at: String,
    pub call_count: u64,
    pub last_called_at: Option<String>,
}

impl ContactView {
    fn new(c: Contact, activity: ContactActivity) -> Self {
        Self {
            id: c.id,
            name: c.name,
            phone: c.phone.to_string(),
            email: c.email,
            company: c.company,
            notes: c.notes,
            tags: c.tags,
            favorite: c.favorite,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            call_count: activity.call_count,
            last_called_at: activity.last_called_at.map(rfc3339),
        }
    }
}

fn link(c: &Contact) -> ContactLink {
    ContactLink {
        id: c.id.clone(),
        phone: Some(c.phone.clone()),
    }
}

async fn views(
    state: &ContactsState,
    contacts: Vec<Contact>,
) -> Result<Vec<ContactView>, ApiError> {
    let links: Vec<ContactLink> = contacts.iter().map(link).collect();
    let activity = state.history.contact_activity(&links).await?;
    Ok(contacts
        .into_iter()
        .map(|c| {
            let a = activity.get(&c.id).copied().unwrap_or_default();
            ContactView::new(c, a)
        })
        .collect())
}

async fn view(state: &ContactsState, c: Contact) -> Result<ContactView, ApiError> {
    Ok(views(state, vec![c]).await?.remove(0))
}

fn not_found(id: &str) -> ApiError {
    ApiError::problem(
        StatusCode::NOT_FOUND,
        "contact_not_found",
        format!(
            "no contact has the id {}",
            id.chars().take(64).collect::<String>()
        ),
    )
}

fn invalid(issues: Vec<domain::contact::FieldIssue>) -> ApiError {
    let code = if issues.iter().all(|i| i.field == "phone") {
        "invalid_phone_number"
    } else {
        "invalid_contact"
    };
    ApiError::invalid_fields(
        code,
        issues
            .into_iter()
            .map(|i| FieldError::new(i.field, i.message))
            .collect(),
    )
}

/// A number already on another contact: 409 naming who has it by name (its id means nothing
/// to the person typing). A failed lookup of the holder only loses the name.
async fn write_error(state: &ContactsState, e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate(holder) => {
            let name = if holder.is_empty() {
                None
            } else {
                state
                    .contacts
                    .contact(&holder)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.name)
            };
            ApiError::Conflict {
                code: "duplicate_phone",
                detail: match name {
                    Some(name) => format!("{name} already has this phone number"),
                    None => "another contact already has this phone number".into(),
                },
            }
        }
        other => ApiError::Store(other),
    }
}

async fn load(state: &ContactsState, id: &str) -> Result<Contact, ApiError> {
    state
        .contacts
        .contact(id)
        .await?
        .ok_or_else(|| not_found(id))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    favorite: Option<bool>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_field(
            "invalid_query",
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

async fn list(
    State(state): State<ContactsState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<ContactView>>, ApiError> {
    let limit = page_size(q.limit)?;
    let after = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(cursor::decode::<(String, String)>)
        .transpose()?;
    let query = ContactQuery {
        search: q.q.as_deref().and_then(SearchTerms::parse),
        favorite: q.favorite,
        tag: q
            .tag
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty()),
        // One extra row tells whether another page exists without a count query.
        limit: limit + 1,
        after,
    };
    let mut found = state.contacts.list_contacts(&query).await?;
    let next_cursor = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|c| cursor::encode(&(c.name.to_lowercase(), c.id.clone())))
    } else {
        None
    };
    Ok(Json(Page {
        items: views(&state, found).await?,
        next_cursor,
    }))
}

async fn create(
    State(state): State<ContactsState>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let draft = input.validate(&state.default_country).map_err(invalid)?;
    let now = state.clock.now();
    let contact = Contact::new(CallId::new_at(now).to_string(), draft, now);
    if let Err(e) = state.contacts.create_contact(&contact).await {
        return Err(write_error(&state, e).await);
    }
    Ok((StatusCode::CREATED, Json(view(&state, contact).await?)))
}

async fn read(
    State(state): State<ContactsState>,
    IdPath(id): IdPath,
) -> Result<Json<ContactView>, ApiError> {
    let c = load(&state, &id).await?;
    Ok(Json(view(&state, c).await?))
}

async fn replace(
    State(state): State<ContactsState>,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<ContactView>, ApiError> {
    let mut c = load(&state, &id).await?;
    let draft = input.validate(&state.default_country).map_err(invalid)?;
    c.replace_with(draft, state.clock.now());
    save(&state, c).await
}

/// Only the fields present change (e.g. `{"favorite": true}` stars a contact).
async fn patch(
    State(state): State<ContactsState>,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<ContactView>, ApiError> {
    let mut c = load(&state, &id).await?;
    let merged = ContactInput {
        name: input.name.or_else(|| Some(c.name.clone())),
        phone: input.phone.or_else(|| Some(c.phone.to_string())),
        email: input.email.or_else(|| c.email.clone()),
        company: input.company.or_else(|| c.company.clone()),
        notes: input.notes.or_else(|| c.notes.clone()),
        tags: input.tags.or_else(|| Some(c.tags.clone())),
        favorite: input.favorite.or(Some(c.favorite)),
    };
    let draft = merged.validate(&state.default_country).map_err(invalid)?;
    c.replace_with(draft, state.clock.now());
    save(&state, c).await
}

async fn save(state: &ContactsState, c: Contact) -> Result<Json<ContactView>, ApiError> {
    let found = match state.contacts.replace_contact(&c).await {
        Ok(found) => found,
        Err(e) => return Err(write_error(state, e).await),
    };
    if !found {
        return Err(not_found(&c.id));
    }
    Ok(Json(view(state, c).await?))
}

async fn remove(
    State(state): State<ContactsState>,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    if state.contacts.delete_contact(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

#[derive(Debug, Deserialize)]
pub struct CallsQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
}

async fn calls(
    State(state): State<ContactsState>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<CallsQuery>,
) -> Result<Json<Page<CallView>>, ApiError> {
    let c = load(&state, &id).await?;
    let limit = page_size(q.limit)?;
    let before = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(cursor::decode::<(i64, CallId)>)
        .transpose()?
        .map(|(us, id)| {
            DateTime::from_timestamp_micros(us)
                .map(|t| (t, id))
                .ok_or_else(|| cursor::decode::<()>("").unwrap_err())
        })
        .transpose()?;
    let filter = CallFilter {
        contact: Some(link(&c)),
        ..CallFilter::default()
    };
    let mut found = state
        .history
        .search_calls(&filter, limit + 1, before)
        .await?;
    let next_cursor = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|call| cursor::encode(&(call.started_at.timestamp_micros(), call.id)))
    } else {
        None
    };
    let now = state.clock.now();
    let who = ContactRef {
        id: c.id.clone(),
        name: c.name.clone(),
    };
    Ok(Json(Page {
        items: found
            .iter()
            .map(|call| CallView::new(call, Some(who.clone()), now))
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// Write nothing unless every row is valid.
    #[serde(default)]
    all_or_nothing: bool,
}

#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Data rows read (blank lines are not rows).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows not written: invalid ones, plus rows identical to a contact already stored.
    pub skipped: usize,
    /// Rows folded into an earlier row of the file with the same number.
    pub merged: usize,
    /// Whether anything was written (false when `all_or_nothing` refused the file).
    pub committed: bool,
    pub errors: Vec<RowError>,
}

fn too_large(max: usize) -> ApiError {
    ApiError::problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the file is larger than {} KiB; split it into several imports",
            max / 1024
        ),
    )
}

async fn import_csv(
    State(state): State<ContactsState>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(body, state.import_max_bytes)
        .await
        .map_err(|_| too_large(state.import_max_bytes))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ApiError::invalid_field(
            "invalid_csv",
            "file",
            "is not UTF-8 text (save it as \"CSV UTF-8\")",
        )
    })?;
    let report = state.import_contacts(text, q.all_or_nothing).await?;
    Ok(if report.committed {
        Json(report).into_response()
    } else {
        rejected(report)
    })
}

impl ContactsState {
    /// The import use case: reads a CSV file (already UTF-8 text) into contacts, merged by
    /// number, and writes them, or nothing when `all_or_nothing` and a row is bad. The report
    /// says per row what happened; `committed` is false when nothing was written.
    pub async fn import_contacts(
        &self,
        text: &str,
        all_or_nothing: bool,
    ) -> Result<ImportReport, ApiError> {
        let plan = import::plan(text, &self.default_country, self.import_max_rows).map_err(
            |e| match e {
                ImportError::TooManyRows { .. } => ApiError::problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    e.to_string(),
                ),
                other => ApiError::invalid_field("invalid_csv", "file", other.to_string()),
            },
        )?;
        let mut bad_rows: Vec<usize> = plan.errors.iter().map(|e| e.row).collect();
        bad_rows.dedup();
        let mut report = ImportReport {
            rows: plan.rows,
            created: 0,
            updated: 0,
            skipped: bad_rows.len(),
            merged: plan.merged_rows,
            committed: false,
            errors: plan.errors,
        };
        if all_or_nothing && !report.errors.is_empty() {
            return Ok(report);
        }
        let counts = self
            .contacts
            .import_contacts(&plan.contacts, self.clock.now())
            .await?;
        report.created = counts.created;
        report.updated = counts.updated;
        report.skipped += counts.unchanged;
        report.committed = true;
        tracing::info!(
            created = report.created,
            updated = report.updated,
            skipped = report.skipped,
            "contacts imported"
        );
        Ok(report)
    }
}

/// 422 problem carrying the report, so the UI can list every bad row before the user retries.
fn rejected(report: ImportReport) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "code": "import_rejected",
        "detail": format!(
            "{} row(s) have errors and all_or_nothing is set: nothing was imported",
            report.skipped
        ),
        "report": report,
    });
    let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl ContactsState {
    /// The one composition root of this function: its Lambda `main`, the local stack and the
    /// tests all build it here.
    pub async fn build(wiring: &wiring::Wiring) -> Result<Self, wiring::WiringError> {
        let data = wiring.data_store().await?;
        Ok(Self {
            contacts: data.clone(),
            history: data,
            clock: wiring.clock.clone(),
            default_country: wiring.config.default_country.clone(),
            import_max_bytes: Self::IMPORT_MAX_BYTES,
            import_max_rows: Self::IMPORT_MAX_ROWS,
        })
    }
}

/// The function's router, built from the process's wiring.
pub async fn app(wiring: &wiring::Wiring) -> Result<Router, wiring::WiringError> {
    Ok(router(ContactsState::build(wiring).await?))
}
