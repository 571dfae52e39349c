import { type AuditEntry, type AuditLog, type AuditQuery, InvalidCursorError } from '../../ports.js';
import { UUID_V7 } from '../system.js';
import type { SqliteDatabase } from './sqlite.js';

const TABLE = `
CREATE TABLE IF NOT EXISTS audit_log (
  id          TEXT PRIMARY KEY,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  role        TEXT,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
  target      TEXT,
  environment TEXT,
  detail      TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, id);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, id);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at, id);
`;

type Row = AuditEntry;

/** The filters `list` takes, each a condition on its own column. */
const FILTERS = [
  ['actor', 'actor = @actor'],
  ['action', 'action = @action'],
  ['outcome', 'outcome = @outcome'],
  ['since', 'at >= @since'],
  ['until', 'at < @until'],
] as const;

/** A cursor is the last entry's id: a UUID version 7 (UUID_V7), so that order is time order. */
const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID_V7.test(id)) throw new InvalidCursorError(cursor);
  return id;
}

/** The audit trail in the service's SQLite database: append-only, newest first by id. */
export class SqliteAuditLog implements AuditLog {
  private readonly insert;

  constructor(private readonly db: SqliteDatabase) {
    db.exec(TABLE);
    this.insert = db.prepare<AuditEntry>(
      `INSERT INTO audit_log (id, at, actor, role, action, outcome, target, environment, detail)
       VALUES (@id, @at, @actor, @role, @action, @outcome, @target, @environment, @detail)`,
    );
  }

  async record(entry: AuditEntry): Promise<void> {
    this.insert.run(entry);
  }

  async list(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const { limit, cursor } = query;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    const params: Record<string, string | number> = { limit: limit + 1 };
    const conditions: string[] = [];
    for (const [name, condition] of FILTERS) {
      const value = query[name];
      if (value === undefined) continue;
      params[name] = value;
      conditions.push(condition);
    }
    if (cursor !== undefined) {
      params.cursor = decodeCursor(cursor);
      conditions.push('id < @cursor');
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = this.db
      .prepare<Record<string, string | number>, Row>(
        `SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT @limit`,
      )
      .all(params);
    const more = rows.length > limit;
    if (more) rows.pop();
    const last = rows.at(-1);
    return { entries: rows, nextCursor: more && last ? encodeCursor(last.id) : null };
  }
}
