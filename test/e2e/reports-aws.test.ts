/**
 * The way back from CI on the AWS runtime: the pipeline's IAM roles (PipelinePrincipalArn, the plan
 * role and the apply role, comma-separated) report
 * through the real API handler; moto's DynamoDB (created from template.yaml) keeps the plan, the
 * statuses after merge and the connection details; the GitHub simulator is the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/render/plan-comment.js';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import type { GitHubSimulator } from '../support/github-simulator.js';
import type { ApiCall } from '../support/lambda-events.js';
import { auroraState, planDocument } from '../support/terraform-documents.js';

const TOKEN = 'ghp_awsReportsTokenThatMustNeverLeak0123456';
const WEBHOOK_SECRET = 'whsec-aws-reports-test-secret';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
/** The plan and drift jobs' role (TF_PLAN_ROLE_ARN) and the apply jobs' (TF_APPLY_ROLE_ARN). */
const PLAN_ROLE = 'arn:aws:iam::123456789012:role/terraform-plan';
const APPLY_ROLE = 'arn:aws:iam::123456789012:role/ci/terraform-apply';
const PLAN = 'arn:aws:sts::123456789012:assumed-role/terraform-plan/GitHubActions';
const APPLY = 'arn:aws:sts::123456789012:assumed-role/terraform-apply/GitHubActions';
/** A role CI may assume that the stack does not list. */
const UNLISTED = 'arn:aws:sts::123456789012:assumed-role/terraform-prod-apply/GitHubActions';

describe('AWS runtime: reports from CI', () => {
  let aws: AwsRuntime;
  let sim: GitHubSimulator;

  beforeAll(async () => {
    aws = await startAwsRuntime({
      token: TOKEN,
      webhookSecret: WEBHOOK_SECRET,
      parameters: { PipelinePrincipalArn: `${PLAN_ROLE} , ${APPLY_ROLE}` },
    });
    sim = aws.sim;
  });

  afterAll(async () => {
    await aws?.stop();
  });

  const call = (request: ApiCall) => aws.callApi({ userArn: ALICE, ...request });
  const report = (path: string, body: unknown, userArn: string | null) =>
    call({ method: 'POST', path, body, userArn });
  const statusOf = async (id: string) => (await call({ method: 'GET', path: `/requests/${id}` })).json;
  const drain = () => aws.drain();

  it('records the plan and drift (plan role), applying and ready with connection details (apply role), for the listed roles only', async () => {
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
    // A requester or a role the stack does not list cannot report; a pipeline role cannot request.
    expect((await report('/reports/plan', body, ALICE)).status).toBe(401);
    expect((await report('/reports/plan', body, UNLISTED)).status).toBe(401);
    const sneaky = await call({
      method: 'POST',
      path: '/provision',
      body: { db_name: 'sneaky', engine: 'postgres', environment: 'dev' },
      userArn: APPLY,
    });
    expect(sneaky.status).toBe(401);

    const planned = await report('/reports/plan', body, PLAN);
    expect(planned.status, JSON.stringify(planned.json)).toBe(200);
    expect(sim.comments(number).map((c) => c.body.startsWith(PLAN_COMMENT_MARKER))).toEqual([true]);
    expect(((await statusOf(id)).plan as { databases: unknown[] }).databases).toHaveLength(1);

    const { merged, hook } = await aws.mergePull(number);
    expect(hook.status).toBe(200);
    expect(await statusOf(id)).toMatchObject({ status: 'merged', merge_commit: merged.merge_commit_sha });

    const apply = { commit: merged.merge_commit_sha };
    const unlisted = await report('/reports/apply', { ...apply, outcome: 'started', plan }, UNLISTED);
    expect(unlisted.status).toBe(401);
    expect((await statusOf(id)).status).toBe('merged');
    expect(
      (await report('/reports/apply', { ...apply, outcome: 'started', plan }, APPLY)).json,
    ).toMatchObject({
      requests: [{ request_id: id, status: 'applying', changed: true }],
    });
    const done = await report(
      '/reports/apply',
      { ...apply, outcome: 'succeeded', state: auroraState('ledger') },
      APPLY,
    );
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
    const drifted = await report(
      '/reports/drift',
      { branch: 'main', commit: merged.merge_commit_sha, plan: drift },
      PLAN,
    );
    expect(drifted.status, JSON.stringify(drifted.json)).toBe(200);
    const listed = await call({ method: 'GET', path: '/databases' });
    expect(listed.json.databases).toEqual([
      expect.objectContaining({
        db_name: 'ledger',
        drift: expect.objectContaining({ status: 'drifted', since: '2026-12-06T02:00:00Z' }),
        connection: expect.objectContaining({ port: 5432 }),
      }),
    ]);
    expect(aws.output.join('')).not.toContain(TOKEN);
  });
});
