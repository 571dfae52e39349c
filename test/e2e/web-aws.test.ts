/**
 * The self-service page on a deployed stack: the test gateway (test/support/api-gateway.ts, routes from
 * template.yaml, SigV4 verified by @smithy/signature-v4, API keys, API Gateway's documented 403s) in
 * front of the web function (built as `sam build` builds it) and the real API handler, wired to moto
 * (created from template.yaml) and the GitHub simulator; Debian's Chromium through playwright-core. The
 * page learns the credential from GET /health, signs every call in the browser (AuthMode=iam) or sends
 * the API key (AuthMode=api_key), keeps it in sessionStorage only, and puts every refusal in words.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium-launch.mjs';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { type Gateway, type GatewayPrincipal, startGateway } from '../support/api-gateway.js';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import { builtWebFunction, type ProxyHandler } from '../support/web-function.js';

const TOKEN = 'ghp_webAwsTokenThatMustNeverLeak0123456789abcd';
const WEBHOOK_SECRET = 'whsec-web-aws-test-secret-value';
const REGION = 'us-east-1';

const ALICE: GatewayPrincipal = {
  accessKeyId: 'ASIAALICEWEB00000001',
  secretAccessKey: 'aliceWebSecretThatMustNeverLeak/0123456789',
  sessionToken: 'alice-web-session-token-never-logged',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
};
const BOB: GatewayPrincipal = {
  accessKeyId: 'AKIABOBWEB0000000002',
  secretAccessKey: 'bobWebSecretThatMustNeverLeak/abcdefghij',
  arn: 'arn:aws:iam::123456789012:user/bob',
};
const EXPIRED: GatewayPrincipal = {
  accessKeyId: 'ASIAEXPIREDWEB000003',
  secretAccessKey: 'expiredWebSecretThatMustNeverLeak/klmnop',
  sessionToken: 'expired-web-session-token-never-logged',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/carol',
  expiration: new Date(Date.now() - 60_000),
};
const WRONG_SECRET = 'wrongWebSecretNeverLogged/0123456789abcdef';
const REQUESTER_KEY = 'requesterWebApiKeyNeverLogged0123456789';
const WRONG_KEY = 'wrongWebApiKeyNeverLogged0123456789abcd';
const SECRETS = [ALICE, BOB, EXPIRED].flatMap((p) => [
  p.secretAccessKey,
  p.sessionToken ?? p.secretAccessKey,
]);
SECRETS.push(WRONG_SECRET, REQUESTER_KEY, WRONG_KEY, TOKEN);

const STEP = 60_000;

describe('the web page on AWS, through API Gateway', { timeout: 240_000 }, () => {
  let aws: AwsRuntime;
  let web: { handler: ProxyHandler; remove: () => void };
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [aws, web, browser] = await Promise.all([
      startAwsRuntime({ token: TOKEN, webhookSecret: WEBHOOK_SECRET, region: REGION }),
      builtWebFunction(),
      launchChromium(),
    ]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    web?.remove();
    await aws?.stop();
  });

  /** A fresh tab (its own sessionStorage) on the page at the stage's root. */
  async function openPage(gateway: Gateway): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The refusals the tests provoke show up in the console as failed loads; anything else is an error.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of (401|403)/.test(msg.text())) pageErrors.push(msg.text());
    });
    const response = await page.goto(`${gateway.url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("connect-src 'self'");
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    return page;
  }

  const storage = (page: Page) =>
    page.evaluate(
      '({ session: Object.entries(sessionStorage), local: Object.entries(localStorage), href: location.href })',
    ) as Promise<{ session: [string, string][]; local: [string, string][]; href: string }>;

  async function signInWithAws(page: Page, principal: GatewayPrincipal, secret = principal.secretAccessKey) {
    await page.getByLabel('Access key ID').fill(principal.accessKeyId);
    await page.getByLabel('Secret access key').fill(secret);
    await page.getByLabel(/Session token/).fill(principal.sessionToken ?? '');
    await page.getByLabel('Region').fill(REGION);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The sign-in alert once it says `expected` (a part of it), in full. */
  const signInMessage = async (page: Page, expected: string) => {
    const alert = page.locator('#sign-in-message', { hasText: expected });
    await alert.waitFor();
    return (await alert.textContent()) ?? '';
  };

  describe('AuthMode=iam: AWS credentials, every call signed in the browser', () => {
    let gateway: Gateway;
    let page: Page;
    beforeAll(async () => {
      gateway = await startGateway({
        authMode: 'iam',
        region: REGION,
        principals: [ALICE, BOB, EXPIRED],
        functions: { ApiFunction: apiHandler, WebFunction: web.handler },
      });
      page = await openPage(gateway);
    });
    afterAll(async () => gateway?.close());

    it(
      'serves the page without credentials and asks for AWS credentials, the token field hidden',
      async () => {
        await page.getByLabel('Access key ID').waitFor();
        expect(await page.getByLabel('API token').isHidden()).toBe(true);
        // The gateway's address names no region (127.0.0.1): the field is empty, to be filled.
        expect(await page.getByLabel('Region').inputValue()).toBe('');
        const reached = gateway.invocations.map((i) => `${i.functionId} ${i.method} ${i.resourcePath}`);
        expect(reached.sort()).toEqual([
          'ApiFunction GET /health',
          'WebFunction GET /',
          'WebFunction GET /assets/{file}',
          'WebFunction GET /assets/{file}',
        ]);
      },
      STEP,
    );

    it(
      'refuses what is not a credential before sending anything, naming the field',
      async () => {
        const before = gateway.invocations.length;
        await signInWithAws(page, { ...ALICE, sessionToken: '' });
        await signInMessage(page, 'Session token: temporary credentials');
        expect(await page.getByLabel(/Session token/).getAttribute('aria-invalid')).toBe('true');
        await page.getByLabel('Region').fill('Europe');
        await page.getByLabel(/Session token/).fill(ALICE.sessionToken as string);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#sign-in-message', { hasText: 'Region: not an AWS region name' }).waitFor();
        expect(await page.getByLabel('Region').getAttribute('aria-invalid')).toBe('true');
        expect(gateway.invocations.length).toBe(before);
      },
      STEP,
    );

    it(
      'a wrong secret gets a clear message, back at sign-in, with nothing kept',
      async () => {
        await signInWithAws(page, ALICE, WRONG_SECRET);
        expect(await signInMessage(page, 'Check your credentials')).toBe(
          'AWS did not accept the signature: the secret access key does not match the access key ID. Check your credentials and try again.',
        );
        expect(await page.locator('#workspace').isHidden()).toBe(true);
        expect((await storage(page)).session).toEqual([]);
        expect(await page.getByLabel('Secret access key').inputValue()).toBe('');
      },
      STEP,
    );

    it(
      'an expired session token, and an access key AWS does not know, each get their own message',
      async () => {
        await signInWithAws(page, EXPIRED);
        await signInMessage(page, 'Your AWS session token has expired.');
        await signInWithAws(page, { ...BOB, accessKeyId: 'AKIAUNKNOWNWEB000009' });
        await page
          .locator('#sign-in-message', { hasText: 'AWS does not recognise that access key ID' })
          .waitFor();
        expect((await storage(page)).session).toEqual([]);
      },
      STEP,
    );

    it(
      'signs in with temporary credentials, asks for a database and sees it listed, as its IAM principal',
      async () => {
        await signInWithAws(page, ALICE);
        const dbName = page.locator('#request-form [name="db_name"]');
        await dbName.waitFor();
        await dbName.fill('orders');
        await page.getByRole('button', { name: 'Preview Terraform' }).click();
        await page.locator('#preview-code', { hasText: 'module "orders"' }).waitFor();
        await page.getByRole('button', { name: 'Submit request' }).click();
        await page.locator('#status-live', { hasText: 'orders: status' }).waitFor();
        const row = page.locator('#list-body tbody tr', { hasText: 'orders' });
        await row.waitFor();
        expect(await row.textContent()).toContain(ALICE.arn);
        // Every call past the gateway was signed by Alice: the page's files and /health need no signature.
        const api = gateway.invocations.filter(
          (i) => i.functionId === 'ApiFunction' && i.resourcePath !== '/health',
        );
        expect(api.map((i) => i.resourcePath)).toEqual(
          expect.arrayContaining([
            '/request-form',
            '/provision',
            '/requests',
            '/requests/{id}',
            '/databases',
          ]),
        );
        expect(new Set(api.map((i) => i.userArn))).toEqual(new Set([ALICE.arn]));
        const { session, local, href } = await storage(page);
        expect(local).toEqual([]);
        expect(session.map(([key]) => key)).toEqual(['rds-provisioner.aws-credentials']);
        for (const secret of [ALICE.secretAccessKey, ALICE.sessionToken as string])
          expect(href).not.toContain(secret);
      },
      STEP,
    );

    it(
      'keeps the session over a reload; a 403 later (credentials gone bad) returns to sign-in with a message',
      async () => {
        await page.reload();
        await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
        await page.evaluate(`(() => {
          const key = 'rds-provisioner.aws-credentials';
          const stored = JSON.parse(sessionStorage.getItem(key));
          stored.credentials.secretAccessKey = ${JSON.stringify(WRONG_SECRET)};
          sessionStorage.setItem(key, JSON.stringify(stored));
        })()`);
        await page.getByRole('button', { name: 'Refresh' }).click();
        expect(await signInMessage(page, 'Sign in again')).toBe(
          'AWS did not accept the signature: the secret access key does not match the access key ID. Sign in again to go on.',
        );
        expect(await page.locator('#workspace').isHidden()).toBe(true);
        expect((await storage(page)).session).toEqual([]);
      },
      STEP,
    );

    it(
      'signs in with long-term credentials (no session token), and signing out forgets them',
      async () => {
        await signInWithAws(page, BOB);
        await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Access key ID').waitFor();
        expect((await storage(page)).session).toEqual([]);
        expect(await page.getByLabel('Access key ID').inputValue()).toBe('');
      },
      STEP,
    );
  });

  describe('AuthMode=api_key: the API key sent as x-api-key', () => {
    let gateway: Gateway;
    let page: Page;
    beforeAll(async () => {
      aws.setFunctionEnv({ AUTH_MODE: 'api_key', PIPELINE_API_KEY_ID: 'pk1pipeline' });
      gateway = await startGateway({
        authMode: 'api_key',
        region: REGION,
        apiKeys: [{ id: 'rk1requester', value: REQUESTER_KEY }],
        functions: { ApiFunction: apiHandler, WebFunction: web.handler },
      });
      page = await openPage(gateway);
    });
    afterAll(async () => gateway?.close());

    it(
      'asks for the API key; a wrong one is refused with a message and nothing kept',
      async () => {
        const key = page.getByLabel('API key');
        await key.waitFor();
        expect(await page.getByLabel('Access key ID').isHidden()).toBe(true);
        await key.fill(WRONG_KEY);
        await page.getByRole('button', { name: 'Sign in' }).click();
        expect(await signInMessage(page, 'API key')).toBe(
          'The service did not accept that API key. Check it and try again.',
        );
        expect(await key.getAttribute('aria-invalid')).toBe('true');
        expect((await storage(page)).session).toEqual([]);
      },
      STEP,
    );

    it(
      'signs in with the key and lists the requests, the one asked for with IAM credentials included',
      async () => {
        await page.getByLabel('API key').fill(REQUESTER_KEY);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
        const past = gateway.invocations.filter(
          (i) => i.functionId === 'ApiFunction' && i.resourcePath !== '/health',
        );
        expect(past.length).toBeGreaterThan(0);
        expect(new Set(past.map((i) => i.apiKeyId))).toEqual(new Set(['rk1requester']));
        const { session, local } = await storage(page);
        expect(session).toEqual([
          ['rds-provisioner.api-key', JSON.stringify({ kind: 'api_key', key: REQUESTER_KEY })],
        ]);
        expect(local).toEqual([]);
      },
      STEP,
    );
  });

  it('raised no script errors or policy violations, and no secret reached any log', () => {
    expect(pageErrors).toEqual([]);
    const logged = aws.output.join('');
    for (const secret of SECRETS) expect(logged).not.toContain(secret);
  });
});
