//! Rows 5 and 8: the local product (`local::Stack`: every function router, the in-process
//! queue and processor, the SQLite file, the Telnyx emulator) driven over loopback HTTP with
//! signed-in clients, as the softphone drives it. Each row gets its own stack, data directory
//! and Tokio runtime, dropped with the row so nothing of it runs during the next one.

use crate::{Row, ms, percentile, spread};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{CallId, TelnyxLeg};
use emulator::{ChaosConfig, EmulatorConfig, Scenario, Step};
use local::{DemoAccounts, EventPump, Stack};
use ports::{CallFilter, CallHistory, CallStore, EventLog};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

/// One of the emulator's owned numbers, the caller ID of every call.
const FROM: &str = "+13125550201";

pub(crate) fn on_own_runtime<T>(row: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let row = runtime.block_on(row);
    runtime.shutdown_timeout(Duration::from_secs(1));
    row
}

pub(crate) struct Local {
    pub(crate) stack: Stack,
    _dir: tempfile::TempDir,
    /// Without a session: sign-in and webhooks.
    http: reqwest::Client,
}

impl Local {
    pub(crate) async fn start(emulator: EmulatorConfig, ring_timeout_secs: u32) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = wiring::Config {
            data_dir: dir.path().to_path_buf(),
            // The per-user burst limit guards against scripts; this one is on purpose.
            dial_rate_per_minute: 1_000_000,
            ring_timeout_secs,
            ..wiring::Config::default()
        };
        let settings = local::Settings {
            host: "127.0.0.1".into(),
            port: 0,
            emulator_port: 0,
            frontend_dir: dir.path().join("no-frontend"),
            config,
            emulator,
        };
        let stack = Stack::start(settings)
            .await
            .expect("the local stack starts");
        Self {
            stack,
            _dir: dir,
            http: client(None),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.url)
    }

    async fn sign_in(&self, email: &str, password: &str) -> reqwest::Client {
        let (status, body) = send(
            self.http
                .post(self.url("/api/auth/sign-in"))
                .json(&json!({"email": email, "password": password})),
        )
        .await;
        assert_eq!(status, 200, "sign-in as {email}: {body}");
        client(Some(body["token"].as_str().expect("a token")))
    }

    /// Signs in as the demo admin and lifts the per-user dial limits to the most the settings
    /// allow (20 calls at once per user).
    pub(crate) async fn admin(&self) -> reqwest::Client {
        let admin = self
            .sign_in(DemoAccounts::ADMIN_EMAIL, DemoAccounts::ADMIN_PASSWORD)
            .await;
        let (status, body) = send(admin.put(self.url("/api/settings")).json(&json!({
            "dial_policy": {
                "max_concurrent_calls": 20,
                "max_calls_per_hour": 1000,
                "max_calls_per_day": 10000
            }
        })))
        .await;
        assert_eq!(status, 200, "dial policy: {body}");
        admin
    }

    /// `n` new agents, signed in.
    pub(crate) async fn agents(&self, admin: &reqwest::Client, n: usize) -> Vec<reqwest::Client> {
        let mut agents = Vec::new();
        for i in 0..n {
            let email = format!("bench-agent-{i}@dialer.local");
            let password = format!("bench-password-{i:04}");
            let (status, body) = send(admin.post(self.url("/api/users")).json(&json!({
                "email": email, "name": format!("Bench Agent {i}"),
                "password": password, "role": "agent"
            })))
            .await;
            assert!((200..300).contains(&status), "new user: {status} {body}");
            agents.push(self.sign_in(&email, &password).await);
        }
        agents
    }
}

fn client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

pub(crate) async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the local stack answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

// ── Row 5 ──────────────────────────────────────────────────────────────────────────────────

/// A number the emulator rings forever: it sends `call.initiated` and nothing else, so the
/// bench's own webhooks are the only news about the call.
const SILENT: &str = "+12125550777";
const WARM_UP_CALLS: usize = 20;
const CALLS: usize = 250;

/// A Telnyx envelope for `leg` (reference §4), as the emulator would sign and send it.
fn envelope(event_type: &str, id: &str, leg: &TelnyxLeg, call: CallId, started: &str) -> String {
    let now = rfc3339(Utc::now());
    let mut payload = json!({
        "call_control_id": leg.call_control_id,
        "call_leg_id": leg.call_leg_id,
        "call_session_id": leg.call_session_id,
        "client_state": telnyx::client_state::encode(call),
        "connection_id": emulator::DEFAULT_CONNECTION_ID,
        "calling_party_type": "pstn",
        "direction": "outgoing",
        "from": FROM,
        "to": SILENT,
        "start_time": started,
        "state": if event_type == "call.hangup" { "hangup" } else { "answered" },
    });
    if event_type == "call.hangup" {
        payload["hangup_cause"] = json!("normal_clearing");
        payload["hangup_source"] = json!("callee");
        payload["sip_hangup_cause"] = json!("200");
        payload["end_time"] = json!(now);
        payload["call_quality_stats"] = Value::Null;
    }
    json!({
        "data": {"record_type": "event", "event_type": event_type, "id": id,
                 "occurred_at": now, "payload": payload},
        "meta": {"attempt": 1, "delivered_to": "http://127.0.0.1/api/webhooks/telnyx"}
    })
    .to_string()
}

/// Polls `url` back to back until `done`; returns the view and how many reads it took.
async fn poll_until(
    client: &reqwest::Client,
    url: &str,
    deadline: Duration,
    done: impl Fn(&Value) -> bool,
) -> Result<(Value, usize), Value> {
    let start = Instant::now();
    let mut reads = 0;
    loop {
        let (_, view) = send(client.get(url)).await;
        reads += 1;
        if done(&view) {
            return Ok((view, reads));
        }
        if start.elapsed() > deadline {
            return Err(view);
        }
    }
}

pub fn webhook_to_status() -> Row {
    on_own_runtime(async {
        let local = Local::start(
            EmulatorConfig {
                time_scale: 1.0,
                dial_rate_limit_per_sec: 100_000,
                ..EmulatorConfig::default()
            },
            // Longer than the row: the emulator's own ring timeout never interferes.
            600,
        )
        .await;
        local.stack.emulator.set_scenario(
            SILENT,
            Scenario {
                name: "bench: rings until the bench says otherwise".into(),
                steps: vec![Step::Wait { ms: 3_600_000 }],
            },
        );
        let _admin = local.admin().await;
        let agent = local
            .sign_in(DemoAccounts::AGENT_EMAIL, DemoAccounts::AGENT_PASSWORD)
            .await;
        let hook = local.url("/api/webhooks/telnyx");
        let mut answered = Vec::new();
        let mut ended = Vec::new();
        let mut reads = 0usize;
        let mut read_time = Duration::ZERO;
        for i in 0..WARM_UP_CALLS + CALLS {
            let (status, call) = send(
                agent
                    .post(local.url("/api/telnyx/dial"))
                    .json(&json!({"to_number": SILENT, "from_number": FROM})),
            )
            .await;
            assert_eq!(status, 201, "dial: {call}");
            let id: CallId = call["call_id"].as_str().unwrap().parse().unwrap();
            let status_url = local.url(&format!("/api/call-status/status/{id}"));
            // The emulator's call.initiated first, so the bench's events are the only news.
            poll_until(&agent, &status_url, Duration::from_secs(10), |v| {
                v["status"] == "ringing"
            })
            .await
            .unwrap_or_else(|v| panic!("never ringing: {v}"));
            let stored = local.stack.store.get(id).await.unwrap().unwrap();
            let leg = stored.telnyx.expect("the dial stored its leg");
            let started = rfc3339(stored.started_at);
            for (event, visible, samples) in [
                ("call.answered", "active", &mut answered),
                ("call.hangup", "ended", &mut ended),
            ] {
                let body = envelope(event, &format!("bench-{i}-{event}"), &leg, id, &started);
                let ts = Utc::now().timestamp();
                let signature = local.stack.emulator.sign(ts, &body);
                let request = local
                    .http
                    .post(&hook)
                    .header("content-type", "application/json")
                    .header("user-agent", "telnyx-webhooks")
                    .header("telnyx-timestamp", ts.to_string())
                    .header("telnyx-signature-ed25519", signature)
                    .body(body);
                let start = Instant::now();
                let (status, answer) = send(request).await;
                assert_eq!(status, 200, "webhook: {answer}");
                let (_, n) = poll_until(&agent, &status_url, Duration::from_secs(5), |v| {
                    v["status"] == visible
                })
                .await
                .unwrap_or_else(|v| panic!("{event} never became {visible}: {v}"));
                let took = start.elapsed();
                if i >= WARM_UP_CALLS {
                    samples.push(took);
                    reads += n;
                }
            }
        }
        // What one status read costs on its own: the resolution of the polling above.
        let status_url = local.url("/api/call-status/status/00000000-0000-7000-8000-000000000000");
        for _ in 0..500 {
            let start = Instant::now();
            let _ = send(agent.get(&status_url)).await;
            read_time += start.elapsed();
        }
        let mut all: Vec<Duration> = answered.iter().chain(&ended).copied().collect();
        all.sort();
        let p99 = percentile(&all, 0.99);
        Row {
            what: "5 webhook → status visible, end to end on loopback (local product)",
            figure: format!("{} over {} webhooks", spread(&mut all.clone()), all.len()),
            target: "p99 ≤ 50 ms",
            pass: ms(p99) <= 50.0,
            notes: vec![
                format!("call.answered → active: {}", spread(&mut answered)),
                format!("call.hangup → ended: {}", spread(&mut ended)),
                format!(
                    "signed POST to the webhook, then GET /api/call-status/status back to back \
                     ({:.1} reads per sample; one authenticated read {:.2} ms on average); \
                     {WARM_UP_CALLS} calls of warm-up, then {CALLS} calls",
                    reads as f64 / all.len() as f64,
                    ms(read_time) / 500.0
                ),
            ],
        }
    })
}

// ── Row 8 ──────────────────────────────────────────────────────────────────────────────────

/// What a destination's callee does (emulator README, magic numbers) and how the call must end.
struct Expect {
    last4: &'static str,
    /// The agent hangs up 12 s of simulated time (3 s at scale 0.25) after the call turns
    /// active.
    we_hang_up: bool,
    outcome: &'static str,
    causes: &'static [&'static str],
    source: &'static str,
    answered: bool,
}

const MIX: [Expect; 10] = [
    Expect {
        last4: "0100",
        we_hang_up: true,
        outcome: "completed",
        causes: &["normal_clearing"],
        source: "caller",
        answered: true,
    },
    Expect {
        last4: "0101",
        we_hang_up: false,
        outcome: "completed",
        causes: &["normal_clearing"],
        source: "callee",
        answered: true,
    },
    Expect {
        last4: "0102",
        we_hang_up: false,
        outcome: "busy",
        causes: &["user_busy"],
        source: "callee",
        answered: false,
    },
    Expect {
        last4: "0103",
        we_hang_up: false,
        outcome: "no_answer",
        causes: &["timeout", "no_answer"],
        source: "unknown",
        answered: false,
    },
    Expect {
        last4: "0104",
        we_hang_up: false,
        outcome: "rejected",
        causes: &["call_rejected"],
        source: "callee",
        answered: false,
    },
    Expect {
        last4: "0105",
        we_hang_up: false,
        outcome: "failed",
        causes: &["not_found"],
        source: "unknown",
        answered: false,
    },
    Expect {
        last4: "0106",
        we_hang_up: false,
        outcome: "completed",
        causes: &["normal_clearing"],
        source: "callee",
        answered: true,
    },
    Expect {
        last4: "0107",
        we_hang_up: false,
        outcome: "failed",
        causes: &["unspecified"],
        source: "unknown",
        answered: false,
    },
    Expect {
        last4: "0108",
        we_hang_up: true,
        outcome: "completed",
        causes: &["normal_clearing"],
        source: "caller",
        answered: true,
    },
    Expect {
        last4: "0109",
        we_hang_up: true,
        outcome: "completed",
        causes: &["normal_clearing"],
        source: "caller",
        answered: true,
    },
];

const LOAD_CALLS: usize = 200;
/// 20 calls at once each, the most the dial policy allows a user.
const LOAD_AGENTS: usize = 10;
const TIME_SCALE: f64 = 0.25;
const POLL: Duration = Duration::from_millis(500);
const CHAOS_SEED: u64 = 10;

impl Expect {
    fn to(&self) -> String {
        format!("+1212555{}", self.last4)
    }

    /// What is wrong with the call's final view, if anything.
    fn check(&self, view: &Value) -> Option<String> {
        let mut wrong = Vec::new();
        if view["status"] != "ended" {
            wrong.push(format!("status {}", view["status"]));
        }
        if view["outcome"] != self.outcome {
            wrong.push(format!(
                "outcome {} (want {})",
                view["outcome"], self.outcome
            ));
        }
        if !self
            .causes
            .iter()
            .any(|c| view["hangup_cause"].as_str() == Some(c))
        {
            wrong.push(format!("hangup_cause {}", view["hangup_cause"]));
        }
        if view["hangup_source"] != self.source {
            wrong.push(format!("hangup_source {}", view["hangup_source"]));
        }
        if view["answered_at"].is_string() != self.answered {
            wrong.push(format!("answered_at {}", view["answered_at"]));
        }
        (!wrong.is_empty()).then(|| format!("{} {}", self.last4, wrong.join(", ")))
    }
}

/// One simulated agent's call: dial, (talk and hang up,) poll until it ends.
struct Driven {
    call_id: Option<CallId>,
    /// When the dial was answered, from the first dial of the run.
    dialed: Duration,
    view: Option<Value>,
    error: Option<String>,
}

async fn drive(
    client: reqwest::Client,
    base: String,
    expect: &'static Expect,
    t0: Instant,
) -> Driven {
    let mut driven = Driven {
        call_id: None,
        dialed: Duration::ZERO,
        view: None,
        error: None,
    };
    let (status, created) = send(
        client
            .post(format!("{base}/api/telnyx/dial"))
            .json(&json!({"to_number": expect.to(), "from_number": FROM})),
    )
    .await;
    driven.dialed = t0.elapsed();
    // A refused dial may still have kept the call (ended `failed`): it is ours either way.
    driven.call_id = created["call_id"].as_str().and_then(|s| s.parse().ok());
    if status != 201 {
        driven.error = Some(format!("dial {status} {}", created["code"]));
        return driven;
    }
    let Some(id) = driven.call_id else {
        driven.error = Some(format!("dial answered no call id: {created}"));
        return driven;
    };
    let status_url = format!("{base}/api/call-status/status/{id}");
    let wait = |done: fn(&Value) -> bool| {
        let (client, url) = (client.clone(), status_url.clone());
        async move {
            let start = Instant::now();
            loop {
                let (_, view) = send(client.get(&url)).await;
                if done(&view) || start.elapsed() > Duration::from_secs(60) {
                    return view;
                }
                tokio::time::sleep(POLL).await;
            }
        }
    };
    if expect.we_hang_up {
        let view = wait(|v| v["status"] == "active" || v["status"] == "ended").await;
        if view["status"] != "active" {
            driven.error = Some(format!("{} never active: {view}", expect.last4));
            driven.view = Some(view);
            return driven;
        }
        tokio::time::sleep(Duration::from_secs(12).mul_f64(TIME_SCALE)).await;
        let (status, answer) = send(client.post(format!("{base}/api/telnyx/hangup/{id}"))).await;
        if status != 200 {
            driven.error = Some(format!("hangup {status} {}", answer["code"]));
        }
    }
    driven.view = Some(wait(|v| v["status"] == "ended").await);
    driven
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Most calls alive at once at the emulator (from its call snapshots).
fn peak_concurrency(calls: &[emulator::CallSnapshot]) -> usize {
    let mut edges: Vec<(DateTime<Utc>, i32)> = Vec::new();
    for c in calls {
        if let Some(start) = parse_time(&c.created_at) {
            edges.push((start, 1));
            let end = c.ended_at.as_deref().and_then(parse_time);
            edges.push((end.unwrap_or(DateTime::<Utc>::MAX_UTC), -1));
        }
    }
    edges.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        peak = peak.max(now);
    }
    peak as usize
}

pub fn chaos_load() -> Row {
    on_own_runtime(async {
        let chaos = ChaosConfig {
            seed: Some(CHAOS_SEED),
            ..ChaosConfig::default()
        };
        let local = Local::start(
            EmulatorConfig {
                time_scale: TIME_SCALE,
                dial_rate_limit_per_sec: 100_000,
                chaos: Some(chaos.clone()),
                ..EmulatorConfig::default()
            },
            30,
        )
        .await;
        let admin = local.admin().await;
        let agents = local.agents(&admin, LOAD_AGENTS).await;
        let started = Instant::now();
        let started_wall = Utc::now();
        let tasks: Vec<_> = (0..LOAD_CALLS)
            .map(|i| {
                let expect = &MIX[(i / LOAD_AGENTS) % MIX.len()];
                tokio::spawn(drive(
                    agents[i % LOAD_AGENTS].clone(),
                    local.stack.url.clone(),
                    expect,
                    started,
                ))
            })
            .collect();
        let mut driven = Vec::new();
        for t in tasks {
            driven.push(t.await.expect("a call task"));
        }
        let calls_done = started.elapsed();
        let ramp = driven.iter().map(|d| d.dialed).max().unwrap_or_default();

        // Chaos keeps delivering duplicates after a call has ended: wait for the emulator to
        // fall quiet and the queue to drain before counting.
        let emulator = &local.stack.emulator;
        let mut seen = usize::MAX;
        let quiet_by = Instant::now() + Duration::from_secs(30);
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let n = emulator.deliveries().len();
            let all_ended = emulator.calls().iter().all(|c| c.ended_at.is_some());
            if (n == seen && all_ended) || Instant::now() > quiet_by {
                break;
            }
            seen = n;
        }
        let dead_letters = match &local.stack.events {
            EventPump::InProcess(queue) => {
                queue.drained(Duration::from_secs(10)).await;
                queue.dead_letters().len()
            }
            EventPump::Sqs(_) => 0,
        };

        let mut errors: Vec<String> = driven.iter().filter_map(|d| d.error.clone()).collect();
        let ids: Vec<CallId> = driven.iter().filter_map(|d| d.call_id).collect();
        let ours: HashSet<CallId> = ids.iter().copied().collect();
        let mut wrong = Vec::new();
        let mut correct = 0;
        for (i, d) in driven.iter().enumerate() {
            let expect = &MIX[(i / LOAD_AGENTS) % MIX.len()];
            match &d.view {
                Some(view) => match expect.check(view) {
                    None => correct += 1,
                    Some(w) => wrong.push(w),
                },
                None => wrong.push(format!("{}: no final view", expect.last4)),
            }
        }
        let stored = local
            .stack
            .store
            .search_calls(&CallFilter::default(), 10 * LOAD_CALLS, None)
            .await
            .expect("the store lists calls");
        let stored_ids: HashSet<CallId> = stored.iter().map(|c| c.id).collect();
        // Lost: a dial that did not become a stored call that ended.
        let ended: HashSet<CallId> = driven
            .iter()
            .filter(|d| d.view.as_ref().is_some_and(|v| v["status"] == "ended"))
            .filter_map(|d| d.call_id)
            .collect();
        let lost = LOAD_CALLS - ended.intersection(&stored_ids).count();
        let extra_in_store = stored.len() - ours.intersection(&stored_ids).count();
        // Duplicated: two Telnyx legs for one of our calls, or a leg nobody asked for.
        let legs = emulator.calls();
        let mut legs_per_call: HashMap<CallId, usize> = HashMap::new();
        let mut stray_legs = 0;
        for leg in &legs {
            match leg
                .client_state
                .as_deref()
                .and_then(telnyx::client_state::decode)
                .filter(|id| ours.contains(id))
            {
                Some(id) => *legs_per_call.entry(id).or_default() += 1,
                None => stray_legs += 1,
            }
        }
        let doubled_legs = legs_per_call.values().filter(|n| **n > 1).count();
        let duplicated = doubled_legs + stray_legs + extra_in_store + (ids.len() - ours.len());

        // Events: every delivery our webhook accepted is in the call's log once, its
        // repeats counted, none missing.
        let deliveries = emulator.deliveries();
        let mut sent: HashMap<&str, Vec<DateTime<Utc>>> = HashMap::new();
        let mut accepted: HashMap<&str, u32> = HashMap::new();
        let mut refused: HashMap<String, usize> = HashMap::new();
        for d in &deliveries {
            if let Some(t) = parse_time(&d.sent_at) {
                sent.entry(d.event_id.as_str()).or_default().push(t);
            }
            if d.delivered {
                *accepted.entry(d.event_id.as_str()).or_default() += 1;
            } else {
                let why = match (&d.status, &d.error) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(e)) => e.chars().take(40).collect(),
                    (None, None) => "?".into(),
                };
                *refused.entry(why).or_default() += 1;
            }
        }
        let chaos_copies = deliveries.iter().filter(|d| d.duplicate).count();
        let mut logged = 0usize;
        let mut counted: HashMap<String, u32> = HashMap::new();
        let mut latency = Vec::new();
        // Webhooks sent once every dial had been answered: the steady state, without the
        // burst of 200 dials competing for the two cores.
        let burst_end = started_wall + chrono::Duration::from_std(ramp).unwrap_or_default();
        let mut after_burst = Vec::new();
        for id in &ids {
            for e in local
                .stack
                .store
                .events_for_call(*id)
                .await
                .unwrap_or_default()
            {
                logged += 1;
                if let Some(times) = sent.get(e.event_id.as_str())
                    && let Some(t) = times.iter().filter(|t| **t <= e.received_at).max()
                    && let Ok(d) = (e.received_at - *t).to_std()
                {
                    latency.push(d);
                    if *t > burst_end {
                        after_burst.push(d);
                    }
                }
                counted.insert(e.event_id, e.deliveries);
            }
        }
        let missing_events = accepted
            .keys()
            .filter(|id| !counted.contains_key(**id))
            .count();
        // More than accepted is a queue redelivery (the processor asked for a retry); fewer
        // would be a delivery acknowledged and then dropped.
        let undercounted = accepted
            .iter()
            .filter(|(id, n)| counted.get(**id).is_some_and(|c| c < *n))
            .count();
        let redelivered = accepted
            .iter()
            .filter(|(id, n)| counted.get(**id).is_some_and(|c| c > *n))
            .count();
        if dead_letters > 0 {
            errors.push(format!("{dead_letters} events dead-lettered"));
        }
        if missing_events > 0 {
            errors.push(format!(
                "{missing_events} accepted events missing from the log"
            ));
        }
        if undercounted > 0 {
            errors.push(format!(
                "{undercounted} events counted fewer times than our webhook accepted them"
            ));
        }
        latency.sort();
        let hook = if latency.is_empty() {
            "no webhook timings".to_string()
        } else {
            format!(
                "webhook p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
                ms(percentile(&latency, 0.5)),
                ms(percentile(&latency, 0.99)),
                ms(*latency.last().unwrap())
            )
        };
        let steady = if after_burst.is_empty() {
            String::new()
        } else {
            after_burst.sort();
            format!(
                "; after the dial burst ({} webhooks) p50 {:.2} ms, p99 {:.2} ms",
                after_burst.len(),
                ms(percentile(&after_burst, 0.5)),
                ms(percentile(&after_burst, 0.99))
            )
        };
        let mut notes = vec![
            format!(
                "{LOAD_CALLS} calls placed at once by {LOAD_AGENTS} agents (20 each), scenarios \
                 0100–0109 × 20, emulator time scale {TIME_SCALE}, chaos seed {CHAOS_SEED} \
                 (duplicate {}, reorder {}, delay ≤ {} ms scaled, concurrent); agents poll \
                 status every {} ms; the last dial was answered after {:.2} s, all calls had \
                 ended after {:.1} s (the shortest scenarios, 0.1–0.4 s at this scale, may end \
                 within the dial burst)",
                chaos.duplicate,
                chaos.reorder,
                chaos.max_delay_ms,
                POLL.as_millis(),
                ramp.as_secs_f64(),
                calls_done.as_secs_f64()
            ),
            format!(
                "{} webhook deliveries ({chaos_copies} chaos duplicates, {} not accepted{}\
                 ), {} events logged once each, {} accepted deliveries counted ({redelivered} events \
                 redelivered by the queue); {hook} (emulator's send → our handler stamping it \
                 received, first acceptance of each event){steady}",
                deliveries.len(),
                refused.values().sum::<usize>(),
                if refused.is_empty() {
                    String::new()
                } else {
                    format!(": {refused:?}")
                },
                logged,
                accepted.values().sum::<u32>()
            ),
        ];
        notes.extend(errors.iter().take(5).cloned());
        notes.extend(
            wrong
                .iter()
                .take(5)
                .map(|w| format!("wrong final state: {w}")),
        );
        Row {
            what: "8 load: 200 concurrent calls, local product, emulator in chaos mode",
            figure: format!(
                "{lost} lost, {duplicated} duplicated, {correct}/{LOAD_CALLS} final states \
                 correct (peak {} calls up at once); {hook}",
                peak_concurrency(&legs)
            ),
            target: "0 lost or duplicated, all final states correct, webhook p99 reported",
            pass: lost == 0
                && duplicated == 0
                && correct == LOAD_CALLS
                && errors.is_empty()
                && !latency.is_empty(),
            notes,
        }
    })
}
