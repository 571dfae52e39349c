#!/usr/bin/env bash
# Creates (or refreshes) the pinned Python tool venvs from the frozen requirement sets:
#   .venv/      checkov, schemathesis, moto[server], cfn-lint, awscli   (tools/requirements.txt)
#   .venv/sam/  aws-sam-cli, whose boto3 pin conflicts with checkov's (tools/sam-requirements.txt)
# Idempotent and quick when nothing changed: a stamp in each venv holds the hash of its requirements.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

make_venv() { # <venv dir> <frozen requirements>
  local venv="$1" req="$2" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$want" ]; then
    return 0
  fi
  echo "setting up Python test tools in ${venv#"$root"/} (once)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
  echo "$want" > "$venv/.stamp"
}

make_venv "$root/.venv" "$root/tools/requirements.txt"
make_venv "$root/.venv/sam" "$root/tools/sam-requirements.txt"
