/**
 * The StatusStore contract every runtime's store must keep, run against SQLite and DynamoDB alike, so
 * both return the same records for the same operations.
 */
import { describe, expect, it } from 'vitest';
import type { CostEstimate } from '../../src/domain/cost.js';
import { type DatabaseReport, emptyDatabaseReport, type PlanReport } from '../../src/domain/reports.js';
import { canMove, type RequestRecord, STATUSES, type Status } from '../../src/domain/status.js';
import { InvalidCursorError, type StatusStore, type SubmitResult } from '../../src/ports.js';

export const T0 = Date.parse('2025-01-01T00:00:00.000Z');
export const at = (offsetMs: number) => new Date(T0 + offsetMs);
export const PR = { number: 7, url: 'file:///repo/pulls/7', branch: 'feature/provision-rds-orders' };

let serial = 0;
export function newRecord(dbName: string, time: number | string = T0, id = `req-${++serial}`): RequestRecord {
  const iso = new Date(time).toISOString();
  return {
    id,
    kind: 'create',
    status: 'queued',
    step: 1,
    request: { db_name: dbName, engine: 'postgres', environment: 'dev', tags: { team: 'a' } },
    change: null,
    requester: 'alice',
    createdAt: iso,
    updatedAt: iso,
    attempts: 0,
    pullRequest: null,
    failureReason: null,
    mergeCommit: null,
    plan: null,
    cost: null,
    history: [{ at: iso, status: 'queued' }],
  };
}

/** An estimate as the cost helper makes them: fractions of a dollar, a null difference, nested lists. */
export const COST: CostEstimate = {
  currency: 'USD',
  region: 'eu-west-1',
  monthly: { low: 43.8, high: 350.4 },
  lines: [
    { item: 'Aurora Serverless v2 (PostgreSQL), 0.5–4 ACU, 730 h', low: 43.8, high: 350.4 },
    { item: 'storage, first GB-month', low: 0.1, high: 0.1 },
  ],
  before: null,
  difference: null,
  notCounted: ['I/O', 'backups beyond the free allowance', 'data transfer'],
  prices: { source: 'AWS price list offer files (AmazonRDS)', date: '2025-01-01' },
};

/** A plan report at a commit: `n` tells reports apart (its digest and counts). */
export function planReport(n: number, commit = `c0ffee${n}`): PlanReport {
  return {
    commit,
    pullRequest: PR.number,
    digest: `sha256:${String(n).repeat(8)}`,
    reportedAt: at(n * 1000).toISOString(),
    terraformVersion: '1.9.8',
    databases: [
      {
        dbName: 'orders',
        add: n,
        change: 0,
        destroy: 1,
        replace: 1,
        destroyed: ['module.orders.aws_db_parameter_group.this'],
        replaced: ['module.orders.aws_rds_cluster_instance.this["one"]'],
        databaseDestroyed: true,
        unexpected: true,
      },
    ],
    other: { add: 0, change: 0, destroy: 0, replace: 0 },
  };
}

/** What the pipeline reports of a database: its connection details (`n` tells them apart) and drift. */
export function databaseReport(dbName: string, version: number, n = version): DatabaseReport {
  return {
    dbName,
    version,
    connection: {
      details: {
        writerEndpoint: `${dbName}.cluster-${n}.eu-west-1.rds.amazonaws.com`,
        readerEndpoint: null,
        port: 5432,
        masterUserSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-${n}-AbCdEf`,
        resourceArns: [`arn:aws:rds:eu-west-1:123456789012:cluster:${dbName}`],
      },
      commit: `c0ffee${n}`,
      requestId: `req-${n}`,
      mergedAt: at(n * 1000).toISOString(),
      appliedAt: at(n * 1000 + 500).toISOString(),
    },
    drift: {
      status: 'drifted',
      since: at(n * 2000).toISOString(),
      drifted: [
        { address: `module.${dbName}.aws_rds_cluster.this`, attributes: ['backup_retention_period'] },
      ],
      pending: [],
      commit: `c0ffee${n}`,
      planTimestamp: at(n * 2000).toISOString(),
      reportedAt: at(n * 2000 + 1).toISOString(),
    },
  };
}

/** How to bring a queued request to each status. */
export const PATH_TO: Record<Status, Status[]> = {
  queued: [],
  processing: ['processing'],
  pr_open: ['processing', 'pr_open'],
  merged: ['processing', 'pr_open', 'merged'],
  applying: ['processing', 'pr_open', 'merged', 'applying'],
  ready: ['processing', 'pr_open', 'merged', 'applying', 'ready'],
  apply_failed: ['processing', 'pr_open', 'merged', 'applying', 'apply_failed'],
  closed: ['processing', 'pr_open', 'closed'],
  failed: ['processing', 'failed'],
};
/** Forward order; the worker's last statuses share a rank, and so do an apply and its failure (run again). */
const RANK: Record<Status, number> = {
  queued: 0,
  processing: 1,
  pr_open: 2,
  merged: 3,
  closed: 3,
  failed: 3,
  applying: 4,
  apply_failed: 4,
  ready: 5,
};

/** The statuses whose record keeps the move's failure reason. */
const WITH_REASON: readonly Status[] = ['failed', 'apply_failed'];

export async function moveTo(store: StatusStore, id: string, status: Status) {
  let step = 0;
  for (const s of PATH_TO[status]) {
    step += 1;
    const change = s === 'processing' ? { attempt: 1 } : s === 'pr_open' ? { pullRequest: PR } : {};
    const result = await store.transition(id, s, {
      at: at(step * 1000),
      ...change,
      ...(WITH_REASON.includes(s) ? { failureReason: 'quota exceeded' } : {}),
    });
    expect(result?.changed).toBe(true);
  }
}

/** One runtime's store, fresh and empty for each test (the caller's beforeEach sets it up). */
export interface StoreHarness {
  store: StatusStore;
  /** Records a new queued request as the runtime's intake does. */
  submit(record: RequestRecord): Promise<SubmitResult>;
  /** Messages the runtime's queue holds, to prove a refused submit queued nothing. */
  queued(): Promise<number>;
  /**
   * Two calls racing at their worst: `first` runs on a store of the same data whose first write goes
   * out only once `second` (on the harness's store) has finished, so both decided on what they read
   * before either wrote. A store whose every call is one atomic transaction (SQLite) may just run both.
   */
  race<A, B>(
    first: (store: StatusStore) => Promise<A>,
    second: (store: StatusStore) => Promise<B>,
  ): Promise<[A, B]>;
}

/** Defines the contract's tests; `harness` is read inside each test, after the caller's beforeEach. */
export function statusStoreContract(harness: () => StoreHarness): void {
  const store = () => harness().store;
  async function submitted(dbName: string, time: number | string = T0): Promise<RequestRecord> {
    const record = newRecord(dbName, time);
    expect(await harness().submit(record)).toEqual({ ok: true });
    return record;
  }

  describe('status store contract', () => {
    it('returns a submitted record as it was given, history included', async () => {
      const record = await submitted('orders');
      expect(await store().get(record.id)).toEqual(record);
      expect(await store().get('nope')).toBeUndefined();
    });

    describe('never goes backwards: every pair of statuses against canMove', () => {
      const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
      it.each(pairs)('%s -> %s', async (from, to) => {
        const { id } = await submitted('orders');
        await moveTo(store(), id, from);
        const before = await store().get(id);
        const result = await store().transition(id, to, {
          at: at(60_000),
          attempt: 2,
          pullRequest: PR,
          failureReason: 'late',
        });
        const after = await store().get(id);
        const allowed = canMove(from, to);
        expect(result).toEqual({ record: after, changed: allowed });
        if (allowed) {
          expect(RANK[to]).toBeGreaterThanOrEqual(RANK[from]);
          expect(after?.status).toBe(to);
          expect(after?.updatedAt).toBe(at(60_000).toISOString());
          expect(after?.history).toHaveLength((before?.history.length ?? 0) + 1);
          expect(after?.history.at(-1)).toMatchObject({ at: at(60_000).toISOString(), status: to });
          // A reason belongs to a failure: kept with failed and apply_failed, dropped by any other move.
          expect(after?.failureReason).toBe(WITH_REASON.includes(to) ? 'late' : null);
        } else {
          expect(after).toEqual(before);
        }
      });
    });

    it('refuses every move out of ready, and every move back from merged, whatever comes late', async () => {
      const { id } = await submitted('orders');
      await moveTo(store(), id, 'merged');
      for (const to of STATUSES.filter((s) => RANK[s] <= RANK.merged))
        expect((await store().transition(id, to, { at: at(99_000) }))?.changed).toBe(false);
      expect((await store().get(id))?.status).toBe('merged');
      const billing = await submitted('billing', T0 + 1);
      await moveTo(store(), billing.id, 'ready');
      const ready = (await store().get(billing.id)) as RequestRecord;
      for (const to of STATUSES)
        expect((await store().transition(ready.id, to, { at: at(99_000) }))?.changed).toBe(false);
      expect(await store().get(ready.id)).toEqual(ready);
    });

    it('moves closed to merged (a pull request reopened and merged), and nothing else out of closed', async () => {
      const { id } = await submitted('orders');
      await moveTo(store(), id, 'closed');
      for (const to of STATUSES.filter((s) => s !== 'merged'))
        expect((await store().transition(id, to, { at: at(50_000) }))?.changed).toBe(false);
      const moved = await store().transition(id, 'merged', {
        at: at(60_000),
        detail: 'pull request #7 merged',
      });
      expect(moved?.changed).toBe(true);
      expect(moved?.record).toMatchObject({ status: 'merged', pullRequest: PR, failureReason: null });
      expect(moved?.record.history.slice(-2)).toEqual([
        { at: at(3_000).toISOString(), status: 'closed' },
        { at: at(60_000).toISOString(), status: 'merged', detail: 'pull request #7 merged' },
      ]);
      expect(await store().get(id)).toEqual(moved?.record);
      expect((await store().transition(id, 'closed', { at: at(70_000) }))?.changed).toBe(false);
    });

    it('moves failed to merged (its pull request merged after all), clearing the failure reason, and nothing else out of failed', async () => {
      const { id } = await submitted('orders');
      const s = store();
      await s.transition(id, 'processing', { at: at(1_000), attempt: 1 });
      await s.transition(id, 'failed', { at: at(2_000), failureReason: 'retries exhausted' });
      for (const to of STATUSES.filter((x) => x !== 'merged'))
        expect((await s.transition(id, to, { at: at(50_000) }))?.changed).toBe(false);
      const moved = await s.transition(id, 'merged', { at: at(60_000), detail: 'pull request #7 merged' });
      expect(moved?.changed).toBe(true);
      expect(moved?.record).toMatchObject({ status: 'merged', failureReason: null });
      expect(moved?.record.history.at(-2)).toMatchObject({ status: 'failed' });
      expect(await s.get(id)).toEqual(moved?.record);
    });

    it('returns undefined for an unknown id and creates nothing', async () => {
      expect(await store().transition('missing', 'processing', { at: at(1) })).toBeUndefined();
      await store().note('missing', at(1), 'nothing');
      expect(await store().get('missing')).toBeUndefined();
      expect(await store().list({ limit: 10 })).toEqual({ records: [], nextCursor: null });
    });

    it('keeps every change in the history with its time, in order', async () => {
      const { id } = await submitted('orders');
      const s = store();
      await s.transition(id, 'processing', { at: at(1_000), attempt: 1 });
      await s.note(id, at(1_500), 'attempt 1 failed, retrying in 2 s: 502');
      await s.transition(id, 'processing', { at: at(4_000), attempt: 2 });
      await s.transition(id, 'pr_open', { at: at(5_000), pullRequest: PR });
      await s.note(id, at(6_000), 'plan succeeded');
      await s.transition(id, 'merged', { at: at(7_000), detail: 'merged by bob' });
      const record = await s.get(id);
      expect(record?.history).toEqual([
        { at: at(0).toISOString(), status: 'queued' },
        { at: at(1_000).toISOString(), status: 'processing', detail: 'attempt 1' },
        {
          at: at(1_500).toISOString(),
          status: 'processing',
          detail: 'attempt 1 failed, retrying in 2 s: 502',
        },
        { at: at(4_000).toISOString(), status: 'processing', detail: 'attempt 2' },
        { at: at(5_000).toISOString(), status: 'pr_open', detail: `pull request #7: ${PR.url}` },
        { at: at(6_000).toISOString(), status: 'pr_open', detail: 'plan succeeded' },
        { at: at(7_000).toISOString(), status: 'merged', detail: 'merged by bob' },
      ]);
      expect(record).toMatchObject({ status: 'merged', attempts: 2, pullRequest: PR, failureReason: null });
      expect(record?.updatedAt).toBe(at(7_000).toISOString());
    });

    it('counts attempts: processing again is a new attempt, and attempts never go down', async () => {
      const { id } = await submitted('orders');
      const s = store();
      expect((await s.transition(id, 'processing', { at: at(1), attempt: 1 }))?.record.attempts).toBe(1);
      expect((await s.transition(id, 'processing', { at: at(2), attempt: 3 }))?.record.attempts).toBe(3);
      const stale = await s.transition(id, 'processing', { at: at(3), attempt: 2 });
      expect(stale).toMatchObject({ changed: true, record: { attempts: 3 } });
      const unnumbered = await s.transition(id, 'processing', { at: at(4) });
      expect(unnumbered?.record.attempts).toBe(4);
      expect(unnumbered?.record.history.map((h) => h.detail)).toEqual([
        undefined,
        'attempt 1',
        'attempt 3',
        'attempt 2',
        undefined,
      ]);
    });

    it('stores the pull request with pr_open and the reason with failed', async () => {
      const a = await submitted('orders');
      await store().transition(a.id, 'processing', { at: at(1), attempt: 1 });
      const open = await store().transition(a.id, 'pr_open', { at: at(2), pullRequest: PR });
      expect(open?.record.pullRequest).toEqual(PR);
      const b = await submitted('billing');
      const failed = await store().transition(b.id, 'failed', {
        at: at(3),
        failureReason: 'terraform/live/prod/billing/main.tf belongs to someone else',
      });
      expect(failed?.record).toMatchObject({
        status: 'failed',
        failureReason: 'terraform/live/prod/billing/main.tf belongs to someone else',
        history: [
          {},
          { status: 'failed', detail: 'terraform/live/prod/billing/main.tf belongs to someone else' },
        ],
      });
    });

    it('takes a merge reported before pr_open, keeping the pull request', async () => {
      const { id } = await submitted('orders');
      const merged = await store().transition(id, 'merged', { at: at(1), pullRequest: PR });
      expect(merged?.record).toMatchObject({ status: 'merged', pullRequest: PR });
      expect((await store().transition(id, 'pr_open', { at: at(2), pullRequest: PR }))?.changed).toBe(false);
    });

    it('note keeps the status and adds the event; updated_at never goes back', async () => {
      const { id } = await submitted('orders');
      await store().note(id, at(5), 'check run: plan');
      const record = await store().get(id);
      expect(record?.status).toBe('queued');
      expect(record?.history.at(-1)).toEqual({
        at: at(5).toISOString(),
        status: 'queued',
        detail: 'check run: plan',
      });
      expect(record?.updatedAt).toBe(at(5).toISOString());
      await store().note(id, at(2), 'late event');
      const later = await store().get(id);
      expect(later?.history).toHaveLength(3);
      expect(later?.updatedAt).toBe(at(5).toISOString());
    });

    describe('after the merge: what the pipeline reports', () => {
      it('moves merged on to applying, then ready or apply_failed with its reason, and a failed apply runs again', async () => {
        const { id } = await submitted('orders');
        const s = store();
        await moveTo(s, id, 'merged');
        expect(
          (await s.transition(id, 'applying', { at: at(10_000), detail: 'apply started' }))?.changed,
        ).toBe(true);
        const failed = await s.transition(id, 'apply_failed', {
          at: at(11_000),
          detail: 'apply failed at c0ffee1',
          failureReason: 'Error: creating RDS Cluster (orders): DBClusterQuotaExceededFault',
        });
        expect(failed?.record).toMatchObject({
          status: 'apply_failed',
          failureReason: 'Error: creating RDS Cluster (orders): DBClusterQuotaExceededFault',
        });
        expect(failed?.record.history.at(-1)).toEqual({
          at: at(11_000).toISOString(),
          status: 'apply_failed',
          detail: 'apply failed at c0ffee1',
        });
        const again = await s.transition(id, 'applying', { at: at(12_000) });
        expect(again?.record).toMatchObject({ status: 'applying', failureReason: null });
        const reasonOnly = await s.transition(id, 'apply_failed', {
          at: at(13_000),
          failureReason: 'timeout',
        });
        expect(reasonOnly?.record.history.at(-1)).toEqual({
          at: at(13_000).toISOString(),
          status: 'apply_failed',
          detail: 'timeout',
        });
        const ready = await s.transition(id, 'ready', { at: at(14_000) });
        expect(ready?.record).toMatchObject({ status: 'ready', failureReason: null });
        expect(ready?.record.history.map((h) => h.status).slice(-5)).toEqual([
          'applying',
          'apply_failed',
          'applying',
          'apply_failed',
          'ready',
        ]);
        expect(await s.get(id)).toEqual(ready?.record);
      });

      it('of ready and apply_failed racing from applying, one wins and the other changes nothing', async () => {
        const { id } = await submitted('orders');
        await moveTo(store(), id, 'applying');
        const [late, first] = await harness().race(
          (s) => s.transition(id, 'apply_failed', { at: at(20_000), failureReason: 'late' }),
          (s) => s.transition(id, 'ready', { at: at(21_000) }),
        );
        const stored = await store().get(id);
        expect(first).toEqual({ record: expect.objectContaining({ status: 'ready' }), changed: true });
        expect(late).toEqual({ record: stored, changed: false });
        expect(stored).toMatchObject({ status: 'ready', failureReason: null });
        expect(stored?.history.filter((h) => h.status === 'ready' || h.status === 'apply_failed')).toEqual([
          { at: at(21_000).toISOString(), status: 'ready' },
        ]);
      });

      it('keeps the merge commit a merge names, through the moves after it, and finds requests by it newest first', async () => {
        const s = store();
        const a = await submitted('orders', T0);
        const b = await submitted('billing', T0 + 1);
        const c = await submitted('payments', T0 + 2);
        const d = await submitted('ledger', T0 + 3);
        await moveTo(s, a.id, 'pr_open');
        const merged = await s.transition(a.id, 'merged', { at: at(10_000), mergeCommit: 'c1' });
        expect(merged?.record).toMatchObject({ status: 'merged', mergeCommit: 'c1' });
        await s.transition(b.id, 'merged', { at: at(11_000), pullRequest: PR, mergeCommit: 'c1' });
        await s.transition(c.id, 'merged', { at: at(12_000), mergeCommit: 'c2' });
        // A merge that names no commit (an older webhook, a replay) records none.
        expect((await s.transition(d.id, 'merged', { at: at(13_000) }))?.record.mergeCommit).toBeNull();
        // Moves after the merge name no commit and keep it.
        await s.transition(a.id, 'applying', { at: at(14_000) });
        expect(await s.get(a.id)).toMatchObject({ status: 'applying', mergeCommit: 'c1' });

        expect(await s.mergedAt('c1')).toEqual([await s.get(b.id), await s.get(a.id)]);
        expect(await s.mergedAt('c2')).toEqual([await s.get(c.id)]);
        expect(await s.mergedAt('c3')).toEqual([]);
        expect(await s.mergedAt('')).toEqual([]);
        // A refused move (a replayed merge) changes nothing, its commit included.
        expect((await s.transition(c.id, 'merged', { at: at(15_000), mergeCommit: 'c9' }))?.changed).toBe(
          false,
        );
        expect(await s.mergedAt('c9')).toEqual([]);
        expect((await s.get(c.id))?.mergeCommit).toBe('c2');
      });

      it('keeps the cost estimate the request was queued with', async () => {
        const record = { ...newRecord('orders'), cost: COST };
        expect(await harness().submit(record)).toEqual({ ok: true });
        expect(await store().get(record.id)).toEqual(record);
        await moveTo(store(), record.id, 'ready');
        expect((await store().get(record.id))?.cost).toEqual(COST);
        expect((await store().list({ limit: 1 })).records[0]?.cost).toEqual(COST);
      });

      it('setPlan records a plan only over the digest it names, and leaves status, history and updated_at', async () => {
        const s = store();
        const { id } = await submitted('orders');
        await moveTo(s, id, 'pr_open');
        const before = (await s.get(id)) as RequestRecord;
        const first = planReport(1);
        expect(await s.setPlan(id, first, null)).toBe(true);
        expect(await s.get(id)).toEqual({ ...before, plan: first });
        // Over a plan that is not the one named: the plan moved on meanwhile.
        expect(await s.setPlan(id, planReport(2), null)).toBe(false);
        expect(await s.setPlan(id, planReport(2), planReport(9).digest)).toBe(false);
        expect((await s.get(id))?.plan).toEqual(first);
        const second = planReport(2, 'c0ffee-next');
        expect(await s.setPlan(id, second, first.digest)).toBe(true);
        expect(await s.get(id)).toEqual({ ...before, plan: second });
        expect((await s.list({ limit: 1 })).records).toEqual([{ ...before, plan: second }]);
        // The same plan again over itself is a write like any other: the caller decides what a replay is.
        expect(await s.setPlan(id, second, second.digest)).toBe(true);
        expect(await s.setPlan('missing', first, null)).toBeUndefined();
        expect(await s.get('missing')).toBeUndefined();
        // A move keeps the plan.
        await s.transition(id, 'merged', { at: at(30_000), mergeCommit: 'c1' });
        expect((await s.get(id))?.plan).toEqual(second);
      });

      it('of two setPlan racing over the same digest, exactly one wins', async () => {
        const { id } = await submitted('orders');
        expect(await store().setPlan(id, planReport(1), null)).toBe(true);
        const [late, first] = await harness().race(
          (s) => s.setPlan(id, planReport(2), planReport(1).digest),
          (s) => s.setPlan(id, planReport(3), planReport(1).digest),
        );
        expect([late, first]).toEqual([false, true]);
        expect((await store().get(id))?.plan).toEqual(planReport(3));
      });
    });

    describe('per-database reports', () => {
      it('reads a database never reported as empty, then stores each report as version + 1, only over the version it read', async () => {
        const s = store();
        expect(await s.databaseReport('orders')).toEqual(emptyDatabaseReport('orders'));
        const first = { ...databaseReport('orders', 0, 1), drift: null };
        expect(await s.putDatabaseReport(first)).toBe(true);
        expect(await s.databaseReport('orders')).toEqual({ ...first, version: 1 });
        // Another report read version 0 too: it lost.
        expect(await s.putDatabaseReport(databaseReport('orders', 0, 2))).toBe(false);
        const second = databaseReport('orders', 1, 3);
        expect(await s.putDatabaseReport(second)).toBe(true);
        expect(await s.databaseReport('orders')).toEqual({ ...second, version: 2 });
        for (const stale of [0, 1, 3])
          expect(await s.putDatabaseReport(databaseReport('orders', stale, 4))).toBe(false);
        // A report may clear what it held (a retired database keeps its counter).
        const cleared = { ...emptyDatabaseReport('orders'), version: 2 };
        expect(await s.putDatabaseReport(cleared)).toBe(true);
        expect(await s.databaseReport('orders')).toEqual({ ...cleared, version: 3 });
        expect(await s.databaseReport('billing')).toEqual(emptyDatabaseReport('billing'));
      });

      it('keeps reports apart from requests and their lock', async () => {
        const s = store();
        const record = await submitted('orders');
        expect(await s.putDatabaseReport(databaseReport('orders', 0))).toBe(true);
        expect(await s.inFlight('orders')).toBe(record.id);
        await moveTo(s, record.id, 'merged');
        expect(await s.inFlight('orders')).toBeUndefined();
        expect((await s.databaseReport('orders')).version).toBe(1);
        const next = await submitted('orders', T0 + 10);
        expect(await s.inFlight('orders')).toBe(next.id);
        expect((await s.list({ limit: 10 })).records.map((r) => r.id)).toEqual([next.id, record.id]);
        expect(await s.list({ dbName: 'orders', limit: 10 })).toEqual(await s.list({ limit: 10 }));
      });

      it('databaseReports reads a page: only the databases with a stored report', async () => {
        const s = store();
        const names = Array.from({ length: 12 }, (_, i) => `db-${String(i).padStart(2, '0')}`);
        const expected = new Map<string, DatabaseReport>();
        for (const [i, dbName] of names.entries()) {
          if (i % 3 === 0) continue;
          expect(await s.putDatabaseReport(databaseReport(dbName, 0, i))).toBe(true);
          expected.set(dbName, databaseReport(dbName, 1, i));
        }
        const found = await s.databaseReports([...names, 'unknown', 'db-01']);
        expect(new Map([...found].sort())).toEqual(new Map([...expected].sort()));
        expect(await s.databaseReports([])).toEqual(new Map());
        expect(await s.databaseReports(['unknown'])).toEqual(new Map());
      });

      it('of two putDatabaseReport racing over the same version, exactly one wins', async () => {
        expect(await store().putDatabaseReport(databaseReport('orders', 0, 1))).toBe(true);
        const [late, first] = await harness().race(
          (s) => s.putDatabaseReport(databaseReport('orders', 1, 2)),
          (s) => s.putDatabaseReport(databaseReport('orders', 1, 3)),
        );
        expect([late, first]).toEqual([false, true]);
        expect(await store().databaseReport('orders')).toEqual(databaseReport('orders', 2, 3));
      });
    });

    describe('list', () => {
      it('pages newest first with an opaque cursor, ties broken by id', async () => {
        const made: RequestRecord[] = [];
        for (let i = 0; i < 25; i++) {
          // Pairs share a creation time, so the id decides their order.
          const record = newRecord(
            `db-${i}`,
            T0 + Math.floor(i / 2) * 1000,
            `r-${String(i).padStart(2, '0')}`,
          );
          expect(await harness().submit(record)).toEqual({ ok: true });
          made.push(record);
        }
        const expected = [...made].sort((x, y) =>
          x.createdAt === y.createdAt ? y.id.localeCompare(x.id) : y.createdAt.localeCompare(x.createdAt),
        );
        const seen: RequestRecord[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store().list({ limit: 10, cursor });
          sizes.push(page.records.length);
          seen.push(...page.records);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(sizes).toEqual([10, 10, 5]);
        expect(seen).toEqual(expected);
        // An exact fit ends with a null cursor, not an empty page.
        expect((await store().list({ limit: 25 })).nextCursor).toBeNull();
      });

      it('filters by status and carries each record its own history', async () => {
        const s = store();
        const a = await submitted('a', T0);
        const b = await submitted('b', T0 + 1);
        const c = await submitted('c', T0 + 2);
        await s.transition(a.id, 'processing', { at: at(10), attempt: 1 });
        await s.transition(c.id, 'processing', { at: at(11), attempt: 1 });
        await s.transition(c.id, 'pr_open', { at: at(12), pullRequest: PR });
        const processing = await s.list({ status: 'processing', limit: 10 });
        expect(processing.records.map((r) => r.id)).toEqual([a.id]);
        const all = await s.list({ limit: 10 });
        expect(all.records.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
        for (const record of all.records) expect(record).toEqual(await s.get(record.id));
        const d = await submitted('d', T0 + 3);
        const first = await s.list({ status: 'queued', limit: 1 });
        expect(first.records.map((r) => r.id)).toEqual([d.id]);
        const rest = await s.list({ status: 'queued', limit: 1, cursor: first.nextCursor ?? '' });
        expect(rest).toEqual({ records: [await s.get(b.id)], nextCursor: null });
      });

      it('rejects a cursor it did not make and a limit below 1', async () => {
        await submitted('orders');
        for (const cursor of ['not-a-cursor', ''])
          await expect(store().list({ limit: 10, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store().list({ limit: 0 })).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe('one request in flight per database', () => {
      it.each(['queued', 'processing', 'pr_open'] as const)(
        'refuses a second request while one is %s',
        async (status) => {
          const first = await submitted('orders');
          await moveTo(store(), first.id, status);
          const second = newRecord('orders', T0 + 10);
          expect(await harness().submit(second)).toEqual({ ok: false, inFlight: first.id });
          expect(await store().get(second.id)).toBeUndefined();
          expect(await harness().queued()).toBe(1);
          expect(await store().inFlight('orders')).toBe(first.id);
        },
      );

      it.each(['closed', 'failed', 'merged', 'applying', 'ready', 'apply_failed'] as const)(
        'accepts a new request after the last one %s',
        async (status) => {
          const first = await submitted('orders');
          await moveTo(store(), first.id, status);
          expect(await store().inFlight('orders')).toBeUndefined();
          const second = await submitted('orders', T0 + 10);
          expect(await store().inFlight('orders')).toBe(second.id);
          expect(await harness().queued()).toBe(2);
        },
      );

      it('moves after the merge neither take nor touch the lock: a newer request keeps it while an older one applies', async () => {
        const older = await submitted('orders');
        await moveTo(store(), older.id, 'applying');
        const newer = await submitted('orders', T0 + 10);
        expect(await store().inFlight('orders')).toBe(newer.id);
        for (const [to, failureReason] of [
          ['apply_failed', 'Error: creating RDS Cluster: quota exceeded'],
          ['applying', undefined],
          ['ready', undefined],
        ] as const) {
          const moved = await store().transition(older.id, to, { at: at(20_000), failureReason });
          expect(moved?.changed).toBe(true);
          expect(await store().inFlight('orders')).toBe(newer.id);
          expect(await store().inFlightMany(['orders'])).toEqual(new Map([['orders', newer.id]]));
        }
        const third = newRecord('orders', T0 + 30);
        expect(await harness().submit(third)).toEqual({ ok: false, inFlight: newer.id });
        expect(await harness().queued()).toBe(2);
      });

      it('keeps databases apart', async () => {
        const a = await submitted('orders');
        const b = await submitted('billing');
        expect(await store().inFlight('orders')).toBe(a.id);
        expect(await store().inFlight('billing')).toBe(b.id);
        expect(await store().inFlight('payments')).toBeUndefined();
      });
    });
  });
}
