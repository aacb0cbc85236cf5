//! The processor drives two-leg calls: the agent's answer dials the customer (once, however
//! often the event comes), linked to the agent's leg and bridged on answer; one leg's end hangs
//! up the other. Against a real store and the Telnyx emulator, without HTTP.

use chrono::Utc;
use domain::settings::AgentMode;
use domain::{AgentLeg, Call, CallEvent, CallEventKind, CallId, Leg, PhoneNumber};
use ports::{CallControl, CallStore, DialCommand};
use processor::{IncomingEvent, Processor};
use telnyx::ParsedEvent;
use testkit::{emulator, memory_store};

const AGENT_PHONE: &str = "+13125550108";

struct Fixture {
    processor: Processor,
    store: store_sqlite::SqliteStore,
    emulator: testkit::Emulator,
    call: Call,
}

/// A phone-mode call whose agent leg is placed at the emulator, as the dial leaves it.
async fn fixture(record: bool) -> Fixture {
    let emulator = emulator(Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let store = memory_store();
    let wiring = testkit::wiring(&emulator, &store);
    let processor = Processor::build(&wiring)
        .await
        .expect("the processor builds");
    let number = |n| PhoneNumber::parse(n, "US").unwrap();
    let now = Utc::now();
    let mut call = Call::new(
        CallId::new_at(now),
        number("+13125550201"),
        number("+12125550108"),
        None,
        now,
    );
    call.recording_requested = record;
    let leg = testkit::telnyx_client(&emulator)
        .dial(&DialCommand {
            to: AGENT_PHONE.into(),
            from: call.from.clone(),
            call_id: call.id,
            command_id: format!("{}:agent", call.id),
            timeout_secs: 30,
            time_limit_secs: 600,
            record: false,
            record_format: Default::default(),
            record_channels: Default::default(),
            leg: Leg::Agent,
            link_to: None,
            bridge_on_answer: false,
            detect_machine: false,
        })
        .await
        .expect("the emulator dials the agent");
    let mut agent = AgentLeg::new(AgentMode::Phone, AGENT_PHONE);
    agent.telnyx = Some(leg);
    call.agent = Some(agent);
    store.insert(&call).await.unwrap();
    Fixture {
        processor,
        store,
        emulator,
        call,
    }
}

impl Fixture {
    fn agent_ccid(&self) -> String {
        self.call
            .agent
            .as_ref()
            .unwrap()
            .telnyx
            .as_ref()
            .unwrap()
            .call_control_id
            .clone()
    }

    fn event(&self, id: &str, leg: Leg, kind: CallEventKind) -> IncomingEvent {
        let now = Utc::now();
        IncomingEvent {
            parsed: ParsedEvent {
                event_id: id.into(),
                event_type: format!("{kind:?}"),
                occurred_at: now,
                attempt: 1,
                call_control_id: None,
                call_id: Some(self.call.id),
                leg,
                event: Some(CallEvent {
                    event_id: id.into(),
                    occurred_at: now,
                    kind,
                }),
            },
            received_at: now,
            raw: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    fn customer_dials(&self) -> Vec<serde_json::Value> {
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/v2/calls" && r.body["to"] != AGENT_PHONE)
            .map(|r| r.body)
            .collect()
    }

    fn hangups_of(&self, ccid: &str) -> usize {
        let path = format!("/v2/calls/{ccid}/actions/hangup");
        self.emulator
            .requests()
            .iter()
            .filter(|r| r.path == path && r.status == 200)
            .count()
    }

    /// The agent's phone answers and Telnyx's machine detection ends with `result`.
    async fn answered_by(&self, result: &str) {
        self.processor
            .apply_event(self.event("a-answered", Leg::Agent, CallEventKind::Answered))
            .await
            .unwrap();
        let detection = CallEventKind::MachineDetectionEnded {
            result: result.into(),
        };
        self.processor
            .apply_event(self.event("a-amd", Leg::Agent, detection))
            .await
            .unwrap();
    }

    async fn stored(&self) -> Call {
        self.store.get(self.call.id).await.unwrap().unwrap()
    }
}

fn hangup() -> CallEventKind {
    CallEventKind::Hangup {
        cause: "normal_clearing".into(),
        source: Some("callee".into()),
        sip_code: Some("200".into()),
        start_time: None,
        end_time: None,
    }
}

#[tokio::test]
async fn the_agents_answer_dials_the_customer_once_linked_bridged_and_recorded_dual() {
    let f = fixture(true).await;
    for _ in 0..3 {
        f.answered_by("human").await;
    }
    let dials = f.customer_dials();
    assert_eq!(
        dials.len(),
        1,
        "one customer dial however often the answer comes: {dials:?}"
    );
    let sent = &dials[0];
    assert_eq!(sent["to"], "+12125550108");
    assert_eq!(sent["link_to"], f.agent_ccid().as_str());
    assert_eq!(sent["bridge_on_answer"], true);
    assert_eq!(sent["record"], "record-from-answer");
    assert_eq!(sent["record_channels"], "dual");
    assert_eq!(sent["command_id"], f.call.id.to_string());
    let state = telnyx::client_state::decode_leg(sent["client_state"].as_str().unwrap());
    assert_eq!(state, Some((f.call.id, Leg::Customer)));
    let stored = f.stored().await;
    assert!(stored.telnyx.is_some(), "the customer's leg is stored");
    assert_eq!(stored.phase(), domain::Phase::DialingCustomer);
}

#[tokio::test]
async fn an_answer_alone_waits_for_detection_and_a_voicemail_is_hung_up_undialled() {
    let f = fixture(false).await;
    f.processor
        .apply_event(f.event("a-answered", Leg::Agent, CallEventKind::Answered))
        .await
        .unwrap();
    assert!(f.customer_dials().is_empty(), "no dial before detection");
    for _ in 0..2 {
        f.answered_by("machine").await;
    }
    assert!(
        f.customer_dials().is_empty(),
        "a voicemail is never bridged"
    );
    assert_eq!(
        f.hangups_of(&f.agent_ccid()),
        1,
        "the agent's leg is hung up once"
    );
    let stored = f.stored().await;
    assert!(!stored.customer_dialled());
}

#[tokio::test]
async fn one_legs_end_hangs_up_the_other_once() {
    let f = fixture(false).await;
    f.answered_by("human").await;
    let customer = f.stored().await.telnyx.unwrap().call_control_id;
    for _ in 0..2 {
        f.processor
            .apply_event(f.event("a-hangup", Leg::Agent, hangup()))
            .await
            .unwrap();
    }
    assert_eq!(
        f.hangups_of(&customer),
        1,
        "the customer's leg is hung up once"
    );
    assert_eq!(f.hangups_of(&f.agent_ccid()), 0);
}

#[tokio::test]
async fn a_failed_hangup_is_retried_on_redelivery() {
    let f = fixture(false).await;
    f.answered_by("human").await;
    f.emulator
        .set_faults(emulator::FaultPlan::parse("503,next=20").unwrap());
    let failed = f
        .processor
        .apply_event(f.event("b-hangup", Leg::Customer, hangup()))
        .await;
    assert!(
        matches!(failed, Err(processor::ProcessError::Retry(_))),
        "{failed:?}"
    );
    f.emulator.set_faults(None);
    f.processor
        .apply_event(f.event("b-hangup", Leg::Customer, hangup()))
        .await
        .unwrap();
    assert_eq!(
        f.hangups_of(&f.agent_ccid()),
        1,
        "the agent's leg is hung up after all"
    );
}

#[tokio::test]
async fn no_customer_is_dialled_once_a_hangup_was_asked_for() {
    let f = fixture(false).await;
    let now = Utc::now();
    f.store
        .update(f.call.id, &move |c: &mut Call| {
            c.hangup_requested_at = Some(now)
        })
        .await
        .unwrap();
    f.answered_by("human").await;
    assert!(f.customer_dials().is_empty());
}
