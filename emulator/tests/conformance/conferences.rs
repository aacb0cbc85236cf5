//! Conferences: create from an answered leg, join, list, participants, mute/hold/leave, the
//! who-hears-whom matrix, the ways a conference ends, Telnyx's errors, and a browser page as
//! a participant with real media.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;
use crate::webrtc::{answered_call, media, media_until, n};
use emulator::dev::test_peer::Verto;

/// An answered customer leg (scenario 0100 answers after 2 s, scaled).
async fn answered(api: &Api) -> String {
    let id = api.dial("+13125550100", json!({})).await;
    api.rx.wait_event(&id, "call.answered").await;
    id
}

async fn three(api: &Api) -> (String, String, String) {
    (
        answered(api).await,
        answered(api).await,
        answered(api).await,
    )
}

async fn create(api: &Api, ccid: &str, extra: Value) -> String {
    let mut body = json!({"call_control_id": ccid, "name": "room"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    let r = api.post("/conferences", body).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.data()["id"].as_str().unwrap().to_string()
}

async fn act(api: &Api, conf: &str, action: &str, body: Value) -> Resp {
    api.post(&format!("/conferences/{conf}/actions/{action}"), body)
        .await
}

async fn join(api: &Api, conf: &str, ccid: &str, extra: Value) {
    let mut body = json!({"call_control_id": ccid});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    let r = act(api, conf, "join", body).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

async fn audio(api: &Api, conf: &str) -> Value {
    let (status, v) = api
        .control("GET", &format!("conferences/{conf}/audio"), None)
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// `ccid → hears` from the audio matrix.
async fn hears(api: &Api, conf: &str, ccid: &str) -> Vec<String> {
    let a = audio(api, conf).await;
    let row = a["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["call_control_id"] == ccid)
        .unwrap_or_else(|| panic!("{ccid} not in {a}"))
        .clone();
    serde_json::from_value(row["hears"].clone()).unwrap()
}

#[tokio::test]
async fn create_join_read_list_with_telnyx_shapes_and_events() {
    let api = Api::new().await;
    let (a, b) = (answered(&api).await, answered(&api).await);
    let r = api
        .post(
            "/conferences",
            json!({"call_control_id": a, "name": "sales", "beep_enabled": "on_enter",
                                     "client_state": "c3RhdGU="}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let c = r.data().clone();
    assert_eq!(
        (&c["record_type"], &c["name"], &c["status"]),
        (&json!("conference"), &json!("sales"), &json!("in_progress"))
    );
    let id = c["id"].as_str().unwrap().to_string();
    for k in [
        "created_at",
        "expires_at",
        "updated_at",
        "region",
        "connection_id",
    ] {
        assert!(c[k].is_string(), "{k}: {c}");
    }
    let created = api.rx.wait_event(&a, "conference.created").await;
    let joined = api.rx.wait_event(&a, "conference.participant.joined").await;
    for h in [&created, &joined] {
        let p = h.payload();
        assert_eq!(p["conference_id"], id.as_str());
        assert_eq!(p["client_state"], "c3RhdGU=");
        for k in [
            "call_leg_id",
            "call_session_id",
            "connection_id",
            "occurred_at",
        ] {
            assert!(p[k].is_string(), "{k}: {p}");
        }
    }
    join(&api, &id, &b, json!({})).await;
    let jb = api.rx.wait_event(&b, "conference.participant.joined").await;
    assert_eq!(jb.payload()["conference_id"], id.as_str());
    read_and_list(&api, &id, &a, &b).await;
}

/// The conference as read alone, in the list (filtered by name), and its participants.
async fn read_and_list(api: &Api, id: &str, a: &str, b: &str) {
    let one = api.get(&format!("/conferences/{id}")).await;
    assert_eq!(one.data()["id"], id);
    let list = api.get("/conferences?filter[name]=sales").await;
    assert_eq!(list.json["meta"]["total_results"], 1, "{}", list.json);
    assert_eq!(
        api.get("/conferences?filter[name]=x").await.json["meta"]["total_results"],
        0
    );
    let ps = api.get(&format!("/conferences/{id}/participants")).await;
    let ps = ps.json["data"].as_array().unwrap().clone();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[1]["call_control_id"], b);
    assert_eq!(
        (
            &ps[0]["record_type"],
            &ps[0]["status"],
            &ps[0]["muted"],
            &ps[0]["on_hold"]
        ),
        (
            &json!("participant"),
            &json!("joined"),
            &json!(false),
            &json!(false)
        )
    );
    assert_eq!(ps[0]["conference"]["id"], id);
    assert_eq!(hears(api, id, a).await, vec![b.to_string()]);
    assert_eq!(hears(api, id, b).await, vec![a.to_string()]);
}

#[tokio::test]
async fn mute_hold_and_leave_decide_who_hears_whom() {
    let api = Api::new().await;
    let (a, b, c) = three(&api).await;
    let id = create(&api, &a, json!({})).await;
    join(&api, &id, &b, json!({})).await;
    join(&api, &id, &c, json!({})).await;
    assert_eq!(hears(&api, &id, &a).await, vec![b.clone(), c.clone()]);

    // A muted participant is heard by nobody and still hears everyone.
    assert_eq!(
        act(&api, &id, "mute", json!({"call_control_ids": [b]}))
            .await
            .status,
        200
    );
    assert_eq!(hears(&api, &id, &a).await, vec![c.clone()]);
    assert_eq!(hears(&api, &id, &b).await, vec![a.clone(), c.clone()]);
    let muted = api
        .get(&format!(
            "/conferences/{id}/participants?filter[muted]=true"
        ))
        .await;
    assert_eq!(muted.json["data"][0]["call_control_id"], b.as_str());

    // A held one hears the hold audio and is heard by nobody.
    let hold = json!({"call_control_ids": [c], "audio_url": api.emu.hold_music_url()});
    assert_eq!(act(&api, &id, "hold", hold).await.status, 200);
    assert!(hears(&api, &id, &a).await.is_empty());
    assert!(hears(&api, &id, &c).await.is_empty());
    let row = audio(&api, &id).await["participants"][2].clone();
    assert_eq!(
        (&row["on_hold"], &row["hold_audio_url"]),
        (&json!(true), &json!(api.emu.hold_music_url()))
    );
    assert_eq!(
        act(&api, &id, "unhold", json!({"call_control_ids": [c]}))
            .await
            .status,
        200
    );
    // No list: everyone is unmuted.
    assert_eq!(act(&api, &id, "unmute", json!({})).await.status, 200);
    assert_eq!(hears(&api, &id, &c).await, vec![a.clone(), b.clone()]);

    // Leaving: out of the room, still on the line.
    assert_eq!(
        act(&api, &id, "leave", json!({"call_control_id": b}))
            .await
            .status,
        200
    );
    api.rx.wait_event(&b, "conference.participant.left").await;
    assert_eq!(hears(&api, &id, &a).await, vec![c.clone()]);
    assert_eq!(
        api.get(&format!("/calls/{b}")).await.data()["is_alive"],
        true
    );
    let ps = api.get(&format!("/conferences/{id}/participants")).await;
    assert_eq!(ps.json["meta"]["total_results"], 2);
}

#[tokio::test]
async fn hanging_up_leaves_and_the_last_one_out_ends_it() {
    let api = Api::new().await;
    let (a, b) = (answered(&api).await, answered(&api).await);
    let id = create(&api, &a, json!({})).await;
    join(&api, &id, &b, json!({})).await;
    api.action(&b, "hangup", json!({})).await;
    api.rx.wait_event(&b, "conference.participant.left").await;
    assert_eq!(
        api.get(&format!("/conferences/{id}")).await.data()["status"],
        "in_progress"
    );
    api.emu.hangup_by_callee(&a);
    api.rx.wait_event(&a, "conference.participant.left").await;
    let ended = api.rx.wait_event(&a, "conference.ended").await;
    assert_eq!(ended.payload()["reason"], "all_left");
    let c = api.get(&format!("/conferences/{id}")).await;
    assert_eq!(
        (&c.data()["status"], &c.data()["end_reason"]),
        (&json!("completed"), &json!("all_left"))
    );
    let r = act(
        &api,
        &id,
        "join",
        json!({"call_control_id": answered(&api).await}),
    )
    .await;
    assert_eq!(
        r.status, 422,
        "an ended conference takes nobody: {}",
        r.json
    );
}

#[tokio::test]
async fn end_on_exit_hangs_up_all_soft_end_releases_them() {
    let api = Api::new().await;
    let (a, b, c) = three(&api).await;
    let id = create(&api, &a, json!({})).await;
    join(&api, &id, &b, json!({"end_conference_on_exit": true})).await;
    join(&api, &id, &c, json!({})).await;
    api.emu.hangup_by_callee(&b);
    let ended = api.rx.wait_event(&b, "conference.ended").await;
    assert_eq!(ended.payload()["reason"], "host_left");
    api.wait_hangup(&a).await;
    api.wait_hangup(&c).await;
    api.rx.wait_event(&c, "conference.participant.left").await;
    let conf = api.get(&format!("/conferences/{id}")).await;
    assert_eq!(conf.data()["ended_by"]["call_control_id"], b.as_str());

    let (d, e) = (answered(&api).await, answered(&api).await);
    let id = create(&api, &d, json!({})).await;
    join(&api, &id, &e, json!({"soft_end_conference_on_exit": true})).await;
    act(&api, &id, "leave", json!({"call_control_id": e})).await;
    let ended = api.rx.wait_event(&e, "conference.ended").await;
    assert_eq!(ended.payload()["reason"], "host_left");
    api.rx.wait_event(&d, "conference.participant.left").await;
    assert_eq!(
        api.get(&format!("/calls/{d}")).await.data()["is_alive"],
        true
    );
}

#[tokio::test]
async fn end_action_hangs_up_every_participant() {
    let api = Api::new().await;
    let (a, b) = (answered(&api).await, answered(&api).await);
    let id = create(&api, &a, json!({})).await;
    join(&api, &id, &b, json!({})).await;
    assert_eq!(act(&api, &id, "end", json!({})).await.status, 200);
    api.wait_hangup(&a).await;
    api.wait_hangup(&b).await;
    let c = api.get(&format!("/conferences/{id}")).await;
    assert_eq!(c.data()["status"], "completed");
}

#[tokio::test]
async fn errors_in_telnyx_envelope() {
    let api = Api::new().await;
    let a = answered(&api).await;
    let nobody = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        api.get(&format!("/conferences/{nobody}")).await.code(),
        "10005"
    );
    assert_eq!(act(&api, nobody, "mute", json!({})).await.code(), "10005");
    let r = api
        .post("/conferences", json!({"call_control_id": a}))
        .await;
    assert_eq!((r.status, r.code(), r.pointer()), (422, "10004", "/name"));
    let r = api
        .post(
            "/conferences",
            json!({"call_control_id": "v3:nope", "name": "x"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "90015"));
    let ringing = api.dial("+13125550103", json!({})).await;
    let r = api
        .post(
            "/conferences",
            json!({"call_control_id": ringing, "name": "x"}),
        )
        .await;
    assert_eq!(r.code(), "90034");
    let gone = answered(&api).await;
    api.action(&gone, "hangup", json!({})).await;
    let r = api
        .post(
            "/conferences",
            json!({"call_control_id": gone, "name": "x"}),
        )
        .await;
    assert_eq!(r.code(), "90018");

    let id = create(&api, &a, json!({})).await;
    let r = act(&api, &id, "join", json!({"call_control_id": a})).await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10015", "/call_control_id")
    );
    let r = act(&api, &id, "hold", json!({})).await;
    assert_eq!((r.code(), r.pointer()), ("10004", "/call_control_ids"));
    let r = act(&api, &id, "mute", json!({"call_control_ids": [ringing]})).await;
    assert_eq!((r.status, r.pointer()), (422, "/call_control_ids"));
    let r = act(&api, &id, "mute", json!({"call_control_ids": "x"})).await;
    assert_eq!(r.code(), "10015");
    assert_eq!(act(&api, &id, "dance", json!({})).await.status, 404);
    let r = api
        .post(
            "/conferences",
            json!({"call_control_id": a, "name": "x", "beep_enabled": "loud"}),
        )
        .await;
    assert_eq!(r.code(), "10032");
}

/// A page in a conference with a customer: it hears the customer while nobody is muted or
/// held; muted, its real audio stops reaching the conference though it keeps sending; on
/// hold it gets the hold audio.
#[tokio::test]
async fn a_browser_participant_hears_and_is_heard_per_the_matrix() {
    let api = Api::with(|c| c.time_scale = 1.0).await;
    let v = Verto::connect(&api.emu.verto_url()).await;
    let page = answered_call(&api, &v).await;
    page.peer.set_tone(true);
    let cust = api.dial("+13125550100", json!({})).await;
    api.rx.wait_event(&cust, "call.answered").await;
    let id = create(&api, &page.ccid, json!({})).await;
    join(&api, &id, &cust, json!({})).await;

    media_until(&api, &page.ccid, "voice to the page", |m| {
        m["sending"] == "voice"
    })
    .await;
    let m0 = media(&api, &cust).await;
    media_until(&api, &cust, "the customer hears the page", |m| {
        n(m, "voiced_ms") >= n(&m0, "voiced_ms") + 400
    })
    .await;

    act(&api, &id, "mute", json!({"call_control_ids": [page.ccid]})).await;
    assert!(hears(&api, &id, &cust).await.is_empty());
    let passed = |a: &Value| {
        n(
            &a["participants"][0]["media"]["passed_on"],
            "packets_received",
        )
    };
    let received = |a: &Value| {
        n(
            &a["participants"][0]["media"]["received"],
            "packets_received",
        )
    };
    let a0 = audio(&api, &id).await;
    let a1 = eventually_audio(&api, &id, |a| received(a) >= received(&a0) + 25).await;
    assert_eq!(
        passed(&a1),
        passed(&a0),
        "muted: nothing passed on: {a0} -> {a1}"
    );
    act(&api, &id, "unmute", json!({})).await;
    eventually_audio(&api, &id, |a| passed(a) >= passed(&a1) + 25).await;

    let hold = json!({"call_control_ids": [page.ccid], "audio_url": api.emu.hold_music_url()});
    act(&api, &id, "hold", hold).await;
    media_until(&api, &page.ccid, "hold audio", |m| {
        m["sending"] == "hold_music"
    })
    .await;
    act(
        &api,
        &id,
        "unhold",
        json!({"call_control_ids": [page.ccid]}),
    )
    .await;
    media_until(&api, &page.ccid, "voice again", |m| m["sending"] == "voice").await;
    page.stop.store(true, Ordering::SeqCst);
}

async fn eventually_audio(api: &Api, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let a = audio(api, id).await;
        if f(&a) {
            return a;
        }
        assert!(std::time::Instant::now() < deadline, "timed out: {a}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
