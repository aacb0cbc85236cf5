//! Recordings (`/v2/recordings`, §6.6 of the reference) and the storage their pre-signed
//! links point at, which behaves like S3: no API key, signature and expiry checked.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::{Value, json};

use super::S;
use super::paging::{page_params, paged};
use crate::audio;
use crate::error::{ApiError, ApiResult};
use crate::handle::Emulator;
use crate::state::{Core, Recording};
use crate::time::rfc3339;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/v2/recordings", get(list_recordings))
        .route(
            "/v2/recordings/{id}",
            get(get_recording).delete(delete_recording),
        )
}

pub fn storage_router() -> Router<Emulator> {
    Router::new()
        .route("/storage/recordings/{file}", get(storage))
        .route("/media/hold-music.wav", get(hold_music))
}

/// A public media file, as a team would host its hold music for Telnyx to fetch: 20 s of tone.
async fn hold_music() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "audio/wav")], audio::wav(20_000, 1))
}

fn recording_json(inner: &Core, r: &Recording) -> Value {
    json!({
        "id": r.id,
        "record_type": "recording",
        "call_control_id": r.call_control_id,
        "call_leg_id": r.call_leg_id,
        "call_session_id": r.call_session_id,
        "conference_id": null,
        "connection_id": r.connection_id,
        "channels": r.channels,
        "duration_millis": r.duration_ms,
        "download_urls": {r.format.clone(): inner.recording_url(&r.id, &r.format)},
        "from": r.from,
        "to": r.to,
        "initiated_by": r.initiated_by,
        "source": "call",
        "status": "completed",
        "recording_started_at": rfc3339(r.started_at),
        "recording_ended_at": rfc3339(r.ended_at),
        "created_at": rfc3339(r.ended_at),
        "updated_at": rfc3339(r.ended_at),
    })
}

async fn list_recordings(
    State(inner): S,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<Value>> {
    let (page, size) = page_params(&q)?;
    let st = inner.lock();
    let mut recs: Vec<&Recording> = st
        .recordings
        .values()
        .filter(|r| {
            [
                ("filter[call_control_id]", &r.call_control_id),
                ("filter[call_leg_id]", &r.call_leg_id),
                ("filter[call_session_id]", &r.call_session_id),
                ("filter[from]", &r.from),
                ("filter[to]", &r.to),
            ]
            .iter()
            .all(|(k, v)| q.get(*k).is_none_or(|f| f == *v))
        })
        .collect();
    recs.sort_by_key(|r| r.ended_at);
    let items = recs
        .into_iter()
        .map(|r| recording_json(&inner, r))
        .collect();
    Ok(axum::Json(paged(items, page, size)))
}

async fn get_recording(State(inner): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let st = inner.lock();
    let r = st
        .recordings
        .get(&id)
        .ok_or_else(|| ApiError::not_found("recording"))?;
    Ok(axum::Json(json!({"data": recording_json(&inner, r)})))
}

async fn delete_recording(State(inner): S, Path(id): Path<String>) -> ApiResult<axum::Json<Value>> {
    let r = inner
        .lock()
        .recordings
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("recording"))?;
    let mut data = recording_json(&inner, &r);
    data["status"] = json!("deleted");
    data["download_urls"] = json!({});
    Ok(axum::Json(json!({ "data": data })))
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Serves a recording like a pre-signed S3 object: no Authorization header allowed, the
/// signature must match and the link must not have expired.
async fn storage(
    State(inner): S,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        );
    }
    let (Some(exp), Some(sig)) = (q.get("X-Emulator-Expires-At"), q.get("X-Amz-Signature")) else {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Query-string authentication requires the Signature and Expires parameters",
        );
    };
    if inner.sign_hex(&format!("{file}|{exp}")) != *sig {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if exp.parse::<i64>().unwrap_or(0) < Utc::now().timestamp_millis() {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let Some((id, ext)) = file.rsplit_once('.') else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let rec = inner.lock().recordings.get(id).cloned();
    let Some(rec) = rec.filter(|r| r.format == ext) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let channels = if rec.channels == "dual" { 2 } else { 1 };
    let (ctype, bytes) = if ext == "wav" {
        ("audio/wav", audio::wav(rec.duration_ms, channels))
    } else {
        ("audio/mpeg", audio::mp3(rec.duration_ms, channels))
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], bytes).into_response()
}
