//! The controls use case without HTTP, built from the same wiring as the Lambda and the local
//! stack, against a real store and the Telnyx emulator.

use chrono::Utc;
use controls::{Control, ControlsState};
use domain::{Call, CallEvent, CallEventKind, CallId};
use edge::ApiError;
use ports::{CallStore, CommandLog};
use std::time::Duration;
use testkit::{Emulator, emulator, eventually, memory_store, telnyx_client};

struct Fixture {
    store: store_sqlite::SqliteStore,
    emulator: Emulator,
    state: ControlsState,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let mut wiring = testkit::wiring(&emulator, &store);
    wiring.config.hold_music_url = "https://example.com/hold.mp3".into();
    let state = ControlsState::build(&wiring).await.expect("controls build");
    Fixture {
        store,
        emulator,
        state,
    }
}

async fn apply(f: &Fixture, call: &Call, kind: CallEventKind) {
    let event = CallEvent {
        event_id: format!("ev-{}", CallId::new_at(Utc::now())),
        occurred_at: Utc::now(),
        kind,
    };
    f.store
        .update(call.id, &move |c: &mut Call| c.apply(&event))
        .await
        .unwrap();
}

/// A call placed through the emulator and answered there, with the answer applied to the store
/// as the processor would.
async fn answered_call(f: &Fixture) -> Call {
    let call =
        testkit::place_call(&f.store, &telnyx_client(&f.emulator), "+12125550100", false).await;
    let ccid = call.telnyx.as_ref().unwrap().call_control_id.clone();
    apply(f, &call, CallEventKind::Initiated).await;
    eventually(Duration::from_secs(5), "callee answers", || {
        let s = f.emulator.call(&ccid);
        async move { s.filter(|s| s.answered_at.is_some()) }
    })
    .await;
    apply(f, &call, CallEventKind::Answered).await;
    call
}

async fn commands(f: &Fixture, call: &Call) -> Vec<String> {
    let log = f.store.commands_for_call(call.id).await.unwrap();
    log.into_iter().map(|c| c.command_id).collect()
}

#[tokio::test]
async fn hold_and_resume_each_send_one_command_per_transition() {
    let f = fixture().await;
    let call = answered_call(&f).await;
    let held = f.state.apply_control(call.id, Control::Hold).await.unwrap();
    assert!(held.call.on_hold);
    // Already on hold: nothing is sent again.
    f.state.apply_control(call.id, Control::Hold).await.unwrap();
    let resumed = f
        .state
        .apply_control(call.id, Control::Resume)
        .await
        .unwrap();
    assert!(!resumed.call.on_hold);
    assert_eq!(
        commands(&f, &call).await,
        [
            format!("{}:hold:1", call.id),
            format!("{}:resume:1", call.id)
        ]
    );
}

#[tokio::test]
async fn controls_on_an_ended_call_are_refused_without_a_command() {
    let f = fixture().await;
    let call = answered_call(&f).await;
    apply(
        &f,
        &call,
        CallEventKind::Hangup {
            cause: "normal_clearing".into(),
            source: None,
            sip_code: None,
            start_time: None,
            end_time: None,
        },
    )
    .await;
    for control in [Control::Mute, Control::Hold, Control::RecordingStart] {
        let err = f
            .state
            .apply_control(call.id, control.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::CallAlreadyEnded),
            "{control:?}: {err:?}"
        );
    }
    assert!(commands(&f, &call).await.is_empty());
}
