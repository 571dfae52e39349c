/**
 * The StatusStore contract every runtime's store must keep, run against SQLite and DynamoDB alike, so
 * both return the same records for the same operations.
 */
import { describe, expect, it } from 'vitest';
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
    history: [{ at: iso, status: 'queued' }],
  };
}

/** How to bring a queued request to each status. */
export const PATH_TO: Record<Status, Status[]> = {
  queued: [],
  processing: ['processing'],
  pr_open: ['processing', 'pr_open'],
  merged: ['processing', 'pr_open', 'merged'],
  closed: ['processing', 'pr_open', 'closed'],
  failed: ['processing', 'failed'],
};
/** Forward order; the terminal statuses share the last rank. */
const RANK: Record<Status, number> = {
  queued: 0,
  processing: 1,
  pr_open: 2,
  merged: 3,
  closed: 3,
  failed: 3,
};

export async function moveTo(store: StatusStore, id: string, status: Status) {
  let step = 0;
  for (const s of PATH_TO[status]) {
    step += 1;
    const change = s === 'processing' ? { attempt: 1 } : s === 'pr_open' ? { pullRequest: PR } : {};
    const result = await store.transition(id, s, {
      at: at(step * 1000),
      ...change,
      ...(s === 'failed' ? { failureReason: 'quota exceeded' } : {}),
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
        } else {
          expect(after).toEqual(before);
        }
      });
    });

    it('refuses moves out of every terminal status and backwards, whatever comes late', async () => {
      const { id } = await submitted('orders');
      await moveTo(store(), id, 'merged');
      for (const to of STATUSES)
        expect((await store().transition(id, to, { at: at(99_000) }))?.changed).toBe(false);
      expect((await store().get(id))?.status).toBe('merged');
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

      it.each(['closed', 'failed', 'merged'] as const)(
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
