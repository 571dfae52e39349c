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
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger } from '../../src/adapters/system.js';
import { acceptRequest } from '../../src/app/accept-request.js';
import { applyPullRequestEvent } from '../../src/app/apply-pull-request-event.js';
import type { AppContext } from '../../src/app/context.js';
import { processRequest } from '../../src/app/process-request.js';
import { reconcilePullRequests } from '../../src/app/reconcile-pull-requests.js';
import { requestRetire } from '../../src/app/request-lifecycle.js';
import { DEFAULT_RETRY, settleDelivery } from '../../src/app/settle-delivery.js';
import type { RequestRecord } from '../../src/domain/status.js';
import { generatedForRequest } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { fileAt, git } from '../support/git-checks.js';
import { gitHostError } from '../support/git-host-error.js';
import { fileOf } from '../support/layouts.js';
import { ManualClock } from '../support/manual-clock.js';
import { ALICE } from '../support/principals.js';

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
function start(): { ctx: AppContext; host: LocalGitHost; db: SqliteDatabase; queue: SqliteQueue } {
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
  const queue = new SqliteQueue(db, clock);
  const ctx: AppContext = {
    policy,
    conventions: policy.policy.git,
    store,
    intake: new SqliteIntake(store, queue),
    git: host,
    clock,
    logger: silentLogger,
    newRequestId: () => newRequestId(clock.now().getTime()),
    audit: new SqliteAuditLog(db),
  };
  return { ctx, host, db, queue };
}

/** A request for `orders` taken to pr_open; its id and pull request number. */
async function openRequest(ctx: AppContext): Promise<{ id: string; number: number }> {
  const outcome = await acceptRequest(
    ctx,
    { db_name: 'orders', engine: 'postgres', environment: 'dev' },
    ALICE,
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
function moveMainAsADeadProcess(number: number, branch = BRANCH): string {
  const main = git(repo, 'rev-parse', 'main').trim();
  const head = git(repo, 'rev-parse', branch).trim();
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
    `Merge pull request #${number} from ${branch}`,
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

describe("a retirement's merge cut short by a crash", () => {
  type Parts = ReturnType<typeof start>;

  /** The next message through the worker, as the worker loop settles it. */
  async function work({ ctx, queue }: Parts) {
    const [delivery] = await queue.receive(1, 30_000);
    if (!delivery) throw new Error('no message queued');
    await settleDelivery(ctx, queue, DEFAULT_RETRY, delivery);
  }

  /** Merges the request's pull request and reports it, as the merge route does. */
  async function mergeAndReport({ ctx, host }: Parts, id: string) {
    const number = (await ctx.store.get(id))?.pullRequest?.number as number;
    const merged = await host.merge(number, clock.now());
    await applyPullRequestEvent(ctx, {
      requestId: id,
      action: 'merged',
      number,
      headBranch: merged.branch,
      at: clock.now(),
    });
  }

  /**
   * `orders` in the environment, created and merged, and its retirement taken to the pull request of its
   * step `step` (staging lifts deletion protection first; dev's retirement is one removal).
   */
  async function retirementAt(parts: Parts, environment: 'dev' | 'staging', step: 1 | 2) {
    const created = await acceptRequest(
      parts.ctx,
      { db_name: 'orders', engine: 'postgres', environment },
      ALICE,
    );
    if (created.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(created)}`);
    await work(parts);
    await mergeAndReport(parts, created.record.id);
    const retire = await requestRetire(parts.ctx, 'orders', ALICE);
    if (retire.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(retire)}`);
    const id = retire.record.id;
    await work(parts);
    if (step === 2) {
      await mergeAndReport(parts, id);
      await work(parts);
    }
    const record = (await parts.ctx.store.get(id)) as RequestRecord;
    expect(record).toMatchObject({ status: 'pr_open', step });
    const pr = record.pullRequest as NonNullable<RequestRecord['pullRequest']>;
    return { id, number: pr.number, branch: pr.branch, path: fileOf('orders', environment) };
  }

  /** The removal: dev's one step, and staging's second. */
  const REMOVALS = [
    ['dev', 1],
    ['staging', 2],
  ] as const;

  it.each(REMOVALS)(
    'a removal (%s, step %i) after the base moved: start-up records it merged, and the file is gone',
    async (environment, step) => {
      const first = start();
      const { id, number, branch, path } = await retirementAt(first, environment, step);
      claimAsADeadProcess(first.db, number);
      moveMainAsADeadProcess(number, branch);
      expect(fileAt(repo, 'main', path)).toBeNull();
      expect((await first.ctx.store.get(id))?.status).toBe('pr_open');

      const restarted = start();
      expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(1);
      expect((await restarted.host.get(number))?.state).toBe('merged');
      const merged = await restarted.ctx.store.get(id);
      expect(merged).toMatchObject({ status: 'merged', step });
      expect(fileAt(repo, 'main', path)).toBeNull();
      expect(await restarted.queue.depth()).toBe(0);
      expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(0);
      expect(await restarted.ctx.store.get(id)).toEqual(merged);
    },
  );

  it.each(REMOVALS)(
    'a removal (%s, step %i) before the base moved: closed after the lease, the file stays on main',
    async (environment, step) => {
      const first = start();
      const { id, number, path } = await retirementAt(first, environment, step);
      claimAsADeadProcess(first.db, number);
      const main = git(repo, 'rev-parse', 'main');

      const restarted = start();
      expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(0);
      expect((await restarted.ctx.store.get(id))?.status).toBe('pr_open');
      expect(fileAt(repo, 'main', path)).not.toBeNull();

      clock.advance(MERGE_LEASE_MS + 1);
      expect((await restarted.host.close(number, clock.now())).state).toBe('closed');
      expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(1);
      expect(await restarted.ctx.store.get(id)).toMatchObject({ status: 'closed', step });
      expect(git(repo, 'rev-parse', 'main')).toBe(main);
      expect(fileAt(repo, 'main', path)).not.toBeNull();
    },
  );

  it('the first step (deletion protection lifted) after the base moved: start-up moves the retirement on once', async () => {
    const first = start();
    const { id, number, branch, path } = await retirementAt(first, 'staging', 1);
    claimAsADeadProcess(first.db, number);
    moveMainAsADeadProcess(number, branch);
    expect(generatedForRequest(fileAt(repo, 'main', path) as string)).toBe(id);
    expect(await first.queue.depth()).toBe(0);

    const restarted = start();
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(1);
    expect((await restarted.host.get(number))?.state).toBe('merged');
    const moved = await restarted.ctx.store.get(id);
    expect(moved).toMatchObject({ status: 'queued', step: 2 });
    expect(await restarted.queue.depth()).toBe(1);
    expect(await reconcilePullRequests(restarted.ctx, restarted.host)).toBe(0);
    expect(await restarted.ctx.store.get(id)).toEqual(moved);
    expect(await restarted.queue.depth()).toBe(1);

    // The removal follows, and its merge takes the file away.
    await work(restarted);
    expect(await restarted.ctx.store.get(id)).toMatchObject({ status: 'pr_open', step: 2 });
    await mergeAndReport(restarted, id);
    expect(await restarted.ctx.store.get(id)).toMatchObject({ status: 'merged', step: 2 });
    expect(fileAt(repo, 'main', path)).toBeNull();
  });
});
