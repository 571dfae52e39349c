/**
 * The way back from CI on the AWS runtime: the pipeline's IAM role (PipelinePrincipalArn) reports
 * through the real API handler; moto's DynamoDB (created from template.yaml) keeps the plan, the
 * statuses after merge and the connection details; the GitHub simulator is the repository.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/render/plan-comment.js';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { handler as workerHandler } from '../../src/runtime/lambda/worker.js';
import { type AwsStack, createStack } from '../support/aws-stack.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { closedPullRequestEvent } from '../support/github-webhooks.js';
import { type ApiCall, apiGatewayEvent, lambdaContext, pollOnce } from '../support/lambda-events.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import { auroraState, planDocument } from '../support/terraform-documents.js';

const TOKEN = 'ghp_awsReportsTokenThatMustNeverLeak0123456';
const WEBHOOK_SECRET = 'whsec-aws-reports-test-secret';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
const PIPELINE_ROLE = 'arn:aws:iam::123456789012:role/ci-pipeline';
const PIPELINE = 'arn:aws:sts::123456789012:assumed-role/ci-pipeline/GitHubActions';

describe('AWS runtime: reports from CI', () => {
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
      parameters: { GitHubRepository: 'acme/infra', PipelinePrincipalArn: PIPELINE_ROLE },
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
  const report = (path: string, body: unknown, userArn: string | null = PIPELINE) =>
    call({ method: 'POST', path, body, userArn });
  const statusOf = async (id: string) => (await call({ method: 'GET', path: `/requests/${id}` })).json;

  async function drain() {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { records } = await pollOnce(sqs, stack.queueUrl, workerHandler, { visibilityTimeout: 30 });
      if (records.length > 0) continue;
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: stack.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const depth =
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      if (depth === 0) return;
      if (Date.now() > deadline) throw new Error('queue did not drain');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('records the plan, applying and ready with connection details, and drift, for the pipeline role only', async () => {
    const created = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'ledger', engine: 'postgres', environment: 'dev' },
    });
    expect(created.status).toBe(202);
    const id = created.json.request_id as string;
    await drain();
    const open = await statusOf(id);
    expect(open.status).toBe('pr_open');
    const { number, branch } = open.pull_request as { number: number; branch: string };
    const commit = sim.resolve(branch) as string;

    const plan = planDocument({
      changes: [{ db: 'ledger', type: 'aws_rds_cluster', name: 'this', actions: ['create'], after: {} }],
    });
    const body = { branch, pull_request: number, commit, plan };
    // A requester cannot report; the pipeline role cannot request.
    expect((await report('/reports/plan', body, ALICE)).status).toBe(401);
    const sneaky = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'sneaky', engine: 'postgres', environment: 'dev' },
      userArn: PIPELINE,
    });
    expect(sneaky.status).toBe(401);

    const planned = await report('/reports/plan', body);
    expect(planned.status, JSON.stringify(planned.json)).toBe(200);
    expect(sim.comments(number).map((c) => c.body.startsWith(PLAN_COMMENT_MARKER))).toEqual([true]);
    expect(((await statusOf(id)).plan as { databases: unknown[] }).databases).toHaveLength(1);

    const merged = sim.mergePull(number);
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
    expect(await statusOf(id)).toMatchObject({ status: 'merged', merge_commit: merged.merge_commit_sha });

    const apply = { commit: merged.merge_commit_sha };
    expect((await report('/reports/apply', { ...apply, outcome: 'started', plan })).json).toMatchObject({
      requests: [{ request_id: id, status: 'applying', changed: true }],
    });
    const done = await report('/reports/apply', {
      ...apply,
      outcome: 'succeeded',
      state: auroraState('ledger'),
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(await statusOf(id)).toMatchObject({
      status: 'ready',
      connection: {
        writer_endpoint: 'ledger.cluster-abc.eu-west-1.rds.amazonaws.com',
        password_command: expect.stringContaining(
          'aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:',
        ),
      },
    });

    const drift = planDocument({
      timestamp: '2026-12-06T02:00:00Z',
      changes: [
        {
          db: 'ledger',
          type: 'aws_rds_cluster',
          name: 'this',
          actions: ['update'],
          before: { a: 1 },
          after: { a: 2 },
        },
      ],
      drift: [
        {
          db: 'ledger',
          type: 'aws_rds_cluster',
          name: 'this',
          actions: ['update'],
          before: { a: 2 },
          after: { a: 1 },
        },
      ],
    });
    const drifted = await report('/reports/drift', {
      branch: 'main',
      commit: merged.merge_commit_sha,
      plan: drift,
    });
    expect(drifted.status, JSON.stringify(drifted.json)).toBe(200);
    const listed = await call({ method: 'GET', path: '/databases' });
    expect(listed.json.databases).toEqual([
      expect.objectContaining({
        db_name: 'ledger',
        drift: expect.objectContaining({ status: 'drifted', since: '2026-12-06T02:00:00Z' }),
        connection: expect.objectContaining({ port: 5432 }),
      }),
    ]);
    expect(output.join('')).not.toContain(TOKEN);
  });
});
