import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../src/runtime/lambda/api.js';
import { LambdaConfigError, lambdaConfig } from '../../src/runtime/lambda/config.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { type ApiCall, apiGatewayEvent, lambdaContext } from '../support/lambda-events.js';

/**
 * The API function as API Gateway invokes it, with the environment template.yaml gives it: the pipeline
 * principal (PIPELINE_PRINCIPAL_ARN, PIPELINE_API_KEY_ID) reaches the report routes and nothing else.
 * Every call here is decided before any AWS service is called: a refusal (401), or a report body that
 * is not valid (400), which only a caller past the credential gets to hear.
 */

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const PIPELINE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/rds-provisioner-pipeline`;
const PIPELINE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/rds-provisioner-pipeline/gha-42`;

const STACK_ENV = {
  STATUS_TABLE: 'rds-provisioner-status',
  TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:requests`,
  GITHUB_REPOSITORY: 'acme/infra',
  AWS_REGION: 'us-east-1',
  // No AWS call is expected; one made by mistake fails at once instead of reaching out.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};

function environment(vars: Record<string, string>) {
  for (const [name, value] of Object.entries({ ...STACK_ENV, ...vars })) vi.stubEnv(name, value);
  resetServices();
}

async function call(request: ApiCall) {
  const answer = await handler(apiGatewayEvent(request), lambdaContext('api'));
  return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
}

/** A report body that is not valid: answered 400 past the credential, before any use case runs. */
const INVALID_REPORT = { commit: 'not-a-commit', outcome: 'finished' };

afterEach(() => {
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
