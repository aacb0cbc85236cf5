#!/usr/bin/env bash
# Lints template.yaml three ways, offline, with the pinned tools in .venv/deploy:
#   1. cfn-lint on the template as written
#   2. sam validate --lint (SAM's own checks)
#   3. cfn-lint on the SAM-expanded template (circular dependencies, typos inside
#      Serverless resources, what CloudFormation will really get)
# Exit 0 when all are clean; exit 3 (and say so loudly) when the tools cannot be installed
# because pip cannot reach the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deploy-tools.sh

rc=0
ensure_deploy_tools || rc=$?
if [ "$rc" = 3 ]; then
    printf '\n\033[1;31m!!! template lint SKIPPED: pip cannot reach the package index to install %s / %s !!!\033[0m\n\n' "$SAM_PIN" "$CFN_LINT_PIN" >&2
    exit 3
elif [ "$rc" != 0 ]; then
    exit "$rc"
fi

started=$(date +%s)
mkdir -p target/deploy
echo "cfn-lint template.yaml"
cfn-lint template.yaml
echo "sam validate --lint"
sam validate --lint --region us-east-1 --template template.yaml >/dev/null
echo "cfn-lint (SAM expanded)"
"$DEPLOY_VENV/bin/python" scripts/sam-expand.py template.yaml target/deploy/template.expanded.json
cfn-lint target/deploy/template.expanded.json
echo "template lint clean in $(( $(date +%s) - started )) s"
