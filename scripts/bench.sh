#!/usr/bin/env bash
# Benchmarks of the hot paths (release build): prints figure / target / pass. Not part of the
# test command: figures depend on the machine and on what else it is doing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
cargo run -q --release -p bench
