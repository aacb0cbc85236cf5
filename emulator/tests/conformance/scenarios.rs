//! Each magic number's exact event sequence and hangup fields (README "Scenarios").

use emulator::{Scenario, Step};
use serde_json::{Value, json};

use crate::common::*;

fn hangup_fields(h: &Hook) -> (String, String, String) {
    let p = h.payload();
    (
        p["hangup_cause"].as_str().unwrap_or_default().into(),
        p["hangup_source"].as_str().unwrap_or_default().into(),
        p["sip_hangup_cause"].as_str().unwrap_or_default().into(),
    )
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A scenario that ends by itself: number, dial extras, events, (cause, source, sip).
type Case = (
    &'static str,
    Value,
    Vec<String>,
    (&'static str, &'static str, &'static str),
);

#[tokio::test]
async fn self_ending_scenarios_send_the_documented_sequences() {
    let api = Api::new().await;
    let cases: Vec<Case> = vec![
        (
            "+13125550101",
            json!({}),
            s(&["call.initiated", "call.answered", "call.hangup"]),
            ("normal_clearing", "callee", "200"),
        ),
        (
            "+13125550102",
            json!({}),
            s(&["call.initiated", "call.hangup"]),
            ("user_busy", "callee", "486"),
        ),
        (
            "+13125550103",
            json!({"timeout_secs": 5}),
            s(&["call.initiated", "call.hangup"]),
            ("timeout", "unknown", "487"),
        ),
        (
            "+13125550103",
            json!({"timeout_secs": 5, "retry_on_timeout": false}),
            s(&["call.initiated", "call.hangup"]),
            ("no_answer", "unknown", "487"),
        ),
        (
            "+13125550104",
            json!({}),
            s(&["call.initiated", "call.hangup"]),
            ("call_rejected", "callee", "603"),
        ),
        (
            "+13125550105",
            json!({}),
            s(&["call.initiated", "call.hangup"]),
            ("not_found", "unknown", "404"),
        ),
        (
            "+13125550107",
            json!({}),
            s(&["call.initiated", "call.hangup"]),
            ("unspecified", "unknown", "403"),
        ),
        (
            "+13125550100",
            json!({"time_limit_secs": 30}),
            s(&["call.initiated", "call.answered", "call.hangup"]),
            ("time_limit", "unknown", "200"),
        ),
    ];
    let mut calls = vec![];
    for (to, extra, _, _) in &cases {
        calls.push(api.dial(to, extra.clone()).await);
    }
    for (ccid, (to, _, events, (cause, source, sip))) in calls.iter().zip(&cases) {
        let h = api.wait_hangup(ccid).await;
        assert_eq!(api.rx.types(ccid), *events, "{to}");
        assert_eq!(
            hangup_fields(&h),
            (cause.to_string(), source.to_string(), sip.to_string()),
            "{to}"
        );
    }
}

#[tokio::test]
async fn answered_call_stays_up_until_we_hang_up() {
    let api = Api::new().await;
    for to in ["+13125550100", "+13125550108", "+15005550006"] {
        let ccid = api.dial(to, json!({"client_state": "YQ=="})).await;
        let answered = api.rx.wait_event(&ccid, "call.answered").await;
        // The 0101 callee would have hung up after 5 s (0.1 s here); wait longer than that.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            api.emu.call(&ccid).unwrap().state,
            emulator::CallState::Answered
        );
        let r = api.action(&ccid, "hangup", json!({})).await;
        assert_eq!(r.status, 200);
        let h = api.wait_hangup(&ccid).await;
        assert_eq!(
            api.rx.types(&ccid),
            s(&["call.initiated", "call.answered", "call.hangup"]),
            "{to}"
        );
        assert_eq!(
            hangup_fields(&h),
            ("normal_clearing".into(), "caller".into(), "200".into())
        );
        let init = &api.rx.for_call(&ccid)[0];
        let ip = init.payload();
        assert_eq!(ip["direction"], "outgoing");
        assert_eq!(ip["state"], "bridging");
        for hook in api.rx.for_call(&ccid) {
            let p = hook.payload();
            for k in [
                "call_control_id",
                "call_leg_id",
                "call_session_id",
                "connection_id",
            ] {
                assert!(p[k].is_string(), "{k} in {}", hook.event_type());
            }
            assert_eq!(p["client_state"], "YQ==");
            assert_eq!(p["from"], "+13125550201");
            assert_eq!(p["to"], to);
        }
        let hp = h.payload();
        assert_eq!(
            hp["start_time"], ip["start_time"],
            "hangup start_time = leg start"
        );
        assert_eq!(answered.payload()["start_time"], ip["start_time"]);
        assert!(hp["end_time"].as_str().unwrap() > hp["start_time"].as_str().unwrap());
        assert!(hp["call_quality_stats"]["inbound"]["mos"].is_string());
    }
}

#[tokio::test]
async fn hanging_up_while_ringing_is_originator_cancel() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550103", json!({"timeout_secs": 600})).await;
    api.rx.wait_event(&ccid, "call.initiated").await;
    api.action(&ccid, "hangup", json!({})).await;
    let h = api.wait_hangup(&ccid).await;
    assert_eq!(h.payload()["hangup_cause"], "originator_cancel");
    assert_eq!(h.payload()["hangup_source"], "caller");
    assert!(h.payload()["call_quality_stats"].is_null());
    assert_eq!(api.rx.types(&ccid), s(&["call.initiated", "call.hangup"]));
}

#[tokio::test]
async fn machine_scenario_sends_amd_events_only_when_asked() {
    let api = Api::new().await;
    let with = api
        .dial(
            "+13125550106",
            json!({"answering_machine_detection": "detect_beep"}),
        )
        .await;
    let without = api.dial("+13125550106", json!({})).await;
    let human = api
        .dial(
            "+13125550100",
            json!({"answering_machine_detection": "detect"}),
        )
        .await;
    let premium = api
        .dial(
            "+13125550106",
            json!({"answering_machine_detection": "premium"}),
        )
        .await;
    let m = api
        .rx
        .wait_event(&with, "call.machine.detection.ended")
        .await;
    assert_eq!(m.payload()["result"], "machine");
    let g = api
        .rx
        .wait_event(&with, "call.machine.greeting.ended")
        .await;
    assert_eq!(g.payload()["result"], "beep_detected");
    let h = api
        .rx
        .wait_event(&human, "call.machine.detection.ended")
        .await;
    assert_eq!(h.payload()["result"], "human");
    let p = api
        .rx
        .wait_event(&premium, "call.machine.premium.detection.ended")
        .await;
    assert_eq!(p.payload()["result"], "machine");
    for id in [&with, &without, &human, &premium] {
        api.action(id, "hangup", json!({})).await;
        api.wait_hangup(id).await;
    }
    assert!(
        !api.rx.types(&without).iter().any(|t| t.contains("machine")),
        "{:?}",
        api.rx.types(&without)
    );
    assert_eq!(
        api.rx.types(&with),
        s(&[
            "call.initiated",
            "call.answered",
            "call.machine.detection.ended",
            "call.machine.greeting.ended",
            "call.hangup"
        ])
    );
}

#[tokio::test]
async fn callee_controls_hang_up_and_press_keys() {
    let api = Api::new().await;
    let a = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&a, "call.answered").await;
    assert!(api.emu.press_dtmf(&a, "5*"));
    assert!(api.emu.hangup_by_callee(&a));
    assert!(!api.emu.hangup_by_callee(&a), "second hangup is refused");
    let h = api.wait_hangup(&a).await;
    assert_eq!(h.payload()["hangup_source"], "callee");
    let digits: Vec<Value> = api
        .rx
        .for_call(&a)
        .iter()
        .filter(|h| h.event_type() == "call.dtmf.received")
        .map(|h| h.payload()["digit"].clone())
        .collect();
    assert_eq!(digits, vec![json!("5"), json!("*")]);

    // Same over HTTP.
    let b = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&b, "call.answered").await;
    let root = api.emu.root_url();
    let r = api
        .http
        .post(format!("{root}/emulator/calls/{b}/dtmf"))
        .json(&json!({"digits": "9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = api
        .http
        .post(format!("{root}/emulator/calls/{b}/hangup"))
        .json(&json!({"cause": "normal_clearing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    api.wait_hangup(&b).await;
    assert_eq!(
        api.rx.types(&b),
        s(&[
            "call.initiated",
            "call.answered",
            "call.dtmf.received",
            "call.hangup"
        ])
    );
    let r = api
        .http
        .post(format!("{root}/emulator/calls/{b}/hangup"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn dtmf_scenario_0109_presses_1_hash() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550109", json!({})).await;
    let hooks = eventually("two digits", || {
        let d = api.rx.digits(&ccid);
        (d.len() == 2).then_some(d)
    })
    .await;
    assert_eq!(hooks, vec!["1", "#"]);
    api.action(&ccid, "hangup", json!({})).await;
}

#[tokio::test]
async fn scripted_scenarios_by_library_and_http() {
    let api = Api::new().await;
    api.emu.set_scenario(
        "+442071838750",
        Scenario {
            name: "custom".into(),
            steps: vec![
                Step::Wait { ms: 100 },
                Step::Answer,
                Step::Dtmf { digits: "7".into() },
                Step::Hangup {
                    cause: "normal_clearing".into(),
                    sip: "200".into(),
                    source: "callee".into(),
                },
            ],
        },
    );
    let ccid = api.dial("+442071838750", json!({})).await;
    api.wait_hangup(&ccid).await;
    assert_eq!(
        api.rx.types(&ccid),
        s(&[
            "call.initiated",
            "call.answered",
            "call.dtmf.received",
            "call.hangup"
        ])
    );
    assert_eq!(api.emu.call(&ccid).unwrap().scenario, "custom");

    let r = api
        .http
        .put(format!(
            "{}/emulator/scenarios/+13125550100",
            api.emu.root_url()
        ))
        .json(&json!({"steps": [{"step": "wait", "ms": 50},
                                 {"step": "hangup", "cause": "user_busy", "sip": "486"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ccid = api.dial("+13125550100", json!({})).await;
    let h = api.wait_hangup(&ccid).await;
    assert_eq!(h.payload()["hangup_cause"], "user_busy");
    assert_eq!(h.payload()["hangup_source"], "callee");
}
