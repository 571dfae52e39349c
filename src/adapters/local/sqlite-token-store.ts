import type { TokenRecord, TokenStore } from '../../ports.js';
import type { SqliteDatabase } from './sqlite.js';

const TABLE = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id           TEXT PRIMARY KEY,
  user         TEXT NOT NULL,
  role         TEXT NOT NULL,
  environments TEXT,
  digest       TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  revoked_at   TEXT,
  revoked_by   TEXT
) STRICT;
`;

interface Row {
  id: string;
  user: string;
  role: TokenRecord['role'];
  environments: string | null;
  digest: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

const toRecord = (row: Row): TokenRecord => ({
  id: row.id,
  user: row.user,
  role: row.role,
  environments: row.environments === null ? null : (JSON.parse(row.environments) as string[]),
  digest: row.digest,
  createdAt: row.created_at,
  createdBy: row.created_by,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
});

/** Personal API tokens in the service's SQLite database: digests only, never a token. */
export class SqliteTokenStore implements TokenStore {
  private readonly stmt;

  constructor(db: SqliteDatabase) {
    db.exec(TABLE);
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO api_tokens (id, user, role, environments, digest, created_at, created_by, revoked_at, revoked_by)
         VALUES (@id, @user, @role, @environments, @digest, @created_at, @created_by, @revoked_at, @revoked_by)
         ON CONFLICT DO NOTHING`,
      ),
      byDigest: db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE digest = ?'),
      byId: db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE id = ?'),
      all: db.prepare<[], Row>('SELECT * FROM api_tokens ORDER BY created_at DESC, id DESC'),
      revoke: db.prepare<[string, string, string]>(
        'UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
      ),
    };
  }

  async create(record: TokenRecord): Promise<boolean> {
    const result = this.stmt.insert.run({
      id: record.id,
      user: record.user,
      role: record.role,
      environments: record.environments === null ? null : JSON.stringify(record.environments),
      digest: record.digest,
      created_at: record.createdAt,
      created_by: record.createdBy,
      revoked_at: record.revokedAt,
      revoked_by: record.revokedBy,
    });
    return result.changes === 1;
  }

  async byDigest(digest: string): Promise<TokenRecord | undefined> {
    const row = this.stmt.byDigest.get(digest);
    return row ? toRecord(row) : undefined;
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = this.stmt.byId.get(id);
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    return this.stmt.all.all().map(toRecord);
  }

  async revoke(
    id: string,
    at: Date,
    by: string,
  ): Promise<{ record: TokenRecord; changed: boolean } | undefined> {
    const changed = this.stmt.revoke.run(at.toISOString(), by, id).changes === 1;
    const row = this.stmt.byId.get(id);
    return row ? { record: toRecord(row), changed } : undefined;
  }
}
