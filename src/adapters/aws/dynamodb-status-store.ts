import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  canMove,
  IN_FLIGHT_STATUSES,
  isTerminal,
  type RequestRecord,
  STATUSES,
  type Status,
} from '../../domain/status.js';
import type { ListQuery, StatusChange, StatusStore, SubmitResult } from '../../ports.js';
import { historyDetail } from '../status-history.js';
import { type AwsClientOptions, awsErrorName, dynamoDbDocumentClient } from './clients.js';
import {
  BY_CREATED,
  BY_STATUS,
  createdId,
  decodeCursor,
  encodeCursor,
  historyEntry,
  iso,
  LIST_PK,
  type LockItem,
  lockKey,
  type RequestItem,
  requestKey,
  toItem,
  toRecord,
} from './dynamodb-items.js';

export interface DynamoDbStatusStoreOptions extends AwsClientOptions {
  tableName: string;
  /** A client to share; built from the other options when absent. */
  client?: DynamoDBDocumentClient;
}

/** Optimistic retries when another writer changed the item between our read and our write. */
const MAX_TRIES = 8;

const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** `TransactionCanceledException`'s reason code for each item of the transaction, in order. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (awsErrorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

/**
 * The status store on the DynamoDB table of docs/aws-contract.md. One item per request (its history a
 * list inside it), one lock item per database with a request in flight, two GSIs for listing.
 *
 * Every write is conditional, so concurrent API, worker and webhook Lambdas cannot undo each other: a
 * transition is allowed only from the statuses `canMove` names, and values that depend on the current
 * item (attempts, updated_at of a note) are written with a condition on what was read, retried when
 * another writer came first. Reads are strongly consistent except `list`, which reads the GSIs.
 */
export class DynamoDbStatusStore implements StatusStore {
  readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(options: DynamoDbStatusStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? dynamoDbDocumentClient(options);
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const item = await this.item(id);
    return item ? toRecord(item) : undefined;
  }

  /**
   * Newest first (created_at, then id, descending) from GSI `by-created`, or `by-status` with a status.
   * The cursor is the SQLite store's form, a position rather than a DynamoDB key, so it stays valid
   * across a filter change. `limit` must be a positive integer.
   */
  async list(query: ListQuery): Promise<{ records: RequestRecord[]; nextCursor: string | null }> {
    const { limit, status, cursor } = query;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const hash =
      status === undefined
        ? { index: BY_CREATED, name: 'list_pk', value: LIST_PK }
        : { index: BY_STATUS, name: 'status', value: status };
    const items = await this.queryIndex(
      {
        IndexName: hash.index,
        KeyConditionExpression:
          before === undefined ? '#hash = :hash' : '#hash = :hash AND #created_id < :before',
        ExpressionAttributeNames: {
          '#hash': hash.name,
          ...(before === undefined ? {} : { '#created_id': 'created_id' }),
        },
        ExpressionAttributeValues: {
          ':hash': hash.value,
          ...(before === undefined ? {} : { ':before': before }),
        },
        ScanIndexForward: false,
      },
      limit + 1,
    );
    const more = items.length > limit;
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page.map(toRecord),
      nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /**
   * A conditional UpdateItem that allows only the statuses `canMove` permits to move to `to`, appending
   * the history entry with list_append. The same rules as the SQLite store: `processing` raises attempts
   * to `change.attempt` (never lowering them; one more when none is given); `pullRequest` is stored when
   * given; `failed` stores the reason. A refused move writes nothing: `changed: false` with the current
   * record. Reaching a terminal status releases the database's in-flight lock.
   */
  async transition(
    id: string,
    to: Status,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    const at = iso(change.at);
    const from = STATUSES.filter((s) => canMove(s, to));
    let known = from.length === 0 ? await this.item(id) : undefined;
    if (from.length === 0) return known ? { record: toRecord(known), changed: false } : undefined;

    const entry = historyEntry(at, to, historyDetail(to, change));
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const names: Record<string, string> = {
        '#pk': 'pk',
        '#status': 'status',
        '#updated_at': 'updated_at',
        '#history': 'history',
      };
      const values: Record<string, unknown> = { ':to': to, ':at': at, ':entry': [entry] };
      const sets = ['#status = :to', '#updated_at = :at', '#history = list_append(#history, :entry)'];
      for (const [i, s] of from.entries()) values[`:from${i}`] = s;
      const conditions = [
        'attribute_exists(#pk)',
        `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
      ];
      if (to === 'processing') {
        names['#attempts'] = 'attempts';
        if (change.attempt === undefined) {
          sets.push('#attempts = #attempts + :one');
          values[':one'] = 1;
        } else {
          // max(attempts, change.attempt), which an update expression cannot say: one branch per case,
          // guarded by a condition; the other branch runs when the condition shows we guessed wrong.
          values[':attempt'] = change.attempt;
          if (known === undefined || known.attempts <= change.attempt) {
            sets.push('#attempts = :attempt');
            conditions.push('#attempts <= :attempt');
          } else conditions.push('#attempts > :attempt');
        }
      }
      if (change.pullRequest) {
        const { number, url, branch } = change.pullRequest;
        sets.push('#pull_request = :pr');
        names['#pull_request'] = 'pull_request';
        values[':pr'] = { number, url, branch };
      }
      // A reason belongs to failed only: a failed request whose pull request merged after all drops it.
      names['#failure_reason'] = 'failure_reason';
      if (to === 'failed') {
        sets.push('#failure_reason = :reason');
        values[':reason'] = change.failureReason ?? change.detail ?? 'failed';
      }
      try {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: requestKey(id),
            UpdateExpression: `SET ${sets.join(', ')}${to === 'failed' ? '' : ' REMOVE #failure_reason'}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        const item = out.Attributes as RequestItem;
        if (isTerminal(to)) await this.releaseLock(item.db_name, id);
        return { record: toRecord(item), changed: true };
      } catch (error) {
        if (awsErrorName(error) !== CONDITION_FAILED) throw error;
      }
      known = await this.item(id);
      if (!known) return undefined;
      if (!canMove(known.status, to)) return { record: toRecord(known), changed: false };
    }
    throw new Error(`request ${id}: gave up moving it to ${to} after ${MAX_TRIES} conflicting writes`);
  }

  /** Appends a history entry with the current status; the status is unchanged. No such request: nothing. */
  async note(id: string, at: Date, detail: string): Promise<void> {
    const time = iso(at);
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const item = await this.item(id);
      if (!item) return;
      // updated_at never goes back, as in the SQLite store (MAX(updated_at, at)).
      const updatedAt = Date.parse(item.updated_at) > at.getTime() ? item.updated_at : time;
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: requestKey(id),
            UpdateExpression: 'SET #history = list_append(#history, :entry), #updated_at = :updated_at',
            // The entry names the status we read: it must still be the status when it is written.
            ConditionExpression: '#status = :status AND #updated_at <= :updated_at',
            ExpressionAttributeNames: {
              '#history': 'history',
              '#updated_at': 'updated_at',
              '#status': 'status',
            },
            ExpressionAttributeValues: {
              ':entry': [historyEntry(time, item.status, detail)],
              ':updated_at': updatedAt,
              ':status': item.status,
            },
          }),
        );
        return;
      } catch (error) {
        if (awsErrorName(error) !== CONDITION_FAILED) throw error;
      }
    }
    throw new Error(`request ${id}: gave up adding a note after ${MAX_TRIES} conflicting writes`);
  }

  /** The request holding the database's lock, unless that request has ended (a stale lock). */
  async inFlight(dbName: string): Promise<string | undefined> {
    const lock = await this.lock(dbName);
    if (!lock) return undefined;
    return (await this.holds(lock)) ? lock.request_id : undefined;
  }

  /**
   * Writes a new queued request and its database's lock in one TransactWriteItems, each only if absent.
   * A lock held by an in-flight request: nothing is written and that request is named. A stale lock (its
   * request ended without releasing it, or is gone) is taken over, conditionally on its old holder so
   * that of two requests racing for it only one wins. A duplicate request id throws.
   */
  async insertQueued(record: RequestRecord): Promise<SubmitResult> {
    if (record.status !== 'queued') throw new Error(`a new request must be queued, not ${record.status}`);
    const item = toItem(record);
    const lock: LockItem = {
      ...lockKey(item.db_name),
      kind: 'lock',
      db_name: item.db_name,
      request_id: item.id,
      created_at: item.created_at,
    };
    let staleHolder: string | undefined;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: item,
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': 'pk' },
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: lock,
                  ...(staleHolder === undefined
                    ? {
                        ConditionExpression: 'attribute_not_exists(#pk)',
                        ExpressionAttributeNames: { '#pk': 'pk' },
                      }
                    : {
                        ConditionExpression: '#request_id = :stale',
                        ExpressionAttributeNames: { '#request_id': 'request_id' },
                        ExpressionAttributeValues: { ':stale': staleHolder },
                      }),
                },
              },
            ],
          }),
        );
        return { ok: true };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') throw new Error(`request ${record.id} exists already`);
        // Anything but a lock conflict (TransactionConflict with a concurrent writer): try again.
        if (codes[1] !== 'ConditionalCheckFailed') continue;
      }
      const current = await this.lock(item.db_name);
      if (current && (await this.holds(current))) return { ok: false, inFlight: current.request_id };
      staleHolder = current?.request_id;
    }
    throw new Error(
      `database ${item.db_name}: gave up taking its lock after ${MAX_TRIES} conflicting writes`,
    );
  }

  /** Records that the request's message went out. False when there is no such request. */
  async markPublished(id: string, at: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(id),
          UpdateExpression: 'SET #published_at = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#published_at': 'published_at', '#pk': 'pk' },
          ExpressionAttributeValues: { ':at': iso(at) },
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorName(error) === CONDITION_FAILED) return false;
      throw error;
    }
  }

  /**
   * Undoes an insert whose publish failed: deletes the request and its lock in one transaction, only
   * while the request is still queued and unpublished (a worker that somehow got a message keeps it).
   * True when it removed the request.
   */
  async removeUnpublished(id: string): Promise<boolean> {
    const item = await this.item(id);
    if (!item) return false;
    const deleteRequest = {
      Delete: {
        TableName: this.tableName,
        Key: requestKey(id),
        ConditionExpression: '#status = :queued AND attribute_not_exists(#published_at)',
        ExpressionAttributeNames: { '#status': 'status', '#published_at': 'published_at' },
        ExpressionAttributeValues: { ':queued': 'queued' },
      },
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            deleteRequest,
            {
              Delete: {
                TableName: this.tableName,
                Key: lockKey(item.db_name),
                ConditionExpression: 'attribute_not_exists(#pk) OR #request_id = :id',
                ExpressionAttributeNames: { '#pk': 'pk', '#request_id': 'request_id' },
                ExpressionAttributeValues: { ':id': id },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      // Published meanwhile, moved on by a worker, or gone: not ours to undo.
      if (codes[0] === 'ConditionalCheckFailed') return false;
      if (codes[1] !== 'ConditionalCheckFailed') throw error;
    }
    // The lock is another request's (it cannot be ours to release): remove the request alone.
    try {
      await this.client.send(new DeleteCommand(deleteRequest.Delete));
      return true;
    } catch (error) {
      if (awsErrorName(error) === CONDITION_FAILED) return false;
      throw error;
    }
  }

  /**
   * Requests still queued and never published, created before `olderThan`, oldest first: the ones the
   * reconciler republishes (the API died between the write and the publish).
   */
  async unpublishedQueued(olderThan: Date, limit: number): Promise<RequestRecord[]> {
    if (limit < 1) return [];
    const items = await this.queryIndex(
      {
        IndexName: BY_STATUS,
        // created_id starts with created_at: every id created at `olderThan` or later sorts above it.
        KeyConditionExpression: '#status = :queued AND #created_id < :bound',
        FilterExpression: 'attribute_not_exists(#published_at)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#created_id': 'created_id',
          '#published_at': 'published_at',
        },
        ExpressionAttributeValues: { ':queued': 'queued', ':bound': createdId(iso(olderThan), '') },
        ScanIndexForward: true,
      },
      limit,
    );
    return items.map(toRecord);
  }

  private async item(id: string): Promise<RequestItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: requestKey(id), ConsistentRead: true }),
    );
    return out.Item as RequestItem | undefined;
  }

  private async lock(dbName: string): Promise<LockItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: lockKey(dbName), ConsistentRead: true }),
    );
    return out.Item as LockItem | undefined;
  }

  /** Whether the lock's request is still in flight; a terminal or missing one leaves the lock stale. */
  private async holds(lock: LockItem): Promise<boolean> {
    const holder = await this.item(lock.request_id);
    return holder !== undefined && IN_FLIGHT_STATUSES.includes(holder.status);
  }

  /** Only the holder's own lock: a request that took over a stale lock keeps it. */
  private async releaseLock(dbName: string, id: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: lockKey(dbName),
          ConditionExpression: '#request_id = :id',
          ExpressionAttributeNames: { '#request_id': 'request_id' },
          ExpressionAttributeValues: { ':id': id },
        }),
      );
    } catch {
      // A failed condition: not ours (or gone), nothing to release. Any other failure leaves a stale
      // lock, which the next request for the database takes over, so the move itself still stands.
    }
  }

  /** Pages through a GSI query until `want` items matched (a page stops at 1 MB or at `Limit`). */
  private async queryIndex(
    input: Omit<QueryCommandInput, 'TableName'>,
    want: number,
  ): Promise<RequestItem[]> {
    const items: RequestItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          // With a filter, Limit counts items read, not matched: read a page of the size still wanted.
          Limit: want - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as RequestItem[]));
      start = out.LastEvaluatedKey;
    } while (start && items.length < want);
    return items.slice(0, want);
  }
}
