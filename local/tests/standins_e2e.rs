//! The cloud rehearsal end to end: the real `local` binary on MongoDB (nx-27017) and SQS (moto),
//! with the emulator delivering webhooks duplicated, reordered and concurrently (seeded chaos),
//! must end every call exactly as the embedded default does with calm delivery; every event the
//! emulator delivered is in the event log once, with its deliveries counted; the queue drains and
//! nothing is dead-lettered.
//!
//! Needs `MONGODB_URI` and `AWS_ENDPOINT_URL_SQS` (scripts/standins.sh); skips loudly without
//! them, or fails under `REQUIRE_STANDINS=1`.

mod common;

use ports::EventLog;
use queue::sqs::aws_sdk_sqs;
use queue::sqs::aws_sdk_sqs::types::QueueAttributeName;
use queue::sqs::{create_queue_with_dlq, load_sdk_config};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store_mongo::MongoStore;

struct Local {
    child: Child,
    url: String,
    emulator: String,
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn standin(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            if std::env::var("REQUIRE_STANDINS").is_ok_and(|v| v.trim() == "1") {
                panic!("standins_e2e: {var} is not set, and REQUIRE_STANDINS=1");
            }
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED standins_e2e: {var} is not set (start scripts/standins.sh and source its env file; REQUIRE_STANDINS=1 makes this a failure)"
            );
            None
        }
    }
}

/// Starts the binary; `cloud` adds the rehearsal variables, else they are removed so a caller's
/// environment cannot turn the calm reference run into a rehearsal.
fn start(data_dir: &Path, cloud: Option<&[(&str, String)]>) -> Local {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_local"));
    cmd.env("PORT", "0")
        .env("EMULATOR_PORT", "0")
        .env("DATA_DIR", data_dir)
        .env("FRONTEND_DIR", data_dir.join("no-frontend"))
        .env("TELNYX_EMULATOR_TIME_SCALE", "0.25")
        // The emulator's shortest ring timeout (5 s, × 0.25) so `0103` ends quickly.
        .env("RING_TIMEOUT_SECS", "5")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match cloud {
        Some(vars) => {
            for (k, v) in vars {
                cmd.env(k, v);
            }
        }
        None => {
            for k in ["MONGODB_URI", "EVENTS_QUEUE_URL", "TELNYX_EMULATOR_CHAOS"] {
                cmd.env_remove(k);
            }
        }
    }
    let mut child = cmd.spawn().expect("local binary starts");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    // The banner: URL first, the emulator a few lines later.
    while !lines
        .iter()
        .any(|l: &String| l.starts_with("Telnyx emulator at "))
    {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .expect("local prints its banner");
        assert!(
            n > 0,
            "local exited during start-up; banner so far: {lines:?}"
        );
        lines.push(line.trim().to_string());
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = lines[0]
        .strip_prefix("Dialer running at ")
        .unwrap_or_else(|| panic!("unexpected banner {lines:?}"))
        .to_string();
    let emulator = lines
        .iter()
        .find_map(|l| l.strip_prefix("Telnyx emulator at "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .trim_end_matches("/v2")
        .to_string();
    Local {
        child,
        url,
        emulator,
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn wait_for(
    client: &reqwest::Client,
    url: &str,
    what: &str,
    deadline: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let view = get(client, url).await;
        if check(&view) {
            return view;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out waiting for {what}; last view {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Destinations by scenario (emulator/README.md): answered and hung up by us, callee hangs up,
/// busy, no answer (ring timeout), rejected.
const SCENARIOS: [&str; 5] = ["0100", "0101", "0102", "0103", "0104"];

/// Places every scenario at once and returns `scenario → (call id, final status view)`.
async fn run_calls(local: &Local) -> BTreeMap<&'static str, (String, Value)> {
    // Five calls at once from one agent: more than the default per-user limit of three.
    let admin = common::admin(&local.url).await;
    let raised = admin
        .put(format!("{}/api/settings", local.url))
        .json(&serde_json::json!({"dial_policy": {"max_concurrent_calls": SCENARIOS.len()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), 200);
    let client = common::agent(&local.url).await;
    let runs = SCENARIOS.map(|scenario| {
        let client = client.clone();
        async move {
            let dial = client
                .post(format!("{}/api/telnyx/dial", local.url))
                .json(&json!({"to_number": format!("+1 212 555 {scenario}"),
                              "from_number": "+1 312 555 0201"}))
                .send()
                .await
                .unwrap();
            assert_eq!(dial.status(), 201, "{scenario}");
            let id = dial.json::<Value>().await.unwrap()["call_id"]
                .as_str()
                .unwrap()
                .to_string();
            let status = format!("{}/api/call-status/status/{id}", local.url);
            if scenario == "0100" {
                // Talk for at least a second, then hang up ourselves.
                wait_for(
                    &client,
                    &status,
                    "0100 a second of talk",
                    Duration::from_secs(30),
                    |v| v["status"] == "active" && v["duration"].as_i64() >= Some(1),
                )
                .await;
                let hangup = client
                    .post(format!("{}/api/telnyx/hangup/{id}", local.url))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(hangup.status(), 200);
            }
            let ended = wait_for(
                &client,
                &status,
                &format!("{scenario} to end"),
                Duration::from_secs(60),
                |v| v["status"] == "ended",
            )
            .await;
            (scenario, (id, ended))
        }
    });
    futures_join_all(runs).await.into_iter().collect()
}

/// `join_all` without another dependency: the futures are few and short.
async fn futures_join_all<F: std::future::Future>(futures: [F; 5]) -> Vec<F::Output> {
    let [a, b, c, d, e] = futures;
    let (a, b, c, d, e) = tokio::join!(a, b, c, d, e);
    vec![a, b, c, d, e]
}

/// What must agree between a rehearsal and the calm reference; duration within ±1 s.
fn comparable(view: &Value) -> Value {
    json!({
        "status": view["status"],
        "outcome": view["outcome"],
        "answered": !view["answered_at"].is_null(),
        "hangup_cause": view["hangup_cause"],
        "hangup_source": view["hangup_source"],
        "sip_hangup_cause": view["sip_hangup_cause"],
        "to_number": view["to_number"],
        "from_number": view["from_number"],
    })
}

async fn queue_depth(client: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attrs = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    attrs.values().map(|v| v.parse::<u64>().unwrap_or(0)).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_through_sqs_and_mongodb_ends_calls_like_the_calm_embedded_default() {
    let (Some(mongo_uri), Some(_)) = (standin("MONGODB_URI"), standin("AWS_ENDPOINT_URL_SQS"))
    else {
        return;
    };
    let suffix = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let sqs = aws_sdk_sqs::Client::new(&load_sdk_config().await);
    // A short visibility timeout so a failed message is retried within the test's deadlines.
    let (queue_url, dlq_url) = create_queue_with_dlq(
        &sqs,
        &format!("e2e-events-{suffix}"),
        5,
        Duration::from_secs(2),
    )
    .await
    .unwrap();
    let database = format!("e2e_{suffix}");

    let cloud_dir = tempfile::tempdir().unwrap();
    let calm_dir = tempfile::tempdir().unwrap();
    let cloud = start(
        cloud_dir.path(),
        Some(&[
            ("MONGODB_URI", mongo_uri.clone()),
            ("MONGODB_DATABASE", database.clone()),
            ("EVENTS_QUEUE_URL", queue_url.clone()),
            (
                "TELNYX_EMULATOR_CHAOS",
                "seed=20261124,dup=0.5,reorder=0.5,delay_ms=600,concurrent=true".into(),
            ),
        ]),
    );
    let calm = start(calm_dir.path(), None);

    let (rehearsed, reference) = tokio::join!(run_calls(&cloud), run_calls(&calm));

    // Late duplicates may still be on their way: wait until every delivery the emulator made is
    // in the event log with its count, and the queue is empty.
    let store = MongoStore::connect(&mongo_uri, &database).await.unwrap();
    // Each stack signs its own sessions.
    let client = common::agent(&cloud.url).await;
    let calm_client = common::agent(&calm.url).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let duplicates_seen = loop {
        let mut missing = Vec::new();
        let mut duplicates = 0;
        for (scenario, (id, _)) in &rehearsed {
            let log = store.events_for_call(id.parse().unwrap()).await.unwrap();
            let Some(ccid) = log.iter().find_map(|e| e.call_control_id.clone()) else {
                missing.push(format!("{scenario}: no events logged"));
                continue;
            };
            let deliveries: Vec<Value> = get(
                &client,
                &format!(
                    "{}/emulator/deliveries?call_control_id={ccid}",
                    cloud.emulator
                ),
            )
            .await
            .as_array()
            .unwrap()
            .clone();
            let mut delivered: HashMap<String, u32> = HashMap::new();
            for d in &deliveries {
                let id = d["event_id"].as_str().unwrap().to_string();
                let count = delivered.entry(id).or_default();
                if d["delivered"] == true {
                    *count += 1;
                }
            }
            let logged: HashMap<&str, u32> = log
                .iter()
                .map(|e| (e.event_id.as_str(), e.deliveries))
                .collect();
            assert_eq!(logged.len(), log.len(), "{scenario}: an event logged twice");
            for (event, accepted) in &delivered {
                if *accepted > 1 {
                    duplicates += 1;
                }
                match logged.get(event.as_str()) {
                    None => missing.push(format!("{scenario}: {event} not logged")),
                    // Each accepted delivery reached the processor at least once.
                    Some(n) if n < accepted => missing.push(format!(
                        "{scenario}: {event} counted {n} of {accepted} deliveries"
                    )),
                    Some(_) => {}
                }
            }
            for e in &log {
                assert!(
                    delivered.contains_key(&e.event_id),
                    "{scenario}: logged {} that the emulator never sent",
                    e.event_id
                );
            }
        }
        let depth = queue_depth(&sqs, &queue_url).await;
        if missing.is_empty() && depth == 0 {
            break duplicates;
        }
        assert!(
            Instant::now() < deadline,
            "pipeline did not settle: {missing:?}, {depth} messages queued"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        duplicates_seen > 0,
        "chaos delivered no duplicate: the test proved nothing about them"
    );
    assert_eq!(
        queue_depth(&sqs, &dlq_url).await,
        0,
        "something was dead-lettered"
    );

    for scenario in SCENARIOS {
        let (id, _) = &rehearsed[scenario];
        // Re-read after the pipeline settled: late duplicates must not have changed anything.
        let cloud_view = get(
            &client,
            &format!("{}/api/call-status/status/{id}", cloud.url),
        )
        .await;
        let calm_view = &reference[scenario].1;
        assert_eq!(
            comparable(&cloud_view),
            comparable(calm_view),
            "{scenario}: rehearsal {cloud_view} vs embedded {calm_view}"
        );
        let (a, b) = (
            cloud_view["duration"].as_i64().unwrap(),
            calm_view["duration"].as_i64().unwrap(),
        );
        assert!((a - b).abs() <= 1, "{scenario}: duration {a} vs {b}");
    }
    // The scenarios really differ (a broken pipeline could make them all alike).
    let outcomes: Vec<&str> = SCENARIOS
        .iter()
        .map(|s| reference[s].1["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["completed", "completed", "busy", "no_answer", "rejected"]
    );
    assert_eq!(reference["0100"].1["hangup_source"], "caller");
    assert_eq!(reference["0101"].1["hangup_source"], "callee");

    // The call logs agree too: history reads the store the pipeline wrote (MongoDB here).
    let log = |url: String, client: reqwest::Client| async move {
        let page = get(&client, &format!("{url}/api/calls?limit=50")).await;
        let mut rows: Vec<(String, String)> = page["items"]
            .as_array()
            .expect("a page of calls")
            .iter()
            .map(|c| {
                (
                    c["to_number"].as_str().unwrap().to_string(),
                    c["outcome"].as_str().unwrap_or("none").to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let (cloud_log, calm_log) = tokio::join!(
        log(cloud.url.clone(), client.clone()),
        log(calm.url.clone(), calm_client.clone())
    );
    assert_eq!(
        cloud_log.len(),
        SCENARIOS.len(),
        "rehearsal call log: {cloud_log:?}"
    );
    assert_eq!(cloud_log, calm_log);

    drop(cloud);
    let _ = sqs.delete_queue().queue_url(&queue_url).send().await;
    let _ = sqs.delete_queue().queue_url(&dlq_url).send().await;
}
