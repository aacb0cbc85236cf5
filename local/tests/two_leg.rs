//! Two-leg calls through the whole local stack against the emulator: the agent's leg first,
//! then the customer's linked to it, bridged on answer; either side's hangup ends both; an agent
//! who does not answer means no customer is dialled; no leg is ever left up. Waits on
//! conditions with deadlines, never sleeps.

mod common;

use emulator::CallState;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const AGENT_PHONE: &str = "+13125550108";
const FROM: &str = "+13125550201";
const DEADLINE: Duration = Duration::from_secs(20);

struct TwoLeg {
    stack: local::Stack,
    _dir: tempfile::TempDir,
    agent: reqwest::Client,
}

/// The stack with the team's agent mode set to `phone`, ringing `agent_phone` first.
async fn phone_mode(agent_phone: &str) -> TwoLeg {
    let (stack, dir) = common::stack().await;
    let admin = common::admin(&stack.url).await;
    let answer = admin
        .put(format!("{}/api/settings", stack.url))
        .json(&json!({"agent_mode": "phone", "agent_phone": agent_phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let agent = common::agent(&stack.url).await;
    TwoLeg {
        stack,
        _dir: dir,
        agent,
    }
}

impl TwoLeg {
    async fn dial(&self, to: &str) -> Value {
        let answer = self
            .agent
            .post(format!("{}/api/telnyx/dial", self.stack.url))
            .json(&json!({"to_number": to, "from_number": FROM}))
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let view: Value = answer.json().await.unwrap();
        assert_eq!(status, 201, "{view}");
        view
    }

    async fn view(&self, id: &str) -> Value {
        self.agent
            .get(format!("{}/api/call-status/status/{id}", self.stack.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn wait_view(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let view = self.view(id).await;
            if check(&view) {
                return view;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; last view {view}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Bodies of every dial the emulator received, in order.
    fn dials(&self) -> Vec<Value> {
        self.stack
            .emulator
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/v2/calls")
            .map(|r| r.body)
            .collect()
    }

    /// Waits until the emulator shows every leg ended: nothing is left up.
    async fn no_leg_left_up(&self) {
        let start = Instant::now();
        loop {
            let calls = self.stack.emulator.calls();
            if calls.iter().all(|c| c.state == CallState::Ended) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "legs still up: {:?}",
                calls
                    .iter()
                    .filter(|c| c.state != CallState::Ended)
                    .map(|c| (&c.to, c.state))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn hang_up(&self, id: &str) -> Value {
        let answer = self
            .agent
            .post(format!("{}/api/telnyx/hangup/{id}", self.stack.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answer.json().await.unwrap()
    }

    async fn connected(&self, id: &str) -> Value {
        self.wait_view(id, "connected", |v| v["phase"] == "connected")
            .await
    }
}

fn ccid(leg: &Value) -> String {
    leg["call_control_id"]
        .as_str()
        .expect("a call_control_id")
        .to_string()
}

#[tokio::test]
async fn phone_mode_dials_the_agent_then_the_customer_linked_and_bridged() {
    let t = phone_mode(AGENT_PHONE).await;
    let view = t.dial("+1 212 555 0108").await;
    assert_eq!(view["agent_mode"], "phone");
    assert_eq!(view["phase"], "calling_agent");
    assert_eq!(view["status"], "dialing", "status stays the customer's");
    let id = view["call_id"].as_str().unwrap().to_string();
    let agent_ccid = ccid(&view["agent_leg"]);

    let view = t.connected(&id).await;
    assert_eq!(view["status"], "active");
    assert_eq!(view["agent_leg"]["status"], "active");

    let dials = t.dials();
    assert_eq!(dials.len(), 2, "the agent, then the customer: {dials:?}");
    assert_eq!(dials[0]["to"], AGENT_PHONE);
    assert!(dials[0].get("link_to").is_none());
    assert_eq!(dials[1]["to"], "+12125550108");
    assert_eq!(dials[1]["link_to"], agent_ccid.as_str());
    assert_eq!(dials[1]["bridge_on_answer"], true);
    let customer = t
        .stack
        .emulator
        .calls()
        .into_iter()
        .find(|c| c.to == "+12125550108")
        .expect("the customer's leg");
    assert_eq!(customer.bridged_with.as_deref(), Some(agent_ccid.as_str()));

    // Our hangup ends both legs.
    t.hang_up(&id).await;
    let view = t
        .wait_view(&id, "ended", |v| {
            v["phase"] == "ended" && v["agent_leg"]["status"] == "ended"
        })
        .await;
    assert_eq!(view["outcome"], "completed");
    t.no_leg_left_up().await;

    // The timeline shows both legs' events.
    let detail: Value = t
        .agent
        .get(format!("{}/api/calls/{id}", t.stack.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let legs_answered: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "call.answered")
        .filter_map(|e| e["leg"].as_str())
        .collect();
    assert!(
        legs_answered.contains(&"agent") && legs_answered.contains(&"customer"),
        "{detail}"
    );
}

#[tokio::test]
async fn the_customer_hanging_up_ends_the_agent_leg() {
    let t = phone_mode(AGENT_PHONE).await;
    let view = t.dial("+1 212 555 0108").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    let view = t.connected(&id).await;
    assert!(t.stack.emulator.hangup_by_callee(&ccid_of_customer(&t)));
    let view2 = t
        // Both legs' hangups are webhooks of their own, processed in either order.
        .wait_view(&id, "both legs ended", |v| {
            v["agent_leg"]["status"] == "ended" && v["status"] == "ended"
        })
        .await;
    assert_eq!(view2["outcome"], "completed");
    assert_eq!(view["agent_leg"]["status"], "active");
    t.no_leg_left_up().await;
}

#[tokio::test]
async fn the_agent_hanging_up_ends_the_customer_before_and_after_the_bridge() {
    // After: connected, then the agent's phone hangs up.
    let t = phone_mode(AGENT_PHONE).await;
    let view = t.dial("+1 212 555 0108").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    let agent_ccid = ccid(&view["agent_leg"]);
    t.connected(&id).await;
    assert!(t.stack.emulator.hangup_by_callee(&agent_ccid));
    let view = t.wait_view(&id, "ended", |v| v["status"] == "ended").await;
    assert_eq!(view["outcome"], "completed");
    t.no_leg_left_up().await;

    // Before: the customer is ringing (0103 never answers) when the agent hangs up.
    let view = t.dial("+1 212 555 0103").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    let agent_ccid = ccid(&view["agent_leg"]);
    t.wait_view(&id, "the customer ringing", |v| v["phase"] == "ringing")
        .await;
    assert!(t.stack.emulator.hangup_by_callee(&agent_ccid));
    let view = t.wait_view(&id, "ended", |v| v["status"] == "ended").await;
    assert_eq!(view["outcome"], "canceled", "{view}");
    t.no_leg_left_up().await;
}

#[tokio::test]
async fn hanging_up_while_the_agent_rings_dials_no_customer() {
    // 0103: the agent's phone rings until the timeout.
    let t = phone_mode("+13125550103").await;
    let view = t.dial("+1 212 555 0108").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    t.wait_view(&id, "the agent's phone ringing", |v| {
        v["agent_leg"]["status"] == "ringing"
    })
    .await;
    t.hang_up(&id).await;
    let view = t.wait_view(&id, "ended", |v| v["status"] == "ended").await;
    assert_eq!(view["outcome"], "canceled");
    assert_eq!(t.dials().len(), 1, "no customer dialled");
    t.no_leg_left_up().await;
}

#[tokio::test]
async fn an_agent_who_does_not_answer_means_no_customer_is_dialled() {
    for (agent_phone, outcome, cause) in [
        ("+13125550102", "agent_no_answer", "user_busy"),
        ("+13125550104", "agent_no_answer", "call_rejected"),
        ("+13125550105", "agent_failed", "not_found"),
    ] {
        let t = phone_mode(agent_phone).await;
        let view = t.dial("+1 212 555 0108").await;
        let id = view["call_id"].as_str().unwrap().to_string();
        let view = t.wait_view(&id, "ended", |v| v["status"] == "ended").await;
        assert_eq!(view["outcome"], outcome, "{agent_phone}: {view}");
        assert_eq!(view["hangup_cause"], cause, "the agent leg's cause");
        assert_eq!(view["agent_leg"]["hangup_cause"], cause);
        assert_eq!(view["duration"], 0);
        let dials = t.dials();
        assert_eq!(
            dials.len(),
            1,
            "{agent_phone}: only the agent was dialled: {dials:?}"
        );
        t.no_leg_left_up().await;
        // The history says why.
        let history: Value = t
            .agent
            .get(format!("{}/api/calls/{id}", t.stack.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(history["outcome"], outcome, "{history}");
    }
}

#[tokio::test]
async fn phone_mode_without_an_agent_phone_is_refused_before_anything_is_sent() {
    let (stack, _dir) = common::stack().await;
    // The settings refuse phone mode without a phone; a team can only reach this state through
    // an older settings document, so the store is written directly.
    use ports::SettingsStore;
    let mut settings = stack.store.load_settings().await.unwrap();
    settings.agent_mode = domain::settings::AgentMode::Phone;
    settings.agent_phone = None;
    stack.store.save_settings(&settings).await.unwrap();
    let agent = common::agent(&stack.url).await;
    let answer = agent
        .post(format!("{}/api/telnyx/dial", stack.url))
        .json(&json!({"to_number": "+1 212 555 0108", "from_number": FROM}))
        .send()
        .await
        .unwrap();
    // The project answers every validation failure with 400 (the contract's 422 reads as this).
    assert_eq!(answer.status(), 400);
    let problem: Value = answer.json().await.unwrap();
    assert_eq!(problem["code"], "agent_phone_required");
    assert!(
        stack
            .emulator
            .requests()
            .iter()
            .all(|r| r.path != "/v2/calls"),
        "nothing dialled"
    );
}

fn ccid_of_customer(t: &TwoLeg) -> String {
    t.stack
        .emulator
        .calls()
        .into_iter()
        .find(|c| c.to == "+12125550108")
        .expect("the customer's leg")
        .call_control_id
}

#[tokio::test]
async fn an_agent_phone_answered_by_voicemail_never_dials_the_customer() {
    // 0106: the agent's phone answers, and machine detection says `machine`.
    let t = phone_mode("+13125550106").await;
    let view = t.dial("+1 212 555 0108").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    let dials = t.dials();
    assert_eq!(dials[0]["answering_machine_detection"], "detect");
    let view = t
        .wait_view(&id, "ended at the agent", |v| v["status"] == "ended")
        .await;
    assert_eq!(view["outcome"], "agent_no_answer", "{view}");
    assert_eq!(view["failure"]["code"], "agent_voicemail", "{view}");
    assert_eq!(view["agent_leg"]["status"], "ended");
    assert!(view["agent_leg"]["answered_at"].is_string());
    t.no_leg_left_up().await;
    assert_eq!(t.dials().len(), 1, "only the agent was dialled");
    let calls = t.stack.emulator.calls();
    assert!(
        calls.iter().all(|c| c.to != "+12125550108"),
        "no customer leg: {:?}",
        calls.iter().map(|c| &c.to).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_agent_phone_answered_by_a_person_is_bridged_after_detection() {
    let t = phone_mode(AGENT_PHONE).await;
    let view = t.dial("+1 212 555 0108").await;
    let id = view["call_id"].as_str().unwrap().to_string();
    let view = t.connected(&id).await;
    assert!(view["failure"].is_null());
    let dials = t.dials();
    assert_eq!(dials.len(), 2, "the agent, then the customer: {dials:?}");
    assert_eq!(dials[0]["answering_machine_detection"], "detect");
    assert!(
        dials[1].get("answering_machine_detection").is_none(),
        "the customer's leg is not screened"
    );
    t.hang_up(&id).await;
    t.wait_view(&id, "ended", |v| v["status"] == "ended").await;
    t.no_leg_left_up().await;
}
