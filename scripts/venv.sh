#!/usr/bin/env bash
# Creates (or refreshes) the pinned Python tool venv in .venv/ from tools/requirements.txt.
# Idempotent and quick when nothing changed: a stamp holds the hash of the requirements.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
req="$root/tools/requirements.txt"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$want" ]; then
  exit 0
fi
echo "setting up Python test tools in .venv (once)..." >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
echo "$want" > "$venv/.stamp"
