#!/usr/bin/env bash
# Local AWS rehearsal: the real `bootstrap` binaries, the template's routes, queue and SQS event
# source, deployed to ministack (local AWS, no Docker) and driven through one call end to end
# against the Telnyx emulator and the MongoDB stand-in. See scripts/rehearse_aws.py for what is
# and is not taken from template.yaml. Result: target/rehearsal/result.json (+ logs there).
#
#   scripts/rehearse-aws.sh               debug x86_64 binaries (fast to build, run here)
#   REHEARSAL_PROFILE=release scripts/rehearse-aws.sh
#
# The binaries are x86_64 builds of this machine: arm64 ones (what AWS runs) cannot execute here.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/deploy-tools.sh

ensure_rust
# Exit 3 (callers may skip loudly) when pip cannot reach the package index.
rc=0; ensure_deploy_tools || rc=$?
[ "$rc" = 0 ] || { echo "rehearsal: cannot install the deploy tools (boto3 and samtranslator come with aws-sam-cli)" >&2; exit "$rc"; }
ensure_ministack || rc=$?
[ "$rc" = 0 ] || { echo "rehearsal: cannot install $MINISTACK_PIN" >&2; exit "$rc"; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

profile="${REHEARSAL_PROFILE:-debug}"
bins=(dial hangup call-status controls calls contacts settings auth webhook processor emulator)
args=()
for b in "${bins[@]}"; do args+=(-p "$b"); done
say "building the functions and the emulator ($profile, x86_64)"
started=$(date +%s)
if [ "$profile" = release ]; then cargo build -q --release "${args[@]}"; else cargo build -q "${args[@]}"; fi
echo "built in $(( $(date +%s) - started )) s"

# The MongoDB stand-in, in its own state directory so a concurrent test run keeps its own.
export STANDINS_DIR="$PWD/target/rehearsal/standins"
mkdir -p "$STANDINS_DIR"
trap 'scripts/standins.sh stop >/dev/null 2>&1 || true' EXIT
env_file="$(scripts/standins.sh start)"
MONGODB_URI="$(. "$env_file"; echo "$MONGODB_URI")"
export MONGODB_URI

say "rehearsing on ministack"
REHEARSAL_BIN_DIR="$CARGO_TARGET_DIR/$profile" \
REHEARSAL_MINISTACK="$MINISTACK_VENV/bin/ministack" \
    "$DEPLOY_VENV/bin/python" scripts/rehearse_aws.py
