import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbAuditLog } from '../../src/adapters/aws/dynamodb-audit-log.js';
import { handler } from '../../src/runtime/lambda/api.js';
import { LambdaConfigError, lambdaConfig } from '../../src/runtime/lambda/config.js';
import { powertoolsLogger } from '../../src/runtime/lambda/observability.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { createStack } from '../support/aws-stack.js';
import { type ApiCall, apiGatewayEvent, lambdaContext } from '../support/lambda-events.js';
import { type MotoServer, startMoto } from '../support/moto.js';

/**
 * The API function as API Gateway invokes it, with the environment template.yaml gives it: the pipeline
 * principal (PIPELINE_PRINCIPAL_ARN, PIPELINE_API_KEY_ID) reaches the report routes and nothing else.
 * Every call here is decided before any use case runs: a refusal (401, which the audit trail records in
 * the stack's table on moto), or a report body that is not valid (400), which only a caller past the
 * credential gets to hear.
 */

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const PIPELINE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/rds-provisioner-pipeline`;
const PIPELINE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/rds-provisioner-pipeline/gha-42`;
/** The plan and drift jobs' role and the apply jobs' role (TF_PLAN_ROLE_ARN, TF_APPLY_ROLE_ARN). */
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/terraform-plan`;
const APPLY_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/terraform-apply`;
const sessionOf = (role: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/gha-7`;

const STACK_ENV = {
  STATUS_TABLE: 'rds-provisioner-status',
  TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:requests`,
  GITHUB_REPOSITORY: 'acme/infra',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};

/** The stack's data resources on moto: a refusal is written to the audit trail in its table. */
let moto: MotoServer;
let stackEnv: Record<string, string>;
beforeAll(async () => {
  moto = await startMoto('us-east-1');
  stackEnv = { ...moto.env, ...(await createStack(moto.clientConfig)).env };
});
afterAll(async () => {
  await moto?.stop();
});

function environment(vars: Record<string, string>) {
  for (const [name, value] of Object.entries({ ...STACK_ENV, ...stackEnv, ...vars })) vi.stubEnv(name, value);
  resetServices();
}

async function call(request: ApiCall) {
  const answer = await handler(apiGatewayEvent(request), lambdaContext('api'));
  return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
}

/** A report body that is not valid: answered 400 past the credential, before any use case runs. */
const INVALID_REPORT = { commit: 'not-a-commit', outcome: 'finished' };

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  resetServices();
});

describe('Lambda API (AWS_IAM): the pipeline role', () => {
  it('lets a session of PIPELINE_PRINCIPAL_ARN reach every report route', async () => {
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: PIPELINE_ROLE });
    for (const path of ['/reports/plan', '/reports/apply', '/reports/drift']) {
      const answer = await call({ method: 'POST', path, body: INVALID_REPORT, userArn: PIPELINE_SESSION });
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it("refuses a requester on the report routes, and the pipeline on the requesters' routes", async () => {
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: PIPELINE_ROLE });
    const report = await call({
      method: 'POST',
      path: '/reports/apply',
      body: INVALID_REPORT,
      userArn: ALICE,
    });
    expect(report.status).toBe(401);
    expect(report.body).toMatchObject({ error: 'unauthorized' });
    // The refusal is in the audit trail, the caller named with the role the policy gives them.
    const audit = new DynamoDbAuditLog({
      client: DynamoDBDocumentClient.from(new DynamoDBClient(moto.clientConfig)),
      tableName: stackEnv.STATUS_TABLE as string,
    });
    expect((await audit.list({ actor: ALICE, limit: 10 })).entries).toEqual([
      expect.objectContaining({ actor: ALICE, role: 'requester', action: 'auth.refused', outcome: 'denied' }),
    ]);
    for (const request of [
      { method: 'GET', path: '/requests' },
      {
        method: 'POST',
        path: '/provision',
        body: { db_name: 'sneaky', engine: 'mysql', environment: 'dev' },
      },
      { method: 'DELETE', path: '/databases/orders' },
    ]) {
      const answer = await call({ ...request, userArn: PIPELINE_SESSION });
      expect(answer.status, `${request.method} ${request.path}`).toBe(401);
    }
  });

  it('takes no report when no pipeline principal is configured (empty, as the stack passes it)', async () => {
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: '' });
    for (const userArn of [PIPELINE_SESSION, ALICE]) {
      const answer = await call({ method: 'POST', path: '/reports/apply', body: INVALID_REPORT, userArn });
      expect(answer.status).toBe(401);
    }
  });
});

describe('Lambda API (AWS_IAM): several pipeline roles (PIPELINE_PRINCIPAL_ARN comma-separated)', () => {
  it('lets a session of each listed role report, spaces around the commas and all, and refuses a third role', async () => {
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: ` ${PLAN_ROLE} ,  ${APPLY_ROLE} ` });
    for (const role of ['terraform-plan', 'terraform-apply']) {
      const answer = await call({
        method: 'POST',
        path: '/reports/apply',
        body: INVALID_REPORT,
        userArn: sessionOf(role),
      });
      expect(answer.status, `${role}: ${JSON.stringify(answer.body)}`).toBe(400);
      // A pipeline role is no requester.
      expect((await call({ method: 'GET', path: '/requests', userArn: sessionOf(role) })).status).toBe(401);
    }
    for (const userArn of [sessionOf('terraform-prod-apply'), PIPELINE_SESSION, ALICE]) {
      const answer = await call({ method: 'POST', path: '/reports/plan', body: INVALID_REPORT, userArn });
      expect(answer.status, userArn).toBe(401);
      expect(answer.body).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('skips an empty entry (it names no one, as an empty value does)', async () => {
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: `${PLAN_ROLE},,${APPLY_ROLE},` });
    const answer = await call({
      method: 'POST',
      path: '/reports/drift',
      body: INVALID_REPORT,
      userArn: sessionOf('terraform-apply'),
    });
    expect(answer.status).toBe(400);
    environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: ' , ' });
    expect(
      (
        await call({
          method: 'POST',
          path: '/reports/drift',
          body: INVALID_REPORT,
          userArn: PIPELINE_SESSION,
        })
      ).status,
    ).toBe(401);
  });

  it.each([
    ['a malformed single value (as before)', PIPELINE_SESSION, 'PIPELINE_PRINCIPAL_ARN: must be an IAM role'],
    [
      'a list with a malformed entry',
      `${PLAN_ROLE}, ${sessionOf('terraform-apply')}`,
      'PIPELINE_PRINCIPAL_ARN: entry 2 of 2 must be an IAM role',
    ],
  ])(
    'refuses reports with %s: 503 unavailable, the log names the entry and why, never its value',
    async (_, value, logged) => {
      const errors = vi.spyOn(powertoolsLogger, 'error');
      environment({ AUTH_MODE: 'iam', PIPELINE_PRINCIPAL_ARN: value });
      const answer = await call({
        method: 'POST',
        path: '/reports/apply',
        body: INVALID_REPORT,
        userArn: sessionOf('terraform-plan'),
      });
      expect(answer).toEqual({
        status: 503,
        body: { error: 'unavailable', message: 'the service could not start; try again' },
      });
      const lines = JSON.stringify(errors.mock.calls);
      expect(lines).toContain(logged);
      expect(lines).not.toContain('assumed-role');
    },
  );
});

describe('Lambda API (API keys): the pipeline key', () => {
  it("lets only PIPELINE_API_KEY_ID's key report, and refuses it elsewhere", async () => {
    environment({ AUTH_MODE: 'api_key', PIPELINE_API_KEY_ID: 'pk7pipeline1' });
    const pipeline = { userArn: null, apiKeyId: 'pk7pipeline1' };
    const requester = { userArn: null, apiKeyId: 'rq1requester' };
    const report = { method: 'POST', path: '/reports/drift', body: INVALID_REPORT };
    expect((await call({ ...report, ...pipeline })).status).toBe(400);
    expect((await call({ ...report, ...requester })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/requests', ...pipeline })).status).toBe(401);
  });
});

describe('Lambda config: the pipeline principal', () => {
  const base = { ...STACK_ENV };

  it('reads an empty value as none', () => {
    const config = lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: '', PIPELINE_API_KEY_ID: '' });
    expect(config.PIPELINE_PRINCIPAL_ARN).toBeUndefined();
    expect(config.PIPELINE_API_KEY_ID).toBeUndefined();
  });

  it('reads a comma-separated list: spaces around entries dropped, empty entries skipped', () => {
    expect(
      lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: ` ${PLAN_ROLE} , ${APPLY_ROLE},` })
        .PIPELINE_PRINCIPAL_ARN,
    ).toEqual([PLAN_ROLE, APPLY_ROLE]);
    expect(lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: PIPELINE_ROLE }).PIPELINE_PRINCIPAL_ARN).toEqual([
      PIPELINE_ROLE,
    ]);
    expect(lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: ' ,, ' }).PIPELINE_PRINCIPAL_ARN).toBeUndefined();
  });

  it('names the malformed entry of a list by its place and why, never its value', () => {
    const value = `${PLAN_ROLE}, arn:aws:iam::${ACCOUNT}:role/*, ${APPLY_ROLE}`;
    expect(() => lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: value })).toThrow(
      'invalid function environment: PIPELINE_PRINCIPAL_ARN: entry 2 of 3 must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)',
    );
  });

  it.each([
    ['an assumed-role session', PIPELINE_SESSION],
    ['a role name alone', 'rds-provisioner-pipeline'],
    ['a wildcard', `arn:aws:iam::${ACCOUNT}:role/*`],
  ])('refuses %s as PIPELINE_PRINCIPAL_ARN, naming it and never the value', (_, value) => {
    expect(() => lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: value })).toThrow(LambdaConfigError);
    expect(() => lambdaConfig({ ...base, PIPELINE_PRINCIPAL_ARN: value })).toThrow(
      /PIPELINE_PRINCIPAL_ARN: must be an IAM role or user ARN/,
    );
  });
});
