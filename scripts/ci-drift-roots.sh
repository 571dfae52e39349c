#!/usr/bin/env bash
# The nightly drift check of both pipelines (docs/pipelines.md): plans each root of the base branch (of one
# batch) with -detailed-exitcode and sends each plan to rds-provisioner with `report drift`, which shows per
# database whether AWS drifted from the files (or a merged change waits for its maintenance window). Run
# from the repository root, at the base branch's head, with Terraform, jq and AWS credentials (read only).
#
#   scripts/ci-drift-roots.sh PLAN_DIR [BATCH]
#
# PLAN_DIR holds roots.json (scripts/ci-changed-roots.sh with no base: every root). Per root: terraform init
# (-lockfile=readonly when its .terraform.lock.hcl is committed), plan -detailed-exitcode -lock=false (read
# only: it never holds a root's state lock against an apply): exit 0 is no changes, 2 is changes (drift,
# or a change pending), anything else the plan failed. The saved plan lives in a temporary directory and is
# removed: nothing of it is kept. RUN_COMMIT is the commit planned. Writes PLAN_DIR/drift.md (a line per
# root). With RDS_PROVISIONER_URL and RDS_PROVISIONER_PIPELINE_TOKEN set, each plan is sent with
# `rds-provisioner report drift` (a report that fails is a warning). A root whose plan fails fails the
# step, after the others.
set -uo pipefail

PLAN_DIR="$(cd "${1:?usage: scripts/ci-drift-roots.sh PLAN_DIR [BATCH]}" && pwd)"
batch="${2-}"
: "${RUN_COMMIT:?set RUN_COMMIT, the commit this run plans}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ci-terraform-lib.sh
. "$here/ci-terraform-lib.sh"
require_roots

drift_one() ( # ENTRY (a roots.json object) VERDICT (the file its one-line verdict goes to)
  set -euo pipefail
  entry=$1 verdict=$2
  root="$(jq -r '.root' <<< "$entry")"
  safe_root "$root"
  [ -d "$root" ] || { echo "$root is not in this checkout" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  lockfile=update
  if [ -f "$root/.terraform.lock.hcl" ]; then lockfile=readonly; fi
  tf_init "$root" "$(jq -r '.backend_config // ""' <<< "$entry")" "$lockfile"
  status=0
  terraform -chdir="$root" plan -input=false -lock=false -detailed-exitcode -out="$work/tfplan" || status=$?
  case "$status" in
    0) echo "no changes" > "$verdict" ;;
    2) echo "changes: drift, or a merged change waiting for its maintenance window" > "$verdict" ;;
    *) exit 1 ;;
  esac
  report_json "$root" "$work/tfplan" drift --commit "$RUN_COMMIT"
)

: > "$PLAN_DIR/drift.md"
failed=()
mapfile -t entries < <(roots_of_batch "$batch")
for entry in "${entries[@]}"; do
  root="$(jq -r '.root' <<< "$entry")"
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::group::drift $root"; fi
  rm -f "$PLAN_DIR/verdict"
  # Called on its own, not as a condition: bash ignores set -e inside a condition, even in a subshell.
  drift_one "$entry" "$PLAN_DIR/verdict"
  status=$?
  if [ "$status" -eq 0 ]; then
    verdict="$(cat "$PLAN_DIR/verdict")"
  else
    failed+=("$root")
    verdict="the plan FAILED: see the job log"
  fi
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::endgroup::"; fi
  echo "$root: $verdict"
  echo "- \`$root\`: $verdict" >> "$PLAN_DIR/drift.md"
done

if [ "${#entries[@]}" -eq 0 ]; then echo "No root to check${batch:+ in batch $batch}."; fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "The drift plan failed for ${#failed[@]} root(s): ${failed[*]}" >&2
  exit 1
fi
