import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/domain/policy.js';
import { resolve, resolveRequest } from '../../src/domain/resolve.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const { policy } = loadPolicyFile();
const ctx = { requestId: '01JD6Z3Q8W4M2N5P7R9T1V3X5Z' };

const ok = (input: unknown) => {
  const result = resolveRequest(input, policy, ctx);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
};
const violations = (input: unknown) => {
  const result = resolveRequest(input, policy, ctx);
  if (result.ok) throw new Error('expected violations');
  return result.issues;
};

describe('resolve', () => {
  it('fills every setting for the original payload from the dev policy', () => {
    expect(ok({ db_name: 'my-app-db', engine: 'mysql', environment: 'dev' })).toEqual({
      requestId: ctx.requestId,
      environment: 'dev',
      dbName: 'my-app-db',
      databaseName: 'my_app_db',
      engine: 'mysql',
      deployment: 'aurora-serverless',
      size: 'small',
      awsEngine: 'aurora-mysql',
      engineVersion: '8.0.mysql_aurora.3.08.2',
      allowMajorVersionUpgrade: false,
      applyImmediately: true,
      instanceClass: null,
      instances: 1,
      serverless: { minCapacity: 0.5, maxCapacity: 2 },
      storage: null,
      multiAz: null,
      owner: 'unassigned',
      deletionProtection: false,
      backupRetentionDays: 1,
      skipFinalSnapshot: true,
      finalSnapshotIdentifier: 'my-app-db-final-9t1v3x5z',
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:04:00-sun:05:00',
      monitoringInterval: 0,
      performanceInsights: false,
      performanceInsightsRetentionDays: null,
      logRetentionDays: 30,
      iamDatabaseAuthentication: true,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      engineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      network: {
        kind: 'literal',
        vpcId: 'vpc-00000000000000001',
        subnetIds: ['subnet-00000000000000011', 'subnet-00000000000000012'],
        allowedSecurityGroupIds: ['sg-00000000000000011'],
        allowedCidrBlocks: [],
      },
      account: { region: 'eu-west-1', roleArn: null },
      defaultTags: { 'managed-by': 'rds-provisioner', repository: 'github.com/REPLACE-ME/rds-provisioner' },
      location: {
        environment: 'dev',
        dbName: 'my-app-db',
        root: 'terraform/live/dev/my-app-db',
        file: 'terraform/live/dev/my-app-db/main.tf',
        moduleSource: '../../../modules/rds',
        stateKey: 'rds-provisioner/dev/my-app-db/terraform.tfstate',
        backendConfig: '../../backend.hcl',
      },
      tags: {
        environment: 'dev',
        'managed-by': 'rds-provisioner',
        owner: 'unassigned',
        'request-id': ctx.requestId,
      },
    });
  });

  it('applies prod defaults: provisioned Aurora, two instances, protections on', () => {
    const spec = ok({
      db_name: 'orders',
      engine: 'postgres',
      environment: 'prod',
      owner: 'team-orders',
      tags: { app: 'orders' },
    });
    expect(spec).toMatchObject({
      deployment: 'aurora',
      awsEngine: 'aurora-postgresql',
      engineVersion: '17.5',
      instanceClass: 'db.r7g.large',
      instances: 2,
      deletionProtection: true,
      backupRetentionDays: 14,
      skipFinalSnapshot: false,
      monitoringInterval: 60,
      performanceInsights: true,
      performanceInsightsRetentionDays: 7,
      owner: 'team-orders',
    });
    expect(Object.keys(spec.tags)).toEqual(['app', 'environment', 'managed-by', 'owner', 'request-id']);
  });

  it('gives MariaDB an instance deployment with storage and Multi-AZ from the policy', () => {
    const spec = ok({ db_name: 'legacy', engine: 'mariadb', environment: 'prod', owner: 'dba' });
    expect(spec).toMatchObject({
      deployment: 'instance',
      awsEngine: 'mariadb',
      engineVersion: '11.4',
      instances: 1,
      multiAz: true,
      serverless: null,
      storage: { allocatedGb: 100, maxAllocatedGb: 500, type: 'gp3' },
    });
  });

  it.each<[string, object, { path: string; message: string }]>([
    [
      'owner in prod',
      { db_name: 'a', engine: 'mysql', environment: 'prod' },
      { path: 'owner', message: 'prod requires owner' },
    ],
    [
      'size outside the environment',
      { db_name: 'a', engine: 'mysql', environment: 'dev', size: 'xlarge' },
      { path: 'size', message: 'size xlarge is not allowed in dev; allowed: small, medium' },
    ],
    [
      'mariadb on aurora',
      { db_name: 'a', engine: 'mariadb', environment: 'dev', deployment: 'aurora' },
      { path: 'deployment', message: 'mariadb runs only as deployment instance' },
    ],
    [
      'unknown environment',
      { db_name: 'a', engine: 'mysql', environment: 'qa' },
      { path: 'environment', message: 'environment qa is not configured; choose one of: dev, staging, prod' },
    ],
    [
      'too few instances in prod',
      { db_name: 'a', engine: 'mysql', environment: 'prod', owner: 'o', instances: 1 },
      { path: 'instances', message: 'prod requires at least 2 instances' },
    ],
    [
      'too many instances in dev',
      { db_name: 'a', engine: 'mysql', environment: 'dev', instances: 3 },
      { path: 'instances', message: 'dev allows at most 2 instances' },
    ],
    [
      'readers on a single instance',
      { db_name: 'a', engine: 'postgres', environment: 'dev', deployment: 'instance', instances: 2 },
      {
        path: 'instances',
        message:
          'deployment instance runs a single database instance; choose aurora or aurora-serverless for readers',
      },
    ],
    [
      'a version the policy does not allow',
      { db_name: 'a', engine: 'postgres', environment: 'dev', engine_version: '13.4' },
      {
        path: 'engine_version',
        message:
          'engine_version 13.4 is not allowed for postgres on aurora-serverless in dev; allowed: 17.5, 16.9',
      },
    ],
    [
      'an instance version on Aurora',
      { db_name: 'a', engine: 'postgres', environment: 'dev', engine_version: '17' },
      {
        path: 'engine_version',
        message:
          'engine_version 17 is not allowed for postgres on aurora-serverless in dev; allowed: 17.5, 16.9',
      },
    ],
  ])('%s', (_label, input, issue) => {
    expect(violations(input)).toContainEqual(issue);
  });

  it('reports every violation at once, not the first', () => {
    const paths = violations({
      db_name: 'a',
      engine: 'mysql',
      environment: 'prod',
      size: 'small',
      instances: 1,
    }).map((i) => i.path);
    expect(paths.sort()).toEqual(['instances', 'owner', 'size']);
  });

  it('reports schema and policy problems together and never resolves an invalid request', () => {
    expect(violations({ db_name: 'A', engine: 'mysql', environment: 'prod' })).toEqual([
      { path: 'db_name', message: 'may contain only lowercase letters, digits and hyphens' },
      { path: 'db_name', message: 'must start with a lowercase letter' },
      { path: 'owner', message: 'prod requires owner' },
    ]);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    "looks environment %j up as the policy's own key, not on the object prototype",
    (environment) => {
      expect(resolve({ db_name: 'a', engine: 'mysql', environment }, policy, ctx)).toEqual({
        ok: false,
        issues: [
          {
            path: 'environment',
            message: `environment ${environment} is not configured; choose one of: dev, staging, prod`,
          },
        ],
      });
    },
  );

  it('keeps odd but allowed tag keys in the generated tags exactly as sent', () => {
    const tags = JSON.parse('{"constructor":"a","toString":"b","hasOwnProperty":"c","valueOf":"d"}');
    expect(ok({ db_name: 'a', engine: 'mysql', environment: 'dev', tags }).tags).toStrictEqual({
      constructor: 'a',
      environment: 'dev',
      hasOwnProperty: 'c',
      'managed-by': 'rds-provisioner',
      owner: 'unassigned',
      'request-id': ctx.requestId,
      toString: 'b',
      valueOf: 'd',
    });
  });

  it('honours an environment added by the platform team, with narrowed versions, literal network and its own account', () => {
    const text = `${JSON.stringify({
      version: 1,
      git: { layout: 'per-database' },
      engines: policy.engines,
      sizes: policy.sizes,
      environments: {
        sandbox: {
          ...policy.environments.dev,
          aws: { region: 'us-east-2', role_arn: 'arn:aws:iam::123456789012:role/sandbox-terraform' },
          engines: ['postgres'],
          deployments: { default: 'instance', allowed: ['instance'] },
          engine_versions: { postgres: { instance: { default: '16', allowed: ['16'] } } },
          network: {
            vpc_id: 'vpc-0123456789abcdef0',
            subnet_ids: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
            allowed_cidr_blocks: ['10.20.0.0/16'],
          },
        },
      },
    })}`;
    const loaded = parsePolicy(text, 'custom.json');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const custom = loaded.value.policy;
    const spec = resolve({ db_name: 'x', engine: 'postgres', environment: 'sandbox' }, custom, ctx);
    expect(spec.ok && spec.value).toMatchObject({
      deployment: 'instance',
      engineVersion: '16',
      network: {
        kind: 'literal',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
        allowedSecurityGroupIds: [],
        allowedCidrBlocks: ['10.20.0.0/16'],
      },
      account: { region: 'us-east-2', roleArn: 'arn:aws:iam::123456789012:role/sandbox-terraform' },
      location: { root: 'terraform/live/sandbox/x', stateKey: 'rds-provisioner/sandbox/x/terraform.tfstate' },
    });
    const refused = resolve(
      { db_name: 'x', engine: 'mysql', environment: 'sandbox', engine_version: '17' },
      custom,
      ctx,
    );
    expect(refused.ok ? [] : refused.issues.map((i) => i.path)).toEqual(['engine', 'engine_version']);
  });

  it("keeps the original system's single root: no account, one file in terraform/live, the networks variable", () => {
    const { aws: _dev, network: _devNet, ...dev } = policy.environments.dev ?? {};
    const text = JSON.stringify({
      version: 1,
      engines: policy.engines,
      sizes: policy.sizes,
      environments: { dev },
    });
    const loaded = parsePolicy(text, 'single-root.json');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const spec = resolve(
      { db_name: 'orders', engine: 'mysql', environment: 'dev' },
      loaded.value.policy,
      ctx,
    );
    expect(spec.ok && spec.value).toMatchObject({
      network: { kind: 'live-variable', environment: 'dev' },
      account: null,
      location: {
        root: 'terraform/live',
        file: 'terraform/live/orders.tf',
        moduleSource: '../modules/rds',
        stateKey: null,
        backendConfig: null,
      },
    });
  });

  it('refuses a request id that could break the file or the tags', () => {
    expect(() =>
      resolve({ db_name: 'a', engine: 'mysql', environment: 'dev' }, policy, { requestId: 'x\n}' }),
    ).toThrow(/request id/);
  });
});
