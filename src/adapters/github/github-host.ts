/**
 * The git host on GitHub's REST API. Each step is idempotent and spends as few calls as it can; the
 * worker's normal path (base head, file on the base, branch, file, pull request) costs 2 reads and
 * 3 mutations, plus one mutation each for labels and reviewers when the pull request asks for them:
 *
 *   headOf(base)              GET  git/ref/heads/{base}
 *   readFile(baseHead, path)  GET  contents/{path}?ref={baseHead}   (404: null; the blob is remembered)
 *   ensureBranch              POST git/refs                        (422 exists: GET the ref, go on)
 *   openPullRequests          GET  pulls?head=owner:branch         (only when the branch was there already:
 *                                                                   another request's open pull request on it
 *                                                                   stops the worker before the file step)
 *   resetBranch               GET  git/ref/heads/{branch}, then    (only when the branch was there already with
 *                             PATCH git/refs/heads/{branch}         no pull request open, and another request's
 *                                                                   file: started afresh from the base head)
 *   ensureFile                PUT  contents/{path}                 (only when the content differs; a branch
 *                                                                   just made from a commit we read needs no read)
 *   ensurePullRequest         POST pulls                           (422 exists: GET pulls?head=, reuse it
 *                                                                   when its marker names this request)
 *                             POST issues/{n}/labels, POST pulls/{n}/requested_reviewers
 *
 * Changing and retiring a database, and listing what the base holds:
 *
 *   ensureFileRemoved         DELETE contents/{path}              (only when the branch has the file; with its
 *                                                                   blob sha, read like ensureFile's)
 *   listFiles(commit, dir)    GET  git/trees/{commit}?recursive=1  (one call for the whole tree; when GitHub
 *                                                                   truncates it, one call per tree on the way
 *                                                                   down to the directory and below it)
 *   readBlob(blob)            GET  git/blobs/{blob}
 *   readDirectory(commit, dir) GET  tarball/{commit}               (one call for every file under the directory:
 *                                                                   GitHub answers 302 to codeload, which fetch
 *                                                                   follows without the Authorization header, as for
 *                                                                   any other origin; the codeload URL carries its
 *                                                                   own short-lived token; see directory-archive.ts)
 *
 * What the pipeline reports back:
 *
 *   upsertPullRequestComment  GET  user, or GET app                (once per host: whose comments are ours)
 *                             GET  issues/{n}/comments            (100 a page, up to 10 pages: our comment is
 *                                                                   the first one our own account wrote whose body
 *                                                                   carries the marker; a stranger's never counts)
 *                             PATCH issues/comments/{id}          (only when its body differs)
 *                             or POST issues/{n}/comments         (when there is none)
 *   containsCommit            GET  compare/{commit}...{branch}    (identical or ahead: on the branch; behind or
 *                                                                   diverged: not; 404: no such commit or branch)
 *
 * A 404 is "not there" only once the repository has answered; otherwise one GET of the repository tells a
 * missing branch or file from a repository that is missing or hidden from these credentials.
 */

import type { Endpoints, RequestRequestOptions } from '@octokit/types';
import { isObjectId } from '../../domain/object-id.js';
import { belongsTo, pullRequestInUseReason } from '../../domain/pull-request-owner.js';
import {
  DIRECTORY_READ_LIMIT_BYTES,
  type DirectoryFile,
  directoryTooLarge,
  type FileChange,
  type FileRemoval,
  type GitHost,
  GitHostError,
  type Logger,
  type OpenPullRequest,
  type PullRequestSpec,
  type TreeFile,
} from '../../ports.js';
import { requestIdFromBody } from '../../render/pull-request-marker.js';
import { assertBranchName, assertComment, assertCommitId } from '../git-host-input.js';
import { readDirectoryArchive } from './directory-archive.js';
import { classifyError, githubMessage, isRequestError, type RequestErrorLike, redact } from './errors.js';
import type { GitHubClient } from './octokit.js';
import { listTreeFiles } from './tree-listing.js';

export interface GitHubHostOptions {
  client: GitHubClient;
  owner: string;
  repo: string;
  /** Defaults for pull requests whose spec names none. */
  labels?: string[];
  reviewers?: { users?: string[]; teams?: string[] };
  draft?: boolean;
  /** Entries of the file cache (commit and path → blob); 256 by default. */
  cacheSize?: number;
  logger?: Logger;
}

/** Calls this host made, one per API call (the client counts HTTP attempts, retries included). */
export interface GitHubHostCounters {
  reads: number;
  mutations: number;
}

interface FileState {
  sha: string;
  content: string;
}

/** What a file write made: its commit, and the file there (null: gone; undefined: not known). */
interface Written {
  commit: string | undefined;
  file: FileState | null | undefined;
}

interface PullData {
  number: number;
  html_url: string;
  body?: string | null;
  merged_at?: string | null;
  labels?: Array<{ name?: string } | string>;
  requested_reviewers?: Array<{ login: string } | null> | null;
  requested_teams?: Array<{ slug: string }> | null;
}

/** Comments read a page, and pages read at most, looking for the service's comment on a pull request. */
const COMMENTS_PER_PAGE = 100;
const COMMENT_PAGES = 10;
const byPath = (a: DirectoryFile, b: DirectoryFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
/** How long a head ensureBranch saw stands in for a read in the ensureFile that follows. */
const SEEN_TTL_MS = 60_000;

const statusOf = (error: unknown): number | undefined =>
  isRequestError(error) && error.response ? error.status : undefined;

export class GitHubHost implements GitHost {
  private readonly client: GitHubClient;
  private readonly owner: string;
  private readonly repo: string;
  private readonly logger: Logger | undefined;
  private readonly defaults: Pick<GitHubHostOptions, 'labels' | 'reviewers' | 'draft'>;
  private readonly cacheSize: number;
  /** Blob at a commit and path (null: no file there). Commits never change, so neither do entries. */
  private readonly files = new Map<string, FileState | null>();
  /** Heads ensureBranch just saw, for the ensureFile that follows; taken once, and only while fresh. */
  private readonly branchHeads = new Map<string, { head: string; at: number }>();
  private repositoryConfirmed = false;
  /** The login whose comments are ours, once asked (see ownLogin). */
  private login: Promise<string> | undefined;
  private readonly counts: GitHubHostCounters = { reads: 0, mutations: 0 };

  constructor(options: GitHubHostOptions) {
    this.client = options.client;
    this.owner = options.owner;
    this.repo = options.repo;
    this.logger = options.logger ?? options.client.logger;
    this.defaults = { labels: options.labels, reviewers: options.reviewers, draft: options.draft };
    this.cacheSize = options.cacheSize ?? 256;
  }

  get repository(): string {
    return `${this.owner}/${this.repo}`;
  }

  /** API calls so far: reads and mutations. Take a copy before and after to count one request's. */
  counters(): GitHubHostCounters {
    return { ...this.counts };
  }

  async headOf(branch: string): Promise<string | null> {
    const what = `read the head of branch ${branch} in ${this.repository}`;
    try {
      const { data } = await this.read('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        ref: `heads/${branch}`,
      });
      return data.object.sha;
    } catch (error) {
      if (statusOf(error) !== 404) throw this.classify(error, what);
      await this.confirmRepository(what, error);
      return null;
    }
  }

  async readFile(ref: string, path: string): Promise<string | null> {
    return (await this.fileAt(ref, path))?.content ?? null;
  }

  async ensureBranch(branch: string, fromCommit: string): Promise<{ created: boolean; head: string }> {
    const what = `create branch ${branch} in ${this.repository}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.mutate('POST /repos/{owner}/{repo}/git/refs', {
          ref: `refs/heads/${branch}`,
          sha: fromCommit,
        });
        this.branchHeads.set(branch, { head: fromCommit, at: Date.now() });
        return { created: true, head: fromCommit };
      } catch (error) {
        if (!this.isValidation(error, /reference already exists/i)) {
          if (statusOf(error) === 404) await this.confirmRepository(what, error);
          throw this.classify(error, what);
        }
      }
      // Ours from an earlier attempt (the file step makes its content ours), or a race we lost.
      const head = await this.headOf(branch);
      if (head) {
        this.branchHeads.set(branch, { head, at: Date.now() });
        return { created: false, head };
      }
      // Deleted between our create and our read: once more, then let the queue retry.
      if (attempt >= 2)
        throw new GitHostError(`branch ${branch} in ${this.repository} keeps changing`, 'transient');
    }
  }

  /**
   * GitHub has no compare-and-swap for a ref: the head is read and compared, then the ref is forced to the
   * commit. A push that lands in between (one round trip) is overwritten; the worker resets only a branch
   * an earlier request left behind, with no pull request open on it, so nobody else should be writing there.
   */
  async resetBranch(branch: string, toCommit: string, expectedHead: string): Promise<boolean> {
    assertBranchName(branch);
    // What ensureBranch saw no longer stands in for a read, whatever happens here.
    this.branchHeads.delete(branch);
    if ((await this.headOf(branch)) !== expectedHead) return false;
    const what = `reset branch ${branch} to ${toCommit} in ${this.repository}`;
    try {
      await this.mutate('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ref: `heads/${branch}`,
        sha: toCommit,
        force: true,
      });
    } catch (error) {
      // Deleted since the read: it moved.
      if (this.isValidation(error, /reference does not exist/i)) return false;
      throw this.classify(error, what);
    }
    this.branchHeads.set(branch, { head: toCommit, at: Date.now() });
    return true;
  }

  async ensureFile(change: FileChange): Promise<{ committed: boolean; head: string }> {
    const what = `write ${change.path} on branch ${change.branch} in ${this.repository}`;
    return this.settleFile(change.branch, change.path, what, (state) => {
      if (state && state.content === change.content) return undefined;
      return async () => {
        const { data } = await this.mutate('PUT /repos/{owner}/{repo}/contents/{path}', {
          path: change.path,
          branch: change.branch,
          message: change.message,
          content: Buffer.from(change.content, 'utf8').toString('base64'),
          ...(state ? { sha: state.sha } : {}),
        });
        const blob = data.content?.sha;
        return { commit: data.commit.sha, file: blob ? { sha: blob, content: change.content } : undefined };
      };
    });
  }

  async ensureFileRemoved(removal: FileRemoval): Promise<{ committed: boolean; head: string }> {
    const what = `remove ${removal.path} on branch ${removal.branch} in ${this.repository}`;
    return this.settleFile(removal.branch, removal.path, what, (state) => {
      if (!state) return undefined;
      return async () => {
        const { data } = await this.mutate('DELETE /repos/{owner}/{repo}/contents/{path}', {
          path: removal.path,
          branch: removal.branch,
          message: removal.message,
          sha: state.sha,
        });
        return { commit: data.commit.sha, file: null };
      };
    });
  }

  async listFiles(commit: string, directory: string): Promise<TreeFile[]> {
    const what = `list the files under ${directory || 'the root'} at ${commit} in ${this.repository}`;
    return listTreeFiles(commit, directory, async (sha, recursive) => {
      try {
        const { data } = await this.read('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
          tree_sha: sha,
          ...(recursive ? { recursive: '1' } : {}),
        });
        return data;
      } catch (error) {
        if (statusOf(error) !== 404) throw this.classify(error, what);
        await this.confirmRepository(what, error);
        const which = sha === commit ? 'commit' : 'tree';
        throw new GitHostError(`${which} ${sha} not found in ${this.repository}`, 'not_found');
      }
    });
  }

  async readBlob(blob: string): Promise<string> {
    if (!isObjectId(blob)) {
      throw new GitHostError(`not a blob id: ${JSON.stringify(blob.slice(0, 80))}`, 'not_found');
    }
    const what = `read blob ${blob} in ${this.repository}`;
    try {
      return await this.blobText(blob);
    } catch (error) {
      if (statusOf(error) !== 404) throw this.classify(error, what);
      await this.confirmRepository(what, error);
      throw new GitHostError(`blob ${blob} not found in ${this.repository}`, 'not_found');
    }
  }

  async readDirectory(commit: string, directory: string): Promise<DirectoryFile[]> {
    const dir = directory.replace(/^\/+|\/+$/g, '');
    const what = `read the files under ${dir || 'the root'} at ${commit} in ${this.repository}`;
    let archive: ReadableStream<Uint8Array> | null;
    try {
      // The body unread: it is streamed through gunzip and the tar reader, not held whole.
      const { data } = await this.read('GET /repos/{owner}/{repo}/tarball/{ref}', {
        ref: commit,
        request: { parseSuccessResponseBody: false },
      });
      archive = data as ReadableStream<Uint8Array> | null;
    } catch (error) {
      if (statusOf(error) !== 404) throw this.classify(error, what);
      await this.confirmRepository(what, error);
      throw new GitHostError(`commit ${commit} not found in ${this.repository}`, 'not_found');
    }
    if (!archive) throw new GitHostError(`GitHub sent no archive when asked to ${what}`, 'transient');
    try {
      const files = await readDirectoryArchive(archive, dir, DIRECTORY_READ_LIMIT_BYTES, (bytes) =>
        directoryTooLarge(dir, commit, bytes),
      );
      return files.sort(byPath);
    } catch (error) {
      if (error instanceof GitHostError) throw error;
      // A download cut short, or not an archive: another attempt may fare better. (No URL in the message:
      // codeload's carries a token.)
      const reason = (error as Error).message.replace(/\bhttps?:\/\/\S+/g, '<url>');
      throw new GitHostError(redact(`could not ${what}: ${reason}`, this.client.secrets), 'transient');
    }
  }

  async ensurePullRequest(spec: PullRequestSpec): Promise<{ number: number; url: string; created: boolean }> {
    const what = `open a pull request from ${spec.branch} into ${spec.base} in ${this.repository}`;
    const labels = spec.labels ?? this.defaults.labels ?? [];
    const users = spec.reviewers?.users ?? this.defaults.reviewers?.users ?? [];
    const teams = spec.reviewers?.teams ?? this.defaults.reviewers?.teams ?? [];
    let draft = spec.draft ?? this.defaults.draft ?? false;

    let pull: PullData | undefined;
    let created = false;
    for (let attempt = 1; !pull; attempt++) {
      try {
        const { data } = await this.mutate('POST /repos/{owner}/{repo}/pulls', {
          title: spec.title,
          body: spec.body,
          head: spec.branch,
          base: spec.base,
          ...(draft ? { draft: true } : {}),
        });
        pull = data;
        created = true;
      } catch (error) {
        if (this.isValidation(error, /pull request already exists/i)) {
          pull = await this.findPull(spec, 'open', what);
          if (!pull)
            throw new GitHostError(
              `GitHub says a pull request is open for ${spec.branch} but lists none`,
              'transient',
            );
          const owned = { number: pull.number, requestId: requestIdFromBody(pull.body) };
          if (!belongsTo(owned, spec.requestId))
            throw new GitHostError(pullRequestInUseReason(owned, spec.branch), 'conflict');
        } else if (this.isValidation(error, /no commits between/i)) {
          // The branch holds nothing the base lacks: our file is on the base already, merged through our
          // earlier pull request. That one is the answer.
          pull = await this.findPull(spec, 'merged', what);
          if (!pull) throw this.classify(error, what);
        } else if (this.isValidation(error, /\bhead\b.*\binvalid\b/i)) {
          // The branch is gone (deleted since the file step): the next attempt makes it again.
          throw new GitHostError(`branch ${spec.branch} does not exist in ${this.repository}`, 'transient');
        } else if (draft && attempt === 1 && this.isValidation(error, /draft/i)) {
          this.log('warn', 'draft pull requests are not available in this repository; opening a ready one', {
            repository: this.repository,
            branch: spec.branch,
          });
          draft = false;
        } else {
          if (statusOf(error) === 404) await this.confirmRepository(what, error);
          throw this.classify(error, what);
        }
      }
    }

    // A merged pull request takes no labels or reviewers worth asking for.
    if (!pull.merged_at) await this.dress(pull, created, { labels, users, teams });
    this.log('info', created ? 'github pull request opened' : 'github pull request reused', {
      repository: this.repository,
      pr: pull.number,
      request_id: spec.requestId,
    });
    return { number: pull.number, url: pull.html_url, created };
  }

  async openPullRequests(branch: string): Promise<OpenPullRequest[]> {
    const what = `list the open pull requests from ${branch} in ${this.repository}`;
    try {
      const { data } = await this.read('GET /repos/{owner}/{repo}/pulls', {
        head: `${this.owner}:${branch}`,
        state: 'open',
        per_page: 100,
      });
      return (data as PullData[]).map((pull) => ({
        number: pull.number,
        url: pull.html_url,
        requestId: requestIdFromBody(pull.body),
      }));
    } catch (error) {
      throw this.classify(error, what);
    }
  }

  /**
   * GitHub has no compare-and-swap for comments: two upserts of one pull request at the same moment may
   * both create one. The next upsert edits the oldest of ours; the other stays as it was.
   */
  async upsertPullRequestComment(
    number: number,
    marker: string,
    body: string,
  ): Promise<{ created: boolean; updated: boolean }> {
    assertComment(number, marker, body);
    const what = `comment on pull request #${number} in ${this.repository}`;
    const ours = await this.ownComment(number, marker, what);
    if (ours?.body === body) return { created: false, updated: false };
    if (ours) {
      try {
        await this.mutate('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          comment_id: ours.id,
          body,
        });
        return { created: false, updated: true };
      } catch (error) {
        // Deleted since it was listed: write it anew.
        if (statusOf(error) !== 404) throw this.classify(error, what);
      }
    }
    try {
      await this.mutate('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        issue_number: number,
        body,
      });
    } catch (error) {
      if (statusOf(error) === 404) throw this.pullNotFound(number);
      throw this.classify(error, what);
    }
    return { created: true, updated: false };
  }

  async containsCommit(branch: string, commit: string): Promise<boolean> {
    assertBranchName(branch);
    assertCommitId(commit);
    const what = `compare ${commit} with branch ${branch} in ${this.repository}`;
    try {
      // One commit listed at most: only the status is read.
      const { data } = await this.read('GET /repos/{owner}/{repo}/compare/{basehead}', {
        basehead: `${commit}...${branch}`,
        per_page: 1,
      });
      return data.status === 'identical' || data.status === 'ahead';
    } catch (error) {
      if (statusOf(error) !== 404) throw this.classify(error, what);
      await this.confirmRepository(what, error);
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * The service's comment of this marker: the first, oldest first, that our own account wrote and whose
   * body carries the marker. Anyone may write the marker into a comment; only ours is ever edited.
   */
  private async ownComment(
    number: number,
    marker: string,
    what: string,
  ): Promise<{ id: number | bigint; body: string } | undefined> {
    const login = (await this.ownLogin()).toLowerCase();
    for (let page = 1; page <= COMMENT_PAGES; page++) {
      let comments: Array<{ id: number | bigint; body?: string; user: { login: string } | null }>;
      let more: boolean;
      try {
        const { data, headers } = await this.read(
          'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
          { issue_number: number, per_page: COMMENTS_PER_PAGE, page },
        );
        comments = data;
        more = /\brel="next"/.test(headers.link ?? '');
      } catch (error) {
        if (statusOf(error) !== 404) throw this.classify(error, what);
        await this.confirmRepository(what, error);
        throw this.pullNotFound(number);
      }
      const ours = comments.find(
        (c) => c.user?.login.toLowerCase() === login && (c.body ?? '').includes(marker),
      );
      if (ours) return { id: ours.id, body: ours.body ?? '' };
      if (!more) return undefined;
    }
    // Past the bound another comment could be ours: adding one more would leave two.
    throw new GitHostError(
      `pull request #${number} in ${this.repository} has more than ${COMMENTS_PER_PAGE * COMMENT_PAGES} comments; the service's ${marker} comment was not searched for further`,
      'permanent',
    );
  }

  /**
   * The login of the account the credentials act as, whose comments are the service's: a token's user
   * (GET /user), or a GitHub App's bot, `{slug}[bot]` (GET /app, which the app answers to its JWT). Asked
   * once per host; a failure is not remembered.
   */
  private ownLogin(): Promise<string> {
    if (!this.login) {
      const asking = this.askLogin();
      this.login = asking;
      asking.catch(() => {
        if (this.login === asking) this.login = undefined;
      });
    }
    return this.login;
  }

  private async askLogin(): Promise<string> {
    const app = this.client.credential === 'app';
    const what = `find out which GitHub account the credentials act as (GET /${app ? 'app' : 'user'})`;
    try {
      if (app) {
        const { data } = await this.read('GET /app', {});
        if (!data?.slug) throw new GitHostError(`GitHub named no app when asked to ${what}`, 'transient');
        return `${data.slug}[bot]`;
      }
      const { data } = await this.read('GET /user', {});
      return data.login;
    } catch (error) {
      throw this.classify(error, what);
    }
  }

  private pullNotFound(number: number): GitHostError {
    return new GitHostError(`no pull request #${number} in ${this.repository}`, 'not_found');
  }

  /** Labels and reviewers the pull request lacks. Best effort past a refusal: the pull request stands. */
  private async dress(
    pull: PullData,
    created: boolean,
    want: { labels: string[]; users: string[]; teams: string[] },
  ): Promise<void> {
    const has = (list: string[], item: string) => list.some((x) => x.toLowerCase() === item.toLowerCase());
    const haveLabels = created
      ? []
      : (pull.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
    const haveUsers = created ? [] : (pull.requested_reviewers ?? []).flatMap((u) => (u ? [u.login] : []));
    const haveTeams = created ? [] : (pull.requested_teams ?? []).map((t) => t.slug);
    const labels = want.labels.filter((l) => !has(haveLabels, l));
    const users = want.users.filter((u) => !has(haveUsers, u));
    const teams = want.teams.filter((t) => !has(haveTeams, t));

    if (labels.length) {
      await this.bestEffort(`label pull request #${pull.number} in ${this.repository}`, () =>
        this.mutate('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          issue_number: pull.number,
          labels,
        }),
      );
    }
    if (users.length || teams.length) {
      await this.bestEffort(`request reviewers on pull request #${pull.number} in ${this.repository}`, () =>
        this.mutate('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', {
          pull_number: pull.number,
          reviewers: users,
          team_reviewers: teams,
        }),
      );
    }
  }

  private async bestEffort(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const failure = this.classify(error, what);
      // Transient: the queue retries the request, which finds the pull request and tries again.
      if (failure.kind === 'transient') throw failure;
      this.log('warn', 'github: could not finish dressing the pull request', {
        repository: this.repository,
        error: failure.message,
      });
    }
  }

  /** The open pull request for the branch, or (`merged`) the newest merged one. */
  private async findPull(
    spec: PullRequestSpec,
    which: 'open' | 'merged',
    what: string,
  ): Promise<PullData | undefined> {
    try {
      const { data } = await this.read('GET /repos/{owner}/{repo}/pulls', {
        head: `${this.owner}:${spec.branch}`,
        base: spec.base,
        state: which === 'open' ? 'open' : 'closed',
        per_page: 30,
      });
      const pulls = data as PullData[];
      return which === 'open' ? pulls[0] : pulls.find((p) => p.merged_at);
    } catch (error) {
      throw this.classify(error, what);
    }
  }

  /**
   * Brings one file on a branch to what `plan` wants, idempotently: reads the file there, and writes only
   * when `plan` returns a write (none: the branch holds it as wanted). When the branch moved under the write
   * (409, or a 422 about the sha: someone else's commit, or an earlier attempt of ours) it reads again and
   * writes once more. After a 404 it reads again too: a branch gone since is transient (the next attempt
   * makes it again); a file that is as wanted by then (someone removed it first) is done; else the 404
   * stands (we cannot write there).
   */
  private async settleFile(
    branch: string,
    path: string,
    what: string,
    plan: (state: FileState | null) => (() => Promise<Written>) | undefined,
  ): Promise<{ committed: boolean; head: string }> {
    let { head, state } = await this.branchFile(branch, path, true);
    let notFound: unknown;
    for (let attempt = 1; ; attempt++) {
      const write = plan(state);
      if (!write) return { committed: false, head };
      if (notFound) throw this.classify(notFound, what);
      try {
        const { commit, file } = await write();
        if (!commit)
          throw new GitHostError(`GitHub did not name the commit after it tried to ${what}`, 'transient');
        if (file !== undefined) this.remember(commit, path, file);
        return { committed: true, head: commit };
      } catch (error) {
        const status = statusOf(error);
        const raced = status === 409 || this.isValidation(error, /\bsha\b/i);
        if (!raced && status !== 404) throw this.classify(error, what);
        if (raced && attempt >= 2) {
          throw new GitHostError(
            `branch ${branch} in ${this.repository} moved twice while we tried to ${what}`,
            'transient',
          );
        }
        if (status === 404) notFound = error;
        ({ head, state } = await this.branchFile(branch, path, false));
      }
    }
  }

  /** The branch's head and the file there: from what ensureBranch just saw when it can, else two reads. */
  private async branchFile(
    branch: string,
    path: string,
    useSeen: boolean,
  ): Promise<{ head: string; state: FileState | null }> {
    const entry = this.branchHeads.get(branch);
    this.branchHeads.delete(branch);
    const seen = useSeen && entry && Date.now() - entry.at < SEEN_TTL_MS ? entry.head : undefined;
    const key = seen ? this.fileKey(seen, path) : undefined;
    if (seen && key && this.files.has(key)) return { head: seen, state: this.files.get(key) ?? null };
    const head = seen ?? (await this.headOf(branch));
    if (!head) throw new GitHostError(`branch ${branch} does not exist in ${this.repository}`, 'transient');
    return { head, state: await this.fileAt(head, path) };
  }

  private async fileAt(ref: string, path: string): Promise<FileState | null> {
    const key = isObjectId(ref) ? this.fileKey(ref, path) : undefined;
    if (key && this.files.has(key)) {
      const state = this.files.get(key) ?? null;
      // Refresh its place: the map is kept in use order.
      this.files.delete(key);
      this.files.set(key, state);
      return state;
    }
    const what = `read ${path} at ${ref} in ${this.repository}`;
    let state: FileState | null;
    try {
      const { data } = await this.read('GET /repos/{owner}/{repo}/contents/{path}', { path, ref });
      state = await this.decodeFile(data, what);
    } catch (error) {
      if (statusOf(error) !== 404) throw this.classify(error, what);
      await this.confirmRepository(what, error);
      state = null;
    }
    if (key) this.remember(ref, path, state);
    return state;
  }

  private async decodeFile(data: unknown, what: string): Promise<FileState | null> {
    // A directory lists its entries; a symlink or submodule is not a file we can hold.
    if (Array.isArray(data) || !data || typeof data !== 'object') return null;
    const file = data as { type?: string; sha?: string; content?: string; encoding?: string };
    if (file.type !== 'file' || !file.sha) return null;
    if (file.encoding === 'base64' && typeof file.content === 'string') {
      return { sha: file.sha, content: Buffer.from(file.content, 'base64').toString('utf8') };
    }
    // Files over 1 MB come without content: fetch the blob.
    const content = await this.blobText(file.sha).catch((error: unknown) => {
      throw this.classify(error, what);
    });
    return { sha: file.sha, content };
  }

  private async blobText(sha: string): Promise<string> {
    const { data } = await this.read('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { file_sha: sha });
    return data.encoding === 'base64' ? Buffer.from(data.content, 'base64').toString('utf8') : data.content;
  }

  private fileKey(commit: string, path: string): string {
    return `${commit}\0${path}`;
  }

  private remember(commit: string, path: string, state: FileState | null): void {
    const key = this.fileKey(commit, path);
    this.files.delete(key);
    this.files.set(key, state);
    while (this.files.size > this.cacheSize) {
      const oldest = this.files.keys().next().value;
      if (oldest === undefined) break;
      this.files.delete(oldest);
    }
  }

  /**
   * After a 404: when the repository has never answered, one GET of it. A missing or hidden repository is
   * permanent; a repository that is there means the 404 was about the branch, file or commit.
   */
  private async confirmRepository(what: string, notFound: unknown): Promise<void> {
    if (this.repositoryConfirmed) return;
    try {
      await this.read('GET /repos/{owner}/{repo}', {});
      this.repositoryConfirmed = true;
    } catch (error) {
      if (statusOf(error) === 404) {
        const detail = isRequestError(notFound) ? githubMessage(notFound) : 'Not Found';
        throw new GitHostError(
          redact(
            `repository ${this.repository} not found at ${this.client.baseUrl} (404 ${detail}) while trying to ${what}; it does not exist or these credentials cannot see it`,
            this.client.secrets,
          ),
          'permanent',
        );
      }
      throw this.classify(error, what);
    }
  }

  private isValidation(error: unknown, pattern: RegExp): boolean {
    return statusOf(error) === 422 && pattern.test(githubMessage(error as RequestErrorLike));
  }

  private classify(error: unknown, what: string): GitHostError {
    return classifyError(error, {
      what,
      repository: this.repository,
      secrets: this.client.secrets,
      time: this.client.time,
    });
  }

  private log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    this.logger?.[level](message, fields);
  }

  private read<R extends Route>(route: R, params: Params<R>): Promise<Response<R>> {
    this.counts.reads++;
    return this.send(route, params);
  }

  private mutate<R extends Route>(route: R, params: Params<R>): Promise<Response<R>> {
    this.counts.mutations++;
    return this.send(route, params);
  }

  private async send<R extends Route>(route: R, params: Params<R>): Promise<Response<R>> {
    const request = this.client.octokit.request as unknown as (
      route: string,
      params: Record<string, unknown>,
    ) => Promise<Response<R>>;
    // Routes of the repository name it; /user and /app do not, and say nothing about it.
    const ofRepository = route.includes('{owner}');
    const scope = ofRepository ? { owner: this.owner, repo: this.repo } : {};
    const response = await request(route, { ...scope, ...params });
    if (ofRepository) this.repositoryConfirmed = true;
    return response;
  }
}

type Route = keyof Endpoints;
/** A route's parameters (the host fills in owner and repo), and Octokit's per-request options. */
type Params<R extends Route> = Omit<Endpoints[R]['parameters'], 'owner' | 'repo'> & {
  request?: RequestRequestOptions;
};
type Response<R extends Route> = Endpoints[R]['response'];
