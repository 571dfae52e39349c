/**
 * The Terraform pipelines' steps run for real (docs/pipelines.md): the detect step's shell exactly as
 * .github/workflows/terraform.yml and .circleci/config.yml spell it, in a git repository laid out per
 * database, running the built `rds-provisioner changed-roots`; then the plan and apply scripts on what it
 * found. Terraform's AWS provider and S3 backend cannot run here, so those two steps run with a recording
 * `terraform` on PATH: it writes a plan file naming the directory it planned and records every call, which
 * is what the tests check (which roots, from which directory, with which lock file). pipelines.test.ts
 * checks the YAML around the steps.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => v as Obj;

const workspace = mkdtempSync(join(tmpdir(), 'pipeline-roots-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string) => {
  const dir = join(workspace, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

// ------------------------------------------------------------------------------------- the steps' shell

const gh = asObj(parse(readFileSync(join(root, '.github/workflows/terraform.yml'), 'utf8')));
const ghEnv = asObj(gh.env);
const ghJob = (name: string) => asObj(asObj(gh.jobs)[name]);
const ghStep = (job: string, test: (s: Obj) => boolean) => (ghJob(job).steps as Obj[]).find(test) as Obj;
const ghDetect = ghStep('detect', (s) => s.id === 'roots');
const ghPlan = ghStep('plan', (s) => s.id === 'plan');
const ghApply = ghStep('apply', (s) => /ci-apply-roots\.sh/.test(String(s.run)));

const circle = asObj(parse(readFileSync(join(root, '.circleci/config.yml'), 'utf8')));
const circleEnv = asObj(asObj(asObj(circle.executors).ci).environment);
const circleRun = (job: string, re: RegExp, params: Obj = {}) => {
  const steps = asObj(asObj(circle.jobs)[job]).steps as unknown[];
  const command = steps
    .map((s) => (typeof s === 'object' && s !== null && 'run' in s ? asObj(asObj(s).run).command : undefined))
    .find((c) => typeof c === 'string' && re.test(c)) as string;
  return command.replace(/<<\s*parameters\.(\w+)\s*>>/g, (_, p: string) => String(params[p]));
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/** A step's script as the platform runs it: bash -eo pipefail, from the repository root. */
function runStep(script: string, cwd: string, env: Record<string, string>): Run {
  const outputs = join(fresh('outputs'), 'github_output');
  writeFileSync(outputs, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? workspace,
      GITHUB_OUTPUT: outputs,
      GITHUB_STEP_SUMMARY: join(dirname(outputs), 'summary.md'),
      TF_PLUGIN_CACHE_DIR: join(workspace, 'plugin-cache'),
      ...env,
    },
  });
  const parsed: Record<string, string> = {};
  for (const line of readFileSync(outputs, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) parsed[line.slice(0, at)] = line.slice(at + 1);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs: parsed };
}

// ------------------------------------------------------------------------------ a per-database repository

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const write = (dir: string, path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const mainTf = (env: string, db: string) =>
  `terraform {\n  backend "s3" {\n    key = "rds-provisioner/${env}/${db}/terraform.tfstate"\n  }\n}\n\nmodule "${db}" {\n  source = "../../../modules/rds"\n}\n`;

/**
 * A repository as the packaged (per-database) policy lays it out: roots dev/alpha, dev/bravo,
 * staging/charlie and prod/delta, the module and the shared backend file; main pushed to a bare origin.
 * The built CLI and the scripts are linked in, as `npm ci --ignore-scripts` and `tsc` leave them in CI.
 */
function perDatabaseRepo(): { dir: string; base: string } {
  const dir = fresh('repo');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'ci@example.com');
  git(dir, 'config', 'user.name', 'ci');
  for (const [env, db] of [
    ['dev', 'alpha'],
    ['dev', 'bravo'],
    ['staging', 'charlie'],
    ['prod', 'delta'],
  ] as const)
    write(dir, `terraform/live/${env}/${db}/main.tf`, mainTf(env, db));
  write(dir, 'terraform/modules/rds/main.tf', 'variable "name" {}\n');
  cpSync(join(root, 'terraform/live/backend.hcl'), join(dir, 'terraform/live/backend.hcl'));
  write(dir, 'config/policy.yaml', readFileSync(join(root, 'config/policy.yaml'), 'utf8'));
  write(dir, '.gitignore', '/dist\n/bin\n/scripts\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'four databases');
  symlinkSync(join(root, 'dist'), join(dir, 'dist'));
  symlinkSync(join(root, 'bin'), join(dir, 'bin'));
  symlinkSync(join(root, 'scripts'), join(dir, 'scripts'));
  const origin = join(dir, '..', `${dir.split('/').pop()}-origin.git`);
  git(dir, 'clone', '-q', '--bare', dir, origin);
  git(dir, 'remote', 'add', 'origin', origin);
  git(dir, 'fetch', '-q', 'origin');
  return { dir, base: git(dir, 'rev-parse', 'HEAD') };
}

/** The change of a pull request: a new database, a removed one, and optionally the module touched. */
function change(dir: string, opts: { module: boolean }): string {
  git(dir, 'checkout', '-q', '-b', 'feature/change');
  write(dir, 'terraform/live/dev/echo/main.tf', mainTf('dev', 'echo'));
  git(dir, 'rm', '-rq', 'terraform/live/dev/bravo');
  if (opts.module) write(dir, 'terraform/modules/rds/main.tf', 'variable "name" {}\nvariable "size" {}\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'add echo, remove bravo');
  return git(dir, 'rev-parse', 'HEAD');
}

interface RootEntry {
  root: string;
  action: string;
  gate: string;
  commit: string;
  batch: number;
  backend_config: string | null;
}
const rootsOf = (planDir: string) =>
  JSON.parse(readFileSync(join(planDir, 'roots.json'), 'utf8')) as RootEntry[];
const ZEROS = '0'.repeat(40);

const ghDetectEnv = (planDir: string, base: string, head: string) => ({
  GITHUB_ACTIONS: 'true',
  BASE: base,
  HEAD: head,
  PLAN_DIR: planDir,
  PROD_ENVIRONMENTS: String(ghEnv.PROD_ENVIRONMENTS),
});
const circleDetectEnv = (planDir: string, branch: string, head: string) => ({
  CIRCLE_BRANCH: branch,
  CIRCLE_SHA1: head,
  PLAN_DIR: planDir,
  PROD_ENVIRONMENTS: String(circleEnv.PROD_ENVIRONMENTS),
});
const circleDetect = (baseRevision: string) =>
  circleRun('terraform-detect', /ci-changed-roots\.sh/).replaceAll(
    '<< pipeline.git.base_revision >>',
    baseRevision,
  );

const hasDist = existsSync(join(root, 'dist/cli/main.js'));
const hasJq = spawnSync('jq', ['--version']).status === 0;

describe.skipIf(!hasDist || !hasJq)('the detect step, run for real on a per-database repository', () => {
  it('GitHub, a pull request adding one database and removing another: plans only the new root, destroys the removed one from the base', () => {
    const { dir, base } = perDatabaseRepo();
    const head = change(dir, { module: false });
    const planDir = fresh('plan');
    const run = runStep(String(ghDetect.run), dir, ghDetectEnv(planDir, base, head));
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.outputs.matrix as string)).toEqual({
      include: [
        { batch: 0, gate: 'nonprod', label: 'terraform/live/dev/echo', destroy: false },
        { batch: 1, gate: 'nonprod', label: 'terraform/live/dev/bravo', destroy: true },
      ],
    });
    expect(run.outputs.count).toBe('2');
    expect(rootsOf(planDir).map((r) => [r.root, r.action, r.commit, r.batch])).toEqual([
      ['terraform/live/dev/echo', 'plan', head, 0],
      ['terraform/live/dev/bravo', 'destroy', base, 1],
    ]);
    expect(rootsOf(planDir)[0]?.backend_config).toBe('../../backend.hcl');
  });

  it('GitHub, the module touched too: every root at the head is planned, prod in a batch of its own gate', () => {
    const { dir, base } = perDatabaseRepo();
    const head = change(dir, { module: true });
    const planDir = fresh('plan');
    const run = runStep(String(ghDetect.run), dir, ghDetectEnv(planDir, base, head));
    expect(run.status, run.stderr).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix as string) as { include: Obj[] };
    expect(matrix.include.map((b) => [b.label, b.gate, b.destroy])).toEqual([
      ['terraform/live/dev/alpha', 'nonprod', false],
      ['terraform/live/dev/echo', 'nonprod', false],
      ['terraform/live/staging/charlie', 'nonprod', false],
      ['terraform/live/dev/bravo', 'nonprod', true],
      ['terraform/live/prod/delta', 'prod', false],
    ]);
    expect(rootsOf(planDir).find((r) => r.root === 'terraform/live/dev/bravo')).toMatchObject({
      action: 'destroy',
      commit: base,
    });
  });

  it('more roots than batches: each batch holds roots of one gate, every root in exactly one', () => {
    const { dir, base } = perDatabaseRepo();
    const head = change(dir, { module: true });
    const planDir = fresh('plan');
    const run = runStep(String(ghDetect.run), dir, { ...ghDetectEnv(planDir, base, head), MAX_BATCHES: '3' });
    expect(run.status, run.stderr).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix as string) as { include: Obj[] };
    expect(matrix.include.length).toBeLessThanOrEqual(3);
    const roots = rootsOf(planDir);
    expect(roots.map((r) => r.root).sort()).toEqual([
      'terraform/live/dev/alpha',
      'terraform/live/dev/bravo',
      'terraform/live/dev/echo',
      'terraform/live/prod/delta',
      'terraform/live/staging/charlie',
    ]);
    for (const batch of matrix.include) {
      const members = roots.filter((r) => r.batch === batch.batch);
      expect(members.length).toBeGreaterThan(0);
      expect(new Set(members.map((r) => r.gate))).toEqual(new Set([batch.gate]));
    }
  });

  it('GitHub, a push with no commit before it (all zeros): every root is planned at the head', () => {
    const { dir } = perDatabaseRepo();
    const head = change(dir, { module: false });
    const planDir = fresh('plan');
    const run = runStep(String(ghDetect.run), dir, ghDetectEnv(planDir, ZEROS, head));
    expect(run.status, run.stderr).toBe(0);
    expect(rootsOf(planDir).map((r) => [r.root, r.action, r.commit])).toEqual([
      ['terraform/live/dev/alpha', 'plan', head],
      ['terraform/live/dev/echo', 'plan', head],
      ['terraform/live/staging/charlie', 'plan', head],
      ['terraform/live/prod/delta', 'plan', head],
    ]);
  });

  it('CircleCI, a branch: compared with origin/main; main: with the previous build, or every root without one', () => {
    const { dir, base } = perDatabaseRepo();
    const head = change(dir, { module: false });
    const onBranch = fresh('plan');
    const branch = runStep(circleDetect(''), dir, circleDetectEnv(onBranch, 'feature/change', head));
    expect(branch.status, branch.stderr).toBe(0);
    expect(rootsOf(onBranch).map((r) => [r.root, r.action])).toEqual([
      ['terraform/live/dev/echo', 'plan'],
      ['terraform/live/dev/bravo', 'destroy'],
    ]);
    const onMain = fresh('plan');
    const main = runStep(circleDetect(base), dir, circleDetectEnv(onMain, 'main', head));
    expect(main.status, main.stderr).toBe(0);
    expect(rootsOf(onMain)).toEqual(rootsOf(onBranch));
    const firstBuild = fresh('plan');
    const first = runStep(circleDetect(''), dir, circleDetectEnv(firstBuild, 'main', head));
    expect(first.status, first.stderr).toBe(0);
    expect(rootsOf(firstBuild).length).toBe(4);
  });

  it('a change that cannot be planned as it is fails the step with the problems, and lists no root', () => {
    const { dir, base } = perDatabaseRepo();
    git(dir, 'checkout', '-q', '-b', 'feature/stray');
    write(dir, 'terraform/live/dev/stray.tf', 'locals {}\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'a file outside any root');
    const planDir = fresh('plan');
    const run = runStep(String(ghDetect.run), dir, ghDetectEnv(planDir, base, git(dir, 'rev-parse', 'HEAD')));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("terraform/live/dev/stray.tf is not inside a database's root");
    expect(run.stdout).toContain('::error title=changed-roots::terraform/live/dev/stray.tf');
    expect(run.outputs.matrix).toBeUndefined();
    expect(existsSync(join(planDir, 'roots.json'))).toBe(false);
  });
});

// --------------------------------------------------------------------------- plan and apply, end to end

/**
 * A recording terraform: plan writes a plan file naming the directory and whether it destroys; init
 * writes a lock file naming the directory unless one is there (and refuses -lockfile=readonly without one);
 * apply records the directory, the lock file it found and the plan it was given. Every call is logged.
 */
const FAKE_TERRAFORM = `#!/usr/bin/env bash
set -euo pipefail
dir=.
if [[ "$1" == -chdir=* ]]; then dir="\${1#-chdir=}"; shift; fi
cmd=$1; shift
echo "$cmd $dir $*" >> "$TF_CALLS"
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
    out=""; destroy=no
    for a in "$@"; do
      case "$a" in -out=*) out="\${a#-out=}" ;; -destroy) destroy=yes ;; esac
    done
    printf 'plan of %s (destroy: %s): %s\\n' "$dir" "$destroy" "$(cat "$dir/main.tf" | grep key)" > "$out" ;;
  show)
    if [ "$1" = -json ]; then
      echo '{"resource_changes":[{"address":"module.x.aws_rds_cluster.this[0]","change":{"actions":["create"]}}]}'
    else cat "$2"; fi ;;
  apply)
    echo "applied $dir with lock [$(cat "$dir/.terraform.lock.hcl")] plan [$(cat "\${@: -1}")]" >> "$TF_APPLIED" ;;
  *) echo "unexpected terraform $cmd" >&2; exit 1 ;;
esac
`;

describe.skipIf(!hasDist || !hasJq)('plan and apply on what the detect step found', () => {
  const bin = join(workspace, 'fake-bin');
  beforeAll(() => {
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'terraform'), FAKE_TERRAFORM);
    chmodSync(join(bin, 'terraform'), 0o755);
  });

  function pipeline(opts: { module: boolean }) {
    const { dir, base } = perDatabaseRepo();
    const head = change(dir, opts);
    const planDir = fresh('plan');
    const logs = fresh('logs');
    const env = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      PLAN_DIR: planDir,
      TF_CALLS: join(logs, 'calls'),
      TF_APPLIED: join(logs, 'applied'),
      TF_PLUGIN_CACHE_DIR: join(logs, 'plugin-cache'),
      RUN_COMMIT: head,
      RUN_ID: 'run-1',
      PROD_ENVIRONMENTS: 'prod',
    };
    const detect = runStep(String(ghDetect.run), dir, { ...env, BASE: base, HEAD: head });
    expect(detect.status, detect.stderr).toBe(0);
    const matrix = JSON.parse(detect.outputs.matrix as string) as { include: Obj[] };
    const calls = () => readFileSync(env.TF_CALLS, 'utf8').trim().split('\n');
    const applied = () =>
      existsSync(env.TF_APPLIED) ? readFileSync(env.TF_APPLIED, 'utf8').trim().split('\n') : [];
    return { dir, base, head, planDir, env, matrix, calls, applied };
  }

  it('each batch plans its own roots; a removed root is planned with -destroy from the base, with its own state', () => {
    const p = pipeline({ module: false });
    const summaries: string[] = [];
    for (const batch of p.matrix.include) {
      const run = runStep(String(ghPlan.run), p.dir, { ...p.env, BATCH: String(batch.batch) });
      expect(run.status, run.stderr).toBe(0);
      summaries.push(readFileSync(join(p.planDir, 'summary.md'), 'utf8'));
    }
    const plans = p.calls().filter((c) => c.startsWith('plan '));
    expect(plans).toHaveLength(2);
    expect(plans[0]).toMatch(/^plan terraform\/live\/dev\/echo /);
    expect(plans[0]).not.toContain('-destroy');
    expect(plans[1]).toMatch(
      new RegExp(`^plan ${p.planDir}/base/${p.base}/terraform/live/dev/bravo .*-destroy`),
    );
    // Each root initialised with the shared backend file, relative to the root.
    expect(
      p
        .calls()
        .filter((c) => c.startsWith('init '))
        .every((c) => c.includes('-backend-config=../../backend.hcl')),
    ).toBe(true);
    const bravo = join(p.planDir, 'roots/terraform/live/dev/bravo');
    const saved = readFileSync(join(bravo, 'tfplan'), 'utf8');
    expect(saved).toContain('(destroy: yes)');
    expect(saved).toContain('key = "rds-provisioner/dev/bravo/terraform.tfstate"');
    expect(JSON.parse(readFileSync(join(bravo, 'meta.json'), 'utf8'))).toEqual({
      root: 'terraform/live/dev/bravo',
      action: 'destroy',
      gate: 'nonprod',
      config_commit: p.base,
      commit: p.head,
      run: 'run-1',
    });
    // One summary section per root, named after it, in its batch's job summary.
    expect(summaries[0]).toMatch(/^### Terraform plan: terraform\/live\/dev\/echo\n\nPlan: 1 to add/);
    expect(summaries[1]).toContain(
      `### Terraform plan: terraform/live/dev/bravo (destroy, from ${p.base.slice(0, 12)})`,
    );
  });

  it('a committed lock file is used read-only; the apply uses the lock file each plan was made with', () => {
    const p = pipeline({ module: true });
    write(p.dir, 'terraform/live/dev/alpha/.terraform.lock.hcl', '# committed lock of alpha\n');
    for (const batch of p.matrix.include) {
      runStep(String(ghPlan.run), p.dir, { ...p.env, BATCH: String(batch.batch) });
    }
    expect(p.calls()).toContain(
      'init terraform/live/dev/alpha -input=false -backend-config=../../backend.hcl -lockfile=readonly',
    );
    // A later init in the checkout must not change what is applied: the apply copies each root's own.
    for (const r of ['dev/alpha', 'dev/echo', 'staging/charlie', 'prod/delta'])
      write(p.dir, `terraform/live/${r}/.terraform.lock.hcl`, '# some other lock\n');
    for (const batch of p.matrix.include) {
      const gate = batch.gate === 'prod' ? 'prod' : 'nonprod';
      const run = runStep(String(ghApply.run), p.dir, {
        ...p.env,
        BATCH: String(batch.batch),
        APPLY_GATE: gate,
      });
      expect(run.status, run.stderr).toBe(0);
    }
    const applied = p.applied();
    expect(applied).toHaveLength(5);
    for (const line of applied) {
      const dir = /^applied (\S+)/.exec(line)?.[1] as string;
      const saved = readFileSync(
        join(p.planDir, 'roots', dir.replace(/^.*\/(terraform\/live\/)/, '$1'), 'terraform.lock.hcl'),
        'utf8',
      ).trim();
      expect(line).toContain(`with lock [${saved}]`);
      expect(line).toContain(`plan [plan of ${dir} `);
    }
    expect(applied.find((l) => l.includes('dev/alpha'))).toContain('with lock [# committed lock of alpha]');
    expect(applied.find((l) => l.includes('dev/bravo'))).toMatch(
      /^applied \S+\/base\/\w+\/terraform\/live\/dev\/bravo .*destroy: yes/,
    );
  });

  it('never applies a root it did not plan in this run, a plan of another commit or run, or a prod root without the prod gate', () => {
    const p = pipeline({ module: true });
    for (const batch of p.matrix.include)
      runStep(String(ghPlan.run), p.dir, { ...p.env, BATCH: String(batch.batch) });
    const check = (gate: string, env: Record<string, string> = {}) =>
      runStep(`bash scripts/ci-apply-roots.sh --check "$PLAN_DIR" ${gate}`, p.dir, { ...p.env, ...env });
    expect(check('nonprod').stdout.trim().split('\n')).toEqual([
      'terraform/live/dev/alpha',
      'terraform/live/dev/echo',
      'terraform/live/staging/charlie',
      'terraform/live/dev/bravo',
    ]);
    expect(check('prod').stdout.trim()).toBe('terraform/live/prod/delta');
    // Another commit or another run: everything refused, the step fails, nothing is applied.
    for (const env of [{ RUN_COMMIT: p.base }, { RUN_ID: 'run-2' }] as Record<string, string>[]) {
      const run = check('nonprod', env);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/refuse: the plan is of (commit|run)/);
    }
    // A plan left in the directory for a root this run did not list is never applied.
    cpSync(
      join(p.planDir, 'roots/terraform/live/dev/alpha'),
      join(p.planDir, 'roots/terraform/live/dev/zulu'),
      {
        recursive: true,
      },
    );
    expect(check('nonprod').stdout).not.toContain('zulu');
    // A plan of one root copied over another's is refused; a missing plan is refused; the rest applies.
    cpSync(
      join(p.planDir, 'roots/terraform/live/dev/alpha/meta.json'),
      join(p.planDir, 'roots/terraform/live/dev/echo/meta.json'),
    );
    rmSync(join(p.planDir, 'roots/terraform/live/staging/charlie'), { recursive: true });
    const mixed = runStep(String(ghApply.run), p.dir, { ...p.env, BATCH: '', APPLY_GATE: 'nonprod' });
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain(
      'terraform/live/dev/echo: refuse: the plan is of terraform/live/dev/alpha',
    );
    expect(mixed.stderr).toContain('terraform/live/staging/charlie: refuse: not planned in this run');
    expect(
      p.applied().map((l) => /^applied (\S+)/.exec(l)?.[1]?.replace(/^.*\/terraform/, 'terraform')),
    ).toEqual(['terraform/live/dev/alpha', 'terraform/live/dev/bravo']);
  });

  it('a root whose init fails leaves no plan and fails the step; the other roots are planned and applied', () => {
    const p = pipeline({ module: false });
    write(p.dir, 'terraform/live/dev/echo/main.tf', `${mainTf('dev', 'echo')}# BROKEN\n`);
    const runs = p.matrix.include.map((batch) =>
      runStep(String(ghPlan.run), p.dir, { ...p.env, BATCH: String(batch.batch) }),
    );
    expect(runs.map((r) => r.status)).toEqual([1, 0]);
    expect(runs[0]?.stdout).toContain('terraform/live/dev/echo: The plan FAILED');
    expect(existsSync(join(p.planDir, 'roots/terraform/live/dev/echo'))).toBe(false);
    expect(
      p
        .calls()
        .filter((c) => c.includes('dev/echo'))
        .map((c) => c.split(' ')[0]),
    ).toEqual(['init']);
    // At apply, nothing is applied there; the destroy of bravo is.
    const apply = runStep(String(ghApply.run), p.dir, { ...p.env, BATCH: '', APPLY_GATE: 'nonprod' });
    expect(apply.status).toBe(1);
    expect(apply.stderr).toContain('terraform/live/dev/echo: refuse: not planned in this run');
    expect(p.applied()).toHaveLength(1);
    expect(p.applied()[0]).toMatch(/\/terraform\/live\/dev\/bravo with lock/);
  });

  it('a root whose init fails at apply time is not applied, and the step fails', () => {
    const p = pipeline({ module: false });
    for (const batch of p.matrix.include)
      runStep(String(ghPlan.run), p.dir, { ...p.env, BATCH: String(batch.batch) });
    write(p.dir, 'terraform/live/dev/echo/main.tf', `${mainTf('dev', 'echo')}# BROKEN\n`);
    const apply = runStep(String(ghApply.run), p.dir, { ...p.env, BATCH: '', APPLY_GATE: 'nonprod' });
    expect(apply.status).toBe(1);
    expect(
      p
        .calls()
        .filter((c) => c.startsWith('apply '))
        .some((c) => c.includes('dev/echo')),
    ).toBe(false);
    expect(p.applied().map((l) => l.includes('dev/bravo'))).toEqual([true]);
  });

  it("without this run's list of roots (roots.json), the plan and apply steps fail and touch nothing", () => {
    const planDir = fresh('no-list');
    const env = { PLAN_DIR: planDir, RUN_COMMIT: 'abc', RUN_ID: 'r', BATCH: '0', APPLY_GATE: 'nonprod' };
    for (const script of [
      String(ghPlan.run),
      String(ghApply.run),
      'bash scripts/ci-apply-roots.sh --check "$PLAN_DIR" nonprod',
    ]) {
      const run = runStep(script, root, env);
      expect(run.status, script).not.toBe(0);
      expect(run.stderr).toContain(`${planDir}/roots.json`);
    }
  });

  it('the single root: its plan decides the gate, and anything but "false" is prod', () => {
    const planDir = fresh('single');
    const entry = {
      root: 'terraform/live',
      environment: null,
      db_name: null,
      backend_config: null,
      prod: null,
      commit: 'abc',
      action: 'plan',
      gate: 'by-plan',
      batch: 0,
    };
    writeFileSync(join(planDir, 'roots.json'), JSON.stringify([entry]));
    const plan = join(planDir, 'roots/terraform/live');
    mkdirSync(plan, { recursive: true });
    for (const f of ['tfplan', 'terraform.lock.hcl']) writeFileSync(join(plan, f), 'x');
    writeFileSync(
      join(plan, 'meta.json'),
      JSON.stringify({
        root: 'terraform/live',
        action: 'plan',
        gate: 'by-plan',
        config_commit: 'abc',
        commit: 'abc',
        run: 'r',
      }),
    );
    const gates = (report: Obj) => {
      writeFileSync(join(plan, 'report.json'), JSON.stringify(report));
      return ['nonprod', 'prod'].filter(
        (gate) =>
          runStep(`bash scripts/ci-apply-roots.sh --check "$PLAN_DIR" ${gate}`, root, {
            PLAN_DIR: planDir,
            RUN_COMMIT: 'abc',
            RUN_ID: 'r',
          }).stdout.trim() === 'terraform/live',
      );
    };
    expect(gates({ has_changes: true, touches_prod: false })).toEqual(['nonprod']);
    expect(gates({ has_changes: true, touches_prod: true })).toEqual(['prod']);
    expect(gates({ has_changes: true })).toEqual(['prod']);
    expect(gates({ has_changes: false, touches_prod: false })).toEqual([]);
  });
});
