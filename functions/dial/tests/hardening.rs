//! Issue 17 on the dial use case: the shape of `contact_id`, and the per-user concurrent-call
//! limit under parallel dials. Real store, Telnyx emulator, no HTTP.

use dial::{Caller, DialState, PlaceCall};
use edge::ApiError;
use ports::{CallStore, CommandLog};
use testkit::{emulator, memory_store};

struct Fixture {
    store: store_sqlite::SqliteStore,
    _emulator: testkit::Emulator,
    state: DialState,
}

async fn fixture() -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let wiring = testkit::wiring(&emulator, &store);
    let mut state = DialState::build(&wiring).await.expect("dial builds");
    // These tests dial fast from one agent; the per-minute burst limit is not what they test.
    state.policy.rate_per_minute = 1_000;
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

fn everything() -> ports::CallQuery {
    ports::CallQuery {
        limit: 1_000,
        before: None,
    }
}

fn dial(contact_id: Option<&str>) -> PlaceCall {
    PlaceCall {
        to_number: Some("+12125550100".into()),
        from_number: Some("+13125550201".into()),
        contact_id: contact_id.map(str::to_string),
        ..PlaceCall::default()
    }
}

#[tokio::test]
async fn a_contact_id_of_the_wrong_shape_is_refused_and_nothing_is_sent() {
    let f = fixture().await;
    let long = "a".repeat(65);
    for bad in [
        "../../etc",
        "..",
        "a/b",
        "a\\b",
        "a b",
        "<script>",
        "id?x=1",
        "é",
        "a\u{0}b",
        long.as_str(),
    ] {
        let err = f
            .state
            .place_call(&agent("u1"), dial(Some(bad)))
            .await
            .expect_err(bad);
        let ApiError::Invalid { code, errors, .. } = &err else {
            panic!("{bad:?}: expected a validation error, got {err:?}");
        };
        assert_eq!(*code, "invalid_contact_id", "{bad:?}");
        assert_eq!(errors[0].field, "contact_id");
    }
    let calls = f.store.list(&everything()).await.unwrap();
    assert!(calls.is_empty(), "no call stored: {calls:?}");
    for ok in [
        "0190f7a2-6c1e-7d3a-9b1e-3f2a1c4d5e6f",
        "003xx000004TmiQ",
        "crm_42",
    ] {
        let placed = f
            .state
            .place_call(&agent("u1"), dial(Some(ok)))
            .await
            .unwrap_or_else(|e| panic!("{ok:?}: {e:?}"));
        assert_eq!(placed.call.contact_id.as_deref(), Some(ok));
        // Only the accepted dials reached Telnyx.
        let timeline = f.store.commands_for_call(placed.call.id).await.unwrap();
        assert_eq!(timeline.len(), 1);
    }
    assert_eq!(f.store.list(&everything()).await.unwrap().len(), 3);
}

/// The concurrent-call limit holds under a burst: of N simultaneous dials from one agent,
/// exactly the limit are placed and the rest refused, whatever the interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_dials_place_exactly_the_concurrent_limit() {
    let f = fixture().await;
    let limit =
        domain::policy::DialPolicy::for_countries(Vec::<String>::new()).max_concurrent_calls;
    let n = 12;
    let state = std::sync::Arc::new(f.state.clone());
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { state.place_call(&agent("u1"), dial(None)).await })
        })
        .collect();
    let mut placed = 0;
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => placed += 1,
            Err(e) => refused.push(e),
        }
    }
    assert_eq!(placed, limit, "placed; refused: {refused:?}");
    assert_eq!(refused.len() as u32, n - limit);
    for e in &refused {
        assert!(
            matches!(
                e,
                ApiError::Forbidden {
                    code: "too_many_concurrent_calls",
                    ..
                }
            ),
            "{e:?}"
        );
    }
    let stored = f.store.list(&everything()).await.unwrap();
    assert_eq!(
        stored.len() as u32,
        limit,
        "only the placed calls are stored"
    );
    // Another agent has their own limit.
    f.state
        .place_call(&agent("u2"), dial(None))
        .await
        .expect("another agent still dials");
}
