import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { apiGatewayEvent, lambdaContext } from '../support/lambda-events.js';
import { serverPerSuite } from '../support/server.js';

/**
 * GET /health tells a client which credential every other route takes, before it has one: the web page
 * asks for an API token, an API key or AWS credentials accordingly. Public (no credential), and in the
 * OpenAPI description.
 */

const STACK_ENV = {
  STATUS_TABLE: 'rds-provisioner-status',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:requests',
  GITHUB_REPOSITORY: 'acme/infra',
  AWS_REGION: 'us-east-1',
  // No AWS call is expected; one made by mistake fails at once instead of reaching out.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};

afterEach(() => {
  vi.unstubAllEnvs();
  resetServices();
});

async function lambdaGet(authMode: string, path: string) {
  for (const [name, value] of Object.entries({ ...STACK_ENV, AUTH_MODE: authMode })) vi.stubEnv(name, value);
  resetServices();
  // No identity: API Gateway lets /health and /openapi.json through without authentication.
  const answer = await handler(apiGatewayEvent({ method: 'GET', path, userArn: null }), lambdaContext('api'));
  return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
}

describe('GET /health names the credential the service takes', () => {
  it.each([
    ['iam', 'iam'],
    ['api_key', 'api_key'],
  ])('the Lambda API with AUTH_MODE=%s answers auth %s, without any credential', async (mode, auth) => {
    expect(await lambdaGet(mode, '/health')).toEqual({ status: 200, body: { status: 'ok', auth } });
  });

  it('the OpenAPI description lists the field and its values', async () => {
    const { body } = await lambdaGet('iam', '/openapi.json');
    const health = (body.components as { schemas: Record<string, { properties: Record<string, unknown> }> })
      .schemas.Health;
    expect(health?.properties.auth).toMatchObject({ enum: ['bearer', 'iam', 'api_key'] });
  });

  describe('the local server', () => {
    const suite = serverPerSuite();
    it('answers auth bearer, without a token', async () => {
      const response = await fetch(`${suite.server.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', auth: 'bearer' });
    });
  });
});
