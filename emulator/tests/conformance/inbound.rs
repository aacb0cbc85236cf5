//! Inbound calls on demand (`POST /emulator/inbound`): parked `call.initiated` with
//! `direction: incoming` to the application's webhook, `answer`/`reject`, the caller's
//! script (hang up, press keys, silence), voicemail, and a bridge to a browser page with
//! media both ways.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use crate::common::*;
use crate::webrtc::{login_token, media, media_until, n, new_agent};
use emulator::dev::test_peer::{PeerState, Verto, answer};

const OURS: &str = "+13125550201";
const CALLER: &str = "+13125550999";

/// An emulator whose application webhook is the receiver (inbound calls have no dial).
async fn app(scale: f64) -> Api {
    let rx = Receiver::start().await;
    let mut c = test_config();
    c.time_scale = scale;
    c.app_webhook_url = Some(rx.url("app"));
    Api {
        emu: start(c).await,
        http: reqwest::Client::new(),
        rx,
    }
}

async fn ring(api: &Api, caller: Value) -> String {
    let body = json!({"from": CALLER, "to": OURS, "caller": caller});
    let (status, v) = api.control("POST", "inbound", Some(body)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["direction"], "incoming");
    v["call_control_id"].as_str().unwrap().to_string()
}

fn cause(h: &Hook) -> (String, String, String) {
    let p = h.payload();
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    (s("hangup_cause"), s("hangup_source"), s("sip_hangup_cause"))
}

fn triple(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[tokio::test]
async fn parked_until_answered_then_the_caller_presses_keys() {
    let api = app(SCALE).await;
    let id = ring(&api, json!({"press": "1#", "press_after_ms": 500})).await;
    let init = api.rx.wait_event(&id, "call.initiated").await;
    assert_eq!(init.path(), "/app", "sent to the application's webhook");
    let p = init.payload();
    assert_eq!(
        (&p["direction"], &p["state"]),
        (&json!("incoming"), &json!("parked"))
    );
    assert_eq!((&p["from"], &p["to"]), (&json!(CALLER), &json!(OURS)));
    let r = api
        .action(
            &id,
            "speak",
            json!({"payload": "hi", "voice": "female", "service_level": "basic"}),
        )
        .await;
    assert_eq!(r.code(), "90034", "nothing but answer before answering");
    assert_eq!(api.action(&id, "answer", json!({})).await.status, 200);
    api.rx.wait_event(&id, "call.answered").await;
    let digits = eventually("two keys", || {
        let d = api.rx.digits(&id);
        (d.len() == 2).then_some(d)
    })
    .await;
    assert_eq!(digits, ["1", "#"]);
    let r = api.action(&id, "answer", json!({})).await;
    assert_eq!((r.status, r.code()), (422, "10015"), "answered already");
    api.action(&id, "hangup", json!({})).await;
    let h = api.wait_hangup(&id).await;
    assert_eq!(
        cause(&h),
        triple("normal_clearing", "callee", "200"),
        "we are the callee"
    );
}

#[tokio::test]
async fn the_caller_hangs_up_ringing_or_answered_or_gives_up() {
    let api = app(SCALE).await;
    let id = ring(&api, json!({"hang_up_after_ms": 2000})).await;
    let h = api.wait_hangup(&id).await;
    assert_eq!(cause(&h), triple("originator_cancel", "caller", "487"));
    assert!(
        api.rx
            .for_call(&id)
            .iter()
            .all(|h| h.event_type() != "call.answered")
    );

    let id = ring(&api, json!({"hang_up_after_ms": 20000})).await;
    api.action(&id, "answer", json!({})).await;
    let h = api.wait_hangup(&id).await;
    assert_eq!(cause(&h), triple("normal_clearing", "caller", "200"));

    let id = ring(&api, json!({"ring_timeout_secs": 5})).await;
    let h = api.wait_hangup(&id).await;
    assert_eq!(
        cause(&h),
        triple("originator_cancel", "caller", "487"),
        "nobody answered"
    );
}

#[tokio::test]
async fn voicemail_greeting_then_recording_saved_when_the_caller_hangs_up() {
    let api = app(SCALE).await;
    let id = ring(&api, json!({"hang_up_after_ms": 30000})).await;
    api.action(&id, "answer", json!({})).await;
    api.rx.wait_event(&id, "call.answered").await;
    let greet = json!({"payload": "Leave a message", "voice": "female", "service_level": "basic"});
    assert_eq!(api.action(&id, "speak", greet).await.status, 200);
    api.rx.wait_event(&id, "call.speak.ended").await;
    let rec = json!({"format": "mp3", "channels": "single", "play_beep": true});
    assert_eq!(api.action(&id, "record_start", rec).await.status, 200);
    let h = api.wait_hangup(&id).await;
    assert_eq!(h.payload()["hangup_source"], "caller");
    let saved = api.rx.wait_event(&id, "call.recording.saved").await;
    assert!(
        saved.payload()["recording_urls"]["mp3"].is_string(),
        "{}",
        saved.json
    );
}

#[tokio::test]
async fn bad_requests_and_reject() {
    let api = app(SCALE).await;
    let post = |body: Value| api.control("POST", "inbound", Some(body));
    let (s, v) = post(json!({"from": CALLER, "to": "+13125550777"})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("not_our_number")));
    let (s, v) = post(json!({"from": "123", "to": OURS})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("bad_from")));
    let (s, _) = post(json!({"to": OURS})).await;
    assert_eq!(s, 400);
    let (s, v) = post(json!({"from": CALLER, "to": OURS, "caller": {"press": "x"}})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("bad_press")));

    let out = api.dial("+13125550100", json!({})).await;
    let r = api.action(&out, "answer", json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "10015"),
        "outgoing legs are not answered"
    );

    let id = ring(&api, json!({})).await;
    let r = api.action(&id, "reject", json!({"cause": "NOPE"})).await;
    assert_eq!(r.code(), "10032");
    assert_eq!(
        api.action(&id, "reject", json!({"cause": "USER_BUSY"}))
            .await
            .status,
        200
    );
    let h = api.wait_hangup(&id).await;
    assert_eq!(cause(&h), triple("user_busy", "callee", "486"));
}

/// Answers the inbound call, rings the page linked to it, the page answers with a real
/// peer (sending a tone), and the two are bridged.
async fn bridged_to_page(
    api: &Api,
    v: &Verto,
    caller: Value,
) -> (String, String, Arc<PeerState>, Arc<AtomicBool>) {
    let id = ring(api, caller).await;
    api.action(&id, "answer", json!({})).await;
    api.rx.wait_event(&id, "call.answered").await;
    let agent = new_agent(api).await;
    let sessid = v.register(&login_token(api, &agent).await).await;
    let to = format!("sip:{}@sip.telnyx.com", agent.sip_username);
    let body = api.dial_body(
        &to,
        json!({"link_to": id, "bridge_on_answer": true, "from": OURS}),
    );
    let r = api.post("/calls", body).await;
    let page = r.data()["call_control_id"].as_str().unwrap().to_string();
    let inv = v.wait_request("telnyx_rtc.invite").await;
    let (sdp, peer) = answer(inv["params"]["sdp"].as_str().unwrap()).await;
    let (state, stop) = (
        Arc::new(PeerState::default()),
        Arc::new(AtomicBool::new(false)),
    );
    tokio::spawn(peer.run(state.clone(), stop.clone()));
    state.set_tone(true);
    let dialog =
        json!({"sessid": sessid, "sdp": sdp, "dialogParams": {"callID": inv["params"]["callID"]}});
    v.call("telnyx_rtc.answer", dialog).await;
    api.rx.wait_event(&id, "call.bridged").await;
    (id, page, state, stop)
}

#[tokio::test]
async fn inbound_bridged_to_a_page_has_media_both_ways() {
    let api = app(1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let (id, page, peer, stop) = bridged_to_page(&api, &v, json!({})).await;
    let bridged = Instant::now();
    media_until(&api, &page, "caller's voice", |m| m["sending"] == "voice").await;
    eventually("the page hears the caller", || {
        (peer.voiced_since(bridged) >= 25).then_some(())
    })
    .await;
    let m0 = media(&api, &id).await;
    assert_eq!(
        (&m0["leg"], &m0["webrtc"]),
        (&json!("customer"), &json!(false))
    );
    media_until(&api, &id, "the caller hears the page", |m| {
        n(m, "voiced_ms") >= n(&m0, "voiced_ms") + 400
    })
    .await;
    api.emu.hangup_with(&id, "normal_clearing", "caller", "200");
    api.wait_hangup(&page).await;
    stop.store(true, Ordering::SeqCst);
}

#[tokio::test]
async fn a_silent_caller_is_silence_at_the_page() {
    let api = app(1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let (_id, page, _peer, stop) = bridged_to_page(&api, &v, json!({"speak": false})).await;
    let m = media_until(&api, &page, "packets to the page", |m| {
        n(m, "packets_sent") >= 25
    })
    .await;
    assert_eq!(m["sending"], "silence", "{m}");
    stop.store(true, Ordering::SeqCst);
}

/// Cold transfer of an answered inbound call: a new leg in the caller's session, from our
/// number, bridged with the caller on answer; the caller's hangup ends both.
#[tokio::test]
async fn an_answered_inbound_call_can_be_cold_transferred() {
    let api = app(SCALE).await;
    let id = ring(&api, json!({})).await;
    api.action(&id, "answer", json!({})).await;
    api.rx.wait_event(&id, "call.answered").await;
    let r = api
        .action(&id, "transfer", json!({"to": "+13125550100"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    api.rx.wait_event(&id, "call.bridged").await;
    let calls = api.emu.calls();
    let new = calls.iter().find(|c| c.call_control_id != id).unwrap();
    assert_eq!((new.from.as_str(), new.to.as_str()), (OURS, "+13125550100"));
    assert_eq!(new.call_session_id, calls[0].call_session_id);
    let init = api
        .rx
        .wait_event(&new.call_control_id, "call.initiated")
        .await;
    assert_eq!(init.payload()["direction"], "outgoing");
    api.emu.hangup_with(&id, "normal_clearing", "caller", "200");
    api.wait_hangup(&new.call_control_id).await;
}
