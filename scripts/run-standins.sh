#!/usr/bin/env bash
# The cloud rehearsal: runs the product with its production adapters against local stand-ins
# (MongoDB = nx-27017, SQS = moto): webhook -> SQS (+ dead-letter queue) -> poller behaving like
# the Lambda event source mapping -> processor -> MongoDB. Same UI and API as ./scripts/run.sh.
#
#   ./scripts/run-standins.sh                       # calm webhooks
#   TELNYX_EMULATOR_CHAOS=seed=7,dup=0.3,reorder=0.5 ./scripts/run-standins.sh   # Telnyx at its worst
#
# EVENTS_QUEUE_NAME (default dialer-events), MAX_RECEIVES (5) and VISIBILITY_TIMEOUT_SECS (30)
# shape the queue; MONGODB_DATABASE (dialer) the database. The stand-ins keep running after
# Ctrl-C (and keep their data until stopped): `scripts/standins.sh stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
say "starting the stand-ins"
env_file="$(scripts/standins.sh start)"
# shellcheck disable=SC1090
. "$env_file"

queue_name="${EVENTS_QUEUE_NAME:-dialer-events}"
read -r queue_url dlq_url < <(.venv/bin/python scripts/sqs-tool.py create "$queue_name" \
    --max-receives "${MAX_RECEIVES:-5}" --visibility "${VISIBILITY_TIMEOUT_SECS:-30}")
export EVENTS_QUEUE_URL="$queue_url"
export MONGODB_DATABASE="${MONGODB_DATABASE:-dialer}"

if [ -z "${SKIP_FRONTEND:-}" ]; then
    say "building the web softphone"
    build_frontend
fi
say "building the dialer"
cargo build -q -p local
cat >&2 <<EOF
events queue:      $queue_url
dead-letter queue: $dlq_url
  inspect: .venv/bin/python scripts/sqs-tool.py inspect $dlq_url
  redrive: .venv/bin/python scripts/sqs-tool.py redrive $dlq_url $queue_url
MongoDB:           $MONGODB_URI (database $MONGODB_DATABASE)
(both need: . $env_file)
EOF
say "starting (Ctrl-C stops the dialer; scripts/standins.sh stop stops the stand-ins)"
exec target/debug/local
