//! The hangup use case without HTTP, built from the same wiring as the Lambda and the local
//! stack, against a real store and the Telnyx emulator.

use chrono::Utc;
use domain::{Call, CallId, PhoneNumber};
use edge::ApiError;
use hangup::HangupState;
use ports::{CallStore, CommandLog};
use testkit::{emulator, memory_store, telnyx_client};

#[tokio::test]
async fn a_repeated_hangup_sends_the_same_command_and_keeps_the_first_request_time() {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let state = HangupState::build(&testkit::wiring(&emulator, &store))
        .await
        .expect("hangup builds");
    let live = testkit::place_call(&store, &telnyx_client(&emulator), "+12125550108", false).await;

    let first = state.hang_up(live.id).await.expect("the hangup is sent");
    let requested = first.call.hangup_requested_at.expect("the request is kept");
    let second = state.hang_up(live.id).await.expect("a retry is harmless");
    assert_eq!(second.call.hangup_requested_at, Some(requested));

    let ids: Vec<_> = store
        .commands_for_call(live.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.command_id)
        .collect();
    assert_eq!(
        ids,
        [format!("{}:hangup", live.id), format!("{}:hangup", live.id)]
    );
}

#[tokio::test]
async fn calls_that_are_unknown_or_not_yet_placed_are_refused_without_a_command() {
    let emulator = emulator(None).await;
    let store = memory_store();
    let state = HangupState::build(&testkit::wiring(&emulator, &store))
        .await
        .expect("hangup builds");
    let number = |n| PhoneNumber::parse(n, "US").unwrap();
    let now = Utc::now();
    // Stored, but Telnyx has not answered the dial yet: no leg to hang up.
    let pending = Call::new(
        CallId::new_at(now),
        number("+13125550201"),
        number("+12125550100"),
        None,
        now,
    );
    store.insert(&pending).await.unwrap();

    let err = state.hang_up(pending.id).await.unwrap_err();
    assert!(matches!(err, ApiError::CallNotReady), "{err:?}");
    let err = state.hang_up(CallId::new_at(now)).await.unwrap_err();
    assert!(matches!(err, ApiError::CallNotFound(_)), "{err:?}");
    assert!(
        store
            .commands_for_call(pending.id)
            .await
            .unwrap()
            .is_empty()
    );
}
