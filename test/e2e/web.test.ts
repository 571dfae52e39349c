import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { launchChromium } from '../../scripts/chromium-launch.mjs';
import { contrastFailures } from '../support/page-checks.js';
import { api, type RunningServer, startServer } from '../support/server.js';

/**
 * The self-service page (web/, built into dist/web/ and served by `rds-provisioner serve` at /) driven
 * through Debian's Chromium by playwright-core, against the real server: sign in, a refused request with
 * its error beside the field, a valid one previewed, submitted and followed to pr_open, then the list, and
 * its pull request reviewed and merged in the page's panel.
 */

const STEP = 60_000;

describe('the self-service page in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** The number of the pull request opened for `orders`, once the test that reviews it has run. */
  let ordersPull = '';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A CSP violation or a script error shows up in the console; the refusals the test provokes do too.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of (400|401|409)/.test(msg.text())) pageErrors.push(msg.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
  });

  const control = (name: string) => page.locator(`#request-form [name="${name}"]`);
  const optionsOf = (name: string) =>
    control(name)
      .locator('option')
      .evaluateAll((options) => options.map((o) => o.getAttribute('value') ?? ''));
  // Code run in the page is passed as text: this project's TypeScript has no DOM library.
  const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
  /** Waits until the page has moved focus to what `selector` finds: focus moves in the page's own time. */
  const focusMovesTo = (selector: string) =>
    page.waitForFunction(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`);
  /** The page does not scroll sideways; `ids` name boxes that must not scroll sideways inside either. */
  const sidewaysOverflow = (ids: string[] = []) =>
    inPage<string[]>(`(() => {
      const over = (e) => e && e.scrollWidth > e.clientWidth;
      return [document.documentElement, ...${JSON.stringify(ids)}.map((id) => document.getElementById(id))]
        .filter(over)
        .map((e) => (e.id || e.tagName) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
    })()`);
  /**
   * Where the database names in the list break across lines: for each name, the text of every line but
   * the last. A name broken between its words (after a hyphen) ends each such line with "-".
   */
  const nameLineBreaks = () =>
    inPage<Record<string, string[]>>(`(() => {
      const out = {};
      for (const button of document.querySelectorAll('#list-body tbody th .button-link')) {
        const text = button.firstChild;
        const lines = [];
        let top;
        for (let i = 0; i < text.length; i++) {
          const range = document.createRange();
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          const rect = range.getClientRects()[0];
          if (!rect) continue;
          if (top === undefined || rect.top > top + 2) lines.push('');
          top = rect.top;
          lines[lines.length - 1] += text.data[i];
        }
        out[text.data] = lines.slice(0, -1);
      }
      return out;
    })()`);
  const storage = () =>
    inPage<{ session: [string, string][]; local: [string, string][]; href: string }>(
      '({ session: Object.entries(sessionStorage), local: Object.entries(localStorage), href: location.href })',
    );

  it(
    'serves the page without a token and refuses a wrong token with a message',
    async () => {
      const response = await page.goto(`${server.url}/`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      const token = page.getByLabel('API token');
      await token.fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.locator('#sign-in-message');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('did not accept that token');
      expect(await token.getAttribute('aria-invalid')).toBe('true');
      expect((await storage()).session).toEqual([]);
    },
    STEP,
  );

  it(
    'signs in from the keyboard and keeps the token in sessionStorage only',
    async () => {
      await page.getByLabel('API token').focus();
      await page.keyboard.type(server.token);
      await page.keyboard.press('Enter');
      await control('db_name').waitFor();
      const { session, local, href } = await storage();
      expect(session.map(([, value]) => value)).toEqual([server.token]);
      expect(local).toEqual([]);
      expect(href).not.toContain(server.token);
      expect(await page.locator('#sign-in').isHidden()).toBe(true);
      // A reload keeps the tab's session.
      await page.reload();
      await control('db_name').waitFor();
    },
    STEP,
  );

  it(
    "builds the form from the schema and narrows it to the environment's policy",
    async () => {
      // Controls are named after the request fields, each with a label.
      for (const name of [
        'db_name',
        'environment',
        'engine',
        'deployment',
        'size',
        'engine_version',
        'instances',
        'owner',
      ]) {
        const id = await control(name).getAttribute('id');
        expect(await page.locator(`label[for="${id}"]`).count(), name).toBe(1);
      }
      expect(await optionsOf('environment')).toEqual(['dev', 'staging', 'prod']);
      expect(await control('environment').inputValue()).toBe('dev');
      expect(await optionsOf('size')).toEqual(['small', 'medium']);
      expect(await control('size').inputValue()).toBe('small');
      expect(await control('size').locator('option:checked').textContent()).toBe('small (default)');
      expect(await control('deployment').inputValue()).toBe('aurora-serverless');
      expect(await control('instances').getAttribute('max')).toBe('2');

      await control('environment').selectOption('prod');
      expect(await optionsOf('size')).toEqual(['medium', 'large', 'xlarge']);
      expect(await control('size').inputValue()).toBe('medium');
      expect(await control('deployment').inputValue()).toBe('aurora');
      expect(await control('instances').inputValue()).toBe('2');
      expect(await control('owner').getAttribute('aria-required')).toBe('true');

      await control('engine').selectOption('mariadb');
      expect(await optionsOf('deployment')).toEqual(['instance']);
      expect(await optionsOf('engine_version')).toEqual(['11.4']);
      expect(await control('instances').inputValue()).toBe('1');
      expect(await control('instances').getAttribute('readonly')).not.toBeNull();

      await control('environment').selectOption('dev');
      await control('engine').selectOption('postgres');
      expect(await control('deployment').inputValue()).toBe('aurora-serverless');
      expect(await control('engine_version').inputValue()).toBe('17.5');
      expect(await control('owner').getAttribute('aria-required')).toBeNull();
    },
    STEP,
  );

  it(
    'shows the API’s field error beside db_name and queues nothing',
    async () => {
      await control('db_name').fill('Bad_Name');
      await page.getByRole('button', { name: 'Submit request' }).click();
      const input = page.locator('#request-form [name="db_name"][aria-invalid="true"]');
      await input.waitFor();
      const errorId = await page.locator('[data-field="db_name"] .field-error').getAttribute('id');
      expect((await input.getAttribute('aria-describedby'))?.split(' ')).toContain(errorId);
      const message = await page.locator(`#${errorId}`).textContent();
      expect(message).toContain('must start with a lowercase letter');
      // The summary names the field and links to it; focus is moved there.
      const summary = page.locator('#form-errors');
      expect(await summary.textContent()).toContain('Database name: must start with a lowercase letter');
      expect(await inPage('document.activeElement?.id')).toBe('form-errors');
      // Other fields are not marked.
      expect(await control('engine').getAttribute('aria-invalid')).toBeNull();
      expect(await page.locator('#preview-section').isHidden()).toBe(true);
      expect((await api(server)('GET', '/requests')).json.requests).toEqual([]);
    },
    STEP,
  );

  it(
    'shows every problem of one answer beside its field: the name and the owner prod requires (issue 10, item 11)',
    async () => {
      await control('environment').selectOption('prod');
      // The steps after this one start from dev, whatever happens here.
      onTestFinished(() =>
        control('environment')
          .selectOption('dev')
          .then(() => undefined),
      );
      await control('db_name').fill('Billing_DB');
      await control('owner').fill('');
      await page.getByRole('button', { name: 'Submit request' }).click();
      await page.locator('#request-form [name="owner"][aria-invalid="true"]').waitFor();
      expect(await control('db_name').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('[data-field="db_name"] .field-error').textContent()).toContain(
        'must start with a lowercase letter',
      );
      expect(await page.locator('[data-field="owner"] .field-error').textContent()).toContain(
        'prod requires owner',
      );
      const summary = (await page.locator('#form-errors').textContent()) ?? '';
      expect(summary).toContain('must start with a lowercase letter');
      expect(summary).toContain('prod requires owner');
      expect((await api(server)('GET', '/requests')).json.requests).toEqual([]);
    },
    STEP,
  );

  it(
    'previews the Terraform, submits, and follows the request to pr_open with its pull request link',
    async () => {
      await control('db_name').fill('orders');
      expect(await control('db_name').getAttribute('aria-invalid')).toBe('true'); // until sent again
      await page.getByRole('button', { name: 'Add tag' }).click();
      await page.locator('input[name="tags.key"]').fill('cost-center');
      await page.locator('input[name="tags.value"]').fill('cc-1234');

      await page.getByRole('button', { name: 'Preview Terraform' }).click();
      const code = page.locator('#preview-code');
      await code.filter({ hasText: 'module "orders"' }).waitFor();
      const terraform = (await code.textContent()) ?? '';
      expect(terraform).toContain('source = "../../../modules/rds"'); // from its own root, as the file says
      expect(terraform).toMatch(/engine\s+= "aurora-postgresql"/);
      expect(terraform).toContain('cc-1234');
      expect(await page.locator('#preview-meta').textContent()).toContain(
        'terraform/live/dev/orders/main.tf',
      );
      expect(await control('db_name').getAttribute('aria-invalid')).toBeNull();
      expect((await api(server)('GET', '/requests')).json.requests).toEqual([]); // a dry run queues nothing

      await page.getByRole('button', { name: 'Submit request' }).click();
      const live = page.locator('#status-live');
      await live.waitFor();
      // The status is shown by its name; the worker takes a second or two to open the pull request.
      await live.locator('.status', { hasText: /^pr_open$/ }).waitFor({ timeout: 30_000 });
      expect(await live.getAttribute('aria-live')).toBe('polite');
      expect(await live.textContent()).toContain('orders: status pr_open');
      const link = live.getByRole('link', { name: /Pull request #\d+/ });
      const href = await link.getAttribute('href');
      // The page's own address for it, which a browser can open (the API's /pulls/N answers JSON 401).
      expect(href).toMatch(new RegExp(`^${server.url}/#/pulls/\\d+$`));
      const history = await page.locator('#status-details .history').textContent();
      expect(history).toContain('queued');
      expect(history).toContain('pr_open');

      const [stored] = (await api(server)('GET', '/requests')).json.requests;
      expect(stored).toMatchObject({
        db_name: 'orders',
        status: 'pr_open',
        request: {
          db_name: 'orders',
          engine: 'postgres',
          environment: 'dev',
          tags: { 'cost-center': 'cc-1234' },
        },
      });
      expect(stored.pull_request.url).toBe(href);
    },
    STEP,
  );

  it(
    'lists the request with status, environment, requester, age and link, filterable by status',
    async () => {
      await page.getByLabel('Status', { exact: true }).selectOption('pr_open');
      const row = page.locator('#list-body tbody tr', { hasText: 'orders' });
      await row.waitFor();
      const cells = await row.locator('th, td').allTextContents();
      expect(cells[0]).toContain('orders');
      expect(cells.slice(1, 5)).toEqual(['pr_open', 'dev', expect.any(String), 'just now']);
      expect(cells[3]).not.toBe('');
      expect(await row.getByRole('link').getAttribute('href')).toMatch(/\/#\/pulls\/\d+$/);

      await page.getByLabel('Status', { exact: true }).selectOption('merged');
      await page.locator('#list-body', { hasText: 'No requests with status merged.' }).waitFor();
      await page.getByLabel('Status', { exact: true }).selectOption('');
      await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
    },
    STEP,
  );

  it(
    'shows a conflict for the same database beside db_name, with the request in flight to follow',
    async () => {
      await control('db_name').fill('orders');
      await page.getByRole('button', { name: 'Submit request' }).click();
      await page.locator('#request-form [name="db_name"][aria-invalid="true"]').waitFor();
      const follow = page.getByRole('button', { name: 'Follow that request' });
      await follow.waitFor();
      expect((await api(server)('GET', '/requests')).json.requests).toHaveLength(1);
      await follow.click();
      await page.locator('#status-live .status', { hasText: /^pr_open$/ }).waitFor();
    },
    STEP,
  );

  it(
    'opens a local pull request in a panel from its link, closes it back to the link, and merges it',
    async () => {
      const dialog = page.getByRole('dialog');
      const statusLink = page.locator('#status-live').getByRole('link', { name: /Pull request #\d+/ });
      const href = (await statusLink.getAttribute('href')) ?? '';
      const number = href.slice(href.lastIndexOf('/') + 1);
      ordersPull = number;
      // The link keeps the real URL (progressive enhancement); a click opens the panel instead of the JSON.
      expect(href).toBe(`${server.url}/#/pulls/${number}`);
      expect(await statusLink.getAttribute('target')).toBeNull();

      await statusLink.click();
      await dialog.waitFor();
      expect(await inPage('document.activeElement?.id')).toBe('pull-title');
      expect(page.url()).toBe(`${server.url}/`);
      const title = page.locator('#pull-title');
      await title.filter({ hasText: /Provision postgres database orders/ }).waitFor();
      expect(await title.textContent()).toBe(
        `Pull request #${number} Provision postgres database orders (dev)`,
      );
      expect(await dialog.getAttribute('aria-labelledby')).toBe('pull-title');
      const meta = (await dialog.locator('.meta').textContent()) ?? '';
      expect(meta).toContain(`#${number}`);
      expect(meta).toContain('open');
      const stored = (await api(server)('GET', `/pulls/${number}`)).json;
      expect(await dialog.locator('.pull-branches code').allTextContents()).toEqual([
        stored.branch,
        stored.base,
      ]);
      expect(await dialog.locator('.pull-branches').textContent()).toContain('→');
      // The description is rendered Markdown: its table and code, no Markdown syntax, no hidden marker.
      const description = dialog.locator('#pull-body');
      expect(await description.locator('h4', { hasText: 'Resolved settings' }).count()).toBe(1);
      expect(await description.locator('table tbody tr').count()).toBeGreaterThan(10);
      expect(await description.locator('td', { hasText: /^Owner$/ }).count()).toBe(1);
      expect(await description.locator('li code', { hasText: /^admin$/ }).count()).toBe(1);
      const shown = (await description.textContent()) ?? '';
      for (const syntax of ['| Setting |', '| --- |', '`', '## ', 'rds-provisioner request-id', '<!--'])
        expect(shown).not.toContain(syntax);
      // Merging or closing the pull request is a review, apart from dismissing the panel.
      const review = dialog.getByRole('region', { name: 'Review' });
      expect(await review.getByRole('button').allTextContents()).toEqual([
        `Merge pull request #${number}`,
        `Close pull request #${number}`,
      ]);
      expect(await review.getByRole('button', { name: 'Close panel' }).count()).toBe(0);
      expect(await dialog.locator('.dialog-head').getByRole('button').allTextContents()).toEqual([
        'Close panel',
      ]);
      expect(await sidewaysOverflow(['pull-dialog'])).toEqual([]);
      const diff = dialog.locator('#pull-diff');
      expect(await diff.textContent()).toContain('+module "orders"');
      expect(await diff.locator('.diff-add', { hasText: '+module "orders"' }).count()).toBe(1);

      // Escape closes it and gives focus back to the link that opened it.
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await focusMovesTo('#status-live a.pr-link');

      // The list's link opens it too; the close button gives focus back to that link.
      const row = page.locator('#list-body tbody tr', { hasText: 'orders' });
      await row.getByRole('link').click();
      await dialog.waitFor();
      await title.filter({ hasText: 'orders' }).waitFor();
      await page.getByRole('button', { name: 'Close panel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await focusMovesTo('#list-body a.pr-link');

      await statusLink.click();
      await dialog.waitFor();
      await page.getByRole('button', { name: `Merge pull request #${number}` }).click();
      const message = page.locator('#pull-message');
      await message.filter({ hasText: `Pull request #${number} merged` }).waitFor();
      expect(await message.getAttribute('role')).toBe('status');
      await dialog.locator('.meta .status', { hasText: /^merged$/ }).waitFor();
      expect(await dialog.getByRole('button', { name: /^Merge/ }).count()).toBe(0);
      await focusMovesTo('#pull-message');

      // The followed request and the list follow the merge.
      await page.locator('#status-live .status', { hasText: /^merged$/ }).waitFor();
      await page.locator('#list-body tbody tr[data-status="merged"]', { hasText: 'orders' }).waitFor();
      expect(await row.locator('.status').textContent()).toBe('merged');
      // The merge re-rendered the status, link and all. Closing gives focus to the link's new copy at once,
      // in the same task (not on the dialog's close event a task later, when the browser had put it on
      // the body and anyone, a test or a screen reader, may have looked already).
      expect(
        await inPage<boolean>(
          "(document.getElementById('pull-dismiss').click(), document.activeElement === document.querySelector('#status-live a.pr-link'))",
        ),
      ).toBe(true);
      await dialog.waitFor({ state: 'hidden' });
      expect((await api(server)('GET', `/pulls/${number}`)).json.state).toBe('merged');
    },
    STEP,
  );

  it(
    'shows the API’s refusal in the panel when the pull request changed behind it',
    async () => {
      const accepted = await api(server)('POST', '/provision', {
        db_name: 'ledger',
        engine: 'postgres',
        environment: 'dev',
      });
      expect(accepted.status).toBe(202);
      await page.getByRole('button', { name: 'Refresh' }).click();
      const row = page.locator('#list-body tbody tr[data-status="pr_open"]', { hasText: 'ledger' });
      await row.waitFor({ timeout: 30_000 });
      const link = row.getByRole('link');
      const number = ((await link.getAttribute('href')) ?? '').split('/').pop();
      await link.click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('.meta .status', { hasText: /^open$/ }).waitFor();
      // Closed elsewhere (the CLI, another tab) while the panel still offers Merge.
      expect((await api(server)('POST', `/pulls/${number}/close`)).status).toBe(200);
      await page.getByRole('button', { name: `Merge pull request #${number}` }).click();
      const message = page.locator('#pull-message[role="alert"]');
      await message.waitFor();
      expect(await message.textContent()).toContain('could not be merged');
      expect(await message.textContent()).toContain('closed');
      await dialog.locator('.meta .status', { hasText: /^closed$/ }).waitFor();
      await page.locator('#list-body tbody tr[data-status="closed"]', { hasText: 'ledger' }).waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    },
    STEP,
  );

  it(
    "opens the pull request its address names (the CLI's link) once signed in, and on a change of address",
    async () => {
      expect(ordersPull).not.toBe('');
      const dialog = page.getByRole('dialog');
      const title = page.locator('#pull-title', {
        hasText: `Pull request #${ordersPull} Provision postgres database orders (dev)`,
      });
      // Opened in a new browser tab: the sign-in comes first, then the panel.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.goto(`${server.url}/#/pulls/${ordersPull}`);
      await page.reload();
      await page.getByLabel('API token').fill(server.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await dialog.waitFor();
      await title.waitFor();
      // Closing it leaves the page's own address, so a reload does not open it again.
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => page.url()).toBe(`${server.url}/`);
      await focusMovesTo('#request-title');

      // Signed in, a change of address opens it too.
      await inPage(`location.hash = '#/pulls/${ordersPull}'`);
      await dialog.waitFor();
      await title.waitFor();
      await page.getByRole('button', { name: 'Close panel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => page.url()).toBe(`${server.url}/`);
    },
    STEP,
  );

  it(
    'fits 1280 and 375 px wide screens without scrolling sideways, the preview included, and breaks no name inside a word',
    async () => {
      // Two long names: one of hyphenated words, one a single 40-character word.
      const names = ['customer-analytics-warehouse-eu', 'abcdefghijklmnopqrstuvwxyzabcdefghijklmn'];
      for (const db_name of names) {
        const accepted = await api(server)('POST', '/provision', {
          db_name,
          engine: 'postgres',
          environment: 'dev',
        });
        expect(accepted.status).toBe(202);
      }
      await page.getByRole('button', { name: 'Refresh' }).click();
      for (const name of names) await page.locator('#list-body tbody tr', { hasText: name }).waitFor();
      // A preview with long lines: the header comment names the owner.
      await control('db_name').fill('reporting-replica-eu-west-1-archive');
      await control('owner').fill('team-data-platform @acme/dba https://wiki.example/teams/data-platform');
      await page.getByRole('button', { name: 'Preview Terraform' }).click();
      await page
        .locator('#preview-code', { hasText: 'module "reporting-replica-eu-west-1-archive"' })
        .waitFor();
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 900 });
        // The list's table may scroll inside its own box when a name is longer than the box; the page never.
        expect(await sidewaysOverflow(['request-form', 'preview-scroll']), `${width} px`).toEqual([]);
        const breaks = await nameLineBreaks();
        for (const name of names) expect(Object.keys(breaks)).toContain(name);
        // A name breaks only between its words, after a hyphen; a single word stays whole.
        for (const [name, lines] of Object.entries(breaks))
          for (const line of lines) expect(line, `${name} at ${width} px`).toMatch(/-$/);
      }
      await page.setViewportSize({ width: 1280, height: 1000 });
    },
    STEP,
  );

  it(
    'has text that meets WCAG AA contrast against its background',
    async () => {
      expect(await contrastFailures(page)).toEqual([]);
    },
    STEP,
  );

  it(
    'asks to sign in again, with a message, when the API answers 401',
    async () => {
      await inPage("sessionStorage.setItem('rds-provisioner.token', 'revoked'), true");
      await page.getByRole('button', { name: 'Refresh' }).click();
      const alert = page.locator('#sign-in-message');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Sign in again');
      expect(await page.locator('#workspace').isHidden()).toBe(true);
      expect((await storage()).session).toEqual([]);
      await page.getByLabel('API token').fill(server.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
    },
    STEP,
  );

  it('raised no script errors or policy violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
