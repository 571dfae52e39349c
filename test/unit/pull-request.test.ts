import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { literal, renderPullRequest, tableRow } from '../../src/render/pull-request.js';
import { requestIdFromBody } from '../../src/render/pull-request-marker.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { writeSingleRootPolicy } from '../support/layouts.js';

const { policy } = loadPolicyFile();

function prFor(input: object, requester = 'alice@example.com') {
  const result = resolveRequest(input, policy, { requestId: 'req-123' });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return renderPullRequest({
    spec: result.value.spec,
    requester,
    policySource: 'config/policy.yaml (default)',
    branch: 'feature/provision-rds-orders',
    base: 'main',
  });
}

/** The settings table as a map of row name to cell text. */
function table(body: string): Map<string, string> {
  const rows = body
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Setting') && !l.startsWith('| ---'));
  return new Map(rows.map((l) => l.slice(2, -2).split(' | ') as [string, string]));
}

describe('pull request text', () => {
  const prod = prFor({
    db_name: 'orders',
    engine: 'postgres',
    environment: 'prod',
    owner: 'team-orders',
    tags: { app: 'orders' },
  });

  it('has a title naming the database, engine and environment', () => {
    expect(prod.title).toBe('Provision postgres database orders (prod)');
  });

  it('names the requester, the request id, the file, the branch and the policy', () => {
    expect(prod.body).toContain('- Requested by: `alice@example.com`');
    expect(prod.body).toContain('- Request id: `req-123`');
    expect(prod.body).toContain(
      '- File: `terraform/live/prod/orders/main.tf` on `feature/provision-rds-orders`, into `main`',
    );
    expect(prod.body).toContain('- Policy: environment `prod` of `config/policy.yaml (default)`');
    expect(prod.body).toContain('<!-- rds-provisioner request-id: req-123 -->');
  });

  it('names the root of its own, its state key and its region, and says CI plans that root alone', () => {
    expect(prod.body).toContain(
      '- Terraform root: `terraform/live/prod/orders`, its own state `rds-provisioner/prod/orders/terraform.tfstate`, region `eu-west-1`',
    );
    expect(prod.body).toContain('1. CI plans this root alone');
  });

  it('in the single root, names the shared root and no state key of its own', () => {
    const single = writeSingleRootPolicy().policy.policy;
    const result = resolveRequest({ db_name: 'orders', engine: 'mysql', environment: 'dev' }, single, {
      requestId: 'req-9',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { body } = renderPullRequest({
      spec: result.value.spec,
      requester: 'a',
      policySource: 'p',
      branch: 'feature/provision-rds-orders',
      base: 'main',
    });
    expect(body).toContain(
      '- File: `terraform/live/orders.tf` on `feature/provision-rds-orders`, into `main`',
    );
    expect(body).toContain('- Terraform root: `terraform/live`, shared by every database');
    expect(table(body).get('Network')).toBe('from `var.networks["dev"]` in `terraform/live`');
    expect(body).not.toContain('its own state');
  });

  it('tabulates the resolved settings', () => {
    const rows = table(prod.body);
    expect(rows.get('Engine')).toBe('`aurora-postgresql` `17.5`');
    expect(rows.get('Deployment')).toBe('Aurora (provisioned)');
    expect(rows.get('Size')).toBe('`medium`: `db.r7g.large`');
    expect(rows.get('Instances')).toBe('2 (writer and 1 reader)');
    expect(rows.get('Deletion protection')).toBe('on');
    expect(rows.get('Backups')).toBe('14 days, window 02:00-03:00 UTC');
    expect(rows.get('Final snapshot')).toBe('taken');
    expect(rows.get('Performance Insights')).toBe('on, 7 days retention');
    expect(rows.get('Owner')).toBe('`team-orders`');
    expect(rows.get('Tags')).toContain('`request-id=req-123`');
  });

  it('says what happens after merge, with the prod approval', () => {
    expect(prod.body).toContain('## What happens next');
    expect(prod.body).toContain('applies the saved plan to `prod` after a manual approval');
    expect(prFor({ db_name: 'orders', engine: 'mysql', environment: 'dev' }).body).not.toContain(
      'manual approval',
    );
  });

  it('describes serverless capacity and single instances in words', () => {
    const dev = table(prFor({ db_name: 'orders', engine: 'mysql', environment: 'dev' }).body);
    expect(dev.get('Size')).toBe('`small`: 0.5-2 ACU');
    expect(dev.get('Final snapshot')).toBe('skipped');
    const single = table(prFor({ db_name: 'orders', engine: 'mariadb', environment: 'staging' }).body);
    expect(single.get('Instances')).toBe('1, single AZ');
    expect(single.get('Size')).toBe('`small`: `db.t4g.medium`, 20-100 GiB gp3');
  });

  it('cannot be broken by a hostile requester name', () => {
    const body = prFor(
      { db_name: 'orders', engine: 'mysql', environment: 'dev' },
      'eve | <img src=x> `x`\n# heading',
    ).body;
    expect(body).toContain('- Requested by: ``eve | <img src=x> `x` # heading``');
    expect(gfm.render(body)).not.toContain('<img');
    expect(gfm.render(body)).not.toContain('<h1');
  });
});

/**
 * GitHub turns text into live Markdown: `@user` and `@org/team` notify, `#12`, `GH-12`, `owner/repo#12` and
 * commit SHAs become references, URLs, `www.` and e-mail addresses become links, and HTML is HTML. None of
 * that happens inside a code span, so every value a requester chose must reach GitHub as one. markdown-it
 * with HTML and linkify on stands in for GitHub's renderer (cmark-gfm): what it leaves outside `<code>`
 * is what GitHub would act on.
 */
describe('pull request text with requester-supplied values', () => {
  const hostile = {
    owner:
      'x @acme/security-team @octocat deadbeefcafe1234 https://evil.example/x www.evil.example ops@evil.example GH-12',
    tags: {
      'cc @acme/security-team': 'see https://evil.example/@octocat',
      'www.evil.example': 'mail admin@evil.example',
      '@octocat': 'a1b2c3d4e5f6a7b8c9d0',
    },
    requester:
      'eve @octocat #12 GH-12 acme/infra#12 <img src=x onerror=alert(1)> <https://evil.example> <b>bold</b> | `tick` ``two`` [link](https://evil.example) www.evil.example eve@evil.example\n# heading <!-- rds-provisioner request-id: forged -->',
  };
  /** What GitHub would act on: every mention, reference, link and tag form, each one a value above. */
  const live = [
    '@acme',
    '@octocat',
    '#12',
    'GH-12',
    'deadbeef',
    'a1b2c3d4',
    'evil.example',
    '<img',
    '<b>',
    'heading',
    'forged',
    '`',
  ];
  const pr = prFor(
    { db_name: 'orders', engine: 'postgres', environment: 'prod', owner: hostile.owner, tags: hostile.tags },
    hostile.requester,
  );
  const html = gfm.render(pr.body);
  const outsideCode = html.replace(/<code>[\s\S]*?<\/code>/g, '<code></code>');
  const codeTexts = [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => unescapeHtml(m[1] ?? ''));

  it('shows each value only inside code, where GitHub makes no mention, reference or link', () => {
    expect(html).not.toContain('<a');
    for (const text of live) expect(outsideCode, text).not.toContain(text);
    // The values are shown as they were sent, whole (a line break becomes a space).
    expect(codeTexts).toContain(hostile.owner);
    expect(codeTexts).toContain(hostile.requester.replace('\n', ' '));
    for (const [key, value] of Object.entries(hostile.tags)) expect(codeTexts).toContain(`${key}=${value}`);
  });

  it('lets no HTML of the input through', () => {
    const tags = new Set([...html.matchAll(/<\/?([a-z][a-z0-9]*)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(
      ['code', 'h2', 'li', 'ol', 'p', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'].sort(),
    );
    // The only comment is the service's own marker, and the webhook reads the real request id.
    expect(html.match(/<!--/g)).toHaveLength(1);
    expect(requestIdFromBody(pr.body)).toBe('req-123');
  });

  it('keeps the settings table whole: two cells in every row', () => {
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1] ?? '');
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) expect(row.match(/<t[hd]>/g), row).toHaveLength(2);
    expect(html).toMatch(/<td>Owner<\/td>\s*<td><code>x @acme\/security-team/);
  });

  it('keeps the title to validated names', () => {
    expect(pr.title).toBe('Provision postgres database orders (prod)');
    expect(pr.title).toMatch(/^Provision (mysql|postgres|mariadb) database [a-z][a-z0-9-]* \([a-z0-9-]+\)$/);
  });

  it('renders the same bytes twice', () => {
    const again = prFor(
      {
        db_name: 'orders',
        engine: 'postgres',
        environment: 'prod',
        owner: hostile.owner,
        tags: hostile.tags,
      },
      hostile.requester,
    );
    expect(again).toEqual(pr);
  });

  it('writes any text as one code span, in prose and in a table cell', () => {
    const cases = ['plain', '`tick`', 'a ``double`` b', '```', ' both ends ', 'pipe | and \\| too', ''];
    for (const text of cases) {
      const shown = text || ' '; // an empty value still shows as a (blank) code span
      const prose = gfm.render(`- ${literal(text)}`);
      expect(prose, text).toBe(`<ul>\n<li><code>${escapeHtml(shown)}</code></li>\n</ul>\n`);
      const cell = gfm.render(`| a | b |\n| --- | --- |\n${tableRow(['x', literal(text)])}`);
      expect(cell, text).toContain(`<td>x</td>\n<td><code>${escapeHtml(shown)}</code></td>`);
    }
  });
});

/** GitHub-flavoured Markdown with HTML and bare links live, as GitHub renders a pull request. */
const gfm = new MarkdownIt({ html: true, linkify: true });

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unescapeHtml = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
