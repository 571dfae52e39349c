/**
 * The local git host's pull requests in SQLite: one row each, at most one open per branch, and the merge
 * claim (`merging_since`) that serialises merge and close of one pull request across processes. Storage
 * only: when to claim, settle or give up is the host's to decide.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { PullRequestState } from '../../ports.js';
import type { SqliteDatabase } from './sqlite.js';

type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

export interface PullRequestRow {
  number: number;
  request_id: string | null;
  title: string;
  body: string;
  branch: string;
  base: string;
  state: PullRequestState;
  head: string | null;
  merge_commit: string | null;
  created_at: string;
  updated_at: string;
  /** Set while a merge holds the pull request: when it claimed it (ISO 8601). */
  merging_since: string | null;
}

export interface NewPullRequest {
  requestId: string;
  title: string;
  body: string;
  branch: string;
  base: string;
  head: string;
  at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pull_requests (
  number INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  branch TEXT NOT NULL,
  base TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
  head TEXT,
  merge_commit TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  merging_since TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS pull_requests_one_open_per_branch ON pull_requests (branch) WHERE state = 'open';
`;

export class PullRequestTable {
  private readonly sql: {
    byNumber: Statement<[number], PullRequestRow>;
    openForBranch: Statement<[string], PullRequestRow>;
    mergedAt: Statement<[string, string, string, string], PullRequestRow>;
    all: Statement<[], PullRequestRow>;
    insert: Statement<[string | null, string, string, string, string, string | null, string, string]>;
    claim: Statement<[string, number, string]>;
    holds: Statement<[number, string], { number: number }>;
    release: Statement<[number, string]>;
    claimed: Statement<[], PullRequestRow>;
    finishMerged: Statement<[string | null, string | null, string, number]>;
    closeUnclaimed: Statement<[string, number]>;
    closedAt: Statement<[string, number]>;
  };

  constructor(private readonly db: SqliteDatabase) {
    db.exec(SCHEMA);
    addMergeClaimColumn(db);
    this.sql = {
      byNumber: db.prepare('SELECT * FROM pull_requests WHERE number = ?'),
      openForBranch: db.prepare("SELECT * FROM pull_requests WHERE branch = ? AND state = 'open'"),
      mergedAt: db.prepare(
        `SELECT * FROM pull_requests
         WHERE branch = ? AND base = ? AND head = ? AND request_id = ? AND state = 'merged'
         ORDER BY number DESC LIMIT 1`,
      ),
      all: db.prepare('SELECT * FROM pull_requests ORDER BY number DESC'),
      insert: db.prepare(
        `INSERT INTO pull_requests (request_id, title, body, branch, base, head, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      ),
      claim: db.prepare(
        `UPDATE pull_requests SET merging_since = ?
         WHERE number = ? AND state = 'open' AND (merging_since IS NULL OR merging_since <= ?)`,
      ),
      holds: db.prepare(
        "SELECT number FROM pull_requests WHERE number = ? AND state = 'open' AND merging_since = ?",
      ),
      release: db.prepare(
        "UPDATE pull_requests SET merging_since = NULL WHERE number = ? AND state = 'open' AND merging_since = ?",
      ),
      claimed: db.prepare(
        "SELECT * FROM pull_requests WHERE state = 'open' AND merging_since IS NOT NULL ORDER BY number",
      ),
      finishMerged: db.prepare(
        `UPDATE pull_requests SET state = 'merged', head = COALESCE(?, head), merge_commit = ?, updated_at = ?,
           merging_since = NULL
         WHERE number = ? AND state = 'open'`,
      ),
      closeUnclaimed: db.prepare(
        `UPDATE pull_requests SET state = 'closed', updated_at = ?
         WHERE number = ? AND state = 'open' AND merging_since IS NULL`,
      ),
      closedAt: db.prepare("UPDATE pull_requests SET head = ? WHERE number = ? AND state = 'closed'"),
    };
  }

  byNumber(number: number): PullRequestRow | undefined {
    return Number.isInteger(number) ? this.sql.byNumber.get(number) : undefined;
  }

  openForBranch(branch: string): PullRequestRow | undefined {
    return this.sql.openForBranch.get(branch);
  }

  /** Newest first. */
  all(): PullRequestRow[] {
    return this.sql.all.all();
  }

  /**
   * The branch's open pull request, inserted unless one is there. A row another connection inserted
   * first wins (the unique index refuses ours): it is returned with `created: false`. So is the request's
   * pull request merged at this very head: the branch holds nothing new, and a request's head becomes
   * one pull request only (GitHub answers "No commits between" there).
   */
  openOnce(pr: NewPullRequest): { row: PullRequestRow; created: boolean } {
    const ensure = this.db.transaction(() => {
      const existing = this.existingFor(pr);
      if (existing) return { row: existing, created: false };
      const { lastInsertRowid } = this.sql.insert.run(
        pr.requestId,
        pr.title,
        pr.body,
        pr.branch,
        pr.base,
        pr.head,
        pr.at,
        pr.at,
      );
      return { row: this.byNumber(Number(lastInsertRowid)) as PullRequestRow, created: true };
    });
    try {
      return ensure.immediate();
    } catch (error) {
      const winner = this.existingFor(pr);
      if (winner) return { row: winner, created: false };
      throw error;
    }
  }

  private existingFor(pr: NewPullRequest): PullRequestRow | undefined {
    return this.openForBranch(pr.branch) ?? this.sql.mergedAt.get(pr.branch, pr.base, pr.head, pr.requestId);
  }

  /** Claims an open pull request for a merge, unless another claim made after `expiredBefore` holds it. */
  claim(number: number, claim: string, expiredBefore: string): boolean {
    return this.sql.claim.run(claim, number, expiredBefore).changes === 1;
  }

  /** Whether `claim` still holds the open pull request. */
  holds(number: number, claim: string): boolean {
    return this.sql.holds.get(number, claim) !== undefined;
  }

  release(number: number, claim: string): void {
    this.sql.release.run(number, claim);
  }

  /** Open pull requests a merge has claimed. */
  claimed(): PullRequestRow[] {
    return this.sql.claimed.all();
  }

  /** Records an open pull request merged (and its claim gone); one not open stays as it is. */
  finishMerged(number: number, head: string | null, mergeCommit: string | null, at: string): void {
    this.sql.finishMerged.run(head, mergeCommit, at, number);
  }

  /** Closes an open, unclaimed pull request; false when it is not (merged, closed, or being merged). */
  closeUnclaimed(number: number, at: string): boolean {
    return this.sql.closeUnclaimed.run(at, number).changes === 1;
  }

  /** Notes the head a closed pull request was closed at. */
  noteClosedHead(number: number, head: string): void {
    this.sql.closedAt.run(head, number);
  }
}

/** Databases made before merges were claimed lack the column: add it (another process may at once). */
function addMergeClaimColumn(db: SqliteDatabase): void {
  const hasColumn = () =>
    db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('pull_requests')")
      .all()
      .some((column) => column.name === 'merging_since');
  if (hasColumn()) return;
  try {
    db.exec('ALTER TABLE pull_requests ADD COLUMN merging_since TEXT');
  } catch (error) {
    if (!hasColumn()) throw error;
  }
}
