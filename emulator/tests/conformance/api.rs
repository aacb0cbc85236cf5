use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn requests_without_a_valid_bearer_key_get_401_10009() {
    let api = Api::new().await;
    let url = format!("{}/calls", api.emu.base_url());
    let body = api.dial_body("+13125550100", json!({}));
    for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let mut req = api.http.post(&url).json(&body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["errors"][0]["code"], "10009");
    }
    let r = api
        .http
        .get(format!("{}/phone_numbers", api.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(api.emu.calls().is_empty(), "no call may be created");
}

#[tokio::test]
async fn dial_validation_errors_carry_telnyx_codes_and_pointers() {
    let api = Api::new().await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"connection_id": null}),
            422,
            "10004",
            "/connection_id",
        ),
        (json!({"to": ""}), 422, "10004", "/to"),
        (json!({"from": null}), 422, "10004", "/from"),
        (
            json!({"connection_id": "999"}),
            422,
            "10015",
            "/connection_id",
        ),
        (json!({"to": "3125550100"}), 422, "10016", "/to"),
        (json!({"to": "+1 312 555 0100"}), 422, "10016", "/to"),
        (json!({"from": "12"}), 422, "10016", "/from"),
        (
            json!({"client_state": "not base64!"}),
            422,
            "10015",
            "/client_state",
        ),
        (json!({"timeout_secs": 3}), 422, "10033", "/timeout_secs"),
        (
            json!({"time_limit_secs": 20000}),
            422,
            "10033",
            "/time_limit_secs",
        ),
        (
            json!({"record_format": "ogg"}),
            422,
            "10032",
            "/record_format",
        ),
        (
            json!({"record_channels": "triple"}),
            422,
            "10032",
            "/record_channels",
        ),
        (
            json!({"answering_machine_detection": "maybe"}),
            422,
            "10032",
            "/answering_machine_detection",
        ),
        (
            json!({"media_encryption": "SRTP"}),
            422,
            "10011",
            "/media_encryption",
        ),
        (json!({"bridge_on_answer": true}), 422, "10004", "/link_to"),
        (json!({"link_to": "v3:nope"}), 422, "90015", "/link_to"),
    ];
    for (extra, status, code, pointer) in cases {
        let mut body = api.dial_body("+13125550100", json!({}));
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let r = api.post("/calls", body).await;
        assert_eq!(r.status, status, "{extra}: {}", r.json);
        assert_eq!(r.code(), code, "{extra}: {}", r.json);
        assert_eq!(r.pointer(), pointer, "{extra}: {}", r.json);
        assert!(r.json["errors"][0]["title"].is_string());
    }
    let r = api
        .http
        .post(format!("{}/calls", api.emu.base_url()))
        .bearer_auth(&api.emu.config().api_key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(api.emu.calls().is_empty(), "rejected dials create nothing");
}

#[tokio::test]
async fn dial_without_any_webhook_url_is_refused() {
    let api = Api::new().await;
    let mut body = api.dial_body("+13125550100", json!({}));
    body.as_object_mut().unwrap().remove("webhook_url");
    let r = api.post("/calls", body).await;
    assert_eq!((r.status, r.code()), (422, "10015"));
}

#[tokio::test]
async fn dial_response_has_the_documented_shape() {
    let api = Api::new().await;
    let r = api
        .post(
            "/calls",
            api.dial_body(
                "+13125550108",
                json!({"client_state": "eyJhIjoxfQ==", "record": "record-from-answer"}),
            ),
        )
        .await;
    assert_eq!(r.status, 200);
    let d = r.data();
    let ccid = d["call_control_id"].as_str().unwrap();
    assert!(ccid.starts_with("v3:") && ccid.len() > 40, "{ccid}");
    for k in ["call_leg_id", "call_session_id", "recording_id"] {
        uuid::Uuid::parse_str(d[k].as_str().unwrap()).unwrap();
    }
    assert_eq!(d["is_alive"], false);
    assert_eq!(d["record_type"], "call");
    assert_eq!(d["client_state"], "eyJhIjoxfQ==");

    let r = api
        .post("/calls", api.dial_body("+13125550108", json!({})))
        .await;
    assert!(r.data().get("recording_id").is_none(), "{}", r.json);
    assert_ne!(r.data()["call_control_id"], json!(ccid));
}

#[tokio::test]
async fn dial_command_id_is_deduplicated() {
    let api = Api::new().await;
    let body = api.dial_body("+13125550108", json!({"command_id": "cmd-1"}));
    let a = api.post("/calls", body.clone()).await;
    let b = api.post("/calls", body).await;
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.data(), b.data());
    assert_eq!(api.emu.calls().len(), 1);
    let c = api
        .post(
            "/calls",
            api.dial_body("+13125550108", json!({"command_id": "cmd-2"})),
        )
        .await;
    assert_ne!(c.data()["call_control_id"], a.data()["call_control_id"]);
    assert_eq!(api.emu.calls().len(), 2);
}

#[tokio::test]
async fn status_read_commands_and_their_errors() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550108", json!({})).await;
    let r = api.get(&format!("/calls/{ccid}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["is_alive"], true);
    assert_eq!(r.data()["record_type"], "call");

    // Unknown call id, unknown action.
    let r = api.action("v3:unknown", "hangup", json!({})).await;
    assert_eq!((r.status, r.code()), (422, "90015"));
    let r = api.get("/calls/v3:unknown").await;
    assert_eq!((r.status, r.code()), (422, "90015"));
    let r = api.action(&ccid, "mute", json!({})).await;
    assert_eq!((r.status, r.code()), (404, "10005"));

    // DTMF needs digits, and an answered call.
    let r = api.action(&ccid, "send_dtmf", json!({})).await;
    assert_eq!((r.status, r.code(), r.pointer()), (422, "10004", "/digits"));
    api.rx.wait_event(&ccid, "call.answered").await;
    let r = api
        .action(&ccid, "send_dtmf", json!({"digits": "12#"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, json!({"data": {"result": "ok"}}));

    // Hang up with a command_id; a repeat is acknowledged, a fresh one hits a dead call.
    let r = api
        .action(
            &ccid,
            "hangup",
            json!({"command_id": "h1", "client_state": "Ynll"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = api
        .action(&ccid, "hangup", json!({"command_id": "h1"}))
        .await;
    assert_eq!(r.status, 200, "duplicate command_id is ignored: {}", r.json);
    let r = api
        .action(&ccid, "hangup", json!({"command_id": "h2"}))
        .await;
    assert_eq!((r.status, r.code()), (422, "90018"));
    let hangup = api.wait_hangup(&ccid).await;
    assert_eq!(
        hangup.payload()["client_state"],
        "Ynll",
        "latest client_state"
    );
    assert_eq!(
        api.rx
            .types(&ccid)
            .iter()
            .filter(|t| *t == "call.hangup")
            .count(),
        1
    );
    let r = api.get(&format!("/calls/{ccid}")).await;
    assert_eq!(r.data()["is_alive"], false);
    assert!(r.data()["end_time"].is_string());
}

#[tokio::test]
async fn media_commands_before_answer_get_90034() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550103", json!({"timeout_secs": 600})).await;
    for (action, body) in [
        ("send_dtmf", json!({"digits": "1"})),
        (
            "record_start",
            json!({"format": "wav", "channels": "single"}),
        ),
        (
            "playback_start",
            json!({"audio_url": "https://example.com/a.mp3"}),
        ),
        ("speak", json!({"payload": "hi", "voice": "female"})),
    ] {
        let r = api.action(&ccid, action, body).await;
        assert_eq!((r.status, r.code()), (422, "90034"), "{action}");
    }
    let r = api.action(&ccid, "hangup", json!({})).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn dial_rate_limit_returns_429_90103_with_headers() {
    let api = Api::with(|c| {
        c.dial_rate_limit_per_sec = 2;
        c.dial_rate_window = Duration::from_secs(2);
    })
    .await;
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..5 {
        let r = api
            .post("/calls", api.dial_body("+13125550108", json!({})))
            .await;
        statuses.push(r.status);
        last = Some(r);
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 429]);
    let r = last.unwrap();
    assert_eq!(r.code(), "90103");
    assert_eq!(r.headers["x-ratelimit-limit"], "4");
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    assert!(r.headers.contains_key("x-ratelimit-reset"));
    assert_eq!(api.emu.calls().len(), 4);
}

#[tokio::test]
async fn requests_are_recorded_without_the_api_key() {
    let api = Api::new().await;
    let ccid = api
        .dial("+13125550108", json!({"command_id": "rec-1"}))
        .await;
    let reqs = api.emu.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/v2/calls");
    assert_eq!(reqs[0].status, 200);
    assert_eq!(reqs[0].body["command_id"], "rec-1");
    assert!(!reqs[0].headers.contains_key("authorization"));
    // Same data over HTTP.
    let j: Value = api
        .http
        .get(format!("{}/emulator/requests", api.emu.root_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j[0]["body"]["to"], "+13125550108");
    api.action(&ccid, "hangup", json!({})).await;
    api.emu.reset();
    assert!(api.emu.requests().is_empty());
}

/// `(code, pointer)` of every entry of an error answer, in order.
fn entries(r: &Resp) -> Vec<(&str, &str)> {
    let Some(errors) = r.json["errors"].as_array() else {
        return vec![];
    };
    errors
        .iter()
        .map(|e| {
            let code = e["code"].as_str().unwrap_or_default();
            (code, e["source"]["pointer"].as_str().unwrap_or_default())
        })
        .collect()
}

type Entries = Vec<(&'static str, &'static str)>;

#[tokio::test]
async fn dial_fields_of_the_wrong_type_get_422_at_their_pointer() {
    let api = Api::new().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"connection_id": 17}), "10015", "/connection_id"),
        (json!({"to": {"number": "+13125550100"}}), "10015", "/to"),
        (json!({"timeout_secs": "soon"}), "10015", "/timeout_secs"),
        (json!({"timeout_secs": 7.5}), "10015", "/timeout_secs"),
        (
            json!({"retry_on_timeout": "yes"}),
            "10015",
            "/retry_on_timeout",
        ),
        (json!({"record": 1}), "10032", "/record"),
        (
            json!({"webhook_urls": "https://x.test/h"}),
            "10015",
            "/webhook_urls",
        ),
        (
            json!({"custom_headers": {"name": "a"}}),
            "10015",
            "/custom_headers",
        ),
        (json!({"link_to": ["v3:x"]}), "10015", "/link_to"),
    ];
    for (extra, code, pointer) in cases {
        let r = api
            .post("/calls", api.dial_body("+13125550100", extra.clone()))
            .await;
        assert_eq!(r.status, 422, "{extra}: {}", r.json);
        assert_eq!(entries(&r), [(code, pointer)], "{extra}");
    }
    assert!(api.emu.calls().is_empty(), "rejected dials create nothing");
}

#[tokio::test]
async fn dial_lists_every_bad_field_and_ignores_unknown_ones() {
    let api = Api::new().await;
    let bad = json!({"to": "555", "timeout_secs": 3, "record_format": "ogg", "from": null});
    let mut body = api.dial_body("+13125550100", json!({}));
    for (k, v) in bad.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = api.post("/calls", body).await;
    assert_eq!(r.status, 422);
    let want = [
        ("10016", "/to"),
        ("10004", "/from"),
        ("10033", "/timeout_secs"),
        ("10032", "/record_format"),
    ];
    assert_eq!(entries(&r), want, "{}", r.json);

    let future = json!({"some_future_option": {"nested": [1, 2]}, "sip_region": "Mars"});
    let r = api
        .post("/calls", api.dial_body("+13125550108", future))
        .await;
    assert_eq!(r.status, 200, "unknown fields are ignored: {}", r.json);
}

#[tokio::test]
async fn command_fields_of_the_wrong_type_get_422_at_their_pointer() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550108", json!({})).await;
    api.rx.wait_event(&ccid, "call.answered").await;
    let cases: Vec<(&str, Value, Entries)> = vec![
        (
            "send_dtmf",
            json!({"digits": 5}),
            vec![("10015", "/digits")],
        ),
        (
            "record_start",
            json!({}),
            vec![("10004", "/format"), ("10004", "/channels")],
        ),
        (
            "playback_start",
            json!({"audio_url": "https://x.test/a.mp3", "loop": "forever"}),
            vec![("10015", "/loop")],
        ),
        (
            "speak",
            json!({"payload": ["hi"], "voice": "female"}),
            vec![("10015", "/payload")],
        ),
        (
            "hangup",
            json!({"command_id": 3}),
            vec![("10015", "/command_id")],
        ),
        (
            "bridge",
            json!({"call_control_id": "", "client_state": "%%"}),
            vec![("10015", "/client_state")],
        ),
    ];
    for (action, body, want) in cases {
        let r = api.action(&ccid, action, body.clone()).await;
        assert_eq!(r.status, 422, "{action} {body}: {}", r.json);
        assert_eq!(entries(&r), want, "{action} {body}");
    }
    assert!(api.emu.call(&ccid).unwrap().state == emulator::CallState::Answered);
}

#[tokio::test]
async fn client_state_update_requires_a_base64_state_and_sets_it() {
    let api = Api::new().await;
    let ccid = api.dial("+13125550108", json!({})).await;
    let path = format!("/calls/{ccid}/actions/client_state_update");
    let r = api.send("PUT", &path, Some(json!({}))).await;
    assert_eq!(entries(&r), [("10004", "/client_state")], "{}", r.json);
    let r = api
        .send("PUT", &path, Some(json!({"client_state": "not base64!"})))
        .await;
    assert_eq!(entries(&r), [("10015", "/client_state")], "{}", r.json);
    let r = api
        .send("PUT", &path, Some(json!({"client_state": "eyJ4IjoxfQ=="})))
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    api.action(&ccid, "hangup", json!({})).await;
    let hangup = api.wait_hangup(&ccid).await;
    assert_eq!(hangup.payload()["client_state"], "eyJ4IjoxfQ==");
}
