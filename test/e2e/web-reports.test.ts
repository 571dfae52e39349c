import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium-launch.mjs';
import { STATUSES } from '../../src/domain/status.js';
import { ROOT } from '../support/cli.js';
import { contrastFailures } from '../support/page-checks.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';
import { auroraState, planDocument } from '../support/terraform-documents.js';

/**
 * The loop closed, as the self-service page shows it (issue 13), driven through Debian's Chromium against
 * the built server. Everything reaches the page through the real API: requests asked for and merged, then
 * the pipeline's reports posted with its own credential (real `terraform show -json` documents from
 * test/fixtures/terraform-json/, and small ones shaped as HashiCorp documents them where a precise
 * destroy, failure or drift is needed). Text from a report is hostile on purpose: it must reach the page
 * as text, never as markup or a link.
 */

const STEP = 90_000;
const FIXTURES = join(ROOT, 'test/fixtures/terraform-json');
const fixture = (deployment: string, name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, deployment, `${name}.json`), 'utf8'));
/** An amount as the page writes it (US dollars, the sign apart). */
const money = (value: number) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(Math.abs(value));
/** Report text that would be markup, a script or a link if the page ever parsed it. */
const HOSTILE = '<img src=x onerror="window.__pwned=1"> [click](https://evil.example/)';

describe('the loop closed in the self-service page, in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let call: ReturnType<typeof api>;
  let pipeline: ReturnType<typeof api>;
  /** A second person, an approver: prod separates duties, so the admin who asks does not merge. */
  let reviewer: ReturnType<typeof api>;
  const pageErrors: string[] = [];
  /** The requests the tests share, by database name. */
  const requests = new Map<string, { id: string; number: number; branch: string; commit: string }>();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    call = api(server);
    pipeline = api({ url: server.url, token: server.pipelineToken });
    const created = await call('POST', '/tokens', { user: 'reviewer', role: 'approver' });
    expect(created.status, created.text).toBe(201);
    reviewer = api({ url: server.url, token: created.json.token });
    context = await browser.newContext({
      viewport: { width: 1280, height: 1000 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of (400|401|404|409)/.test(msg.text()))
        pageErrors.push(msg.text());
    });
    page.on('dialog', (dialog) => {
      pageErrors.push(`a dialog opened: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#request-form [name="db_name"]').waitFor();
  }, 240_000);

  // A test that failed with the pull request panel open leaves it closed for the next.
  afterEach(async () => {
    if (await page.locator('#pull-dialog[open]').count()) await page.keyboard.press('Escape');
  });

  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
  });

  const headOf = (branch: string) =>
    execFileSync('git', ['--git-dir', server.repo, 'rev-parse', `refs/heads/${branch}`], {
      encoding: 'utf8',
    }).trim();
  const status = (id: string) => call('GET', `/requests/${id}`);
  // Code run in the page is passed as text: this project's TypeScript has no DOM library.
  const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;

  /** Asks for a database through the API and waits for its pull request. */
  async function openRequest(
    body: Record<string, unknown>,
    change?: { db: string }, // a change (PATCH /databases/{db}) instead of a creation
  ) {
    const accepted = change
      ? await call('PATCH', `/databases/${change.db}`, body)
      : await call('POST', '/provision', body);
    expect(accepted.status, accepted.text).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => status(id),
      (r) => r.json?.status === 'pr_open',
    );
    const { number, branch } = open.json.pull_request as { number: number; branch: string };
    const opened = { id, number, branch, commit: headOf(branch) };
    if (!change) requests.set(String(body.db_name), opened);
    return opened;
  }

  /** A request an earlier test of this suite opened. */
  function opened(name: string) {
    const request = requests.get(name);
    if (!request) throw new Error(`an earlier test opens ${name}`);
    return request;
  }

  async function merge(id: string, number: number): Promise<string> {
    expect((await reviewer('POST', `/pulls/${number}/merge`)).status).toBe(200);
    const merged = await waitFor(
      () => status(id),
      (r) => r.json?.status === 'merged',
    );
    return merged.json.merge_commit as string;
  }

  async function report(kind: 'plan' | 'apply' | 'drift', body: Record<string, unknown>) {
    const answer = await pipeline('POST', `/reports/${kind}`, body);
    expect(answer.status, answer.text).toBe(200);
    return answer.json;
  }

  /** Reads the list again and follows request `id` in the page, once the list shows it at `expected`. */
  async function follow(id: string, expected: string) {
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.locator(`#list-body tbody tr[data-request-id="${id}"][data-status="${expected}"]`);
    await row.waitFor();
    await row.locator('th button').click();
    await page.locator('#status-live .status', { hasText: new RegExp(`^${expected}$`) }).waitFor();
  }

  /** Opens a database's page from its row in the inventory. */
  async function openDetail(name: string) {
    await page
      .locator(`#databases-table tbody tr[data-db="${name}"]`)
      .getByRole('button', { name: new RegExp(`^${name}\\W+show its details$`) })
      .click();
    await page.locator('#database-title', { hasText: name }).waitFor();
  }

  const badgeColours = (status: string) =>
    inPage<{ color: string; background: string }>(`(() => {
      const badge = document.querySelector('#list-body tbody tr[data-status="${status}"] .status');
      const style = getComputedStyle(badge);
      return { color: style.color, background: style.backgroundColor };
    })()`);

  it(
    "the dry-run preview shows the estimated monthly cost: Serverless v2's range, what is not counted, the prices' source and date",
    async () => {
      const body = {
        db_name: 'events',
        engine: 'mysql',
        environment: 'dev',
        deployment: 'aurora-serverless',
      };
      const expected = (await call('POST', '/provision?dry_run=true', body)).json.cost;
      expect(expected, 'the dry run answers a cost estimate').toBeTruthy();
      expect(expected.monthly.low).toBeLessThan(expected.monthly.high);

      const control = (name: string) => page.locator(`#request-form [name="${name}"]`);
      await control('db_name').fill('events');
      await control('engine').selectOption('mysql');
      await control('deployment').selectOption('aurora-serverless');
      await page.getByRole('button', { name: 'Preview Terraform' }).click();
      const cost = page.locator('#preview-cost-estimate');
      await cost.waitFor();
      expect(await cost.locator('#preview-cost-estimate-total').textContent()).toBe(
        `${money(expected.monthly.low)} – ${money(expected.monthly.high)} a month`,
      );
      const text = (await cost.textContent()) ?? '';
      expect(text).toContain('Aurora Serverless v2');
      for (const left of expected.not_counted) expect(text).toContain(left);
      expect(text).toContain(expected.prices.source);
      expect(text).toContain(expected.prices.date);
      expect(text).toContain(expected.region);
      expect(await cost.locator('tbody tr').count()).toBe(expected.lines.length);
      expect((await call('GET', '/requests')).json.requests).toEqual([]);
    },
    STEP,
  );

  it(
    'the request page shows the cost and the latest plan per database; a plan that destroys a database not being retired is flagged loudly, every address it removes listed as text',
    async () => {
      const orders = await openRequest({
        db_name: 'orders',
        engine: 'postgres',
        environment: 'dev',
        deployment: 'aurora',
        engine_version: '16.9',
      });
      // The plan CI made of this very file (test/fixtures/terraform-json/aurora).
      const created = await report('plan', {
        branch: orders.branch,
        pull_request: orders.number,
        commit: orders.commit,
        plan: fixture('aurora', 'create-plan'),
      });
      const [planned] = created.plan.databases;
      expect(planned).toMatchObject({ db_name: 'orders', destroy: 0, replace: 0, unexpected: false });

      await follow(orders.id, 'pr_open');
      const plan = page.locator('#status-plan');
      await plan.waitFor();
      const row = plan.locator('tbody tr[data-db="orders"]');
      expect(await row.locator('th, td').allTextContents()).toEqual([
        'orders',
        String(planned.add),
        String(planned.change),
        '0',
        '0',
      ]);
      expect(await plan.textContent()).toContain(orders.commit.slice(0, 12));
      expect(await page.locator('#status-plan-unexpected').count()).toBe(0);
      expect(await page.locator('#status-plan-removes').count()).toBe(0);

      // A newer plan at the same head replaces the cluster and destroys a resource named by hostile text.
      const hostileAddress = `module.orders.aws_db_parameter_group.this["${HOSTILE}"]`;
      const destroying = planDocument({
        changes: [
          { db: 'orders', type: 'aws_rds_cluster', name: 'this', actions: ['delete', 'create'], after: {} },
          { db: 'orders', type: 'aws_db_parameter_group', name: `this["${HOSTILE}"]`, actions: ['delete'] },
        ],
      });
      const flagged = await report('plan', {
        branch: orders.branch,
        pull_request: orders.number,
        commit: orders.commit,
        plan: destroying,
      });
      expect(flagged.plan.unexpected).toBe(true);
      await follow(orders.id, 'pr_open');
      const loud = page.locator('#status-plan-unexpected');
      await loud.waitFor();
      expect(await loud.textContent()).toContain('Do not merge without knowing why');
      expect(await loud.locator('code').allTextContents()).toEqual(['orders']);
      expect(await plan.locator('tbody tr[data-db="orders"]').getAttribute('data-unexpected')).toBe('true');
      const removes = page.locator('#status-plan-removes li');
      expect(await removes.allTextContents()).toEqual([
        `destroyed: ${hostileAddress}`,
        'replaced (destroyed and created again): module.orders.aws_rds_cluster.this',
      ]);
      // Shown as text: no image, no link, nothing ran.
      expect(await page.locator('#status-section img, #status-section a[href*="evil"]').count()).toBe(0);
      expect(await inPage('window.__pwned ?? null')).toBeNull();
      expect(await contrastFailures(page)).toEqual([]);
      expect(pageErrors).toEqual([]);

      // Its estimated cost, as the API holds it on the request.
      const view = (await status(orders.id)).json;
      expect(view.cost, 'the request carries its cost estimate').toBeTruthy();
      const cost = page.locator('#status-cost');
      expect(await cost.locator('#status-cost-total').textContent()).toBe(
        `${money(view.cost.monthly.low)} a month`,
      );
      expect(await cost.textContent()).toContain(view.cost.prices.date);
    },
    STEP,
  );

  it(
    "the local pull request view shows the service's plan comment as Markdown: its table and warnings, no markup or link from the report",
    async () => {
      await follow(opened('orders').id, 'pr_open');
      await page.locator('#status-live a.pr-link').click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      const comments = dialog.locator('#pull-comments');
      await comments.waitFor();
      expect(await comments.locator('.pull-comment').count()).toBe(1);
      // The CAUTION and WARNING blocks as boxes, the counts as a table.
      const caution = comments.locator('.markdown-alert-caution');
      expect(await caution.textContent()).toContain('orders');
      expect(await caution.textContent()).toContain('did not ask to retire');
      expect(await comments.locator('.markdown-alert-warning li').allTextContents()).toEqual([
        `destroyed: module.orders.aws_db_parameter_group.this["${HOSTILE}"]`,
        'replaced (destroyed and created again): module.orders.aws_rds_cluster.this',
      ]);
      expect(await comments.locator('table tbody tr').first().locator('td').allTextContents()).toEqual([
        'orders',
        '0',
        '0',
        '1',
        '1',
      ]);
      // The closing line as small print, its <sub> wrapper gone; the marker line not shown.
      const text = (await comments.textContent()) ?? '';
      expect(await comments.locator('.small-print').count()).toBe(1);
      for (const hidden of ['<sub>', '</sub>', 'rds-provisioner:plan', '<!--'])
        expect(text).not.toContain(hidden);
      // Nothing of the report became markup or a link.
      expect(await comments.locator('a, img, script').count()).toBe(0);
      expect(text).toContain(HOSTILE);
      expect(await inPage('window.__pwned ?? null')).toBeNull();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    },
    STEP,
  );

  it(
    'applying, ready and apply_failed each have their own colour and filter; apply_failed shows its reason as text; once ready the page shows the connection details and the password command to copy',
    async () => {
      // orders: applied with the state Terraform left (test/fixtures/terraform-json/aurora).
      const orders = opened('orders');
      const ordersCommit = await merge(orders.id, orders.number);
      await report('apply', {
        commit: ordersCommit,
        outcome: 'started',
        plan: fixture('aurora', 'create-plan'),
      });
      await follow(orders.id, 'applying');
      expect(await page.locator('#status-merge-commit').textContent()).toBe(ordersCommit);
      expect(await page.locator('#status-connection').count()).toBe(0);
      await report('apply', {
        commit: ordersCommit,
        outcome: 'succeeded',
        state: fixture('aurora', 'state'),
      });

      // ledger: merged, its apply under way.
      const ledger = await openRequest({ db_name: 'ledger', engine: 'postgres', environment: 'dev' });
      const ledgerCommit = await merge(ledger.id, ledger.number);
      await report('apply', {
        commit: ledgerCommit,
        outcome: 'started',
        plan: planDocument({
          changes: [{ db: 'ledger', type: 'aws_rds_cluster', name: 'this', actions: ['create'] }],
        }),
      });

      // billing: its apply failed, with a reason that carries markup and a link.
      const billing = await openRequest({ db_name: 'billing', engine: 'mysql', environment: 'dev' });
      const billingCommit = await merge(billing.id, billing.number);
      const log = JSON.stringify({
        '@level': 'error',
        '@message': 'Error: creating RDS Cluster',
        type: 'diagnostic',
        diagnostic: {
          severity: 'error',
          summary: `creating RDS Cluster (billing): ${HOSTILE}`,
          detail: 'InvalidParameterCombination',
          address: 'module.billing.aws_rds_cluster.this',
        },
      });
      await report('apply', { commit: billingCommit, outcome: 'failed', log });
      const failed = (await status(billing.id)).json;
      expect(failed.status).toBe('apply_failed');

      // The filter offers every status, the new ones too, in the domain's order.
      const filter = page.getByLabel('Status', { exact: true });
      expect(
        await filter.locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('value'))),
      ).toEqual(['', ...STATUSES]);
      for (const [value, db] of [
        ['applying', 'ledger'],
        ['ready', 'orders'],
        ['apply_failed', 'billing'],
      ] as const) {
        await filter.selectOption(value);
        await page.locator(`#list-body tbody tr[data-status="${value}"]`, { hasText: db }).waitFor();
        expect(await page.locator('#list-body tbody tr').count()).toBe(1);
        expect(await page.locator('#list-body tbody tr .status').textContent()).toBe(value);
      }
      await filter.selectOption('');
      const merged = await openRequest({ db_name: 'quiet', engine: 'postgres', environment: 'dev' });
      await merge(merged.id, merged.number);
      await follow(merged.id, 'merged');
      const colours = await Promise.all(['merged', 'applying', 'ready', 'apply_failed'].map(badgeColours));
      expect(new Set(colours.map((c) => `${c.color}/${c.background}`)).size).toBe(4);
      // Merged rests there when no pipeline reports: the page says so.
      expect(await page.locator('#status-live .status-meaning').textContent()).toContain(
        'Where no pipeline reports, the request rests here',
      );

      await follow(billing.id, 'apply_failed');
      const reason = page.locator('#status-failure');
      expect(await reason.textContent()).toBe(`The apply failed: ${failed.failure_reason}`);
      expect(await reason.textContent()).toContain(HOSTILE);
      expect(await page.locator('#status-section img, #status-section a[href*="evil"]').count()).toBe(0);

      await follow(orders.id, 'ready');
      const view = (await status(orders.id)).json;
      const connection = view.connection as Record<string, unknown> & { resource_arns: string[] };
      expect(connection, 'ready carries its connection details').toBeTruthy();
      const details = page.locator('#status-connection');
      await details.waitFor();
      expect(await details.locator('#status-connection-writer').textContent()).toBe(
        connection.writer_endpoint,
      );
      expect(await details.locator('#status-connection-reader').textContent()).toBe(
        connection.reader_endpoint,
      );
      expect(await details.textContent()).toContain(`Port${connection.port}`);
      expect(await details.locator('#status-connection-secret').textContent()).toBe(
        connection.master_user_secret_arn,
      );
      expect(await details.locator('#status-connection-arns li').allTextContents()).toEqual(
        connection.resource_arns,
      );
      const command = details.locator('#status-connection-password-command');
      expect(await command.textContent()).toBe(connection.password_command);
      expect(connection.password_command).toMatch(/^aws secretsmanager get-secret-value --secret-id arn:/);
      await details.getByRole('button', { name: 'Copy command' }).click();
      await details.locator('#status-connection-password-copied', { hasText: 'Copied.' }).waitFor();
      expect(await inPage('navigator.clipboard.readText()')).toBe(connection.password_command);
      // No password anywhere: not in the answer the page read, not on the page.
      expect(JSON.stringify(view)).not.toMatch(/"(master_)?password"\s*:/);
      expect(await contrastFailures(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    STEP * 2,
  );

  it(
    'the inventory shows a drift badge per database (drifted since, pending, clean, or nothing), and the database page the attributes per address and the connection details',
    async () => {
      // vault (prod: changes wait for the maintenance window): created, applied, then resized and applied.
      const vault = await openRequest({
        db_name: 'vault',
        engine: 'postgres',
        environment: 'prod',
        owner: 'team-vault',
      });
      const vaultCreated = await merge(vault.id, vault.number);
      await report('apply', { commit: vaultCreated, outcome: 'succeeded', state: auroraState('vault') });
      const resize = await openRequest({ size: 'large' }, { db: 'vault' });
      const vaultResized = await merge(resize.id, resize.number);
      await report('apply', { commit: vaultResized, outcome: 'succeeded', state: auroraState('vault') });

      // The nightly plan of the base branch.
      const base = headOf('main');
      const since = '2026-12-06T02:00:00Z';
      const drift = await report('drift', {
        branch: 'main',
        commit: base,
        plan: planDocument({
          timestamp: since,
          changes: [
            {
              db: 'orders',
              type: 'aws_rds_cluster',
              name: 'this[0]',
              actions: ['update'],
              before: { backup_retention_period: 5 },
              after: { backup_retention_period: 1 },
            },
            {
              db: 'vault',
              type: 'aws_rds_cluster_instance',
              name: 'this["one"]',
              actions: ['update'],
              before: { instance_class: 'db.r7g.large' },
              after: { instance_class: 'db.r7g.xlarge' },
            },
            { db: 'ledger', type: 'aws_rds_cluster', name: 'this', actions: ['no-op'] },
          ],
          drift: [
            {
              db: 'orders',
              type: 'aws_rds_cluster',
              name: 'this[0]',
              actions: ['update'],
              before: { backup_retention_period: 1 },
              after: { backup_retention_period: 5 },
            },
          ],
        }),
      });
      expect(
        Object.fromEntries(
          (drift.databases as Array<{ db_name: string; status: string }>).map((d) => [d.db_name, d.status]),
        ),
      ).toEqual({ orders: 'drifted', vault: 'pending', ledger: 'clean' });

      await page.getByRole('button', { name: 'Reload databases' }).click();
      const row = (name: string) => page.locator(`#databases-table tbody tr[data-db="${name}"]`);
      await row('orders').and(page.locator('[data-drift="drifted"]')).waitFor();
      const badge = row('orders').locator('td[data-label="Drift"] .drift');
      expect(await badge.textContent()).toMatch(/^drifted since \S/);
      expect(await badge.locator('time').getAttribute('datetime')).toBe(since);
      expect(await row('vault').locator('td[data-label="Drift"]').textContent()).toBe('pending');
      expect(await row('ledger').locator('td[data-label="Drift"]').textContent()).toBe('clean');
      // Never named by a nightly plan: no badge at all.
      expect(await row('billing').locator('td[data-label="Drift"]').textContent()).toBe('');
      expect(await row('billing').getAttribute('data-drift')).toBe('');

      await openDetail('orders');
      const drifted = page.locator('#database-drift');
      await drifted.waitFor();
      expect(await drifted.locator('#database-drift-drifted li').allTextContents()).toEqual([
        'module.orders.aws_rds_cluster.this[0]: backup_retention_period',
      ]);
      expect(await drifted.locator('#database-drift-pending').count()).toBe(0);
      const database = (await call('GET', '/databases/orders')).json;
      expect(await page.locator('#database-connection-writer').textContent()).toBe(
        database.connection.writer_endpoint,
      );
      expect(await page.locator('#database-connection-password-command').textContent()).toBe(
        database.connection.password_command,
      );

      await openDetail('vault');
      expect(await page.locator('#database-drift-pending li').allTextContents()).toEqual([
        'module.vault.aws_rds_cluster_instance.this["one"]: instance_class',
      ]);
      expect(await page.locator('#database-drift-drifted').count()).toBe(0);

      await openDetail('billing');
      expect(await page.locator('#database-drift').textContent()).toContain('No drift report yet');
      expect(await page.locator('#database-connection').textContent()).toContain('None yet');
      expect(await contrastFailures(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    STEP * 2,
  );

  it(
    "a change's preview shows the cost it adds, against the estimate before it",
    async () => {
      // quiet: Aurora Serverless v2 in dev, merged; a larger size moves its capacity range.
      const expected = (await call('PATCH', '/databases/quiet?dry_run=true', { size: 'medium' })).json.cost;
      expect(expected?.difference, 'a change previews its cost difference').toBeTruthy();
      expect(expected.difference.high).toBeGreaterThan(0);
      await openDetail('quiet');
      await page.locator('#change-form [name="size"]').selectOption('medium');
      await page.getByRole('button', { name: 'Preview change' }).click();
      const cost = page.locator('#change-preview-cost');
      await cost.waitFor();
      const range = ({ low, high }: { low: number; high: number }, sign = '') =>
        low === high ? `${sign}${money(low)}` : `${sign}${money(low)} – ${sign}${money(high)}`;
      expect(await cost.locator('#change-preview-cost-difference').textContent()).toBe(
        `${range(expected.difference, '+')} a month`,
      );
      expect(await cost.textContent()).toContain(`Before this change${range(expected.before)} a month`);
      expect(await cost.locator('#change-preview-cost-total').textContent()).toBe(
        `${range(expected.monthly)} a month`,
      );
      expect(await contrastFailures(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );

  it(
    'fits 1280 and 375 px wide screens without scrolling sideways: the plan, cost, connection details and drift',
    async () => {
      const orders = opened('orders');
      /** Boxes wider than they are shown (the page itself, and `ids`): each scrolls sideways. */
      const overflowing = (ids: string[]) =>
        inPage<string[]>(`(() => {
          const over = (e) => e && e.scrollWidth > e.clientWidth;
          return [document.documentElement, ...${JSON.stringify(ids)}.map((id) => document.getElementById(id))]
            .filter(over)
            .map((e) => (e.id || e.tagName) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
        })()`);
      const boxes = ['status-section', 'status-plan', 'status-cost', 'status-connection', 'database-detail'];
      try {
        for (const width of [1280, 375]) {
          await page.setViewportSize({ width, height: 900 });
          await follow(orders.id, 'ready');
          await page.locator('#status-connection').waitFor();
          await openDetail('orders');
          await page.locator('#database-drift-drifted').waitFor();
          expect(await overflowing(boxes), `at ${width} px`).toEqual([]);
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 1000 });
      }
    },
    STEP,
  );
});
