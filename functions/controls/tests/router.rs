//! In-call controls in-process, against a real store and the Telnyx emulator: for each control
//! the exact request Telnyx received, the state change, the 409s, and repeats.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use domain::{Call, CallEvent, CallEventKind, CallId};
use ports::{CallStore, CommandLog};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use testkit::{call, emulator, eventually, memory_store, telnyx_client};

const HOLD_MUSIC: &str = "https://example.com/hold.mp3";

struct Fixture {
    router: axum::Router,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
    telnyx: Arc<telnyx::TelnyxHttp>,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let telnyx = telnyx_client(&emulator);
    let router = {
        let mut wiring = testkit::wiring(&emulator, &store);
        wiring.config.hold_music_url = HOLD_MUSIC.into();
        edge::http::finish(controls::app(&wiring).await.expect("controls build"))
    };
    // The team records in mono WAV.
    let mut settings = ports::SettingsStore::load_settings(&store).await.unwrap();
    settings.recording.format = domain::settings::RecordingFormat::Wav;
    settings.recording.channels = domain::settings::RecordingChannels::Single;
    ports::SettingsStore::save_settings(&store, &settings)
        .await
        .unwrap();
    Fixture {
        router,
        store,
        emulator,
        telnyx,
    }
}

fn event(kind: CallEventKind) -> CallEvent {
    CallEvent {
        event_id: uuid_like(),
        occurred_at: Utc::now(),
        kind,
    }
}

fn uuid_like() -> String {
    format!("ev-{}", CallId::new_at(Utc::now()))
}

/// A call placed through the emulator; `answered` waits until the emulator's callee picked up
/// and applies the answer to our store, as the processor would.
async fn placed_call(f: &Fixture, answered: bool) -> Call {
    let c = testkit::place_call(&f.store, &f.telnyx, "+12125550100", false).await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    let initiated = event(CallEventKind::Initiated);
    f.store
        .update(c.id, &move |call: &mut Call| call.apply(&initiated))
        .await
        .unwrap();
    if answered {
        eventually(Duration::from_secs(5), "callee answers", || {
            let s = f.emulator.call(&ccid);
            async move { s.filter(|s| s.answered_at.is_some()) }
        })
        .await;
        let answer = event(CallEventKind::Answered);
        f.store
            .update(c.id, &move |call: &mut Call| call.apply(&answer))
            .await
            .unwrap();
    }
    f.store.get(c.id).await.unwrap().unwrap()
}

/// Bodies of the action requests Telnyx received for this leg.
fn actions(f: &Fixture, c: &Call, action: &str) -> Vec<Value> {
    let ccid = &c.telnyx.as_ref().unwrap().call_control_id;
    let path = format!("/v2/calls/{ccid}/actions/{action}");
    f.emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .map(|r| r.body)
        .collect()
}

async fn post(f: &Fixture, c: &Call, control: &str, body: Option<&str>) -> testkit::Answer {
    call(
        &f.router,
        Method::POST,
        &format!("/api/calls/{}/{control}", c.id),
        body,
    )
    .await
}

#[tokio::test]
async fn hold_plays_looping_music_and_resume_stops_it() {
    let f = fixture().await;
    let c = placed_call(&f, true).await;

    let held = post(&f, &c, "hold", None).await;
    assert_eq!(held.status, StatusCode::OK, "{:?}", held.body);
    assert_eq!(held.body["on_hold"], true);
    assert_eq!(held.body["controls"]["resume"], true);
    assert_eq!(held.body["controls"]["hold"], false);
    let starts = actions(&f, &c, "playback_start");
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0]["audio_url"], HOLD_MUSIC);
    assert_eq!(starts[0]["loop"], "infinity");
    assert_eq!(starts[0]["command_id"], format!("{}:hold:1", c.id));

    // pressing hold again changes nothing and sends nothing
    let again = post(&f, &c, "hold", None).await;
    assert_eq!(
        (again.status, again.body["on_hold"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(actions(&f, &c, "playback_start").len(), 1);

    let resumed = post(&f, &c, "resume", None).await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert_eq!(resumed.body["on_hold"], false);
    let stops = actions(&f, &c, "playback_stop");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["command_id"], format!("{}:resume:1", c.id));
    assert_eq!(post(&f, &c, "resume", None).await.status, StatusCode::OK);
    assert_eq!(actions(&f, &c, "playback_stop").len(), 1);

    // a second hold is a new transition with its own command id
    post(&f, &c, "hold", None).await;
    let starts = actions(&f, &c, "playback_start");
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[1]["command_id"], format!("{}:hold:2", c.id));

    let log = f.store.commands_for_call(c.id).await.unwrap();
    let names: Vec<_> = log.iter().map(|r| r.command.as_str()).collect();
    assert_eq!(names, ["playback_start", "playback_stop", "playback_start"]);
}

#[tokio::test]
async fn mute_unmute_and_speaker_are_recorded_without_telnyx_commands() {
    let f = fixture().await;
    let c = placed_call(&f, false).await;
    let before = f.emulator.requests().len();
    let muted = post(&f, &c, "mute", None).await;
    assert_eq!(
        (muted.status, muted.body["muted"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(muted.body["controls"]["unmute"], true);
    assert_eq!(post(&f, &c, "mute", None).await.body["muted"], true);
    assert_eq!(post(&f, &c, "unmute", None).await.body["muted"], false);
    let on = post(&f, &c, "speaker", Some(r#"{"on":true}"#)).await;
    assert_eq!(
        (on.status, on.body["speaker"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        post(&f, &c, "speaker", Some(r#"{"on":false}"#)).await.body["speaker"],
        false
    );
    for bad in [r#"{}"#, r#"{"on":"yes"}"#, "nope"] {
        let answer = post(&f, &c, "speaker", Some(bad)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        f.emulator.requests().len(),
        before,
        "mute and speaker are not Telnyx commands"
    );
    let log = f.store.commands_for_call(c.id).await.unwrap();
    let names: Vec<_> = log.iter().map(|r| r.command.as_str()).collect();
    assert_eq!(
        names,
        ["mute", "unmute"],
        "each change once, repeats not logged"
    );
}

#[tokio::test]
async fn dtmf_is_validated_then_sent_and_logged() {
    let f = fixture().await;
    let c = placed_call(&f, true).await;
    for bad in [
        r#"{"digits":""}"#,
        r#"{"digits":"12x"}"#,
        r#"{"digits":"1 2"}"#,
        r#"{}"#,
        &format!(r#"{{"digits":"{}"}}"#, "1".repeat(33)),
    ] {
        let answer = post(&f, &c, "dtmf", Some(bad)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.code(), "invalid_dtmf");
        assert_eq!(answer.body["errors"][0]["field"], "digits");
    }
    assert!(actions(&f, &c, "send_dtmf").is_empty());
    let ok = post(&f, &c, "dtmf", Some(r#"{"digits":"12#*ab"}"#)).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let sent = actions(&f, &c, "send_dtmf");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["digits"], "12#*AB");
    let log = f.store.commands_for_call(c.id).await.unwrap();
    assert_eq!(log[0].command, "send_dtmf");
    assert_eq!(log[0].detail.as_deref(), Some("12#*AB"));

    // a retried press with the same Idempotency-Key is ignored by Telnyx (same command id)
    for _ in 0..2 {
        let request = axum::http::Request::post(format!("/api/calls/{}/dtmf", c.id))
            .header("content-type", "application/json")
            .header("idempotency-key", "press-7")
            .body(axum::body::Body::from(r#"{"digits":"7"}"#))
            .unwrap();
        assert_eq!(
            testkit::send(&f.router, request).await.status,
            StatusCode::OK
        );
    }
    let sevens: Vec<_> = actions(&f, &c, "send_dtmf")
        .into_iter()
        .filter(|b| b["digits"] == "7")
        .collect();
    assert_eq!(sevens.len(), 2);
    assert_eq!(sevens[0]["command_id"], sevens[1]["command_id"]);
}

#[tokio::test]
async fn recording_start_and_stop_send_the_configured_format() {
    let f = fixture().await;
    let c = placed_call(&f, true).await;
    let started = post(&f, &c, "recording/start", None).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    assert_eq!(started.body["controls"]["record_stop"], true);
    let sent = actions(&f, &c, "record_start");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0]["format"].as_str(), sent[0]["channels"].as_str()),
        (Some("wav"), Some("single"))
    );
    assert_eq!(
        post(&f, &c, "recording/start", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        actions(&f, &c, "record_start").len(),
        1,
        "already recording: nothing sent"
    );
    let stopped = post(&f, &c, "recording/stop", None).await;
    assert_eq!(stopped.body["controls"]["record_start"], true);
    assert_eq!(actions(&f, &c, "record_stop").len(), 1);
    let stored = f.store.get(c.id).await.unwrap().unwrap();
    assert!(stored.recording_requested);
}

#[tokio::test]
async fn controls_refuse_calls_in_the_wrong_state_without_reaching_telnyx() {
    let f = fixture().await;
    let ringing = placed_call(&f, false).await;
    for control in ["hold", "resume", "recording/start", "recording/stop"] {
        let answer = post(&f, &ringing, control, None).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{control}");
        assert_eq!(answer.code(), "call_not_active", "{control}");
    }
    let answer = post(&f, &ringing, "dtmf", Some(r#"{"digits":"1"}"#)).await;
    assert_eq!(answer.code(), "call_not_active");

    let ended = placed_call(&f, true).await;
    let hangup = event(CallEventKind::Hangup {
        cause: "normal_clearing".into(),
        source: Some("callee".into()),
        sip_code: Some("200".into()),
        start_time: None,
        end_time: None,
    });
    f.store
        .update(ended.id, &move |c: &mut Call| c.apply(&hangup))
        .await
        .unwrap();
    for control in [
        "mute",
        "unmute",
        "hold",
        "resume",
        "recording/start",
        "recording/stop",
    ] {
        let answer = post(&f, &ended, control, None).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{control}");
        assert_eq!(answer.code(), "call_already_ended", "{control}");
    }
    assert_eq!(
        post(&f, &ended, "speaker", Some(r#"{"on":true}"#))
            .await
            .code(),
        "call_already_ended"
    );
    assert_eq!(
        post(&f, &ended, "dtmf", Some(r#"{"digits":"1"}"#))
            .await
            .code(),
        "call_already_ended"
    );
    let sent_actions = f
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/actions/"))
        .count();
    assert_eq!(sent_actions, 0);

    let unknown = call(
        &f.router,
        Method::POST,
        &format!("/api/calls/{}/hold", CallId::new_at(Utc::now())),
        None,
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "call_not_found")
    );
}

#[tokio::test]
async fn a_callee_hangup_racing_a_control_is_absorbed() {
    let f = fixture().await;
    let c = placed_call(&f, true).await;
    let ccid = c.telnyx.as_ref().unwrap().call_control_id.clone();
    assert!(f.emulator.hangup_by_callee(&ccid));
    eventually(Duration::from_secs(5), "leg ends at Telnyx", || {
        let s = f.emulator.call(&ccid);
        async move { s.filter(|s| s.hangup_cause.is_some()) }
    })
    .await;
    // our store has not seen the hangup event yet
    let answer = post(&f, &c, "hold", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["on_hold"], false);
    let log = f.store.commands_for_call(c.id).await.unwrap();
    assert!(matches!(&log[0].result, ports::CommandResult::Absorbed { code } if code == "90018"));
}
