/**
 * The local host's merge is claim → move the base → record merged. A process killed between two of those
 * steps leaves a claim behind; start-up (reconcilePullRequests on a new host, as a restarted server runs
 * it) and whoever meets the claim repair it, so the file is on main if and only if the request is merged.
 * The dead process is played by writing what it leaves: the claim in the service's database and, for a
 * death after the move, the merge commit on main made with git itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { LocalGitHost, MERGE_LEASE_MS } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger } from '../../src/adapters/system.js';
import { acceptRequest } from '../../src/app/accept-request.js';
import type { AppContext } from '../../src/app/context.js';
import { processRequest } from '../../src/app/process-request.js';
import { reconcilePullRequests } from '../../src/app/reconcile-pull-requests.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { fileAt, git } from '../support/git-checks.js';
import { gitHostError } from '../support/git-host-error.js';
import { fileOf } from '../support/layouts.js';
import { ManualClock } from '../support/manual-clock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const policy = loadPolicyFile();
const AUTHOR = policy.policy.git.author;
const BRANCH = 'feature/provision-rds-orders';
const PATH = fileOf('orders', 'dev');

let dir: string;
let repo: string;
let clock: ManualClock;
const opened: Array<{ db: SqliteDatabase; host: LocalGitHost }> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdsp-merge-crash-'));
  repo = join(dir, 'infra');
  clock = new ManualClock();
  await ensureInfraRepository(repo, {
    sourceDir: ROOT,
    author: AUTHOR,
    layout: policy.policy.git.layout,
    now: clock.now(),
  });
});

afterEach(async () => {
  for (const { db, host } of opened.splice(0)) {
    await host.dispose();
    db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

/** One server process's parts on the shared data dir: a start (or a restart) opens a new set. */
function start(): { ctx: AppContext; host: LocalGitHost; db: SqliteDatabase } {
  const db = openDatabase(join(dir, 'rds-provisioner.db'));
  const host = new LocalGitHost({
    repository: repo,
    author: AUTHOR,
    db,
    clock,
    pullUrl: (n) => `/pulls/${n}`,
  });
  opened.push({ db, host });
  const store = new SqliteStatusStore(db);
  const ctx: AppContext = {
    policy,
    conventions: policy.policy.git,
    store,
    intake: new SqliteIntake(store, new SqliteQueue(db, clock)),
    git: host,
    clock,
    logger: silentLogger,
    newRequestId: () => newRequestId(clock.now().getTime()),
  };
  return { ctx, host, db };
}

/** A request for `orders` taken to pr_open; its id and pull request number. */
async function openRequest(ctx: AppContext): Promise<{ id: string; number: number }> {
  const outcome = await acceptRequest(
    ctx,
    { db_name: 'orders', engine: 'postgres', environment: 'dev' },
    'alice',
  );
  if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
  expect(await processRequest(ctx, outcome.record.id, 1)).toMatchObject({ status: 'pr_open' });
  const record = await ctx.store.get(outcome.record.id);
  return { id: outcome.record.id, number: record?.pullRequest?.number as number };
}

/** What a merge leaves when its process dies after claiming the pull request. */
function claimAsADeadProcess(db: SqliteDatabase, number: number): void {
  const claimed = db
    .prepare("UPDATE pull_requests SET merging_since = ? WHERE number = ? AND state = 'open'")
    .run(clock.now().toISOString(), number);
  expect(claimed.changes).toBe(1);
}

/** ...and, when it died after moving the base, the merge commit on main. */
function moveMainAsADeadProcess(number: number): string {
  const main = git(repo, 'rev-parse', 'main').trim();
  const head = git(repo, 'rev-parse', BRANCH).trim();
  const tree = git(repo, 'merge-tree', '--write-tree', main, head).trim();
  const commit = git(
    repo,
    '-c',
    `user.name=${AUTHOR.name}`,
    '-c',
    `user.email=${AUTHOR.email}`,
    'commit-tree',
    tree,
    '-p',
    main,
    '-p',
    head,
    '-m',
    `Merge pull request #${number} from ${BRANCH}`,
  ).trim();
  git(repo, 'update-ref', 'refs/heads/main', commit, main);
  return commit;
}

const onMain = () => fileAt(repo, 'main', PATH) !== null;

describe('a merge cut short by a crash', () => {
  it('after the base moved: start-up records the pull request merged, and then the request', async () => {
    const first = start();
    const { id, number } = await openRequest(first.ctx);
    claimAsADeadProcess(first.db, number);
    const commit = moveMainAsADeadProcess(number);
    expect(onMain()).toBe(true);
    expect((await first.host.get(number))?.state).toBe('open');

    const restarted = start();
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(1);
    expect(await restarted.host.get(number)).toMatchObject({ state: 'merged', mergeCommit: commit });
    expect((await restarted.ctx.store.get(id))?.status).toBe('merged');
    expect(await restarted.host.diff(number)).toContain(`+++ b/${PATH}`);
    // Replays change nothing.
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(0);
  });

  it('after the base moved, met by a close before any restart: the close loses, the pull request is merged', async () => {
    const { ctx, host, db } = start();
    const { number } = await openRequest(ctx);
    claimAsADeadProcess(db, number);
    const commit = moveMainAsADeadProcess(number);

    const refused = await gitHostError(host.close(number, clock.now()));
    expect({ kind: refused.kind, message: refused.message }).toEqual({
      kind: 'invalid_state',
      message: `pull request #${number} is merged`,
    });
    expect(await host.get(number)).toMatchObject({ state: 'merged', mergeCommit: commit });
    expect(onMain()).toBe(true);
  });

  it('before the base moved: all stays open; close waits out the lease, then closes, and the file never reaches main', async () => {
    const first = start();
    const { id, number } = await openRequest(first.ctx);
    claimAsADeadProcess(first.db, number);
    const main = git(repo, 'rev-parse', 'main');

    const restarted = start();
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(0);
    expect((await restarted.host.get(number))?.state).toBe('open');
    expect((await restarted.ctx.store.get(id))?.status).toBe('pr_open');
    expect(onMain()).toBe(false);

    // The claim may still be a live merge: nobody else takes the pull request until the lease is over.
    for (const action of ['close', 'merge'] as const) {
      const refused = await gitHostError(restarted.host[action](number, clock.now()));
      expect({ kind: refused.kind, message: refused.message }).toEqual({
        kind: 'invalid_state',
        message: `pull request #${number} is being merged`,
      });
    }
    expect(git(repo, 'rev-parse', 'main')).toBe(main);

    clock.advance(MERGE_LEASE_MS + 1);
    expect((await restarted.host.close(number, clock.now())).state).toBe('closed');
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(1);
    expect((await restarted.ctx.store.get(id))?.status).toBe('closed');
    expect(git(repo, 'rev-parse', 'main')).toBe(main);
  });

  it('before the base moved: a merge after the lease takes the pull request over and merges it', async () => {
    const { ctx, host, db } = start();
    const { number } = await openRequest(ctx);
    claimAsADeadProcess(db, number);
    clock.advance(MERGE_LEASE_MS + 1);
    const merged = await host.merge(number, clock.now());
    expect(merged).toMatchObject({ state: 'merged', mergeCommit: git(repo, 'rev-parse', 'main').trim() });
    expect(onMain()).toBe(true);
  });
});

describe('the pull request table of an older version', () => {
  it('gains the claim column on start, and its pull requests merge', async () => {
    const db = openDatabase(join(dir, 'rds-provisioner.db'));
    db.exec(`CREATE TABLE pull_requests (
      number INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, title TEXT NOT NULL, body TEXT NOT NULL,
      branch TEXT NOT NULL, base TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
      head TEXT, merge_commit TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    db.close();

    const { ctx, host } = start();
    const { id, number } = await openRequest(ctx);
    expect((await host.merge(number, clock.now())).state).toBe('merged');
    expect(await reconcilePullRequests(ctx, host)).toBe(1);
    expect((await ctx.store.get(id))?.status).toBe('merged');
    // A second process opening the same database finds the column there.
    expect(() => start()).not.toThrow();
  });
});
