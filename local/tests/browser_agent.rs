//! Browser agent mode through the whole local stack: the softphone's token and credential, a
//! Verto test peer standing in for the page (logs in with the token, answers the invite with
//! real media), and the two-leg flow against the emulator. Waits on conditions, never sleeps.

mod common;

use emulator::CallState;
use emulator::dev::test_peer::{PeerState, Verto, answer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

const FROM: &str = "+13125550201";
const DEADLINE: Duration = Duration::from_secs(20);

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn browser_agent(url: &str) -> reqwest::Client {
    let agent = common::agent(url).await;
    let (status, me) = json_of(
        agent
            .patch(format!("{url}/api/auth/me"))
            .json(&json!({"agent_mode": "browser"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["agent"]["mode"], "browser");
    assert_eq!(me["agent"]["effective_mode"], "browser");
    agent
}

fn credentials(stack: &local::Stack) -> Vec<Value> {
    stack
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/telephony_credentials")
        .map(|r| r.body)
        .collect()
}

fn dials(stack: &local::Stack) -> Vec<Value> {
    stack
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/calls")
        .map(|r| r.body)
        .collect()
}

async fn wait_view(
    agent: &reqwest::Client,
    url: &str,
    id: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let (_, view) = json_of(
            agent
                .get(format!("{url}/api/call-status/status/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if check(&view) {
            return view;
        }
        assert!(start.elapsed() < DEADLINE, "timed out; last view {view}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn no_leg_left_up(stack: &local::Stack) {
    let start = Instant::now();
    while stack
        .emulator
        .calls()
        .iter()
        .any(|c| c.state != CallState::Ended)
    {
        assert!(
            start.elapsed() < DEADLINE,
            "legs still up: {:?}",
            stack.emulator.calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_token_mints_one_credential_and_reuses_it() {
    let (stack, _dir) = common::stack().await;
    let agent = browser_agent(&stack.url).await;
    let mut usernames = Vec::new();
    for _ in 0..2 {
        let (status, token) = json_of(
            agent
                .post(format!("{}/api/webrtc/token", stack.url))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(token.as_object().unwrap().len(), 5, "{token}");
        assert_eq!(
            token["token"].as_str().unwrap().split('.').count(),
            3,
            "a JWT"
        );
        assert!(token["expires_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(token["host"], stack.emulator.verto_url());
        assert_eq!(token["ice_servers"], json!([]));
        usernames.push(token["sip_username"].as_str().unwrap().to_string());
    }
    assert_eq!(usernames[0], usernames[1], "the same credential");
    assert_eq!(credentials(&stack).len(), 1, "created once");
    let tokens = stack
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(tokens, 2, "a fresh token each time");
}

#[tokio::test]
async fn a_telnyx_credential_failure_is_a_problem_and_leaves_nothing_half_made() {
    // The credential connection the stack points at is unknown to Telnyx: the credential is
    // refused (422 10015 on /connection_id).
    let config = wiring::Config {
        telnyx_credential_connection_id: Some("no-such-connection".into()),
        ..wiring::Config::default()
    };
    let (stack, _dir) = common::stack_with(config).await;
    let agent = browser_agent(&stack.url).await;
    let (status, problem) = json_of(
        agent
            .post(format!("{}/api/webrtc/token", stack.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(problem["code"], "telnyx_rejected");
    assert!(problem["title"].is_string() && problem["status"] == 502);
    // Nothing kept: the user has no credential, no token was asked for, and a browser dial is
    // still refused as not registered.
    use ports::auth::UserStore;
    let user = stack
        .store
        .user_by_email(local::DemoAccounts::AGENT_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert!(user.webrtc.is_none());
    assert!(
        stack
            .emulator
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/token"))
    );
    let (status, problem) = json_of(
        agent
            .post(format!("{}/api/telnyx/dial", stack.url))
            .json(
                &json!({"to_number": "+1 212 555 0108", "from_number": FROM, "agent_ready": true}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "agent_not_registered");
    assert!(dials(&stack).is_empty(), "nothing dialled");
}

#[tokio::test]
async fn browser_mode_not_registered_is_refused_before_anything_is_sent() {
    let (stack, _dir) = common::stack().await;
    let agent = browser_agent(&stack.url).await;
    for body in [
        json!({"to_number": "+1 212 555 0108", "from_number": FROM}),
        json!({"to_number": "+1 212 555 0108", "from_number": FROM, "agent_ready": false}),
    ] {
        let (status, problem) = json_of(
            agent
                .post(format!("{}/api/telnyx/dial", stack.url))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 409, "{problem}");
        assert_eq!(problem["code"], "agent_not_registered");
    }
    assert!(dials(&stack).is_empty(), "nothing sent to Telnyx");
    let (_, history) = json_of(
        agent
            .get(format!("{}/api/calls", stack.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        history["items"].as_array().map_or(0, Vec::len),
        0,
        "nothing stored: {history}"
    );
}

#[tokio::test]
async fn browser_mode_rings_the_page_then_the_customer_and_either_hangup_ends_both() {
    let (stack, _dir) = common::stack().await;
    let agent = browser_agent(&stack.url).await;
    let (_, token) = json_of(
        agent
            .post(format!("{}/api/webrtc/token", stack.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let page = Verto::connect(token["host"].as_str().unwrap()).await;
    let sessid = page.register(token["token"].as_str().unwrap()).await;

    for page_hangs_up in [false, true] {
        let before = dials(&stack).len();
        let (status, view) = json_of(
            agent
                .post(format!("{}/api/telnyx/dial", stack.url))
                .json(&json!({"to_number": "+1 212 555 0108", "from_number": FROM, "agent_ready": true}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201, "{view}");
        assert_eq!(view["agent_mode"], "browser");
        assert_eq!(view["phase"], "calling_agent");
        let id = view["call_id"].as_str().unwrap().to_string();
        let agent_ccid = view["agent_leg"]["call_control_id"]
            .as_str()
            .unwrap()
            .to_string();
        let sent = dials(&stack);
        assert_eq!(sent.len(), before + 1, "only the page so far");
        assert_eq!(
            sent[before]["to"],
            format!(
                "sip:{}@sip.telnyx.com",
                token["sip_username"].as_str().unwrap()
            )
        );

        // The page auto-answers only the leg the dial placed for it.
        let invite = page.wait_request("telnyx_rtc.invite").await;
        let p = &invite["params"];
        assert_eq!(p["telnyx_call_control_id"], agent_ccid.as_str());
        let (sdp, peer) = answer(p["sdp"].as_str().unwrap()).await;
        let state = Arc::new(PeerState::default());
        let stop = Arc::new(AtomicBool::new(false));
        tokio::spawn(peer.run(state.clone(), stop.clone()));
        let r = page
            .call(
                "telnyx_rtc.answer",
                json!({"sessid": sessid, "sdp": sdp, "dialogParams": {"callID": p["callID"]}}),
            )
            .await;
        assert!(r["result"].is_object(), "{r}");

        let view = wait_view(&agent, &stack.url, &id, |v| v["phase"] == "connected").await;
        assert_eq!(view["agent_leg"]["status"], "active");
        let sent = dials(&stack);
        assert_eq!(sent.len(), before + 2);
        assert_eq!(sent[before + 1]["to"], "+12125550108");
        assert_eq!(sent[before + 1]["link_to"], agent_ccid.as_str());
        assert_eq!(sent[before + 1]["bridge_on_answer"], true);

        if page_hangs_up {
            let r = page
                .call(
                    "telnyx_rtc.bye",
                    json!({
                        "sessid": sessid,
                        "cause": "NORMAL_CLEARING",
                        "causeCode": 16,
                        "dialogParams": {"callID": p["callID"]}
                    }),
                )
                .await;
            assert!(r["result"].is_object(), "{r}");
        } else {
            let answer = agent
                .post(format!("{}/api/telnyx/hangup/{id}", stack.url))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
        }
        let view = wait_view(&agent, &stack.url, &id, |v| {
            v["status"] == "ended" && v["agent_leg"]["status"] == "ended"
        })
        .await;
        assert_eq!(view["outcome"], "completed");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        no_leg_left_up(&stack).await;
    }
}
