import type { Statement } from 'better-sqlite3';
import {
  canMoveTo,
  type HistoryEntry,
  IN_FLIGHT_STATUSES,
  type Position,
  REQUEST_KINDS,
  type RequestKind,
  type RequestRecord,
  STATUSES,
  type Status,
} from '../../domain/status.js';
import { InvalidCursorError, type ListQuery, type StatusChange, type StatusStore } from '../../ports.js';
import { historyDetail } from '../status-history.js';
import type { SqliteDatabase } from './sqlite.js';

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
/** The partial index's predicate; queries repeat it verbatim so SQLite can use that index. */
const IN_FLIGHT = `status IN (${quoted(IN_FLIGHT_STATUSES)})`;

/**
 * The columns the day-2 lifecycle added. A database an earlier version created gets them by ALTER TABLE
 * on open, its requests reading as what they were: creations at step 1.
 */
const LIFECYCLE_COLUMNS = {
  kind: `TEXT NOT NULL DEFAULT 'create' CHECK (kind IN (${quoted(REQUEST_KINDS)}))`,
  step: 'INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1)',
  change_json: 'TEXT',
} as const;

const TABLES = `
CREATE TABLE IF NOT EXISTS requests (
  id             TEXT PRIMARY KEY,
${Object.entries(LIFECYCLE_COLUMNS)
  .map(([name, definition]) => `  ${name.padEnd(14)} ${definition},`)
  .join('\n')}
  db_name        TEXT NOT NULL,
  environment    TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN (${quoted(STATUSES)})),
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
CREATE TABLE IF NOT EXISTS request_history (
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  at         TEXT NOT NULL,
  status     TEXT NOT NULL,
  detail     TEXT,
  PRIMARY KEY (request_id, seq)
) STRICT, WITHOUT ROWID;
`;

/** One index for each filter `list` takes (and kind with status), each ending in the list's order. */
const INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS requests_in_flight_db_name ON requests (db_name) WHERE ${IN_FLIGHT};
CREATE INDEX IF NOT EXISTS requests_created ON requests (created_at, id);
CREATE INDEX IF NOT EXISTS requests_status_created ON requests (status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_kind_created ON requests (kind, created_at, id);
CREATE INDEX IF NOT EXISTS requests_kind_status_created ON requests (kind, status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_db_name_created ON requests (db_name, created_at, id);
`;

/**
 * Creates the tables, adds the lifecycle columns a database from an earlier version lacks, then the
 * indexes (some are on those columns). One IMMEDIATE transaction: two processes opening an old database
 * at once add each column once.
 */
function createSchema(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec(TABLES);
    const columns = new Set(db.prepare("SELECT name FROM pragma_table_info('requests')").pluck().all());
    for (const [name, definition] of Object.entries(LIFECYCLE_COLUMNS))
      if (!columns.has(name)) db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${definition}`);
    db.exec(INDEXES);
  }).immediate();
}

/** The filters `list` takes, each an equality its indexes serve. */
const LIST_FILTERS = [
  ['status', 'status = @status'],
  ['kind', 'kind = @kind'],
  ['dbName', 'db_name = @dbName'],
] as const;

interface RequestRow {
  id: string;
  kind: RequestKind;
  step: number;
  change_json: string | null;
  db_name: string;
  environment: string;
  status: Status;
  requester: string;
  request_json: string;
  attempts: number;
  pr_number: number | null;
  pr_url: string | null;
  pr_branch: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

interface HistoryRow {
  request_id: string;
  at: string;
  status: Status;
  detail: string | null;
}

export type InsertResult = { ok: true } | { ok: false; inFlight: string };

const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(`${createdAt}|${id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const createdAt = text.slice(0, bar);
  const id = text.slice(bar + 1);
  if (bar < 0 || id === '' || Number.isNaN(Date.parse(createdAt))) throw new InvalidCursorError(cursor);
  return { createdAt, id };
}

const iso = (value: string | Date) => new Date(value).toISOString();

function toEntry(row: HistoryRow): HistoryEntry {
  return row.detail === null
    ? { at: row.at, status: row.status }
    : { at: row.at, status: row.status, detail: row.detail };
}

function toRecord(row: RequestRow, history: HistoryEntry[]): RequestRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    step: row.step,
    request: JSON.parse(row.request_json),
    change: row.change_json === null ? null : JSON.parse(row.change_json),
    requester: row.requester,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    attempts: row.attempts,
    pullRequest:
      row.pr_number === null
        ? null
        : { number: row.pr_number, url: row.pr_url ?? '', branch: row.pr_branch ?? '' },
    failureReason: row.failure_reason,
    history,
  };
}

/**
 * The status store on the local runtime's SQLite database. Tables `requests` and `request_history` are
 * created on construction (idempotent DDL; an earlier version's database gains the lifecycle columns).
 * A partial unique index on `requests(db_name)` over the in-flight statuses keeps at most one in-flight
 * request per database, of any kind and at any step, whichever connection or process inserts. Times are
 * stored as ISO 8601 UTC text (`Date#toISOString`), which sorts chronologically.
 *
 * The promise-returning methods implement {@link StatusStore}; `insertQueued`, `moveSync` and
 * `inFlightIdSync` are synchronous so that {@link SqliteIntake} can compose them with the queue in one
 * transaction.
 */
export class SqliteStatusStore implements StatusStore {
  private readonly stmt;
  /** `list`'s statements by their WHERE clause: one for each combination of filters in use. */
  private readonly listStmts = new Map<string, Statement<Record<string, string | number>, RequestRow>>();
  private readonly transitionTx;
  private readonly noteTx;

  constructor(readonly db: SqliteDatabase) {
    createSchema(db);
    const historyColumns = 'request_id, at, status, detail';
    this.stmt = {
      record: db.prepare<[string], RequestRow>('SELECT * FROM requests WHERE id = ?'),
      history: db.prepare<[string], HistoryRow>(
        `SELECT ${historyColumns} FROM request_history WHERE request_id = ? ORDER BY seq`,
      ),
      historyMany: db.prepare<[string], HistoryRow>(
        `SELECT ${historyColumns} FROM request_history
         WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY request_id, seq`,
      ),
      state: db.prepare<[string], { status: Status; step: number; attempts: number }>(
        'SELECT status, step, attempts FROM requests WHERE id = ?',
      ),
      inFlight: db.prepare<[string], { id: string }>(
        `SELECT id FROM requests WHERE db_name = ? AND ${IN_FLIGHT}`,
      ),
      // CROSS JOIN keeps the names as the outer loop, so each is one lookup on the in-flight index
      // (left to itself, the planner reads every in-flight request through the status index).
      inFlightMany: db.prepare<[string], { db_name: string; id: string }>(
        `SELECT requests.db_name, requests.id FROM json_each(?) AS names
         CROSS JOIN requests ON requests.db_name = names.value WHERE ${IN_FLIGHT}`,
      ),
      insert: db.prepare(
        `INSERT INTO requests (id, kind, step, change_json, db_name, environment, status, requester,
           request_json, attempts, pr_number, pr_url, pr_branch, failure_reason, created_at, updated_at)
         VALUES (@id, @kind, @step, @change_json, @db_name, @environment, @status, @requester,
           @request_json, @attempts, NULL, NULL, NULL, NULL, @created_at, @updated_at)`,
      ),
      // Compare-and-swap on the position the move was decided from.
      update: db.prepare(
        `UPDATE requests SET status = @status, step = @step, updated_at = @at, attempts = @attempts,
           pr_number = COALESCE(@pr_number, pr_number), pr_url = COALESCE(@pr_url, pr_url),
           pr_branch = COALESCE(@pr_branch, pr_branch), failure_reason = @failure_reason
         WHERE id = @id AND status = @from_status AND step = @from_step`,
      ),
      touch: db.prepare('UPDATE requests SET updated_at = MAX(updated_at, @at) WHERE id = @id'),
      appendHistory: db.prepare(
        `INSERT INTO request_history (request_id, seq, at, status, detail)
         VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_history WHERE request_id = @id),
           @at, @status, @detail)`,
      ),
    };
    this.transitionTx = db.transaction((id: string, to: Status, change: StatusChange) =>
      this.moveSync(id, to, change),
    );
    this.noteTx = db.transaction((id: string, at: string, detail: string) => {
      const current = this.stmt.state.get(id);
      if (!current) return;
      this.stmt.appendHistory.run({ id, at, status: current.status, detail });
      this.stmt.touch.run({ id, at });
    });
  }

  /** The record with its whole history (two queries), or undefined. */
  async get(id: string): Promise<RequestRecord | undefined> {
    return this.getSync(id);
  }

  /**
   * Newest first (created_at, then id, descending), optionally only one status, kind or database, in any
   * combination; an index serves each. Each record carries its whole history, fetched for the page in one
   * query. `cursor` is the previous page's `nextCursor`; a cursor from elsewhere throws
   * {@link InvalidCursorError}. `limit` must be a positive integer.
   */
  async list(query: ListQuery): Promise<{ records: RequestRecord[]; nextCursor: string | null }> {
    const { limit, cursor } = query;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    const params: Record<string, string | number> = { limit: limit + 1 };
    const conditions: string[] = [];
    for (const [name, condition] of LIST_FILTERS) {
      const value = query[name];
      if (value === undefined) continue;
      params[name] = value;
      conditions.push(condition);
    }
    if (cursor !== undefined) {
      Object.assign(params, decodeCursor(cursor));
      conditions.push('(created_at, id) < (@createdAt, @id)');
    }
    const rows = this.listStatement(conditions).all(params);
    const more = rows.length > limit;
    if (more) rows.pop();
    const histories = new Map<string, HistoryEntry[]>();
    if (rows.length > 0) {
      for (const h of this.stmt.historyMany.all(JSON.stringify(rows.map((r) => r.id)))) {
        const list = histories.get(h.request_id);
        if (list) list.push(toEntry(h));
        else histories.set(h.request_id, [toEntry(h)]);
      }
    }
    const records = rows.map((row) => toRecord(row, histories.get(row.id) ?? []));
    const last = rows.at(-1);
    return { records, nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
  }

  private listStatement(conditions: readonly string[]) {
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    let stmt = this.listStmts.get(where);
    if (!stmt) {
      stmt = this.db.prepare<Record<string, string | number>, RequestRow>(
        `SELECT * FROM requests ${where} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      );
      this.listStmts.set(where, stmt);
    }
    return stmt;
  }

  /**
   * Follows `canMoveTo` exactly, in one immediate transaction: read the position, check, update, append
   * history (see {@link moveSync}). A forbidden move writes nothing and returns the current record with
   * `changed: false`. `processing` sets attempts to `change.attempt` (never lowering them; one more when
   * no attempt is given), even processing → processing, which starts a new attempt. `pullRequest` is
   * stored when given (pr_open, or a merge reported before pr_open); `failed` stores `failureReason`.
   * `change.step` is the step the move goes to (absent: the current one).
   */
  async transition(
    id: string,
    to: Status,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    return this.transitionTx.immediate(id, to, change);
  }

  /** Appends a history entry with the current status; the status is unchanged. No such request: nothing. */
  async note(id: string, at: Date, detail: string): Promise<void> {
    this.noteTx.immediate(id, iso(at), detail);
  }

  /** The id of the request queued, processing or pr_open for this database, if any. */
  async inFlight(dbName: string): Promise<string | undefined> {
    return this.inFlightIdSync(dbName);
  }

  /** The in-flight request of each named database that has one, in one query on the in-flight index. */
  async inFlightMany(dbNames: readonly string[]): Promise<Map<string, string>> {
    if (dbNames.length === 0) return new Map();
    const rows = this.stmt.inFlightMany.all(JSON.stringify(dbNames));
    return new Map(rows.map((row) => [row.db_name, row.id]));
  }

  /**
   * The move `transition` and the intake's `advance` share: reads the request's position, asks
   * `canMoveTo` whether it may go to `to` at `change.step` (absent: its current step), and
   * compare-and-swaps status and step together. With `expected`, it moves only from exactly that
   * position. Synchronous, so it joins the caller's transaction; the caller makes it IMMEDIATE.
   */
  moveSync(
    id: string,
    to: Status,
    change: StatusChange,
    expected?: Position,
  ): { record: RequestRecord; changed: boolean } | undefined {
    const current = this.stmt.state.get(id);
    if (!current) return undefined;
    const unchanged = () => ({ record: this.getSync(id) as RequestRecord, changed: false });
    const from: Position = { status: current.status, step: current.step };
    const target: Position = { status: to, step: change.step ?? current.step };
    if (expected && (expected.status !== from.status || expected.step !== from.step)) return unchanged();
    if (!canMoveTo(from, target)) return unchanged();
    const at = iso(change.at);
    let attempts = current.attempts;
    if (to === 'processing') attempts = Math.max(attempts, change.attempt ?? attempts + 1);
    const pr = change.pullRequest;
    const { changes } = this.stmt.update.run({
      id,
      status: to,
      step: target.step,
      from_status: from.status,
      from_step: from.step,
      at,
      attempts,
      pr_number: pr?.number ?? null,
      pr_url: pr?.url ?? null,
      pr_branch: pr?.branch ?? null,
      // A reason belongs to failed only: a failed request whose pull request merged after all drops it.
      failure_reason: to === 'failed' ? (change.failureReason ?? change.detail ?? 'failed') : null,
    });
    if (changes === 0) return unchanged();
    this.stmt.appendHistory.run({ id, at, status: to, detail: historyDetail(to, change) });
    return { record: this.getSync(id) as RequestRecord, changed: true };
  }

  getSync(id: string): RequestRecord | undefined {
    const row = this.stmt.record.get(id);
    if (!row) return undefined;
    return toRecord(row, this.stmt.history.all(id).map(toEntry));
  }

  inFlightIdSync(dbName: string): string | undefined {
    return this.stmt.inFlight.get(dbName)?.id;
  }

  /**
   * Inserts a new queued request and its history (its first entry is `queued` at `createdAt` when the
   * record has none). Synchronous, so it joins the caller's transaction. Another in-flight request for
   * the same database: writes nothing and names it. Any other failure (a duplicate id) throws.
   */
  insertQueued(record: RequestRecord): InsertResult {
    if (record.status !== 'queued') throw new Error(`a new request must be queued, not ${record.status}`);
    const createdAt = iso(record.createdAt);
    const row = {
      id: record.id,
      kind: record.kind,
      step: record.step,
      change_json: record.change === null ? null : JSON.stringify(record.change),
      db_name: record.request.db_name,
      environment: record.request.environment,
      status: record.status,
      requester: record.requester,
      request_json: JSON.stringify(record.request),
      attempts: record.attempts,
      created_at: createdAt,
      updated_at: iso(record.updatedAt),
    };
    try {
      this.stmt.insert.run(row);
    } catch (error) {
      if (isInFlightConflict(error)) {
        const inFlight = this.inFlightIdSync(row.db_name);
        if (inFlight !== undefined) return { ok: false, inFlight };
      }
      throw error;
    }
    const history = record.history.length > 0 ? record.history : [{ at: createdAt, status: record.status }];
    for (const entry of history)
      this.stmt.appendHistory.run({
        id: record.id,
        at: iso(entry.at),
        status: entry.status,
        detail: entry.detail ?? null,
      });
    return { ok: true };
  }
}

function isInFlightConflict(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes('requests.db_name')
  );
}
