import { describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { mdText, renderPullRequest } from '../../src/render/pull-request.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const { policy } = loadPolicyFile();

function prFor(input: object, requester = 'alice@example.com') {
  const result = resolveRequest(input, policy, { requestId: 'req-123' });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return renderPullRequest({
    spec: result.value.spec,
    requester,
    policySource: 'config/policy.yaml (default)',
    filePath: 'terraform/live/orders.tf',
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
    expect(prod.body).toContain('- Requested by: alice@example.com');
    expect(prod.body).toContain('- Request id: `req-123`');
    expect(prod.body).toContain(
      '- File: `terraform/live/orders.tf` on `feature/provision-rds-orders`, into `main`',
    );
    expect(prod.body).toContain('- Policy: environment `prod` of `config/policy.yaml (default)`');
    expect(prod.body).toContain('<!-- rds-provisioner request-id: req-123 -->');
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
    expect(rows.get('Owner')).toBe('team-orders');
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
    expect(body).toContain('- Requested by: eve \\| &lt;img src=x&gt; \\`x\\` \\# heading');
    expect(body).not.toContain('<img');
    expect(mdText('a_b*c')).toBe('a\\_b\\*c');
  });
});
