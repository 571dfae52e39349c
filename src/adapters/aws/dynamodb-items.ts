/**
 * The status table's item layout (docs/aws-contract.md): request items, in-flight lock items, database
 * report items, the list cursor. Pure mapping, no I/O.
 */
import type { ChangeV1 } from '../../domain/change.js';
import type { CostEstimate } from '../../domain/cost.js';
import type { AppliedState, DatabaseReport, DriftState, PlanReport } from '../../domain/reports.js';
import type { RequestV1 } from '../../domain/request.js';
import type {
  HistoryEntry,
  Position,
  PullRequestRef,
  RequestKind,
  RequestRecord,
  Status,
} from '../../domain/status.js';
import { InvalidCursorError } from '../../ports.js';

/** The constant hash key of GSI `by-created`: every request in one partition, newest first by range. */
export const LIST_PK = 'request';
export const BY_CREATED = 'by-created';
export const BY_STATUS = 'by-status';
/** GSI of one database's requests (HASH `db_name`); lock items have no `created_id`, so it holds none. */
export const BY_DB = 'by-db';
/** Sparse GSI of merged requests by their merge commit (HASH `merge_commit`), keys only. */
export const BY_MERGE_COMMIT = 'by-merge-commit';

/** What an item written before request kinds and steps existed was: a creation, at its first step. */
export const LEGACY_KIND: RequestKind = 'create';
export const LEGACY_STEP = 1;

export const requestKey = (id: string) => ({ pk: `request#${id}` });
export const lockKey = (dbName: string) => ({ pk: `db#${dbName}` });
export const reportKey = (dbName: string) => ({ pk: `dbreport#${dbName}` });

export interface RequestItem {
  pk: string;
  /** The item's type; the request's own kind is `request_kind`. */
  kind: 'request';
  id: string;
  /** Absent in items written before kinds existed: {@link LEGACY_KIND}. */
  request_kind?: RequestKind;
  status: Status;
  /** Absent in items written before steps existed: {@link LEGACY_STEP}. */
  step?: number;
  db_name: string;
  environment: string;
  requester: string;
  request: RequestV1;
  /** A change's fields as asked; absent for other kinds. */
  change?: ChangeV1;
  attempts: number;
  pull_request?: PullRequestRef;
  failure_reason?: string;
  /** The merge commit; absent before the merge (and in items written before it was kept). */
  merge_commit?: string;
  /** The latest plan reported; absent before one. */
  plan?: PlanReport;
  /** The estimate it was queued with; absent without one. */
  cost?: CostEstimate;
  created_at: string;
  updated_at: string;
  history: HistoryEntry[];
  list_pk: typeof LIST_PK;
  created_id: string;
  published_at?: string;
}

export interface LockItem {
  pk: string;
  kind: 'lock';
  db_name: string;
  request_id: string;
  created_at: string;
}

/** What the pipeline reported of a database; `version` counts its writes (the compare-and-swap). */
export interface DatabaseReportItem {
  pk: string;
  kind: 'dbreport';
  db_name: string;
  version: number;
  connection?: AppliedState;
  drift?: DriftState;
}

/** The item a report is stored as, at the version it is written as. */
export function toReportItem(report: DatabaseReport, version: number): DatabaseReportItem {
  const item: DatabaseReportItem = {
    ...reportKey(report.dbName),
    kind: 'dbreport',
    db_name: report.dbName,
    version,
  };
  if (report.connection !== null) item.connection = report.connection;
  if (report.drift !== null) item.drift = report.drift;
  return item;
}

export const toDatabaseReport = (item: DatabaseReportItem): DatabaseReport => ({
  dbName: item.db_name,
  version: item.version,
  connection: item.connection ?? null,
  drift: item.drift ?? null,
});

/** ISO 8601 UTC; throws RangeError on a time that is not one, as the SQLite store does. */
export const iso = (value: string | Date) => new Date(value).toISOString();

/** Sort key of both GSIs: creation time, then id, so equal times order by id like the SQLite store. */
export const createdId = (createdAt: string, id: string) => `${createdAt}#${id}`;

/** A history entry without a `detail` key when there is none, as the SQLite store returns it. */
export function historyEntry(at: string, status: Status, detail: string | null | undefined): HistoryEntry {
  return detail === null || detail === undefined ? { at, status } : { at, status, detail };
}

/** A new queued request's item; its first history entry is `queued` at creation when it has none. */
export function toItem(record: RequestRecord): RequestItem {
  const createdAt = iso(record.createdAt);
  const history =
    record.history.length > 0
      ? record.history.map((h) => historyEntry(iso(h.at), h.status, h.detail))
      : [historyEntry(createdAt, record.status, null)];
  const item: RequestItem = {
    ...requestKey(record.id),
    kind: 'request',
    id: record.id,
    request_kind: record.kind,
    status: record.status,
    step: record.step,
    db_name: record.request.db_name,
    environment: record.request.environment,
    requester: record.requester,
    request: record.request,
    attempts: record.attempts,
    created_at: createdAt,
    updated_at: iso(record.updatedAt),
    history,
    list_pk: LIST_PK,
    created_id: createdId(createdAt, record.id),
  };
  if (record.change !== null) item.change = record.change;
  if (record.pullRequest) item.pull_request = record.pullRequest;
  if (record.failureReason !== null) item.failure_reason = record.failureReason;
  if (record.mergeCommit !== null) item.merge_commit = record.mergeCommit;
  if (record.plan !== null) item.plan = record.plan;
  if (record.cost !== null) item.cost = record.cost;
  return item;
}

/** Where a request item is; an item from before steps is at its first. */
export const positionOf = (item: Pick<RequestItem, 'status' | 'step'>): Position => ({
  status: item.status,
  step: item.step ?? LEGACY_STEP,
});

export function toRecord(item: RequestItem): RequestRecord {
  const pr = item.pull_request;
  return {
    id: item.id,
    kind: item.request_kind ?? LEGACY_KIND,
    ...positionOf(item),
    request: item.request,
    change: item.change ?? null,
    requester: item.requester,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    attempts: item.attempts,
    pullRequest: pr ? { number: pr.number, url: pr.url, branch: pr.branch } : null,
    failureReason: item.failure_reason ?? null,
    mergeCommit: item.merge_commit ?? null,
    plan: item.plan ?? null,
    cost: item.cost ?? null,
    history: item.history.map((h) => historyEntry(h.at, h.status, h.detail)),
  };
}

/** The same opaque form as the SQLite store's cursor: base64url of `<created_at>|<id>`. */
export const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(`${createdAt}|${id}`).toString('base64url');

/** The `created_id` a page continues below; anything that is not a cursor we made is refused. */
export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const createdAt = text.slice(0, bar);
  const id = text.slice(bar + 1);
  const time = Date.parse(createdAt);
  // Our cursors hold a canonical toISOString() time; the round trip rejects look-alikes.
  if (bar < 0 || id === '' || Number.isNaN(time) || new Date(time).toISOString() !== createdAt)
    throw new InvalidCursorError(cursor);
  return createdId(createdAt, id);
}
