//! Agent-first dials through the dial router, against a real store and the Telnyx emulator:
//! only the agent's leg is dialled here (the processor dials the customer when it answers), and
//! a dial that cannot reach the agent is refused before anything is sent or stored.

use axum::http::{Method, StatusCode};
use domain::CallId;
use domain::settings::{AgentMode, Settings};
use ports::{CallStore, SettingsStore};
use testkit::{call, emulator, memory_store};

async fn fixture(
    settings: Settings,
) -> (axum::Router, store_sqlite::SqliteStore, testkit::Emulator) {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    store.save_settings(&settings).await.unwrap();
    let wiring = testkit::wiring(&emulator, &store);
    let router = edge::http::finish(dial::app(&wiring).await.expect("dial builds"));
    (router, store, emulator)
}

fn body(extra: serde_json::Value) -> String {
    let mut b = serde_json::json!({ "to_number": "+12125550100", "from_number": "+13125550201" });
    b.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    b.to_string()
}

fn dials(emulator: &testkit::Emulator) -> Vec<serde_json::Value> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/calls")
        .map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn phone_mode_dials_the_agents_phone_first() {
    let settings = Settings {
        agent_mode: AgentMode::Phone,
        agent_phone: Some(domain::PhoneNumber::parse("+13125550108", "US").unwrap()),
        ..Settings::default()
    };
    let (router, store, emulator) = fixture(settings).await;
    let answer = call(
        &router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&body(serde_json::json!({}))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["phase"], "calling_agent");
    assert_eq!(answer.body["agent_mode"], "phone");
    assert_eq!(answer.body["status"], "dialing");
    assert_eq!(answer.body["agent_leg"]["status"], "dialing");
    let agent_ccid = answer.body["agent_leg"]["call_control_id"]
        .as_str()
        .unwrap();

    let sent = dials(&emulator);
    assert_eq!(sent.len(), 1, "only the agent: {sent:?}");
    assert_eq!(sent[0]["to"], "+13125550108");
    assert_eq!(sent[0]["from"], "+13125550201");
    assert_eq!(
        sent[0]["answering_machine_detection"], "detect",
        "a phone can be answered by its voicemail"
    );
    let id: CallId = answer.body["call_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(sent[0]["command_id"], format!("{id}:agent"));
    assert!(
        sent[0].get("record").is_none(),
        "the customer's leg records both sides"
    );
    let state = telnyx::client_state::decode_leg(sent[0]["client_state"].as_str().unwrap());
    assert_eq!(state, Some((id, domain::Leg::Agent)));

    let stored = store.get(id).await.unwrap().unwrap();
    assert!(stored.telnyx.is_none(), "the customer is not dialled yet");
    let agent = stored.agent.expect("the agent leg");
    assert_eq!(agent.telnyx.unwrap().call_control_id, agent_ccid);
}

#[tokio::test]
async fn browser_mode_without_a_registered_softphone_is_refused_and_nothing_is_sent() {
    let settings = Settings {
        agent_mode: AgentMode::Browser,
        ..Settings::default()
    };
    let (router, store, emulator) = fixture(settings).await;
    for extra in [
        serde_json::json!({}),
        serde_json::json!({"agent_ready": false}),
    ] {
        let answer = call(
            &router,
            Method::POST,
            "/api/telnyx/dial",
            Some(&body(extra)),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
        assert_eq!(answer.code(), "agent_not_registered");
    }
    assert!(dials(&emulator).is_empty(), "nothing sent to Telnyx");
    let stored = store
        .list(&ports::CallQuery {
            limit: 10,
            before: None,
        })
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing stored");
}

#[tokio::test]
async fn an_agent_dial_refused_by_telnyx_ends_the_call_as_agent_failed() {
    let settings = Settings {
        agent_mode: AgentMode::Phone,
        agent_phone: Some(domain::PhoneNumber::parse("+13125550108", "US").unwrap()),
        ..Settings::default()
    };
    let (router, store, emulator) = fixture(settings).await;
    emulator.set_faults(emulator::FaultPlan::parse("503,next=9").unwrap());
    let answer = call(
        &router,
        Method::POST,
        "/api/telnyx/dial",
        Some(&body(serde_json::json!({}))),
    )
    .await;
    assert!(
        answer.status.is_server_error() || answer.status == StatusCode::BAD_GATEWAY,
        "{:?}",
        answer.body
    );
    let calls = store
        .list(&ports::CallQuery {
            limit: 10,
            before: None,
        })
        .await
        .unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].outcome(), Some(domain::Outcome::AgentFailed));
    assert!(
        dials(&emulator).iter().all(|d| d["to"] == "+13125550108"),
        "no customer dialled"
    );
}
