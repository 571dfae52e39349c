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
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { checkov, describeCheck, type Report } from '../support/checkov.js';
import { ROOT } from '../support/cli.js';
import { afterChanges, createdDatabase } from '../support/database-life.js';
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

/**
 * A copy of the repository's terraform/ tree with each database's root written where the policy puts
 * it, calling the real module; checkov's report on terraform/live. The caller removes `dir`.
 */
async function scanRoots(specs: DatabaseSpec[], ownFiles?: string): Promise<{ dir: string; report: Report }> {
  const dir = mkdtempSync(join(tmpdir(), 'rdsp-checkov-'));
  cpSync(join(ROOT, 'terraform'), join(dir, 'terraform'), { recursive: true });
  // The single root's own files (providers, backend, networks) stand in terraform/live in that layout.
  if (ownFiles) cpSync(join(ROOT, ownFiles), join(dir, 'terraform/live'), { recursive: true });
  for (const spec of specs) {
    const file = join(dir, spec.location.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderTerraform(spec));
  }
  return { dir, report: await checkov(['-d', 'terraform/live'], dir) };
}

const ofModule = (checks: Report['failed'], name: string) =>
  checks.filter((c) => c.resource.startsWith(`module.${name}.`));

describe.each(LAYOUTS)('checkov on generated roots: $layout', ({ policy, ownFiles }) => {
  let dir: string;
  let report: Report;

  beforeAll(async () => {
    ({ dir, report } = await scanRoots(
      REQUESTS.map((request) => createdDatabase(request, policy).spec),
      ownFiles,
    ));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

/**
 * Prod roots stay clean after their life goes on: each database is created, then changed one request
 * after another as the service does (a bigger size, more instances, a minor version, then a major
 * upgrade with allow_major_version_upgrade), and checkov scans the module as the changed roots call it.
 */
describe('checkov on prod roots after changes', () => {
  // A minor version below the packaged policy's, so one database goes minor then major.
  const policy = withProdRole(packagedPolicy.policy);
  const aurora = policy.engines.postgres.aurora;
  if (aurora) aurora.allowed = [...aurora.allowed, '16.6'];

  const LIVES: Array<{ request: object; changes: object[] }> = [
    {
      request: {
        db_name: 'prod-orders',
        engine: 'postgres',
        environment: 'prod',
        owner: 'team-orders',
        engine_version: '16.6',
      },
      changes: [
        { size: 'large' },
        { instances: 3 },
        { engine_version: '16.9' },
        { engine_version: '17.5', allow_major_version_upgrade: true },
      ],
    },
    {
      request: {
        db_name: 'prod-cms',
        engine: 'mysql',
        environment: 'prod',
        deployment: 'instance',
        owner: 'team-web',
        engine_version: '8.0',
      },
      changes: [{ size: 'large' }, { engine_version: '8.4', allow_major_version_upgrade: true }],
    },
    {
      request: {
        db_name: 'prod-ledger',
        engine: 'mysql',
        environment: 'prod',
        deployment: 'aurora-serverless',
        owner: 'team-ledger',
        engine_version: '8.0.mysql_aurora.3.04.4',
      },
      changes: [{ size: 'xlarge', instances: 3 }, { engine_version: '8.0.mysql_aurora.3.08.2' }],
    },
  ];

  /** Each database after every one of its changes, each change applied by its own request. */
  const changed = LIVES.map(
    ({ request, changes }) => afterChanges(createdDatabase(request, policy), changes, policy).spec,
  );
  let dir: string;
  let report: Report;

  beforeAll(async () => {
    ({ dir, report } = await scanRoots(changed));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the changes: bigger, more instances, the new versions, major upgrades allowed, changes held for the maintenance window', () => {
    const [orders, cms, ledger] = changed.map((spec) => renderTerraform(spec));
    expect(orders).toMatch(
      / engine_version += "17\.5"\n {2}instance_class += "db\.r7g\.xlarge"\n {2}instances += 3\n/,
    );
    expect(cms).toMatch(/ engine_version += "8\.4"\n/);
    for (const text of [orders, cms])
      expect(text).toMatch(/\n {2}apply_immediately += false\n {2}allow_major_version_upgrade += true\n/);
    expect(ledger).toMatch(/ engine_version += "8\.0\.mysql_aurora\.3\.08\.2"\n {2}instances += 3\n/);
    expect(ledger).not.toContain('allow_major_version_upgrade');
    for (const text of [orders, cms, ledger]) expect(text).toMatch(/\n {2}apply_immediately += false\n/);
  });

  it.each(LIVES.map(({ request }) => (request as { db_name: string }).db_name))(
    '%s passes every check after its changes',
    (name) => {
      expect(report.parsingErrors).toEqual([]);
      expect(ofModule(report.passed, name).length, name).toBeGreaterThan(15);
      expect(ofModule(report.failed, name).map(describeCheck)).toEqual([]);
    },
  );
});
