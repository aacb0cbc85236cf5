//! Row 7: the size of each function's release zip, as `scripts/build-lambdas.sh` (cargo-lambda,
//! arm64 by default) leaves it in `target/lambda/<function>/bootstrap.zip`. Building them takes
//! a cross-compile of every function, so the bench only reads them; `BENCH_ZIPS=1
//! scripts/bench.sh` builds them first.

use crate::Row;
use std::path::PathBuf;
use std::time::SystemTime;

/// Every Lambda function, as template.yaml deploys them.
pub const FUNCTIONS: [&str; 10] = [
    "dial",
    "hangup",
    "call-status",
    "controls",
    "calls",
    "contacts",
    "settings",
    "auth",
    "webhook",
    "processor",
];

const MB: f64 = 1_000_000.0;
const LIMIT: f64 = 5.0 * MB;
const WEBHOOK_LIMIT: f64 = 7.0 * MB;

/// `CARGO_TARGET_DIR`, else the directory this binary was built into (`target/release/..`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench knows where it is");
    exe.parent()
        .and_then(|release| release.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

pub fn zip_sizes() -> Row {
    let root = target_dir().join("lambda");
    let mut sizes = Vec::new();
    let mut missing = Vec::new();
    let mut oldest: Option<SystemTime> = None;
    for f in FUNCTIONS {
        match std::fs::metadata(root.join(f).join("bootstrap.zip")) {
            Ok(m) => {
                sizes.push((f, m.len() as f64));
                if let Ok(t) = m.modified() {
                    oldest = Some(oldest.map_or(t, |o| o.min(t)));
                }
            }
            Err(_) => missing.push(f),
        }
    }
    let what = "7 release zip per function (arm64, cargo-lambda)";
    let target = "≤ 5 MB; webhook ≤ 7 MB";
    if sizes.is_empty() {
        return Row {
            what,
            figure: "not built (run scripts/build-lambdas.sh, or BENCH_ZIPS=1 scripts/bench.sh)"
                .into(),
            target,
            pass: false,
            ..Row::default()
        };
    }
    let limit = |f: &str| if f == "webhook" { WEBHOOK_LIMIT } else { LIMIT };
    let over: Vec<_> = sizes.iter().filter(|(f, s)| *s > limit(f)).collect();
    let largest = sizes
        .iter()
        .filter(|(f, _)| *f != "webhook")
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let webhook = sizes.iter().find(|(f, _)| *f == "webhook");
    let mut figure = String::new();
    if let Some((f, s)) = largest {
        figure.push_str(&format!("largest {:.2} MB ({f})", s / MB));
    }
    if let Some((_, s)) = webhook {
        figure.push_str(&format!(", webhook {:.2} MB", s / MB));
    }
    if !missing.is_empty() {
        figure.push_str(&format!("; not built: {}", missing.join(" ")));
    }
    let age = oldest
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| format!("oldest zip built {} min ago", d.as_secs() / 60))
        .unwrap_or_default();
    let shown = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(_) => root.display().to_string(),
        None => "target/lambda".into(),
    };
    let mut notes = vec![format!(
        "{shown} ({age}), MB = 10^6 bytes: {}",
        sizes
            .iter()
            .map(|(f, s)| format!("{f} {:.2}", s / MB))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for (f, s) in &over {
        notes.push(format!(
            "{f}: {:.2} MB over its {:.0} MB",
            s / MB,
            limit(f) / MB
        ));
    }
    Row {
        what,
        figure,
        target,
        pass: over.is_empty() && missing.is_empty(),
        notes,
    }
}
