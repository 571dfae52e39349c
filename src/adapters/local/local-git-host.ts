/**
 * The local git host: a real git repository as the target, pull requests kept in the service's SQLite
 * database. It works through git objects and refs only (loose objects written in-process, refs moved by
 * compare-and-swap through `git update-ref --stdin`, merges by `git merge-tree --write-tree`), so it
 * never touches a working tree or an index, and an engineer's checkout of the same repository is safe:
 * a branch checked out there is never moved.
 *
 * Merge and close of one pull request are serialised across processes through SQLite: a merge first claims
 * the pull request (`merging_since`), then moves the base, then records it merged; close takes only an
 * open, unclaimed pull request. So the file is on the base if and only if the pull request is merged. A
 * claim outlives its process only through a crash: one whose head is in the base was merged (recorded at
 * start-up by finishInterruptedMerges, or by whoever meets it), one older than the lease is let go.
 */
import { isValidBranchName } from '../../domain/branch-name.js';
import { isObjectId } from '../../domain/object-id.js';
import { belongsTo, pullRequestInUseReason } from '../../domain/pull-request-owner.js';
import {
  type Clock,
  DIRECTORY_READ_LIMIT_BYTES,
  type DirectoryFile,
  directoryTooLarge,
  type FileChange,
  type FileRemoval,
  type GitHost,
  GitHostError,
  type OpenPullRequest,
  type PullRequestInfo,
  type PullRequestReview,
  type PullRequestSpec,
  type TreeFile,
} from '../../ports.js';
import { assertBranchName as assertBranch, assertComment, assertCommitId } from '../git-host-input.js';
import {
  assertValidIdentity,
  FILE_MODE,
  type GitIdentity,
  hashObject,
  isOid,
  isValidRepositoryPath,
  ZERO_OID,
} from './git-objects.js';
import { gitFailure } from './git-process.js';
import { GitRepository } from './git-repository.js';
import { PullRequestComments } from './pull-request-comments.js';
import { type PullRequestRow, PullRequestTable } from './pull-request-table.js';
import type { SqliteDatabase } from './sqlite.js';

export interface LocalGitHostOptions {
  /** The repository: a bare one, or the top of a working tree. */
  repository: string;
  /** Author and committer of every commit the host writes. */
  author: GitIdentity;
  db: SqliteDatabase;
  clock: Clock;
  /** Where a person opens a pull request, e.g. the web page's `http://127.0.0.1:8080/#/pulls/7`. */
  pullUrl: (number: number) => string;
  /** Attempts at a ref update that lost a race before giving up with a transient error. */
  maxAttempts?: number;
}

/** How long a merge's claim holds; past it, the claim is taken to belong to a process that died. */
export const MERGE_LEASE_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => sleep(Math.min(50, 2 ** attempt) + Math.random() * 5);

export class LocalGitHost implements GitHost, PullRequestReview {
  private readonly author: GitIdentity;
  private readonly pulls: PullRequestTable;
  private readonly comments: PullRequestComments;
  private readonly clock: Clock;
  private readonly pullUrl: (number: number) => string;
  private readonly maxAttempts: number;
  private readonly repositoryPath: string;
  private opening: Promise<GitRepository> | null = null;
  /** The last merge queued for each base branch. */
  private readonly mergesByBase = new Map<string, Promise<unknown>>();
  private disposed = false;

  constructor(options: LocalGitHostOptions) {
    assertValidIdentity(options.author);
    this.repositoryPath = options.repository;
    this.author = { ...options.author };
    this.pulls = new PullRequestTable(options.db);
    this.comments = new PullRequestComments(options.db);
    this.clock = options.clock;
    this.pullUrl = options.pullUrl;
    this.maxAttempts = options.maxAttempts ?? 8;
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

  async resetBranch(branch: string, toCommit: string, expectedHead: string): Promise<boolean> {
    assertBranch(branch);
    // The zero id would mean "absent" to git: a reset never creates a branch.
    if (!isOid(expectedHead) || expectedHead === ZERO_OID) {
      throw new GitHostError(
        `invalid expected head ${JSON.stringify(expectedHead)}: a commit id`,
        'permanent',
      );
    }
    const repo = await this.repo();
    const target = await repo.resolveCommit(toCommit);
    if (!target) throw new GitHostError(`${toCommit} is not a commit in the repository`, 'permanent');
    // Someone has the branch checked out: moving it would leave that checkout stale. Try again later.
    this.assertNotCheckedOut(repo, branch, 'transient');
    // One compare-and-swap: a branch that moved since the caller looked (or is gone) stays as it is.
    return repo.updateRef({ ref: `refs/heads/${branch}`, newOid: target, oldOid: expectedHead });
  }

  async ensureFile(change: FileChange): Promise<{ committed: boolean; head: string }> {
    assertBranch(change.branch);
    assertPath(change.path);
    const content = Buffer.from(change.content, 'utf8');
    const blob = hashObject('blob', content);
    let written = false;
    return this.commitOnBranch(change.branch, change.message, async (repo, head) => {
      const existing = await repo.entryAt(head, change.path);
      if (existing && !existing.isTree && existing.oid === blob) return null;
      if (!written) {
        repo.writeObject('blob', content);
        written = true;
      }
      return repo.writeTreeWithFile(await repo.treeOfCommit(head), change.path, FILE_MODE, blob);
    });
  }

  async ensureFileRemoved(removal: FileRemoval): Promise<{ committed: boolean; head: string }> {
    assertBranch(removal.branch);
    assertPath(removal.path);
    return this.commitOnBranch(removal.branch, removal.message, async (repo, head) =>
      repo.writeTreeWithoutFile(await repo.treeOfCommit(head), removal.path),
    );
  }

  async listFiles(commit: string, directory: string): Promise<TreeFile[]> {
    const { repo, resolved } = await this.listing(commit, directory);
    const blobs = await repo.blobsUnder(resolved, directory);
    return blobs.map(({ path, oid }) => ({ path, blob: oid })).sort(byPath);
  }

  /**
   * One `git ls-tree -r -l` (paths, modes and sizes: the bound is checked before anything is read), then
   * one `git cat-file --batch` fed every blob id, its output parsed as it streams.
   */
  async readDirectory(commit: string, directory: string): Promise<DirectoryFile[]> {
    const { repo, resolved } = await this.listing(commit, directory);
    const files = (await repo.blobsWithSizesUnder(resolved, directory)).filter((f) => REGULAR.has(f.mode));
    const bytes = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
    if (bytes > DIRECTORY_READ_LIMIT_BYTES) throw directoryTooLarge(directory, resolved, bytes);
    const contents = await repo.readBlobs(files.map((f) => f.oid));
    return files
      .map(({ path, oid }, i) => {
        const content = contents[i];
        if (!content)
          throw new GitHostError(`blob ${oid} of ${path} is missing from the repository`, 'permanent');
        return { path, blob: oid, content: content.toString('utf8') };
      })
      .sort(byPath);
  }

  async readBlob(blob: string): Promise<string> {
    if (!isObjectId(blob.toLowerCase())) {
      throw new GitHostError(
        `invalid blob id ${JSON.stringify(blob)}: 40 or 64 hexadecimal digits expected`,
        'permanent',
      );
    }
    const oid = blob.toLowerCase();
    const repo = await this.repo();
    const content = await repo.readBlob(oid);
    if (!content) throw new GitHostError(`no blob ${oid}`, 'not_found');
    return content.toString('utf8');
  }

  async ensurePullRequest(spec: PullRequestSpec): Promise<{ number: number; url: string; created: boolean }> {
    assertBranch(spec.branch);
    assertBranch(spec.base);
    const open = this.pulls.openForBranch(spec.branch);
    if (open) return this.reuse(open, spec);
    const repo = await this.repo();
    const head = await repo.branchHead(spec.branch);
    if (!head) throw new GitHostError(`branch ${spec.branch} does not exist`, 'transient');
    if (!(await repo.branchHead(spec.base))) {
      throw new GitHostError(`base branch ${spec.base} does not exist`, 'permanent');
    }
    // Opened once per branch head: a delivery that read the base before our pull request merged, and asks
    // only now, gets that merged one back (GitHub: 422 "No commits between", then the merged pull request).
    let ensured: { row: PullRequestRow; created: boolean };
    try {
      ensured = this.pulls.openOnce({ ...spec, head, at: this.clock.now().toISOString() });
    } catch (error) {
      throw databaseError(error);
    }
    if (!ensured.created) return this.reuse(ensured.row, spec);
    return { number: ensured.row.number, url: this.pullUrl(ensured.row.number), created: true };
  }

  async openPullRequests(branch: string): Promise<OpenPullRequest[]> {
    assertBranch(branch);
    const open = this.pulls.openForBranch(branch);
    return open ? [{ number: open.number, url: this.pullUrl(open.number), requestId: open.request_id }] : [];
  }

  async upsertPullRequestComment(
    number: number,
    marker: string,
    body: string,
  ): Promise<{ created: boolean; updated: boolean }> {
    assertComment(number, marker, body);
    let outcome: ReturnType<PullRequestComments['upsert']>;
    try {
      outcome = this.comments.upsert(number, marker, body, this.clock.now().toISOString());
    } catch (error) {
      throw databaseError(error);
    }
    if (outcome === 'no_pull_request') throw new GitHostError(`no pull request #${number}`, 'not_found');
    return outcome;
  }

  /** `git merge-base --is-ancestor`, once the commit is known to be one: git errors on anything else. */
  async containsCommit(branch: string, commit: string): Promise<boolean> {
    assertBranch(branch);
    assertCommitId(commit);
    const repo = await this.repo();
    const head = await repo.branchHead(branch);
    if (!head || !(await repo.resolveCommit(commit))) return false;
    return this.isAncestor(repo, commit, head);
  }

  // -------------------------------------------------------------------------------------------------
  // PullRequestReview

  async list(): Promise<PullRequestInfo[]> {
    const comments = this.comments.byPullRequest();
    return this.pulls.all().map((row) => this.info(row, comments.get(row.number) ?? []));
  }

  async get(number: number): Promise<PullRequestInfo | undefined> {
    const row = this.pulls.byNumber(number);
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
    const claim = this.claimForMerge(number);
    try {
      // Merges into one base cannot run side by side (each moves the base): in this process they queue,
      // across processes the compare-and-swap on the base decides.
      return await this.oneAtATime(this.row(number).base, () => this.mergeClaimed(repo, number, claim, at));
    } catch (error) {
      // Nothing moved (a conflict, a lost race), or the answer of the move was lost: settle the claim from
      // what the base holds. When that fails too, the claim stays until its lease runs out.
      const settled = await this.settleClaim(repo, this.row(number), at, claim).catch(() => undefined);
      if (settled?.state === 'merged') return this.info(settled);
      throw error;
    }
  }

  async close(number: number, at: Date): Promise<PullRequestInfo> {
    const repo = await this.repo();
    let pr = this.row(number);
    // A merge in progress, or one a dead process left: its base may have moved already.
    if (pr.state === 'open' && pr.merging_since !== null) pr = await this.settleClaim(repo, pr, at);
    if (pr.state !== 'open') throw notOpen(pr);
    // Decide first (a merge may claim it at any moment), then note the head it was closed at.
    if (!this.pulls.closeUnclaimed(number, at.toISOString())) throw notOpen(this.row(number));
    const head = await repo.branchHead(pr.branch).catch(() => null);
    if (head) this.pulls.noteClosedHead(number, head);
    return this.info(this.row(number));
  }

  async finishInterruptedMerges(): Promise<number> {
    const repo = await this.repo();
    let finished = 0;
    for (const claimed of this.pulls.claimed()) {
      const settled = await this.settleClaim(repo, claimed, this.clock.now());
      if (settled.state === 'merged') finished++;
    }
    return finished;
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * One commit on the branch whose root tree `nextTree` makes from the head's, unless it answers null
   * (the branch holds the change already). The branch moves by compare-and-swap; when another writer
   * moved it first, it starts again from the new head.
   */
  private async commitOnBranch(
    branch: string,
    message: string,
    nextTree: (repo: GitRepository, head: string) => Promise<string | null>,
  ): Promise<{ committed: boolean; head: string }> {
    const repo = await this.repo();
    for (let attempt = 1; ; attempt++) {
      const head = await repo.branchHead(branch);
      if (!head) throw new GitHostError(`branch ${branch} does not exist`, 'transient');
      const tree = await nextTree(repo, head);
      if (tree === null) return { committed: false, head };
      // Someone has the branch checked out: moving it would leave that checkout stale. Try again later.
      this.assertNotCheckedOut(repo, branch, 'transient');
      const commit = repo.writeCommit({
        tree,
        parents: [head],
        author: this.author,
        at: this.clock.now(),
        message,
      });
      if (await repo.updateRef({ ref: `refs/heads/${branch}`, newOid: commit, oldOid: head })) {
        return { committed: true, head: commit };
      }
      if (attempt >= this.maxAttempts) throw lostRace(`refs/heads/${branch}`);
      await backoff(attempt);
    }
  }

  /** Runs `work` after the merges queued before it for the same base. */
  private async oneAtATime<T>(base: string, work: () => Promise<T>): Promise<T> {
    const before = this.mergesByBase.get(base) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    const tail = mine.catch(() => undefined);
    this.mergesByBase.set(base, tail);
    try {
      return await mine;
    } finally {
      if (this.mergesByBase.get(base) === tail) this.mergesByBase.delete(base);
    }
  }

  /** Takes the pull request for a merge: open, and unclaimed or claimed longer ago than the lease. */
  private claimForMerge(number: number): string {
    const now = this.clock.now();
    const claim = now.toISOString();
    if (this.pulls.claim(number, claim, leaseCutoff(now))) return claim;
    throw notOpen(this.row(number));
  }

  /** The merge proper, under the claim: a merge commit on the base, then the record. */
  private async mergeClaimed(
    repo: GitRepository,
    number: number,
    claim: string,
    at: Date,
  ): Promise<PullRequestInfo> {
    for (let attempt = 1; ; attempt++) {
      const pr = this.row(number);
      if (pr.state !== 'open') throw notOpen(pr);
      const baseHead = await repo.branchHead(pr.base);
      if (!baseHead) throw new GitHostError(`base branch ${pr.base} does not exist`, 'conflict');
      const branchHead = await repo.branchHead(pr.branch);
      if (!branchHead) throw new GitHostError(`branch ${pr.branch} no longer exists`, 'conflict');

      // Already in the base (merged before a crash, or by hand): record it, like GitHub does.
      if (await this.isAncestor(repo, branchHead, baseHead)) {
        return this.finish(number, branchHead, await this.mergeCommitOf(repo, branchHead, baseHead), at);
      }

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
      // A merge slower than its lease may have been taken over: then the base is not ours to move.
      if (!this.pulls.holds(number, claim)) {
        throw new GitHostError(
          `the merge of pull request #${number} outlasted its lease; try again`,
          'transient',
        );
      }
      if (await repo.updateRef({ ref: `refs/heads/${pr.base}`, newOid: commit, oldOid: baseHead })) {
        return this.finish(number, branchHead, commit, at);
      }
      if (attempt >= this.maxAttempts) throw lostRace(`refs/heads/${pr.base}`);
      await backoff(attempt);
    }
  }

  /**
   * A claimed pull request whose head is in its base was merged (the base moved, the record did not):
   * record it. Otherwise let the claim go when it is `ownClaim`, or older than the lease (its process
   * died). Returns the row as it is now.
   */
  private async settleClaim(
    repo: GitRepository,
    pr: PullRequestRow,
    at: Date,
    ownClaim?: string,
  ): Promise<PullRequestRow> {
    if (pr.state !== 'open' || pr.merging_since === null) return pr;
    const baseHead = await repo.branchHead(pr.base);
    const branchHead = await repo.branchHead(pr.branch);
    if (baseHead && branchHead && (await this.isAncestor(repo, branchHead, baseHead))) {
      const mergeCommit = await this.mergeCommitOf(repo, branchHead, baseHead);
      this.pulls.finishMerged(pr.number, branchHead, mergeCommit, at.toISOString());
    } else if (pr.merging_since === ownClaim || pr.merging_since <= leaseCutoff(this.clock.now())) {
      this.pulls.release(pr.number, pr.merging_since);
    }
    return this.row(pr.number);
  }

  private async isAncestor(repo: GitRepository, commit: string, of: string): Promise<boolean> {
    const run = await repo.run(['merge-base', '--is-ancestor', commit, of]);
    if (run.code !== 0 && run.code !== 1) throw gitFailure('git merge-base', run.stderr);
    return run.code === 0;
  }

  /** The first commit on the base that merged `head` in (null: none, e.g. a fast-forward by hand). */
  private async mergeCommitOf(repo: GitRepository, head: string, baseHead: string): Promise<string | null> {
    const run = await repo.run([
      'rev-list',
      '--parents',
      '--ancestry-path',
      '--reverse',
      `${head}..${baseHead}`,
    ]);
    if (run.code !== 0) throw gitFailure('git rev-list', run.stderr);
    for (const line of run.stdout.toString('utf8').split('\n')) {
      const [commit, ...parents] = line.split(' ');
      if (commit && parents.includes(head)) return commit;
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------------

  /** Records the merge; a pull request recorded merged already (by whoever settled it first) stays so. */
  private finish(number: number, head: string, mergeCommit: string | null, at: Date): PullRequestInfo {
    this.pulls.finishMerged(number, head, mergeCommit, at.toISOString());
    const row = this.row(number);
    if (row.state !== 'merged') throw notOpen(row);
    return this.info(row);
  }

  private row(number: number): PullRequestRow {
    const row = this.pulls.byNumber(number);
    if (!row) throw new GitHostError(`no pull request #${number}`, 'not_found');
    return row;
  }

  private info(row: PullRequestRow, comments = this.comments.of(row.number)): PullRequestInfo {
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
      comments,
    };
  }

  /**
   * The branch's open pull request, or the request's own merged at the branch's head, when it is this
   * request's: a pull request has one request.
   */
  private reuse(
    open: PullRequestRow,
    spec: PullRequestSpec,
  ): { number: number; url: string; created: false } {
    const pr = { number: open.number, requestId: open.request_id };
    if (!belongsTo(pr, spec.requestId))
      throw new GitHostError(pullRequestInUseReason(pr, spec.branch), 'conflict');
    return { number: open.number, url: this.pullUrl(open.number), created: false };
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

  /** The repository and the commit a listing reads, once the directory and the commit are checked. */
  private async listing(
    commit: string,
    directory: string,
  ): Promise<{ repo: GitRepository; resolved: string }> {
    assertPath(directory);
    if (!isOid(commit)) assertRef(commit);
    const repo = await this.repo();
    const resolved = await repo.resolveCommit(commit);
    if (!resolved) throw new GitHostError(`${commit} is not a commit in the repository`, 'not_found');
    return { repo, resolved };
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

function assertRef(ref: string): void {
  const name = ref.startsWith('refs/') ? ref.slice('refs/'.length) : ref;
  if (!isValidBranchName(name)) throw new GitHostError(`invalid ref ${JSON.stringify(ref)}`, 'permanent');
}

function assertPath(path: string): void {
  if (!isValidRepositoryPath(path)) {
    throw new GitHostError(`invalid repository path ${JSON.stringify(path)}`, 'permanent');
  }
}

/** Modes of regular files (plain and executable); a symbolic link (120000) is a blob holding a path. */
const REGULAR = new Set([FILE_MODE, '100755']);

/** Paths in JavaScript string order (the same as git's byte order for ASCII paths). */
const byPath = (a: TreeFile, b: TreeFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Claims made at or before this time have outlived the lease. */
const leaseCutoff = (now: Date) => new Date(now.getTime() - MERGE_LEASE_MS).toISOString();

/** Why a pull request cannot be merged or closed now: it is not open, or a merge holds it. */
function notOpen(pr: PullRequestRow): GitHostError {
  const state = pr.state === 'open' ? 'being merged' : pr.state;
  return new GitHostError(`pull request #${pr.number} is ${state}`, 'invalid_state');
}

const lostRace = (ref: string) => new GitHostError(`${ref} kept moving; gave up for now`, 'transient');

function databaseError(error: unknown): GitHostError {
  return new GitHostError(`pull request store: ${(error as Error).message}`, 'transient');
}
