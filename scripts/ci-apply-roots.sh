#!/usr/bin/env bash
# The apply step of both pipelines (docs/pipelines.md), on main after the merge: applies each root's own
# saved plan, made earlier in this same run for this same commit, with its own lock file. Run from the
# repository root, with Terraform and AWS credentials (not needed with --check).
#
#   scripts/ci-apply-roots.sh [--check] PLAN_DIR GATE [BATCH]
#
# GATE is the approval this job runs under: "nonprod" (no approval) applies the roots of non-prod
# environments, and the single root when its plan touches no prod resource; "prod" (after approval)
# applies the others. A root of the other gate is left to the other job.
#
# It goes through this run's roots (PLAN_DIR/roots.json, of BATCH), never through whatever plans are in
# PLAN_DIR, and refuses a root whose plan is missing or whose meta.json names another root, action,
# commit (RUN_COMMIT) or run (RUN_ID). A plan without changes is not applied.
# --check: print, one a line, the roots it would apply (the reasons for the others go to stderr), and
# apply nothing. Exits 1 when a root was refused and nothing is left to apply (so a job never ends green
# having skipped a refused root); the apply exits 1 when any root was refused or failed, after the others.
#
# With RDS_PROVISIONER_URL and RDS_PROVISIONER_PIPELINE_TOKEN set, rds-provisioner is told of each apply:
# `report apply --started` with the saved plan before it, then `report apply` with the state after it, or
# `report apply --failed` with Terraform's output. A report that fails is a warning, never the apply's end.
set -uo pipefail

check=false
if [ "${1-}" = --check ]; then
  check=true
  shift
fi
usage='usage: scripts/ci-apply-roots.sh [--check] PLAN_DIR GATE [BATCH]'
PLAN_DIR="$(cd "${1:?$usage}" && pwd)"
gate="${2:?$usage}"
batch="${3-}"
case "$gate" in nonprod | prod) ;; *) echo "GATE must be nonprod or prod, not '$gate'" >&2; exit 2 ;; esac
: "${RUN_COMMIT:?set RUN_COMMIT, the commit this run applies}"
: "${RUN_ID:?set RUN_ID, the CI run (workflow) id}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ci-terraform-lib.sh
. "$here/ci-terraform-lib.sh"
require_roots

# The verdict on one root: "apply", "skip: why" or "refuse: why".
verdict() { # ENTRY
  local entry=$1 root action plan want_gate
  root="$(jq -r '.root' <<< "$entry")"
  action="$(jq -r '.action' <<< "$entry")"
  safe_root "$root" 2> /dev/null || { echo "refuse: not a path inside the repository"; return; }
  plan="$PLAN_DIR/roots/$root"
  if [ ! -f "$plan/tfplan" ] || [ ! -f "$plan/meta.json" ] || [ ! -f "$plan/report.json" ] ||
    [ ! -f "$plan/terraform.lock.hcl" ]; then
    echo "refuse: not planned in this run (its plan failed or is missing)"
    return
  fi
  local mismatch
  mismatch="$(jq -r --arg root "$root" --arg action "$action" --arg commit "$RUN_COMMIT" --arg run "$RUN_ID" '
    [ (select(.root != $root) | "the plan is of \(.root)"),
      (select(.action != $action) | "the plan is a \(.action), this run asks for a \($action)"),
      (select(.commit != $commit) | "the plan is of commit \(.commit), not \($commit)"),
      (select(.run != $run) | "the plan is of run \(.run), not \($run)") ] | join("; ")' "$plan/meta.json")"
  if [ -n "$mismatch" ]; then
    echo "refuse: $mismatch"
    return
  fi
  if [ "$(jq -r '.has_changes' "$plan/report.json")" != true ]; then
    echo "skip: no changes"
    return
  fi
  case "$(jq -r '.gate' <<< "$entry")" in
    nonprod) want_gate=nonprod ;;
    prod) want_gate=prod ;;
    # The single root: its plan says; anything but a plain "false" is prod.
    *) if [ "$(jq -r '.touches_prod' "$plan/report.json")" = false ]; then want_gate=nonprod; else want_gate=prod; fi ;;
  esac
  if [ "$want_gate" != "$gate" ]; then
    echo "skip: a ${want_gate} root, applied by the ${want_gate} job"
    return
  fi
  echo apply
}

apply_one() ( # ENTRY
  set -euo pipefail
  entry=$1
  root="$(jq -r '.root' <<< "$entry")"
  plan="$PLAN_DIR/roots/$root"
  dir="$(config_dir "$(jq -r '.action' "$plan/meta.json")" "$(jq -r '.config_commit' "$plan/meta.json")" "$root")"
  cat "$PLAN_DIR/text/$root/summary.txt" 2> /dev/null || jq -r '.summary' "$plan/report.json"
  # The provider builds the plan was made with, and no other.
  cp "$plan/terraform.lock.hcl" "$dir/.terraform.lock.hcl"
  tf_init "$dir" "$(jq -r '.backend_config // ""' <<< "$entry")" readonly
  # rds-provisioner hears of the apply before it starts (applying) and of its outcome after: the state
  # (ready, with the connection details) or Terraform's output (apply_failed). A report never fails the apply.
  report_json "$dir" "$plan/tfplan" apply --started --commit "$RUN_COMMIT"
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  status=0
  terraform -chdir="$dir" apply -input=false -lock-timeout=10m "$plan/tfplan" 2>&1 | tee "$log" || status=$?
  if [ "$status" -eq 0 ]; then
    report_json "$dir" "" apply --commit "$RUN_COMMIT"
  else
    send_report apply --failed "$log" --commit "$RUN_COMMIT" < /dev/null
  fi
  exit "$status"
)

refused=()
failed=()
applied=()
while IFS= read -r entry; do
  root="$(jq -r '.root' <<< "$entry")"
  v="$(verdict "$entry")"
  case "$v" in
    apply)
      if $check; then
        printf '%s\n' "$root"
        applied+=("$root")
        continue
      fi
      # Called on its own, not as a condition: bash ignores set -e inside a condition, even in a subshell.
      apply_one "$entry" < /dev/null
      status=$?
      if [ "$status" -eq 0 ]; then applied+=("$root"); else failed+=("$root"); fi
      ;;
    refuse:*)
      echo "$root: ${v}" >&2
      refused+=("$root")
      ;;
    *) echo "$root: ${v}" >&2 ;;
  esac
done < <(roots_of_batch "$batch")

if $check; then
  # Nothing to apply: a refusal must still fail the job; without one, the job has nothing to do.
  if [ "${#refused[@]}" -gt 0 ] && [ "${#applied[@]}" -eq 0 ]; then
    echo "refused: ${refused[*]}; nothing else to apply" >&2
    exit 1
  fi
  exit 0
fi
echo "${gate}: applied ${#applied[@]} root(s)${applied[*]:+: ${applied[*]}}"
if [ "${#refused[@]}" -gt 0 ] || [ "${#failed[@]}" -gt 0 ]; then
  echo "refused: ${refused[*]:-none}; failed: ${failed[*]:-none}" >&2
  exit 1
fi
