/**
 * checkov on what the service writes: generated files in a copy of terraform/live, calling the real
 * module. Staging and prod files must pass every check; a dev file may fail only the checks its policy
 * turns off on purpose (no deletion protection, monitoring or Performance Insights in dev).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filePath } from '../../src/domain/naming.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { checkov, describeCheck, type Report } from '../support/checkov.js';
import { ROOT } from '../support/cli.js';

const { policy } = loadPolicyFile();

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

describe('checkov on generated files', () => {
  let dir: string;
  let report: Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdsp-checkov-'));
    cpSync(join(ROOT, 'terraform'), join(dir, 'terraform'), { recursive: true });
    for (const request of REQUESTS) {
      const result = resolveRequest(request, policy, { requestId: `req-${request.db_name}` });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      writeFileSync(join(dir, filePath(request.db_name)), renderTerraform(result.value.spec));
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
