//! Account limits: the dial is answered 200, then the leg fails with SIP 403 and Telnyx's
//! reason (D-code where Telnyx has one).

use emulator::AccountLimits;
use serde_json::{Value, json};

use crate::common::*;

/// Dials `to` and returns the leg's `call.hangup` payload once it failed; the dial itself
/// must have been answered 200.
async fn refused(api: &Api, to: &str) -> Value {
    let ccid = api.dial(to, json!({})).await;
    let hangup = api.wait_hangup(&ccid).await;
    assert_eq!(
        api.rx.types(&ccid),
        ["call.initiated", "call.hangup"],
        "a refused leg never rings through"
    );
    hangup.payload().clone()
}

fn assert_403(p: &Value, reason_has: &str) {
    assert_eq!(p["sip_hangup_cause"], "403", "{p}");
    assert_eq!(p["hangup_cause"], "unspecified", "{p}");
    assert_eq!(p["hangup_source"], "unknown", "{p}");
    let reason = p["sip_hangup_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(reason_has),
        "{reason:?} lacks {reason_has:?}"
    );
}

#[tokio::test]
async fn a_call_over_the_concurrency_limit_fails_with_d1() {
    let api = Api::with(|c| c.limits = AccountLimits::parse("concurrent=2").unwrap()).await;
    let a = api.dial("+13125550108", json!({})).await;
    let b = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&a, "call.answered").await;
    api.rx.wait_event(&b, "call.answered").await;
    let p = refused(&api, "+13125550108").await;
    assert_403(&p, "User channel limit exceeded D1");
    // The refused leg did not take a channel, and a freed channel can be used again.
    api.action(&a, "hangup", json!({})).await;
    api.wait_hangup(&a).await;
    let c = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&c, "call.answered").await;
}

#[tokio::test]
async fn calls_over_the_hourly_cap_fail() {
    let api = Api::with(|c| c.limits = AccountLimits::parse("hourly=2").unwrap()).await;
    for _ in 0..2 {
        let ccid = api.dial("+13125550102", json!({})).await;
        let h = api.wait_hangup(&ccid).await;
        assert_eq!(h.payload()["hangup_cause"], "user_busy", "within the cap");
    }
    assert_403(&refused(&api, "+13125550102").await, "per hour");
}

#[tokio::test]
async fn calls_over_the_daily_cap_fail() {
    let api = Api::with(|c| c.limits = AccountLimits::parse("daily=1").unwrap()).await;
    let ccid = api.dial("+13125550102", json!({})).await;
    api.wait_hangup(&ccid).await;
    assert_403(&refused(&api, "+13125550102").await, "per day");
    // Resetting the emulator forgets what was counted.
    api.emu.reset();
    let ccid = api.dial("+13125550102", json!({})).await;
    let h = api.wait_hangup(&ccid).await;
    assert_eq!(h.payload()["hangup_cause"], "user_busy");
}

#[tokio::test]
async fn a_destination_country_not_whitelisted_fails_with_d13() {
    let api = Api::with(|c| c.limits = AccountLimits::parse("countries=US").unwrap()).await;
    let gb = refused(&api, "+442079460018").await;
    assert_403(&gb, "D13");
    assert!(gb["sip_hangup_reason"].as_str().unwrap().contains("GB"));
    assert_403(&refused(&api, "+14165550100").await, "(CA) D13");
    let us = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&us, "call.answered").await;
}

#[tokio::test]
async fn limits_are_set_through_the_control_plane() {
    let api = Api::new().await;
    let (_, body) = api
        .control("PUT", "limits", Some(json!("new_account")))
        .await;
    assert_eq!(body["max_concurrent"], 2);
    assert_eq!(body["per_hour"], 10);
    assert_eq!(body["per_day"], 100);
    assert_eq!(body["whitelisted_destinations"], json!(["US", "CA"]));
    assert_403(&refused(&api, "+442079460018").await, "D13");
    api.control("PUT", "limits", Some(Value::Null)).await;
    assert!(api.emu.limits().is_off());
    let ccid = api.dial("+442079460018", json!({})).await;
    api.rx.wait_event(&ccid, "call.answered").await;
    let (status, _) = api.control("PUT", "limits", Some(json!("weekly=3"))).await;
    assert_eq!(status, 400);
}
