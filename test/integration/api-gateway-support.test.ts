/**
 * The test gateway (test/support/api-gateway.ts) on its own: it routes as template.yaml's RestApi does,
 * lets a call signed by the clients' signer (src/client/aws-signature.ts, aws4fetch) through as the
 * principal that signed it, verified by an independent signer (@smithy/signature-v4), and refuses every
 * broken signature or missing key with API Gateway's documented answer, before any function runs.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsCredentials, signCall } from '../../src/client/aws-signature.js';
import { type Gateway, type GatewayPrincipal, startGateway } from '../support/api-gateway.js';

const REGION = 'us-east-1';
const ALICE: GatewayPrincipal = {
  accessKeyId: 'ASIAALICEEXAMPLE0001',
  secretAccessKey: 'aliceSecretKeyThatMustNeverLeak/0123456789',
  sessionToken: 'alice-session-token',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
};
const BOB: GatewayPrincipal = {
  accessKeyId: 'AKIABOBEXAMPLE000002',
  secretAccessKey: 'bobSecretKeyThatMustNeverLeak/abcdefghij',
  arn: 'arn:aws:iam::123456789012:user/bob',
};
const EXPIRED: GatewayPrincipal = {
  accessKeyId: 'ASIAEXPIREDEXAMPLE03',
  secretAccessKey: 'expiredSecretKey/0123456789abcdefghijklm',
  sessionToken: 'expired-session-token',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/carol',
  expiration: new Date(Date.now() - 60_000),
};

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The function behind the gateway: records each event and answers with what it saw. */
function echoFunction(events: APIGatewayProxyEvent[]) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    events.push(event);
    if (event.path === '/health')
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2, 255]).toString('base64'),
        isBase64Encoded: true,
      };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  };
}

const credentialsOf = (p: GatewayPrincipal): AwsCredentials => ({
  accessKeyId: p.accessKeyId,
  secretAccessKey: p.secretAccessKey,
  ...(p.sessionToken ? { sessionToken: p.sessionToken } : {}),
});

interface Call {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Signs a call as the clients do; `tamper` changes what is sent after signing. */
async function signed(
  gateway: Gateway,
  call: Call,
  credentials: AwsCredentials,
  region = REGION,
  tamper: (init: { headers: Headers; body?: string }) => void = () => {},
) {
  const url = `${gateway.url}${call.path}`;
  const method = call.method ?? (call.body === undefined ? 'GET' : 'POST');
  const headers = await signCall(
    {
      url,
      method,
      headers: new Headers({
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...call.headers,
      }),
      body: call.body ?? null,
    },
    credentials,
    region,
  );
  const init: { headers: Headers; body?: string } = {
    headers,
    ...(call.body !== undefined ? { body: call.body } : {}),
  };
  tamper(init);
  return send(url, method, init);
}

async function send(url: string, method: string, init: { headers?: Headers; body?: string }) {
  const response = await fetch(url, { method, ...init });
  const text = await response.text();
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

describe('test gateway: routes from template.yaml', () => {
  it('reads every method of the RestApi with its authorization for the AuthMode', async () => {
    const iam = await startGateway({ authMode: 'iam', region: REGION, functions: {} });
    const keys = await startGateway({ authMode: 'api_key', region: REGION, functions: {} });
    try {
      const provision = iam.routes.find((r) => r.id === 'ProvisionPostMethod');
      expect(provision).toMatchObject({
        resourcePath: '/provision',
        httpMethod: 'POST',
        authorizationType: 'AWS_IAM',
        apiKeyRequired: false,
        functionId: 'ApiFunction',
      });
      expect(iam.routes.find((r) => r.id === 'DatabaseDeleteMethod')?.resourcePath).toBe(
        '/databases/{db_name}',
      );
      expect(iam.routes.find((r) => r.id === 'HealthGetMethod')?.authorizationType).toBe('NONE');
      expect(keys.routes.find((r) => r.id === 'ProvisionPostMethod')).toMatchObject({
        authorizationType: 'NONE',
        apiKeyRequired: true,
      });
      expect(keys.routes.find((r) => r.id === 'ReportApplyPostMethod')?.apiKeyRequired).toBe(true);
      expect(iam.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/Prod$/);
    } finally {
      await iam.close();
      await keys.close();
    }
  });
});

describe('test gateway: AWS_IAM (SigV4 verified with @smithy/signature-v4)', () => {
  let gateway: Gateway;
  let late: Gateway;
  let early: Gateway;
  const events: APIGatewayProxyEvent[] = [];

  beforeAll(async () => {
    const common = { authMode: 'iam' as const, region: REGION, principals: [ALICE, BOB, EXPIRED] };
    gateway = await startGateway({ ...common, functions: { ApiFunction: echoFunction(events) } });
    // Clocks six minutes off the signer's: the signature is stale, or not yet current.
    late = await startGateway({
      ...common,
      functions: { ApiFunction: echoFunction(events) },
      clock: () => new Date(Date.now() + 6 * 60_000),
    });
    early = await startGateway({
      ...common,
      functions: { ApiFunction: echoFunction(events) },
      clock: () => new Date(Date.now() - 6 * 60_000),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await late?.close();
    await early?.close();
  });

  it('lets a good signature through as the principal that signed it, in the REST proxy event', async () => {
    const before = events.length;
    const body = '{"size":"large"}';
    const answer = await signed(
      gateway,
      { method: 'PATCH', path: '/databases/orders?dry_run=1&tag=a&tag=b', body },
      credentialsOf(ALICE),
    );
    expect(answer).toMatchObject({ status: 200, json: { ok: true } });
    expect(events.length).toBe(before + 1);
    const event = events.at(-1) as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      httpMethod: 'PATCH',
      path: '/databases/orders',
      resource: '/databases/{db_name}',
      pathParameters: { db_name: 'orders' },
      queryStringParameters: { dry_run: '1', tag: 'b' },
      multiValueQueryStringParameters: { dry_run: ['1'], tag: ['a', 'b'] },
      body,
      isBase64Encoded: false,
      requestContext: {
        stage: 'Prod',
        path: '/Prod/databases/orders',
        resourcePath: '/databases/{db_name}',
        identity: { userArn: ALICE.arn, accessKey: ALICE.accessKeyId, accountId: '123456789012' },
      },
    });
    expect(event.headers['content-type']).toBe('application/json');
    // A long-term key (no session token) signs as well.
    expect((await signed(gateway, { path: '/requests' }, credentialsOf(BOB))).status).toBe(200);
    expect(events.at(-1)?.requestContext.identity.userArn).toBe(BOB.arn);
    expect(gateway.invocations.at(-1)).toMatchObject({ functionId: 'ApiFunction', userArn: BOB.arn });
  });

  it.each([
    [
      'a body changed after signing',
      (init: { headers: Headers; body?: string }) => {
        init.body = '{"size":"xlarge"}';
      },
    ],
    [
      'a signed header changed after signing',
      (init: { headers: Headers; body?: string }) => {
        init.headers.set('x-client', 'web');
      },
    ],
  ])('refuses %s: 403 signature mismatch', async (_, tamper) => {
    const before = gateway.invocations.length;
    const answer = await signed(
      gateway,
      { path: '/provision', body: '{"size":"large"}', headers: { 'x-client': 'cli' } },
      credentialsOf(ALICE),
      REGION,
      tamper,
    );
    expect(answer).toEqual({
      status: 403,
      errorType: 'InvalidSignatureException',
      json: { message: MISMATCH },
    });
    expect(gateway.invocations.length).toBe(before);
  });

  it('refuses a wrong secret: 403 signature mismatch', async () => {
    const answer = await signed(
      gateway,
      { path: '/requests' },
      { ...credentialsOf(BOB), secretAccessKey: 'wrong' },
    );
    expect(answer).toEqual({
      status: 403,
      errorType: 'InvalidSignatureException',
      json: { message: MISMATCH },
    });
  });

  it('refuses a signature scoped to another region', async () => {
    const answer = await signed(gateway, { path: '/requests' }, credentialsOf(BOB), 'eu-west-1');
    expect(answer).toEqual({
      status: 403,
      errorType: 'InvalidSignatureException',
      json: { message: "Credential should be scoped to a valid region, not 'eu-west-1'. " },
    });
  });

  it('refuses a signature more than five minutes off the clock: expired, or not yet current', async () => {
    const stale = await signed(late, { path: '/requests' }, credentialsOf(BOB));
    expect(stale.status).toBe(403);
    expect(stale.errorType).toBe('InvalidSignatureException');
    expect(stale.json.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    const future = await signed(early, { path: '/requests' }, credentialsOf(BOB));
    expect(future.json.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than /);
  });

  it('refuses a call without a signature, or with a signed header missing', async () => {
    const before = gateway.invocations.length;
    expect(await send(`${gateway.url}/requests`, 'GET', {})).toEqual({
      status: 403,
      errorType: 'MissingAuthenticationTokenException',
      json: { message: 'Missing Authentication Token' },
    });
    const bearer = await send(`${gateway.url}/requests`, 'GET', {
      headers: new Headers({ authorization: 'Bearer sometoken' }),
    });
    expect(bearer.status).toBe(403);
    expect(bearer.errorType).toBe('IncompleteSignatureException');
    expect(bearer.json.message).toContain("Authorization header requires 'Credential' parameter.");
    expect(JSON.stringify(bearer.json)).not.toContain('sometoken');
    const noDate = await signed(gateway, { path: '/requests' }, credentialsOf(BOB), REGION, (init) =>
      init.headers.delete('x-amz-date'),
    );
    expect(noDate.status).toBe(403);
    expect(noDate.json.message).toBe(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
    expect(gateway.invocations.length).toBe(before);
  });

  it('refuses an unknown access key, a missing session token, and an expired one', async () => {
    const invalid = {
      status: 403,
      errorType: 'UnrecognizedClientException',
      json: { message: 'The security token included in the request is invalid.' },
    };
    expect(
      await signed(
        gateway,
        { path: '/requests' },
        { ...credentialsOf(BOB), accessKeyId: 'AKIAUNKNOWN000000000' },
      ),
    ).toEqual(invalid);
    expect(
      await signed(gateway, { path: '/requests' }, credentialsOf(ALICE), REGION, (init) =>
        init.headers.delete('x-amz-security-token'),
      ),
    ).toEqual(invalid);
    expect(await signed(gateway, { path: '/requests' }, credentialsOf(EXPIRED))).toEqual({
      status: 403,
      errorType: 'ExpiredTokenException',
      json: { message: 'The security token included in the request is expired' },
    });
  });

  it('answers Missing Authentication Token for a route or stage that does not exist, signed or not', async () => {
    for (const path of ['/nothing-here', '/databases/orders/extra']) {
      const answer = await signed(gateway, { path }, credentialsOf(BOB));
      expect(answer.json, path).toEqual({ message: 'Missing Authentication Token' });
    }
    const wrongMethod = await signed(
      gateway,
      { method: 'PUT', path: '/provision', body: '{}' },
      credentialsOf(BOB),
    );
    expect(wrongMethod.json).toEqual({ message: 'Missing Authentication Token' });
    const otherStage = gateway.url.replace(/\/Prod$/, '/Dev');
    expect(await send(`${otherStage}/health`, 'GET', {})).toMatchObject({
      status: 403,
      json: { message: 'Missing Authentication Token' },
    });
  });

  it('serves AuthorizationType NONE routes without a signature, a base64 result as bytes', async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    expect(events.at(-1)?.requestContext.identity.userArn).toBeNull();
  });
});

describe('test gateway: API keys (ApiKeyRequired)', () => {
  let gateway: Gateway;
  const events: APIGatewayProxyEvent[] = [];
  beforeAll(async () => {
    gateway = await startGateway({
      authMode: 'api_key',
      region: REGION,
      apiKeys: [{ id: 'k1requester', value: 'requester-key-value-0123456789' }],
      functions: { ApiFunction: echoFunction(events) },
    });
  });
  afterAll(async () => gateway?.close());

  it('passes a known key as its id; refuses none or an unknown one with 403 Forbidden', async () => {
    const ok = await send(`${gateway.url}/requests`, 'GET', {
      headers: new Headers({ 'x-api-key': 'requester-key-value-0123456789' }),
    });
    expect(ok.status).toBe(200);
    expect(events.at(-1)?.requestContext.identity).toMatchObject({ apiKeyId: 'k1requester', userArn: null });
    const forbidden = { status: 403, errorType: 'ForbiddenException', json: { message: 'Forbidden' } };
    const before = gateway.invocations.length;
    expect(await send(`${gateway.url}/requests`, 'GET', {})).toEqual(forbidden);
    expect(
      await send(`${gateway.url}/requests`, 'GET', { headers: new Headers({ 'x-api-key': 'not-a-key' }) }),
    ).toEqual(forbidden);
    expect(gateway.invocations.length).toBe(before);
    // No key on the routes without one.
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
  });
});
