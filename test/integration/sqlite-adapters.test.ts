import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import type { RequestRecord } from '../../src/domain/status.js';
import type { Clock } from '../../src/ports.js';
import { kindRecord, lifecycleStoreContract } from '../support/lifecycle-store-contract.js';
import { at, moveTo, newRecord, PR, statusStoreContract, T0 } from '../support/status-store-contract.js';

const REGISTER = fileURLToPath(new URL('../support/ts-register.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/sqlite-child.ts', import.meta.url));

class TestClock implements Clock {
  constructor(public ms = T0) {}
  now() {
    return new Date(this.ms);
  }
  advance(ms: number) {
    this.ms += ms;
  }
}

let dir: string;
let file: string;
let clock: TestClock;
let db: SqliteDatabase;
let store: SqliteStatusStore;
let queue: SqliteQueue;
let intake: SqliteIntake;
const extra: SqliteDatabase[] = [];
const children: ChildProcess[] = [];

function connect() {
  const handle = openDatabase(file);
  extra.push(handle);
  const s = new SqliteStatusStore(handle);
  const q = new SqliteQueue(handle, clock);
  return { db: handle, store: s, queue: q, intake: new SqliteIntake(s, q) };
}

const count = (sql: string, handle = db) => (handle.prepare(sql).get() as { n: number }).n;

async function submitted(dbName: string, time: number | string = T0): Promise<RequestRecord> {
  const record = newRecord(dbName, time);
  expect(await intake.submit(record)).toEqual({ ok: true });
  return record;
}

/** Receives every visible message as a worker would, and acknowledges it. */
async function take(): Promise<string[]> {
  const deliveries = await queue.receive(100, 60_000);
  for (const d of deliveries) await queue.ack(d.receipt);
  return deliveries.map((d) => d.requestId);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rds-sqlite-'));
  file = join(dir, 'service.db');
  clock = new TestClock();
  db = openDatabase(file);
  store = new SqliteStatusStore(db);
  queue = new SqliteQueue(db, clock);
  intake = new SqliteIntake(store, queue);
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const handle of extra.splice(0)) handle.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStatusStore', () => {
  // The behaviour both runtimes' stores share; the tests below are SQLite's own.
  statusStoreContract(() => ({
    store,
    submit: (r) => intake.submit(r),
    queued: () => queue.depth(),
    // Each call is one IMMEDIATE transaction, read and write together: a race is the two in some order.
    race: async (first, second) => {
      const late = connect().store;
      const b = await second(store);
      return [await first(late), b];
    },
  }));
  lifecycleStoreContract('SQLite', () => ({ store, intake, queued: () => queue.depth(), take }));

  it('creates its tables idempotently, on the same connection and on a new one', async () => {
    const record = await submitted('orders');
    new SqliteStatusStore(db);
    new SqliteQueue(db, clock);
    const other = connect();
    expect(await other.store.get(record.id)).toEqual(record);
    expect(await other.queue.depth()).toBe(1);
  });

  it('returns undefined for an unknown id and writes nothing', async () => {
    expect(await store.transition('missing', 'processing', { at: at(1) })).toBeUndefined();
    await store.note('missing', at(1), 'nothing');
    expect(count('SELECT COUNT(*) AS n FROM request_history')).toBe(0);
  });
});

describe('in-flight uniqueness', () => {
  it('holds across connections: the index refuses what the other connection inserted', async () => {
    const other = connect();
    const first = newRecord('orders');
    const second = newRecord('orders');
    expect(await other.intake.submit(first)).toEqual({ ok: true });
    expect(await intake.submit(second)).toEqual({ ok: false, inFlight: first.id });
    expect(() =>
      db.prepare("UPDATE requests SET status = 'queued' WHERE id = ?").run(first.id),
    ).not.toThrow();
    // Even a write that skips the store's own check cannot make a second in-flight row.
    expect(() =>
      db
        .prepare(
          `INSERT INTO requests (id, db_name, environment, status, requester, request_json, created_at, updated_at)
           VALUES ('raw', 'orders', 'dev', 'processing', 'x', '{}', 'a', 'a')`,
        )
        .run(),
    ).toThrow(/UNIQUE constraint failed: requests\.db_name/);
  });
});

/** The history table, unchanged since the first version. */
const HISTORY_TABLE = `
CREATE TABLE request_history (
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  at         TEXT NOT NULL,
  status     TEXT NOT NULL,
  detail     TEXT,
  PRIMARY KEY (request_id, seq)
) STRICT, WITHOUT ROWID;`;

/** The requests table and its history as the version before the day-2 lifecycle created them. */
const PREVIOUS_SCHEMA = `
CREATE TABLE requests (
  id             TEXT PRIMARY KEY,
  db_name        TEXT NOT NULL,
  environment    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'pr_open', 'merged', 'closed', 'failed')),
  requester      TEXT NOT NULL,
  request_json   TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  pr_number      INTEGER,
  pr_url         TEXT,
  pr_branch      TEXT,
  failure_reason TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX requests_in_flight_db_name ON requests (db_name)
  WHERE status IN ('queued', 'processing', 'pr_open');
CREATE INDEX requests_created ON requests (created_at, id);
CREATE INDEX requests_status_created ON requests (status, created_at, id);
${HISTORY_TABLE}
`;

/** The requests table as the version before the pipeline's reports made it: no report columns, an older CHECK. */
const BEFORE_REPORTS_SCHEMA = `
CREATE TABLE requests (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL DEFAULT 'create' CHECK (kind IN ('create', 'change', 'retire')),
  step           INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1),
  change_json    TEXT,
  db_name        TEXT NOT NULL,
  environment    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'pr_open', 'merged', 'closed', 'failed')),
  requester      TEXT NOT NULL,
  request_json   TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  pr_number      INTEGER,
  pr_url         TEXT,
  pr_branch      TEXT,
  failure_reason TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;
${HISTORY_TABLE}
CREATE UNIQUE INDEX requests_in_flight_db_name ON requests (db_name) WHERE status IN ('queued', 'processing', 'pr_open');
CREATE INDEX requests_created ON requests (created_at, id);
CREATE INDEX requests_status_created ON requests (status, created_at, id);
CREATE INDEX requests_kind_created ON requests (kind, created_at, id);
CREATE INDEX requests_kind_status_created ON requests (kind, status, created_at, id);
CREATE INDEX requests_db_name_created ON requests (db_name, created_at, id);
`;

/** What a database's schema is, beside the text SQLite keeps of it: tables, columns, indexes and their keys. */
function schemaOf(handle: SqliteDatabase) {
  const objects = handle
    .prepare("SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { type: string; name: string }[];
  return objects.map((o) => ({
    ...o,
    columns: handle.prepare(`SELECT * FROM pragma_table_xinfo('${o.name}')`).all(),
    ...(o.type === 'index'
      ? { keys: handle.prepare(`SELECT * FROM pragma_index_xinfo('${o.name}')`).all() }
      : {}),
  }));
}

describe('the pipeline reports on SQLite', () => {
  it('opens a database the version before the reports made: rebuilds requests so its CHECK takes the new statuses, keeping rows, history and indexes', async () => {
    const oldFile = join(dir, 'before-reports.db');
    const old = openDatabase(oldFile);
    old.exec(BEFORE_REPORTS_SCHEMA);
    const request = { db_name: 'orders', engine: 'postgres', environment: 'dev' };
    const insert = old.prepare(
      `INSERT INTO requests (id, kind, step, db_name, environment, status, requester, request_json, pr_number,
         pr_url, pr_branch, failure_reason, created_at, updated_at)
       VALUES (@id, @kind, 1, @db, 'dev', @status, 'alice', @request, 7, @url, @branch, NULL, @created, @updated)`,
    );
    const history = old.prepare('INSERT INTO request_history VALUES (?, ?, ?, ?, NULL)');
    for (const [id, db, status, n] of [
      ['merged-1', 'orders', 'merged', 0],
      ['open-1', 'billing', 'pr_open', 1],
    ] as const) {
      insert.run({
        id,
        kind: 'create',
        db,
        status,
        request: JSON.stringify({ ...request, db_name: db }),
        url: PR.url,
        branch: PR.branch,
        created: at(n).toISOString(),
        updated: at(2_000 + n).toISOString(),
      });
      history.run(id, 1, at(n).toISOString(), 'queued');
      history.run(id, 2, at(2_000 + n).toISOString(), status);
    }
    old.close();

    const reopened = openDatabase(oldFile);
    extra.push(reopened);
    const s = new SqliteStatusStore(reopened);
    new SqliteStatusStore(reopened); // a second open finds it rebuilt
    const i = new SqliteIntake(s, new SqliteQueue(reopened, clock));
    expect(reopened.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(await s.get('merged-1')).toMatchObject({
      status: 'merged',
      mergeCommit: null,
      plan: null,
      cost: null,
      pullRequest: PR,
      history: [
        { at: at(0).toISOString(), status: 'queued' },
        { at: at(2_000).toISOString(), status: 'merged' },
      ],
    });
    expect(schemaOf(reopened)).toEqual(schemaOf(db));
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(reopened.pragma('foreign_key_check')).toEqual([]);

    // The new statuses pass; anything else is still refused.
    for (const to of ['applying', 'apply_failed', 'applying', 'ready'] as const)
      expect((await s.transition('merged-1', to, { at: at(5_000), failureReason: 'x' }))?.changed).toBe(true);
    expect(() => reopened.prepare("UPDATE requests SET status = 'gone' WHERE id = 'merged-1'").run()).toThrow(
      /CHECK constraint failed/,
    );
    // The in-flight index holds, and the history still belongs to its request (deleted with it).
    expect(await i.submit(newRecord('billing', T0 + 10))).toEqual({ ok: false, inFlight: 'open-1' });
    const merged = await s.transition('open-1', 'merged', { at: at(6_000), mergeCommit: 'c1' });
    expect(await s.mergedAt('c1')).toEqual([merged?.record]);
    reopened.prepare("DELETE FROM requests WHERE id = 'merged-1'").run();
    expect(count("SELECT COUNT(*) AS n FROM request_history WHERE request_id = 'merged-1'", reopened)).toBe(
      0,
    );
    expect(count("SELECT COUNT(*) AS n FROM request_history WHERE request_id = 'open-1'", reopened)).toBe(3);
  });

  it('finds the requests of a merge commit through an index on it', async () => {
    const statements: string[] = [];
    const traced = new Database(file, {
      verbose: (sql) => {
        if (typeof sql === 'string' && /^SELECT \* FROM requests WHERE merge_commit/.test(sql))
          statements.push(sql);
      },
    });
    extra.push(traced);
    const s = new SqliteStatusStore(traced);
    for (let n = 0; n < 3; n++) {
      const record = await submitted(`db-${n}`, T0 + n);
      await s.transition(record.id, 'merged', { at: at(1_000), mergeCommit: `c${n % 2}` });
    }
    expect((await s.mergedAt('c0')).map((r) => r.request.db_name)).toEqual(['db-2', 'db-0']);
    expect(statements).toHaveLength(1);
    const plan = traced
      .prepare(`EXPLAIN QUERY PLAN ${statements[0]}`)
      .all()
      .map((row) => (row as { detail: string }).detail)
      .join('\n');
    expect(plan).toMatch(/SEARCH requests USING INDEX requests_merge_commit \(merge_commit=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});

describe('the day-2 lifecycle on SQLite', () => {
  it('opens a database the previous version made, its requests read back as creations at step 1', async () => {
    const oldFile = join(dir, 'previous.db');
    const old = openDatabase(oldFile);
    old.exec(PREVIOUS_SCHEMA);
    const request = { db_name: 'orders', engine: 'postgres', environment: 'dev' };
    old
      .prepare(
        `INSERT INTO requests (id, db_name, environment, status, requester, request_json, pr_number, pr_url,
           pr_branch, created_at, updated_at)
         VALUES ('old-1', 'orders', 'dev', 'pr_open', 'alice', ?, 7, ?, ?, ?, ?)`,
      )
      .run(JSON.stringify(request), PR.url, PR.branch, at(0).toISOString(), at(2_000).toISOString());
    old
      .prepare(
        "INSERT INTO request_history VALUES ('old-1', 1, ?, 'queued', NULL), ('old-1', 2, ?, 'pr_open', NULL)",
      )
      .run(at(0).toISOString(), at(2_000).toISOString());
    old.close();

    const reopened = openDatabase(oldFile);
    extra.push(reopened);
    const s = new SqliteStatusStore(reopened);
    new SqliteStatusStore(reopened); // a second open finds the columns there
    const q = new SqliteQueue(reopened, clock);
    const i = new SqliteIntake(s, q);
    expect(await s.get('old-1')).toEqual({
      id: 'old-1',
      kind: 'create',
      status: 'pr_open',
      step: 1,
      request,
      change: null,
      requester: 'alice',
      createdAt: at(0).toISOString(),
      updatedAt: at(2_000).toISOString(),
      attempts: 0,
      pullRequest: PR,
      failureReason: null,
      mergeCommit: null,
      plan: null,
      cost: null,
      history: [
        { at: at(0).toISOString(), status: 'queued' },
        { at: at(2_000).toISOString(), status: 'pr_open' },
      ],
    });
    // It keeps working: the old request still holds its lock, moves on, and frees the name.
    expect(await i.submit(kindRecord('change', 'orders', T0 + 10))).toEqual({ ok: false, inFlight: 'old-1' });
    expect((await s.transition('old-1', 'merged', { at: at(3_000) }))?.record).toMatchObject({
      status: 'merged',
      step: 1,
    });
    // Its CHECK on status was rebuilt for the statuses after the merge.
    expect((await s.transition('old-1', 'applying', { at: at(3_500) }))?.changed).toBe(true);
    const change = kindRecord('change', 'orders', T0 + 20);
    expect(await i.submit(change)).toEqual({ ok: true });
    expect(await s.get(change.id)).toEqual(change);
    expect((await s.list({ kind: 'create', limit: 10 })).records.map((r) => r.id)).toEqual(['old-1']);
    expect(() => reopened.prepare("UPDATE requests SET kind = 'rename' WHERE id = 'old-1'").run()).toThrow(
      /CHECK constraint failed/,
    );
  });

  it('lists every combination of filters from an index, in its order, and finds in-flight requests the same way', async () => {
    // The statements the store runs on this connection, as it ran them (parameters in place).
    const statements: string[] = [];
    const traced = new Database(file, {
      verbose: (sql) => {
        if (typeof sql === 'string' && /^\s*SELECT (\* FROM requests|requests\.db_name)/.test(sql))
          statements.push(sql);
      },
    });
    extra.push(traced);
    const s = new SqliteStatusStore(traced);
    for (let n = 0; n < 3; n++) await submitted(`db-${n}`, T0 + n);
    const first = await s.list({ limit: 1 });
    for (const status of [undefined, 'merged'] as const)
      for (const kind of [undefined, 'change'] as const)
        for (const dbName of [undefined, 'db-1'])
          for (const cursor of [undefined, first.nextCursor ?? ''])
            await s.list({ limit: 10, status, kind, dbName, cursor });
    await s.inFlightMany(['db-0', 'db-1']);
    const ran = statements.splice(0);
    expect(ran).toHaveLength(18);
    for (const sql of ran) {
      const plan = traced
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((row) => (row as { detail: string }).detail);
      expect(plan.join('\n'), sql).not.toMatch(/TEMP B-TREE|^SCAN requests$/m);
      expect(plan.join('\n'), sql).toMatch(/(SEARCH|SCAN) requests USING (COVERING )?INDEX/);
      if (/WHERE .*(status|kind|db_name) (=|IN)/s.test(sql))
        expect(plan.join('\n'), sql).toMatch(/SEARCH requests USING (COVERING )?INDEX/);
    }
    // inFlightMany: one lookup per name on the index that keeps one in-flight request per database.
    expect(ran.at(-1)).toMatch(/json_each/);
    expect(
      traced
        .prepare(`EXPLAIN QUERY PLAN ${ran.at(-1)}`)
        .all()
        .map((row) => (row as { detail: string }).detail),
    ).toContain('SEARCH requests USING INDEX requests_in_flight_db_name (db_name=?)');
  });

  it('advance moves and queues in one transaction: when the queue insert fails, the request has not moved', async () => {
    const record = await submitted('orders');
    await moveTo(store, record.id, 'pr_open');
    const before = await store.get(record.id);
    const depth = await queue.depth();
    vi.spyOn(queue, 'enqueue').mockImplementation(() => {
      throw new Error('disk I/O error');
    });
    await expect(
      intake.advance(record.id, { status: 'pr_open', step: 1 }, { at: at(9_000) }),
    ).rejects.toThrow('disk I/O error');
    expect(await store.get(record.id)).toEqual(before);
    expect(await queue.depth()).toBe(depth);
    vi.restoreAllMocks();
    const moved = await intake.advance(record.id, { status: 'pr_open', step: 1 }, { at: at(9_000) });
    expect(moved?.record).toMatchObject({ status: 'queued', step: 2 });
    expect(await queue.depth()).toBe(depth + 1);
  });

  it('the in-flight index refuses a second in-flight row of any kind, at any step', () => {
    const insert = (id: string, kind: string, step: number) =>
      db
        .prepare(
          `INSERT INTO requests (id, kind, step, db_name, environment, status, requester, request_json,
             created_at, updated_at)
           VALUES (?, ?, ?, 'orders', 'dev', 'queued', 'x', '{}', 'a', 'a')`,
        )
        .run(id, kind, step);
    insert('retire-1', 'retire', 2);
    expect(() => insert('change-1', 'change', 1)).toThrow(/UNIQUE constraint failed: requests\.db_name/);
    expect(() => insert('create-1', 'create', 1)).toThrow(/UNIQUE constraint failed: requests\.db_name/);
  });
});

describe('SqliteIntake', () => {
  it('records and queues in one step', async () => {
    const record = await submitted('orders');
    expect(await store.get(record.id)).toEqual(record);
    const [delivery] = await queue.receive(10, 1000);
    expect(delivery).toMatchObject({ requestId: record.id, attempt: 1 });
  });

  it('leaves no record when the queue insert fails', async () => {
    vi.spyOn(queue, 'enqueue').mockImplementation(() => {
      throw new Error('disk I/O error');
    });
    const record = newRecord('orders');
    await expect(intake.submit(record)).rejects.toThrow('disk I/O error');
    expect(await store.get(record.id)).toBeUndefined();
    expect(count('SELECT COUNT(*) AS n FROM requests')).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM request_history')).toBe(0);
    expect(await store.inFlight('orders')).toBeUndefined();
  });

  it('leaves no queue message when the record insert fails', async () => {
    const first = await submitted('orders');
    const clash = { ...newRecord('billing'), id: first.id };
    await expect(intake.submit(clash)).rejects.toThrow(/UNIQUE constraint failed: requests\.id/);
    const bad = { ...newRecord('payments'), createdAt: 'not a time' };
    await expect(intake.submit(bad)).rejects.toThrow(RangeError);
    expect(await queue.depth()).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM request_history')).toBe(1);
    expect(await store.inFlight('billing')).toBeUndefined();
  });

  it('accepts only queued records, and only a store and queue sharing a connection', async () => {
    await expect(intake.submit({ ...newRecord('orders'), status: 'processing' })).rejects.toThrow(/queued/);
    expect(await queue.depth()).toBe(0);
    expect(() => new SqliteIntake(store, connect().queue)).toThrow(/same database connection/);
  });

  it('writes the first history entry itself when the record has none', async () => {
    const record = { ...newRecord('orders'), history: [] };
    await intake.submit(record);
    expect((await store.get(record.id))?.history).toEqual([{ at: record.createdAt, status: 'queued' }]);
  });
});

describe('SqliteQueue', () => {
  const enqueueAll = (...ids: string[]) => {
    for (const id of ids) queue.enqueue(id);
  };

  it('leases messages: received ones are hidden from the next receive', async () => {
    enqueueAll('a', 'b', 'c');
    const first = await queue.receive(2, 1_000);
    expect(first.map((d) => [d.requestId, d.attempt])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(new Set(first.map((d) => d.receipt)).size).toBe(2);
    expect((await queue.receive(10, 1_000)).map((d) => d.requestId)).toEqual(['c']);
    expect(await queue.receive(10, 1_000)).toEqual([]);
    expect(await queue.depth()).toBe(3);
    expect(await queue.receive(0, 1_000)).toEqual([]);
  });

  it('brings messages back when the lease expires, with one more attempt and a new receipt', async () => {
    enqueueAll('a');
    const [first] = await queue.receive(1, 1_000);
    clock.advance(999);
    expect(await queue.receive(1, 1_000)).toEqual([]);
    clock.advance(1);
    const [second] = await queue.receive(1, 1_000);
    expect(second).toMatchObject({ requestId: 'a', attempt: 2 });
    expect(second?.receipt).not.toBe(first?.receipt);
  });

  it('ignores a stale receipt once another consumer has the message', async () => {
    enqueueAll('a');
    const [stale] = await queue.receive(1, 1_000);
    clock.advance(1_000);
    const [current] = await queue.receive(1, 1_000);
    if (!stale || !current) throw new Error('expected deliveries');
    await queue.ack(stale.receipt);
    await queue.retry(stale.receipt, 0, 'stale');
    await queue.deadLetter(stale.receipt, 'stale');
    expect(await queue.depth()).toBe(1);
    expect(await queue.deadLetters()).toEqual([]);
    expect(await queue.receive(1, 1_000)).toEqual([]);
    await queue.ack(current.receipt);
    expect(await queue.depth()).toBe(0);
    await queue.ack(current.receipt);
  });

  it('honours the retry delay and keeps the error', async () => {
    enqueueAll('a');
    const [d] = await queue.receive(1, 30_000);
    if (!d) throw new Error('expected a delivery');
    await queue.retry(d.receipt, 500, 'GitHub 502');
    expect(db.prepare('SELECT last_error FROM queue').get()).toEqual({ last_error: 'GitHub 502' });
    await queue.ack(d.receipt); // released: the old receipt no longer acknowledges it
    expect(await queue.depth()).toBe(1);
    clock.advance(499);
    expect(await queue.receive(1, 30_000)).toEqual([]);
    clock.advance(1);
    expect(await queue.receive(1, 30_000)).toMatchObject([{ requestId: 'a', attempt: 2 }]);
  });

  it('dead-letters with the last error and the attempts, out of the queue', async () => {
    enqueueAll('a', 'b');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [d] = await queue.receive(1, 1_000);
      expect(d).toMatchObject({ requestId: 'a', attempt });
      if (!d) throw new Error('expected a delivery');
      if (attempt < 3) await queue.retry(d.receipt, 0, `error ${attempt}`);
      else await queue.deadLetter(d.receipt, 'error 3: gave up');
    }
    expect(await queue.deadLetters()).toEqual([
      {
        requestId: 'a',
        attempts: 3,
        lastError: 'error 3: gave up',
        enqueuedAt: at(0).toISOString(),
        deadAt: at(0).toISOString(),
      },
    ]);
    expect(await queue.depth()).toBe(1);
    expect((await queue.receive(5, 1_000)).map((d) => d.requestId)).toEqual(['b']);
  });

  it('delivers in FIFO order, within one millisecond and across time', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `m-${i}`);
    for (const [i, id] of ids.entries()) {
      queue.enqueue(id);
      if (i % 3 === 0) clock.advance(1);
    }
    const got: string[] = [];
    for (let d = await queue.receive(3, 60_000); d.length > 0; d = await queue.receive(3, 60_000))
      got.push(...d.map((x) => x.requestId));
    expect(got).toEqual(ids);
  });

  it('never gives the same message to two consumers on two connections', async () => {
    const other = connect();
    const ids = Array.from({ length: 50 }, (_, i) => `m-${i}`);
    enqueueAll(...ids);
    const seen: string[] = [];
    for (let round = 0; round < 30; round++) {
      for (const q of [queue, other.queue])
        seen.push(...(await q.receive(2, 60_000)).map((d) => d.requestId));
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('enqueue joins the caller transaction and rolls back with it', () => {
    expect(() =>
      db.transaction(() => {
        queue.enqueue('a');
        throw new Error('abort');
      })(),
    ).toThrow('abort');
    expect(count('SELECT COUNT(*) AS n FROM queue')).toBe(0);
  });
});

/** Spawns the child script with the TypeScript hooks; resolves its stdout lines as they come. */
function child(mode: 'submit' | 'consume') {
  const proc = spawn(process.execPath, ['--import', REGISTER, CHILD, mode, file], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(proc);
  const lines: string[] = [];
  let buffer = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(proc, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitFor = async (predicate: () => boolean) => {
    while (!predicate()) {
      if (proc.exitCode !== null) throw new Error(`child exited ${proc.exitCode}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { proc, lines, exited, waitFor, stderr: () => stderr };
}

describe('across processes', () => {
  it('loses no committed request when the submitting process is killed with SIGKILL', async () => {
    const submitter = child('submit');
    await submitter.waitFor(() => submitter.lines.length >= 300);
    submitter.proc.kill('SIGKILL');
    const [, signal] = await submitter.exited;
    expect(signal).toBe('SIGKILL');
    const committed = [...submitter.lines];
    expect(committed.length).toBeGreaterThanOrEqual(300);

    const after = connect();
    for (const id of committed) expect((await after.store.get(id))?.status).toBe('queued');
    // Nothing half-done: every request has its message and its history entry, and the other way round.
    const requests = count('SELECT COUNT(*) AS n FROM requests', after.db);
    expect(requests).toBeGreaterThanOrEqual(committed.length);
    expect(count('SELECT COUNT(*) AS n FROM queue', after.db)).toBe(requests);
    expect(count('SELECT COUNT(*) AS n FROM request_history', after.db)).toBe(requests);
    expect(
      count('SELECT COUNT(*) AS n FROM queue WHERE request_id NOT IN (SELECT id FROM requests)', after.db),
    ).toBe(0);
    expect(after.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('two consumer processes on one file never lease the same message', async () => {
    const ids: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < 1500; i++) {
        const id = `m-${i}`;
        ids.push(id);
        queue.enqueue(id);
      }
    })();
    // The children use the real clock; messages enqueued at the test clock's past are visible to them.
    const consumers = [child('consume'), child('consume')];
    for (const c of consumers) await c.waitFor(() => c.lines.includes('ready'));
    for (const c of consumers) c.proc.stdin?.write('go\n');
    const codes = await Promise.all(consumers.map((c) => c.exited));
    expect(
      codes.map(([code]) => code),
      consumers.map((c) => c.stderr()).join('\n'),
    ).toEqual([0, 0]);

    const deliveries = consumers.map((c) =>
      c.lines
        .filter((l) => l !== 'ready')
        .map((l) => JSON.parse(l) as { requestId: string; attempt: number }),
    );
    const all = deliveries.flat();
    expect(all.every((d) => d.attempt === 1)).toBe(true);
    expect(all).toHaveLength(ids.length);
    expect(new Set(all.map((d) => d.requestId))).toEqual(new Set(ids));
    for (const d of deliveries) expect(d.length).toBeGreaterThan(0);
    expect(await queue.depth()).toBe(0);
  });
});
