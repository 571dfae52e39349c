/**
 * The day-2 lifecycle contract every runtime's StatusStore and Intake must keep together: request kinds,
 * steps (a retirement's second pull request), the list filters, the in-flight lock across kinds and steps,
 * and `Intake.advance`. Run against SQLite and DynamoDB alike.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeV1 } from '../../src/domain/change.js';
import { canMoveTo, type RequestKind, type RequestRecord, STATUSES } from '../../src/domain/status.js';
import type { Intake, StatusStore } from '../../src/ports.js';
import { at, moveTo, newRecord, PR, T0 } from './status-store-contract.js';

/** One runtime's store and intake, fresh and empty for each test (the caller's beforeEach sets it up). */
export interface LifecycleHarness {
  store: StatusStore;
  intake: Intake;
  /** Messages the runtime's queue holds, to prove a refused advance queued nothing. */
  queued(): Promise<number>;
  /** What a worker receives now: every message's request id, each acknowledged (so taken once). */
  take(): Promise<string[]>;
}

const CHANGE: ChangeV1 = { size: 'large', tags: { team: 'b', cost: null } };

/** A queued record of a kind; a change carries its fields, and its request the settings after it. */
export function kindRecord(kind: RequestKind, dbName: string, time: number = T0): RequestRecord {
  const record = newRecord(dbName, time);
  if (kind !== 'change') return { ...record, kind };
  return {
    ...record,
    kind,
    change: CHANGE,
    request: { ...record.request, size: 'large', tags: { team: 'b' } },
  };
}

/**
 * Defines the contract's tests under `name`; `makeStoreAndIntake` is called inside each test, after the
 * caller's beforeEach, and must give a fresh, empty runtime.
 */
export function lifecycleStoreContract(name: string, makeStoreAndIntake: () => LifecycleHarness): void {
  const h = () => makeStoreAndIntake();
  async function submitted(kind: RequestKind, dbName: string, time: number = T0): Promise<RequestRecord> {
    const record = kindRecord(kind, dbName, time);
    expect(await h().intake.submit(record)).toEqual({ ok: true });
    return record;
  }
  /** A request brought to pr_open and then on to the queue for its second step. */
  async function atStepTwo(kind: RequestKind, dbName: string, time: number = T0): Promise<RequestRecord> {
    const record = await submitted(kind, dbName, time);
    await moveTo(h().store, record.id, 'pr_open');
    const advanced = await h().intake.advance(record.id, { status: 'pr_open', step: 1 }, { at: at(10_000) });
    expect(advanced?.changed).toBe(true);
    return advanced?.record as RequestRecord;
  }

  describe(`${name}: lifecycle store contract`, () => {
    it('keeps each kind, its step and a change as asked (a null tag included)', async () => {
      for (const [i, kind] of (['create', 'change', 'retire'] as const).entries()) {
        const record = await submitted(kind, `db-${kind}`, T0 + i);
        const stored = await h().store.get(record.id);
        expect(stored).toEqual(record);
        expect(stored).toMatchObject({ kind, step: 1, change: kind === 'change' ? CHANGE : null });
      }
    });

    describe('moves to another step only as canMoveTo says, and compares the step as well', () => {
      it.each(STATUSES)('from %s at step 1', async (from) => {
        for (const to of STATUSES)
          for (const step of [1, 2, 3]) {
            const { id } = await submitted('retire', `db-${to}-${step}`, T0 + step);
            await moveTo(h().store, id, from);
            const before = await h().store.get(id);
            const result = await h().store.transition(id, to, { at: at(60_000), step, pullRequest: PR });
            const after = await h().store.get(id);
            const allowed = canMoveTo({ status: from, step: 1 }, { status: to, step });
            expect(result, `${from}@1 -> ${to}@${step}`).toEqual({ record: after, changed: allowed });
            if (allowed)
              expect(after).toMatchObject({ status: to, step, updatedAt: at(60_000).toISOString() });
            else expect(after).toEqual(before);
          }
      });
    });

    it('stays at its step when a move names none, and never goes back to an earlier step', async () => {
      const { id } = await atStepTwo('retire', 'orders');
      const s = h().store;
      const processing = await s.transition(id, 'processing', { at: at(11_000), attempt: 1 });
      expect(processing?.record).toMatchObject({ status: 'processing', step: 2 });
      const open = await s.transition(id, 'pr_open', { at: at(12_000), pullRequest: { ...PR, number: 8 } });
      expect(open?.record).toMatchObject({ status: 'pr_open', step: 2, pullRequest: { number: 8 } });
      // The first step's merge, replayed: it names step 1, which the request has left.
      const late = await s.transition(id, 'merged', { at: at(13_000), step: 1 });
      expect(late).toEqual({ record: open?.record, changed: false });
      const merged = await s.transition(id, 'merged', { at: at(14_000), step: 2 });
      expect(merged?.record).toMatchObject({ status: 'merged', step: 2 });
    });

    describe('Intake.advance', () => {
      it('moves to queued one step on and queues the request, as one step', async () => {
        const record = await submitted('retire', 'orders');
        expect(await h().take()).toEqual([record.id]);
        await moveTo(h().store, record.id, 'pr_open');
        const result = await h().intake.advance(
          record.id,
          { status: 'pr_open', step: 1 },
          { at: at(10_000), detail: 'pull request #7 merged' },
        );
        expect(result?.changed).toBe(true);
        expect(result?.record).toMatchObject({
          id: record.id,
          kind: 'retire',
          status: 'queued',
          step: 2,
          updatedAt: at(10_000).toISOString(),
          failureReason: null,
        });
        expect(result?.record.history.at(-1)).toEqual({
          at: at(10_000).toISOString(),
          status: 'queued',
          detail: 'step 2: pull request #7 merged',
        });
        expect(await h().store.get(record.id)).toEqual(result?.record);
        expect(await h().take()).toEqual([record.id]);
      });

      it("records the first step's merge commit, and the last step's merge replaces it", async () => {
        const record = await submitted('retire', 'orders');
        await moveTo(h().store, record.id, 'pr_open');
        const advanced = await h().intake.advance(
          record.id,
          { status: 'pr_open', step: 1 },
          { at: at(10_000), mergeCommit: 'm1' },
        );
        expect(advanced?.record).toMatchObject({ status: 'queued', step: 2, mergeCommit: 'm1' });
        expect(await h().store.mergedAt('m1')).toEqual([advanced?.record]);
        const s = h().store;
        await s.transition(record.id, 'processing', { at: at(11_000), attempt: 1 });
        await s.transition(record.id, 'pr_open', { at: at(12_000), pullRequest: { ...PR, number: 8 } });
        expect((await s.get(record.id))?.mergeCommit).toBe('m1');
        // The first step's merge replayed with its commit: refused, nothing written.
        const replay = await h().intake.advance(
          record.id,
          { status: 'pr_open', step: 1 },
          { at: at(12_500), mergeCommit: 'm1' },
        );
        expect(replay?.changed).toBe(false);
        const merged = await s.transition(record.id, 'merged', {
          at: at(13_000),
          step: 2,
          mergeCommit: 'm2',
        });
        expect(merged?.record).toMatchObject({ status: 'merged', step: 2, mergeCommit: 'm2' });
        expect(await s.mergedAt('m1')).toEqual([]);
        expect(await s.mergedAt('m2')).toEqual([merged?.record]);
      });

      it('a replay changes nothing and queues nothing', async () => {
        const first = await atStepTwo('retire', 'orders');
        const depth = await h().queued();
        const replay = await h().intake.advance(first.id, { status: 'pr_open', step: 1 }, { at: at(20_000) });
        expect(replay).toEqual({ record: first, changed: false });
        expect(await h().store.get(first.id)).toEqual(first);
        expect(await h().queued()).toBe(depth);
      });

      it('moves only from the position it names, and only where canMoveTo allows', async () => {
        const s = h().store;
        const a = await submitted('retire', 'a');
        await moveTo(s, a.id, 'processing');
        // The caller read pr_open, but the request is processing: nothing moves.
        const stale = await h().intake.advance(a.id, { status: 'pr_open', step: 1 }, { at: at(20_000) });
        expect(stale).toEqual({ record: await s.get(a.id), changed: false });
        expect(stale?.record).toMatchObject({ status: 'processing', step: 1 });
        const b = await submitted('retire', 'b', T0 + 1);
        await moveTo(s, b.id, 'merged');
        const terminal = await h().intake.advance(b.id, { status: 'merged', step: 1 }, { at: at(20_000) });
        expect(terminal).toEqual({ record: await s.get(b.id), changed: false });
        const depth = await h().queued();
        expect(await h().intake.advance(a.id, { status: 'processing', step: 2 }, { at: at(20_000) })).toEqual(
          {
            record: await s.get(a.id),
            changed: false,
          },
        );
        expect(await h().queued()).toBe(depth);
      });

      it('returns undefined for an unknown id and queues nothing', async () => {
        expect(
          await h().intake.advance('missing', { status: 'pr_open', step: 1 }, { at: at(1) }),
        ).toBeUndefined();
        expect(await h().store.get('missing')).toBeUndefined();
        expect(await h().queued()).toBe(0);
      });
    });

    describe('list', () => {
      it('filters by kind and by database, each combinable with status, newest first', async () => {
        const s = h().store;
        const create = await submitted('create', 'orders', T0);
        await moveTo(s, create.id, 'merged');
        const change = await submitted('change', 'orders', T0 + 1);
        await moveTo(s, change.id, 'merged');
        const other = await submitted('change', 'billing', T0 + 2);
        const retire = await submitted('retire', 'orders', T0 + 3);
        const ids = async (query: Parameters<StatusStore['list']>[0]) =>
          (await s.list(query)).records.map((r) => r.id);
        expect(await ids({ kind: 'change', limit: 10 })).toEqual([other.id, change.id]);
        expect(await ids({ kind: 'create', limit: 10 })).toEqual([create.id]);
        expect(await ids({ dbName: 'orders', limit: 10 })).toEqual([retire.id, change.id, create.id]);
        expect(await ids({ dbName: 'orders', status: 'merged', limit: 10 })).toEqual([change.id, create.id]);
        expect(await ids({ kind: 'change', status: 'queued', limit: 10 })).toEqual([other.id]);
        expect(await ids({ kind: 'change', dbName: 'orders', limit: 10 })).toEqual([change.id]);
        expect(await ids({ kind: 'change', dbName: 'orders', status: 'queued', limit: 10 })).toEqual([]);
        expect(await ids({ dbName: 'payments', limit: 10 })).toEqual([]);
        const listed = await s.list({ dbName: 'orders', limit: 10 });
        for (const record of listed.records) expect(record).toEqual(await s.get(record.id));
      });

      it('pages a filtered list with its cursor', async () => {
        const s = h().store;
        const made: RequestRecord[] = [];
        for (let i = 0; i < 7; i++) {
          const record = await submitted(i % 2 === 0 ? 'change' : 'create', 'orders', T0 + i);
          await moveTo(s, record.id, 'closed');
          made.push(record);
          await submitted('change', `other-${i}`, T0 + i);
        }
        const expected = made
          .filter((r) => r.kind === 'change')
          .map((r) => r.id)
          .reverse();
        const seen: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await s.list({ kind: 'change', dbName: 'orders', limit: 3, cursor });
          seen.push(...page.records.map((r) => r.id));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(seen).toEqual(expected);
      });
    });

    describe('one request in flight per database, whatever its kind and step', () => {
      it.each([
        ['change', 'retire'],
        ['retire', 'change'],
        ['change', 'create'],
        ['create', 'change'],
        ['retire', 'create'],
      ] as const)('a %s in flight refuses a %s', async (first, second) => {
        const inFlight = await submitted(first, 'orders');
        const refused = kindRecord(second, 'orders', T0 + 10);
        expect(await h().intake.submit(refused)).toEqual({ ok: false, inFlight: inFlight.id });
        expect(await h().store.get(refused.id)).toBeUndefined();
        expect(await h().queued()).toBe(1);
      });

      it('holds across the step move, and frees the name when the last step ends', async () => {
        const retire = await atStepTwo('retire', 'orders');
        expect(await h().store.inFlight('orders')).toBe(retire.id);
        const refused = kindRecord('create', 'orders', T0 + 20);
        expect(await h().intake.submit(refused)).toEqual({ ok: false, inFlight: retire.id });
        await h().store.transition(retire.id, 'processing', { at: at(21_000), attempt: 1 });
        await h().store.transition(retire.id, 'pr_open', { at: at(22_000), pullRequest: PR });
        expect(await h().store.inFlight('orders')).toBe(retire.id);
        await h().store.transition(retire.id, 'merged', { at: at(23_000) });
        expect(await h().store.inFlight('orders')).toBeUndefined();
        await submitted('create', 'orders', T0 + 30);
      });
    });

    describe('inFlightMany', () => {
      it('names the in-flight request of each database that has one', async () => {
        const s = h().store;
        // Many databases in one call is each store's own test (DynamoDB: 100 keys a BatchGetItem).
        const names = Array.from({ length: 30 }, (_, i) => `db-${String(i).padStart(3, '0')}`);
        const expected = new Map<string, string>();
        // Submitted one after another: moto copies the whole table for each transaction and fails (500)
        // when another write changes it meanwhile. The moves after, which are no transactions, side by side.
        const ended: string[] = [];
        for (const [i, dbName] of names.entries()) {
          if (i % 3 === 2) continue;
          const record = await submitted(i % 2 === 0 ? 'change' : 'create', dbName, T0 + i);
          if (i % 3 === 1) ended.push(record.id);
          else expected.set(dbName, record.id);
        }
        await Promise.all(ended.map((id) => moveTo(s, id, 'merged')));
        const stepTwo = await atStepTwo('retire', 'stepped', T0 + 500);
        expected.set('stepped', stepTwo.id);
        const asked = [...names, 'stepped', 'unknown'];
        const found = await s.inFlightMany(asked);
        expect(new Map([...found].sort())).toEqual(new Map([...expected].sort()));
        expect(await s.inFlightMany([])).toEqual(new Map());
        expect(await s.inFlightMany(['db-000', 'db-000'])).toEqual(
          new Map([['db-000', expected.get('db-000')]]),
        );
      }, 60_000);
    });
  });
}
