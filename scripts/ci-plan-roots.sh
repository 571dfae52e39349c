#!/usr/bin/env bash
# The plan step of both pipelines (docs/pipelines.md): plans each root of this run (of one batch), each
# on its own. Run from the repository root, with Terraform, jq and AWS credentials.
#
#   scripts/ci-plan-roots.sh PLAN_DIR [BATCH]
#
# PLAN_DIR holds roots.json (scripts/ci-changed-roots.sh). Per root: terraform init (its own backend;
# -lockfile=readonly when its .terraform.lock.hcl is committed), validate, plan -out; a root to destroy is
# planned with plan -destroy from the base commit's configuration (a worktree) and its own state.
# RUN_COMMIT and RUN_ID (the commit and the CI run) are recorded beside each plan; the apply checks them.
#
# Writes PLAN_DIR/roots/<root>/{tfplan, terraform.lock.hcl, report.json, meta.json} (what the apply takes),
# PLAN_DIR/text/<root>/{plan.txt, summary.txt} and PLAN_DIR/summary.md (a section per root), and
# PLAN_DIR/outputs.env (touches_prod=... for the single root, whose plan decides its approval).
# A root that fails leaves no plan; the others are planned all the same, and the exit status is 1.
# REPORT_PLAN=true (a pull request's run): each plan is also sent with `rds-provisioner report plan`, when
# RDS_PROVISIONER_URL and RDS_PROVISIONER_PIPELINE_TOKEN are set (ci-terraform-lib.sh).
set -uo pipefail

PLAN_DIR="$(cd "${1:?usage: scripts/ci-plan-roots.sh PLAN_DIR [BATCH]}" && pwd)"
batch="${2-}"
: "${RUN_COMMIT:?set RUN_COMMIT, the commit this run plans}"
: "${RUN_ID:?set RUN_ID, the CI run (workflow) id}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ci-terraform-lib.sh
. "$here/ci-terraform-lib.sh"
require_roots

mapfile -t entries < <(roots_of_batch "$batch")
# GitHub keeps at most 1 MiB of one step's summary: each root's plan text gets its share.
text_limit=$((900000 / (${#entries[@]} > 0 ? ${#entries[@]} : 1)))
if [ "$text_limit" -gt 60000 ]; then text_limit=60000; fi
: > "$PLAN_DIR/summary.md"
: > "$PLAN_DIR/outputs.env"

plan_one() ( # ENTRY (a roots.json object)
  set -euo pipefail
  entry=$1
  root="$(jq -r '.root' <<< "$entry")"
  action="$(jq -r '.action' <<< "$entry")"
  commit="$(jq -r '.commit' <<< "$entry")"
  backend="$(jq -r '.backend_config // ""' <<< "$entry")"
  safe_root "$root"
  out="$PLAN_DIR/roots/$root"
  text="$PLAN_DIR/text/$root"
  rm -rf "$out" "$text"
  mkdir -p "$out" "$text"
  # Nothing is kept of a root whose plan fails: the apply finds no plan, and applies nothing there.
  trap 'status=$?; if [ "$status" -ne 0 ]; then rm -rf "$out"; fi' EXIT

  dir="$(config_dir "$action" "$commit" "$root")"
  lockfile=update
  if [ -f "$dir/.terraform.lock.hcl" ]; then lockfile=readonly; fi
  tf_init "$dir" "$backend" "$lockfile"
  terraform -chdir="$dir" validate -no-color
  set --
  if [ "$action" = destroy ]; then set -- -destroy; fi
  terraform -chdir="$dir" plan -input=false -lock-timeout=5m "$@" -out="$out/tfplan"
  cp "$dir/.terraform.lock.hcl" "$out/terraform.lock.hcl"
  terraform -chdir="$dir" show -no-color "$out/tfplan" > "$text/plan.txt"
  # The JSON form holds sensitive values in clear: it goes straight into jq and is never stored.
  terraform -chdir="$dir" show -json "$out/tfplan" |
    jq --arg prod "${PROD_ENVIRONMENTS:-prod}" -f "$here/ci-plan-report.jq" > "$out/report.json"
  # What the apply checks before it applies: this root, this action, this commit, this run.
  jq -n --argjson entry "$entry" --arg commit "$RUN_COMMIT" --arg run "$RUN_ID" \
    '$entry | {root, action, gate, config_commit: .commit, commit: $commit, run: $run}' > "$out/meta.json"
  jq -r --argjson entry "$entry" '
    .summary + (
      if $entry.gate == "prod" then " A prod root: on main it waits for approval."
      elif $entry.gate == "nonprod" then " Not a prod root: on main it applies without waiting for approval."
      elif .touches_prod then " Touches prod (\(.prod_changes | length) change(s): \(.prod_modules_changed | join(", "))): on main it waits for approval."
      else " Touches no prod resource." end)' "$out/report.json" > "$text/summary.txt"
  if [ "$(jq -r '.gate' <<< "$entry")" = by-plan ]; then
    echo "touches_prod=$(jq -r '.touches_prod' "$out/report.json")" >> "$PLAN_DIR/outputs.env"
  fi
  # A pull request's plan goes to rds-provisioner, which shows it on the pull request; a report that
  # fails is a warning, never the plan's failure.
  if [ "${REPORT_PLAN:-false}" = true ]; then report_json "$dir" "$out/tfplan" plan; fi
)

failed=()
for entry in "${entries[@]}"; do
  root="$(jq -r '.root' <<< "$entry")"
  action="$(jq -r '.action' <<< "$entry")"
  title="$root"
  if [ "$action" = destroy ]; then title="$root (destroy, from $(jq -r '.commit[0:12]' <<< "$entry"))"; fi
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::group::plan $title"; fi
  # Called on its own, not as a condition: bash ignores set -e inside a condition, even in a subshell.
  plan_one "$entry"
  status=$?
  if [ "$status" -eq 0 ]; then
    summary="$(cat "$PLAN_DIR/text/$root/summary.txt")"
  else
    failed+=("$root")
    summary="The plan FAILED: see the job log. Nothing of it is applied."
    mkdir -p "$PLAN_DIR/text/$root" && printf '%s\n' "$summary" > "$PLAN_DIR/text/$root/summary.txt"
  fi
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::endgroup::"; fi
  echo "$title: $summary"
  {
    echo "### Terraform plan: $title"
    echo
    echo "$summary"
    echo
    if [ -f "$PLAN_DIR/text/$root/plan.txt" ]; then
      echo '<details><summary>terraform show</summary>'
      echo
      echo '```'
      head -c "$text_limit" "$PLAN_DIR/text/$root/plan.txt"
      echo '```'
      echo '</details>'
      echo
    fi
  } >> "$PLAN_DIR/summary.md"
done

if [ "${#entries[@]}" -eq 0 ]; then echo "No root to plan${batch:+ in batch $batch}."; fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "The plan failed for ${#failed[@]} root(s): ${failed[*]}" >&2
  exit 1
fi
