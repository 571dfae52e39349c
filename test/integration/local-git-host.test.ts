import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { hashObject } from '../../src/adapters/local/git-objects.js';
import { gitEnv } from '../../src/adapters/local/git-process.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import type { LayoutKind } from '../../src/domain/layout.js';
import type { Clock, FileChange, PullRequestSpec } from '../../src/ports.js';
import { gitHostError } from '../support/git-host-error.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AUTHOR = { name: 'rds-provisioner', email: 'rds-provisioner@example.com' };
const T0 = Date.parse('2025-03-01T12:00:00.000Z');

class TestClock implements Clock {
  constructor(public ms = T0) {}
  now() {
    this.ms += 1000;
    return new Date(this.ms);
  }
}

let dir: string;
let hosts: LocalGitHost[];
let dbs: SqliteDatabase[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-git-host-'));
  hosts = [];
  dbs = [];
});

afterEach(async () => {
  for (const host of hosts) await host.dispose();
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Engineer', '-c', 'user.email=engineer@example.com', ...args], {
    cwd,
    env: gitEnv(),
    encoding: 'utf8',
  }).trim();
}

function gitStatus(cwd: string, ...args: string[]): number {
  return spawnSync('git', args, { cwd, env: gitEnv() }).status ?? -1;
}

function fsckClean(repo: string): void {
  const run = spawnSync('git', ['fsck', '--strict', '--full'], {
    cwd: repo,
    env: gitEnv(),
    encoding: 'utf8',
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  expect(output).not.toMatch(/error|warning|missing|broken|bad|corrupt/i);
}

function openHost(repository: string, options: { dbFile?: string; clock?: Clock } = {}): LocalGitHost {
  const db = openDatabase(options.dbFile ?? join(dir, 'service.db'));
  dbs.push(db);
  const host = new LocalGitHost({
    repository,
    author: AUTHOR,
    db,
    clock: options.clock ?? new TestClock(),
    pullUrl: (n) => `http://127.0.0.1:8080/pulls/${n}`,
  });
  hosts.push(host);
  return host;
}

async function newInfra(name = 'infra'): Promise<string> {
  const path = join(dir, name);
  await ensureInfraRepository(path, {
    sourceDir: ROOT,
    author: AUTHOR,
    layout: 'per-database',
    now: new Date(T0),
  });
  return path;
}

const fileFor = (db: string) => `terraform/live/${db}.tf`;
const branchFor = (db: string) => `feature/provision-rds-${db}`;
const contentFor = (db: string, variant = '') =>
  `# request for ${db}${variant}\nmodule "${db}" {\n  source = "../modules/rds"\n  name   = "${db}"\n}\n`;

function change(db: string, variant = ''): FileChange {
  return {
    branch: branchFor(db),
    path: fileFor(db),
    content: contentFor(db, variant),
    message: `Provision ${db}\n\nrds-provisioner request req-${db}`,
  };
}

function prSpec(db: string): PullRequestSpec {
  return {
    branch: branchFor(db),
    base: 'main',
    title: `Provision ${db}`,
    body: `Body for ${db}`,
    requestId: `req-${db}`,
  };
}

/** The worker's steps for one database. */
async function provision(host: LocalGitHost, db: string, variant = '') {
  const base = (await host.headOf('main')) as string;
  const onBase = await host.readFile(base, fileFor(db));
  const branch = await host.ensureBranch(branchFor(db), base);
  const file = await host.ensureFile(change(db, variant));
  const pr = await host.ensurePullRequest(prSpec(db));
  return { base, onBase, branch, file, pr };
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

/** `[path in the new repository, path in the package]` of the files under a package directory, all or some. */
const packaged = (from: string, to = from, only = (_file: string) => true): Array<[string, string]> =>
  listFiles(join(ROOT, from))
    .filter(only)
    .map((file) => [`${to}/${file}`, `${from}/${file}`]);

describe('ensureInfraRepository', () => {
  it.each<[LayoutKind, () => Array<[string, string]>, string[], RegExp]>([
    [
      'per-database',
      () => [...packaged('terraform/modules/rds'), ...packaged('terraform/live')],
      ['terraform/live/README.md', 'terraform/live/backend.hcl'],
      /^terraform\/live\/[^/]+\.tf$/, // no root of its own: every database brings its own
    ],
    [
      'single-root',
      // As terraform/layouts/single-root/README.md says to set it up by hand: its .tf and .tfvars files
      // copied into terraform/live, whose backend.hcl (read only by per-database roots) is left out.
      () => [
        ...packaged('terraform/modules/rds'),
        ...packaged('terraform/live', 'terraform/live', (file) => file !== 'backend.hcl'),
        ...packaged('terraform/layouts/single-root', 'terraform/live', (file) => /\.(tf|tfvars)$/.test(file)),
      ],
      ['terraform/live/providers.tf', 'terraform/live/backend.tf', 'terraform/live/networks.tf'],
      /^terraform\/layouts\/|^terraform\/live\/backend\.hcl$/,
    ],
  ])(
    "with layout %s, creates a bare repository whose one commit on main holds the module and that layout's live files",
    async (layout, seeded, mustHave, mustNotHave) => {
      const path = join(dir, 'data', 'infra');
      const result = await ensureInfraRepository(path, {
        sourceDir: ROOT,
        author: AUTHOR,
        layout,
        now: new Date(T0),
      });
      expect(result).toEqual({ path, created: true });
      expect(git(path, 'rev-parse', '--is-bare-repository')).toBe('true');
      expect(git(path, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
      expect(git(path, 'rev-list', '--count', 'main')).toBe('1');
      expect(git(path, 'log', '-1', '--format=%an <%ae> %cn <%ce> %at', 'main')).toBe(
        `${AUTHOR.name} <${AUTHOR.email}> ${AUTHOR.name} <${AUTHOR.email}> ${T0 / 1000}`,
      );

      const inRepo = git(path, 'ls-tree', '-r', '--name-only', 'main').split('\n');
      const expected = seeded();
      expect(inRepo).toEqual(expected.map(([to]) => to).sort());
      expect(inRepo).toContain('terraform/modules/rds/main.tf');
      expect(inRepo).toEqual(expect.arrayContaining(mustHave));
      expect(inRepo.filter((file) => mustNotHave.test(file))).toEqual([]);
      for (const [to, from] of expected) {
        expect(git(path, 'show', `main:${to}`)).toBe(readFileSync(join(ROOT, from), 'utf8').trim());
      }
      expect(readdirSync(join(dir, 'data'))).toEqual(['infra']); // no staging directory left behind
      fsckClean(path);
    },
  );

  it('leaves an existing repository as it is', async () => {
    const path = await newInfra();
    const head = git(path, 'rev-parse', 'main');
    const again = await ensureInfraRepository(path, {
      sourceDir: ROOT,
      author: AUTHOR,
      layout: 'per-database',
    });
    expect(again.created).toBe(false);
    expect(git(path, 'rev-parse', 'main')).toBe(head);

    const checkout = join(dir, 'checkout');
    mkdirSync(checkout);
    git(checkout, 'init', '-q', '-b', 'trunk');
    expect(
      (await ensureInfraRepository(checkout, { sourceDir: ROOT, author: AUTHOR, layout: 'per-database' }))
        .created,
    ).toBe(false);
    expect(gitStatus(checkout, 'rev-parse', '--verify', '-q', 'refs/heads/main')).not.toBe(0);
  });

  it('creates its own repository inside another checkout instead of using that checkout', async () => {
    const outer = join(dir, 'outer');
    mkdirSync(outer);
    git(outer, 'init', '-q', '-b', 'main');
    const inner = join(outer, '.rds-provisioner', 'infra');
    mkdirSync(inner, { recursive: true }); // an empty directory inside the outer working tree
    expect(
      (await ensureInfraRepository(inner, { sourceDir: ROOT, author: AUTHOR, layout: 'per-database' }))
        .created,
    ).toBe(true);
    expect(git(inner, 'rev-parse', '--absolute-git-dir')).toBe(inner);
    expect(gitStatus(outer, 'rev-parse', '--verify', '-q', 'HEAD')).not.toBe(0); // outer untouched
  });

  it('refuses a directory with files that is not a repository', async () => {
    const path = join(dir, 'stuff');
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine\n');
    const error = await gitHostError(
      ensureInfraRepository(path, { sourceDir: ROOT, author: AUTHOR, layout: 'per-database' }),
    );
    expect(error.kind).toBe('permanent');
    expect(readdirSync(path)).toEqual(['notes.txt']);
  });
});

describe('LocalGitHost', () => {
  it('creates the branch, commits the file and records the pull request', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const mainHead = git(repo, 'rev-parse', 'main');

    const run = await provision(host, 'orders-db');
    expect(run.base).toBe(mainHead);
    expect(run.onBase).toBeNull();
    expect(run.branch).toEqual({ created: true, head: mainHead });
    expect(run.file.committed).toBe(true);
    expect(run.pr).toEqual({ number: 1, url: 'http://127.0.0.1:8080/pulls/1', created: true });

    const branch = branchFor('orders-db');
    expect(gitStatus(repo, 'check-ref-format', `refs/heads/${branch}`)).toBe(0);
    expect(git(repo, 'rev-parse', branch)).toBe(run.file.head);
    expect(await host.headOf(branch)).toBe(run.file.head);
    expect(git(repo, 'rev-parse', `${branch}^`)).toBe(mainHead);
    expect(git(repo, 'rev-parse', 'main')).toBe(mainHead);
    expect(git(repo, 'diff-tree', '--no-commit-id', '--name-status', '-r', branch)).toBe(
      `A\t${fileFor('orders-db')}`,
    );
    expect(git(repo, 'log', '-1', '--format=%an|%ae|%cn|%ce|%s|%b', branch)).toBe(
      `${AUTHOR.name}|${AUTHOR.email}|${AUTHOR.name}|${AUTHOR.email}|Provision orders-db|rds-provisioner request req-orders-db`,
    );
    expect(git(repo, 'show', `${branch}:${fileFor('orders-db')}`)).toBe(contentFor('orders-db').trim());
    expect(await host.readFile(branch, fileFor('orders-db'))).toBe(contentFor('orders-db'));
    expect(await host.readFile(run.file.head, fileFor('orders-db'))).toBe(contentFor('orders-db'));
    expect(await host.readFile('main', fileFor('orders-db'))).toBeNull();
    expect(await host.readFile('main', 'terraform/live')).toBeNull(); // a directory is not a file
    expect(await host.readFile('no-such-branch', fileFor('orders-db'))).toBeNull();
    expect(await host.readFile('main', 'terraform/modules/rds/versions.tf')).toBe(
      readFileSync(join(ROOT, 'terraform/modules/rds/versions.tf'), 'utf8'),
    );
    expect(await host.headOf('no-such-branch')).toBeNull();

    const pr = await host.get(1);
    expect(pr).toMatchObject({
      number: 1,
      title: 'Provision orders-db',
      body: 'Body for orders-db',
      branch,
      base: 'main',
      state: 'open',
      requestId: 'req-orders-db',
      url: 'http://127.0.0.1:8080/pulls/1',
      mergeCommit: null,
    });
    expect(await host.list()).toEqual([pr]);
    expect(await host.get(2)).toBeUndefined();
    fsckClean(repo);
  });

  it('finds every step done when it runs again, in the same process or after a restart', async () => {
    const repo = await newInfra();
    const first = await provision(openHost(repo), 'billing');
    const again = await provision(openHost(repo), 'billing');
    expect(again.branch).toEqual({ created: false, head: first.file.head });
    expect(again.file).toEqual({ committed: false, head: first.file.head });
    expect(again.pr).toEqual({ ...first.pr, created: false });

    // A crash after the branch and the commit, before the pull request: the rerun opens it, once.
    const host = openHost(repo, { dbFile: join(dir, 'other.db') });
    await host.ensureBranch(branchFor('ledger'), git(repo, 'rev-parse', 'main'));
    const committed = await host.ensureFile(change('ledger'));
    const rerun = await provision(openHost(repo, { dbFile: join(dir, 'other.db') }), 'ledger');
    expect(rerun.branch.created).toBe(false);
    expect(rerun.file).toEqual({ committed: false, head: committed.head });
    expect(rerun.pr.created).toBe(true);
    const third = await provision(host, 'ledger');
    expect(third.pr).toEqual({ ...rerun.pr, created: false });

    expect(git(repo, 'rev-list', '--count', `main..${branchFor('billing')}`)).toBe('1');
    expect(git(repo, 'rev-list', '--count', `main..${branchFor('ledger')}`)).toBe('1');
    expect((await openHost(repo).list()).map((pr) => pr.branch)).toEqual([branchFor('billing')]);
    fsckClean(repo);
  });

  it('opens one pull request when many ask at once, across connections', async () => {
    const repo = await newInfra();
    const a = openHost(repo);
    const b = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    await Promise.all([a.ensureBranch(branchFor('race'), base), b.ensureBranch(branchFor('race'), base)]);
    const files = await Promise.all([a.ensureFile(change('race')), b.ensureFile(change('race'))]);
    expect(files.filter((f) => f.committed)).toHaveLength(1);
    const prs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).ensurePullRequest(prSpec('race'))),
    );
    expect(new Set(prs.map((pr) => pr.number)).size).toBe(1);
    expect(prs.filter((pr) => pr.created)).toHaveLength(1);
    expect(await a.list()).toHaveLength(1);
    expect(git(repo, 'rev-list', '--count', `main..${branchFor('race')}`)).toBe('1');
  });

  it('loses no update when the branch moves under it', async () => {
    const repo = await newInfra();
    const a = openHost(repo);
    const b = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    await a.ensureBranch(branchFor('moving'), base);
    const [one, two] = await Promise.all([
      a.ensureFile(change('moving', ' A')),
      b.ensureFile(change('moving', ' B')),
    ]);
    expect(one.committed && two.committed).toBe(true);
    const history = git(repo, 'rev-list', `main..${branchFor('moving')}`).split('\n');
    expect(history).toHaveLength(2);
    expect(history).toContain(one.head);
    expect(history).toContain(two.head);
    fsckClean(repo);
  });

  it('handles many requests at once', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const names = Array.from({ length: 20 }, (_, i) => `db-${i}`);
    const runs = await Promise.all(names.map((name) => provision(host, name)));
    expect(new Set(runs.map((run) => run.pr.number)).size).toBe(20);
    for (const name of names) {
      expect(git(repo, 'show', `${branchFor(name)}:${fileFor(name)}`)).toBe(contentFor(name).trim());
    }
    fsckClean(repo);
  });

  it('merges with a two-parent commit on main', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const run = await provision(host, 'merge-me');
    const before = git(repo, 'rev-parse', 'main');
    const at = new Date(T0 + 3_600_000);
    const merged = await host.merge(run.pr.number, at);
    expect(merged.state).toBe('merged');
    expect(merged.updatedAt).toBe(at.toISOString());
    const main = git(repo, 'rev-parse', 'main');
    expect(merged.mergeCommit).toBe(main);
    expect(git(repo, 'rev-parse', 'main^1', 'main^2').split('\n')).toEqual([before, run.file.head]);
    expect(git(repo, 'show', `main:${fileFor('merge-me')}`)).toBe(contentFor('merge-me').trim());
    expect(git(repo, 'log', '-1', '--format=%s|%an|%at', 'main')).toBe(
      `Merge pull request #${run.pr.number} from ${branchFor('merge-me')}|${AUTHOR.name}|${at.getTime() / 1000}`,
    );
    expect(await host.readFile('main', fileFor('merge-me'))).toBe(contentFor('merge-me'));
    expect(await host.get(run.pr.number)).toEqual(merged);
    // The pull request's diff is still what it brought.
    expect(await host.diff(run.pr.number)).toContain(`+++ b/${fileFor('merge-me')}`);
    expect((await gitHostError(host.merge(run.pr.number, at))).kind).toBe('invalid_state');
    expect((await gitHostError(host.close(run.pr.number, at))).kind).toBe('invalid_state');
    fsckClean(repo);
  });

  it('reports a merge conflict and changes nothing', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    const path = fileFor('shared');
    for (const [branch, text] of [
      ['feature/provision-rds-shared-a', 'A'],
      ['feature/provision-rds-shared-b', 'B'],
    ] as const) {
      await host.ensureBranch(branch, base);
      await host.ensureFile({ branch, path, content: `${text}\n`, message: text });
      await host.ensurePullRequest({ branch, base: 'main', title: text, body: text, requestId: text });
    }
    await host.merge(1, new Date(T0));
    const refs = git(repo, 'for-each-ref');
    const second = await host.get(2);
    const error = await gitHostError(host.merge(2, new Date(T0 + 1000)));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain(path);
    expect(git(repo, 'for-each-ref')).toBe(refs);
    expect(await host.get(2)).toEqual(second);
    expect(await host.readFile('main', path)).toBe('A\n');
    fsckClean(repo);
  });

  it('merge and close of one pull request at once, on two connections: one wins; main holds the file iff merged', async () => {
    const repo = await newInfra();
    // A clock that stands still: no claim outlives its lease here.
    const clock = { now: () => new Date(T0) };
    const a = openHost(repo, { clock });
    const b = openHost(repo, { clock });
    const names = Array.from({ length: 10 }, (_, i) => `both-${i}`);
    const runs = await Promise.all(names.map((name) => provision(a, name)));
    const outcomes = await Promise.all(
      runs.map(async (run, i) => {
        const [merger, closer] = i % 2 === 0 ? [a, b] : [b, a];
        const [merge, close] = await Promise.allSettled([
          merger.merge(run.pr.number, new Date(T0)),
          closer.close(run.pr.number, new Date(T0)),
        ]);
        return { number: run.pr.number, name: names[i] as string, merge, close };
      }),
    );
    for (const { number, name, merge, close } of outcomes) {
      expect([merge.status, close.status].sort(), name).toEqual(['fulfilled', 'rejected']);
      const loser = merge.status === 'rejected' ? merge : (close as PromiseRejectedResult);
      expect(loser.reason).toMatchObject({ kind: 'invalid_state' });
      const state = (await a.get(number))?.state;
      expect(state).toBe(merge.status === 'fulfilled' ? 'merged' : 'closed');
      expect(await a.readFile('main', fileFor(name)), name).toBe(
        state === 'merged' ? contentFor(name) : null,
      );
    }
    fsckClean(repo);
  });

  it('lets go of a pull request whose merge failed: it can be closed at once', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const run = await provision(host, 'gone');
    git(repo, 'branch', '-D', branchFor('gone'));
    const error = await gitHostError(host.merge(run.pr.number, new Date(T0)));
    expect({ kind: error.kind, message: error.message }).toEqual({
      kind: 'conflict',
      message: `branch ${branchFor('gone')} no longer exists`,
    });
    expect((await host.close(run.pr.number, new Date(T0))).state).toBe('closed');
  });

  it('closes, and refuses what is not open or does not exist', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const run = await provision(host, 'closing');
    const at = new Date(T0 + 60_000);
    const closed = await host.close(run.pr.number, at);
    expect(closed).toMatchObject({ state: 'closed', updatedAt: at.toISOString(), mergeCommit: null });
    expect((await gitHostError(host.close(run.pr.number, at))).kind).toBe('invalid_state');
    expect((await gitHostError(host.merge(run.pr.number, at))).kind).toBe('invalid_state');
    expect(git(repo, 'rev-parse', 'main')).toBe(run.base);
    for (const call of [host.merge(999, at), host.close(999, at), host.diff(999)]) {
      expect((await gitHostError(call)).kind).toBe('not_found');
    }
    // A closed pull request does not block a new one for the branch.
    const reopened = await host.ensurePullRequest(prSpec('closing'));
    expect(reopened).toMatchObject({ created: true, number: run.pr.number + 1 });
  });

  it('shows the pull request as a unified diff against its base', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const run = await provision(host, 'diffing');
    await provision(host, 'other'); // merged below: main moves on, the diff stays the branch's own
    await host.merge(2, new Date(T0));
    const diff = await host.diff(run.pr.number);
    expect(diff).toContain(`diff --git a/${fileFor('diffing')} b/${fileFor('diffing')}`);
    expect(diff).toContain('new file mode 100644');
    expect(diff).toContain('+  source = "../modules/rds"');
    expect(diff).not.toContain(fileFor('other'));
  });

  it('refuses bad names and paths, and what is in the way', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    for (const bad of ['feature/x..y', 'feature/x.lock', 'has space', '-x', 'a//b', 'a/', 'x~1', 'x@{1}']) {
      expect((await gitHostError(host.ensureBranch(bad, base))).kind).toBe('permanent');
    }
    for (const bad of ['/abs.tf', 'a/../b.tf', 'a//b.tf', '.git/config', 'x/.GIT/y', '']) {
      expect((await gitHostError(host.ensureFile({ ...change('x'), path: bad }))).kind).toBe('permanent');
    }
    expect((await gitHostError(host.ensureBranch('feature/new', '0'.repeat(40)))).kind).toBe('permanent');
    await host.ensureBranch(branchFor('x'), base);
    const dirError = await gitHostError(host.ensureFile({ ...change('x'), path: 'terraform/live' }));
    expect(dirError.kind).toBe('conflict');
    const fileError = await gitHostError(
      host.ensureFile({ ...change('x'), path: 'terraform/live/backend.hcl/x.tf' }),
    );
    expect(fileError.kind).toBe('conflict');
    // A branch that would sit under an existing one cannot exist.
    const nameError = await gitHostError(host.ensureBranch(`${branchFor('x')}/sub`, base));
    expect(nameError.kind).toBe('conflict');
    expect(await host.headOf(branchFor('x'))).toBe(base);
  });

  it('reads branches by their exact names, packed or loose', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const main = git(repo, 'rev-parse', 'main');
    // No such branch: git's revision syntax would read "-g<hex>" as an abbreviated object id.
    const tricky = `feature/provision-rds-app-g${main.slice(0, 7)}`;
    expect(await host.headOf(tricky)).toBeNull();
    expect(await host.readFile(tricky, 'terraform/live/backend.hcl')).toBeNull();
    expect(await host.ensureBranch(tricky, main)).toEqual({ created: true, head: main });

    await provision(host, 'packed');
    git(repo, 'pack-refs', '--all', '--prune');
    expect(existsSync(join(repo, 'refs', 'heads', 'main'))).toBe(false);
    expect(await host.headOf('main')).toBe(main);
    expect(await host.headOf(branchFor('packed'))).toBe(git(repo, 'rev-parse', branchFor('packed')));
    expect((await provision(host, 'packed')).file.committed).toBe(false);
    expect((await host.ensureFile(change('packed', ' v2'))).committed).toBe(true);
    expect(await host.readFile(branchFor('packed'), fileFor('packed'))).toBe(contentFor('packed', ' v2'));
    await host.merge(1, new Date(T0));
    expect(await host.headOf('main')).toBe(git(repo, 'rev-parse', 'main'));
    git(repo, 'gc', '--quiet', '--prune=now');
    expect(await host.readFile('main', fileFor('packed'))).toBe(contentFor('packed', ' v2'));
    expect((await provision(host, 'after-gc')).pr.created).toBe(true);
    fsckClean(repo);
  });

  it('reports a missing repository as permanent', async () => {
    const host = openHost(join(dir, 'nowhere'));
    expect((await gitHostError(host.headOf('main'))).kind).toBe('permanent');
    expect((await gitHostError(host.ensurePullRequest(prSpec('x')))).kind).toBe('permanent');

    const repo = await newInfra('doomed');
    const doomed = openHost(repo);
    expect(await doomed.headOf('main')).toBe(git(repo, 'rev-parse', 'main'));
    rmSync(repo, { recursive: true, force: true });
    expect((await gitHostError(doomed.headOf('main'))).kind).toBe('permanent');
    expect((await gitHostError(doomed.ensureBranch('x', '0'.repeat(40)))).kind).toBe('permanent');
  });

  it('keeps large trees correct: entries inserted in git order, objects git can read', async () => {
    const repo = join(dir, 'large');
    cpSync(await newInfra('seed'), repo, { recursive: true });
    // 1,500 more files and some names that test tree order (a directory sorts as if it ended in "/").
    const host = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    const blob = git(repo, 'hash-object', '-w', join(ROOT, 'terraform/live/backend.hcl'));
    const sub = execFileSync('git', ['mktree'], {
      cwd: repo,
      env: gitEnv(),
      input: `100644 blob ${blob}\tinside.tf\n`,
      encoding: 'utf8',
    }).trim();
    const liveTree = git(repo, 'rev-parse', 'main:terraform/live');
    const existing = git(repo, 'ls-tree', liveTree);
    const lines = [
      existing,
      ...Array.from(
        { length: 1500 },
        (_, i) => `100644 blob ${blob}\tgenerated-${String(i).padStart(5, '0')}.tf`,
      ),
      `040000 tree ${sub}\tdb`,
      `040000 tree ${sub}\tdb-a`,
      `100644 blob ${blob}\tdb.tf`,
    ];
    const newLive = execFileSync('git', ['mktree'], {
      cwd: repo,
      env: gitEnv(),
      input: `${lines.join('\n')}\n`,
    })
      .toString()
      .trim();
    const terraform = execFileSync('git', ['mktree'], {
      cwd: repo,
      env: gitEnv(),
      input: `${git(repo, 'ls-tree', 'main:terraform').replace(liveTree, newLive)}\n`,
    })
      .toString()
      .trim();
    const root = execFileSync('git', ['mktree'], {
      cwd: repo,
      env: gitEnv(),
      input: `${git(repo, 'ls-tree', 'main').replace(git(repo, 'rev-parse', 'main:terraform'), terraform)}\n`,
    })
      .toString()
      .trim();
    const commit = git(repo, 'commit-tree', root, '-p', base, '-m', 'many files');
    git(repo, 'update-ref', 'refs/heads/main', commit, base);
    expect(Number(git(repo, 'cat-file', '-s', newLive))).toBeGreaterThan(32 * 1024);

    for (const name of ['db-', 'db-a-b', 'db-a', 'dc', 'da', 'generated-00750x', 'aaa', 'zzz']) {
      await provision(host, name);
      expect(git(repo, 'show', `${branchFor(name)}:${fileFor(name)}`)).toBe(contentFor(name).trim());
      expect(await host.readFile(branchFor(name), fileFor(name))).toBe(contentFor(name));
      expect(git(repo, 'diff', '--name-status', `main..${branchFor(name)}`)).toBe(`A\t${fileFor(name)}`);
    }
    // Replacing an entry of a large tree, then merging two of them.
    await host.ensureFile(change('db-a', ' v2'));
    expect(await host.readFile(branchFor('db-a'), fileFor('db-a'))).toBe(contentFor('db-a', ' v2'));
    await host.merge(1, new Date(T0));
    await host.merge(3, new Date(T0));
    expect(git(repo, 'ls-tree', '--name-only', 'main:terraform/live').split('\n')).toHaveLength(
      existing.split('\n').length + 1503 + 2,
    );
    fsckClean(repo);
  });

  describe('beside an engineer working in a checkout of the same repository', () => {
    function engineerCheckout(): string {
      const repo = join(dir, 'checkout');
      mkdirSync(repo);
      git(repo, 'init', '-q', '-b', 'main');
      cpSync(join(ROOT, 'terraform/live'), join(repo, 'terraform/live'), { recursive: true });
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'live root');
      // Dirty: a modified tracked file, a staged change, an untracked file.
      writeFileSync(join(repo, 'terraform/live/backend.hcl'), '# work in progress\n', { flag: 'a' });
      writeFileSync(join(repo, 'terraform/live/README.md'), 'staged\n', { flag: 'a' });
      git(repo, 'add', 'terraform/live/README.md');
      writeFileSync(join(repo, 'scratch.txt'), 'notes\n');
      return repo;
    }

    function snapshot(repo: string) {
      const index = readFileSync(join(repo, '.git', 'index')).toString('base64');
      return {
        index,
        status: git(
          repo,
          '--no-optional-locks',
          'status',
          '--porcelain=v2',
          '--branch',
          '--untracked-files=all',
        ),
        cached: git(repo, 'diff', '--cached'),
        unstaged: git(repo, 'diff'),
        head: git(repo, 'symbolic-ref', 'HEAD'),
        headCommit: git(repo, 'rev-parse', 'HEAD'),
        files: listFiles(repo)
          .filter((file) => !file.startsWith('.git/'))
          .map((file) => `${file}:${readFileSync(join(repo, file), 'base64')}`),
      };
    }

    it('never touches its working tree, index or checkout', async () => {
      const repo = engineerCheckout();
      git(repo, 'checkout', '-q', '-b', 'wip');
      const before = snapshot(repo);
      const host = openHost(repo);
      const run = await provision(host, 'engineer-safe');
      await provision(host, 'engineer-other');
      await host.diff(run.pr.number);
      await host.merge(run.pr.number, new Date(T0));
      await host.close(2, new Date(T0));
      expect(snapshot(repo)).toEqual(before);
      expect(git(repo, 'show', `main:${fileFor('engineer-safe')}`)).toBe(contentFor('engineer-safe').trim());
      // The checkout keeps reflogs: they name the service.
      expect(git(repo, 'log', '-g', '-1', '--format=%gn <%ge> %gs', 'main')).toBe(
        `${AUTHOR.name} <${AUTHOR.email}> rds-provisioner`,
      );
      fsckClean(repo);
    });

    it('does not move the branch the engineer has checked out', async () => {
      const repo = engineerCheckout();
      const before = snapshot(repo);
      const host = openHost(repo);
      const run = await provision(host, 'checked-out-base');
      const error = await gitHostError(host.merge(run.pr.number, new Date(T0)));
      expect(error.kind).toBe('conflict');
      expect(error.message).toContain('checked out');
      expect((await host.get(run.pr.number))?.state).toBe('open');

      // The engineer looks at the service's branch in a linked worktree: the service waits.
      const worktree = join(dir, 'look');
      git(repo, 'worktree', 'add', '-q', worktree, branchFor('checked-out-base'));
      const busy = await gitHostError(host.ensureFile(change('checked-out-base', ' v2')));
      expect(busy.kind).toBe('transient');
      const removal = {
        branch: branchFor('checked-out-base'),
        path: fileFor('checked-out-base'),
        message: 'Retire',
      };
      expect((await gitHostError(host.ensureFileRemoved(removal))).kind).toBe('transient');
      git(repo, 'worktree', 'remove', worktree);
      expect((await host.ensureFile(change('checked-out-base', ' v2'))).committed).toBe(true);
      expect(snapshot(repo)).toEqual(before);
      expect(existsSync(worktree)).toBe(false);
    });
  });
});

describe('LocalGitHost: removing files, listing a directory, reading blobs', () => {
  const rootFile = (db: string) => `terraform/live/dev/${db}/main.tf`;
  const retireBranch = (db: string) => `feature/retire-rds-${db}`;

  /** A repository whose main holds per-database roots for the names, committed by the host itself. */
  async function withRoots(...names: string[]): Promise<{ repo: string; host: LocalGitHost }> {
    const repo = await newInfra();
    const host = openHost(repo);
    for (const db of names) {
      await host.ensureFile({ branch: 'main', path: rootFile(db), content: contentFor(db), message: db });
    }
    return { repo, host };
  }

  async function retire(host: LocalGitHost, db: string) {
    const base = (await host.headOf('main')) as string;
    await host.ensureBranch(retireBranch(db), base);
    const removed = await host.ensureFileRemoved({
      branch: retireBranch(db),
      path: rootFile(db),
      message: `Retire ${db}\n\nrds-provisioner request req-retire-${db}`,
    });
    const pr = await host.ensurePullRequest({
      branch: retireBranch(db),
      base: 'main',
      title: `Retire ${db}`,
      body: `Retire ${db}`,
      requestId: `req-retire-${db}`,
    });
    return { base, removed, pr };
  }

  it('ensureFileRemoved commits the removal once; a directory left empty goes with it', async () => {
    const { repo, host } = await withRoots('orders', 'billing');
    const { base, removed } = await retire(host, 'orders');
    const branch = retireBranch('orders');
    expect(removed.committed).toBe(true);
    expect(git(repo, 'rev-parse', branch)).toBe(removed.head);
    expect(git(repo, 'rev-parse', `${branch}^`)).toBe(base);
    expect(git(repo, 'diff-tree', '--no-commit-id', '--name-status', '-r', branch)).toBe(
      `D\t${rootFile('orders')}`,
    );
    expect(git(repo, 'log', '-1', '--format=%an|%ae|%cn|%ce|%s|%b', branch)).toBe(
      `${AUTHOR.name}|${AUTHOR.email}|${AUTHOR.name}|${AUTHOR.email}|Retire orders|rds-provisioner request req-retire-orders`,
    );
    // The root's directory is gone (git has no empty directories); its neighbour stays.
    expect(git(repo, 'ls-tree', '--name-only', `${branch}:terraform/live/dev`)).toBe('billing');
    expect(await host.readFile(branch, rootFile('orders'))).toBeNull();
    expect(git(repo, 'rev-parse', 'main')).toBe(base);

    // Again, in this process or after a restart: done already.
    const removal = { branch, path: rootFile('orders'), message: 'again' };
    expect(await host.ensureFileRemoved(removal)).toEqual({ committed: false, head: removed.head });
    expect(await openHost(repo).ensureFileRemoved(removal)).toEqual({ committed: false, head: removed.head });

    // The last root of an environment: its directory goes too, terraform/live stays.
    const last = { branch, path: rootFile('billing'), message: 'Retire billing' };
    const second = await host.ensureFileRemoved(last);
    expect(second.committed).toBe(true);
    expect(gitStatus(repo, 'cat-file', '-e', `${branch}:terraform/live/dev`)).not.toBe(0);
    expect(git(repo, 'ls-tree', '--name-only', `${branch}:terraform/live`)).toContain('backend.hcl');
    expect(git(repo, 'rev-list', '--count', `main..${branch}`)).toBe('2');
    fsckClean(repo);
  });

  it('ensureFileRemoved on a branch that never had the file commits nothing', async () => {
    const { repo, host } = await withRoots('orders');
    const base = git(repo, 'rev-parse', 'main');
    await host.ensureBranch(retireBranch('ghost'), base);
    const removal = { branch: retireBranch('ghost'), path: rootFile('ghost'), message: 'Retire ghost' };
    expect(await host.ensureFileRemoved(removal)).toEqual({ committed: false, head: base });
    expect(
      await host.ensureFileRemoved({ ...removal, path: 'terraform/live/dev/orders/main.tf/deeper' }),
    ).toEqual({ committed: false, head: base });
    expect(git(repo, 'rev-parse', retireBranch('ghost'))).toBe(base);
  });

  it('ensureFileRemoved refuses bad names and paths, a directory and a missing branch, and changes nothing', async () => {
    const { repo, host } = await withRoots('orders');
    const base = git(repo, 'rev-parse', 'main');
    await host.ensureBranch(retireBranch('orders'), base);
    const removal = { branch: retireBranch('orders'), path: rootFile('orders'), message: 'Retire' };
    for (const path of [
      '/abs.tf',
      'terraform/live/../live/dev/orders/main.tf',
      'a//b.tf',
      '.git/config',
      '',
    ]) {
      const error = await gitHostError(host.ensureFileRemoved({ ...removal, path }));
      expect({ kind: error.kind, message: error.message }).toEqual({
        kind: 'permanent',
        message: `invalid repository path ${JSON.stringify(path)}`,
      });
    }
    for (const branch of ['feature/x..y', 'has space', '']) {
      expect((await gitHostError(host.ensureFileRemoved({ ...removal, branch }))).kind).toBe('permanent');
    }
    const directory = await gitHostError(host.ensureFileRemoved({ ...removal, path: 'terraform/live/dev' }));
    expect({ kind: directory.kind, message: directory.message }).toEqual({
      kind: 'conflict',
      message: 'terraform/live/dev is a directory in the repository',
    });
    const missing = await gitHostError(host.ensureFileRemoved({ ...removal, branch: 'feature/none' }));
    expect(missing.kind).toBe('transient');
    expect(git(repo, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(
      [`refs/heads/${retireBranch('orders')} ${base}`, `refs/heads/main ${base}`].join('\n'),
    );
  });

  it('ensureFileRemoved beside writers of other branches and of its own, across connections, loses nothing', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `keep-${i}`);
    const { repo } = await withRoots('orders', ...names);
    const a = openHost(repo);
    const b = openHost(repo);
    const base = git(repo, 'rev-parse', 'main');
    await a.ensureBranch(retireBranch('orders'), base);
    const removal = { branch: retireBranch('orders'), path: rootFile('orders'), message: 'Retire orders' };
    const [removals, writes, sameBranch] = await Promise.all([
      Promise.all([a.ensureFileRemoved(removal), b.ensureFileRemoved(removal)]),
      Promise.all(names.map((name, i) => provision(i % 2 === 0 ? a : b, name))),
      b.ensureFile({
        branch: retireBranch('orders'),
        path: 'terraform/live/dev/note.md',
        content: 'kept\n',
        message: 'note',
      }),
    ]);
    expect(removals.filter((r) => r.committed)).toHaveLength(1);
    expect(sameBranch.committed).toBe(true);
    for (const name of names) {
      expect(git(repo, 'show', `${branchFor(name)}:${fileFor(name)}`)).toBe(contentFor(name).trim());
    }
    expect(writes.every((w) => w.file.committed)).toBe(true);
    const branch = retireBranch('orders');
    expect(git(repo, 'rev-list', '--count', `main..${branch}`)).toBe('2');
    expect(await a.readFile(branch, rootFile('orders'))).toBeNull();
    expect(await a.readFile(branch, 'terraform/live/dev/note.md')).toBe('kept\n');
    expect(git(repo, 'rev-parse', 'main')).toBe(base);
    fsckClean(repo);
  });

  it('listFiles lists a directory recursively at a commit, sorted by path, with blob ids', async () => {
    const { repo, host } = await withRoots('orders', 'billing');
    await host.ensureFile({
      branch: 'main',
      path: 'terraform/live/prod/orders/main.tf',
      content: 'p\n',
      message: 'p',
    });
    const main = git(repo, 'rev-parse', 'main');
    const expected = git(repo, 'ls-tree', '-r', '--name-only', main, '--', 'terraform/live')
      .split('\n')
      .sort()
      .map((path) => ({ path, blob: git(repo, 'rev-parse', `${main}:${path}`) }));
    const listed = await host.listFiles(main, 'terraform/live');
    expect(listed).toEqual(expected);
    expect(listed.map((f) => f.path)).toEqual(
      expect.arrayContaining([rootFile('billing'), rootFile('orders'), 'terraform/live/prod/orders/main.tf']),
    );
    expect(await host.listFiles(main, 'terraform/live/dev')).toEqual([
      { path: rootFile('billing'), blob: git(repo, 'rev-parse', `${main}:${rootFile('billing')}`) },
      { path: rootFile('orders'), blob: git(repo, 'rev-parse', `${main}:${rootFile('orders')}`) },
    ]);
    // A branch name reads like a commit; an older commit shows what was there then.
    expect(await host.listFiles('main', 'terraform/live/dev')).toEqual(
      await host.listFiles(main, 'terraform/live/dev'),
    );
    const older = git(repo, 'rev-parse', 'main~2');
    expect((await host.listFiles(older, 'terraform/live/dev')).map((f) => f.path)).toEqual([
      rootFile('orders'),
    ]);
    // Absent, a file, a prefix of a name, or a pattern: nothing.
    expect(await host.listFiles(main, 'terraform/live/staging')).toEqual([]);
    expect(await host.listFiles(main, rootFile('orders'))).toEqual([]);
    expect(await host.listFiles(main, 'terraform/live/de')).toEqual([]);
    expect(await host.listFiles(main, 'terraform/live/*')).toEqual([]);
    expect(await host.listFiles(main, 'terraform/live/d?v')).toEqual([]);
  });

  it('listFiles refuses a directory that climbs out or is not a path, and a commit that is not there', async () => {
    const { repo, host } = await withRoots('orders');
    const main = git(repo, 'rev-parse', 'main');
    for (const directory of [
      '..',
      'terraform/..',
      'terraform/../terraform/live',
      '/terraform',
      'a//b',
      '',
      '.git',
    ]) {
      const error = await gitHostError(host.listFiles(main, directory));
      expect({ kind: error.kind, message: error.message }).toEqual({
        kind: 'permanent',
        message: `invalid repository path ${JSON.stringify(directory)}`,
      });
    }
    expect((await gitHostError(host.listFiles('0'.repeat(40), 'terraform/live'))).kind).toBe('not_found');
    expect((await gitHostError(host.listFiles('no-such-branch', 'terraform/live'))).kind).toBe('not_found');
    expect((await gitHostError(host.listFiles('bad..ref', 'terraform/live'))).kind).toBe('permanent');
  });

  it('listFiles reads 10,000 files quickly; a removal from a directory that large writes a valid tree', async () => {
    const { repo, host } = await withRoots();
    const count = 10_000;
    const main = git(repo, 'rev-parse', 'main');
    // One fast-import stream: a commit on main adding a root per database.
    const lines = [
      `commit refs/heads/main`,
      `committer Engineer <engineer@example.com> ${T0 / 1000} +0000`,
      'data 4',
      'many',
      `from ${main}`,
    ];
    for (let i = 0; i < count; i++) {
      const text = `# db ${i}\n`;
      lines.push(
        `M 100644 inline terraform/live/dev/db-${String(i).padStart(5, '0')}/main.tf`,
        `data ${Buffer.byteLength(text)}`,
        text,
      );
    }
    execFileSync('git', ['fast-import', '--quiet'], {
      cwd: repo,
      env: gitEnv(),
      input: `${lines.join('\n')}\n`,
    });
    const head = git(repo, 'rev-parse', 'main');

    const started = performance.now();
    const listed = await host.listFiles(head, 'terraform/live/dev');
    const elapsed = performance.now() - started;
    console.log(`listFiles: ${listed.length} files in ${elapsed.toFixed(1)} ms`);
    expect(listed).toHaveLength(count);
    expect(listed[0]?.path).toBe('terraform/live/dev/db-00000/main.tf');
    expect(listed[count - 1]?.path).toBe(`terraform/live/dev/db-0${count - 1}/main.tf`);
    expect(await host.readBlob(listed[4242]?.blob as string)).toBe('# db 4242\n');
    expect(elapsed).toBeLessThan(3000);

    // A removal from a directory this large (a tree over 32 KiB, written as stored deflate blocks).
    expect(Number(git(repo, 'cat-file', '-s', `${head}:terraform/live/dev`))).toBeGreaterThan(32 * 1024);
    await host.ensureBranch(retireBranch('db-04242'), head);
    const gone = 'terraform/live/dev/db-04242/main.tf';
    expect(
      (await host.ensureFileRemoved({ branch: retireBranch('db-04242'), path: gone, message: 'Retire' }))
        .committed,
    ).toBe(true);
    const after = await host.listFiles(retireBranch('db-04242'), 'terraform/live/dev');
    expect(after.map((f) => f.path)).toEqual(listed.map((f) => f.path).filter((path) => path !== gone));
    expect(git(repo, 'diff', '--name-status', head, retireBranch('db-04242'))).toBe(`D\t${gone}`);
    fsckClean(repo);
  });

  it('readBlob reads a blob by id and refuses what is not one', async () => {
    const { repo, host } = await withRoots('orders');
    const main = git(repo, 'rev-parse', 'main');
    const blob = git(repo, 'rev-parse', `${main}:${rootFile('orders')}`);
    expect(await host.readBlob(blob)).toBe(contentFor('orders'));
    expect(await host.readBlob(blob.toUpperCase())).toBe(contentFor('orders'));
    for (const id of ['0'.repeat(40), 'a'.repeat(64), git(repo, 'rev-parse', `${main}:terraform`), main]) {
      const error = await gitHostError(host.readBlob(id));
      expect({ kind: error.kind, message: error.message }).toEqual({
        kind: 'not_found',
        message: `no blob ${id.toLowerCase()}`,
      });
    }
    for (const id of [
      '',
      'main',
      blob.slice(0, 39),
      `${blob}0`,
      `${main}:${rootFile('orders')}`,
      'g'.repeat(40),
      `${blob}\n`,
    ]) {
      const error = await gitHostError(host.readBlob(id));
      expect({ kind: error.kind, message: error.message }).toEqual({
        kind: 'permanent',
        message: `invalid blob id ${JSON.stringify(id)}: 40 or 64 hexadecimal digits expected`,
      });
    }
  });

  it('merges a retirement: the file and its directory leave main; the diff shows the deletion', async () => {
    const { repo, host } = await withRoots('orders', 'billing');
    const { removed, pr } = await retire(host, 'orders');
    const diff = await host.diff(pr.number);
    expect(diff).toContain(`diff --git a/${rootFile('orders')} b/${rootFile('orders')}`);
    expect(diff).toContain('deleted file mode 100644');
    expect(diff).toContain('+++ /dev/null');
    expect(diff).toContain('-  source = "../modules/rds"');

    const before = git(repo, 'rev-parse', 'main');
    const merged = await host.merge(pr.number, new Date(T0));
    expect(merged).toMatchObject({ state: 'merged', mergeCommit: git(repo, 'rev-parse', 'main') });
    expect(git(repo, 'rev-parse', 'main^1', 'main^2').split('\n')).toEqual([before, removed.head]);
    expect(await host.readFile('main', rootFile('orders'))).toBeNull();
    expect((await host.listFiles('main', 'terraform/live/dev')).map((f) => f.path)).toEqual([
      rootFile('billing'),
    ]);
    expect(gitStatus(repo, 'cat-file', '-e', 'main:terraform/live/dev/orders')).not.toBe(0);
    expect(await host.diff(pr.number)).toContain('deleted file mode 100644');
    fsckClean(repo);
  });

  it('refuses to merge a retirement whose file main changed meanwhile, as a conflict, and changes nothing', async () => {
    const { repo, host } = await withRoots('orders');
    const { pr } = await retire(host, 'orders');
    const changeBranch = 'feature/change-rds-orders';
    await host.ensureBranch(changeBranch, git(repo, 'rev-parse', 'main'));
    await host.ensureFile({
      branch: changeBranch,
      path: rootFile('orders'),
      content: contentFor('orders', ' v2'),
      message: 'Change orders',
    });
    const changed = await host.ensurePullRequest({
      branch: changeBranch,
      base: 'main',
      title: 'Change',
      body: 'Change',
      requestId: 'req-change',
    });
    await host.merge(changed.number, new Date(T0));

    const refs = git(repo, 'for-each-ref');
    const open = await host.get(pr.number);
    const error = await gitHostError(host.merge(pr.number, new Date(T0 + 1000)));
    expect(error.kind).toBe('conflict');
    expect(error.message).toBe(`pull request #${pr.number} conflicts with main in ${rootFile('orders')}`);
    expect(git(repo, 'for-each-ref')).toBe(refs);
    expect(await host.get(pr.number)).toEqual(open);
    expect(await host.readFile('main', rootFile('orders'))).toBe(contentFor('orders', ' v2'));
    expect((await host.close(pr.number, new Date(T0 + 2000))).state).toBe('closed');
  });

  it('finishes a retirement merge a crash cut short after main moved', async () => {
    const { repo, host } = await withRoots('orders');
    const { removed, pr } = await retire(host, 'orders');
    // What a merge that died after moving main leaves: the claim, and main at a merge commit.
    dbs[0]
      ?.prepare('UPDATE pull_requests SET merging_since = ? WHERE number = ?')
      .run(new Date(T0).toISOString(), pr.number);
    const main = git(repo, 'rev-parse', 'main');
    const tree = git(repo, 'merge-tree', '--write-tree', main, removed.head);
    const commit = git(repo, 'commit-tree', tree, '-p', main, '-p', removed.head, '-m', 'Merge');
    git(repo, 'update-ref', 'refs/heads/main', commit, main);

    const restarted = openHost(repo);
    expect(await restarted.finishInterruptedMerges()).toBe(1);
    expect(await restarted.get(pr.number)).toMatchObject({ state: 'merged', mergeCommit: commit });
    expect(await restarted.readFile('main', rootFile('orders'))).toBeNull();
    expect(await restarted.finishInterruptedMerges()).toBe(0);
  });
});

describe('LocalGitHost: reading a directory whole', () => {
  const gitBlobId = (text: string) => hashObject('blob', Buffer.from(text, 'utf8'));

  /** A commit on main adding these files (mode, path, text, or an existing blob's id), made by git fast-import. */
  function commitFiles(
    repo: string,
    files: Array<[mode: string, path: string, content: string | { blob: string }]>,
  ) {
    const lines = [
      'commit refs/heads/main',
      `committer Engineer <engineer@example.com> ${T0 / 1000} +0000`,
      'data 5',
      'files',
      `from ${git(repo, 'rev-parse', 'main')}`,
    ];
    for (const [mode, path, content] of files) {
      if (typeof content !== 'string') {
        lines.push(`M ${mode} ${content.blob} ${path}`);
        continue;
      }
      lines.push(`M ${mode} inline ${path}`, `data ${Buffer.byteLength(content)}`, content);
    }
    execFileSync('git', ['fast-import', '--quiet'], {
      cwd: repo,
      env: gitEnv(),
      input: `${lines.join('\n')}\n`,
    });
    return git(repo, 'rev-parse', 'main');
  }

  /** What git itself says the directory's regular files are at a commit: path, blob id and text. */
  function gitsOwnRead(repo: string, commit: string, directory: string) {
    return git(repo, 'ls-tree', '-r', commit, '--', directory)
      .split('\n')
      .filter((line) => /^100(644|755) blob /.test(line))
      .map((line) => {
        const [meta, path] = line.split('\t') as [string, string];
        const blob = meta.split(' ')[2] as string;
        const content = execFileSync('git', ['cat-file', 'blob', blob], {
          cwd: repo,
          env: gitEnv(),
        }).toString('utf8');
        return { path, blob, content };
      })
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  it('reads every regular file under a directory with its blob id and text, sorted by path; [] when absent', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const head = commitFiles(repo, [
      ['100644', 'terraform/live/dev/orders/main.tf', 'module "orders" {}\n'],
      ['100755', 'terraform/live/dev/run.sh', '#!/bin/sh\necho plan\n'],
      ['120000', 'terraform/live/dev/link.tf', 'orders/main.tf'],
      ['100644', 'terraform/live/prod/deep/er/x.tf', 'résumé ✓\n'],
      ['100644', 'terraform/live-old/y.tf', 'y\n'],
      ['100644', 'terraform/livestock.tf', 'z\n'],
    ]);
    const read = await host.readDirectory(head, 'terraform/live');
    expect(read).toEqual(gitsOwnRead(repo, head, 'terraform/live'));
    const paths = read.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'terraform/live/dev/orders/main.tf',
        'terraform/live/dev/run.sh',
        'terraform/live/prod/deep/er/x.tf',
      ]),
    );
    // A symbolic link is no file of the directory; neither is a sibling whose name starts alike.
    expect(paths).not.toContain('terraform/live/dev/link.tf');
    expect(paths.filter((p) => !p.startsWith('terraform/live/'))).toEqual([]);
    expect(read.find((f) => f.path === 'terraform/live/prod/deep/er/x.tf')?.content).toBe('résumé ✓\n');
    // The same blobs listFiles names.
    const listed = new Map((await host.listFiles(head, 'terraform/live')).map((f) => [f.path, f.blob]));
    for (const file of read) expect(listed.get(file.path)).toBe(file.blob);

    expect(await host.readDirectory('main', 'terraform/live/dev/orders')).toEqual([
      {
        path: 'terraform/live/dev/orders/main.tf',
        blob: gitBlobId('module "orders" {}\n'),
        content: 'module "orders" {}\n',
      },
    ]);
    expect(await host.readDirectory(head, 'terraform/live/staging')).toEqual([]);
    expect(await host.readDirectory(head, 'terraform/live/dev/run.sh')).toEqual([]);
    expect(await host.readDirectory(head, 'terraform/live/d?v')).toEqual([]);
  });

  it('refuses a directory that is not a path, and a commit that is not there', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    const main = git(repo, 'rev-parse', 'main');
    for (const directory of ['..', 'terraform/../terraform/live', '/terraform', 'a//b', '', '.git']) {
      const error = await gitHostError(host.readDirectory(main, directory));
      expect({ kind: error.kind, message: error.message }).toEqual({
        kind: 'permanent',
        message: `invalid repository path ${JSON.stringify(directory)}`,
      });
    }
    expect((await gitHostError(host.readDirectory('0'.repeat(40), 'terraform/live'))).kind).toBe('not_found');
    expect((await gitHostError(host.readDirectory('no-such-branch', 'terraform/live'))).kind).toBe(
      'not_found',
    );
    expect((await gitHostError(host.readDirectory('bad..ref', 'terraform/live'))).kind).toBe('permanent');
  });

  it('refuses a directory whose files total more than 256 MiB before reading any of them', async () => {
    const repo = await newInfra();
    const host = openHost(repo);
    // One 90 MiB blob at three paths: 270 MiB of files, stored once.
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
      cwd: repo,
      env: gitEnv(),
      input: Buffer.alloc(90 * 1024 * 1024, 'a'),
      maxBuffer: 1024,
    })
      .toString('utf8')
      .trim();
    const head = commitFiles(
      repo,
      ['a', 'b', 'c'].map((name) => ['100644', `terraform/live/dev/${name}/main.tf`, { blob }]),
    );
    const error = await gitHostError(host.readDirectory(head, 'terraform/live'));
    expect(error.kind).toBe('permanent');
    expect(error.message).toBe(
      `terraform/live holds at least 270.0 MiB of files at ${head}, more than the 256 MiB one read may take`,
    );
    // Two of them fit.
    expect((await host.readDirectory(head, 'terraform/live/dev/a')).map((f) => f.path)).toEqual([
      'terraform/live/dev/a/main.tf',
    ]);
  });

  it('reads 10,000 files through one git ls-tree and one git cat-file, quickly', async () => {
    const repo = await newInfra();
    const count = 10_000;
    const head = commitFiles(
      repo,
      Array.from({ length: count }, (_, i) => {
        const db = `db-${String(i).padStart(5, '0')}`;
        return ['100644', `terraform/live/dev/${db}/main.tf`, contentFor(db)] as [string, string, string];
      }),
    );
    // Every git process the host starts from here on writes a line to the trace.
    const trace = join(dir, 'git-trace.log');
    const before = process.env.GIT_TRACE;
    process.env.GIT_TRACE = trace;
    let elapsed: number;
    let read: Awaited<ReturnType<LocalGitHost['readDirectory']>>;
    try {
      const host = openHost(repo);
      const started = performance.now();
      read = await host.readDirectory(head, 'terraform/live/dev');
      elapsed = performance.now() - started;
    } finally {
      if (before === undefined) delete process.env.GIT_TRACE;
      else process.env.GIT_TRACE = before;
    }
    console.log(`readDirectory: ${read.length} files in ${elapsed.toFixed(1)} ms`);
    expect(read).toHaveLength(count);
    expect(read[4242]).toEqual({
      path: 'terraform/live/dev/db-04242/main.tf',
      blob: gitBlobId(contentFor('db-04242')),
      content: contentFor('db-04242'),
    });
    const commands = readFileSync(trace, 'utf8')
      .split('\n')
      .flatMap((line) => /trace: built-in: git (.*)$/.exec(line)?.[1] ?? [])
      .map((command) => command.replace(/^(\S+).*?( --batch\S*(?: --buffer)?)?(?: .*)?$/, '$1$2'));
    // One listing and one reader of every blob; besides them only what opens the repository (rev-parse,
    // config) and the persistent reader that checks the commit.
    expect(commands.filter((c) => c === 'ls-tree')).toHaveLength(1);
    expect(commands.filter((c) => c === 'cat-file --batch --buffer')).toHaveLength(1);
    expect(commands.filter((c) => !['rev-parse', 'config', 'cat-file --batch-command'].includes(c))).toEqual([
      'ls-tree',
      'cat-file --batch --buffer',
    ]);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('LocalGitHost: a pull request asked for again after it merged', () => {
  /** One database's pull request opened by the worker's steps and merged. */
  async function provisionedAndMerged(repo: string, db: string) {
    const host = openHost(repo);
    const run = await provision(host, db);
    const merged = await host.merge(run.pr.number, new Date(T0));
    return { host, run, merged };
  }

  it('answers with the merged pull request when the branch holds nothing new, on any connection; opens none', async () => {
    const repo = await newInfra();
    const { host, run, merged } = await provisionedAndMerged(repo, 'orders');
    const refs = git(repo, 'for-each-ref');
    const want = { number: run.pr.number, url: run.pr.url, created: false };

    // A delivery that read main before the merge reaches this step only now.
    expect(await host.ensurePullRequest(prSpec('orders'))).toEqual(want);
    expect(await openHost(repo).ensurePullRequest(prSpec('orders'))).toEqual(want);
    const many = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? openHost(repo) : host).ensurePullRequest(prSpec('orders')),
      ),
    );
    expect(many).toEqual(Array.from({ length: 6 }, () => want));

    expect(await host.list()).toEqual([merged]);
    expect(await host.openPullRequests(branchFor('orders'))).toEqual([]);
    expect(git(repo, 'for-each-ref')).toBe(refs);
  });

  it('opens a new pull request when the branch has new commits after the merged one: create, retire, create again', async () => {
    const repo = await newInfra();
    const { host, run } = await provisionedAndMerged(repo, 'orders');

    // The retirement, on its own branch, merged: the file leaves main.
    const retireBranch = 'feature/retire-rds-orders';
    await host.ensureBranch(retireBranch, (await host.headOf('main')) as string);
    await host.ensureFileRemoved({ branch: retireBranch, path: fileFor('orders'), message: 'Retire orders' });
    const retired = await host.ensurePullRequest({
      branch: retireBranch,
      base: 'main',
      title: 'Retire orders',
      body: 'Retire orders',
      requestId: 'req-retire-orders',
    });
    await host.merge(retired.number, new Date(T0 + 1000));
    expect(await host.readFile('main', fileFor('orders'))).toBeNull();

    // The name created again: the creation branch is reused and gains a commit; that is a new pull request.
    const again = { ...prSpec('orders'), requestId: 'req-orders-again', title: 'Provision orders again' };
    const branch = await host.ensureBranch(branchFor('orders'), (await host.headOf('main')) as string);
    expect(branch).toEqual({ created: false, head: run.file.head });
    const file = await host.ensureFile({
      ...change('orders', ' again'),
      message: 'Provision orders again',
    });
    expect(file.committed).toBe(true);
    const opened = await host.ensurePullRequest(again);
    expect(opened).toEqual({ number: 3, url: 'http://127.0.0.1:8080/pulls/3', created: true });
    expect(await host.ensurePullRequest(again)).toEqual({ ...opened, created: false });
    // The first request asking again meets the second's open pull request: not its own.
    expect((await gitHostError(host.ensurePullRequest(prSpec('orders')))).kind).toBe('conflict');

    expect((await host.list()).map((pr) => [pr.number, pr.state, pr.requestId])).toEqual([
      [3, 'open', 'req-orders-again'],
      [2, 'merged', 'req-retire-orders'],
      [1, 'merged', 'req-orders'],
    ]);
    fsckClean(repo);
  });

  it('opens a new pull request for the same request when its branch gained a commit after the merge', async () => {
    const repo = await newInfra();
    const { host, run } = await provisionedAndMerged(repo, 'orders');
    const file = await host.ensureFile(change('orders', ' v2'));
    expect(file.committed).toBe(true);
    const opened = await host.ensurePullRequest(prSpec('orders'));
    expect(opened).toMatchObject({ created: true });
    expect(opened.number).not.toBe(run.pr.number);
    expect((await host.list()).map((pr) => pr.state)).toEqual(['open', 'merged']);
  });
});
