import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium-launch.mjs';
import { type OidcProvider, startOidcProvider } from '../support/oidc-provider.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

/**
 * Issue 15 in the self-service page, through Debian's Chromium against the real server: the page shows
 * who is signed in (id, role, scope, from GET /whoami) and offers only what they may do. A requester
 * scoped to dev and staging is offered those environments only and no Merge on a prod pull request; an
 * approver is offered Merge on someone else's prod pull request but not on their own (prod separates
 * duties); a person signs in through the OIDC provider (authorization code with PKCE, the test IdP) and
 * is shown with the provider's user and role; a forged return from the provider signs nobody in.
 */

const STEP = 90_000;

describe('the page by role, and signing in through the OIDC provider', () => {
  let idp: OidcProvider;
  let server: RunningServer;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  /** The prod pull request each person asked for, by person. */
  const prodPull: Record<string, number> = {};
  const pageErrors: string[] = [];

  const as = (person: string) => api({ url: server.url, token: tokens[person] ?? '' });

  /** Asks for a prod database as `person` and waits for its pull request. */
  async function askForProd(person: string, dbName: string): Promise<number> {
    const accepted = await as(person)('POST', '/provision', {
      db_name: dbName,
      engine: 'postgres',
      environment: 'prod',
      owner: `team-${person}`,
    });
    expect(accepted.status, accepted.text).toBe(202);
    const view = await waitFor(
      () => as(person)('GET', `/requests/${accepted.json.request_id}`),
      (answer) => answer.json?.status === 'pr_open',
    );
    expect(view.json.requester).toBe(person);
    return view.json.pull_request.number as number;
  }

  beforeAll(async () => {
    idp = await startOidcProvider();
    [server, browser] = await Promise.all([
      startServer({
        env: {
          RDS_PROVISIONER_OIDC_ISSUER: idp.issuer,
          RDS_PROVISIONER_OIDC_AUDIENCE: idp.audience,
          RDS_PROVISIONER_OIDC_CLIENT_ID: idp.clientId,
        },
      }),
      launchChromium(),
    ]);
    const admin = api(server);
    for (const [user, role, environments] of [
      ['alice', 'requester', ['dev', 'staging']],
      ['dave', 'requester', undefined],
      ['bob', 'approver', undefined],
    ] as const) {
      const created = await admin('POST', '/tokens', {
        user,
        role,
        ...(environments ? { environments } : {}),
      });
      expect(created.status, created.text).toBe(201);
      tokens[user] = created.json.token;
    }
    [prodPull.dave, prodPull.bob] = await Promise.all([
      askForProd('dave', 'ledger'),
      askForProd('bob', 'orders'),
    ]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    if (server) expect(await server.stop()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  /** A fresh tab of its own (its own sessionStorage), watched for script and CSP errors. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of (401|403)/.test(msg.text())) pageErrors.push(msg.text());
    });
    return page;
  }

  async function signInWithToken(person: string): Promise<Page> {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(tokens[person] ?? '');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#identity').waitFor();
    return page;
  }

  const identity = async (page: Page) => ({
    id: await page.locator('#identity-id').textContent(),
    role: await page.locator('#identity-role').textContent(),
    scope: await page.locator('#identity-scope').textContent(),
  });

  /** The pull request panel at the page's own address for it, loaded. */
  async function openPull(page: Page, number: number) {
    await page.goto(`${server.url}/#/pulls/${number}`);
    const dialog = page.locator('#pull-dialog');
    await dialog.locator('.meta .status', { hasText: /^open$/ }).waitFor();
    return {
      merge: dialog.getByRole('button', { name: `Merge pull request #${number}` }),
      close: dialog.getByRole('button', { name: `Close pull request #${number}` }),
      notAllowed: dialog.locator('#pull-not-allowed'),
    };
  }

  it(
    'a requester scoped to dev and staging: shown as such, offered those environments only, and no Merge on a prod pull request',
    async () => {
      const page = await signInWithToken('alice');
      expect(await identity(page)).toEqual({ id: 'alice', role: 'requester', scope: 'dev, staging only' });
      const environments = await page
        .locator('#request-form [name="environment"] option')
        .evaluateAll((options) => options.map((o) => o.getAttribute('value')));
      expect(environments).toEqual(['dev', 'staging']);

      const pull = await openPull(page, prodPull.dave ?? 0);
      expect(await pull.merge.count()).toBe(0);
      expect(await pull.close.count()).toBe(0);
      // The policy's own words, from the server's answer for this pull request and this person.
      expect(await pull.notAllowed.textContent()).toBe(
        "You may not merge it: alice's requester role holds in dev, staging only; in prod alice may only read. " +
          "You may not close it: alice's requester role holds in dev, staging only; in prod alice may only read.",
      );
      await page.context().close();
    },
    STEP,
  );

  it(
    "an approver: Merge on someone else's prod pull request, not on their own (prod separates duties), Close on both",
    async () => {
      const page = await signInWithToken('bob');
      expect(await identity(page)).toEqual({ id: 'bob', role: 'approver', scope: 'every environment' });
      expect(
        await page
          .locator('#request-form [name="environment"] option')
          .evaluateAll((options) => options.map((o) => o.getAttribute('value'))),
      ).toEqual(['dev', 'staging', 'prod']);

      const others = await openPull(page, prodPull.dave ?? 0);
      expect(await others.merge.count()).toBe(1);
      expect(await others.close.count()).toBe(1);

      const own = await openPull(page, prodPull.bob ?? 0);
      expect(await own.close.count()).toBe(1);
      expect(await own.merge.count()).toBe(0);
      expect(await own.notAllowed.textContent()).toBe(
        'You may not merge it: in prod whoever asked for a database cannot merge its pull request (environments.prod.access.separate_duties).',
      );
      // The server refuses it too: the page offered nothing the server would take.
      const refused = await as('bob')('POST', `/pulls/${prodPull.bob}/merge`);
      expect(refused.status).toBe(403);
      // Nothing was merged on the way.
      for (const number of [prodPull.dave, prodPull.bob])
        expect((await api(server)('GET', `/pulls/${number}`)).json.state).toBe('open');
      await page.context().close();
    },
    STEP,
  );

  it(
    "a prod database's detail offers change and retire to the approver, neither to a requester scoped to dev and staging",
    async () => {
      // dave's ledger, merged by bob (someone else's prod request), is on the base branch now.
      expect((await as('bob')('POST', `/pulls/${prodPull.dave}/merge`)).status).toBe(200);
      const detail = async (person: string) => {
        const page = await signInWithToken(person);
        await page
          .locator('#databases-table tbody tr[data-db="ledger"]')
          .getByRole('button', { name: /^ledger\W+show its details$/ })
          .click();
        await page.locator('#database-title', { hasText: 'ledger' }).waitFor();
        const offered = {
          change: await page.locator('#change-title').count(),
          retire: await page.locator('#retire-title').count(),
        };
        await page.context().close();
        return offered;
      };
      expect(await detail('bob')).toEqual({ change: 1, retire: 1 });
      expect(await detail('alice')).toEqual({ change: 0, retire: 0 });
    },
    STEP,
  );

  it(
    'signs in through the OIDC provider (authorization code with PKCE): the provider’s user and role, the code gone from the address',
    async () => {
      idp.signInAs({ sub: 'carol', roles: ['approver'] });
      const page = await newPage();
      await page.goto(`${server.url}/`);
      const button = page.getByRole('button', { name: `Sign in with ${idp.issuer.replace('http://', '')}` });
      await button.click();
      await page.locator('#identity').waitFor();
      expect(await identity(page)).toEqual({ id: 'carol', role: 'approver', scope: 'every environment' });

      const authorize = idp.authorizeCalls.at(-1)?.params ?? {};
      expect(authorize).toMatchObject({
        response_type: 'code',
        client_id: idp.clientId,
        redirect_uri: `${server.url}/`,
        code_challenge_method: 'S256',
      });
      expect(authorize.code_challenge).toMatch(/^[\w-]{43}$/);
      const exchange = idp.tokenCalls.at(-1);
      expect(exchange).toMatchObject({ status: 200, origin: server.url });
      expect(exchange?.params).toMatchObject({ grant_type: 'authorization_code', client_id: idp.clientId });

      // The code and state are out of the address and the tab's storage; the bearer is the API's JWT.
      const state = (await page.evaluate(
        '({ href: location.href, session: Object.keys(sessionStorage), local: localStorage.length })',
      )) as { href: string; session: string[]; local: number };
      expect(state.href).toBe(`${server.url}/`);
      expect(state.session.sort()).toEqual(['rds-provisioner.token', 'rds-provisioner.via-provider']);
      expect(state.local).toBe(0);

      // Signing out forgets it.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await button.waitFor();
      expect(await page.evaluate('Object.keys(sessionStorage).length')).toBe(0);
      await page.context().close();
    },
    STEP,
  );

  it(
    'a return from the provider with a state this tab did not send signs nobody in, and exchanges no code',
    async () => {
      const exchanges = idp.tokenCalls.length;
      const page = await newPage();
      await page.goto(`${server.url}/?code=stolen-code&state=forged-state`);
      const alert = page.locator('#sign-in-message');
      await alert.filter({ hasText: 'its state differs' }).waitFor();
      expect(await alert.textContent()).toBe(
        'Not signed in: the answer from the sign-in provider is not for this sign-in (its state differs).',
      );
      expect(await page.evaluate('location.search')).toBe('');
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(idp.tokenCalls.length).toBe(exchanges);
      await page.context().close();
    },
    STEP,
  );
});
