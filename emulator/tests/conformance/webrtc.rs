//! The WebRTC gateway: credential REST API, login tokens, Verto over a real WebSocket, and
//! real media with a str0m peer standing in for the browser.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common::*;
use emulator::dev::test_peer::{PeerState, Verto, answer};

pub struct Agent {
    pub credential_id: String,
    pub sip_username: String,
}

pub async fn new_agent(api: &Api) -> Agent {
    let name = format!("conn-{}", uuid_like());
    let c = api
        .post(
            "/credential_connections",
            json!({"connection_name": name, "user_name": name, "password": "secret-pass-1",
                   "sip_uri_calling_preference": "internal"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.json);
    let cred = api
        .post(
            "/telephony_credentials",
            json!({"connection_id": c.data()["id"], "name": "agent 1", "tag": "agents"}),
        )
        .await;
    assert_eq!(cred.status, 201, "{}", cred.json);
    Agent {
        credential_id: cred.data()["id"].as_str().unwrap().into(),
        sip_username: cred.data()["sip_username"].as_str().unwrap().into(),
    }
}

fn uuid_like() -> String {
    format!("{:x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

async fn token(api: &Api, credential_id: &str) -> reqwest::Response {
    api.http
        .post(format!(
            "{}/telephony_credentials/{credential_id}/token",
            api.emu.base_url()
        ))
        .bearer_auth(&api.emu.config().api_key)
        .send()
        .await
        .unwrap()
}

pub async fn login_token(api: &Api, agent: &Agent) -> String {
    token(api, &agent.credential_id).await.text().await.unwrap()
}

fn claims(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

pub async fn media(api: &Api, ccid: &str) -> Value {
    let r = api
        .http
        .get(format!(
            "{}/emulator/calls/{ccid}/media",
            api.emu.root_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Polls the measurement until `f` holds; returns it.
pub async fn media_until(api: &Api, ccid: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let m = media(api, ccid).await;
        if f(&m) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn token_is_201_text_plain_jwt_for_the_credential() {
    let api = Api::new().await;
    let agent = new_agent(&api).await;
    let r = token(&api, &agent.credential_id).await;
    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let jwt = r.text().await.unwrap();
    assert_eq!(jwt.split('.').count(), 3, "{jwt}");
    let c = claims(&jwt);
    assert_eq!(c["sub"], agent.sip_username.as_str());
    assert_eq!(c["iss"], "telnyx_telephony");
    assert_eq!(c["typ"], "access");
    let now = chrono::Utc::now().timestamp();
    let exp = c["exp"].as_i64().unwrap();
    assert!(
        (exp - (now + 24 * 3600)).abs() < 60,
        "exp {exp} vs now {now}"
    );

    // A credential expiring in 10 minutes caps the token's life.
    let conn_id = api
        .get(&format!("/telephony_credentials/{}", agent.credential_id))
        .await
        .data()["resource_id"]
        .as_str()
        .unwrap()
        .trim_start_matches("connection:")
        .to_string();
    let soon = chrono::Utc::now() + chrono::Duration::minutes(10);
    let short = api
        .post(
            "/telephony_credentials",
            json!({"connection_id": conn_id, "expires_at": soon.to_rfc3339()}),
        )
        .await;
    let id = short.data()["id"].as_str().unwrap();
    let c = claims(&token(&api, id).await.text().await.unwrap());
    assert_eq!(c["exp"].as_i64().unwrap(), soon.timestamp());

    let r = token(&api, "no-such-credential").await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "10005");
}

#[tokio::test]
async fn credential_connections_with_telnyx_errors() {
    let api = Api::new().await;
    let r = api
        .post(
            "/credential_connections",
            json!({"user_name": "u1", "password": "p"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/connection_name")
    );
    let r = api
        .post(
            "/credential_connections",
            json!({"connection_name": "c", "user_name": "u1", "password": "p",
                   "sip_uri_calling_preference": "everyone"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "10032"));
    let c = api
        .post(
            "/credential_connections",
            json!({"connection_name": "c", "user_name": "u1", "password": "p"}),
        )
        .await;
    assert_eq!(c.status, 201);
    assert_eq!(c.data()["record_type"], "credential_connection");
    assert_eq!(c.data()["active"], true);
    assert!(
        c.data().get("password").is_none(),
        "secret echoed: {}",
        c.json
    );
    let conn_id = c.data()["id"].as_str().unwrap().to_string();
    let g = api.get(&format!("/credential_connections/{conn_id}")).await;
    assert_eq!(
        (g.status, g.data()["connection_name"].as_str()),
        (200, Some("c"))
    );
    let g = api.get("/credential_connections/404404").await;
    assert_eq!((g.status, g.code()), (404, "10005"));
    let r = api
        .post(
            "/credential_connections",
            json!({"connection_name": "c2", "user_name": "u1", "password": "p"}),
        )
        .await;
    assert_eq!(
        (r.status, r.pointer()),
        (422, "/user_name"),
        "user_name taken"
    );
}

#[tokio::test]
async fn telephony_credentials_crud_with_telnyx_errors() {
    let api = Api::new().await;
    let c = api
        .post(
            "/credential_connections",
            json!({"connection_name": "c", "user_name": "u1", "password": "p"}),
        )
        .await;
    let conn_id = c.data()["id"].as_str().unwrap().to_string();
    let r = api.post("/telephony_credentials", json!({})).await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/connection_id")
    );
    let r = api
        .post("/telephony_credentials", json!({"connection_id": "999"}))
        .await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10015", "/connection_id")
    );
    let r = api
        .post(
            "/telephony_credentials",
            json!({"connection_id": conn_id, "expires_at": "tomorrow"}),
        )
        .await;
    assert_eq!((r.status, r.pointer()), (422, "/expires_at"));

    let cred = api
        .post(
            "/telephony_credentials",
            json!({"connection_id": conn_id, "tag": "t"}),
        )
        .await;
    assert_eq!(cred.status, 201);
    let d = cred.data();
    assert_eq!(d["record_type"], "credential");
    assert_eq!(d["resource_id"], format!("connection:{conn_id}"));
    assert!(d["sip_username"].as_str().unwrap().starts_with("gencred"));
    assert!(!d["sip_password"].as_str().unwrap().is_empty());
    assert_eq!(d["expired"], false);
    let id = d["id"].as_str().unwrap();
    let g = api.get(&format!("/telephony_credentials/{id}")).await;
    assert_eq!(
        (g.status, &g.data()["sip_username"]),
        (200, &d["sip_username"])
    );
    let del = api
        .send("DELETE", &format!("/telephony_credentials/{id}"), None)
        .await;
    assert_eq!((del.status, &del.data()["id"]), (200, &d["id"]));
    let g = api.get(&format!("/telephony_credentials/{id}")).await;
    assert_eq!((g.status, g.code()), (404, "10005"));
    let del = api
        .send("DELETE", &format!("/telephony_credentials/{id}"), None)
        .await;
    assert_eq!(del.status, 404);

    let unauth = api
        .http
        .post(format!("{}/telephony_credentials", api.emu.base_url()))
        .json(&json!({"connection_id": conn_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
}

#[tokio::test]
async fn telephony_credentials_list_with_filters_and_pages() {
    let api = Api::new().await;
    let c = api
        .post(
            "/credential_connections",
            json!({"connection_name": "c", "user_name": "u1", "password": "p"}),
        )
        .await;
    let conn_id = c.data()["id"].as_str().unwrap().to_string();
    let cred = api
        .post(
            "/telephony_credentials",
            json!({"connection_id": conn_id, "tag": "t"}),
        )
        .await;
    let d = cred.data();
    api.post(
        "/telephony_credentials",
        json!({"connection_id": conn_id, "tag": "other"}),
    )
    .await;
    let l = api.get("/telephony_credentials?filter[tag]=t").await;
    assert_eq!(l.json["meta"]["total_results"], 1, "{}", l.json);
    assert_eq!(l.data()[0]["id"], d["id"]);
    let l = api
        .get(&format!(
            "/telephony_credentials?filter[resource_id]=connection:{conn_id}&page[size]=1"
        ))
        .await;
    assert_eq!(
        (
            l.json["meta"]["total_results"].as_u64(),
            l.json["meta"]["total_pages"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let l = api
        .get("/credential_connections?filter[connection_name][contains]=c")
        .await;
    assert_eq!(l.json["meta"]["total_results"], 1);
}

#[tokio::test]
async fn verto_login_ready_gateway_state_ping_and_errors() {
    let api = Api::new().await;
    let agent = new_agent(&api).await;
    let v = Verto::connect(&api.emu.verto_url()).await;

    let g = v.call("telnyx_rtc.gatewayState", json!({})).await;
    assert_eq!(g["error"]["code"], -32000, "{g}");
    let bad = v.call("login", json!({"login_token": "a.b.c"})).await;
    assert!(bad["error"]["code"].is_i64(), "{bad}");
    // A token signed by someone else is refused too.
    let jwt = login_token(&api, &agent).await;
    let mut forged: Vec<&str> = jwt.split('.').collect();
    let other = URL_SAFE_NO_PAD.encode([0u8; 64]);
    forged[2] = &other;
    let bad = v
        .call("login", json!({"login_token": forged.join(".")}))
        .await;
    assert!(bad["error"].is_object(), "{bad}");

    let ok = v.call("login", json!({"login_token": jwt})).await;
    assert_eq!(ok["jsonrpc"], "2.0");
    assert!(ok["result"]["message"].is_string(), "{ok}");
    let sessid = ok["result"]["sessid"].as_str().unwrap().to_string();
    v.wait_request("telnyx_rtc.clientReady").await;
    let g = v.call("telnyx_rtc.gatewayState", json!({})).await;
    assert_eq!(g["result"]["params"]["state"], "REGED");
    assert_eq!(g["result"]["sessid"], sessid.as_str());
    let p = v.call("telnyx_rtc.ping", json!({})).await;
    assert!(p["result"].is_object(), "{p}");
    let u = v.call("telnyx_rtc.nonsense", json!({})).await;
    assert_eq!(u["error"]["code"], -32601);
    let m = v
        .call(
            "telnyx_rtc.modify",
            json!({"action": "hold", "dialogParams": {"callID": "nope"}}),
        )
        .await;
    assert!(m["error"].is_object(), "{m}");
    let b = v
        .call(
            "telnyx_rtc.bye",
            json!({"dialogParams": {"callID": "nope"}}),
        )
        .await;
    assert!(b["error"].is_object(), "{b}");
    // The SDK acknowledges server requests with a bare result: no answer to that.
    v.send_raw(
        json!({"jsonrpc": "2.0", "id": 99999, "result": {"method": "telnyx_rtc.clientReady"}}),
    );
    let p = v.call("telnyx_rtc.ping", json!({})).await;
    assert!(p["result"].is_object());
}

#[tokio::test]
async fn verto_login_by_password_and_refused_after_delete() {
    let api = Api::new().await;
    let agent = new_agent(&api).await;
    // SIP username and password work too, on a socket of their own.
    let cred = api
        .get(&format!("/telephony_credentials/{}", agent.credential_id))
        .await;
    let v2 = Verto::connect(&api.emu.verto_url()).await;
    let by_password = json!({"login": format!("{}@sip.telnyx.com", agent.sip_username),
                             "passwd": cred.data()["sip_password"]});
    assert!(v2.call("login", by_password).await["result"]["sessid"].is_string());
    let wrong = json!({"login": agent.sip_username, "passwd": "nope"});
    assert!(v2.call("login", wrong).await["error"].is_object());
    // A deleted credential's tokens stop working.
    let jwt = login_token(&api, &agent).await;
    let del = api
        .send(
            "DELETE",
            &format!("/telephony_credentials/{}", agent.credential_id),
            None,
        )
        .await;
    assert_eq!(del.status, 200);
    assert!(v2.call("login", json!({"login_token": jwt})).await["error"].is_object());
}

#[tokio::test]
async fn dial_to_an_unregistered_sip_uri_fails_with_not_found_480() {
    let api = Api::new().await;
    let agent = new_agent(&api).await;
    let to = format!("sip:{}@sip.telnyx.com", agent.sip_username);
    let ccid = api.dial(&to, json!({})).await;
    let h = api.wait_hangup(&ccid).await;
    assert_eq!(api.rx.types(&ccid), vec!["call.initiated", "call.hangup"]);
    let p = h.payload();
    assert_eq!(p["hangup_cause"], "not_found");
    assert_eq!(p["sip_hangup_cause"], "480");
    assert_eq!(p["hangup_source"], "callee");

    // Registered, then gone: the same.
    let v = Verto::connect(&api.emu.verto_url()).await;
    v.register(&login_token(&api, &agent).await).await;
    drop(v);
    eventually("session gone", || {
        (!api.emu.webrtc_registered(&agent.sip_username)).then_some(())
    })
    .await;
    let ccid = api.dial(&to, json!({})).await;
    assert_eq!(
        api.wait_hangup(&ccid).await.payload()["sip_hangup_cause"],
        "480"
    );
}

#[tokio::test]
async fn page_declines_rings_out_or_is_cancelled() {
    let api = Api::new().await;
    let agent = new_agent(&api).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let sessid = v.register(&login_token(&api, &agent).await).await;
    let to = format!("sip:{}@sip.telnyx.com", agent.sip_username);

    // Declined: the page says bye before answering.
    let ccid = api.dial(&to, json!({"timeout_secs": 600})).await;
    let inv = v.wait_request("telnyx_rtc.invite").await;
    let call_id = inv["params"]["callID"].clone();
    assert_eq!(inv["params"]["telnyx_call_control_id"], ccid.as_str());
    let r = v
        .call(
            "telnyx_rtc.bye",
            json!({"sessid": sessid, "cause": "USER_BUSY", "causeCode": 17,
                   "dialogParams": {"callID": call_id}}),
        )
        .await;
    assert!(r["result"].is_object(), "{r}");
    let h = api.wait_hangup(&ccid).await;
    assert_eq!(
        (
            &h.payload()["hangup_cause"],
            &h.payload()["sip_hangup_cause"]
        ),
        (&json!("call_rejected"), &json!("603"))
    );

    // Never answered: the ring timeout ends it and the page is told.
    let ccid = api.dial(&to, json!({"timeout_secs": 5})).await;
    let inv = v.wait_request("telnyx_rtc.invite").await;
    let bye = v.wait_request("telnyx_rtc.bye").await;
    assert_eq!(bye["params"]["callID"], inv["params"]["callID"]);
    assert_eq!(bye["params"]["cause"], "NO_ANSWER");
    assert_eq!(
        api.wait_hangup(&ccid).await.payload()["hangup_cause"],
        "timeout"
    );

    // Cancelled by us while ringing.
    let ccid = api.dial(&to, json!({"timeout_secs": 600})).await;
    let inv = v.wait_request("telnyx_rtc.invite").await;
    api.action(&ccid, "hangup", json!({})).await;
    let bye = v.wait_request("telnyx_rtc.bye").await;
    assert_eq!(bye["params"]["callID"], inv["params"]["callID"]);
    assert_eq!(bye["params"]["causeCode"], 487);
}

pub struct Answered {
    pub ccid: String,
    pub call_id: Value,
    pub sessid: String,
    pub peer: Arc<PeerState>,
    pub stop: Arc<AtomicBool>,
    pub answered_at: Instant,
}

impl Drop for Answered {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Registers, dials the page, answers with a str0m peer (sending silence) and waits for
/// `call.answered`.
pub async fn answered_call(api: &Api, v: &Verto) -> Answered {
    let agent = new_agent(api).await;
    let sessid = v.register(&login_token(api, &agent).await).await;
    let to = format!("sip:{}@sip.telnyx.com", agent.sip_username);
    let ccid = api.dial(&to, json!({"timeout_secs": 600})).await;
    let inv = v.wait_request("telnyx_rtc.invite").await;
    let p = &inv["params"];
    assert_eq!(p["telnyx_call_control_id"], ccid.as_str());
    for k in [
        "telnyx_session_id",
        "telnyx_leg_id",
        "caller_id_number",
        "callee_id_number",
    ] {
        assert!(p[k].is_string(), "{k} missing: {inv}");
    }
    let offer = p["sdp"].as_str().unwrap();
    assert!(offer.contains("a=ice-lite"), "{offer}");
    assert!(offer.contains("PCMU/8000"), "{offer}");
    assert!(!offer.contains("opus"), "PCMU only: {offer}");
    assert!(offer.contains("127.0.0.1"), "{offer}");
    let (sdp, peer) = answer(offer).await;
    let state = Arc::new(PeerState::default());
    let stop = Arc::new(AtomicBool::new(false));
    tokio::spawn(peer.run(state.clone(), stop.clone()));
    let answered_at = Instant::now();
    let r = v
        .call(
            "telnyx_rtc.answer",
            json!({"sessid": sessid, "sdp": sdp, "dialogParams": {"callID": p["callID"]}}),
        )
        .await;
    assert!(r["result"].is_object(), "{r}");
    api.rx.wait_event(&ccid, "call.answered").await;
    Answered {
        ccid,
        call_id: p["callID"].clone(),
        sessid,
        peer: state,
        stop,
        answered_at,
    }
}

#[tokio::test]
async fn page_audio_is_measured_silence_is_not_voice() {
    let api = Api::with(|c| c.time_scale = 1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let a = answered_call(&api, &v).await;

    let m = media_until(&api, &a.ccid, "silent packets", |m| {
        n(m, "packets_received") >= 25
    })
    .await;
    assert_eq!(
        (m["leg"].as_str(), m["webrtc"].as_bool()),
        (Some("agent"), Some(true))
    );
    assert_eq!(n(&m, "voiced_ms"), 0, "silence is not voice: {m}");
    assert_eq!(m["level_dbov"], -127.0);
    assert_eq!(m["sending"], "silence", "answered, nothing linked: {m}");

    a.peer.set_tone(true);
    let m = media_until(&api, &a.ccid, "voiced time", |m| n(m, "voiced_ms") >= 600).await;
    assert!(m["level_dbov"].as_f64().unwrap() > -20.0, "{m}");
    let tone_at = a.peer.tone_since.lock().unwrap().unwrap();
    let first_voiced = api.emu.webrtc_first_voiced(&a.ccid).unwrap();
    let first_audio = a.peer.first_heard().unwrap();

    a.peer.set_tone(false);
    let m0 = media_until(&api, &a.ccid, "silence again", |m| {
        m["level_dbov"] == -127.0
    })
    .await;
    let m1 = media_until(&api, &a.ccid, "more packets", |m| {
        n(m, "packets_received") >= n(&m0, "packets_received") + 50
    })
    .await;
    assert_eq!(n(&m1, "voiced_ms"), n(&m0, "voiced_ms"), "{m0} -> {m1}");
    assert!(m1["last_packet_at"].is_string());

    eprintln!(
        "FIGURE webrtc_answer_to_first_audio_ms={:.1} webrtc_one_way_delay_ms={:.1}",
        (first_audio - a.answered_at).as_secs_f64() * 1000.0,
        (first_voiced.saturating_duration_since(tone_at)).as_secs_f64() * 1000.0,
    );
}

#[tokio::test]
async fn bridged_customer_ringback_voice_hold_dtmf_and_hangup() {
    let api = Api::with(|c| c.time_scale = 1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let a = answered_call(&api, &v).await;
    a.peer.set_tone(true);
    let b = ringback_then_voice(&api, &a).await;
    hold_round_trip(&api, &v, &a, &b).await;
    dtmf_both_ways(&api, &v, &a, &b).await;
    page_hangs_up_and_the_customer_with_it(&api, &v, &a, &b).await;
}

/// Dials the customer linked to the page's leg: ringback while it rings (it rings until we
/// answer it), the customer's voice once bridged, and the customer hears the page.
async fn ringback_then_voice(api: &Api, a: &Answered) -> String {
    let dialled = Instant::now();
    let b = api
        .dial(
            "+13125550103",
            json!({"link_to": a.ccid, "bridge_intent": true, "bridge_on_answer": true,
                   "timeout_secs": 600}),
        )
        .await;
    media_until(api, &a.ccid, "ringback", |m| m["sending"] == "ringback").await;
    eventually("ringback heard by the page", || {
        (a.peer.voiced_since(dialled) >= 25).then_some(())
    })
    .await;
    let mb = media(api, &b).await;
    assert_eq!(
        (mb["leg"].as_str(), mb["sending"].as_str()),
        (Some("customer"), Some("none"))
    );

    assert!(api.emu.answer(&b));
    api.rx.wait_event(&a.ccid, "call.bridged").await;
    api.rx.wait_event(&b, "call.bridged").await;
    let bridged = Instant::now();
    media_until(api, &a.ccid, "voice", |m| m["sending"] == "voice").await;
    eventually("customer voice heard by the page", || {
        (a.peer.voiced_since(bridged) >= 25).then_some(())
    })
    .await;
    let mb0 = media(api, &b).await;
    assert_eq!(mb0["webrtc"], false);
    assert_eq!(mb0["sending"], "voice");
    let mb1 = media_until(api, &b, "customer hears the agent", |m| {
        n(m, "voiced_ms") >= n(&mb0, "voiced_ms") + 400
    })
    .await;
    assert!(n(&mb1, "packets_received") > n(&mb0, "packets_received"));
    b
}

fn dialog(a: &Answered, extra: Value) -> Value {
    let mut p = json!({"sessid": a.sessid, "dialogParams": {"callID": a.call_id}});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            p[k] = v;
        }
    }
    p
}

/// Hold: music loops on the customer, the page's leg is held over Verto and hears silence.
async fn hold_round_trip(api: &Api, v: &Verto, a: &Answered, b: &str) {
    let music = json!({"audio_url": api.emu.hold_music_url(), "loop": "infinity"});
    assert_eq!(api.action(b, "playback_start", music).await.status, 200);
    let mb = media(api, b).await;
    assert_eq!(
        (mb["hold_music"].as_bool(), mb["sending"].as_str()),
        (Some(true), Some("hold_music"))
    );
    let held = v
        .call("telnyx_rtc.modify", dialog(a, json!({"action": "hold"})))
        .await;
    assert_eq!(held["result"]["holdState"], "held", "{held}");
    let ma = media(api, &a.ccid).await;
    assert_eq!(
        (ma["sending"].as_str(), ma["held"].as_bool()),
        (Some("silence"), Some(true))
    );
    // Held, the page's audio no longer reaches the customer, though the page still sends.
    let mb0 = media(api, b).await;
    media_until(api, &a.ccid, "the page still sending", |m| {
        n(m, "packets_received") >= n(&ma, "packets_received") + 25
    })
    .await;
    let mb1 = media(api, b).await;
    assert_eq!(n(&mb1, "packets_received"), n(&mb0, "packets_received"));
    let active = v
        .call(
            "telnyx_rtc.modify",
            dialog(a, json!({"action": "toggleHold"})),
        )
        .await;
    assert_eq!(active["result"]["holdState"], "active");
    assert_eq!(media(api, &a.ccid).await["sending"], "voice");
    api.action(b, "playback_stop", json!({})).await;
    assert_eq!(media(api, b).await["hold_music"], false);
}

/// Keys the page presses reach its leg (`call.dtmf.received`); `send_dtmf` on the customer
/// shows in the customer's measurement.
async fn dtmf_both_ways(api: &Api, v: &Verto, a: &Answered, b: &str) {
    let r = v
        .call("telnyx_rtc.info", dialog(a, json!({"dtmf": "1#"})))
        .await;
    assert!(r["result"].is_object());
    assert_eq!(media(api, &a.ccid).await["dtmf_received"], "1#");
    eventually("dtmf webhooks", || {
        let n = api
            .rx
            .types(&a.ccid)
            .iter()
            .filter(|t| *t == "call.dtmf.received")
            .count();
        (n == 2).then_some(())
    })
    .await;
    let r = api.action(b, "send_dtmf", json!({"digits": "5"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(media(api, b).await["dtmf_received"], "5");
}

/// The page hangs up: its leg ends as the callee's, and the bridged customer with it.
async fn page_hangs_up_and_the_customer_with_it(api: &Api, v: &Verto, a: &Answered, b: &str) {
    let bye = dialog(a, json!({"cause": "NORMAL_CLEARING", "causeCode": 16}));
    let r = v.call("telnyx_rtc.bye", bye).await;
    assert!(r["result"].is_object());
    let h = api.wait_hangup(&a.ccid).await;
    assert_eq!(
        (&h.payload()["hangup_cause"], &h.payload()["hangup_source"]),
        (&json!("normal_clearing"), &json!("callee"))
    );
    api.wait_hangup(b).await;
    let calls = api.emu.calls();
    assert!(
        calls.iter().all(|c| c.state == emulator::CallState::Ended),
        "orphan legs"
    );
    assert!(
        !v.has_request("telnyx_rtc.bye"),
        "no bye back for the page's own bye"
    );
    assert_eq!(media(api, &a.ccid).await["sending"], "none");
}

#[tokio::test]
async fn rest_hangup_of_an_answered_page_leg_sends_bye() {
    let api = Api::with(|c| c.time_scale = 1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let a = answered_call(&api, &v).await;
    assert_eq!(api.action(&a.ccid, "hangup", json!({})).await.status, 200);
    let bye = v.wait_request("telnyx_rtc.bye").await;
    assert_eq!(bye["params"]["callID"], a.call_id);
    assert_eq!(bye["params"]["cause"], "NORMAL_CLEARING");
    assert_eq!(bye["params"]["causeCode"], 16);
    let h = api.wait_hangup(&a.ccid).await;
    assert_eq!(h.payload()["hangup_source"], "caller");
    // Media stops: no packets arrive any more.
    let m0 = media(&api, &a.ccid).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m1 = media(&api, &a.ccid).await;
    assert_eq!(n(&m0, "packets_received"), n(&m1, "packets_received"));
}
