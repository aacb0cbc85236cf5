//! Who may call what, on the composed stack over HTTP. The route list comes from the routers
//! themselves (`local::routes()`), so a new route is covered the day it is added.

mod common;

use edge::auth::Access;
use local::DemoAccounts;
use serde_json::{Value, json};
use std::time::Duration;

/// The codes only the access layer answers with.
const LAYER_CODES: [&str; 5] = [
    "sign_in_required",
    "invalid_token",
    "session_expired",
    "account_disabled",
    "forbidden",
];

struct Answer {
    status: u16,
    code: String,
    body: Value,
    retry_after: Option<String>,
    challenge: Option<String>,
}

async fn send(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (retry_after, challenge) = (header("retry-after"), header("www-authenticate"));
    let body: Value = res.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        code: body["code"].as_str().unwrap_or_default().to_string(),
        body,
        retry_after,
        challenge,
    }
}

fn concrete(path: &str) -> String {
    path.replace("{call_id}", "01a2b3c4-0000-7000-8000-000000000009")
        .replace("{contact_id}", "nobody")
        .replace("{user_id}", "nobody")
}

#[tokio::test]
async fn every_route_needs_a_session_and_the_right_role() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let (agent, admin) = common::demo_tokens(&stack.url).await;
    let routes = local::routes();
    let with = |access: Access| -> Vec<String> {
        let mut v: Vec<String> = routes
            .iter()
            .filter(|r| r.access == access)
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        v.sort();
        v
    };
    // Pinned here so a change of who may call what is a visible decision, not a slip.
    assert_eq!(
        with(Access::Public),
        [
            "GET /api/health",
            "POST /api/auth/sign-in",
            "POST /api/webhooks/telnyx"
        ]
    );
    assert_eq!(
        with(Access::Role(domain::user::Role::Admin)),
        [
            "GET /api/audit",
            "GET /api/cost-estimate",
            "GET /api/numbers/available",
            "GET /api/users",
            "PATCH /api/users/{user_id}",
            "POST /api/numbers/orders",
            "POST /api/settings/test-webhook",
            "POST /api/users",
            "PUT /api/settings",
        ]
    );
    let mut checked = 0;
    for route in &routes {
        let url = format!("{}{}", stack.url, concrete(route.path));
        let body = (route.method != "GET" && route.method != "DELETE").then(|| json!({}));
        let what = format!("{} {}", route.method, route.path);
        // Signing out ends the session it is called with: give it its own.
        let fresh = |email: &'static str, password: &'static str| {
            let url = stack.url.clone();
            async move { common::token(&url, email, password).await }
        };
        let (agent_token, admin_token) = if route.path == "/api/auth/sign-out" {
            (
                fresh(DemoAccounts::AGENT_EMAIL, DemoAccounts::AGENT_PASSWORD).await,
                fresh(DemoAccounts::ADMIN_EMAIL, DemoAccounts::ADMIN_PASSWORD).await,
            )
        } else {
            (agent.clone(), admin.clone())
        };

        let anonymous = send(&http, route.method, &url, None, body.clone()).await;
        let garbage = send(&http, route.method, &url, Some("not.a.token"), body.clone()).await;
        let as_agent = send(&http, route.method, &url, Some(&agent_token), body.clone()).await;
        let as_admin = send(&http, route.method, &url, Some(&admin_token), body.clone()).await;
        for a in [&anonymous, &garbage, &as_agent, &as_admin] {
            assert!(a.status < 500, "{what}: {} {}", a.status, a.body);
        }
        let passes = |a: &Answer| !LAYER_CODES.contains(&a.code.as_str());
        match route.access {
            Access::Public => {
                assert!(passes(&anonymous), "{what} is public: {}", anonymous.body);
            }
            Access::Role(role) => {
                assert_eq!(
                    (anonymous.status, anonymous.code.as_str()),
                    (401, "sign_in_required"),
                    "{what} without a session"
                );
                assert_eq!(
                    (garbage.status, garbage.code.as_str()),
                    (401, "invalid_token"),
                    "{what} with a garbage token"
                );
                assert_eq!(anonymous.challenge.as_deref(), Some("Bearer"));
                assert_eq!(
                    garbage.challenge.as_deref(),
                    Some("Bearer error=\"invalid_token\"")
                );
                if role == domain::user::Role::Admin {
                    assert_eq!(
                        (as_agent.status, as_agent.code.as_str()),
                        (403, "forbidden"),
                        "{what} as an agent"
                    );
                } else {
                    assert!(passes(&as_agent), "{what} as an agent: {}", as_agent.body);
                }
                assert!(passes(&as_admin), "{what} as an admin: {}", as_admin.body);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, routes.len());
}

#[tokio::test]
async fn signed_out_tampered_and_disabled_sessions_are_refused() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let me = format!("{}/api/auth/me", stack.url);
    let agent = || {
        common::token(
            &stack.url,
            DemoAccounts::AGENT_EMAIL,
            DemoAccounts::AGENT_PASSWORD,
        )
    };
    let (first, second) = (agent().await, agent().await);
    let who = send(&http, "GET", &me, Some(&first), None).await;
    assert_eq!(who.status, 200);
    assert_eq!(who.body["role"], "agent");

    // A changed character anywhere in the token breaks its signature.
    let mut tampered = first.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let refused = send(&http, "GET", &me, Some(&tampered), None).await;
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (401, "invalid_token")
    );

    let out = send(
        &http,
        "POST",
        &format!("{}/api/auth/sign-out", stack.url),
        Some(&first),
        None,
    )
    .await;
    assert_eq!(out.status, 204);
    let after = send(&http, "GET", &me, Some(&first), None).await;
    assert_eq!(
        (after.status, after.code.as_str()),
        (401, "session_expired")
    );
    assert_eq!(
        send(&http, "GET", &me, Some(&second), None).await.status,
        200,
        "other sessions live on"
    );

    // Disabling a user ends every session they hold, at once.
    let admin = common::admin(&stack.url).await;
    let agent_id = who.body["id"].as_str().unwrap();
    let disabled = admin
        .patch(format!("{}/api/users/{agent_id}", stack.url))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let locked = send(&http, "GET", &me, Some(&second), None).await;
    assert_eq!(
        (locked.status, locked.code.as_str()),
        (401, "account_disabled")
    );
    let again = send(
        &http,
        "POST",
        &format!("{}/api/auth/sign-in", stack.url),
        None,
        Some(json!({"email": DemoAccounts::AGENT_EMAIL, "password": DemoAccounts::AGENT_PASSWORD})),
    )
    .await;
    assert_eq!(
        (again.status, again.code.as_str()),
        (401, "invalid_credentials")
    );
}

/// Counters are fixed windows of wall-clock time and this stack's clock is the real one: the
/// first `limit` attempts fit in one window, and of `2 × limit + 1` attempts at least one window
/// holds more than `limit`, wherever a window boundary falls.
fn check_burst(statuses: &[u16], limit: usize, allowed: u16) {
    assert!(
        statuses[..limit].iter().all(|s| *s == allowed),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn password_guessing_hits_429_with_retry_after() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/auth/sign-in", stack.url);
    let limit = auth::SIGN_IN_PER_EMAIL as usize;
    let mut statuses = Vec::new();
    for i in 0..2 * limit + 1 {
        let guess =
            json!({"email": DemoAccounts::ADMIN_EMAIL, "password": format!("guess-number-{i}")});
        let a = send(&http, "POST", &url, None, Some(guess)).await;
        if a.status == 429 {
            assert_eq!(a.code, "too_many_attempts");
            let secs: u64 = a.retry_after.expect("Retry-After").parse().unwrap();
            assert!((1..=auth::SIGN_IN_WINDOW_SECS).contains(&secs), "{secs}");
        } else {
            assert_eq!(a.code, "invalid_credentials");
        }
        statuses.push(a.status);
    }
    check_burst(&statuses, limit, 401);
}

fn dial_body(to: &str) -> Value {
    json!({"to_number": to, "from_number": "+1 312 555 0201"})
}

#[tokio::test]
async fn the_dial_policy_refuses_in_plain_words_keeps_an_audit_and_limits_each_user() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let (agent, admin) = common::demo_tokens(&stack.url).await;
    let dial_url = format!("{}/api/telnyx/dial", stack.url);
    let dial = |token: String, to: &'static str| {
        let (http, dial_url) = (http.clone(), dial_url.clone());
        async move { send(&http, "POST", &dial_url, Some(&token), Some(dial_body(to))).await }
    };

    let premium = dial(agent.clone(), "+1 900 555 0100").await;
    assert_eq!(
        (premium.status, premium.code.as_str()),
        (403, "destination_blocked")
    );
    let detail = premium.body["detail"].as_str().unwrap();
    assert!(detail.contains("premium-rate"), "{detail}");
    let uk = dial(agent.clone(), "+44 20 7946 0018").await;
    assert_eq!(
        (uk.status, uk.code.as_str()),
        (403, "destination_country_not_allowed")
    );
    assert!(
        uk.body["detail"].as_str().unwrap().contains("GB"),
        "{}",
        uk.body
    );

    // An admin allows GB; the premium range stays blocked whatever is allowed.
    let settings = format!("{}/api/settings", stack.url);
    let allow = json!({"dial_policy": {"extra_countries": ["GB"], "max_concurrent_calls": 1}});
    let by_agent = send(&http, "PUT", &settings, Some(&agent), Some(allow.clone())).await;
    assert_eq!(
        (by_agent.status, by_agent.code.as_str()),
        (403, "forbidden")
    );
    let saved = send(&http, "PUT", &settings, Some(&admin), Some(allow)).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["dial_policy"]["extra_countries"], json!(["GB"]));
    let uk = dial(agent.clone(), "+44 20 7946 0018").await;
    assert_eq!(uk.status, 201, "{}", uk.body);
    assert_eq!(
        dial(agent.clone(), "+1 900 555 0100").await.code,
        "destination_blocked"
    );

    // One call at a time now: the UK call is still up, so a second is refused for this agent
    // only; the admin's own allowance is untouched.
    let second = dial(agent.clone(), "+1 212 555 0100").await;
    assert_eq!(
        (second.status, second.code.as_str()),
        (403, "too_many_concurrent_calls")
    );
    assert!(
        second.body["detail"]
            .as_str()
            .unwrap()
            .contains("in progress")
    );
    let admins = dial(admin.clone(), "+1 212 555 0108").await;
    assert_eq!(admins.status, 201, "{}", admins.body);

    // Once the agent's call ends, they may dial again.
    let uk_id = uk.body["call_id"].as_str().unwrap();
    let hangup = send(
        &http,
        "POST",
        &format!("{}/api/telnyx/hangup/{uk_id}", stack.url),
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(hangup.status, 200);
    let status_url = format!("{}/api/call-status/status/{uk_id}", stack.url);
    testkit::eventually(Duration::from_secs(20), "the UK call ended", || {
        let (http, status_url, agent) = (http.clone(), status_url.clone(), agent.clone());
        async move {
            let v = send(&http, "GET", &status_url, Some(&agent), None).await;
            (v.body["status"] == "ended").then_some(())
        }
    })
    .await;
    let third = dial(agent.clone(), "+1 212 555 0102").await;
    assert_eq!(third.status, 201, "{}", third.body);

    // Every refusal is in the audit trail with who tried, and the settings change with who made it.
    let audit = send(
        &http,
        "GET",
        &format!("{}/api/audit?limit=100", stack.url),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(audit.status, 200);
    let entries = audit.body.as_array().unwrap();
    let agent_id = send(
        &http,
        "GET",
        &format!("{}/api/auth/me", stack.url),
        Some(&agent),
        None,
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused: Vec<&str> = entries
        .iter()
        .filter(|e| e["action"] == "dial_refused" && e["actor"] == agent_id.as_str())
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(refused.len(), 4, "{entries:#?}");
    for code in [
        "destination_blocked",
        "destination_country_not_allowed",
        "too_many_concurrent_calls",
    ] {
        assert!(
            refused.iter().any(|d| d.starts_with(code)),
            "{code} in {refused:?}"
        );
    }
    assert!(
        entries.iter().any(|e| e["action"] == "settings_changed"
            && e["detail"] == "dial_policy"
            && e["actor"] != Value::Null),
        "{entries:#?}"
    );
    assert!(entries.iter().any(|e| e["action"] == "sign_in"));
}

#[tokio::test]
async fn a_burst_of_dials_hits_429_with_retry_after() {
    let (stack, _dir) = common::stack().await;
    let http = reqwest::Client::new();
    let agent = common::token(
        &stack.url,
        DemoAccounts::AGENT_EMAIL,
        DemoAccounts::AGENT_PASSWORD,
    )
    .await;
    let url = format!("{}/api/telnyx/dial", stack.url);
    let limit = dial::DIAL_RATE_PER_USER as usize;
    let mut statuses = Vec::new();
    // Premium numbers: refused by the guard, yet each attempt counts against the burst limit.
    for _ in 0..2 * limit + 1 {
        let a = send(
            &http,
            "POST",
            &url,
            Some(&agent),
            Some(dial_body("+1 900 555 0100")),
        )
        .await;
        if a.status == 429 {
            assert_eq!(a.code, "rate_limited");
            let secs: u64 = a.retry_after.clone().expect("Retry-After").parse().unwrap();
            assert!((1..=dial::DIAL_RATE_WINDOW_SECS).contains(&secs), "{secs}");
        } else {
            assert_eq!(a.code, "destination_blocked");
        }
        statuses.push(a.status);
    }
    check_burst(&statuses, limit, 403);
}
