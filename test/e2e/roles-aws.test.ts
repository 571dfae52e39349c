/**
 * Roles on the Lambda API, end to end: the test gateway (routes from template.yaml, SigV4 verified) in
 * front of the real API handler on moto (DynamoDB, SNS, SQS, Secrets Manager from template.yaml) and the
 * GitHub simulator. Two IAM principals the policy maps (`access.principals`): Alice's role as a
 * requester, Bob's role as an approver scoped to dev; a third, unmapped, has no role
 * (`access.default_role: null`). What each may do is the policy's; every refusal and every request is in
 * the audit trail, in DynamoDB, with the ARNs as actors, and a merge on GitHub with the merger's login.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AwsCredentials, signCall } from '../../src/client/aws-signature.js';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { type Gateway, type GatewayPrincipal, startGateway } from '../support/api-gateway.js';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import { closedPullRequestEvent, deliverPullRequestEvent } from '../support/github-webhooks.js';

/**
 * The policy this stack was built with: config/policy.yaml, its `access` block the team's. The bundles
 * carry the policy the build read (scripts/build-lambda.mjs); here the functions run from source, so the
 * module that hands them the packaged policy hands them this one.
 */
vi.mock('../../src/runtime/lambda/packaged-policy.js', async () => {
  const { parseDocument } = await import('yaml');
  const { parsePolicy } = await import('../../src/domain/policy.js');
  const { DEFAULT_POLICY_PATH } = await import('../../src/runtime/policy-file.js');
  const doc = parseDocument(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  doc.set('access', {
    default_role: null,
    principals: [
      { id: 'arn:aws:iam::123456789012:role/Developer', role: 'requester' },
      { id: 'arn:aws:iam::123456789012:role/platform/DBA', role: 'approver', environments: ['dev'] },
      { id: 'api-key:ops1key', role: 'admin' },
    ],
  });
  const parsed = parsePolicy(doc.toString(), 'config/policy.yaml (packaged)');
  if (!parsed.ok) throw new Error(`test policy: ${JSON.stringify(parsed.issues)}`);
  return { packagedPolicy: () => parsed.value };
});

const TOKEN = 'ghp_rolesAwsTokenThatMustNeverLeak0123456789';
const WEBHOOK_SECRET = 'whsec-roles-aws-test-secret';
const REGION = 'us-east-1';

/** Credentials the test gateway knows for `arn`: temporary ones (a session token) for a role's session. */
function principal(n: number, name: string, arn: string): GatewayPrincipal {
  const session = arn.includes(':assumed-role/');
  return {
    accessKeyId: `${session ? 'ASIA' : 'AKIA'}ROLESAWS${String(n).padStart(8, '0')}`,
    secretAccessKey: `${name}RolesSecretThatMustNeverLeak/${n}`,
    ...(session && { sessionToken: `${name}-roles-session-token-never-printed` }),
    arn,
  };
}
/** A session of the Developer role: a requester. */
const ALICE = principal(1, 'alice', 'arn:aws:sts::123456789012:assumed-role/Developer/alice');
/** A session of the DBA role (path platform/): an approver, in dev only. */
const BOB = principal(2, 'bob', 'arn:aws:sts::123456789012:assumed-role/DBA/bob');
/** An IAM user the policy does not name: no role at all. */
const CAROL = principal(3, 'carol', 'arn:aws:iam::123456789012:user/carol');
const SECRETS = [ALICE, BOB, CAROL].flatMap((p) => [p.secretAccessKey, p.sessionToken ?? p.secretAccessKey]);
SECRETS.push(TOKEN, WEBHOOK_SECRET);

type Obj = Record<string, unknown>;
interface Answer {
  status: number;
  body: Obj;
}

describe('roles on the Lambda API: two IAM principals the policy maps', { timeout: 180_000 }, () => {
  let aws: AwsRuntime;
  let gateway: Gateway;

  beforeAll(async () => {
    aws = await startAwsRuntime({ token: TOKEN, webhookSecret: WEBHOOK_SECRET, region: REGION });
    gateway = await startGateway({
      authMode: 'iam',
      region: REGION,
      principals: [ALICE, BOB, CAROL],
      functions: { ApiFunction: apiHandler },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await aws?.stop();
  });

  /** A call signed with the principal's credentials (SigV4), through the gateway. */
  async function call(who: GatewayPrincipal, method: string, path: string, body?: object): Promise<Answer> {
    const url = `${gateway.url}${path}`;
    const headers = new Headers(body === undefined ? {} : { 'content-type': 'application/json' });
    const text = body === undefined ? null : JSON.stringify(body);
    const signed = await signCall({ url, method, headers, body: text }, who as AwsCredentials, REGION);
    const response = await fetch(url, { method, headers: signed, ...(text !== null && { body: text }) });
    return { status: response.status, body: (await response.json()) as Obj };
  }

  const prodDatabase = (db_name: string) => ({
    db_name,
    engine: 'postgres',
    environment: 'prod',
    owner: 'payments',
  });

  /** The audit trail as an approver reads it, newest first, every page. */
  async function trail(query = ''): Promise<Obj[]> {
    const entries: Obj[] = [];
    let cursor: string | null = null;
    do {
      const page = `/audit?limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await call(BOB, 'GET', page);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      entries.push(...(answer.body.entries as Obj[]));
      cursor = answer.body.next_cursor as string | null;
    } while (cursor);
    return entries;
  }

  let aliceRequest: string;

  it('tells each principal who they are: their ARN, the role the policy maps, its scope', async () => {
    const alice = await call(ALICE, 'GET', '/whoami');
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ id: ALICE.arn, role: 'requester', environments: null, via: 'iam' });
    const bob = await call(BOB, 'GET', '/whoami');
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({ id: BOB.arn, role: 'approver', environments: ['dev'], via: 'iam' });
    expect(bob.body.capabilities).toMatchObject({
      service: { read_audit: true, manage_tokens: false },
      environments: { dev: { request: true }, prod: { request: false } },
    });
  });

  it('refuses a principal the policy gives no role: 403 on every route, naming the rule', async () => {
    for (const [method, path] of [
      ['GET', '/whoami'],
      ['GET', '/requests'],
      ['GET', '/audit'],
    ] as const) {
      const answer = await call(CAROL, method, path);
      expect(answer, `${method} ${path}`).toEqual({
        status: 403,
        body: {
          error: 'forbidden',
          message: `${CAROL.arn} holds no role: access.principals does not name it and access.default_role is null`,
        },
      });
    }
  });

  it('lets the requester ask for a prod database (prod access.request lists requester)', async () => {
    const accepted = await call(ALICE, 'POST', '/provision', prodDatabase('ledger'));
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    aliceRequest = accepted.body.request_id as string;
    const status = await call(ALICE, 'GET', `/requests/${aliceRequest}`);
    expect(status.body).toMatchObject({ requester: ALICE.arn });
  });

  it('refuses the dev-scoped approver in prod (403), and lets them act in dev', async () => {
    const refused = await call(BOB, 'POST', '/provision', prodDatabase('audit-store'));
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden' });
    expect(refused.body.message).toBe(
      `${BOB.arn}'s approver role holds in dev only; in prod ${BOB.arn} may only read`,
    );
    // Nothing recorded or queued for it.
    const listed = (await call(ALICE, 'GET', '/requests')).body.requests as Obj[];
    expect(listed.map((r) => r.db_name)).toEqual(['ledger']);
    const dev = await call(BOB, 'POST', '/provision', {
      db_name: 'scratch',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(dev.status, JSON.stringify(dev.body)).toBe(202);
  });

  it('refuses the audit trail to the requester (403): approvers and admins read it', async () => {
    const answer = await call(ALICE, 'GET', '/audit');
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'forbidden' });
    expect(answer.body.message).toBe(
      `only an approver or an admin reads the audit trail; ${ALICE.arn} is a requester`,
    );
  });

  it('records a merge on GitHub with the merger as github:LOGIN', async () => {
    await aws.drain();
    const open = await call(ALICE, 'GET', `/requests/${aliceRequest}`);
    expect(open.body.status).toBe('pr_open');
    const { number } = open.body.pull_request as { number: number };
    const merged = aws.sim.mergePull(number);
    const hook = await deliverPullRequestEvent(
      `${gateway.url}/webhooks/github`,
      WEBHOOK_SECRET,
      closedPullRequestEvent('acme/infra', merged, 'octo-dba'),
    );
    expect(hook.status).toBe(200);
    expect((await call(ALICE, 'GET', `/requests/${aliceRequest}`)).body.status).toBe('merged');
    const merges = await trail('&action=pull.merge');
    expect(merges).toEqual([
      expect.objectContaining({
        actor: 'github:octo-dba',
        action: 'pull.merge',
        outcome: 'allowed',
        environment: 'prod',
      }),
    ]);
  });

  it('refuses the dev-scoped approver retiring the merged prod database (403)', async () => {
    const retire = await call(BOB, 'DELETE', '/databases/ledger');
    expect(retire.status, JSON.stringify(retire.body)).toBe(403);
    expect(retire.body).toMatchObject({ error: 'forbidden' });
    expect(retire.body.message).toContain('may only read');
  });

  it('lists the request and every refusal from DynamoDB, the ARNs as actors', async () => {
    const entries = await trail();
    const seen = entries.map((e) => [e.actor, e.action, e.outcome, e.environment ?? null]);
    expect(seen).toEqual(
      expect.arrayContaining([
        [ALICE.arn, 'request.create', 'allowed', 'prod'],
        [BOB.arn, 'request.create', 'denied', 'prod'],
        [BOB.arn, 'request.retire', 'denied', 'prod'],
        [BOB.arn, 'request.create', 'allowed', 'dev'],
        [ALICE.arn, 'auth.refused', 'denied', null],
        [CAROL.arn, 'auth.refused', 'denied', null],
        ['github:octo-dba', 'pull.merge', 'allowed', 'prod'],
      ]),
    );
    // Carol's three calls, each refused and recorded.
    expect(entries.filter((e) => e.actor === CAROL.arn)).toHaveLength(3);
    // Newest first.
    const ids = entries.map((e) => e.id as string);
    expect(ids).toEqual([...ids].sort().reverse());
    // Filters: one principal's refusals.
    const bobDenied = await trail(`&actor=${encodeURIComponent(BOB.arn)}&outcome=denied`);
    expect(bobDenied.map((e) => e.action).sort()).toEqual(['request.create', 'request.retire']);

    // The trail is the table's: every entry listed is an item of the stack's table, and no other.
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(aws.moto.clientConfig));
    const items = await documents.send(
      new ScanCommand({
        TableName: aws.stack.tableName,
        FilterExpression: 'begins_with(pk, :audit)',
        ExpressionAttributeValues: { ':audit': { S: 'audit#' } },
      }),
    );
    expect((items.Items ?? []).map((item) => item.id?.S).sort()).toEqual([...ids].sort());
  });

  it('serves no /tokens on the Lambda API: IAM or API keys are the credentials there', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', { user: 'mallory', role: 'admin' }],
    ] as const) {
      const answer = await call(BOB, method, '/tokens', body);
      expect(answer, method).toEqual({ status: 403, body: { message: 'Missing Authentication Token' } });
    }
    const invoked = gateway.invocations.filter((i) => i.resourcePath.startsWith('/tokens'));
    expect(invoked).toEqual([]);
  });

  it('maps API keys by `api-key:ID` (AuthMode api_key): a listed key its role, any other none (403)', async () => {
    aws.setFunctionEnv({ AUTH_MODE: 'api_key' });
    const ops = await aws.callApi({ method: 'GET', path: '/whoami', userArn: null, apiKeyId: 'ops1key' });
    expect(ops).toMatchObject({
      status: 200,
      json: { id: 'api-key:ops1key', role: 'admin', environments: null, via: 'api_key' },
    });
    const other = await aws.callApi({
      method: 'GET',
      path: '/requests',
      userArn: null,
      apiKeyId: 'rq1other',
    });
    expect(other).toEqual({
      status: 403,
      json: {
        error: 'forbidden',
        message:
          'api-key:rq1other holds no role: access.principals does not name it and access.default_role is null',
      },
    });
  });

  it('leaves no credential in anything the functions wrote', () => {
    const output = aws.output.join('');
    for (const secret of SECRETS) expect(output).not.toContain(secret);
  });
});
