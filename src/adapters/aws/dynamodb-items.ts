/**
 * The status table's item layout (docs/aws-contract.md): request items, in-flight lock items, the list
 * cursor. Pure mapping, no I/O.
 */
import type { RequestV1 } from '../../domain/request.js';
import type { HistoryEntry, PullRequestRef, RequestRecord, Status } from '../../domain/status.js';
import { InvalidCursorError } from '../../ports.js';

/** The constant hash key of GSI `by-created`: every request in one partition, newest first by range. */
export const LIST_PK = 'request';
export const BY_CREATED = 'by-created';
export const BY_STATUS = 'by-status';

export const requestKey = (id: string) => ({ pk: `request#${id}` });
export const lockKey = (dbName: string) => ({ pk: `db#${dbName}` });

export interface RequestItem {
  pk: string;
  kind: 'request';
  id: string;
  status: Status;
  db_name: string;
  environment: string;
  requester: string;
  request: RequestV1;
  attempts: number;
  pull_request?: PullRequestRef;
  failure_reason?: string;
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
    status: record.status,
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
  if (record.pullRequest) item.pull_request = record.pullRequest;
  if (record.failureReason !== null) item.failure_reason = record.failureReason;
  return item;
}

export function toRecord(item: RequestItem): RequestRecord {
  const pr = item.pull_request;
  return {
    id: item.id,
    status: item.status,
    request: item.request,
    requester: item.requester,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    attempts: item.attempts,
    pullRequest: pr ? { number: pr.number, url: pr.url, branch: pr.branch } : null,
    failureReason: item.failure_reason ?? null,
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
