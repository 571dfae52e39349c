/**
 * The AWS runtime end to end, with real parts wherever they can run here: moto's server for DynamoDB,
 * SNS, SQS (raw delivery, redrive) and Secrets Manager, created from template.yaml; the real API handler
 * driven with API Gateway events; the real worker handler driven with the messages moto delivers, as the
 * Lambda service's poller would (receive, invoke, delete what the handler did not report failed); the
 * GitHub simulator (checked against GitHub's OpenAPI description) as the repository.
 */

import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStatusStore } from '../../src/adapters/aws/dynamodb-status-store.js';
import { publishRequest } from '../../src/adapters/aws/sns-intake.js';
import { queuedRecord } from '../../src/domain/status.js';
import { handler as reconcileHandler } from '../../src/runtime/lambda/reconcile.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { TIME_RESERVE_MS, handler as workerHandler } from '../../src/runtime/lambda/worker.js';
import { type AwsRuntime, type DrainOptions, startAwsRuntime } from '../support/aws-runtime.js';
import type { AwsStack } from '../support/aws-stack.js';
import type { GitHubSimulator } from '../support/github-simulator.js';
import { type ApiCall, lambdaContext, pollOnce } from '../support/lambda-events.js';
import type { MotoServer } from '../support/moto.js';

const TOKEN = 'ghp_awsFlowTokenThatMustNeverLeak0123456789abc';
const WEBHOOK_SECRET = 'whsec-aws-flow-test-secret-value';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
const MAX_RECEIVE_COUNT = 3;

describe('AWS runtime: API Gateway → Lambda → DynamoDB + SNS → SQS → worker Lambda → GitHub', () => {
  let aws: AwsRuntime;
  let moto: MotoServer;
  let stack: AwsStack;
  let sim: GitHubSimulator;
  let sqs: SQSClient;
  let store: DynamoDbStatusStore;

  beforeAll(async () => {
    aws = await startAwsRuntime({
      token: TOKEN,
      webhookSecret: WEBHOOK_SECRET,
      parameters: { MaxReceiveCount: MAX_RECEIVE_COUNT },
    });
    ({ moto, stack, sim, sqs } = aws);
    store = new DynamoDbStatusStore({ ...moto.clientConfig, tableName: stack.tableName });
  });

  afterAll(async () => {
    await aws?.stop();
  });

  const call = (request: ApiCall) => aws.callApi({ userArn: ALICE, ...request });
  const provision = (body: unknown) => call({ method: 'POST', path: '/provision', body });
  const statusOf = async (id: string) => (await call({ method: 'GET', path: `/requests/${id}` })).json;
  const drain = (options?: DrainOptions) => aws.drain(options);
  const queueDepth = (queueUrl: string) => aws.queueDepth(queueUrl);

  /** The next `times` writes GitHub gets for that database's branch answer 503. */
  const githubUnavailableFor = (dbName: string, times: number) =>
    sim.schedule({
      match: (r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(`provision-rds-${dbName}`),
      times,
      fault: { kind: 'status', status: 503 },
    });

  /** What the dead-letter queue holds, with attributes, left in place. */
  async function deadLetters() {
    const letters = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 0,
      }),
    );
    return letters.Messages ?? [];
  }

  it('takes a request to pr_open, then merged by the signed webhook; status_url names the stage', async () => {
    const accepted = await provision({ db_name: 'orders', engine: 'postgres', environment: 'dev' });
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    expect(accepted.json.status_url).toBe(
      `https://abc123.execute-api.us-east-1.amazonaws.com/v1/requests/${id}`,
    );
    expect(await statusOf(id)).toMatchObject({ status: 'queued', requester: ALICE });

    await drain();
    const open = await statusOf(id);
    expect(open.status).toBe('pr_open');
    const pulls = sim.pulls().filter((p) => p.head.ref === 'feature/provision-rds-orders');
    expect(pulls).toHaveLength(1);
    expect(open.pull_request).toMatchObject({
      number: pulls[0]?.number,
      url: pulls[0]?.html_url,
    });
    expect(sim.file('terraform/live/dev/orders/main.tf', 'feature/provision-rds-orders')).toContain(id);

    const { hook } = await aws.mergePull(pulls[0]?.number as number);
    expect(hook.status).toBe(200);
    expect((await statusOf(id)).status).toBe('merged');

    // A late duplicate of the message changes nothing: merged never moves back, no second pull request.
    await publishRequest(new SNSClient(moto.clientConfig), stack.topicArn, id);
    await drain();
    expect((await statusOf(id)).status).toBe('merged');
    expect(sim.pulls().filter((p) => p.head.ref === 'feature/provision-rds-orders')).toHaveLength(1);
  });

  it('refuses bad input with the field named, unauthenticated calls, and a database in flight; nothing is queued', async () => {
    const before = await queueDepth(stack.queueUrl);
    const invalid = await provision({ db_name: 'Bad_Name', engine: 'mysql', environment: 'dev' });
    expect(invalid.status).toBe(400);
    const issues = invalid.json.issues as Array<{ path: string; message: string }>;
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((issue) => issue.path === 'db_name')).toBe(true);

    const anonymous = await call({ method: 'GET', path: '/requests', userArn: null });
    expect(anonymous.status).toBe(401);

    const first = await provision({ db_name: 'ledger', engine: 'mysql', environment: 'dev' });
    expect(first.status).toBe(202);
    const second = await provision({ db_name: 'ledger', engine: 'mysql', environment: 'dev' });
    expect(second.status).toBe(409);
    expect(second.json.request_id).toBe(first.json.request_id);
    expect(await queueDepth(stack.queueUrl)).toBe(before + 1);
    await drain();
    expect((await statusOf(first.json.request_id as string)).status).toBe('pr_open');
  });

  it('serves the form and a dry run on AWS too; the dry run records and queues nothing', async () => {
    const form = await call({ method: 'GET', path: '/request-form' });
    expect(form.status).toBe(200);
    expect(Object.keys(form.json.environments as object)).toEqual(['dev', 'staging', 'prod']);
    const before = await queueDepth(stack.queueUrl);
    const preview = await call({
      method: 'POST',
      path: '/provision',
      query: { dry_run: 'true' },
      body: { db_name: 'preview-only', engine: 'mysql', environment: 'dev' },
    });
    expect(preview.status).toBe(200);
    expect(preview.json.content).toContain('module "preview-only"');
    expect(await queueDepth(stack.queueUrl)).toBe(before);
    expect(await store.inFlight('preview-only')).toBeUndefined();
  });

  it('opens one pull request when the same message is delivered twice in one batch', async () => {
    const accepted = await provision({ db_name: 'twice', engine: 'mysql', environment: 'dev' });
    const id = accepted.json.request_id as string;
    await publishRequest(new SNSClient(moto.clientConfig), stack.topicArn, id);
    expect(await queueDepth(stack.queueUrl)).toBe(2);
    await drain();
    expect(sim.pulls().filter((p) => p.head.ref === 'feature/provision-rds-twice')).toHaveLength(1);
    expect((await statusOf(id)).status).toBe('pr_open');
  });

  it('reports exactly the failed records of a partial batch; they succeed once GitHub recovers', async () => {
    const good = await provision({ db_name: 'steady', engine: 'mysql', environment: 'dev' });
    const flaky = await provision({ db_name: 'flaky', engine: 'mysql', environment: 'dev' });
    const flakyId = flaky.json.request_id as string;
    githubUnavailableFor('flaky', 1);
    const batch = await pollOnce(sqs, stack.queueUrl, workerHandler);
    expect(batch.records).toHaveLength(2);
    const flakyRecord = batch.records.find((r) => r.body.includes(flakyId));
    expect(batch.failed).toEqual([flakyRecord?.messageId]);
    expect((await statusOf(good.json.request_id as string)).status).toBe('pr_open');
    const retried = await statusOf(flakyId);
    expect(retried.status).toBe('processing');
    expect(JSON.stringify(retried.history)).toContain('attempt 1 failed, retrying');

    await drain();
    expect((await statusOf(flakyId)).status).toBe('pr_open');
  });

  it('starts no record when the invocation is almost out of time, and hands them straight back', async () => {
    const accepted = await provision({ db_name: 'late', engine: 'mysql', environment: 'dev' });
    const id = accepted.json.request_id as string;
    const batch = await pollOnce(sqs, stack.queueUrl, workerHandler, { remainingMs: TIME_RESERVE_MS - 1 });
    expect(batch.records).toHaveLength(1);
    expect(batch.failed).toEqual([batch.records[0]?.messageId]);
    expect((await statusOf(id)).status).toBe('queued');
    // Visible again at once, not after the queue's visibility timeout.
    const again = await pollOnce(sqs, stack.queueUrl, workerHandler);
    expect(again.records.map((r) => r.body)).toEqual(batch.records.map((r) => r.body));
    expect((await statusOf(id)).status).toBe('pr_open');
  });

  it('fails a request whose retries run out, and keeps its message in the dead-letter queue with the reason', async () => {
    const accepted = await provision({ db_name: 'doomed', engine: 'mysql', environment: 'dev' });
    const id = accepted.json.request_id as string;
    githubUnavailableFor('doomed', 1_000);
    await drain({ until: async () => (await statusOf(id)).status === 'failed' });
    sim.clearFaults();
    const failed = await statusOf(id);
    expect(failed.status).toBe('failed');
    expect(failed.failure_reason).toMatch(new RegExp(`gave up after ${MAX_RECEIVE_COUNT} attempts`));
    const letter = (await deadLetters()).find((m) => m.Body?.includes(id));
    expect(letter?.MessageAttributes?.error?.StringValue).toMatch(/503|unavailable|GitHub/i);
  });

  it('redrives a message whose worker never finishes to the DLQ after maxReceiveCount; the reconciler fails its request', async () => {
    const accepted = await provision({ db_name: 'crashy', engine: 'mysql', environment: 'dev' });
    const id = accepted.json.request_id as string;
    // A worker that dies before settling: receive, never delete, let the lease lapse.
    for (let receive = 1; receive <= MAX_RECEIVE_COUNT; receive++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, VisibilityTimeout: 1, WaitTimeSeconds: 2 }),
      );
      expect(out.Messages?.[0]?.Body).toContain(id);
      await new Promise((r) => setTimeout(r, 1_100));
    }
    // The next receive finds it past maxReceiveCount: moto moves it to the DLQ instead of delivering it.
    const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, WaitTimeSeconds: 1 }));
    expect(after.Messages ?? []).toHaveLength(0);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBeGreaterThanOrEqual(1);
    expect((await statusOf(id)).status).toBe('queued');

    const result = await reconcileHandler({}, lambdaContext('reconcile'));
    expect(result.failed).toBeGreaterThanOrEqual(1);
    const failed = await statusOf(id);
    expect(failed.status).toBe('failed');
    expect(failed.failure_reason).toContain('dead-letter queue');
    // The message stays in the DLQ for the alarm and for inspection.
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBeGreaterThanOrEqual(1);
  });

  it('republishes a request the API recorded but never published', async () => {
    const record = queuedRecord(
      '0190aaaa-0000-7000-8000-000000000001',
      {
        db_name: 'orphan',
        engine: 'mysql',
        environment: 'dev',
      },
      ALICE,
      new Date(Date.now() - 5 * 60_000),
    );
    expect(await store.insertQueued(record)).toEqual({ ok: true });
    expect(await queueDepth(stack.queueUrl)).toBe(0);
    const result = await reconcileHandler({}, lambdaContext('reconcile'));
    expect(result.republished).toBe(1);
    await drain();
    expect((await statusOf(record.id)).status).toBe('pr_open');
    // Published now: the next run leaves it alone.
    expect((await reconcileHandler({}, lambdaContext('reconcile'))).republished).toBe(0);
  });

  it('lists requests newest first, filtered by status', async () => {
    const list = await call({ method: 'GET', path: '/requests', query: { status: 'pr_open', limit: '2' } });
    expect(list.status).toBe(200);
    type Listed = Array<{ request_id: string; status: string; created_at: string }>;
    const requests = list.json.requests as Listed;
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.status === 'pr_open')).toBe(true);
    const [newer, older] = requests.map((r) => r.created_at);
    expect(newer && older && newer >= older).toBe(true);
    const next = await call({
      method: 'GET',
      path: '/requests',
      query: { status: 'pr_open', limit: '2', cursor: list.json.next_cursor as string },
    });
    expect(next.status).toBe(200);
    const page2 = next.json.requests as Listed;
    expect(page2.length).toBeGreaterThan(0);
    expect(
      page2.every((r) => r.status === 'pr_open' && !requests.some((p) => p.request_id === r.request_id)),
    ).toBe(true);
  });

  it('serves /openapi.json without auth, describing SigV4 as the way in', async () => {
    const doc = await call({ method: 'GET', path: '/openapi.json', userArn: null });
    expect(doc.status).toBe(200);
    const components = doc.json.components as { securitySchemes: Record<string, Record<string, unknown>> };
    expect(components.securitySchemes.apiAuth).toMatchObject({
      type: 'apiKey',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
  });

  it('keeps serving what needs no GitHub while the token is unreadable, and recovers once it is back', async () => {
    resetServices(); // a new container
    const secrets = new SecretsManagerClient(moto.clientConfig);
    const tokenName = stack.secrets.GitHubTokenSecret?.name as string;
    await secrets.send(new DeleteSecretCommand({ SecretId: tokenName, ForceDeleteWithoutRecovery: true }));
    expect((await call({ method: 'GET', path: '/health', userArn: null })).status).toBe(200);
    expect((await call({ method: 'GET', path: '/requests' })).status).toBe(200);
    const refused = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'later', engine: 'mysql', environment: 'dev' },
    });
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({ error: 'unavailable', message: expect.any(String) });
    expect(await store.inFlight('later')).toBeUndefined();

    await secrets.send(new CreateSecretCommand({ Name: tokenName, SecretString: TOKEN }));
    const accepted = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'later', engine: 'mysql', environment: 'dev' },
    });
    expect(accepted.status).toBe(202);
  });

  it('sends a message that names no request straight to the dead-letter queue, without retrying it', async () => {
    await drain(); // what the tests before left queued
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'not json' }));
    const batch = await pollOnce(sqs, stack.queueUrl, workerHandler);
    expect(batch.records.map((r) => r.body)).toEqual(['not json']);
    expect(batch.failed).toEqual([]);
    expect(await queueDepth(stack.queueUrl)).toBe(0);
    const letter = (await deadLetters()).find((m) => m.Body === 'not json');
    expect(letter?.MessageAttributes?.error?.StringValue).toContain('no request_id');
  });

  it('emits the accepted, pr_opened and failed metrics in CloudWatch embedded metric format', () => {
    const emitted = new Set<string>();
    for (const line of aws.output.join('').split('\n')) {
      if (!line.includes('"_aws"')) continue;
      const emf = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> };
      };
      for (const group of emf._aws.CloudWatchMetrics) for (const m of group.Metrics) emitted.add(m.Name);
    }
    expect([...emitted].sort()).toEqual(['accepted', 'failed', 'pr_opened']);
  });

  it('never writes the GitHub token or the webhook secret to its logs or metrics', () => {
    const all = aws.output.join('');
    // Both streams were heard: info lines and the retries' warnings.
    expect(all).toContain('"level":"INFO"');
    expect(all).toContain('"level":"WARN"');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(WEBHOOK_SECRET);
    expect(sim.problems).toEqual([]);
  });
});
