/**
 * A database's whole life on the AWS runtime: the real API handler driven with API Gateway events,
 * moto's DynamoDB, SNS and SQS created from template.yaml, the real worker handler fed what moto
 * delivers, the signed webhook settling each step, the GitHub simulator as the repository.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { handler as workerHandler } from '../../src/runtime/lambda/worker.js';
import { type AwsStack, createStack } from '../support/aws-stack.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { closedPullRequestEvent } from '../support/github-webhooks.js';
import { type ApiCall, apiGatewayEvent, lambdaContext, pollOnce } from '../support/lambda-events.js';
import { type MotoServer, startMoto } from '../support/moto.js';

const TOKEN = 'ghp_awsLifecycleTokenThatMustNeverLeak012345';
const WEBHOOK_SECRET = 'whsec-aws-lifecycle-test-secret';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/Developer/bob';

describe('AWS runtime: a database for its whole life', () => {
  let moto: MotoServer;
  let stack: AwsStack;
  let sim: GitHubSimulator;
  let sqs: SQSClient;
  const output: string[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    moto = await startMoto();
    sim = await startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [TOKEN] });
    stack = await createStack(moto.clientConfig, {
      parameters: { GitHubRepository: 'acme/infra' },
      secretValues: { GitHubTokenSecret: TOKEN, GitHubWebhookSecret: WEBHOOK_SECRET },
    });
    Object.assign(process.env, moto.env, stack.env, {
      GITHUB_REPOSITORY: 'acme/infra',
      GITHUB_API_URL: sim.url,
      GITHUB_RETRIES: '0',
      POWERTOOLS_METRICS_NAMESPACE: 'RdsProvisionerTest',
    });
    resetServices();
    sqs = new SQSClient(moto.clientConfig);
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        output.push(String(chunk));
        return true;
      });
    }
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    process.env = savedEnv;
    resetServices();
    await sim?.stop();
    await moto?.stop();
  });

  async function call(request: ApiCall): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = (await apiHandler(
      apiGatewayEvent({ userArn: ALICE, ...request }),
      lambdaContext('api'),
    )) as APIGatewayProxyResult;
    return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : {} };
  }
  const statusOf = async (id: string) => (await call({ method: 'GET', path: `/requests/${id}` })).json;

  async function queueDepth(): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** Runs the worker as the Lambda service would until the queue is empty. */
  async function drain() {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { records } = await pollOnce(sqs, stack.queueUrl, workerHandler, { visibilityTimeout: 30 });
      if (records.length > 0) continue;
      if ((await queueDepth()) === 0) return;
      if (Date.now() > deadline) throw new Error('queue did not drain');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The worker opens the step's pull request; it is merged on GitHub and the signed webhook delivered. */
  async function mergeStep(id: string, step = 1) {
    await drain();
    const open = await statusOf(id);
    expect(open).toMatchObject({ status: 'pr_open', step });
    const merged = sim.mergePull((open.pull_request as { number: number }).number);
    const payload = JSON.stringify(closedPullRequestEvent('acme/infra', merged));
    const hook = await call({
      method: 'POST',
      path: '/webhooks/github',
      rawBody: payload,
      userArn: null,
      headers: {
        'x-github-event': 'pull_request',
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, payload),
      },
    });
    expect(hook.status).toBe(200);
    return merged;
  }

  it('creates, changes twice, retires in two steps (only its requester may, in prod), and creates the name again', async () => {
    const file = 'terraform/live/prod/ledger/main.tf';
    const created = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'ledger', engine: 'postgres', environment: 'prod', owner: 'team-ledger' },
    });
    expect(created.status).toBe(202);
    const createId = created.json.request_id as string;
    await mergeStep(createId);
    expect(await statusOf(createId)).toMatchObject({ status: 'merged', kind: 'create' });

    const listed = await call({ method: 'GET', path: '/databases', query: { environment: 'prod' } });
    expect(listed.status).toBe(200);
    expect(listed.json.databases).toEqual([
      expect.objectContaining({
        db_name: 'ledger',
        managed: 'generated',
        request_id: createId,
        in_flight: null,
      }),
    ]);

    const change1 = await call({ method: 'PATCH', path: '/databases/ledger', body: { size: 'large' } });
    expect(change1.status).toBe(202);
    const busy = await call({ method: 'DELETE', path: '/databases/ledger' });
    expect(busy).toMatchObject({ status: 409, json: { request_id: change1.json.request_id } });
    const inFlight = await call({ method: 'GET', path: '/databases' });
    expect(inFlight.json.databases).toEqual([
      expect.objectContaining({ in_flight: change1.json.request_id }),
    ]);
    await mergeStep(change1.json.request_id as string);

    const change2 = await call({
      method: 'PATCH',
      path: '/databases/ledger',
      body: { tags: { 'cost-center': 'cc-42' } },
    });
    expect(change2.status).toBe(202);
    await mergeStep(change2.json.request_id as string);
    expect(sim.file(file, 'main')).toContain('"cost-center" = "cc-42"');

    // Prod lets only whoever asked for a database retire it.
    const bob = await call({ method: 'DELETE', path: '/databases/ledger', userArn: BOB });
    expect(bob.status).toBe(403);
    const retire = await call({ method: 'DELETE', path: '/databases/ledger' });
    expect(retire.status).toBe(202);
    const rid = retire.json.request_id as string;
    await mergeStep(rid, 1);
    expect(await statusOf(rid)).toMatchObject({ status: 'queued', step: 2 });
    await mergeStep(rid, 2);
    expect(await statusOf(rid)).toMatchObject({ status: 'merged', step: 2, kind: 'retire' });
    expect(sim.file(file, 'main')).toBeUndefined();

    const kinds = await call({ method: 'GET', path: '/requests', query: { kind: 'change' } });
    expect((kinds.json.requests as Array<{ request_id: string }>).map((r) => r.request_id)).toEqual([
      change2.json.request_id,
      change1.json.request_id,
    ]);

    const again = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'ledger', engine: 'mysql', environment: 'dev' },
    });
    expect(again.status).toBe(202);
    await mergeStep(again.json.request_id as string);
    expect((await call({ method: 'GET', path: '/databases/ledger' })).json).toMatchObject({
      environment: 'dev',
      engine: 'mysql',
    });
    expect(sim.problems).toEqual([]);
    expect(output.join('')).not.toContain(TOKEN);
    expect(output.join('')).not.toContain(WEBHOOK_SECRET);
  }, 240_000);
});
