import type { ChangeV1 } from './change.js';
import type { CostEstimate } from './cost.js';
import type { PlanReport } from './reports.js';
import type { RequestV1 } from './request.js';

/** What a request does to its database: create it, change its settings, or retire it. */
export const REQUEST_KINDS = ['create', 'change', 'retire'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/**
 * A request's life: queued → processing → pr_open → merged | closed; failed with a reason. After the
 * merge, what the pipeline reports: applying, then ready or apply_failed (with Terraform's reason).
 */
export const STATUSES = [
  'queued',
  'processing',
  'pr_open',
  'merged',
  'applying',
  'ready',
  'apply_failed',
  'closed',
  'failed',
] as const;
export type Status = (typeof STATUSES)[number];

/** While a request is in one of these, another request for the same database is a conflict. */
export const IN_FLIGHT_STATUSES: readonly Status[] = ['queued', 'processing', 'pr_open'];
/**
 * Where the worker's part ends, every status out of flight: nothing more to write. `merged` rests here
 * when no pipeline reports (the local runtime without one, a CI not yet set up); the pipeline's reports
 * may still move it on.
 */
export const TERMINAL_STATUSES: readonly Status[] = STATUSES.filter((s) => !IN_FLIGHT_STATUSES.includes(s));
/** Merged, and what the pipeline reported of its apply since. */
export const POST_MERGE_STATUSES: readonly Status[] = ['merged', 'applying', 'ready', 'apply_failed'];

export const isTerminal = (status: Status) => TERMINAL_STATUSES.includes(status);
export const isPostMerge = (status: Status) => POST_MERGE_STATUSES.includes(status);

/**
 * Which moves are allowed. A status never moves backwards, so a late or replayed event cannot undo a
 * later one (a webhook may even report the merge before the worker records pr_open). After merged, the
 * pipeline's reports move it on to applying, ready or apply_failed; ready is the end. The worker's terminal
 * statuses closed and failed move only into merged: a pull request closed and later reopened and
 * merged on GitHub, or one opened before its request failed (retries ran out while dressing it) and merged
 * anyway, puts the file on the base branch, and the request must say so: the file is on the base if and
 * only if the request is merged.
 */
const NEXT: Record<Status, readonly Status[]> = {
  queued: ['processing', 'pr_open', 'merged', 'closed', 'failed'],
  // processing again: a new delivery attempt after a crash or a transient error.
  processing: ['processing', 'pr_open', 'merged', 'closed', 'failed'],
  pr_open: ['merged', 'closed'],
  // The pipeline's apply: its start may go unreported, so merged may go straight to its outcome.
  merged: ['applying', 'ready', 'apply_failed'],
  applying: ['ready', 'apply_failed'],
  // A failed apply run again (the pipeline re-run, or a fix merged and applied at the same commit).
  apply_failed: ['applying', 'ready'],
  ready: [],
  closed: ['merged'],
  failed: ['merged'],
};

export function canMove(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

/** Where a request is: its status within its current step (a retirement may take two pull requests). */
export interface Position {
  status: Status;
  step: number;
}

/**
 * The whole state machine: a move within a step follows {@link canMove}; the one move to a later step is
 * a merged step's pull request handing over to the next one (to `queued`, exactly one step on, from a
 * status a merge may arrive in). A replayed or late event for an earlier step never moves a request.
 */
export function canMoveTo(from: Position, to: Position): boolean {
  if (to.step === from.step) return canMove(from.status, to.status);
  return (
    to.step === from.step + 1 &&
    to.status === 'queued' &&
    (from.status === 'pr_open' || from.status === 'processing' || from.status === 'queued')
  );
}

export interface PullRequestRef {
  number: number;
  url: string;
  branch: string;
}

/** One entry of a request's history: a status change, or an event (e.g. a plan's check run) with a note. */
export interface HistoryEntry {
  at: string;
  status: Status;
  detail?: string;
}

/** What the status store keeps for a request. Times are ISO 8601 UTC. */
export interface RequestRecord {
  id: string;
  kind: RequestKind;
  status: Status;
  /** 1, then 2 when a retirement's first pull request (lifting deletion protection) has merged. */
  step: number;
  /**
   * The database as the request leaves it: for a creation what was asked; for a change the database's
   * settings with the change applied; for a retirement its settings when retirement was asked.
   */
  request: RequestV1;
  /** A change's fields as asked (null for other kinds). */
  change: ChangeV1 | null;
  requester: string;
  createdAt: string;
  updatedAt: string;
  /** Deliveries the worker has started for this request. */
  attempts: number;
  pullRequest: PullRequestRef | null;
  /** Why it failed, in words fit for the requester (never a secret or a stack trace); also apply_failed's. */
  failureReason: string | null;
  /** The base branch's commit its pull request merged as (the commit the pipeline applies); null before. */
  mergeCommit: string | null;
  /** The latest plan the pipeline reported for its pull request; null before one. */
  plan: PlanReport | null;
  /** The estimated monthly cost of the database as the request leaves it (a change: with the difference). */
  cost: CostEstimate | null;
  history: HistoryEntry[];
}

/** A request as it is first recorded: queued, with that one history entry. */
export function queuedRecord(
  id: string,
  request: RequestV1,
  requester: string,
  at: Date,
  kind: RequestKind = 'create',
  change: ChangeV1 | null = null,
  cost: CostEstimate | null = null,
): RequestRecord {
  const time = at.toISOString();
  return {
    id,
    kind,
    status: 'queued',
    step: 1,
    request,
    change,
    requester,
    createdAt: time,
    updatedAt: time,
    attempts: 0,
    pullRequest: null,
    failureReason: null,
    mergeCommit: null,
    plan: null,
    cost,
    history: [{ at: time, status: 'queued' }],
  };
}
