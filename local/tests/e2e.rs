//! End to end through the real local process over HTTP: the binary a newcomer runs, with the
//! emulator sending signed webhooks to it. Waits on conditions with deadlines, never sleeps.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Local {
    child: Child,
    url: String,
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path) -> Local {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local"))
        .env("PORT", "0")
        .env("EMULATOR_PORT", "0")
        .env("DATA_DIR", data_dir)
        .env("FRONTEND_DIR", data_dir.join("no-frontend"))
        .env("TELNYX_EMULATOR_TIME_SCALE", "0.25")
        .env("LOG_LEVEL", "warn")
        // The embedded default even when the caller's environment points at the cloud stand-ins.
        .env_remove("MONGODB_URI")
        .env_remove("EVENTS_QUEUE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("local binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("local prints its URL");
    // Keep draining so the process never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = first
        .trim()
        .strip_prefix("Dialer running at ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    Local { child, url }
}

async fn wait_for(
    client: &reqwest::Client,
    url: &str,
    what: &str,
    deadline: Duration,
    mut check: impl FnMut(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let view: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        if check(&view) {
            return view;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out waiting for {what}; last view {view}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_call_goes_dialing_ringing_active_ended_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let client;
    let call_id;
    {
        let local = start(data.path());
        client = common::agent(&local.url).await;
        let dial = client
            .post(format!("{}/api/telnyx/dial", local.url))
            .json(&json!({"to_number": "(212) 555-0100", "from_number": "+1 312 555 0201"}))
            .send()
            .await
            .unwrap();
        assert_eq!(dial.status(), 201);
        let created: Value = dial.json().await.unwrap();
        assert_eq!(created["status"], "dialing");
        call_id = created["call_id"].as_str().unwrap().to_string();
        let status_url = format!("{}/api/call-status/status/{call_id}", local.url);

        let mut seen = vec!["dialing".to_string()];
        let active = wait_for(
            &client,
            &status_url,
            "active",
            Duration::from_secs(20),
            |v| {
                let s = v["status"].as_str().unwrap().to_string();
                if seen.last() != Some(&s) {
                    seen.push(s.clone());
                }
                s == "active"
            },
        )
        .await;
        assert_eq!(seen, ["dialing", "ringing", "active"]);
        assert!(active["answered_at"].is_string());
        // Talk for at least a second of live duration before hanging up.
        wait_for(
            &client,
            &status_url,
            "a second of talk time",
            Duration::from_secs(10),
            |v| v["duration"].as_i64().unwrap() >= 1,
        )
        .await;

        let hangup = client
            .post(format!("{}/api/telnyx/hangup/{call_id}", local.url))
            .send()
            .await
            .unwrap();
        assert_eq!(hangup.status(), 200);
        let ended = wait_for(
            &client,
            &status_url,
            "ended",
            Duration::from_secs(20),
            |v| v["status"] == "ended",
        )
        .await;
        assert_eq!(ended["outcome"], "completed");
        assert_eq!(ended["hangup_cause"], "normal_clearing");
        assert_eq!(ended["hangup_source"], "caller");
        assert!(ended["duration"].as_i64().unwrap() >= 1, "{ended}");

        // Hanging up again is still fine.
        let again = client
            .post(format!("{}/api/telnyx/hangup/{call_id}", local.url))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
    }
    // The session signed in before the restart is still good: the signing key is in the file.
    let local = start(data.path());
    let after: Value = client
        .get(format!("{}/api/call-status/status/{call_id}", local.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "ended", "{after}");
    assert!(after["duration"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn a_busy_number_ends_busy_without_anyone_hanging_up() {
    let data = tempfile::tempdir().unwrap();
    let local = start(data.path());
    let client = common::agent(&local.url).await;
    let created: Value = client
        .post(format!("{}/api/telnyx/dial", local.url))
        .json(&json!({"to_number": "+1 212 555 0102", "from_number": "+1 312 555 0201"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status_url = format!(
        "{}/api/call-status/status/{}",
        local.url,
        created["call_id"].as_str().unwrap()
    );
    let ended = wait_for(&client, &status_url, "busy", Duration::from_secs(20), |v| {
        v["status"] == "ended"
    })
    .await;
    assert_eq!(ended["outcome"], "busy");
    assert_eq!(ended["sip_hangup_cause"], "486");
    assert_eq!(ended["duration"], 0);
    assert!(ended["answered_at"].is_null());
}
