/**
 * The local git host: a real git repository as the target, pull requests kept in the service's SQLite
 * database. It works through git objects and refs only (loose objects written in-process, refs moved by
 * compare-and-swap through `git update-ref --stdin`, merges by `git merge-tree --write-tree`), so it
 * never touches a working tree or an index, and an engineer's checkout of the same repository is safe:
 * a branch checked out there is never moved.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  type Clock,
  type FileChange,
  type GitHost,
  GitHostError,
  type PullRequestInfo,
  type PullRequestReview,
  type PullRequestSpec,
  type PullRequestState,
} from '../../ports.js';
import {
  assertValidIdentity,
  FILE_MODE,
  type GitIdentity,
  hashObject,
  isOid,
  isValidBranchName,
  isValidRepositoryPath,
  ZERO_OID,
} from './git-objects.js';
import { GitRepository } from './git-repository.js';
import type { SqliteDatabase } from './sqlite.js';

type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

export interface LocalGitHostOptions {
  /** The repository: a bare one, or the top of a working tree. */
  repository: string;
  /** Author and committer of every commit the host writes. */
  author: GitIdentity;
  db: SqliteDatabase;
  clock: Clock;
  /** The page of a pull request, e.g. `http://127.0.0.1:8080/pulls/7`. */
  pullUrl: (number: number) => string;
  /** Attempts at a ref update that lost a race before giving up with a transient error. */
  maxAttempts?: number;
}

interface PullRequestRow {
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
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pull_requests_one_open_per_branch ON pull_requests (branch) WHERE state = 'open';
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => sleep(Math.min(50, 2 ** attempt) + Math.random() * 5);

export class LocalGitHost implements GitHost, PullRequestReview {
  private readonly author: GitIdentity;
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  private readonly pullUrl: (number: number) => string;
  private readonly maxAttempts: number;
  private readonly repositoryPath: string;
  private opening: Promise<GitRepository> | null = null;
  private disposed = false;
  private readonly sql: {
    byNumber: Statement<[number], PullRequestRow>;
    openForBranch: Statement<[string], PullRequestRow>;
    all: Statement<[], PullRequestRow>;
    insert: Statement<[string | null, string, string, string, string, string | null, string, string]>;
    finish: Statement<[PullRequestState, string | null, string | null, string, number]>;
  };

  constructor(options: LocalGitHostOptions) {
    assertValidIdentity(options.author);
    this.repositoryPath = options.repository;
    this.author = { ...options.author };
    this.db = options.db;
    this.clock = options.clock;
    this.pullUrl = options.pullUrl;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.db.exec(SCHEMA);
    this.sql = {
      byNumber: this.db.prepare('SELECT * FROM pull_requests WHERE number = ?'),
      openForBranch: this.db.prepare("SELECT * FROM pull_requests WHERE branch = ? AND state = 'open'"),
      all: this.db.prepare('SELECT * FROM pull_requests ORDER BY number DESC'),
      insert: this.db.prepare(
        `INSERT INTO pull_requests (request_id, title, body, branch, base, head, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      ),
      finish: this.db.prepare(
        `UPDATE pull_requests SET state = ?, head = COALESCE(?, head), merge_commit = ?, updated_at = ?
         WHERE number = ? AND state = 'open'`,
      ),
    };
  }

  /** Stops the git processes the host keeps running. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const opening = this.opening;
    this.opening = null;
    if (opening) (await opening.catch(() => null))?.close();
  }

  // -------------------------------------------------------------------------------------------------
  // GitHost

  async headOf(branch: string): Promise<string | null> {
    assertBranch(branch);
    const repo = await this.repo();
    return repo.branchHead(branch);
  }

  async readFile(ref: string, path: string): Promise<string | null> {
    assertPath(path);
    if (!isOid(ref)) assertRef(ref);
    const repo = await this.repo();
    const commit = await repo.resolveCommit(ref);
    if (!commit) return null;
    const entry = await repo.entryAt(commit, path);
    if (!entry || entry.isTree) return null;
    const content = await repo.readBlob(entry.oid);
    return content?.toString('utf8') ?? null;
  }

  async ensureBranch(branch: string, fromCommit: string): Promise<{ created: boolean; head: string }> {
    assertBranch(branch);
    const repo = await this.repo();
    let start: string | null = null;
    for (let attempt = 1; ; attempt++) {
      const head = await repo.branchHead(branch);
      if (head) return { created: false, head };
      start ??= await repo.resolveCommit(fromCommit);
      if (!start) throw new GitHostError(`${fromCommit} is not a commit in the repository`, 'permanent');
      if (await repo.updateRef({ ref: `refs/heads/${branch}`, newOid: start, oldOid: ZERO_OID })) {
        return { created: true, head: start };
      }
      if (attempt >= this.maxAttempts) throw lostRace(`refs/heads/${branch}`);
      await backoff(attempt);
    }
  }

  async ensureFile(change: FileChange): Promise<{ committed: boolean; head: string }> {
    assertBranch(change.branch);
    assertPath(change.path);
    const repo = await this.repo();
    const content = Buffer.from(change.content, 'utf8');
    const blob = hashObject('blob', content);
    let written = false;
    for (let attempt = 1; ; attempt++) {
      const head = await repo.branchHead(change.branch);
      if (!head) throw new GitHostError(`branch ${change.branch} does not exist`, 'transient');
      const existing = await repo.entryAt(head, change.path);
      if (existing && !existing.isTree && existing.oid === blob) return { committed: false, head };
      // Someone has the branch checked out: moving it would leave that checkout stale. Try again later.
      this.assertNotCheckedOut(repo, change.branch, 'transient');
      if (!written) {
        repo.writeObject('blob', content);
        written = true;
      }
      const tree = await repo.writeTreeWithFile(await repo.treeOfCommit(head), change.path, FILE_MODE, blob);
      const commit = repo.writeCommit({
        tree,
        parents: [head],
        author: this.author,
        at: this.clock.now(),
        message: change.message,
      });
      if (await repo.updateRef({ ref: `refs/heads/${change.branch}`, newOid: commit, oldOid: head })) {
        return { committed: true, head: commit };
      }
      if (attempt >= this.maxAttempts) throw lostRace(`refs/heads/${change.branch}`);
      await backoff(attempt);
    }
  }

  async ensurePullRequest(spec: PullRequestSpec): Promise<{ number: number; url: string; created: boolean }> {
    assertBranch(spec.branch);
    assertBranch(spec.base);
    const open = this.sql.openForBranch.get(spec.branch);
    if (open) return { number: open.number, url: this.pullUrl(open.number), created: false };
    const repo = await this.repo();
    const head = await repo.branchHead(spec.branch);
    if (!head) throw new GitHostError(`branch ${spec.branch} does not exist`, 'transient');
    if (!(await repo.branchHead(spec.base))) {
      throw new GitHostError(`base branch ${spec.base} does not exist`, 'permanent');
    }
    const now = this.clock.now().toISOString();
    const ensure = this.db.transaction(() => {
      const existing = this.sql.openForBranch.get(spec.branch);
      if (existing) return { row: existing, created: false };
      const result = this.sql.insert.run(
        spec.requestId,
        spec.title,
        spec.body,
        spec.branch,
        spec.base,
        head,
        now,
        now,
      );
      return { row: this.sql.byNumber.get(Number(result.lastInsertRowid)) as PullRequestRow, created: true };
    });
    try {
      const { row, created } = ensure.immediate();
      return { number: row.number, url: this.pullUrl(row.number), created };
    } catch (error) {
      // Another connection opened it between our read and our write: the unique index said no.
      const winner = this.sql.openForBranch.get(spec.branch);
      if (winner) return { number: winner.number, url: this.pullUrl(winner.number), created: false };
      throw databaseError(error);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // PullRequestReview

  async list(): Promise<PullRequestInfo[]> {
    return this.sql.all.all().map((row) => this.info(row));
  }

  async get(number: number): Promise<PullRequestInfo | undefined> {
    const row = this.sql.byNumber.get(number);
    return row ? this.info(row) : undefined;
  }

  async diff(number: number): Promise<string> {
    const pr = this.row(number);
    const repo = await this.repo();
    let base: string | null;
    let head: string | null;
    if (pr.state === 'merged' && pr.merge_commit) {
      base = (await repo.commitParents(pr.merge_commit))[0] ?? null;
      head = pr.head;
    } else {
      base = await repo.branchHead(pr.base);
      head = (pr.state === 'open' ? await repo.branchHead(pr.branch) : null) ?? pr.head;
    }
    if (!base || !head) return '';
    const run = await repo.run([
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      `${base}...${head}`,
      '--',
    ]);
    if (run.code !== 0) throw gitFailure('git diff', run.stderr);
    return run.stdout.toString('utf8');
  }

  async merge(number: number, at: Date): Promise<PullRequestInfo> {
    const repo = await this.repo();
    for (let attempt = 1; ; attempt++) {
      const pr = this.row(number);
      if (pr.state !== 'open')
        throw new GitHostError(`pull request #${number} is ${pr.state}`, 'invalid_state');
      const baseHead = await repo.branchHead(pr.base);
      if (!baseHead) throw new GitHostError(`base branch ${pr.base} does not exist`, 'conflict');
      const branchHead = await repo.branchHead(pr.branch);
      if (!branchHead) throw new GitHostError(`branch ${pr.branch} no longer exists`, 'conflict');

      // Already in the base (merged before a crash, or by hand): record it, like GitHub does.
      const ancestor = await repo.run(['merge-base', '--is-ancestor', branchHead, baseHead]);
      if (ancestor.code === 0) return this.finish(number, 'merged', branchHead, null, at);
      if (ancestor.code !== 1) throw gitFailure('git merge-base', ancestor.stderr);

      const merged = await repo.run([
        'merge-tree',
        '--write-tree',
        '--name-only',
        '-z',
        '--no-messages',
        baseHead,
        branchHead,
      ]);
      const [tree, ...rest] = merged.stdout.toString('utf8').split('\0');
      if (merged.code === 1) {
        const paths = rest.filter((path) => path !== '');
        throw new GitHostError(
          `pull request #${number} conflicts with ${pr.base}${paths.length > 0 ? ` in ${paths.join(', ')}` : ''}`,
          'conflict',
        );
      }
      if (merged.code !== 0 || !tree || !isOid(tree)) {
        if (/unrelated histories/.test(merged.stderr)) {
          throw new GitHostError(`${pr.branch} and ${pr.base} have unrelated histories`, 'conflict');
        }
        throw gitFailure('git merge-tree', merged.stderr);
      }
      this.assertNotCheckedOut(repo, pr.base);
      const commit = repo.writeCommit({
        tree,
        parents: [baseHead, branchHead],
        author: this.author,
        at,
        message: `Merge pull request #${number} from ${pr.branch}\n\n${pr.title}\n`,
      });
      if (await repo.updateRef({ ref: `refs/heads/${pr.base}`, newOid: commit, oldOid: baseHead })) {
        return this.finish(number, 'merged', branchHead, commit, at);
      }
      if (attempt >= this.maxAttempts) throw lostRace(`refs/heads/${pr.base}`);
      await backoff(attempt);
    }
  }

  async close(number: number, at: Date): Promise<PullRequestInfo> {
    const pr = this.row(number);
    if (pr.state !== 'open')
      throw new GitHostError(`pull request #${number} is ${pr.state}`, 'invalid_state');
    const repo = await this.repo();
    return this.finish(number, 'closed', await repo.branchHead(pr.branch), null, at);
  }

  // -------------------------------------------------------------------------------------------------

  private finish(
    number: number,
    state: PullRequestState,
    head: string | null,
    mergeCommit: string | null,
    at: Date,
  ): PullRequestInfo {
    const changed = this.sql.finish.run(state, head, mergeCommit, at.toISOString(), number).changes;
    const row = this.row(number);
    if (changed === 0 && row.state !== state) {
      throw new GitHostError(`pull request #${number} is ${row.state}`, 'invalid_state');
    }
    return this.info(row);
  }

  private row(number: number): PullRequestRow {
    const row = Number.isInteger(number) ? this.sql.byNumber.get(number) : undefined;
    if (!row) throw new GitHostError(`no pull request #${number}`, 'not_found');
    return row;
  }

  private info(row: PullRequestRow): PullRequestInfo {
    return {
      number: row.number,
      title: row.title,
      body: row.body,
      branch: row.branch,
      base: row.base,
      state: row.state,
      requestId: row.request_id,
      url: this.pullUrl(row.number),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      mergeCommit: row.merge_commit,
    };
  }

  /** Moving a branch checked out in a working tree would leave that checkout stale: git refuses too. */
  private assertNotCheckedOut(
    repo: GitRepository,
    branch: string,
    kind: 'conflict' | 'transient' = 'conflict',
  ): void {
    if (repo.checkedOutBranches().has(branch)) {
      throw new GitHostError(
        `${branch} is checked out in a working tree of ${repo.location.path}; the service does not move a checked-out branch`,
        kind,
      );
    }
  }

  private repo(): Promise<GitRepository> {
    if (this.disposed) return Promise.reject(new GitHostError('the git host is closed', 'permanent'));
    if (!this.opening) {
      const opening = GitRepository.open(this.repositoryPath, { identity: this.author });
      this.opening = opening;
      // A repository that is missing now may exist later: do not remember the failure.
      opening.catch(() => {
        if (this.opening === opening) this.opening = null;
      });
    }
    return this.opening;
  }
}

function assertBranch(branch: string): void {
  if (!isValidBranchName(branch))
    throw new GitHostError(`invalid branch name ${JSON.stringify(branch)}`, 'permanent');
}

function assertRef(ref: string): void {
  const name = ref.startsWith('refs/') ? ref.slice('refs/'.length) : ref;
  if (!isValidBranchName(name)) throw new GitHostError(`invalid ref ${JSON.stringify(ref)}`, 'permanent');
}

function assertPath(path: string): void {
  if (!isValidRepositoryPath(path)) {
    throw new GitHostError(`invalid repository path ${JSON.stringify(path)}`, 'permanent');
  }
}

const lostRace = (ref: string) => new GitHostError(`${ref} kept moving; gave up for now`, 'transient');

function gitFailure(what: string, stderr: string): GitHostError {
  const text = stderr.trim().split('\n')[0] ?? '';
  const permanent = /not a git repository|bad object|corrupt|loose object .* is corrupt|unable to read/i.test(
    stderr,
  );
  return new GitHostError(`${what} failed: ${text}`, permanent ? 'permanent' : 'transient');
}

function databaseError(error: unknown): GitHostError {
  return new GitHostError(`pull request store: ${(error as Error).message}`, 'transient');
}
