//! REST faults: `X-Emulator-Fault` and `/emulator/faults`.

use std::time::Duration;

use emulator::{FaultKind, FaultOutcome};
use serde_json::{Value, json};

use crate::common::*;

const CS: &str = "eyJjYWxsX2lkIjoibG9zdCJ9";

/// One dial through a client of its own, with a fault header and an optional timeout.
async fn dial_with(
    api: &Api,
    fault: &str,
    timeout: Option<Duration>,
    extra: Value,
) -> Result<Resp, reqwest::Error> {
    let mut http = reqwest::Client::builder();
    if let Some(t) = timeout {
        http = http.timeout(t);
    }
    let r = http
        .build()
        .unwrap()
        .post(format!("{}/calls", api.emu.base_url()))
        .bearer_auth(&api.emu.config().api_key)
        .header("X-Emulator-Fault", fault)
        .json(&api.dial_body("+13125550108", extra))
        .send()
        .await?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let json = r.json().await.unwrap_or(Value::Null);
    Ok(Resp {
        status,
        json,
        headers,
    })
}

/// Waits until the request that got `fault` is over; returns how it ended.
async fn fault_outcome(api: &Api, fault: FaultKind) -> FaultOutcome {
    eventually(&format!("the end of the {fault:?} request"), || {
        api.emu
            .fault_log()
            .into_iter()
            .find(|f| f.fault == fault && f.outcome != FaultOutcome::Holding)
            .map(|f| f.outcome)
    })
    .await
}

#[tokio::test]
async fn server_errors_use_the_error_envelope_and_do_nothing() {
    let api = Api::new().await;
    for status in [500u16, 502, 503] {
        let r = dial_with(&api, &status.to_string(), None, json!({}))
            .await
            .unwrap();
        assert_eq!((r.status, r.code()), (status, "10007"), "{}", r.json);
        assert!(r.json["errors"][0]["title"].is_string());
    }
    assert!(api.emu.calls().is_empty(), "a 5xx dial must create no leg");

    let ccid = api.dial("+13125550108", json!({})).await;
    let r = api
        .http
        .post(format!(
            "{}/calls/{ccid}/actions/hangup",
            api.emu.base_url()
        ))
        .bearer_auth(&api.emu.config().api_key)
        .header("X-Emulator-Fault", "5xx")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(api.emu.call(&ccid).unwrap().state != emulator::CallState::Ended);
    assert_eq!(api.action(&ccid, "hangup", json!({})).await.status, 200);
}

#[tokio::test]
async fn rate_limited_answers_429_10011_with_retry_after() {
    let api = Api::new().await;
    let r = dial_with(&api, "429,retry_after=7", None, json!({}))
        .await
        .unwrap();
    assert_eq!((r.status, r.code()), (429, "10011"), "{}", r.json);
    assert_eq!(r.headers["retry-after"], "7");
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    assert_eq!(r.headers["x-ratelimit-reset"], "7");
    assert!(api.emu.calls().is_empty());
}

/// Dials with `fault` through a client that gives up after `timeout_ms`, which it must.
async fn dial_times_out(api: &Api, fault: &str, timeout_ms: u64) {
    let timeout = Some(Duration::from_millis(timeout_ms));
    let err = dial_with(api, fault, timeout, json!({"client_state": CS}))
        .await
        .expect_err("the client must time out");
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn a_stall_outlasts_the_client_and_creates_nothing() {
    let api = Api::new().await;
    dial_times_out(&api, "stall,hold_ms=600", 200).await;
    // The emulator saw the client leave while it held the request; nothing was dialled.
    assert_eq!(
        fault_outcome(&api, FaultKind::Stall).await,
        FaultOutcome::ClientGone
    );
    assert!(api.emu.calls().is_empty());
    assert!(api.rx.hooks().is_empty());
}

#[tokio::test]
async fn a_lost_answer_creates_the_leg_whose_webhooks_carry_client_state() {
    let api = Api::new().await;
    dial_times_out(&api, "lost_answer,hold_ms=1500", 300).await;
    let initiated = eventually("call.initiated of the lost dial", || {
        api.rx
            .hooks()
            .into_iter()
            .find(|h| h.event_type() == "call.initiated")
    })
    .await;
    assert_eq!(initiated.payload()["client_state"], CS);
    let ccid = initiated.ccid().to_string();
    let answered = api.rx.wait_event(&ccid, "call.answered").await;
    assert_eq!(answered.payload()["client_state"], CS);
    assert_eq!(
        fault_outcome(&api, FaultKind::LostAnswer).await,
        FaultOutcome::ClientGone
    );
}

#[tokio::test]
async fn a_lost_answer_drops_the_connection_instead_of_answering() {
    let api = Api::new().await;
    let err = dial_with(&api, "lost_answer,hold_ms=50", None, json!({}))
        .await
        .expect_err("no answer may arrive");
    assert!(!err.is_timeout(), "no client timeout was set: {err}");
    assert!(
        err.status().is_none(),
        "no HTTP status reached the client: {err}"
    );
    assert_eq!(api.emu.calls().len(), 1, "the leg exists all the same");
    let logged = api.emu.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].status, logged[0].answer_dropped), (200, true));
    assert_eq!(logged[0].fault, Some(FaultKind::LostAnswer));
    assert_eq!(
        fault_outcome(&api, FaultKind::LostAnswer).await,
        FaultOutcome::AnswerDropped
    );
}

#[tokio::test]
async fn a_plan_set_through_the_control_plane_hits_the_next_n_requests() {
    let api = Api::new().await;
    let (status, _) = api
        .control("PUT", "faults", Some(json!("503,next=2")))
        .await;
    assert_eq!(status, 200);
    let first = api
        .post("/calls", api.dial_body("+13125550108", json!({})))
        .await;
    let second = api
        .post("/calls", api.dial_body("+13125550108", json!({})))
        .await;
    let third = api
        .post("/calls", api.dial_body("+13125550108", json!({})))
        .await;
    assert_eq!((first.status, second.status, third.status), (503, 503, 200));
    let (_, now) = api.control("GET", "faults", None).await;
    assert_eq!(now["left"], 0);
    assert_eq!(now["plan"]["fault"], "server_error");
    assert_eq!(now["applied"].as_array().unwrap().len(), 2);
    assert_eq!(now["applied"][0]["outcome"], "answered");
    // A request can opt out of the plan, and `null` turns the plan off.
    api.emu
        .set_faults(emulator::FaultPlan::parse("500").unwrap());
    let exempt = dial_with(&api, "off", None, json!({})).await.unwrap();
    assert_eq!(exempt.status, 200);
    api.control("PUT", "faults", Some(Value::Null)).await;
    assert!(api.emu.faults().is_none());
    let bad = dial_with(&api, "504", None, json!({})).await.unwrap();
    assert_eq!((bad.status, bad.code()), (400, "10015"));
}
