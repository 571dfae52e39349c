/**
 * checkov on what the service writes, in each layout: the generated roots written into a copy of the
 * repository's terraform/ tree where the policy puts them (per-database: terraform/live/<env>/<db>/main.tf;
 * single-root: terraform/live/<db>.tf beside the single root's own files), calling the real module.
 * Prod roots must pass every check; staging and dev ones may fail only the checks their policy turns off
 * on purpose (shorter log retention; no deletion protection, monitoring or Performance Insights in dev).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { checkov, describeCheck, type Report } from '../support/checkov.js';
import { ROOT } from '../support/cli.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';

const ROLE = 'arn:aws:iam::123456789012:role/rds-provisioner-terraform';

/** The packaged policy with prod in an account of its own: its roots assume a role there. */
function withProdRole(policy: Policy): Policy {
  const copy = structuredClone(policy);
  const prod = copy.environments.prod;
  if (prod?.aws) prod.aws.role_arn = ROLE;
  return copy;
}

const LAYOUTS: Array<{ layout: string; policy: Policy; ownFiles?: string }> = [
  { layout: 'per-database (prod assumes a role)', policy: withProdRole(packagedPolicy.policy) },
  {
    layout: 'single-root',
    policy: writeSingleRootPolicy().policy.policy,
    ownFiles: 'terraform/layouts/single-root',
  },
];

const REQUESTS = [
  { db_name: 'prod-orders', engine: 'postgres', environment: 'prod', owner: 'team-orders' },
  {
    db_name: 'prod-ledger',
    engine: 'mysql',
    environment: 'prod',
    owner: 'team-ledger',
    deployment: 'aurora-serverless',
  },
  { db_name: 'prod-cms', engine: 'mariadb', environment: 'prod', owner: 'team-web' },
  { db_name: 'staging-api', engine: 'mysql', environment: 'staging' },
  { db_name: 'dev-app', engine: 'mysql', environment: 'dev' },
];

/**
 * Checks that only the policy decides, per environment: prod must pass everything; a cheaper environment
 * may fail exactly what its policy turns down on purpose.
 */
const POLICY_DECIDED: Record<string, Set<string>> = {
  prod: new Set(),
  staging: new Set([
    'CKV_AWS_338', // log retention of at least a year (staging keeps 90 days)
  ]),
  dev: new Set([
    'CKV_AWS_338', // log retention of at least a year (dev keeps 30 days)
    'CKV_AWS_139', // RDS cluster deletion protection
    'CKV_AWS_293', // RDS instance deletion protection
    'CKV_AWS_353', // Performance Insights on instances
    'CKV_AWS_354', // Performance Insights encrypted (only checked when on)
    'CKV_AWS_118', // enhanced monitoring
    'CKV_AWS_133', // backup retention above 1 day
  ]),
};

describe.each(LAYOUTS)('checkov on generated roots: $layout', ({ policy, ownFiles }) => {
  let dir: string;
  let report: Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdsp-checkov-'));
    cpSync(join(ROOT, 'terraform'), join(dir, 'terraform'), { recursive: true });
    // The single root's own files (providers, backend, networks) stand in terraform/live in that layout.
    if (ownFiles) cpSync(join(ROOT, ownFiles), join(dir, 'terraform/live'), { recursive: true });
    for (const request of REQUESTS) {
      const result = resolveRequest(request, policy, { requestId: `req-${request.db_name}` });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      const file = join(dir, result.value.spec.location.file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, renderTerraform(result.value.spec));
    }
    report = await checkov(['-d', 'terraform/live'], dir);
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ofModule = (checks: Report['failed'], name: string) =>
    checks.filter((c) => c.resource.startsWith(`module.${name}.`));

  it('scans every generated database', () => {
    expect(report.parsingErrors).toEqual([]);
    for (const { db_name } of REQUESTS)
      expect(ofModule(report.passed, db_name).length, db_name).toBeGreaterThan(15);
  });

  it.each(REQUESTS)(
    '$db_name ($environment) fails no check but those its policy decides',
    ({ db_name, environment }) => {
      const allowed = POLICY_DECIDED[environment] ?? new Set();
      const unexpected = ofModule(report.failed, db_name).filter((c) => !allowed.has(c.check_id));
      expect(unexpected.map(describeCheck)).toEqual([]);
    },
  );

  it('passes prod without exceptions, and the policy really is what fails dev', () => {
    for (const { db_name } of REQUESTS.filter((r) => r.environment === 'prod')) {
      expect(ofModule(report.failed, db_name).map(describeCheck)).toEqual([]);
    }
    const dev = ofModule(report.failed, 'dev-app').map((c) => c.check_id);
    expect(dev).toContain('CKV_AWS_139');
    expect(dev).toContain('CKV_AWS_338');
  });
});
