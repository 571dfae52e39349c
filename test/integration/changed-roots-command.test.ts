/**
 * `rds-provisioner changed-roots` against a real git repository: what the pipelines read (JSON on
 * stdout), problems on stderr with exit 2, bad revisions named, and a pull request's base...head
 * (merge base) semantics. Runs the built CLI (`npx tsc -p tsconfig.json` first).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';
import { runCli } from '../support/cli.js';
import { git } from '../support/git-checks.js';
import { packagedPolicy, policyTextWithLayout } from '../support/layouts.js';
import { tempDir } from '../support/server.js';

const main = (environment: string, db: string) => `terraform/live/${environment}/${db}/main.tf`;
const moduleCall = (db: string) =>
  `module "${db}" {\n  source = "../../../modules/rds"\n  name   = "${db}"\n}\n`;

function write(repo: string, path: string, text: string) {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}
function commit(repo: string, message: string) {
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD').trim();
}

/** `changed-roots` on a repository with the packaged (per-database) policy, or another. */
const changedRoots = (repo: string, args: string[], config = DEFAULT_POLICY_PATH) =>
  runCli(['changed-roots', '--config', config, '--repo', repo, ...args]);

interface Entry {
  root: string;
  environment: string | null;
  db_name: string | null;
  state_key: string | null;
  backend_config: string | null;
  prod: boolean | null;
  commit: string;
}
const entry = (environment: string, db: string, commit: string, prod = environment === 'prod'): Entry => ({
  root: `terraform/live/${environment}/${db}`,
  environment,
  db_name: db,
  state_key: `rds-provisioner/${environment}/${db}/terraform.tfstate`,
  backend_config: '../../backend.hcl',
  prod,
  commit,
});

describe('rds-provisioner changed-roots', () => {
  let repo: string;
  let base: string;

  beforeAll(() => {
    repo = tempDir('changed-roots');
    git(repo, 'init', '-q', '-b', 'main');
    write(repo, 'README.md', 'infra\n');
    write(repo, 'terraform/live/backend.hcl', 'bucket = "state"\n');
    write(repo, 'terraform/modules/rds/main.tf', 'variable "name" {}\n');
    for (const [env, db] of [
      ['dev', 'orders'],
      ['prod', 'payments'],
      ['staging', 'search'],
    ] as const)
      write(repo, main(env, db), moduleCall(db));
    base = commit(repo, 'base');
  });

  /** A branch from main's first commit, with `change` applied; main itself stays as it is. */
  function branch(name: string, change: () => void): string {
    git(repo, 'checkout', '-q', '-b', name, base);
    change();
    const head = commit(repo, name);
    git(repo, 'checkout', '-q', 'main');
    return head;
  }

  it('prints the roots to plan and to destroy as JSON: added, changed and removed databases', async () => {
    const head = branch('feature/mixed', () => {
      write(repo, main('dev', 'orders'), `${moduleCall('orders')}# changed\n`);
      write(repo, main('dev', 'billing'), moduleCall('billing'));
      rmSync(join(repo, 'terraform/live/prod/payments'), { recursive: true });
      write(repo, 'docs/notes.md', 'unrelated\n');
    });
    const run = await changedRoots(repo, ['--base', 'main', '--head', 'feature/mixed']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual({
      layout: 'per-database',
      base,
      head,
      everything: false,
      plan: [entry('dev', 'billing', head), entry('dev', 'orders', head)],
      destroy: [entry('prod', 'payments', base)],
      problems: [],
    });
  });

  it('retires one database and adds another in one change, however alike their files are', async () => {
    // Generated roots differ in a few names, so git's rename detection pairs one removed with one added.
    const rendered = (db: string) => {
      const result = resolveRequest(
        { db_name: db, engine: 'mysql', environment: 'dev' },
        packagedPolicy.policy,
        {
          requestId: `req-${db}`,
        },
      );
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return renderTerraform(result.value.spec);
    };
    git(repo, 'checkout', '-q', '-b', 'feature/retire-base', base);
    write(repo, main('dev', 'ledger'), rendered('ledger'));
    const withLedger = commit(repo, 'ledger');
    git(repo, 'checkout', '-q', '-b', 'feature/retire-and-add');
    rmSync(join(repo, 'terraform/live/dev/ledger'), { recursive: true });
    write(repo, main('dev', 'invoices'), rendered('invoices'));
    const head = commit(repo, 'retire ledger, add invoices');
    git(repo, 'checkout', '-q', 'main');

    const run = await changedRoots(repo, ['--base', withLedger, '--head', head]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const out = JSON.parse(run.stdout);
    expect(out.plan).toEqual([entry('dev', 'invoices', head)]);
    expect(out.destroy).toEqual([entry('dev', 'ledger', withLedger)]);

    // The same file moved whole to another name is a rename of the database: refused.
    git(repo, 'checkout', '-q', '-b', 'feature/rename-whole', withLedger);
    git(repo, 'mv', 'terraform/live/dev/ledger', 'terraform/live/dev/ledger-two');
    const renamed = commit(repo, 'rename ledger');
    git(repo, 'checkout', '-q', 'main');
    const refused = await changedRoots(repo, ['--base', withLedger, '--head', renamed]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is renamed to terraform/live/dev/ledger-two/main.tf');
  });

  it('marks the --prod-environments roots prod, and plans every root when a shared file changes', async () => {
    const head = branch('feature/module', () =>
      write(repo, 'terraform/modules/rds/main.tf', 'variable "x" {}\n'),
    );
    const run = await changedRoots(repo, [
      '--base',
      'main',
      '--head',
      head,
      '--prod-environments',
      'prod, staging',
    ]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const out = JSON.parse(run.stdout);
    expect(out.everything).toBe(true);
    expect(out.plan).toEqual([
      entry('dev', 'orders', head, false),
      entry('prod', 'payments', head, true),
      entry('staging', 'search', head, true),
    ]);
  });

  it('compares with the merge base: what main gained since the branch is not the pull request', async () => {
    const head = branch('feature/one', () =>
      write(repo, main('dev', 'orders'), `${moduleCall('orders')}# one\n`),
    );
    // main moves on: a database added and another removed after the branch was made.
    write(repo, main('dev', 'later'), moduleCall('later'));
    rmSync(join(repo, 'terraform/live/staging/search'), { recursive: true });
    const mainNow = commit(repo, 'main moves on');
    try {
      const run = await changedRoots(repo, ['--base', 'main', '--head', 'feature/one']);
      expect([run.code, run.stderr]).toEqual([0, '']);
      const out = JSON.parse(run.stdout);
      expect([out.base, out.head, out.plan.map((e: Entry) => e.root), out.destroy]).toEqual([
        mainNow,
        head,
        ['terraform/live/dev/orders'],
        [],
      ]);
    } finally {
      git(repo, 'reset', '-q', '--hard', base);
    }
  });

  it('exits 2 with each problem on stderr, and still prints the JSON', async () => {
    const head = branch('feature/bad', () => {
      write(repo, 'terraform/live/orders.tf', 'locals {}\n');
      mkdirSync(join(repo, 'terraform/live/prod/orders'));
      git(repo, 'mv', main('dev', 'orders'), main('prod', 'orders'));
    });
    const run = await changedRoots(repo, ['--base', 'main', '--head', head]);
    const problems = [
      'orders cannot move from dev to prod (terraform/live/dev/orders/main.tf to terraform/live/prod/orders/main.tf): a database stays in its environment; retire it and request it in prod',
      "terraform/live/orders.tf is not inside a database's root (terraform/live/{environment}/{db_name}); no pipeline runs it",
    ];
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${problems.join('\n')}\n`);
    expect(JSON.parse(run.stdout).problems).toEqual(problems);
  });

  it('refuses a root in an environment the policy does not configure', async () => {
    const head = branch('feature/qa', () => write(repo, main('qa', 'reports'), moduleCall('reports')));
    const run = await changedRoots(repo, ['--base', 'main', '--head', head]);
    const problem =
      'terraform/live/qa/reports is in environment qa, which the policy does not configure (dev, staging, prod): no account to run it in and no rule for whether it waits for approval';
    expect([run.code, run.stderr]).toEqual([2, `${problem}\n`]);
    expect(JSON.parse(run.stdout).problems).toEqual([problem]);
  });

  it('refuses --prod-environments naming an environment the policy lacks: its roots would apply unapproved', async () => {
    const run = await changedRoots(repo, ['--base', 'main', '--prod-environments', 'production staging']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--prod-environments: production is not an environment of the policy (dev, staging, prod); a misspelt name would let its roots apply without approval\n',
    });
    // None at all is a choice, not a typo.
    expect((await changedRoots(repo, ['--base', 'main', '--prod-environments', ''])).code).toBe(0);
  });

  it('names a bad --base or --head, and a directory that is not a repository, in one line without a stack', async () => {
    const cases: Array<[string[], string]> = [
      [['--base', 'no-such-branch'], `--base no-such-branch: not a commit in ${repo}`],
      [['--base', 'main', '--head', 'feature/nope'], `--head feature/nope: not a commit in ${repo}`],
      [['--base', '--output=x'], `--base --output=x: not a commit in ${repo}`],
    ];
    for (const [args, line] of cases) {
      const run = await changedRoots(repo, args);
      expect({ args, ...run }).toEqual({ args, code: 2, stdout: '', stderr: `${line}\n` });
    }
    const notARepo = tempDir('not-a-repo');
    for (const dir of [notARepo, join(notARepo, 'missing')]) {
      const run = await changedRoots(dir, ['--base', 'main']);
      expect(run).toEqual({ code: 2, stdout: '', stderr: `--repo ${dir}: not a git repository\n` });
    }
  });

  it('says so when the base and the head share no history (a shallow clone), naming both', async () => {
    git(repo, 'checkout', '-q', '--orphan', 'unrelated');
    write(repo, 'x.txt', 'x\n');
    commit(repo, 'unrelated');
    git(repo, 'checkout', '-q', '-f', 'main');
    const run = await changedRoots(repo, ['--base', 'main', '--head', 'unrelated']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--base main and --head unrelated have no common commit: fetch more history (a shallow clone has none)\n',
    });
  });

  it('plans the single root when the policy keeps the original layout', async () => {
    const config = join(tempDir('single-root-policy'), 'policy.json');
    writeFileSync(config, policyTextWithLayout('single-root'));
    const head = branch('feature/single', () =>
      write(repo, 'terraform/live/orders.tf', moduleCall('orders')),
    );
    const run = await changedRoots(repo, ['--base', 'main', '--head', head], config);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toMatchObject({
      layout: 'single-root',
      everything: true,
      plan: [
        {
          root: 'terraform/live',
          environment: null,
          db_name: null,
          state_key: null,
          backend_config: null,
          prod: null,
          commit: head,
        },
      ],
      destroy: [],
      problems: [],
    });
  });
});
