/**
 * A pull request belongs to exactly one request. The worker (processRequest) over real adapters, on both
 * git hosts: the local one on a real repository and the GitHub one against the GitHub simulator, with the
 * SQLite status store, queue and intake. When an earlier request for the same database has ended but its
 * pull request is still open (a forged webhook settled it, or someone reopened the pull request), a new
 * request fails naming that pull request and touches nothing; once it is closed, the next request gets
 * a pull request of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GitHubHost } from '../../src/adapters/github/github-host.js';
import { createGitHubClient } from '../../src/adapters/github/octokit.js';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger, systemClock } from '../../src/adapters/system.js';
import { acceptRequest } from '../../src/app/accept-request.js';
import type { AppContext } from '../../src/app/context.js';
import { processRequest } from '../../src/app/process-request.js';
import type { RequestRecord } from '../../src/domain/status.js';
import type { GitHost, PullRequestSpec, StatusStore } from '../../src/ports.js';
import { requestIdFromBody } from '../../src/render/pull-request-marker.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { git } from '../support/git-checks.js';
import { gitHostError } from '../support/git-host-error.js';
import { startGitHubSimulator } from '../support/github-simulator.js';
import { fileOf } from '../support/layouts.js';
import { ALICE } from '../support/principals.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const policy = loadPolicyFile();
const BRANCH = 'feature/provision-rds-orders';
const PATH = fileOf('orders', 'dev');

interface PullView {
  state: 'open' | 'merged' | 'closed';
  title: string;
  body: string;
  requestId: string | null;
}

/** One git host with what a test needs to look at it and to act as a reviewer on it. */
interface HostHarness {
  git: GitHost;
  branchHead(): string | undefined;
  fileOnBranch(): string | undefined;
  pull(number: number): Promise<PullView>;
  close(number: number): Promise<void>;
  merge(number: number): Promise<void>;
  fileOnMain(): string | undefined;
}

let dir: string;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function localHost(db: SqliteDatabase): Promise<HostHarness> {
  const repo = join(dir, 'infra');
  const author = policy.policy.git.author;
  await ensureInfraRepository(repo, { sourceDir: ROOT, author, layout: policy.policy.git.layout });
  const host = new LocalGitHost({
    repository: repo,
    author,
    db,
    clock: systemClock,
    pullUrl: (n) => `http://127.0.0.1:8080/pulls/${n}`,
  });
  cleanups.push(() => host.dispose());
  const show = (ref: string) => {
    try {
      return git(repo, 'show', `${ref}:${PATH}`);
    } catch {
      return undefined;
    }
  };
  return {
    git: host,
    branchHead: () =>
      git(repo, 'for-each-ref', '--format=%(objectname)', `refs/heads/${BRANCH}`).trim() || undefined,
    fileOnBranch: () => show(BRANCH),
    fileOnMain: () => show('main'),
    pull: async (number) => {
      const pr = await host.get(number);
      if (!pr) throw new Error(`no pull request #${number}`);
      return { state: pr.state, title: pr.title, body: pr.body, requestId: pr.requestId };
    },
    close: async (number) => void (await host.close(number, new Date())),
    merge: async (number) => void (await host.merge(number, new Date())),
  };
}

async function githubHost(): Promise<HostHarness & { reopen(number: number): void }> {
  const token = 'ghp_oneRequestPerPullRequest0123456789abcdef';
  const sim = await startGitHubSimulator({ tokens: [token], timeScale: 100 });
  cleanups.push(() => sim.stop());
  const client = createGitHubClient({
    auth: { token },
    baseUrl: sim.url,
    timeScale: 100,
    logger: silentLogger,
  });
  const host = new GitHubHost({ client, owner: sim.owner, repo: sim.repo });
  cleanups.push(() => expect(sim.problems).toEqual([]));
  return {
    git: host,
    branchHead: () => sim.branches()[BRANCH],
    fileOnBranch: () => (sim.branches()[BRANCH] ? sim.file(PATH, BRANCH) : undefined),
    fileOnMain: () => sim.file(PATH),
    pull: async (number) => {
      const pr = sim.pull(number);
      if (!pr) throw new Error(`no pull request #${number}`);
      const state = pr.merged ? 'merged' : pr.state;
      return { state, title: pr.title, body: pr.body ?? '', requestId: requestIdFromBody(pr.body) };
    },
    close: async (number) => void sim.closePull(number),
    merge: async (number) => void sim.mergePull(number),
    reopen: (number) => void sim.reopenPull(number),
  };
}

function context(
  db: SqliteDatabase,
  host: GitHost,
  store: StatusStore = new SqliteStatusStore(db),
): AppContext {
  const sqliteStore = new SqliteStatusStore(db);
  return {
    policy,
    conventions: policy.policy.git,
    store,
    intake: new SqliteIntake(sqliteStore, new SqliteQueue(db, systemClock)),
    git: host,
    clock: systemClock,
    logger: silentLogger,
    newRequestId: () => newRequestId(),
    audit: new SqliteAuditLog(db),
  };
}

/** The real store, except that the process dies when it would record pr_open. */
class CrashBeforePrOpen implements StatusStore {
  constructor(private readonly real: StatusStore) {}
  get: StatusStore['get'] = (id) => this.real.get(id);
  list: StatusStore['list'] = (query) => this.real.list(query);
  note: StatusStore['note'] = (id, at, detail) => this.real.note(id, at, detail);
  inFlight: StatusStore['inFlight'] = (dbName) => this.real.inFlight(dbName);
  inFlightMany: StatusStore['inFlightMany'] = (names) => this.real.inFlightMany(names);
  mergedAt: StatusStore['mergedAt'] = (commit) => this.real.mergedAt(commit);
  setPlan: StatusStore['setPlan'] = (id, plan, previous) => this.real.setPlan(id, plan, previous);
  databaseReport: StatusStore['databaseReport'] = (dbName) => this.real.databaseReport(dbName);
  databaseReports: StatusStore['databaseReports'] = (names) => this.real.databaseReports(names);
  putDatabaseReport: StatusStore['putDatabaseReport'] = (report) => this.real.putDatabaseReport(report);
  transition: StatusStore['transition'] = (id, to, change) =>
    to === 'pr_open' ? Promise.reject(new Error('killed')) : this.real.transition(id, to, change);
}

async function accept(ctx: AppContext, engine: string): Promise<RequestRecord> {
  const outcome = await acceptRequest(ctx, { db_name: 'orders', engine, environment: 'dev' }, ALICE);
  if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
  return outcome.record;
}

async function openDb(): Promise<SqliteDatabase> {
  dir = mkdtempSync(join(tmpdir(), 'rdsp-one-pr-'));
  const db = openDatabase(join(dir, 'rds-provisioner.db'));
  cleanups.push(() => void db.close());
  return db;
}

const hosts = {
  'local git host': (db: SqliteDatabase) => localHost(db),
  'GitHub host (simulator)': () => githubHost(),
} as const;

describe.each(Object.entries(hosts))('one request per pull request: %s', (_, makeHost) => {
  it('a new request fails naming the open pull request of an ended request, and touches nothing; once that is closed, the next one gets its own', async () => {
    const db = await openDb();
    const host = await makeHost(db);
    const ctx = context(db, host.git);

    const first = await accept(ctx, 'postgres');
    expect(await processRequest(ctx, first.id, 1)).toMatchObject({ kind: 'done', status: 'pr_open' });
    const firstPr = (await ctx.store.get(first.id))?.pullRequest?.number as number;
    // A forged webhook (or a lost race) settles the request while its pull request stays open.
    await ctx.store.transition(first.id, 'closed', { at: new Date(), detail: 'forged' });

    const head = host.branchHead();
    const firstPull = await host.pull(firstPr);
    expect(firstPull).toMatchObject({ state: 'open', requestId: first.id });
    const second = await accept(ctx, 'mysql');
    const reason = `pull request #${firstPr} (request ${first.id}) is still open on ${BRANCH}; merge or close it, then ask again`;
    expect(await processRequest(ctx, second.id, 1)).toEqual({ kind: 'failed', reason });
    expect(await ctx.store.get(second.id)).toMatchObject({
      status: 'failed',
      failureReason: reason,
      pullRequest: null,
    });
    expect(host.branchHead()).toBe(head);
    expect(host.fileOnBranch()).toContain(first.id);
    expect(await host.pull(firstPr)).toEqual(firstPull);

    await host.close(firstPr);
    const third = await accept(ctx, 'mysql');
    expect(await processRequest(ctx, third.id, 1)).toMatchObject({ kind: 'done', status: 'pr_open' });
    const thirdPr = (await ctx.store.get(third.id))?.pullRequest?.number as number;
    expect(thirdPr).not.toBe(firstPr);
    expect(await host.pull(thirdPr)).toMatchObject({ state: 'open', requestId: third.id });
    expect((await host.pull(thirdPr)).title).toMatch(/mysql/);
    expect(host.fileOnBranch()).toContain(third.id);
    expect(await host.pull(firstPr)).toEqual({ ...firstPull, state: 'closed' });

    // Merging it puts the third request's file on main, and only that.
    await host.merge(thirdPr);
    expect(host.fileOnMain()).toContain(third.id);
  });

  it('a retry after a crash past the pull request reuses its own open pull request', async () => {
    const db = await openDb();
    const host = await makeHost(db);
    const real = new SqliteStatusStore(db);
    const crashing = new CrashBeforePrOpen(real);
    const record = await accept(context(db, host.git), 'postgres');
    expect(await processRequest(context(db, host.git, crashing), record.id, 1)).toMatchObject({
      kind: 'retry',
    });
    const head = host.branchHead();

    expect(await processRequest(context(db, host.git), record.id, 2)).toMatchObject({
      kind: 'done',
      status: 'pr_open',
    });
    const stored = await real.get(record.id);
    expect(await host.pull(stored?.pullRequest?.number as number)).toMatchObject({
      state: 'open',
      requestId: record.id,
    });
    expect(host.branchHead()).toBe(head);
  });

  it("ensurePullRequest refuses to take over another request's open pull request", async () => {
    const db = await openDb();
    const host = await makeHost(db);
    const ctx = context(db, host.git);
    const first = await accept(ctx, 'postgres');
    await processRequest(ctx, first.id, 1);
    const number = (await ctx.store.get(first.id))?.pullRequest?.number as number;
    const before = await host.pull(number);

    const spec: PullRequestSpec = {
      branch: BRANCH,
      base: 'main',
      title: 'Provision mysql database orders (dev)',
      body: 'another request\n\n<!-- rds-provisioner request-id: req_someone_else -->\n',
      requestId: 'req_someone_else',
    };
    const error = await gitHostError(host.git.ensurePullRequest(spec));
    expect(error.kind).toBe('conflict');
    expect(error.message).toBe(
      `pull request #${number} (request ${first.id}) is still open on ${BRANCH}; merge or close it, then ask again`,
    );
    expect(await host.pull(number)).toEqual(before);
  });
});

describe('one request per pull request: a pull request reopened on GitHub', () => {
  it('blocks the next request until it is closed again; merged after all, it takes its own request to merged', async () => {
    const db = await openDb();
    const host = await githubHost();
    const ctx = context(db, host.git);
    const first = await accept(ctx, 'postgres');
    await processRequest(ctx, first.id, 1);
    const number = (await ctx.store.get(first.id))?.pullRequest?.number as number;
    await host.close(number);
    await ctx.store.transition(first.id, 'closed', {
      at: new Date(),
      detail: `pull request #${number} closed`,
    });

    host.reopen(number);
    const second = await accept(ctx, 'mysql');
    const outcome = await processRequest(ctx, second.id, 1);
    expect(outcome).toEqual({
      kind: 'failed',
      reason: `pull request #${number} (request ${first.id}) is still open on ${BRANCH}; merge or close it, then ask again`,
    });
    expect((await host.pull(number)).requestId).toBe(first.id);

    // Merged on GitHub after all: the webhook's move closed -> merged is allowed, the file is the first's.
    await host.merge(number);
    expect(host.fileOnMain()).toContain(first.id);
    const moved = await ctx.store.transition(first.id, 'merged', {
      at: new Date(),
      detail: `pull request #${number} merged`,
    });
    expect(moved).toMatchObject({ changed: true, record: { status: 'merged' } });
  });
});
