/**
 * "The same message delivered twice gives one branch, one commit, one PR." The worker's use case
 * (settleDelivery → processRequest) in-process over the real adapters: SQLite status store, queue and
 * intake on a temporary file, and the local git host on a real bare repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger } from '../../src/adapters/system.js';
import { acceptRequest } from '../../src/app/accept-request.js';
import { applyPullRequestEvent } from '../../src/app/apply-pull-request-event.js';
import type { AppContext } from '../../src/app/context.js';
import { reconcilePullRequests } from '../../src/app/reconcile-pull-requests.js';
import { type LifecycleOutcome, requestChange, requestRetire } from '../../src/app/request-lifecycle.js';
import { type RetryPolicy, settleDelivery } from '../../src/app/settle-delivery.js';
import { applyChange } from '../../src/domain/change.js';
import { branchName, shortId } from '../../src/domain/naming.js';
import type { EnvironmentPolicy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { unprotectedSpec } from '../../src/domain/retire.js';
import type { RequestRecord } from '../../src/domain/status.js';
import {
  type Delivery,
  type FileChange,
  type FileRemoval,
  type GitHost,
  GitHostError,
  type PullRequestInfo,
  type PullRequestSpec,
} from '../../src/ports.js';
import { renderPullRequest } from '../../src/render/pull-request.js';
import { readDatabaseFile } from '../../src/render/read-database-file.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { branches, commitBehindTheService, commitsAhead, fileAt, fsck, git } from '../support/git-checks.js';
import { fileOf } from '../support/layouts.js';
import { ManualClock } from '../support/manual-clock.js';
import { ALICE } from '../support/principals.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const policy = loadPolicyFile();
const AUTHOR = policy.policy.git.author;
const VISIBILITY_MS = 30_000;
const RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 };

type Method =
  | 'headOf'
  | 'readFile'
  | 'ensureBranch'
  | 'resetBranch'
  | 'openPullRequests'
  | 'ensureFile'
  | 'ensureFileRemoved'
  | 'listFiles'
  | 'readBlob'
  | 'readDirectory'
  | 'ensurePullRequest'
  | 'upsertPullRequestComment'
  | 'containsCommit';

/**
 * A git host that fails on purpose: each planned failure makes one call of a method throw, either
 * before reaching the host or after it (the mutation done, the answer lost, as on a network timeout).
 * It can also let something happen elsewhere right after a call returns (a reviewer merging the pull
 * request the moment it opens).
 */
class FlakyGitHost implements GitHost {
  private readonly plan: Array<{ method: Method; error: GitHostError; after: boolean }> = [];
  private readonly hooks: Array<{ method: Method; action: (result: unknown) => Promise<void> }> = [];
  readonly calls: Method[] = [];

  constructor(private readonly inner: GitHost) {}

  failNext(method: Method, error: GitHostError, options: { after?: boolean; times?: number } = {}) {
    for (let i = 0; i < (options.times ?? 1); i++)
      this.plan.push({ method, error, after: options.after ?? false });
  }

  /** Runs `action` with the answer of the next call of `method`, before the caller gets it. */
  afterNext<T>(method: Method, action: (result: T) => Promise<void>) {
    this.hooks.push({ method, action: action as (result: unknown) => Promise<void> });
  }

  get pending() {
    return this.plan.length + this.hooks.length;
  }

  private async call<T>(method: Method, run: () => Promise<T>): Promise<T> {
    this.calls.push(method);
    const at = this.plan.findIndex((p) => p.method === method);
    const planned = at === -1 ? undefined : this.plan.splice(at, 1)[0];
    if (planned && !planned.after) throw planned.error;
    const result = await run();
    const hook = this.hooks.findIndex((t) => t.method === method);
    if (hook !== -1) await this.hooks.splice(hook, 1)[0]?.action(result);
    if (planned) throw planned.error;
    return result;
  }

  headOf(branch: string) {
    return this.call('headOf', () => this.inner.headOf(branch));
  }
  readFile(ref: string, path: string) {
    return this.call('readFile', () => this.inner.readFile(ref, path));
  }
  ensureBranch(branch: string, fromCommit: string) {
    return this.call('ensureBranch', () => this.inner.ensureBranch(branch, fromCommit));
  }
  resetBranch(branch: string, toCommit: string, expectedHead: string) {
    return this.call('resetBranch', () => this.inner.resetBranch(branch, toCommit, expectedHead));
  }
  openPullRequests(branch: string) {
    return this.call('openPullRequests', () => this.inner.openPullRequests(branch));
  }
  ensureFile(change: FileChange) {
    return this.call('ensureFile', () => this.inner.ensureFile(change));
  }
  ensureFileRemoved(removal: FileRemoval) {
    return this.call('ensureFileRemoved', () => this.inner.ensureFileRemoved(removal));
  }
  listFiles(commit: string, directory: string) {
    return this.call('listFiles', () => this.inner.listFiles(commit, directory));
  }
  readBlob(blob: string) {
    return this.call('readBlob', () => this.inner.readBlob(blob));
  }
  readDirectory(commit: string, directory: string) {
    return this.call('readDirectory', () => this.inner.readDirectory(commit, directory));
  }
  ensurePullRequest(spec: PullRequestSpec) {
    return this.call('ensurePullRequest', () => this.inner.ensurePullRequest(spec));
  }
  upsertPullRequestComment(number: number, marker: string, body: string) {
    return this.call('upsertPullRequestComment', () =>
      this.inner.upsertPullRequestComment(number, marker, body),
    );
  }
  containsCommit(branch: string, commit: string) {
    return this.call('containsCommit', () => this.inner.containsCommit(branch, commit));
  }
}

/** One worker process's view: its own connection, store, queue, intake and git host on the shared files. */
interface Worker {
  db: SqliteDatabase;
  store: SqliteStatusStore;
  queue: SqliteQueue;
  host: LocalGitHost;
  flaky: FlakyGitHost;
  ctx: AppContext;
}

let dir: string;
let repo: string;
let clock: ManualClock;
let workers: Worker[];

function openWorker(): Worker {
  const db = openDatabase(join(dir, 'rds-provisioner.db'));
  const store = new SqliteStatusStore(db);
  const queue = new SqliteQueue(db, clock);
  const intake = new SqliteIntake(store, queue);
  const host = new LocalGitHost({
    repository: repo,
    author: AUTHOR,
    db,
    clock,
    pullUrl: (n) => `http://127.0.0.1:8080/pulls/${n}`,
  });
  const flaky = new FlakyGitHost(host);
  const ctx: AppContext = {
    policy,
    conventions: policy.policy.git,
    store,
    intake,
    git: flaky,
    clock,
    logger: silentLogger,
    newRequestId: () => newRequestId(clock.now().getTime()),
    audit: new SqliteAuditLog(db),
  };
  const worker = { db, store, queue, host, flaky, ctx };
  workers.push(worker);
  return worker;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdsp-duplicate-'));
  repo = join(dir, 'infra');
  clock = new ManualClock();
  workers = [];
  await ensureInfraRepository(repo, {
    sourceDir: ROOT,
    author: AUTHOR,
    layout: policy.policy.git.layout,
    now: clock.now(),
  });
});

afterEach(async () => {
  for (const w of workers) {
    await w.host.dispose();
    w.db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function accept(w: Worker, input: Record<string, unknown>): Promise<RequestRecord> {
  const outcome = await acceptRequest(w.ctx, input, ALICE);
  if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
  return outcome.record;
}

async function receiveOne(w: Worker): Promise<Delivery> {
  const [delivery, ...more] = await w.queue.receive(1, VISIBILITY_MS);
  if (!delivery || more.length > 0) throw new Error('expected exactly one delivery');
  return delivery;
}

/** What the worker writes for a request: path, branch, file bytes, PR text. */
function expected(record: RequestRecord) {
  const resolved = resolveRequest(record.request, policy.policy, { requestId: record.id });
  if (!resolved.ok) throw new Error('unreachable: the request was accepted');
  const { spec } = resolved.value;
  const conventions = policy.policy.git;
  const path = spec.location.file;
  const branch = branchName(spec.dbName, conventions);
  const content = renderTerraform(spec);
  const text = renderPullRequest({
    spec,
    requester: record.requester,
    policySource: policy.source,
    branch,
    base: conventions.base,
  });
  return { path, branch, content, text };
}

/** The statuses of a request's history, notes (a retry's reason) included. */
const statuses = (record: RequestRecord) => record.history.map((h) => h.status);
const processingDetails = (record: RequestRecord) =>
  record.history
    .filter((h) => h.status === 'processing' && /attempt \d+/.test(h.detail ?? ''))
    .map((h) => h.detail);

/** The request's message and a duplicate of it, each leased by its own worker and settled at once. */
async function settleOnTwoWorkersAtOnce(a: Worker, b: Worker, id: string) {
  a.queue.enqueue(id);
  const first = await receiveOne(a);
  const second = await receiveOne(b);
  expect(second.receipt).not.toBe(first.receipt);
  await Promise.all([
    settleDelivery(a.ctx, a.queue, RETRY, first),
    settleDelivery(b.ctx, b.queue, RETRY, second),
  ]);
}

/** What one step leaves: its branch, and the file on it (null: the step removes it). */
interface StepWork {
  branch: string;
  path: string;
  content: string | null;
  /** The pull request's title, where the test knows it. */
  title?: string;
}

/** The statuses of the request's current step: from the `queued` that began it. */
const stepStatuses = (record: RequestRecord) => {
  const all = statuses(record);
  return all.slice(all.lastIndexOf('queued'));
};

/**
 * The end state of one step every delivery pattern must reach: pr_open at that step with the one pull
 * request; besides the branches of earlier steps, exactly one new branch, holding one commit on main
 * that writes (or removes) exactly the request's file; one open pull request in the whole repository;
 * the queue empty.
 */
async function expectOneStepPullRequest(
  w: Worker,
  id: string,
  step: number,
  work: StepWork,
  earlier: readonly string[],
) {
  const record = (await w.store.get(id)) as RequestRecord;
  expect(record).toMatchObject({ status: 'pr_open', step, failureReason: null });
  expect(branches(repo)).toEqual([...earlier, work.branch, 'main'].sort());
  expect(commitsAhead(repo, work.branch)).toBe(1);
  expect(git(repo, 'rev-parse', `${work.branch}^`)).toBe(git(repo, 'rev-parse', 'main'));
  expect(git(repo, 'diff', '--name-only', `main...${work.branch}`).trim()).toBe(work.path);
  expect(fileAt(repo, work.branch, work.path)).toBe(work.content);
  const pulls = await w.host.list();
  const open = pulls.filter((p) => p.state === 'open');
  expect(open).toHaveLength(1);
  expect(open[0]).toMatchObject({
    branch: work.branch,
    requestId: id,
    base: 'main',
    ...(work.title ? { title: work.title } : {}),
  });
  // One pull request per step: the earlier steps' are merged.
  expect(pulls.filter((p) => p.requestId === id)).toHaveLength(step);
  expect(record.pullRequest).toEqual({
    number: open[0]?.number,
    url: `http://127.0.0.1:8080/pulls/${open[0]?.number}`,
    branch: work.branch,
  });
  expect(statuses(record).filter((s) => s === 'queued')).toHaveLength(step);
  expect(stepStatuses(record).filter((s) => s === 'pr_open')).toHaveLength(1);
  expect(stepStatuses(record).at(-1)).toBe('pr_open');
  expect(await w.queue.depth()).toBe(0);
  expect(await w.queue.deadLetters()).toEqual([]);
  const checked = fsck(repo);
  expect(checked.problems).toEqual([]);
  expect(checked.status).toBe(0);
  return { record, pull: open[0] as PullRequestInfo };
}

/**
 * The end state every delivery pattern of a creation must reach: the one step's, with the rendered file
 * and title, and nothing on main yet.
 */
async function expectOnePullRequest(w: Worker, id: string) {
  const want = expected((await w.store.get(id)) as RequestRecord);
  const work = { branch: want.branch, path: want.path, content: want.content, title: want.text.title };
  const found = await expectOneStepPullRequest(w, id, 1, work, []);
  expect(fileAt(repo, 'main', want.path)).toBeNull();
  return found;
}

const ORDERS = { db_name: 'orders', engine: 'postgres', environment: 'staging', owner: 'team-orders' };

describe('the same message delivered twice', () => {
  it('settled concurrently by one worker: one branch, one commit, one PR', async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    w.queue.enqueue(record.id);
    const deliveries = await w.queue.receive(10, VISIBILITY_MS);
    expect(deliveries.map((d) => [d.requestId, d.attempt])).toEqual([
      [record.id, 1],
      [record.id, 1],
    ]);

    await Promise.all(deliveries.map((d) => settleDelivery(w.ctx, w.queue, RETRY, d)));

    const { record: done } = await expectOnePullRequest(w, record.id);
    // Both deliveries started work before either finished, and both are on record.
    expect(statuses(done)).toEqual(['queued', 'processing', 'processing', 'pr_open']);
    expect(processingDetails(done)).toHaveLength(2);
    expect(done.attempts).toBe(1);
  });

  it('settled concurrently by two workers on their own connections: one branch, one commit, one PR', async () => {
    const a = openWorker();
    const b = openWorker();
    const record = await accept(a, ORDERS);
    await settleOnTwoWorkersAtOnce(a, b, record.id);

    const { record: done } = await expectOnePullRequest(b, record.id);
    expect(statuses(done).at(0)).toBe('queued');
    expect(statuses(done).filter((s) => s === 'processing').length).toBeGreaterThanOrEqual(1);
    expect(statuses(done).filter((s) => s === 'processing').length).toBeLessThanOrEqual(2);
  });

  it('redelivered after pr_open: acknowledged, nothing written, nothing recorded', async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    const { record: open, pull } = await expectOnePullRequest(w, record.id);
    expect(statuses(open)).toEqual(['queued', 'processing', 'pr_open']);
    const head = git(repo, 'rev-parse', open.pullRequest?.branch as string);

    for (let n = 0; n < 3; n++) {
      clock.advance(1_000);
      w.queue.enqueue(record.id);
      w.flaky.calls.length = 0;
      await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
      expect(w.flaky.calls).toEqual([]); // the git host is not even asked
    }

    const { record: after, pull: samePull } = await expectOnePullRequest(w, record.id);
    expect(after.history).toEqual(open.history);
    expect(samePull).toEqual(pull);
    expect(git(repo, 'rev-parse', open.pullRequest?.branch as string)).toBe(head);
  });

  // A worker that died between two steps: its lease expires and the message comes back (attempt 2).
  const crashPoints = ['processing', 'ensureBranch', 'ensureFile', 'ensurePullRequest'] as const;
  it.each(crashPoints)(
    'redelivered after a crash right after %s: finishes the same work once',
    async (point) => {
      const w = openWorker();
      const record = await accept(w, ORDERS);
      const want = expected(record);

      // The crashed attempt, step by step as processRequest takes them, stopping after `point`.
      const crashed = await receiveOne(w);
      expect(crashed.attempt).toBe(1);
      await w.store.transition(record.id, 'processing', { at: clock.now(), attempt: 1, detail: 'attempt 1' });
      let crashedPull: number | undefined;
      const steps = crashPoints.slice(1, crashPoints.indexOf(point) + 1);
      const base = (await w.host.headOf('main')) as string;
      for (const step of steps) {
        clock.advance(100);
        if (step === 'ensureBranch') await w.host.ensureBranch(want.branch, base);
        if (step === 'ensureFile')
          await w.host.ensureFile({
            branch: want.branch,
            path: want.path,
            content: want.content,
            message: `the attempt that crashed\n\nrds-provisioner request ${record.id}`,
          });
        if (step === 'ensurePullRequest') {
          const pr = await w.host.ensurePullRequest({
            ...want.text,
            branch: want.branch,
            base: 'main',
            requestId: record.id,
          });
          crashedPull = pr.number;
        }
      }
      const headBefore = git(repo, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads');

      // Nothing comes back while the dead worker's lease runs; then the message does, once more.
      expect(await w.queue.receive(10, VISIBILITY_MS)).toEqual([]);
      clock.advance(VISIBILITY_MS);
      const again = await receiveOne(w);
      expect(again.attempt).toBe(2);
      await settleDelivery(w.ctx, w.queue, RETRY, again);

      const { record: done, pull } = await expectOnePullRequest(w, record.id);
      expect(statuses(done)).toEqual(['queued', 'processing', 'processing', 'pr_open']);
      expect(processingDetails(done).map((d) => d?.match(/attempt \d+/)?.[0])).toEqual([
        'attempt 1',
        'attempt 2',
      ]);
      expect(done.attempts).toBe(2);
      if (crashedPull !== undefined) expect(pull.number).toBe(crashedPull);
      if (point === 'ensureFile' || point === 'ensurePullRequest') {
        // The commit the crashed attempt made is the one commit: nothing was rewritten.
        expect(git(repo, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads')).toBe(headBefore);
        expect(git(repo, 'log', '-1', '--format=%s', want.branch).trim()).toBe('the attempt that crashed');
      }
    },
  );
});

describe('messages the worker cannot or need not finish', () => {
  it('drops a message for an unknown request: acknowledged, nothing written', async () => {
    const w = openWorker();
    const unknown = '00000000-0000-7000-8000-000000000000';
    w.queue.enqueue(unknown);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    expect(await w.queue.depth()).toBe(0);
    expect(await w.queue.deadLetters()).toEqual([]);
    expect(await w.store.get(unknown)).toBeUndefined();
    expect(w.flaky.calls).toEqual([]);
    expect(branches(repo)).toEqual(['main']);
    expect(await w.host.list()).toEqual([]);
  });

  it('retries a transient git error with backoff, then succeeds without a second commit', async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    // The commit lands, then the answer is lost (a timeout after the mutation): retrying must not repeat it.
    w.flaky.failNext('ensureFile', new GitHostError('git host timed out', 'transient'), { after: true });

    const first = await receiveOne(w);
    await settleDelivery(w.ctx, w.queue, RETRY, first);
    expect(w.flaky.pending).toBe(0);
    const waiting = (await w.store.get(record.id)) as RequestRecord;
    expect(waiting.status).toBe('processing');
    expect(waiting.history.at(-1)).toMatchObject({ status: 'processing' });
    const note = waiting.history.at(-1)?.detail ?? '';
    expect(note).toMatch(/^attempt 1 failed, retrying in 1 s: git host timed out$/);
    expect(await w.queue.depth()).toBe(1);

    // Backoff for attempt 1 is within [base/2, base]: not visible before base/2, visible by base.
    clock.advance(RETRY.baseDelayMs / 2 - 1);
    expect(await w.queue.receive(10, VISIBILITY_MS)).toEqual([]);
    clock.advance(RETRY.baseDelayMs / 2 + 1);
    const second = await receiveOne(w);
    expect(second.attempt).toBe(2);
    await settleDelivery(w.ctx, w.queue, RETRY, second);

    const { record: done } = await expectOnePullRequest(w, record.id);
    expect(statuses(done)).toEqual(['queued', 'processing', 'processing', 'processing', 'pr_open']);
    expect(done.attempts).toBe(2);
  });

  it("honours the host's retry-after when it is longer than the backoff", async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    w.flaky.failNext('ensurePullRequest', new GitHostError('rate limited', 'transient', 5_000));
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    clock.advance(4_999);
    expect(await w.queue.receive(10, VISIBILITY_MS)).toEqual([]);
    clock.advance(1);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    await expectOnePullRequest(w, record.id);
  });

  it('dead-letters the message past maxAttempts and fails the request, naming the attempts', async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    w.flaky.failNext('ensurePullRequest', new GitHostError('git host unavailable (503)', 'transient'), {
      times: RETRY.maxAttempts,
    });
    for (let attempt = 1; attempt <= RETRY.maxAttempts; attempt++) {
      const delivery = await receiveOne(w);
      expect(delivery.attempt).toBe(attempt);
      await settleDelivery(w.ctx, w.queue, RETRY, delivery);
      clock.advance(RETRY.maxDelayMs);
    }
    expect(w.flaky.pending).toBe(0);

    const failed = (await w.store.get(record.id)) as RequestRecord;
    const reason = `gave up after ${RETRY.maxAttempts} attempts; last error: git host unavailable (503)`;
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe(reason);
    expect(failed.attempts).toBe(RETRY.maxAttempts);
    expect(statuses(failed)).toEqual([
      'queued',
      'processing',
      'processing',
      'processing',
      'processing',
      'processing',
      'failed',
    ]);
    expect(failed.history.at(-1)?.detail).toBe(reason);
    expect(await w.queue.depth()).toBe(0);
    const dead = await w.queue.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      requestId: record.id,
      attempts: RETRY.maxAttempts,
      lastError: 'git host unavailable (503)',
    });
    expect(await w.host.list()).toEqual([]);

    // A late duplicate of the message changes nothing: failed is terminal.
    w.queue.enqueue(record.id);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    expect(await w.store.get(record.id)).toEqual(failed);
    expect(await w.queue.depth()).toBe(0);
    expect(await w.queue.deadLetters()).toHaveLength(1);
  });

  it('fails at once on a permanent error: a file for the database on main not written for this request', async () => {
    const w = openWorker();
    const record = await accept(w, ORDERS);
    const path = fileOf('orders', ORDERS.environment);
    const mainBefore = commitBehindTheService(
      repo,
      path,
      'module "orders" {\n  source = "../../../modules/rds"\n}\n',
      'orders, by hand',
    );

    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));

    const failed = (await w.store.get(record.id)) as RequestRecord;
    const reason = `${path} already exists on main and was not written for this request`;
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe(reason);
    expect(failed.attempts).toBe(1);
    expect(statuses(failed)).toEqual(['queued', 'processing', 'failed']);
    expect(await w.queue.depth()).toBe(0);
    expect(await w.queue.deadLetters()).toEqual([]); // acknowledged, not retried
    expect(branches(repo)).toEqual(['main']);
    expect(git(repo, 'rev-parse', 'main').trim()).toBe(mainBefore);
    expect(await w.host.list()).toEqual([]);
  });
});

describe('a merge recorded on the pull request but not yet on the request (crash in between)', () => {
  it('is settled by reconcilePullRequests at start-up, and replays change nothing', async () => {
    const w = openWorker();
    const record = await accept(w, { db_name: 'orders', engine: 'postgres', environment: 'dev' });
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    const open = await w.store.get(record.id);
    expect(open?.status).toBe('pr_open');
    const number = open?.pullRequest?.number as number;
    // The crash: the pull request is merged, the request never hears of it.
    await w.host.merge(number, clock.now());
    expect((await w.store.get(record.id))?.status).toBe('pr_open');

    expect(await reconcilePullRequests(w.ctx, w.host)).toBe(1);
    const merged = await w.store.get(record.id);
    expect(merged?.status).toBe('merged');
    expect(merged?.history.at(-1)).toMatchObject({
      status: 'merged',
      detail: `pull request #${number} merged`,
    });
    expect(await reconcilePullRequests(w.ctx, w.host)).toBe(0);
    expect((await w.store.get(record.id))?.history).toEqual(merged?.history);
  });
});

// ------------------------------------------------------------------------------------------------------
// Day 2: a change, and each step of a retirement, go through the same worker steps as a creation.

const PATH = fileOf(ORDERS.db_name, ORDERS.environment);
const CREATE_BRANCH = 'feature/provision-rds-orders';
const STAGING = policy.policy.environments[ORDERS.environment] as EnvironmentPolicy;

async function lifecycle(outcome: Promise<LifecycleOutcome>): Promise<RequestRecord> {
  const answer = await outcome;
  if (answer.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(answer)}`);
  return answer.record;
}

/** Reports a merged pull request to its request, as the merge route and GitHub's webhook do. */
const reportMerge = (w: Worker, id: string, pr: PullRequestInfo) =>
  applyPullRequestEvent(w.ctx, {
    requestId: id,
    action: 'merged',
    number: pr.number,
    headBranch: pr.branch,
    at: clock.now(),
  });

/** Merges the pull request the request names, as a reviewer does; the merge is not reported yet. */
async function mergeNamed(w: Worker, id: string): Promise<PullRequestInfo> {
  const pr = (await w.store.get(id))?.pullRequest;
  if (!pr) throw new Error(`${id} names no pull request`);
  clock.advance(1_000);
  return w.host.merge(pr.number, clock.now());
}

/** `orders` created through the worker and its pull request merged: on main, written by the service. */
async function existing(w: Worker): Promise<void> {
  const created = await accept(w, ORDERS);
  await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
  await reportMerge(w, created.id, await mergeNamed(w, created.id));
  expect((await w.store.get(created.id))?.status).toBe('merged');
}

/** The database as main holds it now, read back. */
function databaseOnMain() {
  const file = readDatabaseFile(fileAt(repo, 'main', PATH) as string, PATH, policy.policy.git);
  if (file.kind !== 'generated') throw new Error(`${PATH} on main is ${file.kind}`);
  return file;
}

function changeWork(record: RequestRecord): StepWork {
  const changed = applyChange(databaseOnMain(), record.change, policy.policy, record.id);
  if (!changed.ok) throw new Error(`the change no longer applies: ${JSON.stringify(changed.issues)}`);
  return {
    branch: `feature/change-rds-orders-${shortId(record.id)}`,
    path: PATH,
    content: renderTerraform(changed.value.spec),
  };
}

function unprotectWork(record: RequestRecord): StepWork {
  const spec = unprotectedSpec(databaseOnMain().spec, STAGING, record.id);
  if (!spec) throw new Error('staging keeps deletion protection on: a retirement takes two steps');
  return {
    branch: `feature/retire-rds-orders-${shortId(record.id)}-unprotect`,
    path: PATH,
    content: renderTerraform(spec),
  };
}

const removalWork = (record: RequestRecord): StepWork => ({
  branch: `feature/retire-rds-orders-${shortId(record.id)}`,
  path: PATH,
  content: null,
});

interface Day2Step {
  id: string;
  step: number;
  work: StepWork;
  /** Branches earlier requests and steps left. */
  earlier: string[];
}

/** Each kind of day-2 step, prepared up to its message waiting in the queue. */
const DAY2_STEPS: Record<string, (w: Worker) => Promise<Day2Step>> = {
  'a change': async (w) => {
    await existing(w);
    const change = { size: 'medium', tags: { team: 'payments' } };
    const record = await lifecycle(requestChange(w.ctx, 'orders', change, ALICE));
    return { id: record.id, step: 1, work: changeWork(record), earlier: [CREATE_BRANCH] };
  },
  "a retirement's first step (deletion protection lifted)": async (w) => {
    await existing(w);
    const record = await lifecycle(requestRetire(w.ctx, 'orders', ALICE));
    return { id: record.id, step: 1, work: unprotectWork(record), earlier: [CREATE_BRANCH] };
  },
  "a retirement's second step (the file removed)": async (w) => {
    await existing(w);
    const record = await lifecycle(requestRetire(w.ctx, 'orders', ALICE));
    const first = unprotectWork(record);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    await reportMerge(w, record.id, await mergeNamed(w, record.id));
    expect(await w.store.get(record.id)).toMatchObject({ status: 'queued', step: 2 });
    return { id: record.id, step: 2, work: removalWork(record), earlier: [CREATE_BRANCH, first.branch] };
  },
};

describe.each(Object.entries(DAY2_STEPS))('%s: the same message delivered twice', (_, prepare) => {
  it('settled concurrently by one worker: one branch, one commit, one PR', async () => {
    const w = openWorker();
    const { id, step, work, earlier } = await prepare(w);
    w.queue.enqueue(id);
    const deliveries = await w.queue.receive(10, VISIBILITY_MS);
    expect(deliveries.map((d) => d.requestId)).toEqual([id, id]);

    await Promise.all(deliveries.map((d) => settleDelivery(w.ctx, w.queue, RETRY, d)));

    const { record } = await expectOneStepPullRequest(w, id, step, work, earlier);
    expect(stepStatuses(record)).toEqual(['queued', 'processing', 'processing', 'pr_open']);
  });

  it('settled concurrently by two workers on their own connections: one branch, one commit, one PR', async () => {
    const a = openWorker();
    const b = openWorker();
    const { id, step, work, earlier } = await prepare(a);
    await settleOnTwoWorkersAtOnce(a, b, id);

    const { record } = await expectOneStepPullRequest(b, id, step, work, earlier);
    const processing = stepStatuses(record).filter((s) => s === 'processing').length;
    expect(processing).toBeGreaterThanOrEqual(1);
    expect(processing).toBeLessThanOrEqual(2);
  });

  it('redelivered after pr_open: acknowledged, nothing written, nothing recorded', async () => {
    const w = openWorker();
    const { id, step, work, earlier } = await prepare(w);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    const { record: open, pull } = await expectOneStepPullRequest(w, id, step, work, earlier);
    expect(stepStatuses(open)).toEqual(['queued', 'processing', 'pr_open']);
    const heads = git(repo, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads');

    for (let n = 0; n < 3; n++) {
      clock.advance(1_000);
      w.queue.enqueue(id);
      w.flaky.calls.length = 0;
      await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
      expect(w.flaky.calls).toEqual([]); // the git host is not even asked
    }

    const { record: after, pull: samePull } = await expectOneStepPullRequest(w, id, step, work, earlier);
    expect(after).toEqual(open);
    expect(samePull).toEqual(pull);
    expect(git(repo, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads')).toBe(heads);
  });
});

describe("a retirement's first merge reported again", () => {
  /** `orders` on main, its retirement's first pull request open (step 1). */
  async function firstStepOpen(w: Worker) {
    await existing(w);
    const record = await lifecycle(requestRetire(w.ctx, 'orders', ALICE));
    const first = unprotectWork(record);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    await expectOneStepPullRequest(w, record.id, 1, first, [CREATE_BRANCH]);
    return { record, earlier: [CREATE_BRANCH, first.branch] };
  }

  /** ...and merged, reported once: queued at step 2 with its one message. */
  async function firstStepMerged(w: Worker) {
    const open = await firstStepOpen(w);
    const first = await mergeNamed(w, open.record.id);
    expect(await reportMerge(w, open.record.id, first)).toMatchObject({
      changed: true,
      record: { status: 'queued', step: 2 },
    });
    return { ...open, first };
  }

  /** The removal step through the worker: its one pull request open. */
  async function openRemoval(w: Worker, id: string, earlier: string[]) {
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    const removal = removalWork((await w.store.get(id)) as RequestRecord);
    return (await expectOneStepPullRequest(w, id, 2, removal, earlier)).record;
  }

  /** ...and its pull request merged and reported: the retirement is over, the file gone from main. */
  async function mergeRemoval(w: Worker, id: string) {
    const merged = await reportMerge(w, id, await mergeNamed(w, id));
    expect(merged).toMatchObject({ changed: true, record: { status: 'merged', step: 2 } });
    expect(fileAt(repo, 'main', PATH)).toBeNull();
    return (await w.store.get(id)) as RequestRecord;
  }

  it('three times at once and twice more later: it moves on exactly once, with one removal message', async () => {
    const w = openWorker();
    const { record, earlier } = await firstStepOpen(w);
    const first = await mergeNamed(w, record.id);

    const reports = await Promise.all([1, 2, 3].map(() => reportMerge(w, record.id, first)));
    expect(reports.filter((r) => r.changed)).toHaveLength(1);
    const moved = (await w.store.get(record.id)) as RequestRecord;
    expect(moved).toMatchObject({ status: 'queued', step: 2 });
    expect(statuses(moved).filter((s) => s === 'queued')).toHaveLength(2);
    expect(await w.queue.depth()).toBe(1);
    for (let n = 0; n < 2; n++) {
      clock.advance(1_000);
      expect(await reportMerge(w, record.id, first)).toMatchObject({ changed: false });
    }
    expect(await w.store.get(record.id)).toEqual(moved);
    expect(await w.queue.depth()).toBe(1);

    await openRemoval(w, record.id, earlier);
    const done = await mergeRemoval(w, record.id);
    expect(statuses(done)).toEqual([
      'queued',
      'processing',
      'pr_open',
      'queued',
      'processing',
      'pr_open',
      'merged',
    ]);
  });

  it('after the removal pull request opened, and after it merged: nothing changes, never a step 3', async () => {
    const w = openWorker();
    const { record, earlier, first } = await firstStepMerged(w);
    const open = await openRemoval(w, record.id, earlier);

    expect(await reportMerge(w, record.id, first)).toMatchObject({ changed: false });
    expect(await w.store.get(record.id)).toEqual(open);
    expect(await w.queue.depth()).toBe(0);

    const done = await mergeRemoval(w, record.id);
    expect(await reportMerge(w, record.id, first)).toMatchObject({ changed: false });
    expect(await w.store.get(record.id)).toEqual(done);
    expect(await w.queue.depth()).toBe(0);
    expect(fileAt(repo, 'main', PATH)).toBeNull();
  });

  it('a restart (start-up reconcile) after the first step merged, after the second opened and after it merged leaves it alone', async () => {
    const w = openWorker();
    const { record, earlier } = await firstStepMerged(w);
    const restart = async () => {
      const before = await w.store.get(record.id);
      const depth = await w.queue.depth();
      const again = openWorker();
      expect(await reconcilePullRequests(again.ctx, again.host)).toBe(0);
      expect(await again.store.get(record.id)).toEqual(before);
      expect(await again.queue.depth()).toBe(depth);
    };

    await restart(); // queued at step 2, its message waiting
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    expect(await w.store.get(record.id)).toMatchObject({ status: 'pr_open', step: 2 });
    await restart(); // the removal open
    const removal = removalWork(record);
    await expectOneStepPullRequest(w, record.id, 2, removal, earlier);
    expect(await reportMerge(w, record.id, await mergeNamed(w, record.id))).toMatchObject({ changed: true });
    await restart(); // merged
    expect(await w.store.get(record.id)).toMatchObject({ status: 'merged', step: 2 });
    expect(fileAt(repo, 'main', PATH)).toBeNull();
  });

  // The pull request is merged, and the merge reported, between its opening and the worker's pr_open (a
  // reviewer faster than the worker); the host then answers with the pull request, or with an error
  // retrying cannot help (dressing the pull request was refused, say).
  it.each([
    ['the pull request', undefined, 1],
    ['a permanent error', new GitHostError('labels refused', 'permanent'), 1],
    // The last attempt the retry policy allows: dead-lettered, which fails the step it worked on only.
    [
      'a transient error on the last attempt',
      new GitHostError('GitHub answered 502', 'transient'),
      RETRY.maxAttempts,
    ],
  ] as const)(
    'reported before the worker records pr_open, the host answering %s: the removal still follows',
    async (_, error, attempt) => {
      const w = openWorker();
      await existing(w);
      const record = await lifecycle(requestRetire(w.ctx, 'orders', ALICE));
      const first = unprotectWork(record);
      w.flaky.afterNext<{ number: number }>('ensurePullRequest', async ({ number }) => {
        clock.advance(1_000);
        const merged = await w.host.merge(number, clock.now());
        expect(await reportMerge(w, record.id, merged)).toMatchObject({ changed: true });
      });
      if (error) w.flaky.failNext('ensurePullRequest', error, { after: true });
      await settleDelivery(w.ctx, w.queue, RETRY, { ...(await receiveOne(w)), attempt });
      expect(w.flaky.pending).toBe(0);

      // The step the merge finished is over: what the worker records late does not land on the next one.
      const moved = (await w.store.get(record.id)) as RequestRecord;
      expect(moved).toMatchObject({ status: 'queued', step: 2, failureReason: null });
      expect(statuses(moved)).toEqual(['queued', 'processing', 'queued']);
      expect(await w.queue.depth()).toBe(1);
      if (attempt > 1) {
        // The first step's message is kept with its error; the removal's message is another one.
        expect((await w.queue.deadLetters()).map((d) => d.requestId)).toEqual([record.id]);
        w.db.prepare('DELETE FROM dead_letters').run();
      }

      await openRemoval(w, record.id, [CREATE_BRANCH, first.branch]);
      const done = await mergeRemoval(w, record.id);
      expect(statuses(done)).toEqual(['queued', 'processing', 'queued', 'processing', 'pr_open', 'merged']);
    },
  );
});

/**
 * `orders` created and merged, then retired in both steps and merged: main lacks its file, and the creation
 * branch, never deleted, still stands at the creation's merged head. The retirement.
 */
async function createdAndRetired(w: Worker): Promise<RequestRecord> {
  await existing(w);
  const retire = await lifecycle(requestRetire(w.ctx, 'orders', ALICE));
  await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
  await reportMerge(w, retire.id, await mergeNamed(w, retire.id));
  await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
  await reportMerge(w, retire.id, await mergeNamed(w, retire.id));
  expect(await w.store.get(retire.id)).toMatchObject({ status: 'merged', step: 2 });
  expect(fileAt(repo, 'main', PATH)).toBeNull();
  return retire;
}

describe('a duplicate delivery that reaches its pull request after the pull request merged', () => {
  it('gets the merged pull request back: never a second pull request for the request', async () => {
    const a = openWorker();
    const b = openWorker();
    const record = await accept(a, ORDERS);
    a.queue.enqueue(record.id); // the duplicate
    const first = await receiveOne(a);
    const second = await receiveOne(b);
    // The second delivery has read main and written its (same) commit; before it asks for the pull
    // request, the first delivery finishes and a reviewer merges that pull request.
    b.flaky.afterNext('ensureFile', async () => {
      await settleDelivery(a.ctx, a.queue, RETRY, first);
      expect(await reportMerge(a, record.id, await mergeNamed(a, record.id))).toMatchObject({
        changed: true,
      });
    });
    await settleDelivery(b.ctx, b.queue, RETRY, second);
    expect(b.flaky.pending).toBe(0);

    const pulls = await b.host.list();
    expect(pulls.map((p) => [p.state, p.requestId])).toEqual([['merged', record.id]]);
    const done = (await b.store.get(record.id)) as RequestRecord;
    expect(done).toMatchObject({ status: 'merged', failureReason: null });
    expect(done.pullRequest?.number).toBe(pulls[0]?.number);
    expect(statuses(done).at(-1)).toBe('merged');
    expect(fileAt(repo, 'main', PATH)).toBe(expected(record).content);
    expect(await b.queue.depth()).toBe(0);
    expect(await b.queue.deadLetters()).toEqual([]);
  });

  it('a creation of the name after its retirement merged opens a new pull request on the creation branch', async () => {
    const w = openWorker();
    await createdAndRetired(w);

    const again = await accept(w, ORDERS);
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    const open = (await w.store.get(again.id)) as RequestRecord;
    expect(open).toMatchObject({ status: 'pr_open', pullRequest: { branch: CREATE_BRANCH } });
    const pulls = await w.host.list();
    expect(pulls.filter((p) => p.state === 'open')).toEqual([
      expect.objectContaining({
        number: open.pullRequest?.number,
        branch: CREATE_BRANCH,
        requestId: again.id,
      }),
    ]);
    expect(pulls.map((p) => p.state)).toEqual(['open', 'merged', 'merged', 'merged']);
    expect(fileAt(repo, CREATE_BRANCH, PATH)).toBe(expected(again).content);
  });
});

describe('the name created again in its environment after its retirement, delivered twice', () => {
  /** `orders` retired (see createdAndRetired), then asked for again in the same environment: queued. */
  async function recreated(w: Worker) {
    const retire = await createdAndRetired(w);
    expect(fileAt(repo, CREATE_BRANCH, PATH)).not.toBeNull();
    const record = await accept(w, ORDERS);
    const want = expected(record);
    const work = { branch: want.branch, path: want.path, content: want.content, title: want.text.title };
    return {
      record,
      work,
      earlier: [`${removalWork(retire).branch}-unprotect`, removalWork(retire).branch],
    };
  }

  /** The one pull request merges cleanly, and main then holds the file naming the new request. */
  async function mergesCleanly(w: Worker, id: string, content: string) {
    const merged = await mergeNamed(w, id);
    expect(merged.state).toBe('merged');
    expect(fileAt(repo, 'main', PATH)).toBe(content);
  }

  it('settled concurrently by two workers: the branch starts afresh from main; one commit, one PR, and it merges', async () => {
    const a = openWorker();
    const b = openWorker();
    const { record, work, earlier } = await recreated(a);
    await settleOnTwoWorkersAtOnce(a, b, record.id);

    await expectOneStepPullRequest(b, record.id, 1, work, earlier);
    await mergesCleanly(b, record.id, work.content);
  });

  it('the second delivery meets the branch the first started afresh after its own look: it leaves the first one’s commit', async () => {
    const a = openWorker();
    const b = openWorker();
    const { record, work, earlier } = await recreated(a);
    a.queue.enqueue(record.id); // the duplicate
    const first = await receiveOne(a);
    const second = await receiveOne(b);
    // The second delivery has seen the old branch head and no pull request on it; now the first delivery
    // runs whole: it starts the branch afresh, commits and opens the pull request.
    b.flaky.afterNext('openPullRequests', async () => {
      await settleDelivery(a.ctx, a.queue, RETRY, first);
    });
    let headAfterFirst = '';
    b.flaky.afterNext('resetBranch', async () => {
      headAfterFirst = git(repo, 'rev-parse', CREATE_BRANCH);
    });
    await settleDelivery(b.ctx, b.queue, RETRY, second);
    expect(b.flaky.pending).toBe(0);

    // Its reset from the head it saw found the branch moved: it read again, found the request's file, and
    // left the branch where the first delivery put it.
    expect(b.flaky.calls.filter((c) => c === 'resetBranch')).toHaveLength(1);
    expect(git(repo, 'rev-parse', CREATE_BRANCH)).toBe(headAfterFirst);
    await expectOneStepPullRequest(b, record.id, 1, work, earlier);
    await mergesCleanly(b, record.id, work.content);
  });

  it('redelivered after a crash past its commit: the branch holding the request’s file is not started again', async () => {
    const w = openWorker();
    const { record, work, earlier } = await recreated(w);
    w.flaky.failNext('ensurePullRequest', new GitHostError('connection reset', 'transient'));
    await settleDelivery(w.ctx, w.queue, RETRY, await receiveOne(w));
    expect(w.flaky.pending).toBe(0);
    const head = git(repo, 'rev-parse', CREATE_BRANCH);
    expect(fileAt(repo, CREATE_BRANCH, PATH)).toBe(work.content);

    clock.advance(RETRY.maxDelayMs);
    w.flaky.calls.length = 0;
    await settleDelivery(w.ctx, w.queue, RETRY, { ...(await receiveOne(w)), attempt: 2 });
    expect(w.flaky.calls).not.toContain('resetBranch');
    expect(git(repo, 'rev-parse', CREATE_BRANCH)).toBe(head);
    await expectOneStepPullRequest(w, record.id, 1, work, earlier);
    await mergesCleanly(w, record.id, work.content);
  });
});
