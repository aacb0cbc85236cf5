//! `POST /v2/calls/{id}/actions/{action}` (§2 of the reference): each action's body as a
//! typed struct, validated into a [`Command`] the switch executes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::body::{
    AudioFormat, Channels, Check, CustomHeaders, Field, Int, Track, Wire, choice, is_dtmf,
    is_http_url, json_object, validate,
};
use super::dial::{Timers, custom_headers};
use super::{S, ok, refused};
use crate::error::{ApiError, ApiResult};
use crate::events::Target;
use crate::state::{Command, Core, NewCall};

const ACTIONS: &[&str] = &[
    "hangup",
    "send_dtmf",
    "record_start",
    "record_stop",
    "record_pause",
    "record_resume",
    "playback_start",
    "playback_stop",
    "speak",
    "bridge",
    "transfer",
    "client_state_update",
    "answer",
    "reject",
];

choice!(Stop { Current = "current", All = "all" });
choice!(PayloadType { Text = "text", Ssml = "ssml" });
choice!(ServiceLevel { Basic = "basic", Premium = "premium" });
choice!(TargetLegs { OnSelf = "self", Opposite = "opposite", Both = "both" });

pub async fn action(
    State(core): S,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    match run(&core, &id, &action, &bytes) {
        Ok(()) => ok(),
        Err(e) => e.into_response(),
    }
}

/// What every command carries besides its own arguments.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Common {
    command_id: Field<String>,
    client_state: Field<String>,
}

fn run(core: &Arc<Core>, id: &str, action: &str, bytes: &Bytes) -> ApiResult<()> {
    if !ACTIONS.contains(&action) {
        return Err(ApiError::not_found("action").at("action"));
    }
    let body = json_object(bytes)?;
    let (command_id, client_state) = validate(&body, |b: Common, c| {
        (
            c.opt("command_id", b.command_id),
            c.base64("client_state", b.client_state),
        )
    })?;
    if core.is_repeat(id, command_id.as_deref()).map_err(refused)? {
        // A repeat within the window is acknowledged and ignored.
        return Ok(());
    }
    let cmd = command(action, &body)?;
    core.execute(id, cmd, command_id, client_state)
        .map_err(refused)
}

/// A body type of one action.
trait ActionBody: DeserializeOwned {
    fn check(self, c: &mut Check) -> Command;
}

fn read<B: ActionBody>(body: &Value) -> ApiResult<Command> {
    validate(body, B::check)
}

fn command(action: &str, body: &Value) -> ApiResult<Command> {
    match action {
        "hangup" => Ok(Command::Hangup),
        "send_dtmf" => read::<Dtmf>(body),
        "record_start" => read::<RecordStart>(body),
        "record_stop" => Ok(Command::RecordStop),
        "record_pause" => Ok(Command::RecordPause(true)),
        "record_resume" => Ok(Command::RecordPause(false)),
        "playback_start" => read::<PlaybackStart>(body),
        "playback_stop" => read::<PlaybackStop>(body),
        "speak" => read::<Speak>(body),
        "bridge" => read::<Bridge>(body),
        "transfer" => read::<Transfer>(body),
        "client_state_update" => read::<ClientStateUpdate>(body),
        "answer" => Ok(Command::Answer),
        "reject" => read::<Reject>(body),
        _ => Err(ApiError::not_found("action")),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Dtmf {
    digits: Field<String>,
    duration_millis: Field<Int>,
}

impl ActionBody for Dtmf {
    fn check(self, c: &mut Check) -> Command {
        let digits = c.req("digits", self.digits).unwrap_or_default();
        c.rule("digits", digits.is_empty() || is_dtmf(&digits), || {
            ApiError::invalid_value("digits", "Digits may only contain 0-9, A-D, *, #, w and W.")
        });
        c.int("duration_millis", self.duration_millis, 100, 500);
        Command::Dtmf { digits }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RecordStart {
    format: Field<AudioFormat>,
    channels: Field<Channels>,
    recording_track: Field<Track>,
    max_length: Field<Int>,
    play_beep: Field<bool>,
}

impl ActionBody for RecordStart {
    fn check(self, c: &mut Check) -> Command {
        let format = c.req("format", self.format).unwrap_or(AudioFormat::Mp3);
        let channels = c.req("channels", self.channels).unwrap_or(Channels::Dual);
        c.opt("recording_track", self.recording_track);
        c.int("max_length", self.max_length, 0, 14400);
        c.opt("play_beep", self.play_beep);
        Command::RecordStart {
            format: format.as_str().into(),
            channels: channels.as_str().into(),
        }
    }
}

/// `loop`: a count of at least 1, or `"infinity"`.
#[derive(Debug)]
struct Loops(Option<u64>);

impl<'de> Deserialize<'de> for Loops {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = match Value::deserialize(d)? {
            Value::String(s) if s == "infinity" => return Ok(Loops(None)),
            Value::String(s) => s.parse().ok(),
            v => v.as_u64(),
        };
        match n {
            Some(n) if n >= 1 => Ok(Loops(Some(n))),
            _ => Err(serde::de::Error::custom("not a loop count")),
        }
    }
}

impl Wire for Loops {
    fn wrong_type(field: &str) -> ApiError {
        ApiError::invalid_value(field, "loop must be a positive integer or \"infinity\".")
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PlaybackStart {
    audio_url: Field<String>,
    media_name: Field<String>,
    playback_content: Field<String>,
    audio_type: Field<AudioFormat>,
    #[serde(rename = "loop")]
    loops: Field<Loops>,
}

impl ActionBody for PlaybackStart {
    fn check(self, c: &mut Check) -> Command {
        let url = c.opt("audio_url", self.audio_url);
        let name = c.opt("media_name", self.media_name);
        let content = c.opt("playback_content", self.playback_content);
        let media = match (url, name, content) {
            (Some(u), None, None) => {
                c.rule("audio_url", is_http_url(&u), || {
                    ApiError::invalid_value(
                        "audio_url",
                        "audio_url must be an http(s) URL of a WAV or MP3 file.",
                    )
                });
                json!({"media_url": u, "overlay": false})
            }
            (None, Some(n), None) => json!({"media_name": n, "overlay": false}),
            (None, None, Some(_)) => json!({"media_url": null, "overlay": false}),
            (None, None, None) => {
                c.fail("audio_url", ApiError::missing("audio_url"));
                Value::Null
            }
            _ => {
                c.fail(
                    "audio_url",
                    ApiError::invalid_value(
                        "audio_url",
                        "audio_url, media_name and playback_content are mutually exclusive.",
                    ),
                );
                Value::Null
            }
        };
        c.opt("audio_type", self.audio_type);
        let loops = c.opt("loop", self.loops).map_or(Some(1), |l| l.0);
        Command::PlaybackStart { media, loops }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PlaybackStop {
    stop: Field<Stop>,
}

impl ActionBody for PlaybackStop {
    fn check(self, c: &mut Check) -> Command {
        c.opt("stop", self.stop);
        Command::PlaybackStop
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Speak {
    payload: Field<String>,
    voice: Field<String>,
    payload_type: Field<PayloadType>,
    service_level: Field<ServiceLevel>,
    target_legs: Field<TargetLegs>,
}

impl ActionBody for Speak {
    fn check(self, c: &mut Check) -> Command {
        let chars = c
            .req("payload", self.payload)
            .map_or(0, |p| p.chars().count());
        c.req("voice", self.voice);
        c.rule("payload", chars <= 3000, || {
            ApiError::out_of_range("payload", "payload must be at most 3000 characters.")
        });
        c.opt("payload_type", self.payload_type);
        c.opt("service_level", self.service_level);
        c.opt("target_legs", self.target_legs);
        Command::Speak { chars }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Bridge {
    call_control_id: Field<String>,
}

impl ActionBody for Bridge {
    fn check(self, c: &mut Check) -> Command {
        let other = c.req("call_control_id", self.call_control_id);
        Command::Bridge {
            other: other.unwrap_or_default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Transfer {
    to: Field<String>,
    from: Field<String>,
    from_display_name: Field<String>,
    target_leg_client_state: Field<String>,
    webhook_url: Field<String>,
    #[serde(flatten)]
    timers: Timers,
    custom_headers: Field<CustomHeaders>,
}

impl ActionBody for Transfer {
    fn check(self, c: &mut Check) -> Command {
        let to = c.req("to", self.to);
        let to = c.destination("to", to);
        let from = c.opt("from", self.from);
        let from = c.phone("from", from);
        let webhook_url = c.url("webhook_url", self.webhook_url);
        let from_display_name = c.opt("from_display_name", self.from_display_name);
        let client_state = c.base64("target_leg_client_state", self.target_leg_client_state);
        let (timeout_secs, time_limit_secs, amd) = self.timers.check(c);
        let (custom_headers, _) = custom_headers(c, self.custom_headers);
        Command::Transfer(Box::new(NewCall {
            from: from.unwrap_or_default(),
            to: to.unwrap_or_default(),
            from_display_name,
            client_state,
            timeout_secs,
            retry_on_timeout: true,
            time_limit_secs,
            amd,
            custom_headers,
            target: Target {
                webhook_url,
                ..Target::default()
            },
            bridge_on_answer: true,
            ..NewCall::default()
        }))
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ClientStateUpdate {
    client_state: Field<String>,
}

impl ActionBody for ClientStateUpdate {
    fn check(self, c: &mut Check) -> Command {
        // Its type and Base64 were judged with the fields every command has; here it is
        // only required.
        if !matches!(self.client_state, Field::Given(_)) {
            c.fail("client_state", ApiError::missing("client_state"));
        }
        Command::ClientStateUpdate
    }
}

choice!(RejectCause { CallRejected = "CALL_REJECTED", UserBusy = "USER_BUSY" });

#[derive(Default, Deserialize)]
#[serde(default)]
struct Reject {
    cause: Field<RejectCause>,
}

impl ActionBody for Reject {
    fn check(self, c: &mut Check) -> Command {
        let cause = c.req("cause", self.cause);
        Command::Reject {
            busy: cause == Some(RejectCause::UserBusy),
        }
    }
}
