#!/usr/bin/env node
// Writes docs/web-page.png: the self-service page in Debian's Chromium (playwright-core), signed in, with
// a request followed to pr_open, its Terraform preview, and a list of a few requests; and
// docs/web-pull-panel.png: a pull request reviewed in the page's panel. Runs the built local
// runtime (dist/, dist/web/: `npm run build && node scripts/build-web.mjs` first) on a temporary data dir.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium-launch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'docs', 'web-page.png');
const panelOutput = join(root, 'docs', 'web-pull-panel.png');
const dataDir = mkdtempSync(join(tmpdir(), 'rdsp-screenshot-'));
const token = 'screenshot-token-0123456789abcdef';
process.env.RDS_PROVISIONER_API_TOKEN = token;
process.env.RDS_PROVISIONER_API_USER ??= 'team-payments';

const { startLocal } = await import(join(root, 'dist', 'runtime', 'local.js'));
const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };
const server = await startLocal({ port: 0, host: '127.0.0.1', dataDir, logger: quiet, announce: () => {} });

const call = async (method, path, body) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
};
const until = async (id, statuses) => {
  for (let i = 0; i < 200; i++) {
    const view = await call('GET', `/requests/${id}`);
    if (statuses.includes(view.status)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} did not reach ${statuses}`);
};

let browser;
try {
  // A little history first: one merged, one waiting for review, one refused by the policy never queued.
  const merged = await call('POST', '/provision', {
    db_name: 'inventory',
    engine: 'mysql',
    environment: 'staging',
    deployment: 'instance',
  });
  const mergedView = await until(merged.request_id, ['pr_open']);
  await call('POST', `/pulls/${mergedView.pull_request.number}/merge`, {});
  await until(merged.request_id, ['merged']);
  const billing = await call('POST', '/provision', {
    db_name: 'billing',
    engine: 'postgres',
    environment: 'prod',
    owner: 'team-payments',
  });
  await until(billing.request_id, ['pr_open']);

  browser = await launchChromium(['--hide-scrollbars']);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30_000);
  await page.goto(`${server.url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const control = (name) => page.locator(`#request-form [name="${name}"]`);
  await control('db_name').waitFor();
  await control('db_name').fill('orders');
  await control('engine').selectOption('postgres');
  await control('size').selectOption('medium');
  await control('owner').fill('team-checkout');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('input[name="tags.key"]').fill('cost-center');
  await page.locator('input[name="tags.value"]').fill('cc-1234');
  await page.getByRole('button', { name: 'Preview Terraform' }).click();
  await page.locator('#preview-code', { hasText: 'module "orders"' }).waitFor();
  await page.getByRole('button', { name: 'Submit request' }).click();
  await page.locator('#status-live .status', { hasText: /^pr_open$/ }).waitFor();
  await page.locator('#list-body tbody tr', { hasText: 'orders' }).waitFor();
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.activeElement instanceof HTMLElement && document.activeElement.blur();
  });
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);

  // The prod request's pull request, opened from the list: its review actions and rendered description.
  await page.locator('#list-body tbody tr', { hasText: 'billing' }).getByRole('link').click();
  await page.locator('#pull-body table').waitFor();
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.screenshot({ path: panelOutput });
  console.log(`wrote ${panelOutput}`);
} finally {
  await browser?.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
