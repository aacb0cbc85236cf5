#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/router/contract/end-to-end tests (with the
# local SQS and MongoDB stand-ins), and the web softphone's component and browser tests.
# Installs what it needs (Rust, Python venv tools, npm packages, Chromium) on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
started=$(date +%s)

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (warnings are errors)"
cargo clippy -q --workspace --all-targets -- -D warnings

say "Rust tests"
cargo test -q --workspace 2>&1 | tee target/rust-tests.log | grep -E '^(test result|running [1-9]|error|failures:|---- )' || true
if grep -qE '^test result: FAILED|^error' target/rust-tests.log; then die "Rust tests failed (target/rust-tests.log)"; fi
read -r rust_passed rust_failed < <(awk '/^test result:/ {p+=$4; f+=$6} END {print p+0, f+0}' target/rust-tests.log)
echo "rust: ${rust_passed} passed, ${rust_failed} failed"

if [ -z "${SKIP_FRONTEND:-}" ]; then
    say "web softphone: install, lint, component tests, build"
    ensure_node
    apt_install chromium
    ( cd frontend
      export NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
      npm ci --no-audit --no-fund --loglevel=error
      npm run -s lint
      npm test
      npm run -s build >/dev/null )
    say "browser tests against the real local stack"
    cargo build -q -p local
    ( cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 LOCAL_BIN="$PWD/../target/debug/local" npm run e2e )
fi

say "all tests passed in $(( $(date +%s) - started )) s"
