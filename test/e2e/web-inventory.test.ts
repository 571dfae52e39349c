import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { launchChromium } from '../../scripts/chromium-launch.mjs';
import { ROOT } from '../support/cli.js';
import { contrastFailures } from '../support/page-checks.js';
import { api, type RunningServer, startServer, tempDir, waitFor } from '../support/server.js';

/**
 * The page's inventory (web/inventory.ts, web/database-detail.ts, web/change-form.ts) driven through
 * Debian's Chromium against the built server: databases created and merged through the API, files
 * written by hand pushed to the base branch, then the list, its filters and paging, a change previewed
 * (the diff, the pull request) and submitted to pr_open, the in-flight refusal, and a retirement
 * previewed and confirmed by the typed name, then merged (the database is gone: 404). The policy forbids
 * retiring in staging (403).
 */

const STEP = 60_000;
/** Files on the base branch that rds-provisioner did not write: more than one page of the list. */
const FOREIGN = Array.from({ length: 26 }, (_, i) => `legacy-${String(i + 1).padStart(2, '0')}`);
const HOSTILE = '<img src=x onerror=alert(1)>';

describe('the inventory in the self-service page, in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let call: ReturnType<typeof api>;
  const pageErrors: string[] = [];

  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Someone', '-c', 'user.email=someone@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    });

  /** Asks for a database through the API and merges its pull request. */
  async function createAndMerge(request: Record<string, unknown>) {
    const accepted = await call('POST', '/provision', request);
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => r.json?.status === 'pr_open',
    );
    expect((await call('POST', `/pulls/${open.json.pull_request.number}/merge`)).status).toBe(200);
    await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => r.json?.status === 'merged',
    );
  }

  beforeAll(async () => {
    const policy = parseDocument(readFileSync(join(ROOT, 'config/policy.yaml'), 'utf8'));
    policy.setIn(['environments', 'staging', 'retire', 'allowed'], false);
    const policyPath = join(tempDir('inventory-policy'), 'policy.yaml');
    writeFileSync(policyPath, String(policy));
    [server, browser] = await Promise.all([
      startServer({ args: ['--config', policyPath] }),
      launchChromium(),
    ]);
    call = api(server);
    await createAndMerge({
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
      deployment: 'aurora',
      tags: { 'cost-center': 'cc-1234' },
    });
    await createAndMerge({
      db_name: 'billing',
      engine: 'mysql',
      environment: 'staging',
      owner: 'team-billing',
    });
    // Someone adds Terraform of their own beside the service's, by hand.
    const clone = join(tempDir('inventory-clone'), 'infra');
    execFileSync('git', ['clone', '--quiet', server.repo, clone]);
    for (const name of FOREIGN) {
      mkdirSync(join(clone, 'terraform/live/dev', name), { recursive: true });
      writeFileSync(
        join(clone, 'terraform/live/dev', name, 'main.tf'),
        `resource "aws_db_instance" "this" {\n  identifier = "${name}"\n}\n`,
      );
    }
    git(clone, 'add', '-A');
    git(clone, 'commit', '--quiet', '-m', 'Databases written by hand');
    git(clone, 'push', '--quiet', 'origin', 'HEAD:main');

    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A CSP violation or a script error shows up in the console; the refusals the test provokes do too.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of (400|401|403|404|409)/.test(msg.text()))
        pageErrors.push(msg.text());
    });
    const response = await page.goto(`${server.url}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
  });

  const section = () => page.locator('#databases-section');
  const row = (name: string) => page.locator(`#databases-table tbody tr[data-db="${name}"]`);
  const cellsOf = async (name: string) => row(name).locator('th, td').allTextContents();
  const listed = () =>
    page
      .locator('#databases-table tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-db') ?? ''));
  const detail = () => page.locator('#database-detail');
  /** The button that opens a database's detail: its name, and what it does for a screen reader. */
  const selectButton = (name: string) =>
    row(name).getByRole('button', { name: new RegExp(`^${name}\\W+show its details$`) });
  const changeControl = (name: string) => page.locator(`#change-form [name="${name}"]`);
  // Code run in the page is passed as text: this project's TypeScript has no DOM library.
  const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;

  it(
    'lists the databases by name with their settings, the foreign files with why, and pages with More',
    async () => {
      await row('billing').waitFor();
      expect(await cellsOf('billing')).toEqual([
        'billing: show its details',
        'staging',
        'mysql',
        'aurora-serverless',
        expect.any(String),
        'small',
        '1',
        'team-billing',
        'Managed',
        '', // no drift report names it yet
      ]);
      const foreign = await cellsOf('legacy-01');
      expect(foreign.slice(1, 8)).toEqual([
        'dev',
        'unknown',
        'unknown',
        'unknown',
        'unknown',
        'unknown',
        'unknown',
      ]);
      expect(foreign[8]).toContain('Not written by rds-provisioner');
      expect(foreign[8]).toContain('does not start with the header');
      // 25 a page: billing and legacy-01 to legacy-24; orders comes after legacy-26.
      expect(await listed()).toEqual(['billing', ...FOREIGN.slice(0, 24)]);
      const more = section().getByRole('button', { name: 'More databases' });
      await more.click();
      await row('orders').waitFor();
      expect(await listed()).toEqual(['billing', ...FOREIGN, 'orders']);
      expect(await more.isHidden()).toBe(true);
      expect(await cellsOf('orders')).toEqual([
        'orders: show its details',
        'dev',
        'postgres',
        'aurora',
        '17.5',
        'small',
        '1',
        'unassigned',
        'Managed',
        '',
      ]);
    },
    STEP,
  );

  it(
    'filters by environment, engine and owner',
    async () => {
      const filters = page.getByRole('search', { name: 'Filter databases' });
      await filters.getByLabel('Environment').selectOption('staging');
      await expect.poll(listed).toEqual(['billing']);
      await filters.getByLabel('Environment').selectOption('');
      await filters.getByLabel('Engine').selectOption('postgres');
      await expect.poll(listed).toEqual(['orders']);
      await filters.getByLabel('Engine').selectOption('');
      await filters.getByLabel('Owner').fill('team-billing');
      await filters.getByLabel('Owner').press('Enter');
      await expect.poll(listed).toEqual(['billing']);
      await filters.getByLabel('Owner').fill('nobody');
      await filters.getByRole('button', { name: 'Apply filters' }).click();
      await section().locator('#databases-body', { hasText: 'No database matches these filters.' }).waitFor();
      await filters.getByLabel('Owner').fill('');
      await filters.getByLabel('Engine').selectOption('postgres');
      await expect.poll(listed).toEqual(['orders']);
    },
    STEP,
  );

  it(
    'shows a database’s details and its requests from the keyboard, with the pull request link',
    async () => {
      await selectButton('orders').focus();
      await page.keyboard.press('Enter');
      await detail().locator('#database-title', { hasText: 'orders' }).waitFor();
      await page.waitForFunction("document.activeElement?.id === 'database-title'");
      expect(await detail().getAttribute('aria-labelledby')).toBe('database-title');
      const meta = (await page.locator('#database-meta').textContent()) ?? '';
      for (const text of [
        'dev',
        'postgres',
        'aurora',
        '17.5',
        'cost-center = cc-1234',
        'terraform/live/dev/orders/main.tf',
      ])
        expect(meta).toContain(text);
      const requests = page.locator('#database-requests-table tbody tr');
      expect(await requests.count()).toBe(1);
      expect(await requests.first().getAttribute('data-kind')).toBe('create');
      expect(await requests.first().locator('.status').textContent()).toBe('merged');
      expect(await requests.first().getByRole('link').getAttribute('href')).toMatch(/\/#\/pulls\/\d+$/);
      // The form starts from what the database has, within what dev allows.
      expect(await changeControl('size').inputValue()).toBe('small');
      expect(
        await changeControl('size')
          .locator('option')
          .evaluateAll((o) => o.map((e) => e.getAttribute('value'))),
      ).toEqual(['small', 'medium']);
      expect(await changeControl('deployment').inputValue()).toBe('aurora');
      expect(await changeControl('engine_version').inputValue()).toBe('17.5');
      expect(await changeControl('instances').inputValue()).toBe('1');
      expect(await page.locator('#change-submit').isDisabled()).toBe(true);
    },
    STEP,
  );

  it(
    'shows a hostile tag as text beside the tags field, and runs nothing',
    async () => {
      await detail().getByRole('button', { name: 'Add tag' }).click();
      const keys = page.locator('#change-form input[name="tags.key"]');
      const values = page.locator('#change-form input[name="tags.value"]');
      await keys.last().fill(HOSTILE);
      await values.last().fill(HOSTILE);
      await detail().getByRole('button', { name: 'Preview change' }).click();
      const error = page.locator('#change-tags-error');
      await error.waitFor();
      expect(await error.textContent()).toContain(`Tags (${HOSTILE})`);
      expect(await page.locator('#change-errors').textContent()).toContain(HOSTILE);
      expect(await values.last().getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('#change-submit').isDisabled()).toBe(true);
      expect(await page.locator('#change-preview').isHidden()).toBe(true);
      await detail()
        .getByRole('button', { name: /^Remove\W+tag \d+$/ })
        .click();
      expect((await call('GET', '/requests?kind=change')).json.requests).toEqual([]);
    },
    STEP,
  );

  it(
    'previews a size change: the diff marks the instance_class lines, the pull request body is rendered',
    async () => {
      await changeControl('size').selectOption('medium');
      await detail().getByRole('button', { name: 'Add tag' }).click();
      await page.locator('#change-form input[name="tags.key"]').last().fill('contact');
      await page.locator('#change-form input[name="tags.value"]').last().fill('@someone');
      expect(await page.locator('#change-submit').isDisabled()).toBe(true);
      await detail().getByRole('button', { name: 'Preview change' }).click();
      const preview = page.locator('#change-preview');
      await preview.waitFor();
      expect(await page.locator('#change-preview-pr-title').textContent()).toContain('size small → medium');
      const removed = preview.locator('.diff-del', { hasText: 'instance_class' });
      const added = preview.locator('.diff-add', { hasText: 'instance_class' });
      expect(await removed.count()).toBe(1);
      expect(await added.count()).toBe(1);
      expect(await removed.textContent()).toMatch(/^-\s+instance_class\s+= "db\.[a-z0-9.]+"/);
      expect(await added.textContent()).toMatch(/^\+\s+instance_class\s+= "db\.[a-z0-9.]+"/);
      expect(await removed.textContent()).not.toBe((await added.textContent())?.replace(/^\+/, '-'));
      // The description is Markdown rendered as the review panel renders it: a table, no marker, and the
      // tag's value as text (no mention, no link).
      const body = page.locator('#change-preview-body');
      expect(await body.locator('table td', { hasText: 'Size' }).count()).toBeGreaterThan(0);
      const text = (await body.textContent()) ?? '';
      expect(text).toContain('@someone');
      expect(text).not.toContain('rds-provisioner request-id');
      expect(await body.locator('a', { hasText: '@someone' }).count()).toBe(0);
      expect(await preview.locator('.diff-add', { hasText: '"contact"' }).textContent()).toContain(
        '@someone',
      );
      expect((await call('GET', '/requests?kind=change')).json.requests).toEqual([]); // a dry run queues nothing

      // Submit is there for exactly the form previewed: an edit takes it away until the next preview.
      const submit = page.locator('#change-submit');
      expect(await submit.isEnabled()).toBe(true);
      await changeControl('instances').fill('2');
      expect(await submit.isDisabled()).toBe(true);
      expect(await page.locator('#change-stale').isVisible()).toBe(true);
      // The detail as it stands (form, preview, unavailable Submit) meets WCAG AA contrast.
      expect(await contrastFailures(page)).toEqual([]);
      await changeControl('instances').fill('1');
      expect(await submit.isEnabled()).toBe(true);
    },
    STEP,
  );

  it(
    'submits the change and follows its request to pr_open, as the creation does',
    async () => {
      await page.locator('#change-submit').click();
      await page.locator('#change-message', { hasText: /Request \S+ sent/ }).waitFor();
      const live = page.locator('#status-live');
      await live.locator('.status', { hasText: /^pr_open$/ }).waitFor({ timeout: 30_000 });
      expect(await live.textContent()).toContain('orders: status pr_open');
      const [change] = (await call('GET', '/requests?kind=change')).json.requests;
      expect(change).toMatchObject({
        db_name: 'orders',
        status: 'pr_open',
        change: { size: 'medium', tags: { contact: '@someone' } },
      });
      // The database's requests and the list follow it.
      const changeRow = page.locator(`#database-requests-table tr[data-request-id="${change.request_id}"]`);
      await changeRow.locator('.status', { hasText: /^pr_open$/ }).waitFor();
      expect(await changeRow.getAttribute('data-kind')).toBe('change');
      expect(await changeRow.getByRole('link').getAttribute('href')).toBe(change.pull_request.url);
      await page
        .locator(`#databases-table tr[data-db="orders"][data-in-flight="${change.request_id}"]`)
        .waitFor();
      expect(await row('orders').locator('.in-flight').textContent()).toContain('Request in flight');
    },
    STEP,
  );

  it(
    'shows the 409 for a second change while the first is in flight, with that request to follow',
    async () => {
      await changeControl('owner').fill('team-orders');
      await detail().getByRole('button', { name: 'Preview change' }).click();
      const message = page.locator('#change-message[role="alert"]');
      await message.waitFor();
      const [change] = (await call('GET', '/requests?kind=change')).json.requests;
      expect(await message.textContent()).toContain(
        `a request for database orders is still in flight: ${change.request_id}`,
      );
      expect(await message.getByRole('button', { name: 'Follow that request' }).count()).toBe(1);
      expect(await page.locator('#change-submit').isDisabled()).toBe(true);
      expect((await call('GET', '/requests?kind=change')).json.requests).toHaveLength(1);
    },
    STEP,
  );

  it(
    'refuses to retire where the policy forbids it, plainly (403)',
    async () => {
      await page.getByRole('search', { name: 'Filter databases' }).getByLabel('Engine').selectOption('');
      await selectButton('billing').click();
      await detail().locator('#database-title', { hasText: 'billing' }).waitFor();
      await detail().getByRole('button', { name: 'Preview retirement' }).click();
      const message = page.locator('#retire-message[role="alert"]');
      await message.waitFor();
      expect(await message.textContent()).toMatch(/staging/);
      expect(await page.locator('#retire-preview').isHidden()).toBe(true);
      expect((await call('GET', '/requests?kind=retire')).json.requests).toEqual([]);
    },
    STEP,
  );

  it(
    'previews a retirement with its caution, and retires only once the name is typed',
    async () => {
      // The change merges first: one request in flight per database.
      const [change] = (await call('GET', '/requests?kind=change')).json.requests;
      expect((await call('POST', `/pulls/${change.pull_request.number}/merge`)).status).toBe(200);
      await page
        .getByRole('search', { name: 'Filter databases' })
        .getByLabel('Engine')
        .selectOption('postgres');
      await selectButton('orders').click();
      await detail().locator('#database-title', { hasText: 'orders' }).waitFor();
      await page.locator('#database-meta', { hasText: 'medium' }).waitFor();

      await detail().getByRole('button', { name: 'Preview retirement' }).click();
      const preview = page.locator('#retire-preview');
      await preview.waitFor();
      expect(await page.locator('#retire-preview-pr-title').textContent()).toBe(
        'Retire postgres database orders (dev)',
      );
      const caution = preview.locator('.markdown-alert-caution');
      expect(await caution.locator('.markdown-alert-title').textContent()).toBe('Caution');
      expect(await caution.textContent()).toContain('destroys');
      expect(await preview.locator('#retire-preview-body').textContent()).not.toContain('[!CAUTION]');
      expect(
        await preview.locator('#retire-preview-body table td', { hasText: 'module.orders' }).count(),
      ).toBeGreaterThan(3);
      expect(await preview.locator('.diff-del').count()).toBeGreaterThan(10);

      const send = preview.getByRole('button', { name: 'Retire orders' });
      const confirm = preview.getByLabel('Type the database’s name to confirm');
      expect(await send.isDisabled()).toBe(true);
      expect(await contrastFailures(page)).toEqual([]);
      await confirm.fill('order');
      expect(await send.isDisabled()).toBe(true);
      await confirm.press('Enter');
      expect((await call('GET', '/requests?kind=retire')).json.requests).toEqual([]);
      await confirm.fill('orders');
      expect(await send.isEnabled()).toBe(true);
      await send.click();
      await page.locator('#retire-message', { hasText: /Request \S+ sent/ }).waitFor();
      await page.locator('#status-live .status', { hasText: /^pr_open$/ }).waitFor({ timeout: 30_000 });
      const retirements = (await call('GET', '/requests?kind=retire')).json.requests;
      expect(retirements).toHaveLength(1);
      expect(retirements[0]).toMatchObject({ db_name: 'orders', status: 'pr_open' });

      // Merged elsewhere: the followed request, the detail and the list follow (the file is gone: 404).
      expect((await call('POST', `/pulls/${retirements[0].pull_request.number}/merge`)).status).toBe(200);
      await page.locator('#database-state', { hasText: 'orders is no longer on the base branch.' }).waitFor();
      expect(await detail().locator('#change-form, #retire-preview-button').count()).toBe(0);
      await section().locator('#databases-body', { hasText: 'No database matches these filters.' }).waitFor();
    },
    STEP,
  );

  it(
    'fits a 375 px wide screen without scrolling sideways, the list and the detail included',
    async () => {
      await page.getByRole('search', { name: 'Filter databases' }).getByLabel('Engine').selectOption('');
      await row('billing').waitFor();
      await page.setViewportSize({ width: 375, height: 900 });
      // The page, the list (an Aurora engine version is a long word) and the detail, each within its width.
      const over = await inPage<string[]>(`(() => {
        const boxes = [document.documentElement, ...['databases-body', 'database-detail'].map((id) => document.getElementById(id))];
        return boxes.filter((e) => e.scrollWidth > e.clientWidth).map((e) => (e.id || e.tagName) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
      })()`);
      expect(over).toEqual([]);
      await page.setViewportSize({ width: 1280, height: 1000 });
    },
    STEP,
  );

  it('raised no script errors or policy violations, and nothing the API sent ran', async () => {
    expect(await page.locator('img').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
