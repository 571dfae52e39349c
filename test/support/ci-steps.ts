/**
 * The ci scripts' steps run as the platforms run them (bash -eo pipefail, GITHUB_OUTPUT read back), and a
 * recording `terraform` to put on PATH: shared by the pipeline tests that run the steps for real.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/** A step's script as the platform runs it: bash -eo pipefail, from the repository root. */
function stepCommand(script: string, env: Record<string, string>, scratch: string) {
  const outputs = join(mkdtempSync(join(scratch, 'outputs-')), 'github_output');
  writeFileSync(outputs, '');
  const args = ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script];
  const fullEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? scratch,
    GITHUB_OUTPUT: outputs,
    GITHUB_STEP_SUMMARY: join(dirname(outputs), 'summary.md'),
    TF_PLUGIN_CACHE_DIR: join(scratch, 'plugin-cache'),
    ...env,
  };
  const finish = (status: number | null, stdout: string, stderr: string): Run => {
    const parsed: Record<string, string> = {};
    for (const line of readFileSync(outputs, 'utf8').split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) parsed[line.slice(0, at)] = line.slice(at + 1);
    }
    return { status, stdout, stderr, outputs: parsed };
  };
  return { args, env: fullEnv, finish };
}

/** `scratch`: a directory for the step's GITHUB_OUTPUT and the provider cache. */
export function runStep(script: string, cwd: string, env: Record<string, string>, scratch: string): Run {
  const step = stepCommand(script, env, scratch);
  const result = spawnSync('bash', step.args, { cwd, encoding: 'utf8', env: step.env });
  return step.finish(result.status, result.stdout, result.stderr);
}

/** The same without blocking this process: for tests that talk to a server meanwhile. */
export function runStepAsync(
  script: string,
  cwd: string,
  env: Record<string, string>,
  scratch: string,
): Promise<Run> {
  const step = stepCommand(script, env, scratch);
  return new Promise((resolve) => {
    execFile('bash', step.args, { cwd, encoding: 'utf8', env: step.env }, (error, stdout, stderr) =>
      resolve(step.finish(error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr)),
    );
  });
}

/**
 * A recording terraform: plan writes a plan file naming the directory and whether it destroys; init
 * writes a lock file naming the directory unless one is there (and refuses -lockfile=readonly without one);
 * apply records the directory, the lock file it found and the plan it was given. Every call is logged.
 * `show -json` of a plan prints $TF_JSON/<root's name>.plan.json when there is one (real documents of
 * Terraform, test/fixtures/terraform-json), `show -json` with no plan (the state) <name>.state.json;
 * <name>.exit is plan -detailed-exitcode's exit code, and <name>.apply-error makes apply fail with it.
 */
export const FAKE_TERRAFORM = `#!/usr/bin/env bash
set -euo pipefail
dir=.
if [[ "$1" == -chdir=* ]]; then dir="\${1#-chdir=}"; shift; fi
cmd=$1; shift
echo "$cmd $dir $*" >> "$TF_CALLS"
json="\${TF_JSON:-/nonexistent}/$(basename "$dir")"
case "$cmd" in
  init)
    if grep -q BROKEN "$dir/main.tf"; then echo "init failed in $dir" >&2; exit 1; fi
    if [[ " $* " == *" -lockfile=readonly "* ]]; then
      [ -f "$dir/.terraform.lock.hcl" ] || { echo "no lock file in $dir" >&2; exit 1; }
    elif [ ! -f "$dir/.terraform.lock.hcl" ]; then
      echo "# providers locked in $dir at $(date +%s%N)" > "$dir/.terraform.lock.hcl"
    fi ;;
  validate) ;;
  plan)
    out=""; destroy=no; detailed=no
    for a in "$@"; do
      case "$a" in -out=*) out="\${a#-out=}" ;; -destroy) destroy=yes ;; -detailed-exitcode) detailed=yes ;; esac
    done
    printf 'plan of %s (destroy: %s): %s\\n' "$dir" "$destroy" "$(cat "$dir/main.tf" | grep key)" > "$out"
    if [ "$detailed" = yes ] && [ -f "$json.exit" ]; then exit "$(cat "$json.exit")"; fi ;;
  show)
    if [ "$1" = -json ] && [ $# -eq 1 ]; then cat "$json.state.json"
    elif [ "$1" = -json ] && [ -f "$json.plan.json" ]; then cat "$json.plan.json"
    elif [ "$1" = -json ]; then
      echo '{"resource_changes":[{"address":"module.x.aws_rds_cluster.this[0]","change":{"actions":["create"]}}]}'
    else cat "$2"; fi ;;
  apply)
    if [ -f "$json.apply-error" ]; then echo "module.x: Creating..."; cat "$json.apply-error" >&2; exit 1; fi
    echo "applied $dir with lock [$(cat "$dir/.terraform.lock.hcl")] plan [$(cat "\${@: -1}")]" >> "$TF_APPLIED" ;;
  *) echo "unexpected terraform $cmd" >&2; exit 1 ;;
esac
`;

/** A directory holding the recording terraform, to put first on PATH. */
export function fakeTerraformBin(scratch: string): string {
  const bin = join(scratch, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'terraform'), FAKE_TERRAFORM);
  chmodSync(join(bin, 'terraform'), 0o755);
  return bin;
}
