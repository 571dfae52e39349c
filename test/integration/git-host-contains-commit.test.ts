/**
 * GitHost.containsCommit on both hosts: true when the commit is the branch's head or one of its ancestors;
 * false for a commit only elsewhere, one ahead of the branch, one the repository does not have, or a branch
 * that is not there. A commit that is no full hexadecimal id, or a bad branch name, is refused before git
 * or GitHub is asked anything.
 */
import { execFileSync } from 'node:child_process';
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
import type { GitHost } from '../../src/ports.js';
import { gitHostError } from '../support/git-host-error.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { ManualClock } from '../support/manual-clock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AUTHOR = { name: 'rds-provisioner', email: 'rds-provisioner@example.com' };
const FEATURE = 'feature/provision-rds-orders';
const UNKNOWN = `${'c0ffee'.repeat(6)}beef`;
/** Not a full commit id: names git would resolve (or take for an option), and malformed ids. */
const NOT_COMMITS = [
  'main',
  'HEAD',
  'HEAD~1',
  '--all',
  '-q',
  'abc123',
  `${'a'.repeat(39)}`,
  `${'A'.repeat(40)}`,
  `${'a'.repeat(41)}`,
  '',
];
const BAD_BRANCHES = ['', 'a b', '../main', 'feature/x..y', '-x', 'x@{1}'];

/**
 * The same history on each host: main gets one commit past its root (`old` → `head`), and a feature branch
 * from `old` gets one commit of its own (`side`).
 */
interface History {
  host: GitHost;
  old: string;
  head: string;
  side: string;
  /** A further commit made on top of main's head, without moving main (a branch ahead of it). */
  ahead: string;
  /** An object the repository has that is no commit (a blob), when the host can name one. */
  blob?: string;
  /** Calls made to the repository so far (git processes are not counted; GitHub requests are). */
  requests(): number;
}

function cases(name: string, make: () => Promise<History>, teardown: () => Promise<void>) {
  describe(`${name}.containsCommit`, () => {
    let h: History;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(teardown);

    it('is true for the head and its ancestors, false for a commit elsewhere or ahead of the branch', async () => {
      expect(await h.host.containsCommit('main', h.head)).toBe(true);
      expect(await h.host.containsCommit('main', h.old)).toBe(true);
      expect(await h.host.containsCommit(FEATURE, h.old)).toBe(true);
      expect(await h.host.containsCommit('main', h.side)).toBe(false);
      expect(await h.host.containsCommit(FEATURE, h.head)).toBe(false);
      expect(await h.host.containsCommit('main', h.ahead)).toBe(false);
    });

    it('is false for a commit the repository does not have, or a branch that is not there', async () => {
      expect(await h.host.containsCommit('main', UNKNOWN)).toBe(false);
      expect(await h.host.containsCommit('feature/none', h.head)).toBe(false);
      if (h.blob) expect(await h.host.containsCommit('main', h.blob)).toBe(false);
    });

    it('refuses what is no full commit id, or no branch name, before asking anything', async () => {
      const before = h.requests();
      for (const commit of NOT_COMMITS) {
        const error = await gitHostError(h.host.containsCommit('main', commit));
        expect(error.kind, commit).toBe('permanent');
        expect(error.message, commit).toContain(`invalid commit id ${JSON.stringify(commit)}`);
      }
      for (const branch of BAD_BRANCHES) {
        const error = await gitHostError(h.host.containsCommit(branch, h.head));
        expect(error.kind, branch).toBe('permanent');
        expect(error.message, branch).toContain(`invalid branch name ${JSON.stringify(branch)}`);
      }
      expect(h.requests()).toBe(before);
    });
  });
}

// ---- the local git host: git merge-base --is-ancestor on a real repository

let dir: string;
let db: SqliteDatabase;
let local: LocalGitHost;

cases(
  'LocalGitHost',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdsp-contains-commit-'));
    const repo = join(dir, 'infra');
    const clock = new ManualClock();
    await ensureInfraRepository(repo, {
      sourceDir: ROOT,
      author: AUTHOR,
      layout: 'per-database',
      now: clock.now(),
    });
    db = openDatabase(join(dir, 'service.db'));
    local = new LocalGitHost({
      repository: repo,
      author: AUTHOR,
      db,
      clock,
      pullUrl: (n) => `http://x/${n}`,
    });
    const old = (await local.headOf('main')) as string;
    await local.ensureBranch(FEATURE, old);
    const side = (await local.ensureFile({ branch: FEATURE, path: 'a.tf', content: 'a\n', message: 'a' }))
      .head;
    const head = (await local.ensureFile({ branch: 'main', path: 'b.tf', content: 'b\n', message: 'b' }))
      .head;
    await local.ensureBranch('later', head);
    const ahead = (await local.ensureFile({ branch: 'later', path: 'c.tf', content: 'c\n', message: 'c' }))
      .head;
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], { env: gitEnv(), encoding: 'utf8' }).trim();
    const blob = git('rev-parse', `${head}:b.tf`);
    return { host: local, old, head, side, ahead, blob, requests: () => 0 };
  },
  async () => {
    await local.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  },
);

// ---- the GitHub host: GET compare/{commit}...{branch}

let sim: GitHubSimulator;

cases(
  'GitHubHost',
  async () => {
    const token = 'ghp_containsCommitTestToken0123456789ab';
    sim = await startGitHubSimulator({ tokens: [token], timeScale: 100 });
    const client = createGitHubClient({
      auth: { token },
      baseUrl: sim.url,
      timeScale: 100,
      logger: silentLogger,
    });
    const host = new GitHubHost({ client, owner: sim.owner, repo: sim.repo });
    const old = sim.branches().main as string;
    sim.createBranch(FEATURE, old);
    const side = sim.commitFiles(FEATURE, { 'a.tf': 'a\n' }, 'a');
    const head = sim.commitFiles('main', { 'b.tf': 'b\n' }, 'b');
    sim.createBranch('later', head);
    const ahead = sim.commitFiles('later', { 'c.tf': 'c\n' }, 'c');
    sim.resetCounters();
    return { host, old, head, side, ahead, requests: () => sim.counters.requests };
  },
  async () => {
    expect(sim.problems).toEqual([]);
    await sim.stop();
  },
);

describe('GitHubHost.containsCommit: what it asks GitHub', () => {
  let s: GitHubSimulator;
  afterEach(async () => {
    expect(s.problems).toEqual([]);
    await s.stop();
  });

  it('one compare call listing at most one commit; a 5xx is transient', async () => {
    const token = 'ghp_containsCommitTestToken0123456789cd';
    s = await startGitHubSimulator({ tokens: [token], timeScale: 100 });
    const client = createGitHubClient({
      auth: { token },
      baseUrl: s.url,
      timeScale: 100,
      logger: silentLogger,
      retries: 0,
    });
    const host = new GitHubHost({ client, owner: s.owner, repo: s.repo });
    const old = s.branches().main as string;
    for (let i = 0; i < 5; i++) s.commitFiles('main', { [`f${i}.tf`]: `${i}\n` }, `c${i}`);
    s.resetCounters();
    expect(await host.containsCommit('main', old)).toBe(true);
    expect(s.log.map((r) => `${r.route} ${r.status}`)).toEqual([
      'GET /repos/{owner}/{repo}/compare/{basehead} 200',
    ]);
    expect(s.log[0]?.path).toBe(`/repos/${s.owner}/${s.repo}/compare/${old}...main`);
    expect(host.counters()).toEqual({ reads: 1, mutations: 0 });

    s.schedule({ requests: s.counters.requests + 1, fault: { kind: 'status', status: 503 } });
    const down = await gitHostError(host.containsCommit('main', old));
    expect(down.kind).toBe('transient');
  });
});
