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
import { githubPullRequestEnv } from '../support/ci-env.js';
import {
  type Run,
  runStep as runCiStep,
  runStepAsync as runCiStepAsync,
  fakeTerraformBin as writeFakeTerraform,
} from '../support/ci-steps.js';
import { serverPerSuite, waitFor } from '../support/server.js';

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

/** A step's script as the platform runs it (test/support/ci-steps.ts), its scratch files in the workspace. */
const runStep = (script: string, cwd: string, env: Record<string, string>): Run =>
  runCiStep(script, cwd, env, workspace);
const runStepAsync = (script: string, cwd: string, env: Record<string, string>): Promise<Run> =>
  runCiStepAsync(script, cwd, env, workspace);

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

const fakeTerraformBin = () => writeFakeTerraform(workspace);

// Each test runs the pipeline's steps (bash, git, jq, the CLI) synchronously: minutes under load, not a hang.
describe.skipIf(!hasDist || !hasJq)(
  'plan and apply on what the detect step found',
  { timeout: 120_000 },
  () => {
    const bin = join(workspace, 'fake-bin');
    beforeAll(() => {
      fakeTerraformBin();
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
  },
);

// ------------------------------------------------------------------ reports to rds-provisioner, for real

const FIXTURES = join(root, 'test/fixtures/terraform-json');
/** A real `terraform show -json` document of the database `orders` (aurora), as another database's. */
const documentOf = (name: string, db: string) =>
  readFileSync(join(FIXTURES, 'aurora', `${name}.json`), 'utf8').replaceAll('orders', db);

/** A plan of `db` with nothing to do: the creation's resources, each a no-op at its planned values. */
function noChanges(db: string): string {
  const plan = JSON.parse(documentOf('create-plan', db)) as {
    resource_changes: Array<{ change: Record<string, unknown> }>;
  };
  for (const { change } of plan.resource_changes) {
    change.actions = ['no-op'];
    change.before = change.after;
    change.before_sensitive = change.after_sensitive;
    change.after_unknown = {};
  }
  return JSON.stringify(plan);
}

/**
 * The pipeline's steps on the repository of the real built server (local runtime: the requests, their
 * pull requests and the base branch are the service's own), with the recording terraform printing real
 * `terraform show -json` documents, and the service's URL and pipeline token in the environment: the
 * scripts call the built `rds-provisioner report`, and what the service recorded is checked through its API.
 */
describe.skipIf(!hasDist || !hasJq)('the plan, apply and drift steps report to rds-provisioner', () => {
  const suite = serverPerSuite();
  let bin: string;
  beforeAll(() => {
    bin = fakeTerraformBin();
  });
  const status = async (id: string) => (await suite.call('GET', `/requests/${id}`)).json;

  /** A request for `db`, followed to its open pull request. */
  async function requested(db: string) {
    const accepted = await suite.call('POST', '/provision', {
      db_name: db,
      engine: 'postgres',
      environment: 'dev',
    });
    expect(accepted.status, accepted.text).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => status(id),
      (r) => r?.status === 'pr_open',
    );
    return { id, number: open.pull_request.number as number, branch: open.pull_request.branch as string };
  }

  /** Merges the request's pull request through the service: the base branch's new commit. */
  async function merged(id: string, number: number): Promise<string> {
    expect((await suite.call('POST', `/pulls/${number}/merge`)).status).toBe(200);
    return (
      await waitFor(
        () => status(id),
        (r) => r?.status === 'merged',
      )
    ).merge_commit as string;
  }

  /** A CI checkout of the service's repository at `ref`, with the built CLI and the scripts linked in. */
  function checkout(ref: string) {
    const dir = fresh('service-checkout');
    execFileSync('git', ['clone', '-q', suite.server.repo, dir]);
    git(dir, 'checkout', '-q', ref);
    write(dir, 'config/policy.yaml', readFileSync(join(root, 'config/policy.yaml'), 'utf8'));
    for (const link of ['dist', 'bin', 'scripts']) symlinkSync(join(root, link), join(dir, link));
    return dir;
  }

  /** One CI run's environment: the recording terraform, the documents it prints, the service. */
  function runEnv(commit: string, service = true) {
    const logs = fresh('logs');
    const json = fresh('json');
    return {
      json,
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        PLAN_DIR: fresh('plan'),
        TF_CALLS: join(logs, 'calls'),
        TF_APPLIED: join(logs, 'applied'),
        TF_JSON: json,
        RUN_COMMIT: commit,
        RUN_ID: `run-${counter}`,
        PROD_ENVIRONMENTS: 'prod',
        ...(service && {
          RDS_PROVISIONER_URL: suite.server.url,
          RDS_PROVISIONER_PIPELINE_TOKEN: suite.server.pipelineToken,
        }),
      } as Record<string, string>,
    };
  }

  const output = (run: Run) => `${run.stdout}\n${run.stderr}`;

  it('GitHub Actions: the pull request plan is recorded on it; on main the apply reports applying, then ready with the connection details', async () => {
    const { id, number, branch } = await requested('orders');
    const dir = checkout(`origin/${branch}`);
    const head = git(dir, 'rev-parse', 'HEAD');
    const base = git(dir, 'rev-parse', 'origin/main');
    const pr = runEnv(head);
    writeFileSync(join(pr.json, 'orders.plan.json'), documentOf('create-plan', 'orders'));
    const ci = { ...pr.env, ...githubPullRequestEnv(pr.json, { number, branch, head }) };
    expect((await runStepAsync(String(ghDetect.run), dir, { ...ci, BASE: base, HEAD: head })).status).toBe(0);
    const plan = await runStepAsync(String(ghPlan.run), dir, { ...ci, BATCH: '0', REPORT_PLAN: 'true' });
    expect(plan.status, output(plan)).toBe(0);
    expect(plan.stdout).toMatch(
      new RegExp(`^plan of #${number} at ${head.slice(0, 12)} for request ${id}: orders \\+\\d+ ~0 -0$`, 'm'),
    );
    expect((await status(id)).plan).toMatchObject({ commit: head, pull_request: number });
    expect((await suite.call('GET', `/pulls/${number}`)).json.comments).toHaveLength(1);

    // Merged: the push to main plans again (nothing reported: no pull request) and applies.
    const mergeCommit = await merged(id, number);
    git(dir, 'fetch', '-q', 'origin');
    git(dir, 'checkout', '-q', mergeCommit);
    const main = runEnv(mergeCommit);
    writeFileSync(join(main.json, 'orders.plan.json'), documentOf('create-plan', 'orders'));
    writeFileSync(join(main.json, 'orders.state.json'), documentOf('state', 'orders'));
    const push = { ...main.env, GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'push', GITHUB_SHA: mergeCommit };
    expect(
      (await runStepAsync(String(ghDetect.run), dir, { ...push, BASE: base, HEAD: mergeCommit })).status,
    ).toBe(0);
    const mainPlan = await runStepAsync(String(ghPlan.run), dir, {
      ...push,
      BATCH: '0',
      REPORT_PLAN: 'false',
    });
    expect(mainPlan.status, output(mainPlan)).toBe(0);
    expect(mainPlan.stdout).not.toMatch(/^plan of/m);
    const apply = await runStepAsync(String(ghApply.run), dir, {
      ...push,
      BATCH: '0',
      APPLY_GATE: 'nonprod',
    });
    expect(apply.status, output(apply)).toBe(0);
    expect(apply.stdout).toContain(`apply started at ${mergeCommit.slice(0, 12)}: orders applying (${id})`);
    expect(apply.stdout).toContain(`apply succeeded at ${mergeCommit.slice(0, 12)}: orders ready (${id})`);
    const ready = await status(id);
    expect(ready.history.map((h: { status: string }) => h.status).slice(-3)).toEqual([
      'merged',
      'applying',
      'ready',
    ]);
    expect(ready.connection).toMatchObject({ commit: mergeCommit, request_id: id });
    expect(ready.connection.writer_endpoint).toMatch(/^orders\./);
    for (const run of [plan, mainPlan, apply]) expect(output(run)).not.toContain(suite.server.pipelineToken);
  });

  it('CircleCI: a pull request plan reported from CIRCLE_* alone; an apply that fails reports apply_failed with the reason, and the step fails', async () => {
    const { id, number, branch } = await requested('billing');
    const dir = checkout(`origin/${branch}`);
    const head = git(dir, 'rev-parse', 'HEAD');
    const pr = runEnv(head);
    writeFileSync(join(pr.json, 'billing.plan.json'), documentOf('create-plan', 'billing'));
    const circleCi = { CIRCLECI: 'true', CIRCLE_WORKFLOW_ID: pr.env.RUN_ID as string };
    const onBranch = {
      ...pr.env,
      ...circleCi,
      CIRCLE_BRANCH: branch,
      CIRCLE_SHA1: head,
      CIRCLE_PULL_REQUEST: `https://github.com/acme/infra/pull/${number}`,
    };
    expect((await runStepAsync(circleDetect(''), dir, onBranch)).status).toBe(0);
    const plan = await runStepAsync(circleRun('terraform-plan', /ci-plan-roots\.sh/), dir, onBranch);
    expect(plan.status, output(plan)).toBe(0);
    expect(plan.stdout).toMatch(
      new RegExp(`^plan of #${number} at ${head.slice(0, 12)} for request ${id}: billing `, 'm'),
    );

    const base = git(dir, 'rev-parse', 'origin/main');
    const mergeCommit = await merged(id, number);
    git(dir, 'fetch', '-q', 'origin');
    git(dir, 'checkout', '-q', mergeCommit);
    const main = runEnv(mergeCommit);
    writeFileSync(join(main.json, 'billing.plan.json'), documentOf('create-plan', 'billing'));
    writeFileSync(
      join(main.json, 'billing.apply-error'),
      'Error: creating RDS Cluster (billing): InvalidParameterCombination: no such instance class\n',
    );
    const onMain = { ...main.env, ...circleCi, CIRCLE_BRANCH: 'main', CIRCLE_SHA1: mergeCommit };
    expect((await runStepAsync(circleDetect(base), dir, onMain)).status).toBe(0);
    const mainPlan = await runStepAsync(circleRun('terraform-plan', /ci-plan-roots\.sh/), dir, onMain);
    expect(mainPlan.status, output(mainPlan)).toBe(0);
    expect(mainPlan.stdout).not.toMatch(/^plan of/m);
    const apply = await runStepAsync(
      circleRun('terraform-apply', /ci-apply-roots\.sh "/, { gate: 'nonprod' }),
      dir,
      onMain,
    );
    expect(apply.status).toBe(1);
    expect(apply.stdout).toContain(
      `apply failed at ${mergeCommit.slice(0, 12)}: billing apply_failed (${id})`,
    );
    const failed = await status(id);
    expect(failed.status).toBe('apply_failed');
    expect(failed.failure_reason).toContain('InvalidParameterCombination');
    expect(output(apply)).not.toContain(suite.server.pipelineToken);
  });

  it('the nightly drift check (GitHub and CircleCI): every root of main planned with -detailed-exitcode, each plan reported', async () => {
    const { id, number } = await requested('ledger');
    const mergeCommit = await merged(id, number);
    const dir = checkout(mergeCommit);
    const drift = runEnv(mergeCommit);
    const roots = () => rootsOf(drift.env.PLAN_DIR as string).map((r) => r.root.split('/').pop() as string);
    const detect = await runStepAsync(String(ghDetect.run), dir, {
      ...drift.env,
      GITHUB_ACTIONS: 'true',
      BASE: '',
      HEAD: mergeCommit,
    });
    expect(detect.status).toBe(0);
    expect(roots()).toContain('ledger');
    // ledger drifted (exit 2); every other root plans clean (exit 0).
    for (const db of roots()) {
      const drifted = db === 'ledger';
      writeFileSync(join(drift.json, `${db}.exit`), drifted ? '2' : '0');
      writeFileSync(
        join(drift.json, `${db}.plan.json`),
        drifted ? documentOf('drift-plan', db) : noChanges(db),
      );
    }
    const gh = ghStep('drift', (s) => /ci-drift-roots\.sh/.test(String(s.run)));
    const run = await runStepAsync(String(gh.run), dir, {
      ...drift.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_REF_NAME: 'main',
      GITHUB_SHA: mergeCommit,
      BATCH: '',
    });
    expect(run.status, output(run)).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^drift of main at ${mergeCommit.slice(0, 12)}: 1 drifted \\(ledger\\), 0 clean$`, 'm'),
    );
    expect(readFileSync(join(drift.env.PLAN_DIR as string, 'drift.md'), 'utf8')).toContain(
      '- `terraform/live/dev/ledger`: changes: drift, or a merged change waiting for its maintenance window',
    );
    expect((await suite.call('GET', '/databases/ledger')).json.drift).toMatchObject({
      status: 'drifted',
      commit: mergeCommit,
    });
    // Every plan read-only, with -detailed-exitcode.
    const plans = readFileSync(drift.env.TF_CALLS as string, 'utf8')
      .split('\n')
      .filter((c) => c.startsWith('plan '));
    expect(plans).toHaveLength(roots().length);
    for (const call of plans) expect(call).toMatch(/ -lock=false -detailed-exitcode /);

    // CircleCI's nightly job: its own detect (every root) and the same script; a failed plan fails it.
    const circle = runEnv(mergeCommit);
    for (const db of roots()) {
      writeFileSync(join(circle.json, `${db}.exit`), db === 'ledger' ? '1' : '0');
      writeFileSync(join(circle.json, `${db}.plan.json`), documentOf('create-plan', db));
    }
    const circleEnvOf = { ...circle.env, CIRCLECI: 'true', CIRCLE_BRANCH: 'main', CIRCLE_SHA1: mergeCommit };
    const steps = [/ci-changed-roots\.sh ""/, /ci-drift-roots\.sh/].map((re) =>
      circleRun('terraform-drift', re),
    );
    expect((await runStepAsync(steps[0] as string, dir, circleEnvOf)).status).toBe(0);
    const nightly = await runStepAsync(steps[1] as string, dir, circleEnvOf);
    expect(nightly.status).toBe(1);
    expect(nightly.stdout).toContain('terraform/live/dev/ledger: the plan FAILED');
    expect(nightly.stderr).toContain('The drift plan failed for 1 root(s): terraform/live/dev/ledger');
  });

  it('a report that cannot be sent is a warning: the plan and the apply go on, and the token is never printed; without the service set up, nothing is sent', async () => {
    const { id, number, branch } = await requested('offline');
    const dir = checkout(`origin/${branch}`);
    const head = git(dir, 'rev-parse', 'HEAD');
    const base = git(dir, 'rev-parse', 'origin/main');
    const run = runEnv(head);
    writeFileSync(join(run.json, 'offline.plan.json'), documentOf('create-plan', 'offline'));
    writeFileSync(join(run.json, 'offline.state.json'), documentOf('state', 'offline'));
    const token = 'pipeline-token-that-must-never-show';
    const env = {
      ...run.env,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: `refs/pull/${number}/merge`,
      GITHUB_HEAD_REF: branch,
      GITHUB_SHA: head,
      // Nothing listens there.
      RDS_PROVISIONER_URL: 'http://127.0.0.1:9',
      RDS_PROVISIONER_PIPELINE_TOKEN: token,
    };
    expect((await runStepAsync(String(ghDetect.run), dir, { ...env, BASE: base, HEAD: head })).status).toBe(
      0,
    );
    const plan = await runStepAsync(String(ghPlan.run), dir, { ...env, BATCH: '0', REPORT_PLAN: 'true' });
    expect(plan.status, output(plan)).toBe(0);
    expect(plan.stdout).toContain(
      '::warning title=rds-provisioner report::report plan was not recorded by rds-provisioner (exit 1)',
    );
    expect(plan.stderr).toContain('cannot reach the server at http://127.0.0.1:9');
    const apply = await runStepAsync(String(ghApply.run), dir, { ...env, BATCH: '0', APPLY_GATE: 'nonprod' });
    expect(apply.status, output(apply)).toBe(0);
    expect(readFileSync(run.env.TF_APPLIED as string, 'utf8')).toMatch(
      /^applied terraform\/live\/dev\/offline /,
    );
    expect(
      apply.stdout.match(/::warning title=rds-provisioner report::report apply was not recorded/g),
    ).toHaveLength(2);
    for (const r of [plan, apply]) expect(output(r)).not.toContain(token);

    // No URL and no token: a line says so, nothing is sent, the step is green.
    const { RDS_PROVISIONER_URL: _url, RDS_PROVISIONER_PIPELINE_TOKEN: _token, ...bare } = env;
    const unset = await runStepAsync(String(ghPlan.run), dir, { ...bare, BATCH: '0', REPORT_PLAN: 'true' });
    expect(unset.status).toBe(0);
    expect(unset.stdout).toContain(
      'report: not sent (set RDS_PROVISIONER_URL and RDS_PROVISIONER_PIPELINE_TOKEN',
    );
    expect((await status(id)).plan).toBeNull();
  });
});
