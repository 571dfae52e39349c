import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type DatabaseReport, emptyDatabaseReport, type PlanReport } from '../../domain/reports.js';
import {
  canMoveTo,
  type HistoryEntry,
  IN_FLIGHT_STATUSES,
  type Position,
  type RequestRecord,
  type Status,
} from '../../domain/status.js';
import type { ListQuery, StatusChange, StatusStore, SubmitResult } from '../../ports.js';
import { failureReasonOf, historyDetail } from '../status-history.js';
import { type AwsClientOptions, awsErrorName, cancellationCodes, dynamoDbDocumentClient } from './clients.js';
import {
  BY_CREATED,
  BY_DB,
  BY_MERGE_COMMIT,
  BY_STATUS,
  createdId,
  type DatabaseReportItem,
  decodeCursor,
  encodeCursor,
  historyEntry,
  iso,
  LEGACY_KIND,
  LEGACY_STEP,
  LIST_PK,
  type LockItem,
  lockKey,
  positionOf,
  type RequestItem,
  reportKey,
  requestKey,
  toDatabaseReport,
  toItem,
  toRecord,
  toReportItem,
} from './dynamodb-items.js';

export interface DynamoDbStatusStoreOptions extends AwsClientOptions {
  tableName: string;
  /** A client to share; built from the other options when absent. */
  client?: DynamoDBDocumentClient;
}

/** Optimistic retries when another writer changed the item between our read and our write. */
const MAX_TRIES = 8;

const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** BatchGetItem's most keys a call. */
const BATCH_GET_MAX = 100;

/**
 * Items a filtered query reads a page at the least: a filter drops items after `Limit` counted them, so
 * pages of only the few items still wanted would take a round trip for every few requests skipped.
 */
const FILTERED_PAGE = 100;

const isInFlight = (status: Status) => IN_FLIGHT_STATUSES.includes(status);

/** Whether a lock's holder (from a read of its request item) still holds it; gone or ended: stale. */
const holdsLock = (holder: Pick<RequestItem, 'status'> | undefined) =>
  holder !== undefined && isInFlight(holder.status);

/**
 * The status store on the DynamoDB table of docs/aws-contract.md. One item per request (its history a
 * list inside it), one lock item per database with a request in flight, one report item per database the
 * pipeline reported on, three GSIs for listing and a sparse one of merge commits.
 *
 * Every write is conditional, so concurrent API, worker and webhook Lambdas cannot undo each other: the
 * domain's `canMoveTo` decides a transition from the position read, and the write compare-and-swaps that
 * position (status and step); values that depend on the current item (attempts, updated_at of a note)
 * are written with a condition on what was read too. A failed condition reads again and decides again.
 * Reads are strongly consistent except `list`, which reads the GSIs.
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
   * Newest first (created_at, then id, descending) from the GSI of the narrowest key the query names:
   * `by-db` with a database, else `by-status` with a status, else `by-created`; the other filters are
   * read on it (an item from before kinds is a creation). The cursor is the SQLite store's form, a
   * position rather than a DynamoDB key, so it stays valid across a filter change. `limit` must be a
   * positive integer.
   */
  async list(query: ListQuery): Promise<{ records: RequestRecord[]; nextCursor: string | null }> {
    const { limit, status, kind, dbName, cursor } = query;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer: ${limit}`);
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const hash =
      dbName !== undefined
        ? { index: BY_DB, name: 'db_name', value: dbName }
        : status === undefined
          ? { index: BY_CREATED, name: 'list_pk', value: LIST_PK }
          : { index: BY_STATUS, name: 'status', value: status };
    const names: Record<string, string> = { '#hash': hash.name };
    const values: Record<string, unknown> = { ':hash': hash.value };
    const filters: string[] = [];
    if (status !== undefined && hash.index !== BY_STATUS) {
      names['#status'] = 'status';
      values[':status'] = status;
      filters.push('#status = :status');
    }
    if (kind !== undefined) {
      names['#request_kind'] = 'request_kind';
      values[':kind'] = kind;
      filters.push(
        kind === LEGACY_KIND
          ? '(#request_kind = :kind OR attribute_not_exists(#request_kind))'
          : '#request_kind = :kind',
      );
    }
    if (before !== undefined) {
      names['#created_id'] = 'created_id';
      values[':before'] = before;
    }
    const items = await this.queryIndex(
      {
        IndexName: hash.index,
        KeyConditionExpression:
          before === undefined ? '#hash = :hash' : '#hash = :hash AND #created_id < :before',
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
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
   * Reads the request, lets `canMoveTo` decide the move from where it is to `to` at `change.step` (absent:
   * its current step), and writes it with a condition on the status and step read, appending the history
   * entry with list_append; when another writer came first, reads and decides again. The same rules as the
   * SQLite store: `processing` raises attempts to `change.attempt` (never lowering them; one more when none
   * is given); `pullRequest` and `mergeCommit` are stored when given; `failed` and `apply_failed` store
   * the reason (failureReasonOf). A refused move writes nothing: `changed: false` with the current record.
   * A move to a later step clears `published_at`: its message is still to go out (see SnsIntake.advance).
   * A move out of the in-flight statuses releases the database's lock; the moves after the merge never
   * touch it (it may be a newer request's by then).
   */
  async transition(
    id: string,
    to: Status,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    return this.move(id, to, change);
  }

  /** {@link transition}, and with `expected` only from exactly that position (the intake's `advance`). */
  async move(
    id: string,
    to: Status,
    change: StatusChange,
    expected?: Position,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    const entry = historyEntry(iso(change.at), to, historyDetail(to, change));
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const item = await this.item(id);
      if (!item) return undefined;
      const from = positionOf(item);
      const target: Position = { status: to, step: change.step ?? from.step };
      const unchanged = { record: toRecord(item), changed: false };
      if (expected && (expected.status !== from.status || expected.step !== from.step)) return unchanged;
      if (!canMoveTo(from, target)) return unchanged;
      try {
        const out = await this.client.send(this.moveCommand(item, target, change, entry));
        const moved = out.Attributes as RequestItem;
        if (isInFlight(from.status) && !isInFlight(to)) await this.releaseLock(moved.db_name, id);
        return { record: toRecord(moved), changed: true };
      } catch (error) {
        if (awsErrorName(error) !== CONDITION_FAILED) throw error;
      }
    }
    throw new Error(`request ${id}: gave up moving it to ${to} after ${MAX_TRIES} conflicting writes`);
  }

  /** The UpdateItem of a move `canMoveTo` allowed from the item as read, conditional on that read. */
  private moveCommand(
    item: RequestItem,
    to: Position,
    change: StatusChange,
    entry: HistoryEntry,
  ): UpdateCommand {
    const from = positionOf(item);
    const names: Record<string, string> = {
      '#status': 'status',
      '#step': 'step',
      '#updated_at': 'updated_at',
      '#history': 'history',
      '#failure_reason': 'failure_reason',
    };
    const values: Record<string, unknown> = {
      ':from_status': from.status,
      ':from_step': from.step,
      ':to': to.status,
      ':to_step': to.step,
      ':at': iso(change.at),
      ':entry': [entry],
    };
    const sets = [
      '#status = :to',
      '#step = :to_step',
      '#updated_at = :at',
      '#history = list_append(#history, :entry)',
    ];
    const reason = failureReasonOf(to.status, change);
    const removes = reason === null ? ['#failure_reason'] : [];
    const conditions = [
      '#status = :from_status',
      // An item from before steps has none: it is at its first.
      from.step === LEGACY_STEP
        ? '(#step = :from_step OR attribute_not_exists(#step))'
        : '#step = :from_step',
    ];
    if (to.status === 'processing') {
      names['#attempts'] = 'attempts';
      if (change.attempt === undefined) {
        sets.push('#attempts = #attempts + :one');
        values[':one'] = 1;
      } else {
        // max(attempts, change.attempt), which an update expression cannot say: one branch per case,
        // guarded by a condition; the other branch runs when the condition shows we read a stale count.
        values[':attempt'] = change.attempt;
        if (item.attempts <= change.attempt) {
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
    if (reason !== null) {
      sets.push('#failure_reason = :reason');
      values[':reason'] = reason;
    }
    if (change.mergeCommit !== undefined) {
      sets.push('#merge_commit = :merge_commit');
      names['#merge_commit'] = 'merge_commit';
      values[':merge_commit'] = change.mergeCommit;
    }
    if (to.step !== from.step) {
      names['#published_at'] = 'published_at';
      removes.push('#published_at');
    }
    return new UpdateCommand({
      TableName: this.tableName,
      Key: requestKey(item.id),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
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
   * `inFlight` for many databases in two rounds of BatchGetItem (at most 100 keys a call): their lock
   * items, then the status of each lock's holder, so a stale lock counts for nothing here either.
   */
  async inFlightMany(dbNames: readonly string[]): Promise<Map<string, string>> {
    const locks = await this.batchGet<LockItem>([...new Set(dbNames)].map(lockKey));
    const holders = await this.batchGet<Pick<RequestItem, 'id' | 'status'>>(
      [...new Set(locks.map((l) => l.request_id))].map(requestKey),
      { ProjectionExpression: 'id, #status', ExpressionAttributeNames: { '#status': 'status' } },
    );
    const holding = new Set(holders.filter(holdsLock).map((h) => h.id));
    return new Map(locks.filter((l) => holding.has(l.request_id)).map((l) => [l.db_name, l.request_id]));
  }

  /**
   * The keys from the sparse GSI `by-merge-commit` (newest first), then the items themselves with
   * BatchGetItem, strongly consistent: a GSI lags its table, so an item whose commit has changed since
   * (a retirement's next merge) is left out.
   */
  async mergedAt(commit: string): Promise<RequestRecord[]> {
    // A key attribute is never empty: no item can have been written with this one.
    if (commit === '') return [];
    const keys = await this.queryIndex<Pick<RequestItem, 'pk'>>({
      IndexName: BY_MERGE_COMMIT,
      KeyConditionExpression: '#merge_commit = :commit',
      ExpressionAttributeNames: { '#merge_commit': 'merge_commit' },
      ExpressionAttributeValues: { ':commit': commit },
      ScanIndexForward: false,
    });
    const items = await this.batchGet<RequestItem>(keys.map(({ pk }) => ({ pk })));
    const order = new Map(keys.map(({ pk }, i) => [pk, i]));
    return items
      .filter((item) => item.merge_commit === commit)
      .sort((a, b) => (order.get(a.pk) ?? 0) - (order.get(b.pk) ?? 0))
      .map(toRecord);
  }

  /**
   * One UpdateItem conditional on the stored plan's digest (none stored: no `plan` attribute); status,
   * history and updated_at stay as they are. A failed condition reads whether the request exists at all.
   */
  async setPlan(id: string, plan: PlanReport, previousDigest: string | null): Promise<boolean | undefined> {
    const names: Record<string, string> = { '#pk': 'pk', '#plan': 'plan' };
    const values: Record<string, unknown> = { ':plan': plan };
    let condition = 'attribute_exists(#pk) AND attribute_not_exists(#plan)';
    if (previousDigest !== null) {
      names['#digest'] = 'digest';
      values[':previous'] = previousDigest;
      condition = 'attribute_exists(#pk) AND #plan.#digest = :previous';
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(id),
          UpdateExpression: 'SET #plan = :plan',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorName(error) !== CONDITION_FAILED) throw error;
    }
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: requestKey(id),
        ConsistentRead: true,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
    return out.Item ? false : undefined;
  }

  async databaseReport(dbName: string): Promise<DatabaseReport> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: reportKey(dbName), ConsistentRead: true }),
    );
    const item = out.Item as DatabaseReportItem | undefined;
    return item ? toDatabaseReport(item) : emptyDatabaseReport(dbName);
  }

  /** The report items of a page of databases with BatchGetItem (at most 100 keys a call). */
  async databaseReports(dbNames: readonly string[]): Promise<Map<string, DatabaseReport>> {
    const items = await this.batchGet<DatabaseReportItem>([...new Set(dbNames)].map(reportKey));
    return new Map(items.map((item) => [item.db_name, toDatabaseReport(item)]));
  }

  /**
   * A PutItem of the report at version + 1, conditional on the stored version (0: on there being no
   * report item). The lock item `db#<name>` is another item: a report never touches it.
   */
  async putDatabaseReport(report: DatabaseReport): Promise<boolean> {
    const Item = toReportItem(report, report.version + 1);
    const put =
      report.version === 0
        ? new PutCommand({
            TableName: this.tableName,
            Item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          })
        : new PutCommand({
            TableName: this.tableName,
            Item,
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': report.version },
          });
    try {
      await this.client.send(put);
      return true;
    } catch (error) {
      if (awsErrorName(error) === CONDITION_FAILED) return false;
      throw error;
    }
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
   * Requests still queued and unpublished since before `olderThan` (created and last updated before it),
   * oldest first: the ones the reconciler republishes (the API died between the write, or the move to
   * a next step, and the publish).
   */
  async unpublishedQueued(olderThan: Date, limit: number): Promise<RequestRecord[]> {
    if (limit < 1) return [];
    const items = await this.queryIndex(
      {
        IndexName: BY_STATUS,
        // created_id starts with created_at: every id created at `olderThan` or later sorts above it.
        KeyConditionExpression: '#status = :queued AND #created_id < :bound',
        // A request moved on to its next step was created long ago: its move must be as old.
        FilterExpression: 'attribute_not_exists(#published_at) AND #updated_at < :older_than',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#created_id': 'created_id',
          '#published_at': 'published_at',
          '#updated_at': 'updated_at',
        },
        ExpressionAttributeValues: {
          ':queued': 'queued',
          ':bound': createdId(iso(olderThan), ''),
          ':older_than': iso(olderThan),
        },
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
    return holdsLock(await this.item(lock.request_id));
  }

  /**
   * The items of the keys that exist (strongly consistent), 100 keys a call; keys DynamoDB leaves
   * unprocessed (throttling, the 16 MB response cap) are asked again after a growing pause.
   */
  private async batchGet<T>(
    keys: Record<string, string>[],
    projection: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } = {},
  ): Promise<T[]> {
    const found: T[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_MAX);
      for (let tries = 0; pending.length > 0; tries++) {
        if (tries === MAX_TRIES)
          throw new Error(`gave up reading ${pending.length} items left unprocessed ${MAX_TRIES} times`);
        if (tries > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** tries));
        const out = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true, ...projection } },
          }),
        );
        found.push(...((out.Responses?.[this.tableName] ?? []) as T[]));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
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

  /**
   * Pages through a GSI query until `want` items matched (a page stops at 1 MB or at `Limit`); without
   * `want`, to its end.
   */
  private async queryIndex<T = RequestItem>(
    input: Omit<QueryCommandInput, 'TableName'>,
    want = Number.POSITIVE_INFINITY,
  ): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const left = want - items.length;
      // With a filter, Limit counts items read, not matched.
      const limit = input.FilterExpression ? Math.max(left, FILTERED_PAGE) : left;
      const out = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ...(Number.isFinite(limit) ? { Limit: limit } : {}),
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as T[]));
      start = out.LastEvaluatedKey;
    } while (start && items.length < want);
    return items.slice(0, want);
  }
}
