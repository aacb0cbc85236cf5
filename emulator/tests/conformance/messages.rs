//! Messaging: `POST /v2/messages` shapes and errors, encoding and parts, each delivery
//! outcome's webhooks, STOP/START, inbound injection, profiles and number settings.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::common::*;
use crate::delivery::verify;

const FROM: &str = "+13125550201";
const CUSTOMER: &str = "+13125550100";

/// An emulator whose messaging profile (the application) posts to the receiver's `/hook`.
async fn api() -> Api {
    let rx = Receiver::start().await;
    let url = rx.url("hook");
    let mut api = Api::with(|c| c.app_webhook_url = Some(url)).await;
    api.rx = rx;
    api
}

fn hooks_for(api: &Api, message_id: &str) -> Vec<Hook> {
    let hooks = api.rx.hooks().into_iter();
    hooks.filter(|h| h.payload()["id"] == message_id).collect()
}

/// Waits for the message's event of this type.
async fn wait_hook(api: &Api, message_id: &str, event_type: &str) -> Hook {
    eventually(&format!("{event_type} for {message_id}"), || {
        let mut v = hooks_for(api, message_id).into_iter();
        v.find(|h| h.event_type() == event_type)
    })
    .await
}

async fn send(api: &Api, to: &str, extra: Value) -> Resp {
    let mut b = json!({"from": FROM, "to": to, "text": "Hello, World!"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            b[k] = v;
        }
    }
    api.post("/messages", b).await
}

async fn sent_id(api: &Api, to: &str) -> String {
    let r = send(api, to, json!({})).await;
    assert_eq!(r.status, 200, "send failed: {}", r.json);
    r.data()["id"].as_str().unwrap().to_string()
}

/// `code pointer` of every error entry.
fn errors(r: &Resp) -> Vec<String> {
    let entry = |e: &Value| {
        let p = e["source"]["pointer"].as_str().unwrap_or_default();
        format!("{} {p}", e["code"].as_str().unwrap())
    };
    r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(entry)
        .collect()
}

#[tokio::test]
async fn a_send_answers_a_queued_message_record() {
    let api = api().await;
    let r = send(&api, CUSTOMER, json!({"webhook_url": api.rx.url("hook")})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let d = r.data();
    assert_eq!(d["record_type"], "message");
    assert_eq!(d["direction"], "outbound");
    assert_eq!(d["type"], "SMS");
    assert_eq!(d["from"]["phone_number"], FROM);
    assert_eq!(d["to"][0]["phone_number"], CUSTOMER);
    assert_eq!(d["to"][0]["status"], "queued");
    assert!(d["to"][0]["carrier"].is_string() && d["to"][0]["line_type"].is_string());
    assert_eq!(d["text"], "Hello, World!");
    assert_eq!(
        (d["encoding"].as_str(), d["parts"].as_u64()),
        (Some("GSM-7"), Some(1))
    );
    assert_eq!(
        d["messaging_profile_id"],
        emulator::DEFAULT_MESSAGING_PROFILE_ID
    );
    assert_eq!(d["webhook_url"], api.rx.url("hook"));
    assert!(d["sent_at"].is_null() && d["completed_at"].is_null());
    assert!(d["received_at"].is_string() && d["valid_until"].is_string());
    assert_eq!(d["errors"], json!([]));
    assert_eq!(d["cost"]["currency"], "USD");
    let id = d["id"].as_str().unwrap();
    let got = api.get(&format!("/messages/{id}")).await;
    assert_eq!(got.data()["id"], id);
    assert_eq!(api.get("/messages/nope").await.code(), "10005");
}

#[tokio::test]
async fn encoding_and_parts_follow_the_text() {
    let api = api().await;
    let cases = [
        ("a".repeat(160), "GSM-7", 1),
        ("a".repeat(161), "GSM-7", 2),
        (format!("{}{{", "a".repeat(159)), "GSM-7", 2),
        ("€".to_string(), "UCS-2", 1),
        ("é€".repeat(35), "UCS-2", 1),
        ("😀".repeat(36), "UCS-2", 2),
    ];
    for (text, encoding, parts) in cases {
        let r = send(&api, CUSTOMER, json!({"text": text})).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.data()["encoding"], encoding, "{text}");
        assert_eq!(r.data()["parts"], parts, "{text}");
    }
}

#[tokio::test]
async fn bad_sends_get_every_error_in_telnyx_codes() {
    let api = api().await;
    let r = api.post("/messages", json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(errors(&r), ["10004 /from", "10004 /to", "40316 /text"]);
    let r = api
        .post(
            "/messages",
            json!({"from": "+13125559999", "to": "12", "text": "x"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(errors(&r), ["40305 /from", "40310 /to"]);
    let r = send(&api, "+442079460018", json!({"text": "a".repeat(1531)})).await;
    assert_eq!(errors(&r), ["40309 /to", "40302 /text"]);
    let urls: Vec<String> = (0..11).map(|i| format!("https://e.x/{i}.png")).collect();
    let r = send(&api, CUSTOMER, json!({"media_urls": urls})).await;
    assert_eq!(errors(&r), ["40317 /media_urls"]);
    let r = send(
        &api,
        CUSTOMER,
        json!({"type": "SMS", "media_urls": ["https://e.x/a.png"]}),
    )
    .await;
    assert_eq!(errors(&r), ["40304 /type"]);
    let r = send(
        &api,
        CUSTOMER,
        json!({"type": "FAX", "webhook_url": "ftp://x"}),
    )
    .await;
    assert_eq!(errors(&r), ["10032 /type", "10015 /webhook_url"]);
    let r = send(&api, CUSTOMER, json!({"messaging_profile_id": "other"})).await;
    assert_eq!(errors(&r), ["10015 /messaging_profile_id"]);
    assert!(
        api.emu.messages().is_empty(),
        "nothing is kept of a refused send"
    );
}

#[tokio::test]
async fn an_mms_carries_its_media() {
    let api = api().await;
    let r = send(
        &api,
        CUSTOMER,
        json!({"text": null, "media_urls": ["https://e.x/a.png"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.data()["type"], "MMS");
    assert_eq!(r.data()["media"][0]["url"], "https://e.x/a.png");
}

fn occurred(h: &Hook) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(h.json["data"]["occurred_at"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn delivered_is_sent_then_finalized_and_signed() {
    let api = api().await;
    let id = sent_id(&api, CUSTOMER).await;
    let fin = wait_hook(&api, &id, "message.finalized").await;
    let types: Vec<String> = hooks_for(&api, &id)
        .iter()
        .map(|h| h.event_type().into())
        .collect();
    assert_eq!(types, ["message.sent", "message.finalized"]);
    let sent = &hooks_for(&api, &id)[0];
    assert_eq!(sent.payload()["to"][0]["status"], "sent");
    assert!(sent.payload()["sent_at"].is_string());
    assert_eq!(fin.payload()["to"][0]["status"], "delivered");
    assert!(fin.payload()["completed_at"].is_string());
    assert_eq!(fin.payload()["errors"], json!([]));
    for h in hooks_for(&api, &id) {
        let ts = h.headers["telnyx-timestamp"].to_str().unwrap();
        let sig = h.headers["telnyx-signature-ed25519"].to_str().unwrap();
        assert!(verify(&api.emu.public_key_base64(), ts, &h.body, sig));
        assert_eq!(h.json["data"]["record_type"], "event");
    }
    let rec = api.get(&format!("/messages/{id}")).await;
    assert_eq!(rec.data()["to"][0]["status"], "delivered");
}

#[tokio::test]
async fn carrier_failures_finalize_with_their_code() {
    let api = api().await;
    for (to, code) in [
        ("+13125550151", "40001"),
        ("+13125550152", "40008"),
        ("+13125550156", "40002"),
    ] {
        let id = sent_id(&api, to).await;
        let fin = wait_hook(&api, &id, "message.finalized").await;
        assert_eq!(fin.payload()["to"][0]["status"], "delivery_failed", "{to}");
        assert_eq!(fin.payload()["errors"][0]["code"], code, "{to}");
        assert!(fin.payload()["errors"][0]["title"].is_string());
        assert_eq!(hooks_for(&api, &id)[0].event_type(), "message.sent");
    }
}

#[tokio::test]
async fn unregistered_10dlc_fails_sending_without_message_sent() {
    let api = api().await;
    let id = sent_id(&api, "+13125550155").await;
    let fin = wait_hook(&api, &id, "message.finalized").await;
    assert_eq!(fin.payload()["to"][0]["status"], "sending_failed");
    assert_eq!(fin.payload()["errors"][0]["code"], "40010");
    let types: Vec<String> = hooks_for(&api, &id)
        .iter()
        .map(|h| h.event_type().into())
        .collect();
    assert_eq!(types, ["message.finalized"]);
}

/// Milliseconds from a message's `message.sent` to its `message.finalized`.
async fn gap(api: &Api, id: &str) -> i64 {
    let fin = wait_hook(api, id, "message.finalized").await;
    let sent = wait_hook(api, id, "message.sent").await;
    (occurred(&fin) - occurred(&sent)).num_milliseconds()
}

#[tokio::test]
async fn a_delayed_destination_finalizes_much_later() {
    let api = api().await;
    let quick = sent_id(&api, CUSTOMER).await;
    let slow = sent_id(&api, "+13125550153").await;
    let (quick, slow) = (gap(&api, &quick).await, gap(&api, &slow).await);
    // 1.2 s and 59.7 s before the time scale (0.02): 24 ms and 1194 ms.
    assert!(quick < 300, "delivered in {quick} ms");
    assert!(slow >= 1000, "delayed one in {slow} ms");
}

#[tokio::test]
async fn an_opted_out_destination_is_refused_with_40300() {
    let api = api().await;
    let r = send(&api, "+13125550154", json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "40300");
    assert_eq!(r.json["errors"][0]["title"], "Blocked due to STOP message");
    assert!(api.emu.messages().is_empty());
}

#[tokio::test]
async fn stop_blocks_and_start_unblocks_the_sender() {
    let api = api().await;
    let person = "+13125550177";
    api.emu.receive_message(person, FROM, " Stop ").unwrap();
    assert_eq!(send(&api, person, json!({})).await.code(), "40300");
    let replies: Vec<Value> = api
        .emu
        .messages()
        .into_iter()
        .filter(|m| m["auto_response"] == true)
        .collect();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["to"][0]["phone_number"], person);
    api.emu
        .receive_message(person, FROM, "please stop")
        .unwrap();
    assert_eq!(send(&api, person, json!({})).await.code(), "40300");
    api.emu.receive_message(person, FROM, "UNSTOP").unwrap();
    assert_eq!(send(&api, person, json!({})).await.status, 200);
    api.emu.receive_message(person, FROM, "stop").unwrap();
    api.emu.receive_message(person, FROM, "START").unwrap();
    assert_eq!(send(&api, person, json!({})).await.status, 200);
}

#[tokio::test]
async fn an_inbound_text_is_a_signed_message_received() {
    let api = api().await;
    let body = json!({"from": "+13125550177", "to": FROM, "text": "STOP"});
    let (status, v) = api.control("POST", "messages/inbound", Some(body)).await;
    assert_eq!(status, 202, "{v}");
    let id = v["data"]["id"].as_str().unwrap();
    let h = wait_hook(&api, id, "message.received").await;
    let p = h.payload();
    assert_eq!(p["direction"], "inbound");
    assert_eq!(p["record_type"], "message");
    assert_eq!(p["from"]["phone_number"], "+13125550177");
    assert_eq!(p["to"][0]["phone_number"], FROM);
    assert_eq!(p["text"], "STOP");
    assert_eq!(p["autoresponse_type"], "STOP");
    assert_eq!(
        p["messaging_profile_id"],
        emulator::DEFAULT_MESSAGING_PROFILE_ID
    );
    let ts = h.headers["telnyx-timestamp"].to_str().unwrap();
    let sig = h.headers["telnyx-signature-ed25519"].to_str().unwrap();
    assert!(verify(&api.emu.public_key_base64(), ts, &h.body, sig));
    let (_, list) = api.control("GET", "messages?direction=inbound", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let not_ours = json!({"from": "+13125550177", "to": "+13125559999", "text": "hi"});
    assert_eq!(
        api.control("POST", "messages/inbound", Some(not_ours))
            .await
            .0,
        404
    );
    let bad = json!({"from": "nobody", "to": FROM, "text": "hi"});
    assert_eq!(
        api.control("POST", "messages/inbound", Some(bad)).await.0,
        400
    );
}

#[tokio::test]
async fn without_any_webhook_url_the_message_still_completes() {
    let api = api().await;
    let r = send(&api, CUSTOMER, json!({"use_profile_webhooks": false})).await;
    let id = r.data()["id"].as_str().unwrap().to_string();
    let done = eventually("finalized record", || {
        let m = api
            .emu
            .messages()
            .into_iter()
            .find(|m| m["id"] == id.as_str())?;
        (m["to"][0]["status"] == "delivered").then_some(m)
    })
    .await;
    assert!(done["completed_at"].is_string());
    assert!(hooks_for(&api, &id).is_empty());
}

#[tokio::test]
async fn the_profile_and_number_settings_are_listed() {
    let api = api().await;
    let r = api.get("/messaging_profiles").await;
    let p = &r.data()[0];
    assert_eq!(p["record_type"], "messaging_profile");
    assert_eq!(p["id"], emulator::DEFAULT_MESSAGING_PROFILE_ID);
    assert_eq!(p["webhook_url"], api.rx.url("hook"));
    assert_eq!(p["whitelisted_destinations"], json!(["US", "CA"]));
    assert_eq!(r.json["meta"]["total_results"], 1);
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/messaging_profiles/{id}")).await.data()["id"],
        id
    );
    assert_eq!(api.get("/messaging_profiles/other").await.code(), "10005");
    let numbers = api.get("/phone_numbers").await;
    let n = &numbers.data()[0];
    let path = format!("/phone_numbers/{}/messaging", n["id"].as_str().unwrap());
    let s = api.get(&path).await;
    assert_eq!(s.data()["record_type"], "messaging_settings");
    assert_eq!(s.data()["phone_number"], n["phone_number"]);
    assert_eq!(s.data()["messaging_profile_id"], id);
    assert_eq!(s.data()["features"]["sms"]["domestic_two_way"], true);
    assert_eq!(api.get("/phone_numbers/1/messaging").await.code(), "10005");
    let all = api.get("/phone_numbers/messaging").await;
    assert_eq!(
        all.json["meta"]["total_results"],
        emulator::SEEDED_OWNED.len()
    );
}

#[tokio::test]
async fn a_send_can_be_faulted_like_a_dial() {
    let api = api().await;
    let url = format!("{}/messages", api.emu.base_url());
    let r = api
        .http
        .post(url)
        .bearer_auth(&api.emu.config().api_key)
        .header("X-Emulator-Fault", "503")
        .json(&json!({"from": FROM, "to": CUSTOMER, "text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(api.emu.messages().is_empty());
    let unauth = api
        .http
        .post(format!("{}/messages", api.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status().as_u16(), 401);
}

#[tokio::test]
async fn chaos_duplicates_message_webhooks_with_the_same_event_id() {
    let api = api().await;
    api.emu.set_chaos(Some(emulator::ChaosConfig {
        seed: Some(7),
        duplicate: 1.0,
        reorder: 0.0,
        max_delay_ms: 0,
        concurrent: false,
    }));
    let id = sent_id(&api, CUSTOMER).await;
    let copies = |event_type: &'static str| {
        let hooks = hooks_for(&api, &id).into_iter();
        let v: Vec<Hook> = hooks.filter(|h| h.event_type() == event_type).collect();
        (v.len() == 2).then_some(v)
    };
    for event_type in ["message.sent", "message.finalized"] {
        let v = eventually(event_type, || copies(event_type)).await;
        assert_eq!(v[0].id(), v[1].id(), "a duplicate keeps data.id");
    }
}
