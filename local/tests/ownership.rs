//! Issue 17: only the agent who placed a call, or an admin, controls it, hangs it up or edits
//! its notes; every other agent gets 403 `not_call_owner` on every such route, reading stays
//! open, and every act (allowed or refused) is in the audit trail with actor, call and address.

mod common;

use serde_json::{Value, json};

async fn send(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http
        .request(method.parse().unwrap(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn another_agent_is_refused_every_control_and_edit_of_a_call() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let (agent_a, admin) = common::demo_tokens(&stack.url).await;
    let url = |p: &str| format!("{}{p}", stack.url);
    let (status, created) = send(
        &http,
        "POST",
        &url("/api/users"),
        &admin,
        Some(json!({"email": "b@dialer.local", "name": "Agent B", "password": "agent b password"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let agent_b = common::token(&stack.url, "b@dialer.local", "agent b password").await;

    let (status, placed) = send(
        &http,
        "POST",
        &url("/api/telnyx/dial"),
        &agent_a,
        Some(json!({"to_number": "+1 212 555 0100", "from_number": "+1 312 555 0201"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["call_id"].as_str().unwrap().to_string();

    let controls: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", format!("/api/calls/{id}/mute"), None),
        ("POST", format!("/api/calls/{id}/unmute"), None),
        ("POST", format!("/api/calls/{id}/hold"), None),
        ("POST", format!("/api/calls/{id}/resume"), None),
        (
            "POST",
            format!("/api/calls/{id}/speaker"),
            Some(json!({"on": true})),
        ),
        (
            "POST",
            format!("/api/calls/{id}/dtmf"),
            Some(json!({"digits": "1"})),
        ),
        ("POST", format!("/api/calls/{id}/recording/start"), None),
        ("POST", format!("/api/calls/{id}/recording/stop"), None),
        ("POST", format!("/api/telnyx/hangup/{id}"), None),
        (
            "PATCH",
            format!("/api/calls/{id}"),
            Some(json!({"notes": "mine now"})),
        ),
    ];
    // Every route that acts on a call is in the table: a new one cannot be left unguarded.
    let acting: Vec<_> = local::routes()
        .into_iter()
        .filter(|r| {
            r.path.contains("{call_id}")
                && r.method != "GET"
                && !r.path.starts_with("/api/call-status")
        })
        .map(|r| format!("{} {}", r.method, r.path.replace("{call_id}", &id)))
        .collect();
    for route in &acting {
        assert!(
            controls
                .iter()
                .any(|(m, p, _)| format!("{m} {p}") == *route),
            "{route} acts on a call but is not in this table"
        );
    }
    for (method, path, body) in &controls {
        let (status, answer) = send(&http, method, &url(path), &agent_b, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (403, Some("not_call_owner")),
            "agent B: {method} {path}: {answer}"
        );
    }
    // Nothing changed: the notes are not B's, and the call is still up.
    let (status, call) = send(
        &http,
        "GET",
        &url(&format!("/api/calls/{id}")),
        &agent_b,
        None,
    )
    .await;
    assert_eq!(status, 200, "reading the team's calls stays open: {call}");
    assert_ne!(call["notes"], "mine now");
    let (status, list) = send(&http, "GET", &url("/api/calls"), &agent_b, None).await;
    assert_eq!(status, 200, "{list}");

    // The owner and an admin may.
    let (status, answer) = send(
        &http,
        "PATCH",
        &url(&format!("/api/calls/{id}")),
        &agent_a,
        Some(json!({"notes": "A's notes"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(
        &http,
        "PATCH",
        &url(&format!("/api/calls/{id}")),
        &admin,
        Some(json!({"tags": ["reviewed"]})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(
        &http,
        "POST",
        &url(&format!("/api/telnyx/hangup/{id}")),
        &agent_a,
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");

    let (status, audit) = send(&http, "GET", &url("/api/audit?limit=100"), &admin, None).await;
    assert_eq!(status, 200);
    let entries = audit.as_array().unwrap();
    let b_id = created["id"].as_str().unwrap();
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "call_action_refused")
        .collect();
    assert_eq!(refused.len(), controls.len(), "{audit}");
    for e in &refused {
        assert_eq!(e["actor"], b_id);
        assert!(e["detail"].as_str().unwrap().starts_with(&id), "{e}");
        assert!(e["ip"].is_string(), "{e}");
    }
    for action in ["call_annotate", "call_hangup"] {
        let e = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {audit}"));
        assert_eq!(e["detail"], format!("{id}: ok"));
        assert!(e["ip"].is_string(), "{e}");
    }
}
