# Shared helpers for the run and test scripts. Sourced, not executed.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $*"
    fi
}

apt_install() {
    # Installs Debian packages that are missing; a no-op when they are all there.
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "please install: ${missing[*]}"
    say "installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
    if ! command -v cargo >/dev/null; then
        [ -x "$HOME/.cargo/bin/cargo" ] || {
            apt_install curl ca-certificates build-essential
            say "installing the Rust toolchain (rustup)"
            curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
        }
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    command -v cc >/dev/null || apt_install build-essential
    # The emulator's WebRTC media (str0m) does DTLS/SRTP with the system OpenSSL.
    apt_install libssl-dev pkg-config
}

# Node.js 20+ is what Next.js 16 needs; Debian 12 ships 18, Debian 13 ships 20.
node_ok() {
    command -v node >/dev/null && command -v npm >/dev/null &&
        [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]
}

ensure_node() {
    node_ok && return 0
    apt_install nodejs npm
    node_ok || die "Node.js 20 or newer is needed for the web UI (found $(node --version 2>/dev/null || echo none)); install it from your distribution or nodejs.org"
}

build_frontend() {
    ensure_node
    ( cd frontend && NEXT_TELEMETRY_DISABLED=1 npm ci --no-audit --no-fund --loglevel=error && NEXT_TELEMETRY_DISABLED=1 npm run build >/dev/null )
}
