# Pinned deploy tooling, installed into the project's .venv. Sourced by build-lambdas.sh,
# rehearse-aws.sh and test.sh; not executed.
#
# Three virtual environments, because their pins conflict (aws-sam-cli, ministack and
# moto each pin a different boto3/botocore):
#   .venv/            moto + nx-27017 (scripts/standins.sh owns it)
#   .venv/deploy/     aws-sam-cli, cfn-lint, cargo-lambda (brings ziglang for cross-linking)
#   .venv/ministack/  ministack, the local AWS used by scripts/rehearse-aws.sh
#
# Each venv carries a stamp of what was installed: a pin change reinstalls, a rerun costs
# nothing and needs no network.

DEPLOY_TOOLS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAM_PIN='aws-sam-cli==1.170.0'
CFN_LINT_PIN='cfn-lint==1.58.0'
CARGO_LAMBDA_PIN='cargo-lambda==1.9.2'
MINISTACK_PIN='ministack==1.5.33'
DEPLOY_VENV="$DEPLOY_TOOLS_ROOT/.venv/deploy"
MINISTACK_VENV="$DEPLOY_TOOLS_ROOT/.venv/ministack"

_tools_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# _pinned_venv DIR PIN... : create DIR as a venv (if needed) and install the pins into it.
# Returns 3 when pip cannot reach the package index, so callers may skip loudly.
_pinned_venv() {
    local dir="$1"
    shift
    local want="$*"
    if [[ -x "$dir/bin/python" && "$(cat "$dir/.pins" 2>/dev/null)" == "$want" ]]; then
        return 0
    fi
    command -v python3 >/dev/null || { _tools_log "python3 is missing (apt-get install -y python3 python3-venv)"; return 1; }
    [[ -x "$dir/bin/python" ]] || python3 -m venv "$dir" || {
        _tools_log "python3 -m venv failed: apt-get install -y python3-venv"
        return 1
    }
    _tools_log "installing $want into ${dir#"$DEPLOY_TOOLS_ROOT"/}"
    local log="$dir/pip.log"
    if ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >"$log" 2>&1; then
        if grep -qiE 'No matching distribution|Could not fetch|connection|Temporary failure|Max retries' "$log"; then
            tail -5 "$log" >&2
            return 3
        fi
        tail -20 "$log" >&2
        return 1
    fi
    printf '%s' "$want" >"$dir/.pins"
}

# sam, cfn-lint, cargo-lambda (and zig) on PATH.
ensure_deploy_tools() {
    _pinned_venv "$DEPLOY_VENV" "$SAM_PIN" "$CFN_LINT_PIN" "$CARGO_LAMBDA_PIN" || return $?
    export PATH="$DEPLOY_VENV/bin:$PATH"
    # cargo-lambda finds zig through the ziglang wheel; `sam build` (rust-cargolambda) needs
    # `cargo lambda` and `zig` themselves on PATH.
    if ! command -v zig >/dev/null; then
        local zig_dir
        zig_dir="$("$DEPLOY_VENV/bin/python" -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))' 2>/dev/null)" || true
        [[ -n "$zig_dir" && -x "$zig_dir/zig" ]] && export PATH="$zig_dir:$PATH"
    fi
    # SAM's telemetry would try the network on every command.
    export SAM_CLI_TELEMETRY=0
}

ensure_ministack() {
    _pinned_venv "$MINISTACK_VENV" "$MINISTACK_PIN" || return $?
    export PATH="$MINISTACK_VENV/bin:$PATH"
}

# The cross target for arm64 Lambda builds.
ensure_arm64_target() {
    if command -v rustup >/dev/null; then
        rustup target list --installed | grep -qx aarch64-unknown-linux-gnu ||
            rustup target add aarch64-unknown-linux-gnu
    fi
}
