//! Row 6: function start-up. Each Lambda binary (a release build for this machine, next to the
//! bench in `target/release`) is started the way Lambda starts it, against a fake Runtime API on
//! loopback; it is ready when it asks that API for its first event
//! (`GET /2018-06-01/runtime/invocation/next`). The configuration is a deployment's minus the
//! network: `MONGODB_URI` names a loopback port where nothing listens (the store connects and
//! checks its indexes on the first operation, not at start, so the start never waits for it;
//! the driver's background monitor is refused at once), no Secrets Manager names, no
//! `ADMIN_EMAIL` (the auth function's first-admin check is a read), dummy AWS credentials for
//! the webhook's SQS client (which does no I/O until it sends). Peak RSS is the kernel's
//! high-water mark (`VmHWM`) at that moment.

use crate::zips::FUNCTIONS;
use crate::{Row, ms, percentile};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io::{ErrorKind, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WARM_UP: usize = 2;
const RUNS: usize = 20;
const P95_LIMIT_MS: f64 = 30.0;
const RSS_LIMIT_MIB: f64 = 32.0;

struct Start {
    took: Duration,
    /// VmHWM, KiB.
    peak_kib: u64,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Starts `binary` once and times it to its first `/next` request.
fn start_once(binary: &Path, function: &str, scratch: &Path) -> Result<Start, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let public_key = STANDARD.encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let stderr_path = scratch.join("stderr.log");
    let nowhere = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let mongodb_uri = format!(
        "mongodb://{}/?directConnection=true",
        nowhere.local_addr().map_err(|e| e.to_string())?
    );
    drop(nowhere);
    let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", format!("dialer-{function}"))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/dialer-{function}"),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[1]bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCHBENCHBENCH0")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "bench-secret-bench-secret-bench-secret00",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MONGODB_URI", &mongodb_uri)
        .env("SESSION_SECRET", "bench-session-secret-0123456789abcdef")
        .env("TELNYX_PUBLIC_KEY", public_key)
        .env("TELNYX_API_KEY", "KEY_BENCH_0123456789")
        .env("TELNYX_CONNECTION_ID", "1700000000000000001")
        .env("WEBHOOK_URL", "https://example.com/api/webhooks/telnyx")
        .env(
            "EVENTS_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/dialer-events",
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let failed = |what: String| {
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: String = log.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        format!("{function}: {what}; stderr: {tail}")
    };
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| failed(format!("cannot start: {e}")))?;
    let deadline = started + Duration::from_secs(10);
    let result = loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(2).any(|w| w == b"\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let took = started.elapsed();
                let line = String::from_utf8_lossy(&request);
                let line = line.lines().next().unwrap_or_default().to_string();
                break if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                    Ok(Start {
                        took,
                        peak_kib: vm_hwm_kib(child.id()).unwrap_or(0),
                    })
                } else {
                    Err(failed(format!("first request was {line:?}")))
                };
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Ok(Some(status)) = child.try_wait() {
                    break Err(failed(format!(
                        "exited ({status}) before asking for an event"
                    )));
                }
                if Instant::now() > deadline {
                    break Err(failed("not ready within 10 s".into()));
                }
                std::thread::sleep(Duration::from_micros(20));
            }
            Err(e) => break Err(failed(e.to_string())),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

pub fn function_start() -> Row {
    let what = "6 function start-up to first /next (release, x86_64 here), peak RSS";
    let target = "p95 ≤ 30 ms, peak RSS ≤ 32 MiB";
    let bin_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut notes = Vec::new();
    let mut missing = Vec::new();
    let mut errors = Vec::new();
    // (function, p50, p95, peak MiB)
    let mut results: Vec<(&str, Duration, Duration, f64)> = Vec::new();
    for function in FUNCTIONS {
        let binary = bin_dir.join(function);
        if !binary.is_file() {
            missing.push(function);
            continue;
        }
        let data = tempfile::tempdir().expect("a temp dir");
        let mut times = Vec::new();
        let mut peak = 0u64;
        for run in 0..WARM_UP + RUNS {
            match start_once(&binary, function, data.path()) {
                Ok(s) if run >= WARM_UP => {
                    times.push(s.took);
                    peak = peak.max(s.peak_kib);
                }
                Ok(_) => {}
                Err(e) => {
                    errors.push(e);
                    break;
                }
            }
        }
        if times.is_empty() {
            continue;
        }
        times.sort();
        results.push((
            function,
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            peak as f64 / 1024.0,
        ));
    }
    for (f, p50, p95, mib) in &results {
        notes.push(format!(
            "{f:<12} p50 {:.1} ms, p95 {:.1} ms, VmHWM {mib:.1} MiB ({RUNS} runs)",
            ms(*p50),
            ms(*p95)
        ));
    }
    notes.extend(errors.iter().cloned());
    if results.is_empty() {
        return Row {
            what,
            figure: format!(
                "not built (cargo build --release {})",
                FUNCTIONS.map(|f| format!("-p {f}")).join(" ")
            ),
            target,
            pass: false,
            notes,
        };
    }
    let slowest = results.iter().max_by_key(|r| r.2).unwrap();
    let fastest = results.iter().min_by_key(|r| r.1).unwrap();
    let fattest = results.iter().max_by(|a, b| a.3.total_cmp(&b.3)).unwrap();
    let mut figure = format!(
        "p95 ≤ {:.1} ms ({}), p50 {:.1}–{:.1} ms; peak RSS ≤ {:.1} MiB ({}), {} functions",
        ms(slowest.2),
        slowest.0,
        ms(fastest.1),
        ms(results.iter().map(|r| r.1).max().unwrap()),
        fattest.3,
        fattest.0,
        results.len()
    );
    if !missing.is_empty() {
        figure.push_str(&format!("; not built: {}", missing.join(" ")));
    }
    if !errors.is_empty() {
        figure.push_str(&format!("; {} failed to start", errors.len()));
    }
    Row {
        what,
        figure,
        target,
        pass: missing.is_empty()
            && errors.is_empty()
            && results
                .iter()
                .all(|r| ms(r.2) <= P95_LIMIT_MS && r.3 <= RSS_LIMIT_MIB),
        notes,
    }
}
