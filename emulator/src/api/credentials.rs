//! WebRTC credentials: `/v2/credential_connections`, `/v2/telephony_credentials` and their
//! login tokens. The bodies are read here; the records live in the WebRTC gateway, which
//! checks the tokens at Verto login.

use axum::body::Bytes;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::S;
use super::body::{Check, Field, choice, json_object, validate};
use super::paging::{page_params, paged};
use crate::error::{ApiError, ApiResult};
use crate::handle::Emulator;
use crate::webrtc::creds::{self, NewConnection, NewCredential};

pub fn router() -> Router<Emulator> {
    Router::new()
        .route(
            "/v2/credential_connections",
            post(create_connection).get(list_connections),
        )
        .route("/v2/credential_connections/{id}", get(get_connection))
        .route(
            "/v2/telephony_credentials",
            post(create_credential).get(list_credentials),
        )
        .route(
            "/v2/telephony_credentials/{id}",
            get(get_credential).delete(delete_credential),
        )
        .route("/v2/telephony_credentials/{id}/token", post(token))
}

choice!(
    /// Who may call the connection's SIP URIs.
    UriCalling {
        Disabled = "disabled",
        Unrestricted = "unrestricted",
        Internal = "internal",
    }
);

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectionBody {
    connection_name: Field<String>,
    user_name: Field<String>,
    password: Field<String>,
    sip_uri_calling_preference: Field<UriCalling>,
}

impl ConnectionBody {
    fn check(self, c: &mut Check) -> NewConnection {
        let connection_name = c.req("connection_name", self.connection_name);
        let user_name = c.req("user_name", self.user_name);
        c.req("password", self.password);
        let pref = c.opt(
            "sip_uri_calling_preference",
            self.sip_uri_calling_preference,
        );
        NewConnection {
            connection_name: connection_name.unwrap_or_default(),
            user_name: user_name.unwrap_or_default(),
            sip_uri_calling_preference: pref.unwrap_or(UriCalling::Disabled).as_str().into(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CredentialBody {
    connection_id: Field<String>,
    name: Field<String>,
    tag: Field<String>,
    expires_at: Field<String>,
}

impl CredentialBody {
    fn check(self, c: &mut Check) -> NewCredential {
        let connection_id = c.req("connection_id", self.connection_id);
        let expires_at = c.opt("expires_at", self.expires_at).and_then(|s| {
            let t = DateTime::parse_from_rfc3339(&s).ok();
            c.rule("expires_at", t.is_some(), || {
                ApiError::invalid_value("expires_at", "expires_at must be an ISO 8601 time.")
            });
            t.map(|t| t.with_timezone(&Utc))
        });
        NewCredential {
            connection_id: connection_id.unwrap_or_default(),
            name: c.opt("name", self.name),
            tag: c.opt("tag", self.tag),
            expires_at,
        }
    }
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(json!({ "data": v }))).into_response()
}

async fn create_connection(State(core): S, bytes: Bytes) -> ApiResult<Response> {
    let new = validate(&json_object(&bytes)?, |b: ConnectionBody, c| b.check(c))?;
    let v = core.gateway.creds().create_connection(new)?;
    Ok(created(v))
}

type Q = Query<HashMap<String, String>>;

async fn list_connections(State(core): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let name = q
        .get("filter[connection_name][contains]")
        .map(String::as_str);
    let items = core.gateway.creds().connections(name);
    Ok(Json(paged(items, page, size)))
}

/// `filter[tag]`, `filter[name]`, `filter[sip_username]`, `filter[resource_id]`,
/// `filter[status]`, and Telnyx's paging.
async fn list_credentials(State(core): S, Query(q): Q) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let filters: Vec<(&str, &str)> = ["tag", "name", "sip_username", "resource_id", "status"]
        .into_iter()
        .filter_map(|k| q.get(&format!("filter[{k}]")).map(|v| (k, v.as_str())))
        .collect();
    let items = core.gateway.creds().credentials(&filters);
    Ok(Json(paged(items, page, size)))
}

async fn get_connection(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let v = core.gateway.creds().connection(&id)?;
    Ok(Json(json!({ "data": v })))
}

async fn create_credential(State(core): S, bytes: Bytes) -> ApiResult<Response> {
    let new = validate(&json_object(&bytes)?, |b: CredentialBody, c| b.check(c))?;
    let v = core.gateway.creds().create_credential(new)?;
    Ok(created(v))
}

async fn get_credential(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let v = core.gateway.creds().credential_value(&id)?;
    Ok(Json(json!({ "data": v })))
}

async fn delete_credential(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let v = core.gateway.creds().delete_credential(&id)?;
    Ok(Json(json!({ "data": v })))
}

/// 201 with the bare JWT as `text/plain`, as Telnyx answers (not JSON).
async fn token(State(core): S, Path(id): Path<String>) -> ApiResult<Response> {
    let jwt = {
        let store = core.gateway.creds();
        let c = store.credential(&id)?;
        creds::issue_token(&core.signing_key, c, Utc::now())
    };
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        jwt,
    )
        .into_response())
}
