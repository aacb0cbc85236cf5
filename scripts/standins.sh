#!/usr/bin/env bash
# Local stand-ins for the cloud services the production adapters talk to:
#   - moto_server  (SQS, Secrets Manager) -> AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_SECRETS_MANAGER
#   - nx-27017     (MongoDB)  -> MONGODB_URI
#
# Usage:
#   scripts/standins.sh [start]   install (once) and start both, print the env file path
#   scripts/standins.sh stop      stop the servers this script started
#   scripts/standins.sh status    exit 0 if both answer
#
# Then: `source target/standins/env` (or the path printed) before `cargo test`.
#
# Everything lives in the work tree: the venv in .venv/, pids, logs and env in target/standins/
# (override with STANDINS_DIR). Only processes recorded in our pid files are ever stopped.
set -euo pipefail

MOTO_PIN='moto[server]==5.2.5'
NX_PIN='nx-27017==0.8.1'
# moto's first request initialises lazily (~1 s); on a loaded 2-core machine give it margin.
READY_DEADLINE_SECS="${STANDINS_DEADLINE_SECS:-60}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STANDINS_VENV:-$ROOT/.venv}"
STATE="${STANDINS_DIR:-$ROOT/target/standins}"
ENV_FILE="$STATE/env"
PY="$VENV/bin/python"

log() { printf 'standins: %s\n' "$*" >&2; }

ensure_venv() {
    if [[ ! -x "$PY" ]]; then
        command -v python3 >/dev/null || {
            log "python3 not found: apt-get install -y python3 python3-venv"
            exit 1
        }
        if ! python3 -m venv "$VENV" 2>"$STATE/venv.err"; then
            cat "$STATE/venv.err" >&2
            log "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install -y python3-venv'"
            rm -rf "$VENV"
            exit 1
        fi
    fi
    # The stamp records what was installed, so a pin change reinstalls and a rerun costs nothing.
    local want="$MOTO_PIN $NX_PIN"
    if [[ "$(cat "$VENV/.standins-pins" 2>/dev/null)" != "$want" ]]; then
        log "installing $want into $VENV"
        "$PY" -m pip install --quiet --disable-pip-version-check "$MOTO_PIN" "$NX_PIN"
        printf '%s' "$want" >"$VENV/.standins-pins"
    fi
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Both probes speak each server's protocol: a listening socket alone is not "ready".
probe_moto() {
    "$PY" - "$1" <<'PY'
import sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json"
urllib.request.urlopen(url, timeout=2).read()
PY
}

probe_mongo() {
    "$PY" - "$1" <<'PY'
import socket, struct, sys
# OP_MSG {hello: 1, $db: "admin"} hand-encoded, so no driver is needed.
def cstr(s): return s.encode() + b"\0"
body = b"\x10" + cstr("hello") + struct.pack("<i", 1) + b"\x02" + cstr("$db") + struct.pack("<i", 6) + cstr("admin")
doc = struct.pack("<i", len(body) + 5) + body + b"\0"
msg = struct.pack("<I", 0) + b"\0" + doc
header = struct.pack("<iiii", 16 + len(msg), 1, 0, 2013)
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
    s.sendall(header + msg)
    reply = s.recv(4096)
    (length, _, response_to, opcode) = struct.unpack("<iiii", reply[:16])
    assert response_to == 1 and opcode == 2013, "not a MongoDB reply"
    assert b"ok" in reply, "hello not ok"
PY
}

wait_ready() {
    local moto_port="$1" mongo_port="$2" deadline=$((SECONDS + READY_DEADLINE_SECS))
    local moto_ok=0 mongo_ok=0
    while ((SECONDS < deadline)); do
        ((moto_ok)) || { probe_moto "$moto_port" 2>/dev/null && moto_ok=1; } || true
        ((mongo_ok)) || { probe_mongo "$mongo_port" 2>/dev/null && mongo_ok=1; } || true
        if ((moto_ok && mongo_ok)); then return 0; fi
        alive "$STATE/moto.pid" || { log "moto_server exited, see $STATE/moto.log"; tail -20 "$STATE/moto.log" >&2; return 1; }
        alive "$STATE/mongo.pid" || { log "nx-27017 exited, see $STATE/mongo.log"; tail -20 "$STATE/mongo.log" >&2; return 1; }
        sleep 0.2
    done
    log "not ready after ${READY_DEADLINE_SECS}s (moto=$moto_ok mongo=$mongo_ok); logs in $STATE"
    return 1
}

read_env_port() { sed -n "s/^export $1=.*:\([0-9]*\).*/\1/p" "$ENV_FILE"; }

start() {
    mkdir -p "$STATE"
    ensure_venv
    if alive "$STATE/moto.pid" && alive "$STATE/mongo.pid" && [[ -f "$ENV_FILE" ]]; then
        if wait_ready "$(read_env_port AWS_ENDPOINT_URL_SQS)" "$(read_env_port MONGODB_URI)"; then
            log "already running"
            echo "$ENV_FILE"
            return 0
        fi
    fi
    stop >/dev/null 2>&1 || true

    local moto_port mongo_port
    moto_port="$(free_port)"
    mongo_port="$(free_port)"
    # setsid: the servers outlive this script and a Ctrl-C in the caller's terminal.
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$STATE/moto.log" 2>&1 </dev/null &
    echo $! >"$STATE/moto.pid"
    # nx-27017 keeps a machine-wide pid file by default (/tmp/nx_27017.pid) and refuses a second
    # server; each set of stand-ins keeps its own, so a rehearsal can run beside the tests.
    setsid "$VENV/bin/nx-27017" --db memory --host 127.0.0.1 -p "$mongo_port" --pid-file "$STATE/nx_27017.pid" >"$STATE/mongo.log" 2>&1 </dev/null &
    echo $! >"$STATE/mongo.pid"

    cat >"$ENV_FILE" <<EOF
export MONGODB_URI=mongodb://127.0.0.1:$mongo_port/?directConnection=true
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$moto_port
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
EOF
    if ! wait_ready "$moto_port" "$mongo_port"; then
        stop >/dev/null 2>&1 || true
        exit 1
    fi
    log "moto_server on $moto_port, nx-27017 on $mongo_port"
    echo "$ENV_FILE"
}

stop() {
    local name pid
    for name in moto mongo; do
        if alive "$STATE/$name.pid"; then
            pid="$(cat "$STATE/$name.pid")"
            # setsid made the server a group leader: stop the group (reloaders spawn children).
            kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 -- "-$pid" 2>/dev/null || true
            log "stopped $name ($pid)"
        fi
        rm -f "$STATE/$name.pid"
    done
    rm -f "$ENV_FILE"
}

status() {
    [[ -f "$ENV_FILE" ]] || { log "not started"; return 1; }
    probe_moto "$(read_env_port AWS_ENDPOINT_URL_SQS)" && probe_mongo "$(read_env_port MONGODB_URI)" && log "both answer"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) log "usage: $0 [start|stop|status]"; exit 2 ;;
esac
