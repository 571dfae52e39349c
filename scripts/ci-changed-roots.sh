#!/usr/bin/env bash
# The detect step of both pipelines (docs/pipelines.md): the Terraform roots a change plans and destroys,
# as `rds-provisioner changed-roots` finds them from the policy's layout, grouped in batches for the plan
# and apply jobs. Run from the repository root after `npm ci --ignore-scripts` and `npx tsc -p tsconfig.json`
# (RDS_PROVISIONER_BIN: the CLI to run, bin/rds-provisioner.js by default).
#
#   scripts/ci-changed-roots.sh BASE HEAD OUT_DIR
#
# BASE is the pull request's base commit, or the commit before a push. When there is none (empty, all
# zeros: a new branch or the first push) or it is not in this clone (a force push), every root is planned.
#
# Writes, in OUT_DIR:
#   changed-roots.json  the command's answer
#   roots.json          one entry per root: the command's fields, action (plan|destroy), commit (the head
#                       for a plan, the base for a destroy), gate and batch
#   matrix.json         {"include": [{batch, gate, label, destroy}]}: at most MAX_BATCHES (default 256,
#                       GitHub's matrix limit) batches; a batch holds roots of one gate only
#   detect.md           what was found, for a job summary
# gate: "prod" (waits for approval), "nonprod", or "by-plan" (the single root: its plan says).
# Exits 1, with the command's problems, when the change cannot be planned as it is.
set -euo pipefail

base="${1-}"
head="${2:?usage: scripts/ci-changed-roots.sh BASE HEAD OUT_DIR}"
out="${3:?usage: scripts/ci-changed-roots.sh BASE HEAD OUT_DIR}"
policy="${POLICY:-config/policy.yaml}"
max_batches="${MAX_BATCHES:-256}"
mkdir -p "$out"

head="$(git rev-parse --verify --quiet "${head}^{commit}")" || {
  echo "the head ${2} is not a commit in this clone" >&2
  exit 1
}
compare_head="$head"
if [[ -z "$base" || "$base" =~ ^0+$ ]] || ! git rev-parse --verify --quiet "${base}^{commit}" > /dev/null; then
  echo "No base commit to compare with (${base:-none}): planning every root."
  # changed-roots compares BASE...HEAD (from their merge base). To compare with nothing: an empty commit as
  # the base and, as the head, a commit with the head's tree whose parent is that empty commit; every file
  # is then added. Only the comparison uses it: roots.json names the real head.
  export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@invalid GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@invalid
  base="$(git commit-tree "$(git hash-object -w -t tree /dev/null)" -m 'nothing')"
  compare_head="$(git commit-tree "${head}^{tree}" -p "$base" -m "everything at ${head}")"
fi

status=0
node "${RDS_PROVISIONER_BIN:-bin/rds-provisioner.js}" changed-roots --config "$policy" --base "$base" --head "$compare_head" \
  --prod-environments "${PROD_ENVIRONMENTS:-prod}" > "$out/changed-roots.json" 2> "$out/problems.txt" || status=$?
if [ "$status" -ne 0 ]; then
  echo "changed-roots exited ${status}: this change cannot be planned as it is." >&2
  cat "$out/problems.txt" >&2
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    while IFS= read -r line; do echo "::error title=changed-roots::${line}"; done < "$out/problems.txt"
  fi
  exit 1
fi

jq --arg head "$head" --argjson max "$max_batches" '
  def gate: if .prod == true then "prod" elif .prod == false then "nonprod" else "by-plan" end;
  ([.plan[] | . + {action: "plan", commit: $head}] + [.destroy[] | . + {action: "destroy"}]
    | map(. + {gate: gate})) as $roots
  # One gate per batch, so a batch runs in one environment; as few roots per batch as the limit allows.
  | [["nonprod", "by-plan", "prod"][] as $g | [$roots[] | select(.gate == $g)] | select(length > 0)] as $groups
  | def count($size): [$groups[] | (length + $size - 1) / $size | floor] | add // 0;
  (first(range(1; ($roots | length) + 2) | select(count(.) <= $max)) // 1) as $size
  | [$groups[] | . as $g | range(0; length; $size) | $g[.:. + $size]]
  | to_entries
  | {
      roots: [.[] | .key as $b | .value[] | . + {batch: $b}],
      matrix: {include: [.[] | {
        batch: .key,
        gate: .value[0].gate,
        label: (.value[0].root + (if (.value | length) > 1 then " +\((.value | length) - 1) more" else "" end)),
        destroy: any(.value[]; .action == "destroy")
      }]}
    }
' "$out/changed-roots.json" > "$out/detected.json"
jq '.roots' "$out/detected.json" > "$out/roots.json"
jq '.matrix' "$out/detected.json" > "$out/matrix.json"
rm "$out/detected.json"

jq -r '
  "### Terraform roots: \(.plan | length) to plan, \(.destroy | length) to destroy" +
  (if .everything then " (a shared file changed: every root)" else "" end),
  "",
  (.plan[] | "- plan `\(.root)`" + (if .prod then " (prod: waits for approval on main)" else "" end)),
  (.destroy[] | "- destroy `\(.root)` from \(.commit[0:12])" + (if .prod then " (prod: waits for approval on main)" else "" end))
' "$out/changed-roots.json" | tee "$out/detect.md"
