/**
 * GitHost.resetBranch on both hosts: the branch moves to the commit asked for only while it is at the head
 * the caller saw; a branch that moved (or is gone) is left alone and the answer is false; a bad branch name
 * is refused before anything is touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubHost } from '../../src/adapters/github/github-host.js';
import { createGitHubClient } from '../../src/adapters/github/octokit.js';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { gitEnv } from '../../src/adapters/local/git-process.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { silentLogger } from '../../src/adapters/system.js';
import { gitHostError } from '../support/git-host-error.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { ManualClock } from '../support/manual-clock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AUTHOR = { name: 'rds-provisioner', email: 'rds-provisioner@example.com' };
const BRANCH = 'feature/provision-rds-orders';
const PATH = 'terraform/live/orders.tf';
const BAD_NAMES = ['', 'a b', '../main', 'feature/x..y', 'feature/x.lock', '-x', 'x/', 'x@{1}'];

describe('LocalGitHost.resetBranch', () => {
  let dir: string;
  let repo: string;
  let db: SqliteDatabase;
  let host: LocalGitHost;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdsp-reset-branch-'));
    repo = join(dir, 'infra');
    const clock = new ManualClock();
    await ensureInfraRepository(repo, {
      sourceDir: ROOT,
      author: AUTHOR,
      layout: 'per-database',
      now: clock.now(),
    });
    db = openDatabase(join(dir, 'service.db'));
    host = new LocalGitHost({ repository: repo, author: AUTHOR, db, clock, pullUrl: (n) => `http://x/${n}` });
  });
  afterEach(async () => {
    await host.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, ...args], { env: gitEnv(), encoding: 'utf8' }).trim();
  const heads = () => git('for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads');

  /** The branch one commit past main; main's head and the branch's. */
  async function branchWithCommit() {
    const main = (await host.headOf('main')) as string;
    await host.ensureBranch(BRANCH, main);
    const { head } = await host.ensureFile({ branch: BRANCH, path: PATH, content: 'old\n', message: 'old' });
    return { main, head };
  }

  it('moves the branch to the commit when it is at the expected head', async () => {
    const { main, head } = await branchWithCommit();
    expect(await host.resetBranch(BRANCH, main, head)).toBe(true);
    expect(await host.headOf(BRANCH)).toBe(main);
    expect(await host.readFile(BRANCH, PATH)).toBeNull();
    const fsck = spawnSync('git', ['-C', repo, 'fsck', '--strict'], { env: gitEnv(), encoding: 'utf8' });
    expect(fsck.status, fsck.stderr).toBe(0);
  });

  it('answers false and moves nothing when the branch moved, or is gone', async () => {
    const { main, head } = await branchWithCommit();
    const { head: moved } = await host.ensureFile({
      branch: BRANCH,
      path: PATH,
      content: 'new\n',
      message: 'new',
    });
    const before = heads();
    expect(await host.resetBranch(BRANCH, main, head)).toBe(false);
    expect(await host.headOf(BRANCH)).toBe(moved);
    expect(await host.resetBranch('feature/provision-rds-none', main, head)).toBe(false);
    expect(heads()).toBe(before);
  });

  it('lets exactly one of two resets from the same head win', async () => {
    const { main, head } = await branchWithCommit();
    const { head: other } = await host.ensureFile({
      branch: 'main',
      path: 'x.txt',
      content: 'x\n',
      message: 'x',
    });
    const results = await Promise.all([
      host.resetBranch(BRANCH, main, head),
      host.resetBranch(BRANCH, other, head),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await host.headOf(BRANCH)).toBe(results[0] ? main : other);
  });

  it('refuses a bad branch name, a commit that is not there and an expected head that is no commit id, and changes nothing', async () => {
    const { main, head } = await branchWithCommit();
    const before = heads();
    for (const name of BAD_NAMES) {
      const error = await gitHostError(host.resetBranch(name, main, head));
      expect(error.kind).toBe('permanent');
      expect(error.message).toContain(`invalid branch name ${JSON.stringify(name)}`);
    }
    const missing = await gitHostError(host.resetBranch(BRANCH, 'f'.repeat(40), head));
    expect(missing).toMatchObject({ kind: 'permanent' });
    expect(missing.message).toContain(`${'f'.repeat(40)} is not a commit`);
    const notOid = await gitHostError(host.resetBranch(BRANCH, main, 'main'));
    expect(notOid).toMatchObject({ kind: 'permanent' });
    expect(notOid.message).toContain('expected head "main"');
    expect(heads()).toBe(before);
  });

  it('does not move a branch checked out in a working tree: transient, so the worker tries again later', async () => {
    const { main, head } = await branchWithCommit();
    const worktree = join(dir, 'look');
    git('worktree', 'add', '-q', worktree, BRANCH);
    const busy = await gitHostError(host.resetBranch(BRANCH, main, head));
    expect(busy.kind).toBe('transient');
    expect(busy.message).toContain('checked out');
    expect(await host.headOf(BRANCH)).toBe(head);
    git('worktree', 'remove', worktree);
    expect(await host.resetBranch(BRANCH, main, head)).toBe(true);
  });
});

describe('GitHubHost.resetBranch', () => {
  const TOKEN = 'ghp_resetBranchTestToken0123456789abcdef';
  let sim: GitHubSimulator;
  let host: GitHubHost;

  beforeEach(async () => {
    sim = await startGitHubSimulator({ tokens: [TOKEN], timeScale: 100 });
    const client = createGitHubClient({
      auth: { token: TOKEN },
      baseUrl: sim.url,
      timeScale: 100,
      logger: silentLogger,
    });
    host = new GitHubHost({ client, owner: sim.owner, repo: sim.repo });
  });
  afterEach(async () => {
    expect(sim.problems).toEqual([]);
    await sim.stop();
  });

  const PATCH = 'PATCH /repos/{owner}/{repo}/git/refs/{ref}';

  function branchWithCommit() {
    const main = sim.branches().main as string;
    sim.createBranch(BRANCH, main);
    const head = sim.commitFiles(BRANCH, { [PATH]: 'old\n' }, 'old');
    return { main, head };
  }

  it('moves the branch to the commit when it is at the expected head: one read, one mutation', async () => {
    const { main, head } = branchWithCommit();
    sim.resetCounters();
    expect(await host.resetBranch(BRANCH, main, head)).toBe(true);
    expect(sim.branches()[BRANCH]).toBe(main);
    expect(sim.file(PATH, BRANCH)).toBeUndefined();
    expect(host.counters()).toEqual({ reads: 1, mutations: 1 });
    expect(sim.counters.byRoute[PATCH]).toBe(1);
    // The file step that follows reads the branch where the reset left it.
    const written = await host.ensureFile({ branch: BRANCH, path: PATH, content: 'new\n', message: 'new' });
    expect(sim.commit(written.head)?.parents).toEqual([main]);
  });

  it('answers false and sends no update when the branch moved, or is gone', async () => {
    const { main, head } = branchWithCommit();
    const moved = sim.commitFiles(BRANCH, { [PATH]: 'theirs\n' }, 'theirs');
    expect(await host.resetBranch(BRANCH, main, head)).toBe(false);
    expect(sim.branches()[BRANCH]).toBe(moved);
    expect(await host.resetBranch('feature/provision-rds-none', main, head)).toBe(false);
    expect(sim.counters.byRoute[PATCH]).toBeUndefined();
  });

  it('refuses a bad branch name before asking GitHub, and changes nothing', async () => {
    const { main, head } = branchWithCommit();
    sim.resetCounters();
    for (const name of BAD_NAMES) {
      const error = await gitHostError(host.resetBranch(name, main, head));
      expect(error.kind).toBe('permanent');
      expect(error.message).toContain(`invalid branch name ${JSON.stringify(name)}`);
    }
    expect(sim.counters.requests).toBe(0);
    expect(sim.branches()[BRANCH]).toBe(head);
  });
});
