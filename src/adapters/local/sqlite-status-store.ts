import type { Statement } from 'better-sqlite3';
import { type DatabaseReport, emptyDatabaseReport, type PlanReport } from '../../domain/reports.js';
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
import { failureReasonOf, historyDetail } from '../status-history.js';
import type { SqliteDatabase } from './sqlite.js';

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
/** The partial index's predicate; queries repeat it verbatim so SQLite can use that index. */
const IN_FLIGHT = `status IN (${quoted(IN_FLIGHT_STATUSES)})`;

/**
 * The columns added after the table was first made; a database an earlier version created gets them by
 * ALTER TABLE on open. The day-2 lifecycle's: its requests read as what they were, creations at step 1.
 * The pipeline's reports': null, no merge commit, plan or cost recorded.
 */
const ADDED_COLUMNS = {
  kind: `TEXT NOT NULL DEFAULT 'create' CHECK (kind IN (${quoted(REQUEST_KINDS)}))`,
  step: 'INTEGER NOT NULL DEFAULT 1 CHECK (step >= 1)',
  change_json: 'TEXT',
  merge_commit: 'TEXT',
  plan_json: 'TEXT',
  cost_json: 'TEXT',
} as const;

/** The status CHECK: SQLite cannot alter a constraint, so a table made with an older list is rebuilt. */
const STATUS_CHECK = `CHECK (status IN (${quoted(STATUSES)}))`;

const requestsTable = (name: string) => `
CREATE TABLE ${name} (
  id             TEXT PRIMARY KEY,
${Object.entries(ADDED_COLUMNS)
  .map(([column, definition]) => `  ${column.padEnd(14)} ${definition},`)
  .join('\n')}
  db_name        TEXT NOT NULL,
  environment    TEXT NOT NULL,
  status         TEXT NOT NULL ${STATUS_CHECK},
  requester      TEXT NOT NULL,
  request_json   TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  pr_number      INTEGER,
  pr_url         TEXT,
  pr_branch      TEXT,
  failure_reason TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;`;

const TABLES = `
${requestsTable('IF NOT EXISTS requests')}
CREATE TABLE IF NOT EXISTS request_history (
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  at         TEXT NOT NULL,
  status     TEXT NOT NULL,
  detail     TEXT,
  PRIMARY KEY (request_id, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS database_reports (
  db_name         TEXT PRIMARY KEY,
  version         INTEGER NOT NULL CHECK (version >= 1),
  connection_json TEXT,
  drift_json      TEXT
) STRICT, WITHOUT ROWID;
`;

/**
 * One index for each filter `list` takes (and kind with status), each ending in the list's order; and
 * the requests of a merge commit (only merged requests have one).
 */
const INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS requests_in_flight_db_name ON requests (db_name) WHERE ${IN_FLIGHT};
CREATE INDEX IF NOT EXISTS requests_created ON requests (created_at, id);
CREATE INDEX IF NOT EXISTS requests_status_created ON requests (status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_kind_created ON requests (kind, created_at, id);
CREATE INDEX IF NOT EXISTS requests_kind_status_created ON requests (kind, status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_db_name_created ON requests (db_name, created_at, id);
CREATE INDEX IF NOT EXISTS requests_merge_commit ON requests (merge_commit, created_at, id)
  WHERE merge_commit IS NOT NULL;
`;

/** Whether the requests table exists with a status CHECK older than STATUSES. */
const statusCheckIsOld = (db: SqliteDatabase) => {
  const sql = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'requests'")
    .pluck()
    .get();
  return typeof sql === 'string' && !sql.includes(STATUS_CHECK);
};

/**
 * SQLite's way to change a constraint (https://sqlite.org/lang_altertable.html#otheralter): a new table
 * with the rows copied, the old one dropped, the new one renamed; INDEXES then makes its indexes again.
 * Foreign keys must be off on the connection meanwhile: dropping the old table would otherwise delete
 * every history row through ON DELETE CASCADE. Joins the caller's transaction.
 */
function rebuildRequests(db: SqliteDatabase): void {
  if (db.pragma('foreign_keys', { simple: true }) !== 0)
    throw new Error('the requests table is rebuilt only with foreign keys off (outside a transaction)');
  db.exec(requestsTable('requests_rebuilt'));
  const columns = db
    .prepare("SELECT name FROM pragma_table_info('requests_rebuilt')")
    .pluck()
    .all()
    .join(', ');
  db.exec(`INSERT INTO requests_rebuilt (${columns}) SELECT ${columns} FROM requests`);
  db.exec('DROP TABLE requests');
  db.exec('ALTER TABLE requests_rebuilt RENAME TO requests');
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new Error(`rebuilding requests broke foreign keys: ${JSON.stringify(broken)}`);
}

/**
 * Creates the tables; on a database an earlier version made, adds the columns it lacks and rebuilds the
 * requests table when its status CHECK is older; then the indexes (some are on the added columns). One
 * IMMEDIATE transaction: two processes opening an old database at once change it once, and a failure
 * leaves it as it was. Foreign keys are off around a rebuild (a pragma has no effect inside a transaction).
 */
function createSchema(db: SqliteDatabase): void {
  const migrate = db.transaction(() => {
    db.exec(TABLES);
    const columns = new Set(db.prepare("SELECT name FROM pragma_table_info('requests')").pluck().all());
    for (const [name, definition] of Object.entries(ADDED_COLUMNS))
      if (!columns.has(name)) db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${definition}`);
    if (statusCheckIsOld(db)) rebuildRequests(db);
    db.exec(INDEXES);
  });
  if (!statusCheckIsOld(db)) {
    migrate.immediate();
    return;
  }
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  db.pragma('foreign_keys = OFF');
  try {
    migrate.immediate();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
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
  merge_commit: string | null;
  plan_json: string | null;
  cost_json: string | null;
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

interface DatabaseReportRow {
  db_name: string;
  version: number;
  connection_json: string | null;
  drift_json: string | null;
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
const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
const parsed = (text: string | null) => (text === null ? null : JSON.parse(text));

function toDatabaseReport(row: DatabaseReportRow): DatabaseReport {
  return {
    dbName: row.db_name,
    version: row.version,
    connection: parsed(row.connection_json),
    drift: parsed(row.drift_json),
  };
}

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
    change: parsed(row.change_json),
    requester: row.requester,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    attempts: row.attempts,
    pullRequest:
      row.pr_number === null
        ? null
        : { number: row.pr_number, url: row.pr_url ?? '', branch: row.pr_branch ?? '' },
    failureReason: row.failure_reason,
    mergeCommit: row.merge_commit,
    plan: parsed(row.plan_json),
    cost: parsed(row.cost_json),
    history,
  };
}

/**
 * The status store on the local runtime's SQLite database. Tables `requests`, `request_history` and
 * `database_reports` are created on construction (idempotent DDL; an earlier version's database gains
 * the columns added since, and its requests table is rebuilt when its status CHECK is older).
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
        `INSERT INTO requests (id, kind, step, change_json, cost_json, db_name, environment, status, requester,
           request_json, attempts, created_at, updated_at)
         VALUES (@id, @kind, @step, @change_json, @cost_json, @db_name, @environment, @status, @requester,
           @request_json, @attempts, @created_at, @updated_at)`,
      ),
      // Compare-and-swap on the position the move was decided from.
      update: db.prepare(
        `UPDATE requests SET status = @status, step = @step, updated_at = @at, attempts = @attempts,
           pr_number = COALESCE(@pr_number, pr_number), pr_url = COALESCE(@pr_url, pr_url),
           pr_branch = COALESCE(@pr_branch, pr_branch), failure_reason = @failure_reason,
           merge_commit = COALESCE(@merge_commit, merge_commit)
         WHERE id = @id AND status = @from_status AND step = @from_step`,
      ),
      // Same clause and order as the partial index requests_merge_commit, so it serves the query whole.
      mergedAt: db.prepare<[string], RequestRow>(
        'SELECT * FROM requests WHERE merge_commit = ? ORDER BY created_at DESC, id DESC',
      ),
      // Compare-and-swap on the stored plan's digest; IS matches NULL (no plan) with NULL.
      setPlan: db.prepare(
        `UPDATE requests SET plan_json = @plan WHERE id = @id
           AND json_extract(plan_json, '$.digest') IS @previous`,
      ),
      exists: db.prepare<[string], number>('SELECT 1 FROM requests WHERE id = ?').pluck(),
      report: db.prepare<[string], DatabaseReportRow>('SELECT * FROM database_reports WHERE db_name = ?'),
      reports: db.prepare<[string], DatabaseReportRow>(
        'SELECT * FROM database_reports WHERE db_name IN (SELECT value FROM json_each(?))',
      ),
      insertReport: db.prepare(
        `INSERT INTO database_reports (db_name, version, connection_json, drift_json)
         VALUES (@db_name, 1, @connection_json, @drift_json) ON CONFLICT (db_name) DO NOTHING`,
      ),
      updateReport: db.prepare(
        `UPDATE database_reports SET version = version + 1, connection_json = @connection_json,
           drift_json = @drift_json WHERE db_name = @db_name AND version = @version`,
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
    const last = rows.at(-1);
    return {
      records: this.withHistories(rows),
      nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** The records of rows, each with its whole history, fetched for them all in one query. */
  private withHistories(rows: RequestRow[]): RequestRecord[] {
    const histories = new Map<string, HistoryEntry[]>();
    if (rows.length > 0) {
      for (const h of this.stmt.historyMany.all(JSON.stringify(rows.map((r) => r.id)))) {
        const list = histories.get(h.request_id);
        if (list) list.push(toEntry(h));
        else histories.set(h.request_id, [toEntry(h)]);
      }
    }
    return rows.map((row) => toRecord(row, histories.get(row.id) ?? []));
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
   * stored when given (pr_open, or a merge reported before pr_open), and so is `mergeCommit`; `failed`
   * and `apply_failed` store `failureReason` (failureReasonOf). `change.step` is the step the move goes
   * to (absent: the current one). No move touches a lock: the in-flight index follows the status alone.
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

  /** Newest first (created_at, then id, descending), from the partial index on merge_commit. */
  async mergedAt(commit: string): Promise<RequestRecord[]> {
    return this.withHistories(this.stmt.mergedAt.all(commit));
  }

  /** One UPDATE conditional on the stored plan's digest; status, history and updated_at stay as they are. */
  async setPlan(id: string, plan: PlanReport, previousDigest: string | null): Promise<boolean | undefined> {
    const { changes } = this.stmt.setPlan.run({ id, plan: JSON.stringify(plan), previous: previousDigest });
    if (changes === 1) return true;
    return this.stmt.exists.get(id) === undefined ? undefined : false;
  }

  async databaseReport(dbName: string): Promise<DatabaseReport> {
    const row = this.stmt.report.get(dbName);
    return row ? toDatabaseReport(row) : emptyDatabaseReport(dbName);
  }

  /** In one query on the table's key. */
  async databaseReports(dbNames: readonly string[]): Promise<Map<string, DatabaseReport>> {
    if (dbNames.length === 0) return new Map();
    const rows = this.stmt.reports.all(JSON.stringify(dbNames));
    return new Map(rows.map((row) => [row.db_name, toDatabaseReport(row)]));
  }

  /** Version 0: an INSERT that a row already there refuses; else an UPDATE conditional on the version. */
  async putDatabaseReport(report: DatabaseReport): Promise<boolean> {
    const row = {
      db_name: report.dbName,
      connection_json: json(report.connection),
      drift_json: json(report.drift),
    };
    const { changes } =
      report.version === 0
        ? this.stmt.insertReport.run(row)
        : this.stmt.updateReport.run({ ...row, version: report.version });
    return changes === 1;
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
      failure_reason: failureReasonOf(to, change),
      merge_commit: change.mergeCommit ?? null,
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
      change_json: json(record.change),
      cost_json: json(record.cost),
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
