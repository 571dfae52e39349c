/**
 * A database's whole life on the AWS runtime: the real API handler driven with API Gateway events,
 * moto's DynamoDB, SNS and SQS created from template.yaml, the real worker handler fed what moto
 * delivers, the signed webhook settling each step, the GitHub simulator as the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import type { GitHubSimulator } from '../support/github-simulator.js';
import type { ApiCall } from '../support/lambda-events.js';

const TOKEN = 'ghp_awsLifecycleTokenThatMustNeverLeak012345';
const WEBHOOK_SECRET = 'whsec-aws-lifecycle-test-secret';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/Developer/bob';

describe('AWS runtime: a database for its whole life', () => {
  let aws: AwsRuntime;
  let sim: GitHubSimulator;

  beforeAll(async () => {
    aws = await startAwsRuntime({ token: TOKEN, webhookSecret: WEBHOOK_SECRET });
    sim = aws.sim;
  });

  afterAll(async () => {
    await aws?.stop();
  });

  const call = (request: ApiCall) => aws.callApi({ userArn: ALICE, ...request });
  const statusOf = async (id: string) => (await call({ method: 'GET', path: `/requests/${id}` })).json;
  const drain = () => aws.drain();

  /** The worker opens the step's pull request; it is merged on GitHub and the signed webhook delivered. */
  async function mergeStep(id: string, step = 1) {
    await drain();
    const open = await statusOf(id);
    expect(open).toMatchObject({ status: 'pr_open', step });
    const { merged, hook } = await aws.mergePull((open.pull_request as { number: number }).number);
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
    expect(aws.output.join('')).not.toContain(TOKEN);
    expect(aws.output.join('')).not.toContain(WEBHOOK_SECRET);
  }, 240_000);
});
