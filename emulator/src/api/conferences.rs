//! `/v2/conferences` (Conference Commands): create from an answered leg, list, read, the
//! participants, and the actions `join`, `leave`, `mute`, `unmute`, `hold`, `unhold`, `end`.
//! Bodies are typed and checked in one pass like the call commands'; the switch
//! (`state::conference`) does the rest.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::body::{Check, Field, Int, Wire, choice, json_object, validate};
use super::paging::{page_params, paged};
use super::{S, ok, refused};
use crate::error::{ApiError, ApiResult};
use crate::handle::Emulator;
use crate::state::{ConfRefusal, Core, CreateSpec, Flag, JoinSpec};

choice!(Beep { Always = "always", Never = "never", OnEnter = "on_enter", OnExit = "on_exit" });

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/v2/conferences", post(create).get(list))
        .route("/v2/conferences/{id}", get(one))
        .route("/v2/conferences/{id}/participants", get(participants))
        .route("/v2/conferences/{id}/actions/{action}", post(action))
}

/// `call_control_ids`: a list of strings.
#[derive(Debug, Default)]
struct Ids(Vec<String>);

impl<'de> Deserialize<'de> for Ids {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(d).map(Ids)
    }
}

impl Wire for Ids {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, format!("'{field}' must be a list of strings."))
    }

    fn is_blank(&self) -> bool {
        self.0.is_empty()
    }
}

/// A conference refusal as Telnyx words it.
fn conf_refused(r: ConfRefusal) -> ApiError {
    match r {
        ConfRefusal::UnknownConference => ApiError::not_found("conference"),
        ConfRefusal::Call(r) => refused(r),
        ConfRefusal::Ended => ApiError::invalid_value("id", "The conference has already ended."),
        ConfRefusal::AlreadyIn => {
            ApiError::invalid_value("call_control_id", "The call is already in a conference.")
        }
        ConfRefusal::NotParticipant(c) => ApiError::invalid_value(
            "call_control_ids",
            format!("The call {c} is not a participant of this conference."),
        ),
        ConfRefusal::Full => ApiError::invalid_value(
            "call_control_id",
            "The conference has reached max_participants.",
        ),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Create {
    call_control_id: Field<String>,
    name: Field<String>,
    beep_enabled: Field<Beep>,
    client_state: Field<String>,
    comfort_noise: Field<bool>,
    command_id: Field<String>,
    duration_minutes: Field<Int>,
    hold_audio_url: Field<String>,
    hold_media_name: Field<String>,
    max_participants: Field<Int>,
    start_conference_on_create: Field<bool>,
}

async fn create(State(core): S, bytes: Bytes) -> Response {
    let run = || -> ApiResult<Value> {
        let body = json_object(&bytes)?;
        let (ccid, spec, cs) = validate(&body, |b: Create, c| {
            let ccid = c.req("call_control_id", b.call_control_id);
            let spec = CreateSpec {
                name: c.req("name", b.name).unwrap_or_default(),
                hold_audio_url: c.url("hold_audio_url", b.hold_audio_url),
                max_participants: c
                    .int("max_participants", b.max_participants, 2, 800)
                    .map(|n| n as u64),
                first: JoinSpec::default(),
            };
            c.opt("beep_enabled", b.beep_enabled);
            c.opt("comfort_noise", b.comfort_noise);
            c.opt("command_id", b.command_id);
            c.int("duration_minutes", b.duration_minutes, 1, 240);
            c.opt("hold_media_name", b.hold_media_name);
            c.opt("start_conference_on_create", b.start_conference_on_create);
            (ccid, spec, c.base64("client_state", b.client_state))
        })?;
        let ccid = ccid.unwrap_or_default();
        core.create_conference(&ccid, spec, cs)
            .map_err(conf_refused)
    };
    match run() {
        Ok(v) => Json(json!({"data": v})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn list(State(core): S, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let st = core.lock();
    let mut confs: Vec<_> = st.conferences.values().collect();
    confs.sort_by_key(|c| c.created_at);
    let status = q.get("filter[status]");
    let items = confs
        .into_iter()
        .filter(|c| q.get("filter[name]").is_none_or(|n| *n == c.name))
        .map(|c| c.json(&core.config.connection_id))
        .filter(|v| status.is_none_or(|s| v["status"] == s.as_str()))
        .collect();
    Ok(Json(paged(items, page, size)))
}

async fn one(State(core): S, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let st = core.lock();
    let conf = st
        .conferences
        .get(&id)
        .ok_or_else(|| ApiError::not_found("conference"))?;
    Ok(Json(json!({"data": conf.json(&core.config.connection_id)})))
}

/// The participants in the conference now (Telnyx lists no one once they have left).
async fn participants(
    State(core): S,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let (page, size) = page_params(&q)?;
    let st = core.lock();
    let conf = st
        .conferences
        .get(&id)
        .ok_or_else(|| ApiError::not_found("conference"))?;
    let muted = q.get("filter[muted]").map(|m| m == "true");
    let on_hold = q.get("filter[on_hold]").map(|h| h == "true");
    let items = conf
        .active()
        .filter(|p| muted.is_none_or(|m| p.muted == m))
        .filter(|p| on_hold.is_none_or(|h| p.on_hold == h))
        .map(|p| conf.participant_json(p))
        .collect();
    Ok(Json(paged(items, page, size)))
}

async fn action(
    State(core): S,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    match run(&core, &id, &action, &bytes) {
        Ok(()) => ok(),
        Err(e) => e.into_response(),
    }
}

fn run(core: &Arc<Core>, id: &str, action: &str, bytes: &Bytes) -> ApiResult<()> {
    let known = ["join", "leave", "mute", "unmute", "hold", "unhold", "end"];
    if !known.contains(&action) {
        return Err(ApiError::not_found("action").at("action"));
    }
    let body = json_object(bytes)?;
    let r = match action {
        "join" => {
            let (ccid, spec, cs) = validate(&body, check_join)?;
            core.join_conference(id, &ccid, spec, cs)
        }
        "leave" => {
            let ccid = validate(&body, |b: Leave, c| {
                c.req("call_control_id", b.call_control_id)
            })?;
            core.leave_conference(id, &ccid.unwrap_or_default())
        }
        "end" => core.end_conference(id),
        _ => {
            let (ids, flag) = validate(&body, |b: Participants, c| check_flags(action, b, c))?;
            core.set_participants(id, &ids, flag)
        }
    };
    r.map_err(conf_refused)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Join {
    call_control_id: Field<String>,
    client_state: Field<String>,
    command_id: Field<String>,
    mute: Field<bool>,
    hold: Field<bool>,
    hold_audio_url: Field<String>,
    hold_media_name: Field<String>,
    end_conference_on_exit: Field<bool>,
    soft_end_conference_on_exit: Field<bool>,
    start_conference_on_enter: Field<bool>,
    beep_enabled: Field<Beep>,
    supervisor_role: Field<String>,
}

fn check_join(b: Join, c: &mut Check) -> (String, JoinSpec, Option<String>) {
    let ccid = c
        .req("call_control_id", b.call_control_id)
        .unwrap_or_default();
    let spec = JoinSpec {
        muted: c.opt("mute", b.mute).unwrap_or(false),
        hold: c.opt("hold", b.hold).unwrap_or(false),
        hold_audio_url: c.url("hold_audio_url", b.hold_audio_url),
        end_conference_on_exit: c.opt("end_conference_on_exit", b.end_conference_on_exit)
            == Some(true),
        soft_end_conference_on_exit: c
            .opt("soft_end_conference_on_exit", b.soft_end_conference_on_exit)
            == Some(true),
    };
    c.opt("command_id", b.command_id);
    c.opt("hold_media_name", b.hold_media_name);
    c.opt("start_conference_on_enter", b.start_conference_on_enter);
    c.opt("beep_enabled", b.beep_enabled);
    c.opt("supervisor_role", b.supervisor_role);
    (ccid, spec, c.base64("client_state", b.client_state))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Leave {
    call_control_id: Field<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Participants {
    call_control_ids: Field<Ids>,
    audio_url: Field<String>,
    media_name: Field<String>,
}

/// `mute`/`unmute` take an optional list (none = everyone); `hold`/`unhold` require one.
fn check_flags(action: &str, b: Participants, c: &mut Check) -> (Vec<String>, Flag) {
    let ids = if action == "hold" || action == "unhold" {
        c.req("call_control_ids", b.call_control_ids)
    } else {
        c.opt("call_control_ids", b.call_control_ids)
    };
    let audio = c.url("audio_url", b.audio_url);
    c.opt("media_name", b.media_name);
    let flag = match action {
        "mute" => Flag::Mute(true),
        "unmute" => Flag::Mute(false),
        "hold" => Flag::Hold(true, audio),
        _ => Flag::Hold(false, None),
    };
    (ids.map(|i| i.0).unwrap_or_default(), flag)
}
