//! Recordings, playback, speak, bridge, transfer, call.cost.

use std::time::Duration;

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn record_from_answer_saves_after_hangup_and_url_expires() {
    let api = Api::with(|c| c.recording_url_ttl = Duration::from_secs(1)).await;
    let r = api
        .post(
            "/calls",
            api.dial_body(
                "+13125550108",
                json!({"record": "record-from-answer", "record_format": "wav",
                       "record_channels": "single"}),
            ),
        )
        .await;
    let ccid = r.data()["call_control_id"].as_str().unwrap().to_string();
    let rec_id = r.data()["recording_id"].as_str().unwrap().to_string();
    api.rx.wait_event(&ccid, "call.answered").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    api.action(&ccid, "hangup", json!({})).await;
    let saved = api.rx.wait_event(&ccid, "call.recording.saved").await;
    let types = api.rx.types(&ccid);
    assert_eq!(
        types,
        vec![
            "call.initiated",
            "call.answered",
            "call.hangup",
            "call.recording.saved"
        ]
    );
    let p = saved.payload();
    assert_eq!(p["recording_id"], rec_id.as_str());
    assert_eq!(p["format"], "wav");
    assert_eq!(p["channels"], "single");
    assert!(p["recording_urls"].get("mp3").is_none());
    let url = p["recording_urls"]["wav"].as_str().unwrap().to_string();
    assert!(url.starts_with(&api.emu.root_url()), "{url}");
    assert!(url.contains("X-Amz-Expires=1"), "{url}");

    let dl = api.http.get(&url).send().await.unwrap();
    assert_eq!(dl.status(), 200);
    assert_eq!(dl.headers()["content-type"], "audio/wav");
    let bytes = dl.bytes().await.unwrap();
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let data_len = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as u64;
    let ms = data_len * 1000 / (8000 * 2);
    let want = p["duration_millis"].as_u64().unwrap();
    assert!(want >= 350, "recorded time ~400 ms, got {want}");
    assert!(
        ms.abs_diff(want) <= 1,
        "audio {ms} ms vs recording {want} ms"
    );

    // A pre-signed URL must be fetched without Authorization, like S3.
    let r = api.http.get(&url).bearer_auth("x").send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Tampering breaks the signature.
    let r = api
        .http
        .get(url.replace("X-Emulator-Expires-At=", "X-Emulator-Expires-At=9"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let client = api.http.clone();
    let u = url.clone();
    let mut status = 0;
    for _ in 0..300 {
        status = client.get(&u).send().await.unwrap().status().as_u16();
        if status == 403 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 403, "link expires");

    // The API mints a fresh link.
    let r = api.get(&format!("/recordings/{rec_id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["record_type"], "recording");
    assert_eq!(r.data()["call_control_id"], ccid.as_str());
    assert_eq!(r.data()["duration_millis"], want);
    let fresh = r.data()["download_urls"]["wav"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fresh, url);
    assert_eq!(api.http.get(&fresh).send().await.unwrap().status(), 200);

    let r = api
        .get(&format!("/recordings?filter[call_control_id]={ccid}"))
        .await;
    assert_eq!(r.json["meta"]["total_results"], 1);

    let r = api
        .send("DELETE", &format!("/recordings/{rec_id}"), None)
        .await;
    assert_eq!(r.status, 200);
    let r = api.get(&format!("/recordings/{rec_id}")).await;
    assert_eq!((r.status, r.code()), (404, "10005"));
    assert_eq!(api.http.get(&fresh).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn record_start_stop_pause_resume_mp3() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&ccid, "call.answered").await;
    let r = api
        .action(&ccid, "record_start", json!({"format": "mp3"}))
        .await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/channels")
    );
    let r = api
        .action(&ccid, "record_start", json!({"channels": "dual"}))
        .await;
    assert_eq!((r.status, r.code(), r.pointer()), (422, "10004", "/format"));
    let r = api
        .action(
            &ccid,
            "record_start",
            json!({"format": "flac", "channels": "dual"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "10032"));
    let r = api
        .action(
            &ccid,
            "record_start",
            json!({"format": "mp3", "channels": "dual"}),
        )
        .await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        api.action(&ccid, "record_pause", json!({})).await.status,
        200
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        api.action(&ccid, "record_resume", json!({})).await.status,
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        api.action(&ccid, "record_stop", json!({})).await.status,
        200
    );
    let saved = api.rx.wait_event(&ccid, "call.recording.saved").await;
    let dur = saved.payload()["duration_millis"].as_u64().unwrap();
    assert!((350..700).contains(&dur), "paused time excluded: {dur}");
    let url = saved.payload()["recording_urls"]["mp3"].as_str().unwrap();
    let dl = api.http.get(url).send().await.unwrap();
    assert_eq!(dl.headers()["content-type"], "audio/mpeg");
    let bytes = dl.bytes().await.unwrap();
    assert_eq!(bytes.len() % 144, 0);
    assert!(bytes.chunks(144).all(|f| f[0] == 0xFF && f[1] == 0xFB));
    let audio_ms = (bytes.len() / 144) as u64 * 36;
    assert!(
        audio_ms >= dur && audio_ms < dur + 36,
        "{audio_ms} vs {dur}"
    );
    // The call is still up; hangup sends no second recording.
    api.action(&ccid, "hangup", json!({})).await;
    api.wait_hangup(&ccid).await;
    assert_eq!(
        api.rx.types(&ccid),
        vec![
            "call.initiated",
            "call.answered",
            "call.recording.saved",
            "call.hangup"
        ]
    );
}

#[tokio::test]
async fn playback_and_speak_events() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&ccid, "call.answered").await;
    let r = api.action(&ccid, "playback_start", json!({})).await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/audio_url")
    );
    let r = api
        .action(&ccid, "playback_start", json!({"audio_url": "say:hello"}))
        .await;
    assert_eq!(r.status, 422);
    let r = api
        .action(
            &ccid,
            "playback_start",
            json!({"audio_url": "https://x.test/a.mp3"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let ended = api.rx.wait_event(&ccid, "call.playback.ended").await;
    assert_eq!(ended.payload()["status"], "completed");
    assert_eq!(ended.payload()["media_url"], "https://x.test/a.mp3");

    let r = api
        .action(&ccid, "speak", json!({"payload": "hello"}))
        .await;
    assert_eq!((r.status, r.code(), r.pointer()), (422, "10004", "/voice"));
    let r = api
        .action(
            &ccid,
            "speak",
            json!({"payload": "hello", "voice": "Telnyx.KokoroTTS.af"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let s = api.rx.wait_event(&ccid, "call.speak.ended").await;
    assert_eq!(s.payload()["status"], "completed");

    // A looping hold tone runs until stopped; hangup ends a running one with call_hangup.
    let hold = json!({"audio_url": "https://x.test/hold.mp3", "loop": "infinity"});
    assert_eq!(
        api.action(&ccid, "playback_start", hold.clone())
            .await
            .status,
        200
    );
    assert_eq!(
        api.action(&ccid, "playback_stop", json!({})).await.status,
        200
    );
    assert_eq!(api.action(&ccid, "playback_start", hold).await.status, 200);
    api.action(&ccid, "hangup", json!({})).await;
    api.wait_hangup(&ccid).await;
    let ends: Vec<String> = api
        .rx
        .for_call(&ccid)
        .iter()
        .filter(|h| h.event_type() == "call.playback.ended")
        .map(|h| h.payload()["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ends, vec!["completed", "cancelled", "call_hangup"]);
    assert_eq!(api.rx.types(&ccid).last().unwrap(), "call.hangup");
}

#[tokio::test]
async fn bridge_two_answered_legs_and_hang_up_together() {
    let api = Api::new().await;
    let a = api.dial("+13125550108", json!({})).await;
    let b = api.dial("+13125550100", json!({})).await;
    let r = api.action(&a, "bridge", json!({})).await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/call_control_id")
    );
    api.rx.wait_event(&a, "call.answered").await;
    api.rx.wait_event(&b, "call.answered").await;
    let r = api
        .action(&a, "bridge", json!({"call_control_id": "v3:zzz"}))
        .await;
    assert_eq!((r.status, r.code()), (422, "90015"));
    let r = api
        .action(&a, "bridge", json!({"call_control_id": b}))
        .await;
    assert_eq!(r.status, 200);
    api.rx.wait_event(&a, "call.bridged").await;
    api.rx.wait_event(&b, "call.bridged").await;
    assert!(api.emu.hangup_by_callee(&b));
    let h = api.wait_hangup(&a).await;
    assert_eq!(h.payload()["hangup_cause"], "normal_clearing");
}

#[tokio::test]
async fn transfer_creates_a_bridged_leg_in_the_same_session() {
    let api = Api::new().await;
    let a = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&a, "call.answered").await;
    let r = api.action(&a, "transfer", json!({})).await;
    assert_eq!((r.status, r.code(), r.pointer()), (422, "10004", "/to"));
    let r = api.action(&a, "transfer", json!({"to": "12"})).await;
    assert_eq!((r.status, r.code()), (422, "10016"));
    let r = api
        .action(&a, "transfer", json!({"to": "+13125550100"}))
        .await;
    assert_eq!(r.status, 200);
    api.rx.wait_event(&a, "call.bridged").await;
    let calls = api.emu.calls();
    assert_eq!(calls.len(), 2);
    let (orig, new) = (&calls[0], &calls[1]);
    assert_eq!(orig.call_session_id, new.call_session_id);
    assert_eq!(new.from, "+13125550108", "defaults to the original's to");
    api.rx
        .wait_event(&new.call_control_id, "call.bridged")
        .await;
}

#[tokio::test]
async fn link_to_and_bridge_on_answer() {
    let api = Api::new().await;
    let agent = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&agent, "call.answered").await;
    let r = api
        .post(
            "/calls",
            api.dial_body(
                "+13125550100",
                json!({"link_to": agent, "bridge_on_answer": true, "bridge_intent": true,
                       "from": "+13125550202"}),
            ),
        )
        .await;
    assert_eq!(r.status, 200);
    let customer = r.data()["call_control_id"].as_str().unwrap().to_string();
    let c = api.emu.call(&customer).unwrap();
    assert_eq!(
        c.call_session_id,
        api.emu.call(&agent).unwrap().call_session_id
    );
    assert_eq!(
        c.from, "+13125550201",
        "bridge_intent takes the linked call's from"
    );
    api.rx.wait_event(&customer, "call.bridged").await;
    api.rx.wait_event(&agent, "call.bridged").await;
}

#[tokio::test]
async fn call_cost_follows_hangup_when_enabled() {
    let api = Api::with(|c| c.call_cost_in_webhooks = true).await;
    let ccid = api.dial("+13125550101", json!({})).await;
    let cost = api.rx.wait_event(&ccid, "call.cost").await;
    assert_eq!(
        api.rx.types(&ccid),
        vec![
            "call.initiated",
            "call.answered",
            "call.hangup",
            "call.cost"
        ]
    );
    assert_eq!(cost.payload()["status"], "success");
    assert!(cost.payload()["total_cost"].is_string());
    assert_eq!(cost.payload()["cost_parts"][0]["currency"], "USD");
}

#[tokio::test]
async fn playback_of_an_unreachable_file_ends_with_file_not_found() {
    let api = Api::new().await;
    let ccid = api
        .dial("+13125550108", json!({"client_state": "aG9sZA=="}))
        .await;
    api.rx.wait_event(&ccid, "call.answered").await;
    let url = "https://hold-music.invalid/hold.mp3";
    let r = api
        .action(&ccid, "playback_start", json!({"audio_url": url}))
        .await;
    assert_eq!(
        r.status, 200,
        "the command is accepted; the fetch fails later"
    );
    let ended = api.rx.wait_event(&ccid, "call.playback.ended").await;
    let p = ended.payload();
    assert_eq!(p["status"], "file_not_found");
    assert!(p["status_detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(p["media_url"], url);
    assert_eq!(p["client_state"], "aG9sZA==");
    let started = api.rx.wait_event(&ccid, "call.playback.started").await;
    assert_eq!(started.payload()["media_url"], url);
    assert_eq!(
        api.emu.call(&ccid).unwrap().state,
        emulator::CallState::Answered,
        "a failed playback leaves the call up"
    );
}
