#!/usr/bin/env bash
# Benchmarks (release build): prints figure / target / pass, rows numbered as in the benchmarks
# issue (docs/benchmarks.md). Not part of the test command: figures depend on the machine and on
# what else it is doing.
#
#   scripts/bench.sh              every row
#   scripts/bench.sh 5 8          only rows 5 and 8
#   BENCH_ZIPS=1 scripts/bench.sh also (re)builds the arm64 zips of row 7 first
#                                 (scripts/build-lambdas.sh: cargo-lambda, a few minutes)
#
# Row 6 starts the functions' own release binaries (target/release/<function>), built here in
# one cargo run like cargo-lambda builds them, so their features are those of the deployed zips.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust

if [ "${BENCH_ZIPS:-0}" = 1 ]; then
    scripts/build-lambdas.sh
fi
functions=(dial hangup call-status controls calls contacts settings auth webhook processor)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
say "cargo build --release (the ${#functions[@]} functions, then the bench)"
cargo build -q --release "${packages[@]}"
cargo build -q --release -p bench
# The builds leave hundreds of MB of dirty pages; their write-back would land in the rows that
# write to a SQLite file (4, 5, 8) and measure the disk's flush instead of the code.
sync
exec "${CARGO_TARGET_DIR:-target}/release/bench" "$@"
