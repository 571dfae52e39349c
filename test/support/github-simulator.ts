/**
 * A stateful GitHub REST API simulator for tests: an HTTP server on a loopback port that holds one repository
 * (refs, commits, files, pull requests, labels) and implements exactly the operations the GitHub host uses,
 * answering as GitHub does, errors included. Newer resources live in modules of ./github-simulator/ (file
 * removal, git trees and blobs), which see the repository through `SimRepository`.
 *
 * Every request and every response passes through validators built from GitHub's published OpenAPI
 * description (./github-openapi.ts); what GitHub would refuse, or a response GitHub could not have sent, is
 * recorded in `problems`, so a test asserts `expect(sim.problems).toEqual([])`.
 *
 * Rate limits as GitHub documents them (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * x-ratelimit-* headers on every response; a primary limit per hour (403 with x-ratelimit-remaining: 0 when
 * exhausted); secondary limits on content-creating requests per minute and per hour (80 and 500 by default)
 * and on concurrent requests (100), answered 403 (or 429) with `retry-after` and the message "You have
 * exceeded a secondary rate limit"; each refusal is counted in `violations`. `timeScale` compresses time:
 * with 60, a scaled minute lasts one real second and a scaled hour one real minute, and reset times and
 * retry-after values (always real seconds on the wire) follow.
 *
 * Faults: 5xx answers, connection resets, delays and forced primary/secondary limits, by request ordinal or
 * predicate (`options.faults`, `schedule()`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  findOperation,
  type OpenApiOperation,
  validateErrorBody,
  validateRequestDetailed,
  validateResponse,
} from './github-openapi.js';
import { archiveEndpoints, startCodeload } from './github-simulator/archive.js';
import { compareEndpoints } from './github-simulator/compare.js';
import { contentsEndpoints, signatures } from './github-simulator/contents.js';
import { gitDataEndpoints } from './github-simulator/git-data.js';
import { type FileMode, gitBlobSha, gitObjectSha, TreeStore } from './github-simulator/git-objects.js';
import { gitWriteEndpoints } from './github-simulator/git-write.js';
import {
  appJson,
  appJwtProblem,
  botLogin,
  identityEndpoints,
  type SimApp,
} from './github-simulator/identity.js';
import {
  IssueCommentStore,
  issueCommentEndpoints,
  type SimComment,
} from './github-simulator/issue-comments.js';
import type { Commit, Person, SimRepository } from './github-simulator/repository.js';
import {
  type Answer,
  base64Lines,
  DOCS,
  type EndpointContext,
  isoSeconds,
  message,
  nodeId,
  notFound,
  validationFailed,
} from './github-simulator/wire.js';

export { gitBlobSha, type SimApp, type SimComment };

// ---------------------------------------------------------------------------------------------------------
// Public types

export interface SecondaryLimitOptions {
  /** Content-creating requests (POST, PUT, PATCH, DELETE) admitted per scaled minute. Default 80. */
  contentPerMinute?: number;
  /** Content-creating requests admitted per scaled hour. Default 500. */
  contentPerHour?: number;
  /** Requests in flight at once. Default 100 (GitHub's documented limit). */
  maxConcurrent?: number;
  /** Content-creating requests in flight at once. Default: no limit beyond `maxConcurrent`. */
  maxConcurrentContent?: number;
  /** Status of a secondary-limit refusal; GitHub documents 403 or 429. Default 403. */
  status?: 403 | 429;
}

/**
 * A file that is not a plain one: an executable, or a symbolic link (its content is the path it points at).
 * A path keeps the mode it was last given (by `files` or commitFiles) in every commit made after.
 */
export interface SimFile {
  content: string | Uint8Array;
  mode: FileMode;
}

export type SimFileContent = string | Uint8Array | SimFile;

export interface GitHubSimulatorOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Files of the first commit on the default branch, by path. Default: README.md and terraform/live/existing.tf. */
  files?: Record<string, SimFileContent>;
  /** Accepted tokens (`Authorization: token X` or `Bearer X`), or a predicate. Default ['test-token']. */
  tokens?: string[] | ((token: string) => boolean);
  /** The authenticated user: author of commits, pull requests and comments. Default 'rds-provisioner-bot'. */
  login?: string;
  /**
   * The tokens are a GitHub App's installation tokens: the authenticated account is the app's bot
   * (`{slug}[bot]`, instead of `login`), GET /user refuses them, and GET /app answers the app's JWT.
   */
  app?: SimApp;
  /** Users reviews may be requested from; any user when absent. */
  collaborators?: string[];
  /** Scaled seconds per real second for every limit, reset time and retry-after. Default 1. */
  timeScale?: number;
  /** Primary rate limit, requests per (scaled) hour. Default 5000. */
  primaryLimit?: number;
  /** Status when the primary limit is exhausted: 403 or 429. Default 403. */
  primaryStatus?: 403 | 429;
  secondary?: SecondaryLimitOptions;
  faults?: FaultRule[];
  /** A path prefix for the API, as on GitHub Enterprise Server ('/api/v3'). Default none. */
  pathPrefix?: string;
  /** Base of html_url values. Default 'https://github.com'. */
  htmlBaseUrl?: string;
  /** Most entries a recursive GET git/trees lists before it says `truncated` (GitHub: 100,000). */
  treeEntryLimit?: number;
  /**
   * Validate every response against GitHub's description (about 1 ms for a pull request). Default true;
   * a benchmark may turn it off. Requests are always validated.
   */
  validateResponses?: boolean;
}

/** What a fault predicate sees of a request. */
export interface SimRequestInfo {
  /** 1-based ordinal over every request the simulator has received. */
  n: number;
  method: string;
  /** The pathname as sent (without the path prefix), still percent-encoded. */
  path: string;
  /** 'METHOD /template' of the operation, or undefined when the path is not one the simulator serves. */
  route: string | undefined;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, when there is one and it parses. */
  body: unknown;
}

export type Fault =
  /** Answer with this status (GitHub's Basic Error body unless `body` is given); nothing is done. */
  | { kind: 'status'; status: 500 | 502 | 503 | 504; body?: unknown }
  /** Destroy the connection without an answer (the client sees a socket reset). */
  | { kind: 'reset' }
  /** Handle the request normally, but wait this long (real milliseconds) just before the endpoint runs. */
  | { kind: 'delay'; ms: number }
  /** Answer as if the primary limit were exhausted; x-ratelimit-reset lies `resetIn` real seconds ahead (default 1). */
  | { kind: 'primary-limit'; resetIn?: number }
  /** Answer as a secondary limit does, with this retry-after (real seconds; default one scaled minute). */
  | { kind: 'secondary-limit'; retryAfter?: number; status?: 403 | 429 };

export interface FaultRule {
  /** Request ordinal(s) (1-based, over every request received) the fault answers. */
  requests?: number | number[];
  /** Or: requests for which this returns true. */
  match?: (request: SimRequestInfo) => boolean;
  /** How many times the rule fires. Default: once per ordinal in `requests`; once for `match`. */
  times?: number;
  /**
   * The fault. A rule without one only observes: its `match` runs on every request, before the request is
   * handled (to change state at that moment, e.g. another actor's commit), and nothing is injected.
   */
  fault?: Fault;
}

export type ViolationKind =
  | 'content-per-minute'
  | 'content-per-hour'
  | 'concurrency'
  | 'concurrent-content'
  | 'primary';

export interface Violation {
  kind: ViolationKind;
  n: number;
  method: string;
  path: string;
  /** Real epoch milliseconds. */
  at: number;
}

export interface RequestRecord {
  n: number;
  method: string;
  path: string;
  route: string | undefined;
  /** The answered status; 0 for a reset connection. */
  status: number;
  /** Set when a fault rule answered or delayed the request. */
  fault?: Fault['kind'];
  /** Set when the request reached the endpoint (past faults, auth, limits and validation). */
  handled: boolean;
  /** The branch the request read or changed, when there is one (head branch for pull request operations). */
  branch?: string;
  startedAt: number;
  endedAt?: number;
}

export interface Counters {
  /** Every request received. */
  requests: number;
  /** Every request received, by 'METHOD /template' ('METHOD /path' when no operation matches). */
  byRoute: Record<string, number>;
  /** GET requests that reached their endpoint (past faults, auth, limits and request validation). */
  reads: number;
  /** Non-GET requests that reached their endpoint. */
  mutations: number;
  /** `reads` by the branch read (contents: `ref` or the default branch; pulls: head branch). */
  readsByBranch: Record<string, number>;
  /** `mutations` by the branch changed (refs, contents) or the pull request's head branch. */
  mutationsByBranch: Record<string, number>;
  /** Fault rules fired. */
  faults: number;
  /** Most requests in flight at once, and most content-creating ones. */
  maxInFlight: number;
  maxInFlightContent: number;
}

export interface PullSnapshot {
  number: number;
  title: string;
  body: string | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  state: 'open' | 'closed';
  draft: boolean;
  labels: string[];
  requested_reviewers: string[];
  requested_teams: string[];
  merged: boolean;
  merge_commit_sha: string | null;
  html_url: string;
  url: string;
  user: string;
}

export interface CommitSnapshot {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  /** The committer's date, ISO 8601 to the second. */
  date: string;
  files: Record<string, string>;
}

export interface GitHubSimulator {
  /** The API base URL to give the host (http://127.0.0.1:PORT, plus the path prefix). */
  url: string;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** Validation and consistency problems, one line each; a test asserts it stays empty. */
  problems: string[];
  /** Rate-limit refusals caused by the client (injected ones are not counted). */
  violations: Violation[];
  counters: Counters;
  /** Every request, in arrival order. */
  log: RequestRecord[];
  /** Adds fault rules; ordinals count every request received (since the start or the last resetCounters()). */
  schedule(rules: FaultRule | FaultRule[]): void;
  /** Drops fault rules not yet spent. */
  clearFaults(): void;
  /** Zeroes counters, request ordinals, log, violations and problems, and the rate-limit windows. State is kept. */
  resetCounters(): void;

  /** Branch name -> commit sha. */
  branches(): Record<string, string>;
  /** The commit a branch, full ref (refs/heads/x) or commit sha points at. */
  resolve(ref: string): string | undefined;
  /** A file's text on a branch (or at a ref or commit); undefined when absent. */
  file(path: string, ref?: string): string | undefined;
  /** Every file's text on a branch (or at a ref or commit). */
  files(ref?: string): Record<string, string>;
  commit(sha: string): CommitSnapshot | undefined;
  pulls(): PullSnapshot[];
  pull(number: number): PullSnapshot | undefined;
  /** Commits files (text or bytes; null deletes) onto a branch as another actor would. Returns the commit sha. */
  commitFiles(branch: string, files: Record<string, SimFileContent | null>, message?: string): string;
  /** Creates a branch at a commit (default: the default branch's head). */
  createBranch(name: string, from?: string): string;
  /** Merges a pull request as PUT .../merge does; throws when GitHub would refuse. */
  mergePull(number: number, method?: 'merge' | 'squash' | 'rebase'): PullSnapshot;
  /** Closes a pull request without merging. */
  closePull(number: number): PullSnapshot;
  /** Opens a pull request as the authenticated account would (POST pulls); throws where GitHub refuses. */
  openPull(spec: { head: string; base?: string; title: string; body?: string }): number;
  /** A pull request's issue comments, oldest first. */
  comments(number: number): SimComment[];
  /** Comments on a pull request as `author` (default: the authenticated account); the comment's id. */
  addComment(number: number, body: string, author?: string): number;
  /**
   * Reopens a pull request closed without merging, as GitHub's "Reopen" button does; throws where GitHub
   * refuses (merged, still open, head branch gone or rewritten, another open pull request for the branch).
   */
  reopenPull(number: number): PullSnapshot;
  /** Primary limit state: what the next response's headers will say. */
  rateLimit(): { limit: number; remaining: number; used: number; reset: number };
  stop(): Promise<void>;
}

interface Pull {
  number: number;
  id: number;
  title: string;
  body: string | null;
  headRef: string;
  /** The head sha when the head branch no longer exists. */
  headSha: string;
  baseRef: string;
  state: 'open' | 'closed';
  draft: boolean;
  labels: string[];
  reviewers: string[];
  teams: string[];
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  user: string;
  maintainerCanModify: boolean;
}

class HttpAnswer extends Error {
  constructor(readonly answer: Answer) {
    super(`HTTP ${answer.status}`);
  }
}

const DEFAULT_FILES: Record<string, string> = {
  'README.md': '# infrastructure\n\nTerraform for the platform. Databases are added by rds-provisioner.\n',
  'terraform/live/existing.tf':
    '# Provisioned by hand before rds-provisioner.\nmodule "existing" {\n  source = "../modules/rds"\n}\n',
};

/** The `byRoute` key of archive downloads from codeload (not an API operation). */
export const CODELOAD_ROUTE = 'GET codeload /{owner}/{repo}/legacy.tar.gz/{ref}';

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const isContentCreating = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

// ---------------------------------------------------------------------------------------------------------
// The simulator

export async function startGitHubSimulator(options: GitHubSimulatorOptions = {}): Promise<GitHubSimulator> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'infrastructure';
  const defaultBranch = options.defaultBranch ?? 'main';
  const login = options.app ? botLogin(options.app) : (options.login ?? 'rds-provisioner-bot');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be positive');
  const minuteMs = 60_000 / timeScale;
  const hourMs = 3_600_000 / timeScale;
  const primaryLimit = options.primaryLimit ?? 5000;
  const secondary = {
    contentPerMinute: options.secondary?.contentPerMinute ?? 80,
    contentPerHour: options.secondary?.contentPerHour ?? 500,
    maxConcurrent: options.secondary?.maxConcurrent ?? 100,
    maxConcurrentContent: options.secondary?.maxConcurrentContent ?? Number.POSITIVE_INFINITY,
    status: options.secondary?.status ?? 403,
  };
  const pathPrefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const htmlBase = (options.htmlBaseUrl ?? 'https://github.com').replace(/\/+$/, '');
  const tokens = options.tokens ?? ['test-token'];
  const acceptsToken = typeof tokens === 'function' ? tokens : (token: string) => tokens.includes(token);
  const createdAt = Date.now();

  // --- state
  const blobs = new Map<string, Buffer>();
  const trees = new TreeStore();
  /** Path -> mode of the paths last given one other than 100644 (see SimFile). */
  const pathModes = new Map<string, FileMode>();
  const commits = new Map<string, Commit>();
  const refs = new Map<string, string>(); // 'refs/heads/main' -> sha
  const pulls: Pull[] = [];
  const repoLabels = new Map<string, number>(); // name -> id
  let nextNumber = 1;
  let nextId = 1000;
  const issueComments = new IssueCommentStore(() => nextId++);

  const problems: string[] = [];
  const violations: Violation[] = [];
  const log: RequestRecord[] = [];
  const counters: Counters = emptyCounters();
  let rules: (FaultRule & { left: number; ordinals?: Set<number> })[] = [];
  let received = 0;
  let inFlight = 0;
  let inFlightContent = 0;
  let primary = { used: 0, resetAt: 0 };
  let contentTimes: number[] = [];

  const api = { base: '' }; // filled in once the port is known
  const repoApi = () => `${api.base}/repos/${owner}/${repo}`;
  const repoHtml = () => `${htmlBase}/${owner}/${repo}`;

  function emptyCounters(): Counters {
    return {
      requests: 0,
      byRoute: {},
      reads: 0,
      mutations: 0,
      readsByBranch: {},
      mutationsByBranch: {},
      faults: 0,
      maxInFlight: 0,
      maxInFlightContent: 0,
    };
  }

  function storeBlob(content: string | Uint8Array): string {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const sha = gitBlobSha(bytes);
    blobs.set(sha, bytes);
    return sha;
  }

  /** Stores a file's content and notes its mode; its blob sha. */
  function storeFile(path: string, file: SimFileContent): string {
    const { content, mode } =
      typeof file === 'string' || file instanceof Uint8Array
        ? { content: file, mode: '100644' as const }
        : file;
    if (mode === '100644') pathModes.delete(path);
    else pathModes.set(path, mode);
    return storeBlob(content);
  }

  function person(date = Date.now()): Person {
    return { name: login, email: `${login}@users.noreply.github.com`, date: isoSeconds(date) };
  }

  function makeCommit(
    files: Map<string, string>,
    parents: string[],
    message: string,
    author: Person,
    committer: Person,
  ): Commit {
    const modes = new Map<string, FileMode>();
    for (const [path, mode] of pathModes) if (files.has(path)) modes.set(path, mode);
    const tree = trees.add(files, modes);
    const stamp = (p: Person) => `${p.name} <${p.email}> ${Math.floor(Date.parse(p.date) / 1000)} +0000`;
    const text = [
      `tree ${tree}`,
      ...parents.map((p) => `parent ${p}`),
      `author ${stamp(author)}`,
      `committer ${stamp(committer)}`,
      '',
      message,
    ].join('\n');
    const sha = gitObjectSha('commit', Buffer.from(text, 'utf8'));
    const commit: Commit = { sha, tree, parents, message, author, committer, files: new Map(files), modes };
    commits.set(sha, commit);
    return commit;
  }

  // The repository's first commit.
  {
    const files = new Map<string, string>();
    for (const [path, content] of Object.entries(options.files ?? DEFAULT_FILES)) {
      const clean = path.replace(/^\/+/, '');
      files.set(clean, storeFile(clean, content));
    }
    const who = person(createdAt);
    const root = makeCommit(files, [], 'Initial commit', who, who);
    refs.set(`refs/heads/${defaultBranch}`, root.sha);
  }

  const branchSha = (name: string) => refs.get(`refs/heads/${name}`);

  /** A branch name, full ref, `heads/x` or commit sha -> commit. */
  function resolveRef(ref: string): Commit | undefined {
    if (/^[0-9a-f]{40}$/.test(ref) && commits.has(ref)) return commits.get(ref);
    const sha =
      refs.get(ref) ??
      refs.get(`refs/heads/${ref}`) ??
      refs.get(`refs/${ref}`) ??
      refs.get(`refs/tags/${ref}`);
    return sha ? commits.get(sha) : undefined;
  }

  function ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  function mergeBase(a: string, b: string): string | undefined {
    const ofA = ancestors(a);
    const queue = [b];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (ofA.has(next)) return next;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(commits.get(next)?.parents ?? []));
    }
    return undefined;
  }

  const pullHeadSha = (pull: Pull) => branchSha(pull.headRef) ?? pull.headSha;
  const pullBaseSha = (pull: Pull) => branchSha(pull.baseRef) ?? '';

  // --- JSON shapes, as GitHub's schemas require them

  function user(
    name: string,
    type: 'User' | 'Organization' | 'Bot' = name.endsWith('[bot]') ? 'Bot' : 'User',
  ) {
    const id =
      name === owner ? 1 : name === login ? 2 : 100 + [...name].reduce((h, c) => h + c.charCodeAt(0), 0);
    const u = `${api.base}/users/${encodeURIComponent(name)}`;
    return {
      login: name,
      id,
      node_id: nodeId('04:User', id),
      avatar_url: `${htmlBase}/avatars/u/${id}`,
      gravatar_id: '',
      url: u,
      html_url: `${htmlBase}/${encodeURIComponent(name)}`,
      followers_url: `${u}/followers`,
      following_url: `${u}/following{/other_user}`,
      gists_url: `${u}/gists{/gist_id}`,
      starred_url: `${u}/starred{/owner}{/repo}`,
      subscriptions_url: `${u}/subscriptions`,
      organizations_url: `${u}/orgs`,
      repos_url: `${u}/repos`,
      events_url: `${u}/events{/privacy}`,
      received_events_url: `${u}/received_events`,
      type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  function repository(full: boolean) {
    const r = repoApi();
    const openPulls = pulls.filter((p) => p.state === 'open').length;
    const pushed = [...refs.values()].map((sha) => Date.parse(commits.get(sha)?.committer.date ?? ''));
    const base = {
      id: 1,
      node_id: nodeId('010:Repository', 1),
      name: repo,
      full_name: `${owner}/${repo}`,
      private: true,
      owner: user(owner, 'Organization'),
      html_url: repoHtml(),
      description: null,
      fork: false,
      url: r,
      archive_url: `${r}/{archive_format}{/ref}`,
      assignees_url: `${r}/assignees{/user}`,
      blobs_url: `${r}/git/blobs{/sha}`,
      branches_url: `${r}/branches{/branch}`,
      collaborators_url: `${r}/collaborators{/collaborator}`,
      comments_url: `${r}/comments{/number}`,
      commits_url: `${r}/commits{/sha}`,
      compare_url: `${r}/compare/{base}...{head}`,
      contents_url: `${r}/contents/{+path}`,
      contributors_url: `${r}/contributors`,
      deployments_url: `${r}/deployments`,
      downloads_url: `${r}/downloads`,
      events_url: `${r}/events`,
      forks_url: `${r}/forks`,
      git_commits_url: `${r}/git/commits{/sha}`,
      git_refs_url: `${r}/git/refs{/sha}`,
      git_tags_url: `${r}/git/tags{/sha}`,
      git_url: `git://127.0.0.1/${owner}/${repo}.git`,
      issue_comment_url: `${r}/issues/comments{/number}`,
      issue_events_url: `${r}/issues/events{/number}`,
      issues_url: `${r}/issues{/number}`,
      keys_url: `${r}/keys{/key_id}`,
      labels_url: `${r}/labels{/name}`,
      languages_url: `${r}/languages`,
      merges_url: `${r}/merges`,
      milestones_url: `${r}/milestones{/number}`,
      notifications_url: `${r}/notifications{?since,all,participating}`,
      pulls_url: `${r}/pulls{/number}`,
      releases_url: `${r}/releases{/id}`,
      ssh_url: `git@127.0.0.1:${owner}/${repo}.git`,
      stargazers_url: `${r}/stargazers`,
      statuses_url: `${r}/statuses/{sha}`,
      subscribers_url: `${r}/subscribers`,
      subscription_url: `${r}/subscription`,
      tags_url: `${r}/tags`,
      teams_url: `${r}/teams`,
      trees_url: `${r}/git/trees{/sha}`,
      clone_url: `${repoHtml()}.git`,
      mirror_url: null,
      hooks_url: `${r}/hooks`,
      svn_url: repoHtml(),
      homepage: null,
      language: 'HCL',
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: defaultBranch,
      open_issues_count: openPulls,
      open_issues: openPulls,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'private',
      pushed_at: isoSeconds(Math.max(createdAt, ...pushed)),
      created_at: isoSeconds(createdAt),
      updated_at: isoSeconds(createdAt),
      allow_forking: false,
      web_commit_signoff_required: false,
      license: null,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    };
    return full ? { ...base, network_count: 0, subscribers_count: 0 } : base;
  }

  function label(name: string) {
    let id = repoLabels.get(name);
    if (id === undefined) {
      id = nextId++;
      repoLabels.set(name, id);
    }
    return {
      id,
      node_id: nodeId('05:Label', id),
      url: `${repoApi()}/labels/${encodeURIComponent(name)}`,
      name,
      // GitHub sends null for a label without one, but "Pull Request Simple" declares it a non-null string.
      description: '',
      color: 'ededed',
      default: false,
    };
  }

  function team(slug: string) {
    const id = 5000 + [...slug].reduce((h, c) => h + c.charCodeAt(0), 0);
    const t = `${api.base}/organizations/1/team/${id}`;
    return {
      id,
      node_id: nodeId('04:Team', id),
      url: t,
      html_url: `${htmlBase}/orgs/${owner}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${t}/members{/member}`,
      repositories_url: `${t}/repos`,
      type: 'organization',
      organization_id: 1,
      parent: null,
    };
  }

  function pullJson(pull: Pull, full: boolean) {
    const r = repoApi();
    const url = `${r}/pulls/${pull.number}`;
    const html = `${repoHtml()}/pull/${pull.number}`;
    const headSha = pullHeadSha(pull);
    const side = (ref: string, sha: string) => ({
      label: `${owner}:${ref}`,
      ref,
      sha,
      user: user(owner, 'Organization'),
      repo: repository(false),
    });
    const simple = {
      url,
      id: pull.id,
      node_id: nodeId('010:PullRequest', pull.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${r}/issues/${pull.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${r}/pulls/comments{/number}`,
      comments_url: `${r}/issues/${pull.number}/comments`,
      statuses_url: `${r}/statuses/${headSha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: user(pull.user, 'Bot'),
      body: pull.body,
      labels: pull.labels.map(label),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.reviewers.map((name) => user(name)),
      requested_teams: pull.teams.map(team),
      head: side(pull.headRef, headSha),
      base: side(pull.baseRef, pullBaseSha(pull)),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: `${r}/issues/${pull.number}` },
        comments: { href: `${r}/issues/${pull.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${r}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${r}/statuses/${headSha}` },
      },
      author_association: 'CONTRIBUTOR',
      auto_merge: null,
      draft: pull.draft,
    };
    if (!full) return simple;
    const base = commits.get(pullBaseSha(pull));
    const head = commits.get(headSha);
    const changed = base && head ? diff(base.files, head.files) : [];
    const onBase = base ? ancestors(base.sha) : new Set<string>();
    const count = head ? [...ancestors(head.sha)].filter((s) => !onBase.has(s)).length : 0;
    return {
      ...simple,
      merged: pull.merged,
      mergeable: pull.state === 'open' ? true : null,
      rebaseable: pull.state === 'open' ? true : null,
      mergeable_state: pull.state === 'open' ? 'clean' : 'unknown',
      merged_by: pull.merged ? user(login, 'Bot') : null,
      comments: issueComments.of(pull.number).length,
      review_comments: 0,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: count,
      additions: changed.length,
      deletions: 0,
      changed_files: changed.length,
    };
  }

  function diff(from: Map<string, string>, to: Map<string, string>): string[] {
    const out: string[] = [];
    for (const path of new Set([...from.keys(), ...to.keys()]))
      if (from.get(path) !== to.get(path)) out.push(path);
    return out.sort();
  }

  function refJson(fullRef: string) {
    const sha = refs.get(fullRef) as string;
    return {
      ref: fullRef,
      node_id: nodeId('03:Ref', fullRef),
      url: `${repoApi()}/git/${encodePath(fullRef)}`,
      object: { type: 'commit', sha, url: `${repoApi()}/git/commits/${sha}` },
    };
  }

  function contentLinks(path: string, sha: string, ref: string) {
    const self = `${repoApi()}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`;
    const git = `${repoApi()}/git/blobs/${sha}`;
    const html = `${repoHtml()}/blob/${encodePath(ref)}/${encodePath(path)}`;
    return { self, git, html };
  }

  function fileJson(path: string, sha: string, ref: string, withContent: boolean) {
    const bytes = blobs.get(sha) as Buffer;
    const links = contentLinks(path, sha, ref);
    const json = {
      type: 'file',
      name: path.split('/').pop() as string,
      path,
      sha,
      size: bytes.length,
      url: links.self,
      html_url: links.html,
      git_url: links.git,
      download_url: `${htmlBase}/${owner}/${repo}/raw/${encodePath(ref)}/${encodePath(path)}`,
      _links: links,
    };
    if (!withContent) return json;
    return { ...json, content: base64Lines(bytes), encoding: 'base64' };
  }

  function commitJson(commit: Commit) {
    return {
      sha: commit.sha,
      node_id: nodeId('06:Commit', commit.sha),
      url: `${repoApi()}/git/commits/${commit.sha}`,
      html_url: `${repoHtml()}/commit/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { url: `${repoApi()}/git/trees/${commit.tree}`, sha: commit.tree },
      parents: commit.parents.map((sha) => ({
        url: `${repoApi()}/git/commits/${sha}`,
        html_url: `${repoHtml()}/commit/${sha}`,
        sha,
      })),
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }

  function findPull(params: Record<string, string>, key: 'pull_number' | 'issue_number'): Pull {
    const number = Number(params[key]);
    const pull = pulls.find((p) => p.number === number);
    if (!pull) throw new HttpAnswer(notFound());
    return pull;
  }

  // --- merging, shared by PUT .../merge and mergePull()

  function merge(pull: Pull, method: 'merge' | 'squash' | 'rebase', title?: string, text?: string): Commit {
    if (pull.state !== 'open') {
      throw new HttpAnswer(
        message(405, 'Pull Request is not mergeable', `${DOCS}/pulls/pulls#merge-a-pull-request`),
      );
    }
    const baseSha = branchSha(pull.baseRef);
    const headSha = pullHeadSha(pull);
    const base = baseSha ? commits.get(baseSha) : undefined;
    const head = commits.get(headSha);
    const common = baseSha ? mergeBase(baseSha, headSha) : undefined;
    if (!base || !head || !common) {
      throw new HttpAnswer(
        message(405, 'Pull Request is not mergeable', `${DOCS}/pulls/pulls#merge-a-pull-request`),
      );
    }
    const ancestor = commits.get(common) as Commit;
    const files = new Map(base.files);
    for (const path of diff(ancestor.files, head.files)) {
      const theirs = head.files.get(path);
      const ours = base.files.get(path);
      if (ours !== ancestor.files.get(path) && ours !== theirs) {
        throw new HttpAnswer(message(405, 'Merge conflict', `${DOCS}/pulls/pulls#merge-a-pull-request`));
      }
      if (theirs === undefined) files.delete(path);
      else files.set(path, theirs);
    }
    const who = person();
    const commitMessage =
      method === 'merge'
        ? `${title ?? `Merge pull request #${pull.number} from ${owner}/${pull.headRef}`}\n\n${text ?? pull.title}`
        : `${title ?? `${pull.title} (#${pull.number})`}${text ? `\n\n${text}` : ''}`;
    const commit = makeCommit(
      files,
      method === 'merge' ? [base.sha, head.sha] : [base.sha],
      commitMessage,
      who,
      who,
    );
    refs.set(`refs/heads/${pull.baseRef}`, commit.sha);
    const now = isoSeconds(Date.now());
    Object.assign(pull, {
      state: 'closed',
      merged: true,
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: commit.sha,
      headSha,
    });
    return commit;
  }

  // --- endpoints

  interface Ctx extends EndpointContext {
    record: RequestRecord;
  }

  /** What the resource modules under ./github-simulator/ see of the repository. */
  const repoView: SimRepository = {
    owner,
    name: repo,
    defaultBranch,
    apiUrl: repoApi,
    htmlUrl: repoHtml,
    user: (name) => user(name),
    blobs,
    trees,
    treeEntryLimit: options.treeEntryLimit ?? 100_000,
    branchSha,
    resolveRef,
    commit: (sha) => commits.get(sha),
    commitOnBranch(branch, files, commitMessage, author, committer) {
      const head = branchSha(branch);
      const commit = makeCommit(files, head ? [head] : [], commitMessage, author, committer);
      refs.set(`refs/heads/${branch}`, commit.sha);
      return commit;
    },
    storeBlob,
    makeCommit(files, modes, parents, commitMessage, author, committer) {
      for (const [path, mode] of modes) pathModes.set(path, mode);
      return makeCommit(files, parents, commitMessage, author, committer);
    },
    person,
    commitJson,
  };

  // Codeload, where archive downloads are redirected: another origin, like codeload.github.com.
  const codeload = await startCodeload(repoView, problems, () => {
    counters.byRoute[CODELOAD_ROUTE] = (counters.byRoute[CODELOAD_ROUTE] ?? 0) + 1;
  });

  const handlers: Record<string, (ctx: Ctx) => Answer> = {
    'repos/get': () => ({ status: 200, body: repository(true) }),

    'git/get-ref': ({ params, record }) => {
      const ref = params.ref as string;
      if (ref.startsWith('heads/')) record.branch = ref.slice('heads/'.length);
      const full = `refs/${ref}`;
      if (!refs.has(full)) return notFound(`${DOCS}/git/refs#get-a-reference`);
      return { status: 200, body: refJson(full) };
    },

    'git/create-ref': ({ body, record }) => {
      const { ref, sha } = body as { ref: string; sha: string };
      const docs = `${DOCS}/git/refs#create-a-reference`;
      if (ref.startsWith('refs/heads/')) record.branch = ref.slice('refs/heads/'.length);
      if (!/^refs\/[^/]+\/.+/.test(ref) || /\.\.|[\s~^:?*[\\]|\/$|\.lock$|@\{/.test(ref)) {
        return message(422, 'Reference name is invalid', docs);
      }
      if (refs.has(ref)) return message(422, 'Reference already exists', docs);
      if (!commits.has(sha)) return message(422, 'Object does not exist', docs);
      refs.set(ref, sha);
      return {
        status: 201,
        body: refJson(ref),
        headers: { location: `${repoApi()}/git/${encodePath(ref)}` },
      };
    },

    'git/update-ref': ({ params, body, record }) => {
      const ref = params.ref as string;
      const { sha, force } = body as { sha: string; force?: boolean };
      const docs = `${DOCS}/git/refs#update-a-reference`;
      if (ref.startsWith('heads/')) record.branch = ref.slice('heads/'.length);
      const full = `refs/${ref}`;
      const current = refs.get(full);
      if (!current) return message(422, 'Reference does not exist', docs);
      if (!commits.has(sha)) return message(422, 'Object does not exist', docs);
      if (!force && !ancestors(sha).has(current)) return message(422, 'Update is not a fast forward', docs);
      refs.set(full, sha);
      return { status: 200, body: refJson(full) };
    },

    'repos/get-content': ({ params, query, record }) => {
      const path = (params.path as string).replace(/^\/+|\/+$/g, '');
      const ref = query.get('ref') ?? defaultBranch;
      record.branch = ref.replace(/^refs\/heads\//, '');
      const commit = resolveRef(ref);
      const docs = `${DOCS}/repos/contents#get-repository-content`;
      if (!commit) return message(404, `No commit found for the ref ${ref}`, docs);
      const sha = commit.files.get(path);
      if (sha) return { status: 200, body: fileJson(path, sha, ref, true) };
      const inside = [...commit.files.keys()].filter((p) => p.startsWith(`${path}/`));
      if (inside.length > 0) {
        problems.push(
          `#${record.n} GET contents of the directory "${path}": the host is expected to read files only`,
        );
        const names = new Set(inside.map((p) => p.slice(path.length + 1).split('/')[0] as string));
        return {
          status: 200,
          body: [...names].sort().map((name) => ({ type: 'dir', name, path: `${path}/${name}` })),
        };
      }
      return notFound(docs);
    },

    'repos/create-or-update-file-contents': ({ params, body, record }) => {
      const path = (params.path as string).replace(/^\/+|\/+$/g, '');
      const input = body as {
        message: string;
        content: string;
        sha?: string;
        branch?: string;
        committer?: { name: string; email: string; date?: string };
        author?: { name: string; email: string; date?: string };
      };
      const docs = `${DOCS}/repos/contents#create-or-update-file-contents`;
      const branch = input.branch ?? defaultBranch;
      record.branch = branch.replace(/^refs\/heads\//, '');
      const headSha = branchSha(record.branch);
      if (!headSha) return message(404, `Branch ${branch} not found`, docs);
      const compact = input.content.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
        return message(422, 'content is not valid Base64', docs);
      }
      const head = commits.get(headSha) as Commit;
      const current = head.files.get(path);
      if (current !== undefined) {
        if (input.sha === undefined) return message(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', docs);
        if (input.sha !== current) return message(409, `${path} does not match ${input.sha}`, docs);
      }
      if ([...head.files.keys()].some((p) => p.startsWith(`${path}/`))) {
        return message(422, `path ${path} is a directory`, docs);
      }
      const blob = storeBlob(Buffer.from(compact, 'base64'));
      const files = new Map(head.files);
      files.set(path, blob);
      const { author, committer } = signatures(input, person);
      const commit = repoView.commitOnBranch(record.branch, files, input.message, author, committer);
      return {
        status: current === undefined ? 201 : 200,
        body: { content: fileJson(path, blob, record.branch, false), commit: commitJson(commit) },
      };
    },

    'pulls/list': ({ query, record }) => {
      const state = query.get('state') ?? 'open';
      const head = query.get('head');
      const base = query.get('base');
      let list = pulls.filter((p) => state === 'all' || p.state === state);
      if (head !== null) {
        const colon = head.indexOf(':');
        if (colon < 0) {
          // GitHub ignores a head filter without the owner and lists every pull request.
          problems.push(
            `#${record.n} GET pulls?head=${head}: GitHub expects "owner:branch" and ignores "${head}"`,
          );
        } else {
          const headOwner = head.slice(0, colon).toLowerCase();
          const headRef = head.slice(colon + 1);
          record.branch = headRef;
          list = list.filter((p) => headOwner === owner.toLowerCase() && p.headRef === headRef);
        }
      }
      if (base !== null) list = list.filter((p) => p.baseRef === base);
      const sort = query.get('sort') ?? 'created';
      // GitHub: "Default: desc when sort is created or sort is not specified, otherwise asc."
      const direction = query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
      const key = (p: Pull) => (sort === 'updated' ? p.updatedAt : p.createdAt);
      list = [...list].sort((a, b) => key(a).localeCompare(key(b)) || a.number - b.number);
      if (direction === 'desc') list.reverse();
      const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30)));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const slice = list.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      const last = Math.max(1, Math.ceil(list.length / perPage));
      if (list.length > perPage) {
        const link = (p: number, rel: string) => {
          const q = new URLSearchParams(query);
          q.set('page', String(p));
          return `<${repoApi()}/pulls?${q}>; rel="${rel}"`;
        };
        const parts: string[] = [];
        if (page < last) parts.push(link(page + 1, 'next'), link(last, 'last'));
        if (page > 1) parts.push(link(1, 'first'), link(page - 1, 'prev'));
        headers.link = parts.join(', ');
      }
      return { status: 200, body: slice.map((p) => pullJson(p, false)), headers };
    },

    'pulls/create': ({ body, record }) => {
      const input = body as {
        title?: string;
        head: string;
        base: string;
        body?: string;
        draft?: boolean;
        maintainer_can_modify?: boolean;
        issue?: number;
      };
      const docs = `${DOCS}/pulls/pulls#create-a-pull-request`;
      const colon = input.head.indexOf(':');
      const headOwner = colon < 0 ? owner : input.head.slice(0, colon);
      const headRef = colon < 0 ? input.head : input.head.slice(colon + 1);
      record.branch = headRef;
      if (input.title === undefined) {
        return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }], docs);
      }
      if (headOwner.toLowerCase() !== owner.toLowerCase() || !branchSha(headRef)) {
        return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], docs);
      }
      if (!branchSha(input.base)) {
        return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }], docs);
      }
      if (pulls.some((p) => p.state === 'open' && p.headRef === headRef && p.baseRef === input.base)) {
        return validationFailed(
          [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${owner}:${headRef}.`,
            },
          ],
          docs,
        );
      }
      const headSha = branchSha(headRef) as string;
      if (ancestors(branchSha(input.base) as string).has(headSha)) {
        return validationFailed(
          [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `No commits between ${input.base} and ${headRef}`,
            },
          ],
          docs,
        );
      }
      const now = isoSeconds(Date.now());
      const pull: Pull = {
        number: nextNumber++,
        id: nextId++,
        title: input.title,
        body: input.body ?? null,
        headRef,
        headSha,
        baseRef: input.base,
        state: 'open',
        draft: input.draft ?? false,
        labels: [],
        reviewers: [],
        teams: [],
        merged: false,
        mergedAt: null,
        mergeCommitSha: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
        user: login,
        maintainerCanModify: input.maintainer_can_modify ?? false,
      };
      pulls.push(pull);
      return {
        status: 201,
        body: pullJson(pull, true),
        headers: { location: `${repoApi()}/pulls/${pull.number}` },
      };
    },

    'pulls/get': ({ params, record }) => {
      const pull = findPull(params, 'pull_number');
      record.branch = pull.headRef;
      return { status: 200, body: pullJson(pull, true) };
    },

    'issues/add-labels': ({ params, body, record }) => {
      const pull = findPull(params, 'issue_number');
      record.branch = pull.headRef;
      const input = (body ?? {}) as { labels?: (string | { name: string })[] };
      for (const item of input.labels ?? []) {
        const name = typeof item === 'string' ? item : item.name;
        if (!pull.labels.includes(name)) pull.labels.push(name);
      }
      pull.updatedAt = isoSeconds(Date.now());
      return { status: 200, body: pull.labels.map(label) };
    },

    'pulls/request-reviewers': ({ params, body, record }) => {
      const pull = findPull(params, 'pull_number');
      record.branch = pull.headRef;
      const input = (body ?? {}) as { reviewers?: string[]; team_reviewers?: string[] };
      const docs = `${DOCS}/pulls/review-requests#request-reviewers-for-a-pull-request`;
      const reviewers = input.reviewers ?? [];
      if (reviewers.some((r) => r.toLowerCase() === pull.user.toLowerCase())) {
        return message(422, 'Review cannot be requested from pull request author.', docs);
      }
      const collaborators = options.collaborators?.map((c) => c.toLowerCase());
      if (collaborators && reviewers.some((r) => !collaborators.includes(r.toLowerCase()))) {
        return message(
          422,
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${owner}/${repo} repository.`,
          docs,
        );
      }
      for (const r of reviewers) if (!pull.reviewers.includes(r)) pull.reviewers.push(r);
      for (const t of input.team_reviewers ?? []) if (!pull.teams.includes(t)) pull.teams.push(t);
      pull.updatedAt = isoSeconds(Date.now());
      return { status: 201, body: pullJson(pull, false) };
    },

    'pulls/merge': ({ params, body, record }) => {
      const pull = findPull(params, 'pull_number');
      record.branch = pull.headRef;
      const input = (body ?? {}) as {
        commit_title?: string;
        commit_message?: string;
        sha?: string;
        merge_method?: 'merge' | 'squash' | 'rebase';
      };
      if (input.sha !== undefined && pull.state === 'open' && input.sha !== pullHeadSha(pull)) {
        return message(
          409,
          'Head branch was modified. Review and try the merge again.',
          `${DOCS}/pulls/pulls#merge-a-pull-request`,
        );
      }
      const commit = merge(pull, input.merge_method ?? 'merge', input.commit_title, input.commit_message);
      return {
        status: 200,
        body: { sha: commit.sha, merged: true, message: 'Pull Request successfully merged' },
      };
    },

    ...contentsEndpoints(repoView),
    ...gitDataEndpoints(repoView),
    ...gitWriteEndpoints(repoView),
    ...archiveEndpoints(repoView, codeload),
    ...compareEndpoints(repoView),
    ...issueCommentEndpoints(repoView, issueComments, {
      hasIssue: (number) => pulls.some((p) => p.number === number),
      branchOf: (number) => pulls.find((p) => p.number === number)?.headRef,
      login,
      user: (name) => user(name),
      app: () => (options.app ? appJson(repoView, options.app, createdAt) : null),
    }),
    ...identityEndpoints(repoView, { login, app: options.app, createdAt }),
  };

  // --- rate limits

  function primaryWindow(now: number) {
    if (now >= primary.resetAt) primary = { used: 0, resetAt: now + hourMs };
    return primary;
  }

  function rateHeaders(now: number, override?: { remaining: number; reset: number }): Record<string, string> {
    const window = primaryWindow(now);
    const remaining = override?.remaining ?? Math.max(0, primaryLimit - window.used);
    const reset = override?.reset ?? Math.ceil(window.resetAt / 1000);
    return {
      'x-ratelimit-limit': String(primaryLimit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(primaryLimit - remaining),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': 'core',
    };
  }

  /** Whole real seconds until `ms` from now, at least one. */
  const secondsUntil = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

  const secondaryBody = () => ({
    message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${randomUUID().slice(0, 18).toUpperCase()}.`,
    documentation_url:
      'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    status: String(secondary.status),
  });

  /** The secondary-limit refusal for an arriving request, if any; admits a content-creating one otherwise. */
  function secondaryCheck(
    now: number,
    content: boolean,
  ): { kind: ViolationKind; retryAfterMs: number } | undefined {
    if (inFlight > secondary.maxConcurrent) return { kind: 'concurrency', retryAfterMs: minuteMs };
    if (!content) return undefined;
    if (inFlightContent >= secondary.maxConcurrentContent) {
      return { kind: 'concurrent-content', retryAfterMs: minuteMs };
    }
    contentTimes = contentTimes.filter((t) => t > now - hourMs);
    const inMinute = contentTimes.filter((t) => t > now - minuteMs);
    if (inMinute.length >= secondary.contentPerMinute) {
      const oldest = inMinute[inMinute.length - secondary.contentPerMinute] as number;
      return { kind: 'content-per-minute', retryAfterMs: oldest + minuteMs - now };
    }
    if (contentTimes.length >= secondary.contentPerHour) {
      const oldest = contentTimes[contentTimes.length - secondary.contentPerHour] as number;
      return { kind: 'content-per-hour', retryAfterMs: oldest + hourMs - now };
    }
    contentTimes.push(now);
    return undefined;
  }

  // --- faults

  function takeFault(info: SimRequestInfo): Fault | undefined {
    for (const rule of rules) if (!rule.fault) rule.match?.(info);
    for (const rule of rules) {
      if (rule.left <= 0 || !rule.fault) continue;
      const hit = rule.ordinals ? rule.ordinals.has(info.n) : rule.match ? rule.match(info) : false;
      if (!hit) continue;
      rule.left--;
      return rule.fault;
    }
    return undefined;
  }

  function schedule(input: FaultRule | FaultRule[]) {
    for (const rule of Array.isArray(input) ? input : [input]) {
      const ordinals =
        rule.requests === undefined
          ? undefined
          : new Set(Array.isArray(rule.requests) ? rule.requests : [rule.requests]);
      if (!ordinals && !rule.match) throw new Error('a fault rule needs `requests` or `match`');
      if (!rule.fault && !rule.match) throw new Error('a rule without a fault needs `match`');
      rules.push({ ...rule, ordinals, left: rule.times ?? ordinals?.size ?? 1 });
    }
  }
  schedule(options.faults ?? []);

  // --- the server

  function send(res: ServerResponse, record: RequestRecord, answer: Answer, operation?: OpenApiOperation) {
    const now = Date.now();
    record.status = answer.status;
    record.endedAt = now;
    if (answer.body !== undefined && options.validateResponses !== false) {
      const where = `#${record.n} ${record.method} ${record.path} -> ${answer.status}`;
      const documented = operation?.responses[String(answer.status)];
      let found: string[];
      if (operation && (documented || !answer.anywhere)) {
        found = validateResponse(operation.method, operation.path, answer.status, answer.body);
      } else {
        found = validateErrorBody(answer.body);
      }
      for (const p of found) problems.push(`${where}: ${p}`);
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomUUID().toUpperCase(),
      ...rateHeaders(now),
      ...answer.headers,
    };
    if (!res.headersSent) res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const startedAt = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const content = isContentCreating(method);
    inFlight++;
    counters.maxInFlight = Math.max(counters.maxInFlight, inFlight);
    let admittedContent = false;
    res.on('close', () => {
      inFlight--;
      if (admittedContent) inFlightContent--;
    });

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const underPrefix = url.pathname === pathPrefix || url.pathname.startsWith(`${pathPrefix}/`);
    const path = underPrefix ? url.pathname.slice(pathPrefix.length) || '/' : url.pathname;
    const match = underPrefix ? findOperation(method, path) : undefined;
    const route = match ? `${method} ${match.operation.path}` : undefined;
    const n = ++received;
    counters.requests++;
    const routeKey = route ?? `${method} ${path}`;
    counters.byRoute[routeKey] = (counters.byRoute[routeKey] ?? 0) + 1;
    const record: RequestRecord = { n, method, path, route, status: 0, handled: false, startedAt };
    log.push(record);

    let body: unknown;
    let bodyError: string | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        bodyError = error instanceof Error ? error.message : String(error);
      }
    }

    // What the host sent is checked whatever the answer (a fault, a limit): problems are the host's.
    let checked: { refused: string[]; ignored: string[] } = { refused: [], ignored: [] };
    if (bodyError !== undefined) {
      problems.push(`#${n} ${method} ${path}: body is not JSON (${bodyError})`);
    } else if (match) {
      checked = validateRequestDetailed(method, path, {
        params: match.params,
        query: url.searchParams,
        body,
      });
      for (const p of [...checked.refused, ...checked.ignored]) problems.push(`#${n} ${p}`);
    }

    // 1. Faults
    let delayMs = 0;
    const fault = takeFault({ n, method, path, route, query: url.searchParams, headers: req.headers, body });
    if (fault) {
      counters.faults++;
      record.fault = fault.kind;
      const now = Date.now();
      switch (fault.kind) {
        case 'reset':
          record.endedAt = now;
          req.socket.destroy();
          return;
        case 'delay':
          // Slept once the request is admitted, just before the endpoint: a slow GitHub, holding its slot.
          delayMs = fault.ms;
          break;
        case 'status':
          return send(res, record, {
            status: fault.status,
            body: fault.body ?? {
              message:
                fault.status === 500
                  ? 'Server Error'
                  : fault.status === 503
                    ? 'Service Unavailable'
                    : 'Bad Gateway',
              documentation_url: DOCS,
              status: String(fault.status),
            },
            anywhere: true,
          });
        case 'primary-limit': {
          const reset = Math.ceil((now + (fault.resetIn ?? 1) * 1000) / 1000);
          return send(res, record, {
            status: options.primaryStatus ?? 403,
            body: primaryBody(),
            headers: rateHeaders(now, { remaining: 0, reset }),
            anywhere: true,
          });
        }
        case 'secondary-limit': {
          const status = fault.status ?? secondary.status;
          return send(res, record, {
            status,
            body: { ...secondaryBody(), status: String(status) },
            headers: { 'retry-after': String(fault.retryAfter ?? secondsUntil(minuteMs)) },
            anywhere: true,
          });
        }
      }
    }

    // 2. Authentication: GET /app takes the app's JWT, every other operation a token.
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)?.[1];
    if (match?.operation.operationId === 'apps/get-authenticated' && token) {
      if (!options.app || appJwtProblem(token, options.app) !== null) {
        return send(res, record, {
          status: 401,
          body: { message: 'A JSON web token could not be decoded', documentation_url: DOCS, status: '401' },
          anywhere: true,
        });
      }
    } else if (!token || !acceptsToken(token)) {
      return send(res, record, {
        status: 401,
        body: {
          message: token || auth ? 'Bad credentials' : 'Requires authentication',
          documentation_url: DOCS,
          status: '401',
        },
        anywhere: true,
      });
    }

    // 3. Primary rate limit
    const now = Date.now();
    const window = primaryWindow(now);
    if (window.used >= primaryLimit) {
      violations.push({ kind: 'primary', n, method, path, at: now });
      return send(res, record, { status: options.primaryStatus ?? 403, body: primaryBody(), anywhere: true });
    }
    window.used++;

    // 4. Secondary rate limits
    const refusal = secondaryCheck(now, content);
    if (refusal) {
      violations.push({ kind: refusal.kind, n, method, path, at: now });
      return send(res, record, {
        status: secondary.status,
        body: secondaryBody(),
        headers: { 'retry-after': secondsUntil(refusal.retryAfterMs) },
        anywhere: true,
      });
    }
    if (content) {
      admittedContent = true;
      inFlightContent++;
      counters.maxInFlightContent = Math.max(counters.maxInFlightContent, inFlightContent);
    }

    // 5. Routing
    if (!match) {
      problems.push(
        `#${n} ${method} ${url.pathname}: not an operation the simulator serves (the host should not need it)`,
      );
      return send(res, record, notFound());
    }
    const { operation, params } = match;
    if (
      operation.path.startsWith('/repos/') &&
      (params.owner?.toLowerCase() !== owner.toLowerCase() ||
        params.repo?.toLowerCase() !== repo.toLowerCase())
    ) {
      return send(res, record, notFound(), operation);
    }

    // 6. The request against GitHub's description (problems recorded above)
    if (bodyError !== undefined) {
      return send(res, record, {
        status: 400,
        body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' },
        anywhere: true,
      });
    }
    if (checked.refused.length > 0) {
      return send(
        res,
        record,
        {
          status: 422,
          body: {
            message: `Invalid request.\n\n${checked.refused.join('\n')}`,
            documentation_url: DOCS,
            status: '422',
          },
          anywhere: true,
        },
        operation,
      );
    }

    // 7. The endpoint
    if (delayMs > 0) await sleep(delayMs);
    record.handled = true;
    let answer: Answer;
    try {
      answer = (handlers[operation.operationId] as (ctx: Ctx) => Answer)({
        params,
        query: url.searchParams,
        body,
        record,
      });
    } catch (error) {
      if (!(error instanceof HttpAnswer)) {
        problems.push(
          `#${n} ${method} ${path}: simulator error ${error instanceof Error ? error.stack : error}`,
        );
        answer = { status: 500, body: { message: 'Server Error', documentation_url: DOCS }, anywhere: true };
      } else {
        answer = error.answer;
      }
    }
    if (method === 'GET') {
      counters.reads++;
      if (record.branch)
        counters.readsByBranch[record.branch] = (counters.readsByBranch[record.branch] ?? 0) + 1;
    } else {
      counters.mutations++;
      if (record.branch) {
        counters.mutationsByBranch[record.branch] = (counters.mutationsByBranch[record.branch] ?? 0) + 1;
      }
    }
    return send(res, record, answer, operation);
  }

  function primaryBody() {
    return {
      message: `API rate limit exceeded for user ID 2. If you reach out to GitHub Support for help, please include the request ID ${randomUUID().slice(0, 18).toUpperCase()}.`,
      documentation_url:
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit',
      status: String(options.primaryStatus ?? 403),
    };
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      problems.push(
        `simulator crashed on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : error}`,
      );
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Server Error"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  api.base = `http://127.0.0.1:${port}${pathPrefix}`;

  // --- the test-facing API

  function snapshot(pull: Pull): PullSnapshot {
    return {
      number: pull.number,
      title: pull.title,
      body: pull.body,
      head: { ref: pull.headRef, sha: pullHeadSha(pull) },
      base: { ref: pull.baseRef, sha: pullBaseSha(pull) },
      state: pull.state,
      draft: pull.draft,
      labels: [...pull.labels],
      requested_reviewers: [...pull.reviewers],
      requested_teams: [...pull.teams],
      merged: pull.merged,
      merge_commit_sha: pull.mergeCommitSha,
      html_url: `${repoHtml()}/pull/${pull.number}`,
      url: `${repoApi()}/pulls/${pull.number}`,
      user: pull.user,
    };
  }

  const textOf = (sha: string) => (blobs.get(sha) as Buffer).toString('utf8');

  function requirePull(number: number): Pull {
    const pull = pulls.find((p) => p.number === number);
    if (!pull) throw new Error(`no pull request #${number}`);
    return pull;
  }

  return {
    url: api.base,
    owner,
    repo,
    defaultBranch,
    problems,
    violations,
    counters,
    log,
    schedule,
    clearFaults() {
      rules = [];
    },
    resetCounters() {
      received = 0;
      Object.assign(counters, emptyCounters());
      log.length = 0;
      violations.length = 0;
      problems.length = 0;
      primary = { used: 0, resetAt: 0 };
      contentTimes = [];
    },
    branches() {
      const out: Record<string, string> = {};
      for (const [ref, sha] of refs)
        if (ref.startsWith('refs/heads/')) out[ref.slice('refs/heads/'.length)] = sha;
      return out;
    },
    resolve: (ref) => resolveRef(ref)?.sha,
    file(path, ref = defaultBranch) {
      const sha = resolveRef(ref)?.files.get(path);
      return sha === undefined ? undefined : textOf(sha);
    },
    files(ref = defaultBranch) {
      const commit = resolveRef(ref);
      if (!commit) throw new Error(`no branch, ref or commit ${ref}`);
      return Object.fromEntries(
        [...commit.files].sort(([a], [b]) => a.localeCompare(b)).map(([p, s]) => [p, textOf(s)]),
      );
    },
    commit(sha) {
      const c = commits.get(sha);
      if (!c) return undefined;
      return {
        sha: c.sha,
        tree: c.tree,
        parents: [...c.parents],
        message: c.message,
        date: c.committer.date,
        files: Object.fromEntries([...c.files].map(([p, s]) => [p, textOf(s)])),
      };
    },
    pulls: () => pulls.map(snapshot),
    pull(number) {
      const pull = pulls.find((p) => p.number === number);
      return pull ? snapshot(pull) : undefined;
    },
    commitFiles(branch, changes, commitMessage = 'Change files') {
      const headSha = branchSha(branch);
      if (!headSha) throw new Error(`no branch ${branch}`);
      const files = new Map((commits.get(headSha) as Commit).files);
      for (const [path, content] of Object.entries(changes)) {
        if (content === null) files.delete(path);
        else files.set(path, storeFile(path, content));
      }
      const who = { name: 'someone-else', email: 'someone-else@example.com', date: isoSeconds(Date.now()) };
      const commit = makeCommit(files, [headSha], commitMessage, who, who);
      refs.set(`refs/heads/${branch}`, commit.sha);
      return commit.sha;
    },
    createBranch(name, from = defaultBranch) {
      const sha = resolveRef(from)?.sha;
      if (!sha) throw new Error(`no branch, ref or commit ${from}`);
      if (refs.has(`refs/heads/${name}`)) throw new Error(`branch ${name} exists`);
      refs.set(`refs/heads/${name}`, sha);
      return sha;
    },
    mergePull(number, method = 'merge') {
      const pull = requirePull(number);
      try {
        merge(pull, method);
      } catch (error) {
        if (error instanceof HttpAnswer) {
          throw new Error(`cannot merge #${number}: ${(error.answer.body as { message: string }).message}`);
        }
        throw error;
      }
      return snapshot(pull);
    },
    closePull(number) {
      const pull = requirePull(number);
      if (pull.state === 'closed') throw new Error(`#${number} is closed already`);
      const now = isoSeconds(Date.now());
      Object.assign(pull, { state: 'closed', closedAt: now, updatedAt: now, headSha: pullHeadSha(pull) });
      return snapshot(pull);
    },
    openPull(spec) {
      const record: RequestRecord = {
        n: 0,
        method: 'POST',
        path: `/repos/${owner}/${repo}/pulls`,
        route: 'POST /repos/{owner}/{repo}/pulls',
        status: 0,
        handled: true,
        startedAt: Date.now(),
      };
      const answer = (handlers['pulls/create'] as (ctx: Ctx) => Answer)({
        params: { owner, repo },
        query: new URLSearchParams(),
        body: { base: defaultBranch, ...spec },
        record,
      });
      if (answer.status !== 201) {
        throw new Error(`cannot open a pull request from ${spec.head}: ${JSON.stringify(answer.body)}`);
      }
      return (answer.body as { number: number }).number;
    },
    comments: (number) => issueComments.of(number).map((c) => ({ ...c })),
    addComment(number, body, author = login) {
      requirePull(number);
      return issueComments.add(number, body, author).id;
    },
    reopenPull(number) {
      const pull = requirePull(number);
      if (pull.state === 'open' || pull.merged) throw new Error(`#${number} is not closed unmerged`);
      const head = branchSha(pull.headRef);
      if (!head || !ancestors(head).has(pull.headSha)) {
        throw new Error(`#${number}: the head branch was deleted, force-pushed or recreated`);
      }
      if (pulls.some((p) => p.state === 'open' && p.headRef === pull.headRef && p.baseRef === pull.baseRef)) {
        throw new Error(`#${number}: a pull request is already open for ${owner}:${pull.headRef}`);
      }
      Object.assign(pull, { state: 'open', closedAt: null, updatedAt: isoSeconds(Date.now()) });
      return snapshot(pull);
    },
    rateLimit() {
      const window = primaryWindow(Date.now());
      return {
        limit: primaryLimit,
        remaining: Math.max(0, primaryLimit - window.used),
        used: window.used,
        reset: Math.ceil(window.resetAt / 1000),
      };
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await codeload.stop();
    },
  };
}
