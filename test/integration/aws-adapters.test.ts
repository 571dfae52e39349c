/**
 * The AWS adapters against moto's server, with real SDK calls: the resources come from template.yaml
 * (test/support/aws-stack.ts), SNS delivers to SQS for real, and moto's redrive moves messages to the DLQ.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetSubscriptionAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoDbDocumentClient } from '../../src/adapters/aws/clients.js';
import { lockKey, toItem, toReportItem } from '../../src/adapters/aws/dynamodb-items.js';
import { DynamoDbStatusStore } from '../../src/adapters/aws/dynamodb-status-store.js';
import {
  SecretsManagerSource,
  SecretUnavailableError,
} from '../../src/adapters/aws/secrets-manager-source.js';
import { publishRequest, SnsIntake } from '../../src/adapters/aws/sns-intake.js';
import { requestIdOf, SqsQueue, visibilitySeconds } from '../../src/adapters/aws/sqs-queue.js';
import { emptyDatabaseReport } from '../../src/domain/reports.js';
import type { RequestKind, RequestRecord } from '../../src/domain/status.js';
import { InvalidCursorError, type StatusStore } from '../../src/ports.js';
import { type AwsStack, createStack, readTemplate } from '../support/aws-stack.js';
import { emptyTable, tableItems } from '../support/dynamodb-table.js';
import { kindRecord, lifecycleStoreContract } from '../support/lifecycle-store-contract.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import {
  at,
  COST,
  databaseReport,
  moveTo,
  newRecord,
  PR,
  planReport,
  statusStoreContract,
  T0,
} from '../support/status-store-contract.js';

let moto: MotoServer;
let stack: AwsStack;
let doc: DynamoDBDocumentClient;
let sns: SNSClient;
let sqs: SQSClient;
let store: DynamoDbStatusStore;
let intake: SnsIntake;

beforeAll(async () => {
  moto = await startMoto();
});

afterAll(async () => {
  await moto?.stop();
});

/** A fresh moto and the template's resources in it, with the adapters on them. */
async function setUp(options: Parameters<typeof createStack>[1] = {}) {
  await moto.reset();
  stack = await createStack(moto.clientConfig, options);
  store = new DynamoDbStatusStore({ ...moto.clientConfig, tableName: stack.tableName });
  intake = new SnsIntake({ store, sns, topicArn: stack.topicArn });
}

beforeAll(() => {
  doc = dynamoDbDocumentClient(moto.clientConfig);
  sns = new SNSClient(moto.clientConfig);
  sqs = new SQSClient(moto.clientConfig);
});

afterAll(() => {
  for (const client of [doc, sns, sqs]) client?.destroy();
});

/** Messages in a queue, received or not. */
async function depth(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

const items = () => tableItems(doc, stack.tableName);

/** The stack emptied, not re-created: creating the table is most of setUp's time. */
async function emptyStack() {
  await emptyTable(doc, stack.tableName);
  // moto allows one PurgeQueue a minute, like SQS: drain instead (the tests here leave no message leased).
  for (const url of [stack.queueUrl, stack.deadLetterQueueUrl]) await drain(url);
  expect(await depth(stack.queueUrl)).toBe(0);
}

/** Receives and deletes every visible message of a queue; their bodies, in the order received. */
async function drain(queueUrl: string = stack.queueUrl): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

const rawItem = async (pk: string) =>
  (await doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk } }))).Item;

/**
 * A client that runs `meanwhile` just before the first command `when` picks goes out: a race with
 * another writer, made deterministic (moto applies DynamoDB conditions without a lock, so truly
 * concurrent calls would test moto rather than our conditions).
 */
function racing(when: (command: unknown) => boolean, meanwhile: () => Promise<unknown>) {
  const client = dynamoDbDocumentClient(moto.clientConfig);
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let raced = false;
  vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
    if (!raced && when(command)) {
      raced = true;
      await meanwhile();
    }
    return send(command);
  }) as never);
  return client;
}

const storeOn = (client: DynamoDBDocumentClient) =>
  new DynamoDbStatusStore({ client, tableName: stack.tableName });

const isWrite = (command: unknown) =>
  command instanceof UpdateCommand ||
  command instanceof PutCommand ||
  command instanceof DeleteCommand ||
  command instanceof TransactWriteCommand;

/** The contract's race: `second` runs to its end just before `first`'s first write goes out. */
async function race<A, B>(
  first: (store: StatusStore) => Promise<A>,
  second: (store: StatusStore) => Promise<B>,
): Promise<[A, B]> {
  let settled: { value: B } | undefined;
  const late = storeOn(
    racing(isWrite, async () => {
      settled = { value: await second(store) };
    }),
  );
  const a = await first(late);
  if (!settled) throw new Error('the first call wrote nothing, so the second never ran');
  return [a, settled.value];
}

async function submitted(dbName: string, time: number = T0) {
  const record = newRecord(dbName, time);
  expect(await intake.submit(record)).toEqual({ ok: true });
  return record;
}

describe('the stack from template.yaml', () => {
  beforeEach(() => setUp());

  it('creates the table with its four GSIs, the queues with redrive, the raw subscription and the secrets', async () => {
    const ddb = new DynamoDBClient(moto.clientConfig);
    const table = (await ddb.send(new DescribeTableCommand({ TableName: stack.tableName }))).Table;
    ddb.destroy();
    expect(table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    const indexes = Object.fromEntries(
      (table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, [i.KeySchema, i.Projection]]),
    );
    expect(indexes).toEqual({
      'by-created': [
        [
          { AttributeName: 'list_pk', KeyType: 'HASH' },
          { AttributeName: 'created_id', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'ALL' },
      ],
      'by-status': [
        [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'created_id', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'ALL' },
      ],
      'by-db': [
        [
          { AttributeName: 'db_name', KeyType: 'HASH' },
          { AttributeName: 'created_id', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'ALL' },
      ],
      'by-merge-commit': [
        [
          { AttributeName: 'merge_commit', KeyType: 'HASH' },
          { AttributeName: 'created_id', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'KEYS_ONLY' },
      ],
    });

    const queue = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ['All'] }),
    );
    const template = readTemplate();
    const maxReceiveCount = template.Parameters?.MaxReceiveCount?.Default;
    expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: stack.deadLetterQueueArn,
      maxReceiveCount: Number(maxReceiveCount),
    });
    expect(stack.maxReceiveCount).toBe(Number(maxReceiveCount));
    // The template maps it from another parameter: evaluated, not copied.
    const visibility = Object.values(stack.resources).find((r) => r.ref === stack.queueUrl)?.properties
      .VisibilityTimeout;
    expect(visibility).toEqual(expect.any(Number));
    expect(queue.Attributes?.VisibilityTimeout).toBe(String(visibility));

    const subscription = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: stack.subscriptionArn }),
    );
    expect(subscription.Attributes).toMatchObject({
      TopicArn: stack.topicArn,
      Endpoint: stack.queueArn,
      Protocol: 'sqs',
      RawMessageDelivery: 'true',
    });

    expect(Object.values(stack.secrets).map((s) => s.name)).toEqual(['github/pat', 'github/webhook-secret']);
    expect(stack.env).toMatchObject({
      STATUS_TABLE: stack.tableName,
      TOPIC_ARN: stack.topicArn,
      QUEUE_URL: stack.queueUrl,
      DEAD_LETTER_QUEUE_URL: stack.deadLetterQueueUrl,
      MAX_RECEIVE_COUNT: String(maxReceiveCount),
    });
  });

  it('takes parameter overrides: maxReceiveCount, secret names, no secrets at all', async () => {
    await setUp({ parameters: { MaxReceiveCount: 2, GitHubTokenSecretName: 'other/pat' } });
    expect(stack.maxReceiveCount).toBe(2);
    expect(stack.secrets.GitHubTokenSecret?.name).toBe('other/pat');
    await setUp({ parameters: { CreateGitHubSecrets: 'false' } });
    expect(stack.secrets).toEqual({});
    expect(stack.skipped.GitHubTokenSecret).toMatch(/condition CreateSecrets is false/);
  });
});

describe('DynamoDbStatusStore', () => {
  beforeAll(() => setUp());
  beforeEach(() => emptyStack());

  statusStoreContract(() => ({
    store,
    submit: (record) => intake.submit(record),
    queued: () => depth(stack.queueUrl),
    race,
  }));

  it('writes the items of docs/aws-contract.md: the request and its lock', async () => {
    const record = await submitted('orders');
    expect(await rawItem(`request#${record.id}`)).toEqual({
      pk: `request#${record.id}`,
      kind: 'request',
      id: record.id,
      request_kind: 'create',
      status: 'queued',
      step: 1,
      db_name: 'orders',
      environment: 'dev',
      requester: 'alice',
      request: record.request,
      attempts: 0,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      history: record.history,
      list_pk: 'request',
      created_id: `${record.createdAt}#${record.id}`,
      published_at: expect.any(String),
    });
    expect(await rawItem('db#orders')).toMatchObject({ pk: 'db#orders', request_id: record.id });
    await store.transition(record.id, 'failed', { at: at(1), failureReason: 'no' });
    expect(await rawItem(`request#${record.id}`)).toMatchObject({ status: 'failed', failure_reason: 'no' });
  });

  it('releases the lock on a terminal status, and only its own', async () => {
    const first = await submitted('orders');
    await moveTo(store, first.id, 'pr_open');
    expect(await rawItem('db#orders')).toMatchObject({ request_id: first.id });
    await store.transition(first.id, 'closed', { at: at(9_000) });
    expect(await rawItem('db#orders')).toBeUndefined();
    const second = await submitted('orders', T0 + 10_000);
    // A late terminal move of the first request (refused) must not drop the second's lock.
    await store.transition(first.id, 'merged', { at: at(11_000) });
    expect(await rawItem('db#orders')).toMatchObject({ request_id: second.id });
    expect(await store.inFlight('orders')).toBe(second.id);
  });

  it('of two submits for one database racing, one wins and the other names it', async () => {
    const a = newRecord('orders', T0);
    const b = newRecord('orders', T0 + 1);
    // B's whole submit lands between A's start and A's transaction.
    const racer = storeOn(
      racing(
        (c) => c instanceof TransactWriteCommand,
        () => intake.submit(b),
      ),
    );
    const result = await new SnsIntake({ store: racer, sns, topicArn: stack.topicArn }).submit(a);
    expect(result).toEqual({ ok: false, inFlight: b.id });
    expect(await store.get(a.id)).toBeUndefined();
    expect((await items()).map((i) => i.pk).sort()).toEqual(['db#orders', `request#${b.id}`]);
    expect(await depth(stack.queueUrl)).toBe(1);
  });

  it('takes over a stale lock whose request ended (or vanished) without releasing it', async () => {
    const first = await submitted('orders');
    await moveTo(store, first.id, 'merged');
    // A crash between the terminal move and the release leaves the lock behind.
    await doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: 'db#orders', kind: 'lock', db_name: 'orders', request_id: first.id, created_at: 'x' },
      }),
    );
    expect(await store.inFlight('orders')).toBeUndefined();
    // Two requests find the stale lock; B takes it over first, between A's look and A's takeover.
    const a = newRecord('orders', T0 + 1);
    const b = newRecord('orders', T0 + 2);
    let transactions = 0;
    const racer = storeOn(
      racing(
        (c) => c instanceof TransactWriteCommand && ++transactions === 2,
        () => intake.submit(b),
      ),
    );
    expect(await racer.insertQueued(a)).toEqual({ ok: false, inFlight: b.id });
    expect(transactions).toBe(2);
    expect(await rawItem('db#orders')).toMatchObject({ request_id: b.id });
    expect(await store.get(a.id)).toBeUndefined();

    await doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: 'db#billing', kind: 'lock', db_name: 'billing', request_id: 'gone', created_at: 'x' },
      }),
    );
    const billing = await submitted('billing');
    expect(await store.inFlight('billing')).toBe(billing.id);
  });

  it('refuses a duplicate id and a record that is not queued, writing nothing', async () => {
    const first = await submitted('orders');
    await expect(store.insertQueued({ ...newRecord('billing'), id: first.id })).rejects.toThrow(/exists/);
    await expect(store.insertQueued({ ...newRecord('payments'), status: 'processing' })).rejects.toThrow(
      /queued/,
    );
    await expect(store.insertQueued({ ...newRecord('payments'), createdAt: 'not a time' })).rejects.toThrow(
      RangeError,
    );
    expect((await items()).map((i) => i.pk).sort()).toEqual(['db#orders', `request#${first.id}`]);
  });

  it('writes the first history entry itself when the record has none', async () => {
    const record = { ...newRecord('orders'), history: [] };
    expect(await intake.submit(record)).toEqual({ ok: true });
    expect((await store.get(record.id))?.history).toEqual([{ at: record.createdAt, status: 'queued' }]);
  });

  it('re-checks a transition when another writer came first: never backwards, attempts never lower', async () => {
    const { id } = await submitted('orders');
    await store.transition(id, 'processing', { at: at(1), attempt: 1 });
    // The webhook's failure lands between the worker's pr_open decision and its write.
    const late = storeOn(
      racing(
        (c) => c instanceof UpdateCommand,
        () => store.transition(id, 'failed', { at: at(2), failureReason: 'closed by hand' }),
      ),
    );
    const refused = await late.transition(id, 'pr_open', { at: at(3), pullRequest: PR });
    expect(refused?.changed).toBe(false);
    expect(refused?.record).toEqual(await store.get(id));
    expect(refused?.record).toMatchObject({
      status: 'failed',
      pullRequest: null,
      failureReason: 'closed by hand',
    });
    expect(refused?.record.history.map((h) => h.status)).toEqual(['queued', 'processing', 'failed']);

    const other = await submitted('billing');
    const stale = storeOn(
      racing(
        (c) => c instanceof UpdateCommand,
        () => store.transition(other.id, 'processing', { at: at(4), attempt: 5 }),
      ),
    );
    const moved = await stale.transition(other.id, 'processing', { at: at(5), attempt: 2 });
    expect(moved).toMatchObject({ changed: true, record: { attempts: 5 } });
    expect(moved?.record.history.map((h) => h.detail)).toEqual([undefined, 'attempt 5', 'attempt 2']);
  });

  it('re-reads the status for a note when a move came between its read and its write', async () => {
    const { id } = await submitted('orders');
    const noting = storeOn(
      racing(
        (c) => c instanceof UpdateCommand,
        () => store.transition(id, 'processing', { at: at(10), attempt: 1 }),
      ),
    );
    await noting.note(id, at(5), 'check run: plan');
    expect((await store.get(id))?.history).toEqual([
      { at: at(0).toISOString(), status: 'queued' },
      { at: at(10).toISOString(), status: 'processing', detail: 'attempt 1' },
      { at: at(5).toISOString(), status: 'processing', detail: 'check run: plan' },
    ]);
    expect((await store.get(id))?.updatedAt).toBe(at(10).toISOString());
  });

  it('refuses a cursor that only looks like one', async () => {
    await submitted('orders');
    for (const cursor of ['2025-01-01|x', '2025-01-01T00:00:00Z|x', 'x|y'].map((c) =>
      Buffer.from(c).toString('base64url'),
    ))
      await expect(store.list({ limit: 10, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('pages through more items than one DynamoDB page', async () => {
    // Large histories make each item big, so moto's 1 MB pages end before the limit.
    const records = Array.from({ length: 12 }, (_, i) => ({
      ...newRecord(`db-${i}`, T0 + i),
      history: Array.from({ length: 200 }, (_, j) => ({
        at: at(j).toISOString(),
        status: 'queued' as const,
        detail: 'x'.repeat(1000),
      })),
    }));
    for (const r of records) expect(await store.insertQueued(r)).toEqual({ ok: true });
    const page = await store.list({ limit: 11 });
    expect(page.records.map((r) => r.id)).toEqual(
      records
        .slice(1)
        .reverse()
        .map((r) => r.id),
    );
    const rest = await store.list({ limit: 11, cursor: page.nextCursor ?? '' });
    expect(rest).toMatchObject({ records: [{ id: records[0]?.id }], nextCursor: null });
  });

  it("writes the pipeline's attributes on the request item, and a database's report as its own item beside the lock", async () => {
    const record = { ...newRecord('orders'), cost: COST };
    expect(await intake.submit(record)).toEqual({ ok: true });
    expect(await rawItem(`request#${record.id}`)).toMatchObject({ cost: COST });
    expect(await rawItem(`request#${record.id}`)).not.toHaveProperty('merge_commit');
    expect(await rawItem(`request#${record.id}`)).not.toHaveProperty('plan');
    await store.setPlan(record.id, planReport(1), null);
    await moveTo(store, record.id, 'pr_open');
    await store.transition(record.id, 'merged', { at: at(9_000), mergeCommit: 'c1' });
    expect(await rawItem(`request#${record.id}`)).toMatchObject({
      merge_commit: 'c1',
      plan: planReport(1),
      cost: COST,
    });
    const next = await submitted('orders', T0 + 10);
    expect(await store.putDatabaseReport(databaseReport('orders', 0))).toBe(true);
    const { dbName: _, version: __, ...reported } = databaseReport('orders', 0);
    expect(await rawItem('dbreport#orders')).toEqual({
      pk: 'dbreport#orders',
      kind: 'dbreport',
      db_name: 'orders',
      version: 1,
      ...reported,
    });
    expect(await rawItem('db#orders')).toMatchObject({ kind: 'lock', request_id: next.id });
    // A report that holds nothing leaves no attribute for it.
    expect(await store.putDatabaseReport({ ...emptyDatabaseReport('orders'), version: 1 })).toBe(true);
    expect(await rawItem('dbreport#orders')).toEqual({
      pk: 'dbreport#orders',
      kind: 'dbreport',
      db_name: 'orders',
      version: 2,
    });
  });

  it('never writes the lock after the merge: moves on from merged send only the request item', async () => {
    const older = await submitted('orders');
    await moveTo(store, older.id, 'merged');
    const newer = await submitted('orders', T0 + 10);
    const client = dynamoDbDocumentClient(moto.clientConfig);
    const send = vi.spyOn(client, 'send');
    const watched = storeOn(client);
    for (const to of ['applying', 'apply_failed', 'applying', 'ready'] as const)
      expect((await watched.transition(older.id, to, { at: at(20_000) }))?.changed).toBe(true);
    const keys = send.mock.calls.map(([command]) => [
      (command as { constructor: { name: string } }).constructor.name,
      (command as GetCommand | UpdateCommand).input.Key?.pk,
    ]);
    expect(new Set(keys.map(([name]) => name))).toEqual(new Set(['GetCommand', 'UpdateCommand']));
    expect(new Set(keys.map(([, pk]) => pk))).toEqual(new Set([`request#${older.id}`]));
    expect(await rawItem('db#orders')).toMatchObject({ request_id: newer.id });
    client.destroy();
  });

  it('finds merged requests through the sparse GSI by-merge-commit, then reads them strongly consistent', async () => {
    const records = [await submitted('orders', T0), await submitted('billing', T0 + 1)];
    for (const record of records)
      await store.transition(record.id, 'merged', { at: at(5_000), mergeCommit: 'c1' });
    const client = dynamoDbDocumentClient(moto.clientConfig);
    const send = vi.spyOn(client, 'send');
    expect((await storeOn(client).mergedAt('c1')).map((r) => r.id)).toEqual(
      records.map((r) => r.id).reverse(),
    );
    const commands = send.mock.calls.map(([command]) => command);
    expect(commands).toHaveLength(2);
    expect((commands[0] as QueryCommand).input).toMatchObject({ IndexName: 'by-merge-commit' });
    expect(commands[1]).toBeInstanceOf(BatchGetCommand);
    expect(Object.values((commands[1] as BatchGetCommand).input.RequestItems ?? {})[0]?.ConsistentRead).toBe(
      true,
    );
    client.destroy();
  });

  it('reads the reports of many databases with BatchGetItem, 100 keys a call, asking again for keys left unprocessed', async () => {
    const names = Array.from({ length: 130 }, (_, i) => `db-${String(i).padStart(3, '0')}`);
    const expected = new Map(names.map((name, i) => [name, databaseReport(name, 1, i)]));
    for (let i = 0; i < names.length; i += 25)
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [stack.tableName]: names.slice(i, i + 25).map((name, j) => ({
              PutRequest: { Item: toReportItem(databaseReport(name, 0, i + j), 1) },
            })),
          },
        }),
      );
    // DynamoDB leaves keys unprocessed under load; moto never does, so the first answer is made to.
    const client = dynamoDbDocumentClient(moto.clientConfig);
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    const asked: number[] = [];
    let leftOver = false;
    vi.spyOn(client, 'send').mockImplementation((async (command: BatchGetCommand) => {
      const request = Object.values(command.input.RequestItems ?? {})[0];
      const keys = request?.Keys ?? [];
      asked.push(keys.length);
      if (leftOver || !request) return send(command);
      leftOver = true;
      const half = keys.slice(0, 40);
      const out = (await send(
        new BatchGetCommand({ RequestItems: { [stack.tableName]: { ...request, Keys: half } } }),
      )) as { Responses?: Record<string, unknown[]> };
      return { ...out, UnprocessedKeys: { [stack.tableName]: { ...request, Keys: keys.slice(40) } } };
    }) as never);
    const found = await storeOn(client).databaseReports([...names, 'unknown', 'db-001']);
    expect(new Map([...found].sort())).toEqual(expected);
    expect(asked).toEqual([100, 60, 31]);
    client.destroy();
  });

  it('works through the SDK standard AWS_ENDPOINT_URL without an endpoint option', async () => {
    const record = await submitted('orders');
    const saved = { ...process.env };
    Object.assign(process.env, moto.env);
    try {
      const fromEnv = new DynamoDbStatusStore({ tableName: stack.tableName });
      expect(await fromEnv.get(record.id)).toEqual(record);
    } finally {
      for (const key of Object.keys(moto.env)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

/** A request and its lock as the version before kinds and steps wrote them: no request_kind, step, change. */
async function putLegacy(record: RequestRecord) {
  const { id, createdAt, request } = record;
  const item = {
    pk: `request#${id}`,
    kind: 'request',
    id,
    status: 'queued',
    db_name: request.db_name,
    environment: request.environment,
    requester: record.requester,
    request,
    attempts: 0,
    created_at: createdAt,
    updated_at: createdAt,
    history: record.history,
    list_pk: 'request',
    created_id: `${createdAt}#${id}`,
    published_at: createdAt,
  };
  const lock = { pk: `db#${request.db_name}`, kind: 'lock', db_name: request.db_name, request_id: id };
  for (const Item of [item, { ...lock, created_at: createdAt }])
    await doc.send(new PutCommand({ TableName: stack.tableName, Item }));
}

async function accepted(kind: RequestKind, dbName: string, time: number = T0) {
  const record = kindRecord(kind, dbName, time);
  expect(await intake.submit(record)).toEqual({ ok: true });
  return record;
}

describe('DynamoDbStatusStore and SnsIntake: the day-2 lifecycle', () => {
  beforeAll(() => setUp());
  beforeEach(() => emptyStack());

  lifecycleStoreContract('DynamoDB and SNS', () => ({
    store,
    intake,
    queued: () => depth(stack.queueUrl),
    take: async () => (await drain()).map((body) => requestIdOf(body) ?? body),
  }));

  it('writes kind, step and the change on the request item', async () => {
    const change = await accepted('change', 'orders');
    expect(await rawItem(`request#${change.id}`)).toMatchObject({
      kind: 'request',
      request_kind: 'change',
      step: 1,
      change: change.change,
    });
    const create = await accepted('create', 'billing');
    expect(await rawItem(`request#${create.id}`)).not.toHaveProperty('change');
  });

  it('reads a request written before kinds and steps as a creation at step 1, and moves it on', async () => {
    const old = kindRecord('create', 'orders');
    await putLegacy(old);
    expect(await store.get(old.id)).toEqual(old);
    expect((await store.list({ limit: 10, kind: 'create' })).records).toEqual([old]);
    expect((await store.list({ limit: 10, kind: 'change' })).records).toEqual([]);
    expect((await store.list({ limit: 10, dbName: 'orders' })).records).toEqual([old]);
    expect(await store.inFlightMany(['orders'])).toEqual(new Map([['orders', old.id]]));
    await moveTo(store, old.id, 'pr_open');
    // Its absent step is step 1, so the compare-and-swap of a move to step 2 matches it.
    const moved = await intake.advance(old.id, { status: 'pr_open', step: 1 }, { at: at(9_000) });
    expect(moved).toMatchObject({ changed: true, record: { status: 'queued', step: 2, kind: 'create' } });
    expect(await store.inFlight('orders')).toBe(old.id);
  });

  it('compare-and-swaps status and step: a move decided on step 1 is refused once step 2 began', async () => {
    const retire = await accepted('retire', 'orders');
    // Same status (queued) in both steps: only the step condition tells them apart.
    const late = storeOn(
      racing(
        (c) => c instanceof UpdateCommand,
        () => store.transition(retire.id, 'queued', { at: at(5), step: 2 }),
      ),
    );
    const refused = await late.transition(retire.id, 'processing', { at: at(6), attempt: 1, step: 1 });
    expect(refused).toEqual({ record: await store.get(retire.id), changed: false });
    expect(refused?.record).toMatchObject({ status: 'queued', step: 2, attempts: 0 });

    const other = await accepted('retire', 'billing');
    await moveTo(store, other.id, 'pr_open');
    const merging = storeOn(
      racing(
        (c) => c instanceof UpdateCommand,
        () => store.transition(other.id, 'queued', { at: at(8_000), step: 2 }),
      ),
    );
    // The first pull request's merge, replayed while it moved on: it must not end the retirement.
    const replay = await merging.transition(other.id, 'merged', { at: at(9_000), step: 1 });
    expect(replay?.changed).toBe(false);
    expect(await store.get(other.id)).toMatchObject({ status: 'queued', step: 2 });
    expect(await store.inFlight('billing')).toBe(other.id);
  });

  it('reads the in-flight request of many databases with BatchGetItem, at most 100 keys a call', async () => {
    const names = Array.from({ length: 130 }, (_, i) => `db-${String(i).padStart(3, '0')}`);
    const records = names.map((name, i) => kindRecord(i % 3 === 0 ? 'change' : 'create', name, T0 + i));
    // As insertQueued writes them, in batches: 130 transactions one by one would take seconds.
    const puts = records.flatMap((record) => {
      const item = toItem(record);
      const lock = { ...lockKey(item.db_name), kind: 'lock', db_name: item.db_name, request_id: item.id };
      return [item, { ...lock, created_at: item.created_at }];
    });
    for (let i = 0; i < puts.length; i += 25)
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [stack.tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    const [ended, stale, open] = records;
    await moveTo(store, ended?.id ?? '', 'merged');
    await moveTo(store, stale?.id ?? '', 'failed');
    // A crash between the terminal move and the release left this lock behind: stale, not in flight.
    await doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: 'db#db-001', kind: 'lock', db_name: 'db-001', request_id: stale?.id, created_at: 'x' },
      }),
    );
    await moveTo(store, open?.id ?? '', 'pr_open');

    const client = dynamoDbDocumentClient(moto.clientConfig);
    const send = vi.spyOn(client, 'send');
    const found = await storeOn(client).inFlightMany([...names, 'unknown', 'db-002']);
    expect(found).toEqual(new Map(records.slice(2).map((r) => [r.request.db_name, r.id])));
    const commands = send.mock.calls.map(([command]) => command);
    expect(commands.length).toBeGreaterThan(2);
    for (const command of commands) {
      expect(command).toBeInstanceOf(BatchGetCommand);
      const keys = Object.values((command as BatchGetCommand).input.RequestItems ?? {}).flatMap(
        (r) => r.Keys ?? [],
      );
      expect(keys.length).toBeLessThanOrEqual(100);
    }
    client.destroy();
  });

  it('advance publishes {"request_id"} after clearing published_at, and marks it published again', async () => {
    const retire = await accepted('retire', 'orders');
    const body = JSON.stringify({ request_id: retire.id });
    expect(await drain()).toEqual([body]);
    await moveTo(store, retire.id, 'pr_open');
    // The publish finds the step move written and published_at gone: a crash here leaves it to the reconciler.
    const publisher = new SNSClient(moto.clientConfig);
    const publish = publisher.send.bind(publisher) as (command: unknown) => Promise<unknown>;
    let unpublished: unknown = 'not read';
    vi.spyOn(publisher, 'send').mockImplementationOnce((async (command: unknown) => {
      unpublished = (await rawItem(`request#${retire.id}`))?.published_at;
      return publish(command);
    }) as never);
    const clock = { now: () => at(10_500) };
    const clocked = new SnsIntake({ store, sns: publisher, topicArn: stack.topicArn, clock });
    const moved = await clocked.advance(retire.id, { status: 'pr_open', step: 1 }, { at: at(10_000) });
    publisher.destroy();
    expect(moved?.record).toMatchObject({ status: 'queued', step: 2 });
    expect(unpublished).toBeUndefined();
    expect(await drain()).toEqual([body]);
    expect((await rawItem(`request#${retire.id}`))?.published_at).toBe(at(10_500).toISOString());
  });

  it('advance whose publish fails leaves the request queued at its next step unpublished, and the reconciler sends it', async () => {
    const retire = await accepted('retire', 'orders');
    await drain();
    await moveTo(store, retire.id, 'pr_open');
    const warnings: string[] = [];
    const logger = {
      info() {},
      warn: (m: string) => warnings.push(m),
      error: (m: string) => warnings.push(m),
    };
    const broken = new SnsIntake({ store, sns, topicArn: `${stack.topicArn}-missing`, logger });

    const moved = await broken.advance(retire.id, { status: 'pr_open', step: 1 }, { at: at(10_000) });
    expect(moved).toMatchObject({ changed: true, record: { status: 'queued', step: 2 } });
    expect(warnings).toEqual([expect.stringMatching(/not published; the reconciler publishes it/)]);
    expect(await rawItem(`request#${retire.id}`)).not.toHaveProperty('published_at');
    expect(await depth(stack.queueUrl)).toBe(0);
    // Not before it has waited as long as a new request would: the API may still be publishing it.
    expect(await intake.republishUnpublished(at(5_000))).toBe(0);
    expect(await intake.republishUnpublished(at(20_000))).toBe(1);
    expect(await drain()).toEqual([JSON.stringify({ request_id: retire.id })]);
    expect(await rawItem(`request#${retire.id}`)).toHaveProperty('published_at');
    expect(await store.get(retire.id)).toMatchObject({ status: 'queued', step: 2 });
  });
});

describe('SnsIntake', () => {
  beforeEach(() => setUp());

  it('publishes {"request_id"} that SNS delivers raw to the queue, then marks the request published', async () => {
    const record = await submitted('orders');
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queueUrl,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(out.Messages).toHaveLength(1);
    const [message] = out.Messages ?? [];
    expect(message?.Body).toBe(JSON.stringify({ request_id: record.id }));
    expect(message?.MessageAttributes?.request_id).toMatchObject({
      DataType: 'String',
      StringValue: record.id,
    });
    expect(requestIdOf(message?.Body ?? '')).toBe(record.id);
    expect((await rawItem(`request#${record.id}`))?.published_at).toEqual(expect.any(String));
  });

  it('rolls back when the publish fails: no request, no lock, no message', async () => {
    const broken = new SnsIntake({ store, sns, topicArn: `${stack.topicArn}-missing` });
    const record = newRecord('orders');
    await expect(broken.submit(record)).rejects.toThrow();
    expect(await store.get(record.id)).toBeUndefined();
    expect(await store.inFlight('orders')).toBeUndefined();
    expect(await items()).toEqual([]);
    expect(await depth(stack.queueUrl)).toBe(0);
    // Nothing is left to block the database.
    await submitted('orders');
  });

  it('rolls back only what is still queued and unpublished', async () => {
    const published = await submitted('orders');
    expect(await store.removeUnpublished(published.id)).toBe(false);
    const moved = newRecord('billing');
    await store.insertQueued(moved);
    await store.transition(moved.id, 'processing', { at: at(1), attempt: 1 });
    expect(await store.removeUnpublished(moved.id)).toBe(false);
    expect(await store.removeUnpublished('missing')).toBe(false);
    expect((await items()).filter((i) => i.kind === 'request')).toHaveLength(2);
  });

  it('republishes requests recorded but never published, once they are old enough', async () => {
    const published = await submitted('orders', T0);
    // The API died between the write and the publish: recorded, no message.
    const lost = newRecord('billing', T0 + 1_000);
    await store.insertQueued(lost);
    const recent = newRecord('payments', T0 + 200_000);
    await store.insertQueued(recent);
    expect(await depth(stack.queueUrl)).toBe(1);

    const olderThan = at(100_000);
    expect((await store.unpublishedQueued(olderThan, 10)).map((r) => r.id)).toEqual([lost.id]);
    expect(await intake.republishUnpublished(olderThan)).toBe(1);
    expect(await store.unpublishedQueued(olderThan, 10)).toEqual([]);
    expect(await depth(stack.queueUrl)).toBe(2);
    const ids = [];
    const queue = new SqsQueue({
      sqs,
      queueUrl: stack.queueUrl,
      deadLetterQueueUrl: stack.deadLetterQueueUrl,
    });
    for (const d of await queue.receive(10, 30_000)) ids.push(d.requestId);
    expect(ids.sort()).toEqual([published.id, lost.id].sort());
    // Still queued and unpublished after its status moved on: not the reconciler's any more.
    expect((await store.unpublishedQueued(at(300_000), 10)).map((r) => r.id)).toEqual([recent.id]);
    await store.transition(recent.id, 'failed', { at: at(1), failureReason: 'x' });
    expect(await store.unpublishedQueued(at(300_000), 10)).toEqual([]);
  });

  it('honours the limit of unpublished requests, across filtered pages', async () => {
    for (let i = 0; i < 5; i++) await submitted(`pub-${i}`, T0 + i);
    const lost = Array.from({ length: 4 }, (_, i) => newRecord(`lost-${i}`, T0 + 10 + i));
    for (const r of lost) await store.insertQueued(r);
    expect((await store.unpublishedQueued(at(60_000), 3)).map((r) => r.id)).toEqual(
      lost.slice(0, 3).map((r) => r.id),
    );
  });
});

describe('SqsQueue', () => {
  let queue: SqsQueue;

  beforeEach(async () => {
    await setUp({ parameters: { MaxReceiveCount: 3 } });
    queue = new SqsQueue({
      ...moto.clientConfig,
      queueUrl: stack.queueUrl,
      deadLetterQueueUrl: stack.deadLetterQueueUrl,
    });
  });

  const publish = (id: string) => publishRequest(sns, stack.topicArn, id);

  async function dlqMessages() {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        // Seen, not leased: the message stays visible for what the test does next.
        VisibilityTimeout: 0,
      }),
    );
    return out.Messages ?? [];
  }

  it('receives with the receive count as the attempt; a received message is hidden', async () => {
    await publish('a');
    await publish('b');
    const first = await queue.receive(5, 30_000);
    expect(first.map((d) => [d.requestId, d.attempt]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(new Set(first.map((d) => d.receipt)).size).toBe(2);
    expect(await queue.receive(5, 30_000)).toEqual([]);
    expect(await queue.receive(0, 30_000)).toEqual([]);
  });

  it('acks: the message is gone', async () => {
    await publish('a');
    const [d] = await queue.receive(1, 30_000);
    await queue.ack(d?.receipt ?? '');
    expect(await depth(stack.queueUrl)).toBe(0);
  });

  it('retries after the delay, with one more attempt', async () => {
    await publish('a');
    const [d] = await queue.receive(1, 30_000);
    await queue.retry(d?.receipt ?? '', 1_000, 'GitHub 502');
    expect(await queue.receive(1, 30_000)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await queue.receive(1, 30_000)).toMatchObject([{ requestId: 'a', attempt: 2 }]);
  });

  it('dead-letters: to the DLQ with the error and attempt, out of the queue', async () => {
    await publish('a');
    await queue.receive(1, 0); // a first delivery whose lease ends at once
    const [again] = await queue.receive(1, 30_000);
    expect(again?.attempt).toBe(2);
    await queue.deadLetter(again?.receipt ?? '', 'permanent: repository not found');
    expect(await depth(stack.queueUrl)).toBe(0);
    const [dead] = await dlqMessages();
    expect(dead?.Body).toBe(JSON.stringify({ request_id: 'a' }));
    expect(dead?.MessageAttributes).toMatchObject({
      error: { StringValue: 'permanent: repository not found' },
      attempt: { StringValue: '2' },
      request_id: { StringValue: 'a' },
    });
    await expect(queue.deadLetter('unknown', 'x')).rejects.toThrow(/not a receipt/);
  });

  it('sends a message naming no request to the DLQ instead of delivering it', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'not json' }));
    await publish('a');
    expect((await queue.receive(10, 30_000)).map((d) => d.requestId)).toEqual(['a']);
    const dead = await dlqMessages();
    expect(dead.map((m) => [m.Body, m.MessageAttributes?.error?.StringValue])).toEqual([
      ['not json', 'malformed message: no request_id'],
    ]);
    // Reading the DLQ itself (no DLQ of its own), such a message is skipped and left there.
    const reader = new SqsQueue({ sqs, queueUrl: stack.deadLetterQueueUrl });
    expect(await reader.receive(10, 0)).toEqual([]);
    expect(await depth(stack.deadLetterQueueUrl)).toBe(1);
    await expect(reader.deadLetter('x', 'y')).rejects.toThrow(/no dead-letter queue/);
  });

  it('ignores a stale receipt on retry', async () => {
    await publish('a');
    const [d] = await queue.receive(1, 0);
    await queue.ack(d?.receipt ?? '');
    await expect(queue.retry(d?.receipt ?? '', 0, 'late')).resolves.toBeUndefined();
  });

  it('lands in the DLQ by redrive after maxReceiveCount receives', async () => {
    await publish('a');
    for (let attempt = 1; attempt <= stack.maxReceiveCount; attempt++) {
      // Visibility 0: the lease ends at once, as if the worker crashed.
      expect(await queue.receive(1, 0)).toMatchObject([{ requestId: 'a', attempt }]);
    }
    expect(await queue.receive(1, 0)).toEqual([]);
    expect(await depth(stack.queueUrl)).toBe(0);
    const [dead] = await dlqMessages();
    expect(requestIdOf(dead?.Body ?? '')).toBe('a');
  });

  it('caps visibility at SQS’s 12 hours and rounds up to whole seconds', () => {
    expect(visibilitySeconds(1)).toBe(1);
    expect(visibilitySeconds(1_500)).toBe(2);
    expect(visibilitySeconds(-5)).toBe(0);
    expect(visibilitySeconds(13 * 3_600_000)).toBe(43_200);
  });
});

describe('requestIdOf', () => {
  it('reads the raw body and an SNS envelope; anything else is null', () => {
    expect(requestIdOf('{"request_id":"r-1"}')).toBe('r-1');
    expect(requestIdOf(JSON.stringify({ Type: 'Notification', Message: '{"request_id":"r-2"}' }))).toBe(
      'r-2',
    );
    for (const body of [
      '',
      'not json',
      'null',
      '"r-1"',
      '[]',
      '{}',
      '{"request_id":""}',
      '{"request_id":7}',
      JSON.stringify({ Type: 'Notification', Message: 'nope' }),
      JSON.stringify({
        Type: 'Notification',
        Message: JSON.stringify({ Type: 'Notification', Message: '{"request_id":"deep"}' }),
      }),
    ])
      expect(requestIdOf(body), body).toBeNull();
  });
});

describe('SecretsManagerSource', () => {
  let client: SecretsManagerClient;

  beforeEach(async () => {
    await setUp({ secretValues: { GitHubTokenSecret: 'ghp_not-a-real-token' } });
    client = new SecretsManagerClient(moto.clientConfig);
  });

  afterEach(() => client.destroy());

  it('reads a secret once per instance: a second get makes no call', async () => {
    const send = vi.spyOn(client, 'send');
    const source = new SecretsManagerSource({ client });
    expect(await source.get('github/pat')).toBe('ghp_not-a-real-token');
    expect(await source.get('github/pat')).toBe('ghp_not-a-real-token');
    expect(send).toHaveBeenCalledTimes(1);
    // Concurrent first reads share one call.
    const [a, b] = await Promise.all([
      source.get('github/webhook-secret'),
      source.get('github/webhook-secret'),
    ]);
    expect(a).toBe(b);
    expect(send).toHaveBeenCalledTimes(2);
    // The template generates the webhook secret: 48 characters, no punctuation.
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    const direct = await client.send(new GetSecretValueCommand({ SecretId: 'github/webhook-secret' }));
    expect(direct.SecretString).toBe(a);
  });

  it('names the secret in errors, never a value', async () => {
    const source = new SecretsManagerSource({ ...moto.clientConfig });
    const error = await source.get('github/missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).message).toMatch(/github\/missing/);
    const values = [await source.get('github/pat'), await source.get('github/webhook-secret')];
    for (const value of values) expect(String((error as Error).message)).not.toContain(value);
  });

  it('reports a secret created without a value, as the template creates the token', async () => {
    await setUp();
    const source = new SecretsManagerSource({ ...moto.clientConfig });
    await expect(source.get('github/pat')).rejects.toThrow(/github\/pat .*no value/);
    // A failure is not cached: once the value is put, the same instance reads it.
    await client.send(new PutSecretValueCommand({ SecretId: 'github/pat', SecretString: 'ghp_later' }));
    expect(await source.get('github/pat')).toBe('ghp_later');
  });
});
