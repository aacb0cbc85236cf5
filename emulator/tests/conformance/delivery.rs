//! Envelope, signature, retries, failover.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::json;

use crate::common::*;

pub(crate) fn verify(public_b64: &str, ts: &str, body: &str, sig_b64: &str) -> bool {
    let key: [u8; 32] = STANDARD.decode(public_b64).unwrap().try_into().unwrap();
    let key = VerifyingKey::from_bytes(&key).unwrap();
    let sig: [u8; 64] = STANDARD.decode(sig_b64).unwrap().try_into().unwrap();
    key.verify(
        format!("{ts}|{body}").as_bytes(),
        &Signature::from_bytes(&sig),
    )
    .is_ok()
}

#[tokio::test]
async fn webhooks_are_signed_enveloped_and_verifiable() {
    let seed = [42u8; 32];
    let api = Api::with(|c| c.signing_seed = seed).await;
    let expected_pub = STANDARD.encode(
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes(),
    );
    assert_eq!(api.emu.public_key_base64(), expected_pub);
    let ccid = api.dial("+13125550101", json!({})).await;
    api.wait_hangup(&ccid).await;
    let hooks = api.rx.for_call(&ccid);
    assert_eq!(hooks.len(), 3);
    let now = chrono::Utc::now().timestamp();
    let occurred = regex_like_rfc3339_micros;
    for h in &hooks {
        let ts = h.headers["telnyx-timestamp"].to_str().unwrap();
        let sig = h.headers["telnyx-signature-ed25519"].to_str().unwrap();
        assert!((ts.parse::<i64>().unwrap() - now).abs() < 60);
        assert!(
            verify(&expected_pub, ts, &h.body, sig),
            "signature verifies"
        );
        let mut tampered = h.body.clone();
        tampered.push(' ');
        assert!(
            !verify(&expected_pub, ts, &tampered, sig),
            "tampered body fails"
        );
        assert_eq!(h.headers["user-agent"], "telnyx-webhooks");
        assert!(
            h.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let d = &h.json["data"];
        assert_eq!(d["record_type"], "event");
        uuid::Uuid::parse_str(d["id"].as_str().unwrap()).unwrap();
        assert!(
            occurred(d["occurred_at"].as_str().unwrap()),
            "{}",
            d["occurred_at"]
        );
        assert_eq!(h.json["meta"]["attempt"], 1);
        assert_eq!(h.json["meta"]["delivered_to"], api.rx.url("hook"));
    }
    // The receiver sees a webhook before the emulator has logged the response to it.
    let d = eventually("3 logged deliveries", || {
        let d = api.emu.deliveries();
        (d.len() == 3).then_some(d)
    })
    .await;
    assert!(d.iter().all(|x| x.delivered && x.status == Some(200)));
    // Library signing helper agrees with what was sent.
    let h = &hooks[0];
    let ts: i64 = h.headers["telnyx-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        api.emu.sign(ts, &h.body),
        h.headers["telnyx-signature-ed25519"].to_str().unwrap()
    );
}

/// `2025-09-11T12:33:32.940810Z`: RFC 3339, six fractional digits, `Z`.
fn regex_like_rfc3339_micros(s: &str) -> bool {
    s.len() == 27
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && s[20..26].bytes().all(|b| b.is_ascii_digit())
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

#[tokio::test]
async fn app_url_is_used_when_the_dial_has_none() {
    let rx = Receiver::start().await;
    let url = rx.url("hook");
    let api = Api::with(|c| c.app_webhook_url = Some(url)).await;
    let mut body = api.dial_body("+13125550102", json!({}));
    body.as_object_mut().unwrap().remove("webhook_url");
    let r = api.post("/calls", body).await;
    assert_eq!(r.status, 200);
    let ccid = r.data()["call_control_id"].as_str().unwrap();
    rx.wait_event(ccid, "call.hangup").await;
    assert!(api.rx.for_call(ccid).is_empty());
}

#[tokio::test]
async fn per_event_webhook_urls_override() {
    let api = Api::new().await;
    let other = Receiver::start().await;
    let ccid = api
        .dial(
            "+13125550102",
            json!({"webhook_urls": {"call.hangup": other.url("hook")}}),
        )
        .await;
    other.wait_event(&ccid, "call.hangup").await;
    api.rx.wait_event(&ccid, "call.initiated").await;
    assert_eq!(api.rx.types(&ccid), vec!["call.initiated"]);
}

#[tokio::test]
async fn failed_delivery_is_retried_with_increasing_attempt() {
    let api = Api::new().await;
    api.rx.set_flaky_failures(2);
    let ccid = api
        .dial("+13125550102", json!({"webhook_url": api.rx.url("flaky")}))
        .await;
    let h = api.wait_hangup(&ccid).await;
    let init: Vec<_> = api
        .rx
        .for_call(&ccid)
        .into_iter()
        .filter(|h| h.event_type() == "call.initiated")
        .collect();
    assert_eq!(
        init.iter().map(|h| h.attempt()).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(init.iter().all(|h| h.id() == init[0].id()), "same event id");
    assert_eq!(h.attempt(), 1);
    // Order is kept: the hangup waited for the initiated event's retries.
    assert_eq!(
        api.rx.types(&ccid),
        vec![
            "call.initiated",
            "call.initiated",
            "call.initiated",
            "call.hangup"
        ]
    );
    let d = eventually("4 logged deliveries", || {
        let d = api.emu.deliveries();
        (d.len() == 4).then_some(d)
    })
    .await;
    assert_eq!(
        d.iter().map(|x| x.status).collect::<Vec<_>>(),
        vec![Some(503), Some(503), Some(200), Some(200)]
    );
}

#[tokio::test]
async fn delivery_fails_over_after_two_attempts_and_is_bounded() {
    let failover_rx = Receiver::start().await;
    let failover = failover_rx.url("failover");
    let api = Api::with(|c| {
        c.failover_webhook_url = Some(failover);
        c.webhook_max_attempts = 4;
    })
    .await;
    let ccid = api
        .dial("+13125550102", json!({"webhook_url": api.rx.url("fail")}))
        .await;
    let h = failover_rx.wait_event(&ccid, "call.hangup").await;
    assert_eq!(h.attempt(), 3);
    assert_eq!(h.json["meta"]["delivered_to"], failover_rx.url("failover"));
    let primary: Vec<u64> = api.rx.for_call(&ccid).iter().map(|h| h.attempt()).collect();
    assert!(api.rx.for_call(&ccid).iter().all(|h| h.path() == "/fail"));
    assert_eq!(
        primary,
        vec![1, 2, 1, 2],
        "two attempts per event at the primary"
    );
    let d = eventually("6 logged deliveries", || {
        let d = api.emu.deliveries();
        (d.len() == 6).then_some(d)
    })
    .await;
    let hangup: Vec<_> = d.iter().filter(|x| x.event_type == "call.hangup").collect();
    assert_eq!(hangup.len(), 3);
    assert!(hangup[2].failover && hangup[2].delivered);

    // Nowhere to go: stops after webhook_max_attempts.
    let api = Api::with(|c| c.webhook_max_attempts = 3).await;
    let ccid = api
        .dial("+13125550102", json!({"webhook_url": api.rx.url("fail")}))
        .await;
    eventually("all attempts", || {
        (api.emu.deliveries().len() == 6).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.emu.deliveries().len(), 6, "bounded");
    assert_eq!(api.rx.for_call(&ccid).len(), 6);
    assert!(
        api.emu
            .deliveries()
            .iter()
            .all(|d| !d.delivered && d.status == Some(500))
    );
}

#[tokio::test]
async fn slow_receivers_time_out_and_are_retried() {
    let api = Api::with(|c| {
        c.webhook_timeout = Duration::from_millis(200);
        c.webhook_max_attempts = 2;
    })
    .await;
    let ccid = api
        .dial("+13125550102", json!({"webhook_url": api.rx.url("slow")}))
        .await;
    let d = eventually("timed-out attempts", || {
        let d: Vec<_> = api
            .emu
            .deliveries()
            .into_iter()
            .filter(|d| d.call_control_id.as_deref() == Some(ccid.as_str()))
            .collect();
        (d.len() >= 2).then_some(d)
    })
    .await;
    assert_eq!(d[0].error.as_deref(), Some("timeout"));
    assert_eq!((d[0].attempt, d[1].attempt), (1, 2));
}

#[tokio::test]
async fn without_chaos_events_of_a_call_arrive_in_order_once() {
    let api = Api::new().await;
    let ids = [
        api.dial(
            "+13125550101",
            json!({"answering_machine_detection": "detect"}),
        )
        .await,
        api.dial("+13125550104", json!({})).await,
    ];
    for id in &ids {
        api.wait_hangup(id).await;
    }
    assert_eq!(
        api.rx.types(&ids[0]),
        vec![
            "call.initiated",
            "call.answered",
            "call.machine.detection.ended",
            "call.hangup"
        ]
    );
    let hooks = api.rx.for_call(&ids[0]);
    let mut seen = std::collections::HashSet::new();
    assert!(
        hooks.iter().all(|h| seen.insert(h.id().to_string())),
        "no duplicates"
    );
    let times: Vec<&str> = hooks
        .iter()
        .map(|h| h.json["data"]["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}
