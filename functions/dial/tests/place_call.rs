//! The dial use case without HTTP: `DialState::place_call` built from the same wiring as the
//! Lambda and the local stack, against a real store and the Telnyx emulator.

use dial::{Caller, DialState, PlaceCall};
use domain::{CallStatus, PhoneNumber};
use edge::ApiError;
use ports::{CallStore, CommandLog, CommandResult, SettingsStore};
use testkit::{emulator, memory_store};

struct Fixture {
    store: store_sqlite::SqliteStore,
    // Kept alive: the state's Telnyx client talks to it.
    _emulator: testkit::Emulator,
    state: DialState,
}

/// `connection_id`: the Telnyx connection the deployment names (the emulator's own by default).
async fn fixture(connection_id: Option<&str>) -> Fixture {
    // Telnyx refuses dials when neither the app nor the dial names a webhook URL; nothing
    // listens here, and these tests only look at what the dial itself does.
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let mut wiring = testkit::wiring(&emulator, &store);
    if let Some(id) = connection_id {
        wiring.config.telnyx_connection_id = id.into();
    }
    let state = DialState::build(&wiring).await.expect("dial builds");
    Fixture {
        store,
        _emulator: emulator,
        state,
    }
}

fn agent(id: &str) -> Caller {
    Caller {
        user: Some(testkit::agent_user(id)),
        address: testkit::AGENT_ADDRESS.into(),
    }
}

fn to(number: &str, from: Option<&str>) -> PlaceCall {
    PlaceCall {
        to_number: Some(number.into()),
        from_number: from.map(str::to_string),
        ..PlaceCall::default()
    }
}

#[tokio::test]
async fn a_placed_call_is_stored_with_its_leg_its_caller_and_the_dial_in_its_timeline() {
    let f = fixture(None).await;
    let placed = f
        .state
        .place_call(&agent("u1"), to("(212) 555-0100", Some("+1 312 555 0201")))
        .await
        .expect("the dial is accepted");
    let stored = f.store.get(placed.call.id).await.unwrap().unwrap();
    assert_eq!(stored.status(), CallStatus::Dialing);
    assert_eq!(stored.to.as_str(), "+12125550100");
    assert_eq!(stored.placed_by.as_deref(), Some("u1"));
    assert!(stored.telnyx.is_some(), "Telnyx's leg is kept");
    let timeline = f.store.commands_for_call(placed.call.id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].command, "dial");
    assert_eq!(timeline[0].command_id, placed.call.id.to_string());
    assert_eq!(timeline[0].result, CommandResult::Ok);
}

#[tokio::test]
async fn without_a_caller_id_the_teams_default_is_used() {
    let f = fixture(None).await;
    let mut settings = f.store.load_settings().await.unwrap();
    settings.default_caller_id = Some(PhoneNumber::parse("+13125550201", "US").unwrap());
    f.store.save_settings(&settings).await.unwrap();
    let placed = f
        .state
        .place_call(&agent("u1"), to("+12125550100", None))
        .await
        .expect("the default caller ID is one of the account's numbers");
    assert_eq!(placed.call.from.as_str(), "+13125550201");
}

#[tokio::test]
async fn both_bad_numbers_are_reported_and_nothing_is_written() {
    let f = fixture(None).await;
    let request = PlaceCall {
        to_number: Some("12".into()),
        from_number: Some("not a number".into()),
        ..PlaceCall::default()
    };
    let err = f.state.place_call(&agent("u1"), request).await.unwrap_err();
    let ApiError::Invalid { code, errors, .. } = err else {
        panic!("expected a validation error, got {err:?}");
    };
    assert_eq!(code, "invalid_phone_number");
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["to_number", "from_number"]);
    assert!(f.store.list(&Default::default()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_telnyx_refusal_is_kept_with_one_code_on_the_call_and_in_its_timeline() {
    // A connection id the account does not have: Telnyx answers 422 / 10015.
    let f = fixture(Some("999")).await;
    let err = f
        .state
        .place_call(&agent("u1"), to("+12125550100", Some("+13125550201")))
        .await
        .unwrap_err();
    let ApiError::DialRejected(refusal, call_id) = err else {
        panic!("expected a refused dial, got {err:?}");
    };
    assert_eq!(refusal.code(), "telnyx_rejected");
    let stored = f
        .store
        .get(call_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status(), CallStatus::Ended);
    assert_eq!(stored.dial_failure.as_ref().unwrap().code, "10015");
    let timeline = f.store.commands_for_call(stored.id).await.unwrap();
    let CommandResult::Failed { code, .. } = &timeline[0].result else {
        panic!("the refused dial is in the timeline: {timeline:?}");
    };
    assert_eq!(
        code, "10015",
        "the timeline and the call read the refusal alike"
    );
}

#[tokio::test]
async fn each_user_has_their_own_dial_rate() {
    let mut f = fixture(None).await;
    f.state.policy.rate_per_minute = 1;
    let request = || to("+12125550100", Some("+13125550201"));
    let (first, second) = (agent("u1"), agent("u2"));
    f.state
        .place_call(&first, request())
        .await
        .expect("the first dial goes through");
    let err = f.state.place_call(&first, request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::TooManyRequests {
                code: "rate_limited",
                ..
            }
        ),
        "{err:?}"
    );
    f.state
        .place_call(&second, request())
        .await
        .expect("another user is not limited by u1's dials");
}
