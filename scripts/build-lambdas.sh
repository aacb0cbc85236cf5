#!/usr/bin/env bash
# Builds every Lambda function for AWS: `cargo lambda build --release --arm64` (Graviton,
# provided.al2023), one `bootstrap` per function crate, zipped, with their sizes.
#
#   scripts/build-lambdas.sh            all functions, arm64 release (what template.yaml deploys)
#   scripts/build-lambdas.sh dial ...   only these
#   LAMBDA_ARCH=x86_64 scripts/build-lambdas.sh   x86_64 instead (e.g. to run them on this machine)
#
# Installs its tools, pinned, into .venv/deploy (cargo-lambda, which brings zig for the cross
# link) and the Rust target with rustup. Artifacts: target/lambda/<function>/bootstrap(.zip).
# `sam build` (template.yaml, BuildMethod rust-cargolambda) runs the same cargo-lambda build per
# function; use either.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/deploy-tools.sh

ensure_rust
ensure_deploy_tools || die "could not install cargo-lambda (pip); see .venv/deploy/pip.log"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

FUNCTIONS=(dial hangup call-status controls calls contacts settings auth webhook processor)
if [ $# -gt 0 ]; then FUNCTIONS=("$@"); fi

arch_flag=--arm64
if [ "${LAMBDA_ARCH:-arm64}" = x86_64 ]; then
    arch_flag=--x86-64
    rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-gnu || rustup target add x86_64-unknown-linux-gnu
else
    ensure_arm64_target
fi

# `-p`: only the functions are built, and none of them depends on the local stack's SQLite store
# (shared/store-sqlite); `sam build`'s `--bin` builds the workspace's default-members, the same
# set.
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done

say "cargo lambda build --release $arch_flag (${FUNCTIONS[*]})"
started=$(date +%s)
cargo lambda build --release "$arch_flag" --output-format zip "${packages[@]}"
say "built in $(( $(date +%s) - started )) s"

python3 - "$CARGO_TARGET_DIR/lambda" "${FUNCTIONS[@]}" <<'PY'
import os, sys, zipfile
root, names = sys.argv[1], sys.argv[2:]
print(f"{'function':<12} {'bootstrap':>10} {'zip':>8}")
for name in names:
    path = os.path.join(root, name, "bootstrap.zip")
    if not os.path.exists(path):
        sys.exit(f"missing {path}")
    raw = zipfile.ZipFile(path).getinfo("bootstrap").file_size
    print(f"{name:<12} {raw / 2**20:>9.1f}M {os.path.getsize(path) / 2**20:>7.1f}M")
PY
