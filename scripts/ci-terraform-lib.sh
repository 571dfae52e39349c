# Shared by scripts/ci-plan-roots.sh and scripts/ci-apply-roots.sh (sourced, not run): where a root's
# configuration is, and how it is initialised. docs/pipelines.md describes the flow.

# Terraform downloads each provider once per job, not once per root; the cache may fill a root's lock file
# (the plan records it and the apply uses exactly that one).
export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-$HOME/.terraform.d/plugin-cache}"
export TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true
mkdir -p "$TF_PLUGIN_CACHE_DIR"

# A root path from changed-roots, refused if it could leave the repository (it never should).
safe_root() {
  case "$1" in
    '' | /* | *..* | *//*) echo "refusing root '$1': not a relative path inside the repository" >&2; return 1 ;;
  esac
}

# The directory a root is planned or applied in: the checkout for a root to plan; for a root to destroy,
# the same root in a worktree of the commit it was last in (the base), so it is destroyed from its own
# configuration and state, never by planning an empty directory.
config_dir() { # ACTION COMMIT ROOT
  local action=$1 commit=$2 root=$3
  safe_root "$root" || return 1
  if [ "$action" = plan ]; then
    [ -d "$root" ] || { echo "$root is not in this checkout" >&2; return 1; }
    printf '%s\n' "$root"
    return 0
  fi
  [ "$action" = destroy ] || { echo "unknown action '$action' for $root" >&2; return 1; }
  local tree="$PLAN_DIR/base/$commit"
  if [ ! -d "$tree" ]; then
    git worktree add --detach --quiet "$tree" "$commit" >&2 || {
      echo "cannot check out $commit, the commit $root is destroyed from (is the history fetched?)" >&2
      return 1
    }
  fi
  [ -d "$tree/$root" ] || { echo "$root is not in $commit: nothing to destroy it from" >&2; return 1; }
  printf '%s\n' "$tree/$root"
}

# terraform init of a root: a per-database root with the shared backend file changed-roots names
# (relative to the root), the single root with the TF_STATE_* variables, as the original system did.
tf_init() { # DIR BACKEND_CONFIG(empty for the single root) LOCKFILE(update|readonly)
  local dir=$1 backend=$2 lockfile=$3
  set -- -input=false
  if [ -n "$backend" ]; then
    set -- "$@" -backend-config="$backend"
  else
    : "${TF_STATE_BUCKET:?set TF_STATE_BUCKET (the single root's state bucket)}"
    : "${TF_STATE_REGION:?set TF_STATE_REGION (the single root's state bucket region)}"
    set -- "$@" -backend-config="bucket=${TF_STATE_BUCKET}" \
      -backend-config="region=${TF_STATE_REGION}" \
      -backend-config="key=${TF_STATE_KEY:-rds-provisioner/live/terraform.tfstate}"
    if [ -n "${TF_STATE_KMS_KEY_ID:-}" ]; then
      set -- "$@" -backend-config="kms_key_id=${TF_STATE_KMS_KEY_ID}"
    fi
  fi
  if [ "$lockfile" = readonly ]; then set -- "$@" -lockfile=readonly; fi
  terraform -chdir="$dir" init "$@"
}

# This run's list of roots (PLAN_DIR/roots.json, written by ci-changed-roots.sh): without it, nothing.
require_roots() {
  [ -f "$PLAN_DIR/roots.json" ] || {
    echo "no $PLAN_DIR/roots.json: the detect step's list of this run's roots is missing" >&2
    exit 1
  }
}

# The roots of this run, one JSON object a line; with a batch, only that batch's.
roots_of_batch() { # BATCH(optional)
  jq -c --arg batch "${1-}" '.[] | select($batch == "" or (.batch | tostring) == $batch)' "$PLAN_DIR/roots.json"
}

# ---- Reports to the service (docs/pipelines.md, "Reporting back"): `rds-provisioner report`, the CLI that
# the job built (RDS_PROVISIONER_BIN: bin/rds-provisioner.js here; in a repository init-repo set up, the
# CLI built from the rds-provisioner source the pipeline fetched). Sent only when the pipeline has the
# service's URL (RDS_PROVISIONER_URL) and its credential, by RDS_PROVISIONER_AUTH (the CLI reads the same
# variables): token (the default, `serve`) RDS_PROVISIONER_PIPELINE_TOKEN; iam (a stack with AuthMode=iam)
# the job's AWS credentials, which sign each report (the role the job assumed must be the stack's
# PipelinePrincipalArn); api-key (AuthMode=api_key) RDS_PROVISIONER_PIPELINE_API_KEY. A report that fails
# or times out is a warning, never the job's failure: the plan, the apply and the drift check go on without
# it. No credential is ever printed: the CLI names where one came from, never its value.

reporting() {
  local mode=${RDS_PROVISIONER_AUTH:-token} missing=()
  if [ -z "${RDS_PROVISIONER_URL:-}" ]; then missing+=(RDS_PROVISIONER_URL); fi
  case "$mode" in
    # Where the AWS credentials are (environment, web identity, a profile, a role) is the CLI's to find.
    iam) ;;
    api-key | api_key) if [ -z "${RDS_PROVISIONER_PIPELINE_API_KEY:-}" ]; then missing+=(RDS_PROVISIONER_PIPELINE_API_KEY); fi ;;
    token) if [ -z "${RDS_PROVISIONER_PIPELINE_TOKEN:-}" ]; then missing+=(RDS_PROVISIONER_PIPELINE_TOKEN); fi ;;
    # Any other mode goes to the CLI, which refuses it naming RDS_PROVISIONER_AUTH (a warning here).
  esac
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  local what="${missing[0]}${missing[1]:+ and ${missing[1]}}"
  if [ -n "${RDS_PROVISIONER_AUTH:-}" ]; then
    echo "report: not sent (set $what to report to rds-provisioner with RDS_PROVISIONER_AUTH=$mode)"
  else
    echo "report: not sent (set $what to report to rds-provisioner; to a stack on AWS, set RDS_PROVISIONER_AUTH=iam to sign with the job's AWS credentials, or RDS_PROVISIONER_AUTH=api-key and RDS_PROVISIONER_PIPELINE_API_KEY)"
  fi
  return 1
}

report_warning() { # MESSAGE
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::warning title=rds-provisioner report::$1"; fi
  echo "warning: $1" >&2
}

# `rds-provisioner report ARGS...`, standard input passed on, bounded in time; never fails.
send_report() { # KIND ARGS...
  local status=0
  reporting || return 0
  timeout "${REPORT_TIMEOUT:-120}" node "${RDS_PROVISIONER_BIN:-bin/rds-provisioner.js}" report "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    report_warning "report $1 was not recorded by rds-provisioner (exit $status); this job goes on without it"
  fi
  return 0
}

# `terraform show -json` of a root's saved plan (or, with no plan, of its state) piped into
# `rds-provisioner report KIND - ARGS...`: the JSON holds sensitive values in clear, so it is never written
# to disk; the CLI drops them before anything is sent.
report_json() { # DIR PLAN(empty: the state) KIND [ARGS...]
  local dir=$1 plan=$2 kind=$3
  shift 3
  reporting || return 0
  set -- "$kind" - "$@"
  { terraform -chdir="$dir" show -json ${plan:+"$plan"} | send_report "$@"; } ||
    report_warning "terraform show -json failed in $dir: report $kind not sent"
  return 0
}
