//! Chaos mode really duplicates and reorders, and a seed makes it repeatable.

use std::collections::HashMap;

use emulator::ChaosConfig;
use serde_json::json;

use crate::common::*;

fn chaos(seed: u64, duplicate: f64, reorder: f64) -> ChaosConfig {
    ChaosConfig {
        seed: Some(seed),
        duplicate,
        reorder,
        max_delay_ms: 0,
        concurrent: false,
    }
}

const CANONICAL: [&str; 3] = ["call.initiated", "call.answered", "call.hangup"];

#[tokio::test]
async fn duplicates_carry_the_same_event_id() {
    let api = Api::with(|c| c.chaos = Some(chaos(1, 1.0, 0.0))).await;
    let ccid = api.dial("+13125550101", json!({})).await;
    eventually("six deliveries", || {
        (api.rx.for_call(&ccid).len() == 6).then_some(())
    })
    .await;
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for h in api.rx.for_call(&ccid) {
        *by_id.entry(h.id().to_string()).or_default() += 1;
    }
    assert_eq!(by_id.len(), 3);
    assert!(by_id.values().all(|n| *n == 2), "{by_id:?}");
    eventually("3 logged duplicates", || {
        (api.emu.deliveries().iter().filter(|d| d.duplicate).count() == 3).then_some(())
    })
    .await;
}

#[tokio::test]
async fn reorder_delivers_events_out_of_order() {
    let api = Api::with(|c| c.chaos = Some(chaos(1, 0.0, 1.0))).await;
    let ccid = api.dial("+13125550101", json!({})).await;
    eventually("three events", || {
        (api.rx.for_call(&ccid).len() == 3).then_some(())
    })
    .await;
    let got = api.rx.types(&ccid);
    assert_ne!(got, CANONICAL, "order must differ");
    let mut sorted = got.clone();
    sorted.sort();
    let mut want: Vec<String> = CANONICAL.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(sorted, want, "same events, once each");
    // The first event is held back until the second has been delivered.
    assert_eq!(got[0], "call.answered");
}

async fn run_with_seed(seed: u64) -> Vec<(String, bool)> {
    let api = Api::with(|c| c.chaos = Some(chaos(seed, 0.5, 0.5))).await;
    let mut out = vec![];
    for _ in 0..3 {
        let ccid = api.dial("+13125550101", json!({})).await;
        api.wait_hangup(&ccid).await;
        // Everything for this call delivered (held events flush on hangup).
        eventually("call drained", || {
            let n = api.rx.for_call(&ccid).len();
            let d = api
                .emu
                .deliveries()
                .iter()
                .filter(|d| d.call_control_id.as_deref() == Some(ccid.as_str()))
                .count();
            let types = api.rx.types(&ccid);
            let distinct: std::collections::HashSet<_> = types.iter().collect();
            (n == d && distinct.len() == 3).then_some(())
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for d in api.emu.deliveries() {
            if d.call_control_id.as_deref() == Some(ccid.as_str()) {
                out.push((d.event_type.clone(), d.duplicate));
            }
        }
    }
    out
}

#[tokio::test]
async fn same_seed_same_chaos() {
    let a = run_with_seed(7).await;
    let b = run_with_seed(7).await;
    assert_eq!(a, b);
    let canonical_runs: Vec<(String, bool)> = (0..3)
        .flat_map(|_| CANONICAL.iter().map(|t| (t.to_string(), false)))
        .collect();
    assert_ne!(
        a, canonical_runs,
        "seed 7 with p=0.5 must perturb something"
    );
}

#[tokio::test]
async fn per_call_chaos_header_overrides_the_default() {
    let api = Api::new().await;
    let plain = api.dial("+13125550102", json!({})).await;
    let noisy = api
        .dial(
            "+13125550102",
            json!({"custom_headers": [{"name": "X-Emulator-Chaos",
                                       "value": "seed=3,dup=1,reorder=0,delay_ms=0,concurrent=0"}]}),
        )
        .await;
    eventually("duplicated", || {
        (api.rx.for_call(&noisy).len() == 4).then_some(())
    })
    .await;
    api.wait_hangup(&plain).await;
    assert_eq!(api.rx.for_call(&plain).len(), 2);
    let r = api
        .post(
            "/calls",
            api.dial_body(
                "+13125550102",
                json!({"custom_headers": [{"name": "X-Emulator-Chaos", "value": "dup=7"}]}),
            ),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "10015"));
}

#[tokio::test]
async fn concurrent_delayed_chaos_still_delivers_everything() {
    let api = Api::new().await;
    let r = api
        .http
        .put(format!("{}/emulator/chaos", api.emu.root_url()))
        .json(&json!("seed=9,dup=0,reorder=0,delay_ms=3000,concurrent=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ccid = api.dial("+13125550101", json!({})).await;
    eventually("all three", || {
        (api.rx.for_call(&ccid).len() == 3).then_some(())
    })
    .await;
}
