/**
 * The service's comments on the local git host's pull requests, in the same SQLite database as the pull
 * requests: one row per pull request and marker, so there is one comment of a kind, edited in place.
 * Storage only: which marker and body are acceptable is the host's to decide.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { PullRequestComment } from '../../ports.js';
import type { SqliteDatabase } from './sqlite.js';

type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

interface CommentRow {
  number: number;
  marker: string;
  body: string;
  updated_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pull_request_comments (
  number INTEGER NOT NULL REFERENCES pull_requests (number),
  marker TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (number, marker)
);
`;

/** What an upsert did: nothing (the comment said that already), created it, or edited it. */
export type UpsertOutcome = { created: boolean; updated: boolean } | 'no_pull_request';

export class PullRequestComments {
  private readonly sql: {
    pullExists: Statement<[number], { number: number }>;
    body: Statement<[number, string], { body: string }>;
    insert: Statement<[number, string, string, string, string]>;
    update: Statement<[string, string, number, string]>;
    of: Statement<[number], CommentRow>;
    all: Statement<[], CommentRow>;
  };
  private readonly upsertOnce: BetterSqlite3.Transaction<
    (number: number, marker: string, body: string, at: string) => UpsertOutcome
  >;

  /** The pull_requests table must exist first (PullRequestTable makes it). */
  constructor(db: SqliteDatabase) {
    db.exec(SCHEMA);
    this.sql = {
      pullExists: db.prepare('SELECT number FROM pull_requests WHERE number = ?'),
      body: db.prepare('SELECT body FROM pull_request_comments WHERE number = ? AND marker = ?'),
      insert: db.prepare(
        `INSERT INTO pull_request_comments (number, marker, body, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      update: db.prepare(
        'UPDATE pull_request_comments SET body = ?, updated_at = ? WHERE number = ? AND marker = ?',
      ),
      // rowid: the order they were first written in.
      of: db.prepare(
        'SELECT number, marker, body, updated_at FROM pull_request_comments WHERE number = ? ORDER BY rowid',
      ),
      all: db.prepare('SELECT number, marker, body, updated_at FROM pull_request_comments ORDER BY rowid'),
    };
    this.upsertOnce = db.transaction((number, marker, body, at) => {
      if (!this.sql.pullExists.get(number)) return 'no_pull_request';
      const existing = this.sql.body.get(number, marker);
      if (!existing) {
        this.sql.insert.run(number, marker, body, at, at);
        return { created: true, updated: false };
      }
      if (existing.body === body) return { created: false, updated: false };
      this.sql.update.run(body, at, number, marker);
      return { created: false, updated: true };
    });
  }

  /**
   * Writes the pull request's comment of this marker unless it says `body` already. One write transaction
   * (BEGIN IMMEDIATE): of two processes upserting at once, the second reads what the first wrote.
   */
  upsert(number: number, marker: string, body: string, at: string): UpsertOutcome {
    return this.upsertOnce.immediate(number, marker, body, at);
  }

  of(number: number): PullRequestComment[] {
    return this.sql.of.all(number).map(toComment);
  }

  /** Every pull request's comments, by number. */
  byPullRequest(): Map<number, PullRequestComment[]> {
    const out = new Map<number, PullRequestComment[]>();
    for (const row of this.sql.all.all()) {
      const list = out.get(row.number) ?? [];
      list.push(toComment(row));
      out.set(row.number, list);
    }
    return out;
  }
}

const toComment = (row: CommentRow): PullRequestComment => ({
  marker: row.marker,
  body: row.body,
  updatedAt: row.updated_at,
});
