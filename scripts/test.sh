#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/router/contract/end-to-end tests (with the
# local SQS and MongoDB stand-ins), and the web softphone's component and browser tests.
# Installs what it needs (Rust, Python venv tools, npm packages, Chromium) on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
started=$(date +%s)
mkdir -p target

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (warnings are errors)"
cargo clippy -q --workspace --all-targets -- -D warnings

say "local cloud stand-ins (SQS: moto, MongoDB: nx-27017)"
apt_install python3 python3-venv
# Stop them on exit only if this run started them (a developer's running stand-ins stay up).
if ! scripts/standins.sh status >/dev/null 2>&1; then
    trap 'scripts/standins.sh stop >/dev/null 2>&1 || true' EXIT
fi
standins_env="$(scripts/standins.sh start)"

say "Rust tests (MongoDB and SQS adapters against the stand-ins)"
# The contract suites (shared/contracts) run every MongoDB/SQS case against the stand-ins;
# REQUIRE_STANDINS turns a skip into a failure.
# The stand-ins' variables stay inside this subshell: the browser tests below run the embedded
# default.
( . "$standins_env"; REQUIRE_STANDINS=1 cargo test -q --workspace 2>&1 ) | tee target/rust-tests.log | grep -E '^(test result|running [1-9]|error|failures:|---- )' || true
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
      npm run -s build >/dev/null
      # The bundle is public: no key, password or session secret may end up in it.
      if grep -rlE "KEY_EMULATOR|dialer-demo-(admin|agent)|SESSION_SECRET|BEGIN (PRIVATE|OPENSSH)" out; then
          echo "secrets in the built site (files above)" >&2; exit 1
      fi )
    say "browser tests against the real local stack"
    cargo build -q -p local
    ( cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 LOCAL_BIN="$PWD/../target/debug/local" npm run e2e )
fi

# ── Deploy: template lint (cfn-lint, sam validate --lint, cfn-lint on the SAM expansion) ──
# Tools pinned in .venv/deploy (scripts/deploy-tools.sh); ~20 s once installed (first install
# of aws-sam-cli ~2 min). Skipped loudly only when pip cannot reach the package index.
say "template lint"
lint_rc=0
scripts/lint-template.sh || lint_rc=$?
if [ "$lint_rc" = 3 ]; then
    echo "template lint: SKIPPED (pip unreachable)" >&2
elif [ "$lint_rc" != 0 ]; then
    die "template lint failed"
fi

# ── Deploy: local AWS rehearsal (ministack): real bootstrap binaries, template routes, SQS
# event source, one call end to end. ~1.5 min after the Rust tests (debug binaries).
say "local AWS rehearsal (ministack)"
rehearsal_rc=0
scripts/rehearse-aws.sh >target/rehearsal.log 2>&1 || rehearsal_rc=$?
if [ "$rehearsal_rc" = 3 ]; then
    echo "rehearsal: SKIPPED (pip unreachable)" >&2
elif [ "$rehearsal_rc" != 0 ]; then
    tail -40 target/rehearsal.log >&2
    echo "rehearsal: 0 passed, 1 failed"
    die "local AWS rehearsal failed (target/rehearsal.log, target/rehearsal/)"
else
    echo "rehearsal: 1 passed, 0 failed"
fi

say "all tests passed in $(( $(date +%s) - started )) s"
