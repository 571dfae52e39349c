/**
 * The ports the use cases need. Each runtime wires adapters that implement them: SQLite and a local git
 * repository on one machine; DynamoDB, SNS/SQS and GitHub on AWS.
 */
import type { Principal, Role } from './domain/access.js';
import type { DatabaseReport, PlanReport } from './domain/reports.js';
import type { Position, PullRequestRef, RequestKind, RequestRecord, Status } from './domain/status.js';

export interface Clock {
  now(): Date;
}

/** Structured logging: one JSON line per event, the request id among the fields when there is one. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type SubmitResult = { ok: true } | { ok: false; inFlight: string };

/** Records a new request as queued and hands it to the queue as one step: never one without the other. */
export interface Intake {
  /** `inFlight` names the request already queued, processing or pr_open for the same database. */
  submit(record: RequestRecord): Promise<SubmitResult>;
  /**
   * Moves a request on to its next step (queued again, `step` one higher: a retirement whose first pull
   * request merged) and hands it to the queue, as one step: never one without the other. A move the
   * state machine forbids (a replayed merge) changes nothing and sends nothing: `changed` is false.
   */
  advance(
    id: string,
    from: Position,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined>;
}

export interface StatusChange {
  at: Date;
  detail?: string;
  pullRequest?: PullRequestRef;
  failureReason?: string;
  /** With `processing`: the delivery attempt that starts now. */
  attempt?: number;
  /** The step the move goes to; absent: the record's current step. */
  step?: number;
  /** With a merge (merged, or a retirement's first step advancing): the base branch's merge commit. */
  mergeCommit?: string;
}

export interface ListQuery {
  status?: Status;
  kind?: RequestKind;
  /** Only this database's requests. */
  dbName?: string;
  limit: number;
  /** Opaque: the `nextCursor` of the previous page. */
  cursor?: string;
}

export interface StatusStore {
  get(id: string): Promise<RequestRecord | undefined>;
  /** Newest first. */
  list(query: ListQuery): Promise<{ records: RequestRecord[]; nextCursor: string | null }>;
  /**
   * Moves a request forward and records the move in its history. A move the state machine forbids
   * (backwards, out of a terminal status) changes nothing: `changed` is false. Undefined: no such request.
   */
  transition(
    id: string,
    to: Status,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined>;
  /** Adds an event to the history without changing the status (a plan's check run, a retry's reason). */
  note(id: string, at: Date, detail: string): Promise<void>;
  /** The request queued, processing or pr_open for a database, if any. */
  inFlight(dbName: string): Promise<string | undefined>;
  /** The in-flight request of each database that has one, for a page of the inventory. */
  inFlightMany(dbNames: readonly string[]): Promise<Map<string, string>>;
  /** The requests whose pull request merged as this commit (StatusChange.mergeCommit), newest first. */
  mergedAt(commit: string): Promise<RequestRecord[]>;
  /**
   * Records the latest plan reported for a request, only while its stored plan's digest is
   * `previousDigest` (null: none stored): a compare-and-swap, so of two reports racing one wins. False
   * when the plan moved on meanwhile; undefined: no such request.
   */
  setPlan(id: string, plan: PlanReport, previousDigest: string | null): Promise<boolean | undefined>;
  /** What the pipeline reported per database; a database never reported reads as emptyDatabaseReport. */
  databaseReport(dbName: string): Promise<DatabaseReport>;
  /** The same for a page of the inventory: only databases with a stored report are in the map. */
  databaseReports(dbNames: readonly string[]): Promise<Map<string, DatabaseReport>>;
  /**
   * Stores a database's report only while the stored one's version is `report.version` (0: none stored),
   * writing it as version + 1: a compare-and-swap. False when another report got there first.
   */
  putDatabaseReport(report: DatabaseReport): Promise<boolean>;
}

/** A leased message: invisible to other consumers until acknowledged, released, or its lease expires. */
export interface Delivery {
  requestId: string;
  /** 1 for the first delivery, counting every receive. */
  attempt: number;
  receipt: string;
}

export interface Queue {
  receive(max: number, visibilityMs: number): Promise<Delivery[]>;
  ack(receipt: string): Promise<void>;
  /** Back to the queue, visible again after the delay. */
  retry(receipt: string, delayMs: number, error: string): Promise<void>;
  /** Out of the queue for good, kept with its last error. */
  deadLetter(receipt: string, error: string): Promise<void>;
}

export interface PullRequestSpec {
  branch: string;
  base: string;
  title: string;
  body: string;
  requestId: string;
  /** Hosts that support them (GitHub) apply these; the local host records the pull request only. */
  labels?: string[];
  reviewers?: { users: string[]; teams: string[] };
  draft?: boolean;
}

/** An open pull request on a branch, and the request it was opened for (null: none named). */
export interface OpenPullRequest {
  number: number;
  url: string;
  requestId: string | null;
}

export interface FileChange {
  branch: string;
  path: string;
  content: string;
  message: string;
}

export interface FileRemoval {
  branch: string;
  path: string;
  message: string;
}

/** A file of a tree, and its blob: the same blob id is the same content, so it caches by it. */
export interface TreeFile {
  path: string;
  blob: string;
}

/** A file read whole with its directory (GitHost.readDirectory): its text besides its path and blob id. */
export interface DirectoryFile extends TreeFile {
  content: string;
}

/** The most bytes of files one readDirectory takes: past it the directory is refused, not held in memory. */
export const DIRECTORY_READ_LIMIT_BYTES = 256 * 1024 * 1024;

/** Why readDirectory refuses a directory: its files (at least `bytes` of them) pass the limit. */
export function directoryTooLarge(directory: string, commit: string, bytes: number): GitHostError {
  const mib = (n: number) => n / (1024 * 1024);
  return new GitHostError(
    `${directory} holds at least ${mib(bytes).toFixed(1)} MiB of files at ${commit}, more than the ${mib(DIRECTORY_READ_LIMIT_BYTES)} MiB one read may take`,
    'permanent',
  );
}

/**
 * The repository the Terraform lands in. Every mutation is idempotent: calling it again after a crash,
 * or for a duplicate message, finds the work done and changes nothing.
 */
export interface GitHost {
  /** Head commit of a branch, or null when it does not exist. */
  headOf(branch: string): Promise<string | null>;
  /** A file's text at a branch or commit, or null when it is not there. */
  readFile(ref: string, path: string): Promise<string | null>;
  /** Creates the branch at `fromCommit` unless it exists. */
  ensureBranch(branch: string, fromCommit: string): Promise<{ created: boolean; head: string }>;
  /**
   * Moves the branch to `toCommit`, dropping what it held, only while it is at `expectedHead`; false when
   * it is not (it moved, or is gone). For a branch an earlier request left behind.
   */
  resetBranch(branch: string, toCommit: string, expectedHead: string): Promise<boolean>;
  /** Commits the content on the branch unless the branch already holds exactly that content. */
  ensureFile(change: FileChange): Promise<{ committed: boolean; head: string }>;
  /** Commits the file's removal on the branch unless the branch no longer has it. */
  ensureFileRemoved(removal: FileRemoval): Promise<{ committed: boolean; head: string }>;
  /** Every file under a directory (recursively) at a commit, sorted by path; [] when there is none. */
  listFiles(commit: string, directory: string): Promise<TreeFile[]>;
  /** A blob's text by its id (from listFiles). */
  readBlob(blob: string): Promise<string>;
  /**
   * Every regular file under a directory (recursively) at a commit, with its blob id and text, sorted by
   * path; [] when the directory is absent. One bulk read (for many files missing from a cache); a
   * directory whose files total more than DIRECTORY_READ_LIMIT_BYTES is refused (permanent).
   */
  readDirectory(commit: string, directory: string): Promise<DirectoryFile[]>;
  /** Pull requests open from the branch, whatever their base. */
  openPullRequests(branch: string): Promise<OpenPullRequest[]>;
  /**
   * Opens the pull request unless one is open for the branch; returns that one. A pull request belongs to
   * one request: an open one for another request is a GitHostError('conflict'), never reused.
   */
  ensurePullRequest(spec: PullRequestSpec): Promise<{ number: number; url: string; created: boolean }>;
  /**
   * The service's one comment of a kind on a pull request, found by the hidden `marker` its body carries
   * (an HTML comment, e.g. `<!-- rds-provisioner:plan -->`): created once, then edited in place; no write
   * when it already says `body`. GitHub: an issue comment; local: kept with the pull request.
   */
  upsertPullRequestComment(
    number: number,
    marker: string,
    body: string,
  ): Promise<{ created: boolean; updated: boolean }>;
  /** Whether the commit is the branch's head or one of its ancestors; false for an unknown commit. */
  containsCommit(branch: string, commit: string): Promise<boolean>;
}

export type PullRequestState = 'open' | 'merged' | 'closed';

export interface PullRequestInfo {
  number: number;
  title: string;
  body: string;
  branch: string;
  base: string;
  state: PullRequestState;
  requestId: string | null;
  url: string;
  createdAt: string;
  updatedAt: string;
  mergeCommit: string | null;
  /** The service's comments on it (local host: the plan report), by marker; GitHub's live on GitHub. */
  comments: PullRequestComment[];
}

export interface PullRequestComment {
  marker: string;
  body: string;
  updatedAt: string;
}

/** Review of pull requests the local git host keeps (GitHub has its own). */
export interface PullRequestReview {
  list(): Promise<PullRequestInfo[]>;
  get(number: number): Promise<PullRequestInfo | undefined>;
  /** Unified diff of the branch against its base. */
  diff(number: number): Promise<string>;
  /** A merge commit on the base; throws GitHostError('conflict') when the branches conflict. */
  merge(number: number, at: Date): Promise<PullRequestInfo>;
  close(number: number, at: Date): Promise<PullRequestInfo>;
  /**
   * Finishes merges a crash interrupted (the base moved, the pull request still open): those become
   * merged. Returns how many. Run at start-up, before merged pull requests are replayed to their requests.
   */
  finishInterruptedMerges(): Promise<number>;
}

/** What an authenticator may look at: the request's headers, and what the runtime in front knows of it. */
export interface AuthRequest {
  header(name: string): string | undefined;
  /** The runtime's own context for the request (on Lambda, the API Gateway event that carries the caller). */
  env?: unknown;
}

/**
 * The caller and their role, or why the request does not authenticate (401): in words fit for the caller
 * ("the token was revoked", "the JWT expired"), never the credential itself. `actor`: who the credential
 * claimed to be, when that is known (a revoked token's user), for the audit. `forbidden`: the credential
 * is valid and names `actor`, but the policy gives that identity no role (`access.default_role: null`
 * and no `access.principals` entry): 403 on every route, not 401 (see withoutRole).
 */
export type Authentication =
  | { ok: true; principal: Principal }
  | { ok: false; reason: string; actor?: string; forbidden?: true };

/**
 * The answer for a caller who proved who they are but whom the policy maps to no role (mappedPrincipal
 * gave null): the one wording, for every authenticator that maps by the policy (IAM, API keys, OIDC).
 */
export const withoutRole = (identity: string): Authentication => ({
  ok: false,
  forbidden: true,
  actor: identity,
  reason: `${identity} holds no role: access.principals does not name it and access.default_role is null`,
});

export interface Authenticator {
  authenticate(request: AuthRequest): Promise<Authentication>;
}

/**
 * A personal API token as stored: never the token itself, only its SHA-256 digest (a token is 256 random
 * bits, so a fast hash is enough: there is nothing to guess). The role is read on every call, so a
 * revoked or changed token loses access at once.
 */
export interface TokenRecord {
  /** Public id, shown in lists and named in the audit: `tok_` and 16 base64url characters. */
  id: string;
  /** The person it identifies: a request's requester, the audit's actor. */
  user: string;
  role: Role;
  /** The environments its role holds in; null: every environment. */
  environments: string[] | null;
  /** Hex SHA-256 of the token. */
  digest: string;
  createdAt: string;
  /** Who created it (`first-start` for the token the first start made). */
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface TokenStore {
  /** Stores a new token; false (nothing stored) when its id or digest is taken. */
  create(record: TokenRecord): Promise<boolean>;
  /** The token with this digest, revoked or not. */
  byDigest(digest: string): Promise<TokenRecord | undefined>;
  get(id: string): Promise<TokenRecord | undefined>;
  /** Every token, revoked ones included, newest first. */
  list(): Promise<TokenRecord[]>;
  /**
   * Revokes a token once: `changed` false when it was revoked already (its first revocation kept).
   * Undefined: no such token.
   */
  revoke(id: string, at: Date, by: string): Promise<{ record: TokenRecord; changed: boolean } | undefined>;
}

/** What the audit trail records: every mutation and token change, and every refusal. */
export const AUDIT_ACTIONS = [
  'request.create',
  'request.change',
  'request.retire',
  'pull.merge',
  'pull.close',
  'token.create',
  'token.revoke',
  /** A call refused before any action: no valid credential (401). */
  'auth.refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One entry of the audit trail. Times are ISO 8601 UTC; text fields are bounded by whoever records. */
export interface AuditEntry {
  /** Unique and sortable by time: `at` then a random suffix, so newest first is id order. */
  id: string;
  at: string;
  /** The principal's id, or `(unauthenticated)` / the claimed user for a 401. */
  actor: string;
  role: Role | null;
  action: AuditAction;
  outcome: 'allowed' | 'denied';
  /** What was acted on: a request id, `db:NAME`, `pull:NUMBER`, a token id; for a refused credential the route (`GET /requests`). */
  target: string | null;
  environment: string | null;
  /** Why it was refused, or what was done (e.g. the token's user and role). */
  detail: string | null;
}

export interface AuditQuery {
  actor?: string;
  action?: AuditAction;
  outcome?: 'allowed' | 'denied';
  /** Entries at or after this ISO time. */
  since?: string;
  /** Entries before this ISO time. */
  until?: string;
  limit: number;
  /** Opaque: the `nextCursor` of the previous page; one from elsewhere throws InvalidCursorError. */
  cursor?: string;
}

/** Append-only: entries are never changed or removed through the service. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }>;
}

export interface SecretSource {
  get(name: string): Promise<string>;
}

/**
 * Why a git host call failed. `permanent`: retrying cannot help (no access, repository missing);
 * `transient`: it may (5xx, network, rate limit; `retryAfterMs` when the host says how long);
 * `conflict`: the repository holds something that is not ours; `not_found` and `invalid_state` for review.
 */
export class GitHostError extends Error {
  constructor(
    message: string,
    readonly kind: 'permanent' | 'transient' | 'conflict' | 'not_found' | 'invalid_state',
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GitHostError';
  }
}

/** A list cursor that no `nextCursor` produced. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid cursor: ${JSON.stringify(cursor.slice(0, 100))}`);
    this.name = 'InvalidCursorError';
  }
}
