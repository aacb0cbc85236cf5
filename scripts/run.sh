#!/usr/bin/env bash
# Builds and runs the whole product on this machine: API, event pipeline, Telnyx emulator and
# the web softphone, in one process. No accounts needed. Prints the URL to open.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
if [ -z "${SKIP_FRONTEND:-}" ]; then
    say "building the web softphone"
    build_frontend
fi
say "building the dialer"
cargo build -q -p local
say "starting (Ctrl-C stops it; data is kept in ${DATA_DIR:-./data})"
exec target/debug/local
