/**
 * The inventory's reads of the base branch, counted: a cold inventory reads its files in one bulk read
 * (GitHost.readDirectory) instead of one blob at a time, on a local repository and on GitHub (the
 * simulator); reads that arrive while a snapshot is being built share that build, in-process and through
 * the real server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gitBlobId } from '../../src/adapters/github/directory-archive.js';
import { GitHubHost } from '../../src/adapters/github/github-host.js';
import { createGitHubClient } from '../../src/adapters/github/octokit.js';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { gitEnv } from '../../src/adapters/local/git-process.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase } from '../../src/adapters/local/sqlite.js';
import type { AppContext } from '../../src/app/context.js';
import { Inventory } from '../../src/app/inventory.js';
import { LAYOUT_DEFAULTS } from '../../src/domain/layout.js';
import { DEFAULT_GIT_CONVENTIONS, type GitConventions } from '../../src/domain/naming.js';
import { type GitHost, GitHostError } from '../../src/ports.js';
import { readDatabaseFile } from '../../src/render/read-database-file.js';
import { CODELOAD_ROUTE, type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { api, startServer } from '../support/server.js';

const CONVENTIONS: GitConventions = { ...DEFAULT_GIT_CONVENTIONS, ...LAYOUT_DEFAULTS['per-database'] };
const AUTHOR = { name: 'rds-provisioner', email: 'rds-provisioner@example.com' };
const TREES = 'GET /repos/{owner}/{repo}/git/trees/{tree_sha}';
const BLOBS = 'GET /repos/{owner}/{repo}/git/blobs/{file_sha}';
const TARBALL = 'GET /repos/{owner}/{repo}/tarball/{ref}';
const quiet = { info() {}, warn() {}, error() {} };

const dbName = (i: number) => `db-${String(i).padStart(3, '0')}`;
const pathOf = (i: number) => `terraform/live/dev/${dbName(i)}/main.tf`;
/** A database file the service did not write (foreign): the inventory lists it all the same. */
const contentOf = (i: number) => `# ${dbName(i)}, written by hand\nmodule "${dbName(i)}" {}\n`;
const filesOf = (from: number, to: number) =>
  Object.fromEntries(Array.from({ length: to - from }, (_, k) => [pathOf(from + k), contentOf(from + k)]));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Counts the calls of every method of a real host (and can make one fail or answer otherwise). */
function counted(
  host: GitHost,
  around: Partial<GitHost> = {},
): { host: GitHost; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(host, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof name !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        const instead = Object.hasOwn(around, name) ? (around as Record<string, unknown>)[name] : undefined;
        return ((instead ?? value) as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { host: proxy, calls };
}

/** What the inventory needs of the context: the conventions and the git host. */
const contextOf = (git: GitHost) => ({ conventions: CONVENTIONS, git }) as AppContext;

/** A local repository (per-database layout) whose main holds `count` database files; its host. */
async function localRepository(
  count: number,
): Promise<{ host: LocalGitHost; commit: (files: Record<string, string>) => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-'));
  const repo = join(dir, 'infra');
  await ensureInfraRepository(repo, {
    sourceDir: process.cwd(),
    author: AUTHOR,
    layout: 'per-database',
    now: new Date(),
  });
  const db = openDatabase(join(dir, 'service.db'));
  const host = new LocalGitHost({
    repository: repo,
    author: AUTHOR,
    db,
    clock: { now: () => new Date() },
    pullUrl: (n) => `http://127.0.0.1/pulls/${n}`,
  });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => {
      db.close();
    },
    () => host.dispose(),
  );
  const commit = (files: Record<string, string>) => {
    const git = (args: string[], input?: string) =>
      execFileSync('git', args, { cwd: repo, env: gitEnv(), input }).toString('utf8').trim();
    const lines = [
      'commit refs/heads/main',
      'committer E <e@example.com> 1700000000 +0000',
      'data 5',
      'files',
    ];
    lines.push(`from ${git(['rev-parse', 'main'])}`);
    for (const [path, text] of Object.entries(files)) {
      lines.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(text)}`, text);
    }
    git(['fast-import', '--quiet'], `${lines.join('\n')}\n`);
  };
  commit(filesOf(0, count));
  return { host, commit };
}

async function githubRepository(count: number): Promise<{ sim: GitHubSimulator; host: GitHubHost }> {
  const sim = await startGitHubSimulator({
    tokens: ['ghp_inventory'],
    timeScale: 100,
    files: filesOf(0, count),
  });
  cleanups.push(() => sim.stop());
  const client = createGitHubClient({
    auth: { token: 'ghp_inventory' },
    baseUrl: sim.url,
    timeScale: 100,
    logger: quiet,
  });
  return { sim, host: new GitHubHost({ client, owner: sim.owner, repo: sim.repo }) };
}

/** What the inventory must hold, read file by file: each database's name, path and file as read back. */
async function readOneByOne(git: GitHost) {
  const head = (await git.headOf('main')) as string;
  const files = await git.listFiles(head, 'terraform/live');
  const read = [];
  for (const { path, blob } of files) {
    const match = /^terraform\/live\/dev\/(db-\d{3})\/main\.tf$/.exec(path);
    if (match)
      read.push({
        dbName: match[1],
        environment: 'dev',
        path,
        file: readDatabaseFile(await git.readBlob(blob), path, CONVENTIONS),
      });
  }
  return read;
}

describe('Inventory: a cold inventory reads its files in one bulk read', () => {
  it('on a local repository: 100 files, one readDirectory and no readBlob', async () => {
    const { host } = await localRepository(100);
    const { host: git, calls } = counted(host);
    const entries = await new Inventory().entries(contextOf(git));
    expect(calls).toEqual({ headOf: 1, listFiles: 1, readDirectory: 1 });
    expect(entries).toHaveLength(100);
    expect(entries).toEqual(await readOneByOne(host));
  });

  it('on GitHub: 100 files, one tree listing and one archive download, no blob reads', async () => {
    const { sim, host } = await githubRepository(100);
    const { host: git, calls } = counted(host);
    const entries = await new Inventory().entries(contextOf(git));
    expect(calls).toEqual({ headOf: 1, listFiles: 1, readDirectory: 1 });
    expect(sim.counters.byRoute[TREES]).toBe(1);
    expect(sim.counters.byRoute[TARBALL]).toBe(1);
    expect(sim.counters.byRoute[CODELOAD_ROUTE]).toBe(1);
    expect(sim.counters.byRoute[BLOBS]).toBeUndefined();
    expect(entries).toHaveLength(100);
    expect(entries).toEqual(await readOneByOne(host));
    expect(sim.problems).toEqual([]);
  });

  it('reads 32 or fewer files missing from its cache blob by blob, and more than 32 in one readDirectory', async () => {
    const { host, commit } = await localRepository(100);
    const { host: git, calls } = counted(host);
    const inventory = new Inventory();
    await inventory.entries(contextOf(git));

    commit(filesOf(100, 132));
    for (const name of Object.keys(calls)) delete calls[name];
    expect(await inventory.entries(contextOf(git))).toHaveLength(132);
    expect(calls).toEqual({ headOf: 1, listFiles: 1, readBlob: 32 });

    commit(filesOf(132, 165));
    for (const name of Object.keys(calls)) delete calls[name];
    expect(await inventory.entries(contextOf(git))).toHaveLength(165);
    expect(calls).toEqual({ headOf: 1, listFiles: 1, readDirectory: 1 });
    expect(await inventory.entries(contextOf(git))).toEqual(await readOneByOne(host));
  });

  it('reads by its blob a file the bulk read lacks or holds with other content (git archive export-ignore, export-subst)', async () => {
    const { host } = await localRepository(100);
    const { host: git, calls } = counted(host, {
      readDirectory: async (commit, directory) =>
        (await host.readDirectory(commit, directory))
          .filter((file) => file.path !== pathOf(7))
          // Other bytes, so another blob id: the bulk read computes ids from what it read.
          .map((file) =>
            file.path === pathOf(9)
              ? { ...file, content: 'substituted\n', blob: gitBlobId(Buffer.from('substituted\n')) }
              : file,
          ),
    });
    const entries = await new Inventory().entries(contextOf(git));
    expect(calls).toEqual({ headOf: 1, listFiles: 1, readDirectory: 1, readBlob: 2 });
    expect(entries).toEqual(await readOneByOne(host));
  });
});

describe('Inventory: reads that arrive while a snapshot is being built share it', () => {
  it('two reads of a cold inventory at once: one listing, one bulk read, the same entries', async () => {
    const { host } = await localRepository(100);
    const { host: git, calls } = counted(host);
    const inventory = new Inventory();
    const [first, second] = await Promise.all([
      inventory.entries(contextOf(git)),
      inventory.entries(contextOf(git)),
    ]);
    expect(calls).toEqual({ headOf: 2, listFiles: 1, readDirectory: 1 });
    expect(second).toBe(first);
    expect(first).toHaveLength(100);
  });

  it('a build that fails fails every read that shared it, and is not kept: the next read builds again', async () => {
    const { host } = await localRepository(40);
    let failures = 1;
    const { host: git, calls } = counted(host, {
      listFiles: async (commit, directory) => {
        if (failures-- > 0) throw new GitHostError('GitHub is having a moment', 'transient');
        return host.listFiles(commit, directory);
      },
    });
    const inventory = new Inventory();
    const reads = await Promise.allSettled([
      inventory.entries(contextOf(git)),
      inventory.entries(contextOf(git)),
    ]);
    expect(reads.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls.listFiles).toBe(1);
    expect(await inventory.entries(contextOf(git))).toHaveLength(40);
    expect(calls.listFiles).toBe(2);
  });
});

describe('GET /databases on a server just started, against GitHub', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  }, 180_000);

  it('two GETs at once share one build: one tree listing and one archive download for 100 databases', async () => {
    const sim = await startGitHubSimulator({
      owner: 'acme',
      repo: 'infra',
      tokens: ['ghp_cold'],
      files: filesOf(0, 100),
    });
    cleanups.push(() => sim.stop());
    const server = await startServer({
      args: ['--github', 'acme/infra', '--workers', '1'],
      env: { GITHUB_TOKEN: 'ghp_cold', GITHUB_API_URL: sim.url },
    });
    cleanups.push(async () => {
      expect(await server.stop()).toBe(0);
    });
    const call = api(server);
    const [first, second] = await Promise.all([
      call('GET', '/databases?limit=100'),
      call('GET', '/databases?limit=100'),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json.databases).toHaveLength(100);
    expect(second.json).toEqual(first.json);
    expect(sim.counters.byRoute[TREES]).toBe(1);
    expect(sim.counters.byRoute[TARBALL]).toBe(1);
    expect(sim.counters.byRoute[BLOBS]).toBeUndefined();
    expect(sim.problems).toEqual([]);
  });
});
