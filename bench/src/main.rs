//! Benchmarks printed as a figure / target / pass table, rows numbered as in the benchmarks
//! issue. Run with `scripts/bench.sh` (release build); `target/release/bench 5 8` runs only
//! rows 5 and 8. Figures depend on the machine: the output says which one, and
//! docs/benchmarks.md keeps the latest run.
//!
//! * rows 1–4, 9, 10 ([`hot`]): the hot paths in-process and the cost model;
//! * rows 5 and 8 ([`e2e`]): the local product (`local::Stack`) over loopback HTTP, with the
//!   Telnyx emulator (in chaos mode for row 8);
//! * row 6 ([`startup`]): each Lambda binary started against a fake Lambda Runtime API;
//! * row 7 ([`zips`]): the arm64 zips `scripts/build-lambdas.sh` leaves in `target/lambda`;
//! * rows 11–14 ([`webrtc`]): browser mode, with the emulator's Verto test peer as the page.

mod e2e;
mod hot;
mod startup;
mod webrtc;
mod zips;

use std::time::Duration;

#[derive(Default)]
pub struct Row {
    /// Starts with the row's number.
    pub what: &'static str,
    pub figure: String,
    pub target: &'static str,
    pub pass: bool,
    /// Detail printed under the table (per function, per scenario...).
    pub notes: Vec<String>,
}

impl Row {
    fn number(&self) -> u8 {
        self.what
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "p50 a ms, p95 b ms, p99 c ms" of unsorted samples.
pub fn spread(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.95)),
        ms(percentile(samples, 0.99))
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: bench [ROW...]   (rows 1-14; none = all)");
        return;
    }
    let only: Vec<u8> = args
        .iter()
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("not a row number: {a:?} (try --help)"))
        })
        .collect();
    let wanted = |n: u8| only.is_empty() || only.contains(&n);

    let mut rows = hot::run(wanted);
    if wanted(5) {
        rows.push(e2e::webhook_to_status());
    }
    if wanted(6) {
        rows.push(startup::function_start());
    }
    if wanted(7) {
        rows.push(zips::zip_sizes());
    }
    if wanted(8) {
        rows.push(e2e::chaos_load());
    }
    if (11..=14).any(&wanted) {
        rows.extend(webrtc::run(wanted));
    }
    rows.sort_by_key(Row::number);

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {cores} cores, load {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("| what | figure | target | pass |\n|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} |",
            r.what,
            r.figure,
            r.target,
            if r.pass { "yes" } else { "NO" }
        );
    }
    for r in rows.iter().filter(|r| !r.notes.is_empty()) {
        println!("row {}:", r.number());
        for n in &r.notes {
            println!("  {n}");
        }
    }
    let failed = rows.iter().filter(|r| !r.pass).count();
    println!("bench: {} passed, {failed} failed", rows.len() - failed);
}
