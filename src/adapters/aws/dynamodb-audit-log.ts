import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, type AuditLog, type AuditQuery, InvalidCursorError } from '../../ports.js';
import { UUID_V7 } from '../system.js';
import { awsErrorName } from './clients.js';
import { BY_CREATED } from './dynamodb-items.js';
import { queryItems } from './dynamodb-query.js';

export interface DynamoDbAuditLogOptions {
  client: DynamoDBDocumentClient;
  /** The stack's one table (STATUS_TABLE): audit entries live beside the requests under their own keys. */
  tableName: string;
}

/*
 * Layout, on the table's existing GSI `by-created` (HASH list_pk, RANGE created_id), so the template
 * needs no new index:
 * - an entry: pk `audit#<id>`, list_pk `audit-on#<day>` (the UTC day of `at`), created_id `<id>`. One
 *   partition a day keeps any partition's size bounded by a day's traffic, and the UUIDv7 id orders a
 *   day newest first;
 * - a day that has entries: pk `audit-day#<day>`, list_pk `audit-days`, created_id `<day>` (one small
 *   item a day, written once per process and day before the day's first entry).
 * A page reads the days (newest first, within since/until and below the cursor's day) from `audit-days`
 * and queries each day's partition until it has `limit` entries, so a page costs a query per day it
 * spans, never a scan, and days without entries cost nothing. actor/action/outcome (and since/until
 * within their boundary days) are filters on those queries: a rare actor over a long time reads the
 * entries between (a GSI per filter would not, at a write per entry each).
 * Order: by day of `at`, then id, newest first; the same as the SQLite store's id order whenever ids
 * and times agree, as recordAudit makes them (both from one moment).
 */
const DAYS_PK = 'audit-days';
const entryKey = (id: string) => ({ pk: `audit#${id}` });
const dayKey = (day: string) => ({ pk: `audit-day#${day}` });
const entriesOn = (day: string) => `audit-on#${day}`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day an entry's `at` (ISO 8601) falls on; its partition. */
function dayOf(at: string): string {
  const day = at.slice(0, 10);
  if (!DAY.test(day)) throw new RangeError(`an audit entry's time must be ISO 8601: ${JSON.stringify(at)}`);
  return day;
}

interface EntryItem {
  pk: string;
  kind: 'audit';
  list_pk: string;
  created_id: string;
  id: string;
  at: string;
  actor: string;
  role: AuditEntry['role'];
  action: AuditEntry['action'];
  outcome: AuditEntry['outcome'];
  target: string | null;
  environment: string | null;
  detail: string | null;
}

const toEntry = (item: EntryItem): AuditEntry => ({
  id: item.id,
  at: item.at,
  actor: item.actor,
  role: item.role ?? null,
  action: item.action,
  outcome: item.outcome,
  target: item.target ?? null,
  environment: item.environment ?? null,
  detail: item.detail ?? null,
});

/** Opaque to callers: base64url of `<day>|<id>`, the last entry listed and the partition it is in. */
const encodeCursor = (day: string, id: string) => Buffer.from(`${day}|${id}`).toString('base64url');
function decodeCursor(cursor: string): { day: string; id: string } {
  const [day = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !DAY.test(day) || !UUID_V7.test(id)) throw new InvalidCursorError(cursor);
  return { day, id };
}

/** Items a filtered query reads a call at the least: a filter drops items after Limit counted them. */
const FILTERED_PAGE = 100;

/** Days read a call from `audit-days`. */
const DAYS_PAGE = 30;

/** The audit trail in the stack's DynamoDB table: append-only, newest first. */
export class DynamoDbAuditLog implements AuditLog {
  /** Days this process has marked as having entries (a marker is the same item every time). */
  private readonly markedDays = new Set<string>();

  constructor(private readonly options: DynamoDbAuditLogOptions) {}

  /** Refuses an id already recorded (the first entry stays): the trail is append-only. */
  async record(entry: AuditEntry): Promise<void> {
    const { client, tableName } = this.options;
    const day = dayOf(entry.at);
    // The day's marker before its entry, so that a listed day is never missing one of its entries.
    if (!this.markedDays.has(day)) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...dayKey(day), kind: 'audit-day', list_pk: DAYS_PK, created_id: day },
        }),
      );
      this.markedDays.add(day);
    }
    const item: EntryItem = {
      ...entryKey(entry.id),
      kind: 'audit',
      list_pk: entriesOn(day),
      created_id: entry.id,
      ...entry,
    };
    try {
      await client.send(
        new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException')
        throw new Error(`audit entry ${entry.id} is recorded already: the trail is append-only`);
      throw error;
    }
  }

  async list(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const entries: AuditEntry[] = [];
    const filter = entryFilter(query);
    for await (const day of this.days(query, after?.day)) {
      const want = limit + 1 - entries.length;
      const below = after?.day === day ? after.id : undefined;
      const items = queryItems<EntryItem>(
        this.options.client,
        {
          TableName: this.options.tableName,
          IndexName: BY_CREATED,
          KeyConditionExpression:
            below === undefined ? 'list_pk = :day' : 'list_pk = :day AND created_id < :below',
          ...(filter.expression ? { FilterExpression: filter.expression } : {}),
          ...(Object.keys(filter.names).length > 0 ? { ExpressionAttributeNames: filter.names } : {}),
          ExpressionAttributeValues: {
            ':day': entriesOn(day),
            ...(below === undefined ? {} : { ':below': below }),
            ...filter.values,
          },
          ScanIndexForward: false,
        },
        filter.expression ? Math.max(want, FILTERED_PAGE) : want,
      );
      for await (const item of items) {
        entries.push(toEntry(item));
        if (entries.length > limit) break;
      }
      if (entries.length > limit) break;
    }
    const more = entries.length > limit;
    if (more) entries.pop();
    const last = entries.at(-1);
    return { entries, nextCursor: more && last ? encodeCursor(dayOf(last.at), last.id) : null };
  }

  /**
   * The days with entries that may match, newest first: at or after since's day, at or before until's
   * day and the cursor's. (A time's first ten characters bound it: `at >= since` implies the same of
   * their days, `at < until` that at's day is at most until's.)
   */
  private days(query: AuditQuery, cursorDay: string | undefined): AsyncGenerator<string> {
    const lo = query.since?.slice(0, 10);
    const upper = [query.until?.slice(0, 10), cursorDay].filter((d): d is string => d !== undefined);
    const hi = upper.length > 0 ? upper.sort()[0] : undefined;
    const range =
      lo !== undefined && hi !== undefined
        ? ' AND created_id BETWEEN :lo AND :hi'
        : lo !== undefined
          ? ' AND created_id >= :lo'
          : hi !== undefined
            ? ' AND created_id <= :hi'
            : '';
    if (lo !== undefined && hi !== undefined && lo > hi) return (async function* () {})();
    return mapItems(
      queryItems<{ created_id: string }>(
        this.options.client,
        {
          TableName: this.options.tableName,
          IndexName: BY_CREATED,
          KeyConditionExpression: `list_pk = :days${range}`,
          ExpressionAttributeValues: {
            ':days': DAYS_PK,
            ...(lo === undefined ? {} : { ':lo': lo }),
            ...(hi === undefined ? {} : { ':hi': hi }),
          },
          ScanIndexForward: false,
        },
        DAYS_PAGE,
      ),
      (item) => item.created_id,
    );
  }
}

async function* mapItems<T, U>(items: AsyncGenerator<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield map(item);
}

/** The query's filters as one FilterExpression on an entry's attributes. */
function entryFilter(query: AuditQuery) {
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  const conditions: string[] = [];
  const conditionsOf = [
    ['actor', 'actor', '='],
    ['action', 'action', '='],
    ['outcome', 'outcome', '='],
    ['since', 'at', '>='],
    ['until', 'at', '<'],
  ] as const;
  for (const [field, attribute, operator] of conditionsOf) {
    const value = query[field];
    if (value === undefined) continue;
    names[`#${attribute}`] = attribute;
    values[`:${field}`] = value;
    conditions.push(`#${attribute} ${operator} :${field}`);
  }
  return { expression: conditions.join(' AND '), names, values };
}
