#!/usr/bin/env bash
# Whether a change touches the service (prints "true") or only the databases' Terraform ("false"), for the
# CircleCI test and deploy-serverless jobs (docs/pipelines.md, "One repository or two"): a merge that only
# adds, changes or removes a database must plan and apply, never re-run npm test or sam deploy. The same
# rule as the `paths` filters of .github/workflows/test.yml and deploy-serverless.yml (a test holds them to
# the same answers): the databases are terraform/live/**, but its README.md and backend.hcl, which the tests
# check. Run from the repository root.
#
#   scripts/ci-service-changed.sh BASE HEAD
#
# BASE: the commit before the push, or the branch's merge base with main. None (empty, all zeros, or not in
# this clone): "true": without knowing what changed, everything runs.
set -euo pipefail

base="${1-}"
head="${2:?usage: scripts/ci-service-changed.sh BASE HEAD}"

if [[ -z "$base" || "$base" =~ ^0+$ ]] || ! git rev-parse --verify --quiet "${base}^{commit}" > /dev/null; then
  echo "No base commit to compare with (${base:-none}): the service jobs run." >&2
  echo true
  exit 0
fi

# Files changed from where the branch left the base, outside the databases (an exclude pathspec wins over
# any other, so the two files of terraform/live the tests check are asked for apart).
service="$(
  git diff --name-only "${base}...${head}" -- . ':(exclude)terraform/live'
  git diff --name-only "${base}...${head}" -- terraform/live/README.md terraform/live/backend.hcl
)"
if [ -n "$service" ]; then
  printf 'Service files changed:\n%s\n' "$service" | head -20 >&2
  echo true
else
  echo "Only the databases' Terraform (terraform/live) changed: the service jobs have nothing to do." >&2
  echo false
fi
