import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { DEPLOYMENTS, ENGINES, RESERVED_DB_NAMES, SIZES } from '../../src/domain/request.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { generatedForRequest, renderTerraform } from '../../src/render/terraform.js';
import { formatHcl, listTfFiles, parseHcl, parseTfDir, terraformFmtRewrites } from '../support/hcl.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';

const POLICIES = {
  'per-database': packagedPolicy.policy,
  'single-root': writeSingleRootPolicy().policy.policy,
} as const satisfies Record<string, Policy>;
type LayoutName = keyof typeof POLICIES;
const policy = POLICIES['per-database'];
const MODULE_DIR = fileURLToPath(new URL('../../terraform/modules/rds', import.meta.url));
/** The single root's own files: copied into terraform/live in that layout, beside the databases' files. */
const SINGLE_ROOT_DIR = fileURLToPath(new URL('../../terraform/layouts/single-root', import.meta.url));

type ModuleCall = Record<string, unknown>;

/** The one module block of a rendered file, by its label. */
async function moduleCall(text: string, label: string): Promise<ModuleCall> {
  const parsed = (await parseHcl('rendered.tf', text)) as { module?: Record<string, ModuleCall[]> };
  expect(Object.keys(parsed.module ?? {})).toEqual([label]);
  const calls = parsed.module?.[label] ?? [];
  expect(calls).toHaveLength(1);
  return calls[0] as ModuleCall;
}

function specFor(
  input: object,
  requestId = '01JD6Z3Q8W4M2N5P7R9T1V3X5Z',
  layout: LayoutName = 'per-database',
): DatabaseSpec {
  const result = resolveRequest(input, POLICIES[layout], { requestId });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
}

/** Every engine x deployment x environment x size; the combinations the policy refuses are counted, not rendered. */
const matrix = ENGINES.flatMap((engine) =>
  DEPLOYMENTS.flatMap((deployment) =>
    Object.keys(policy.environments).flatMap((environment) =>
      SIZES.map((size) => ({
        db_name: `db-${engine}-${size}`,
        engine,
        deployment,
        environment,
        size,
        owner: 'team-data',
      })),
    ),
  ),
);
const allowed = matrix.filter((input) => resolveRequest(input, policy, { requestId: 'r' }).ok);

describe('rendered Terraform', () => {
  let variables: Map<string, { required: boolean }>;

  beforeAll(async () => {
    variables = new Map();
    for (const { hcl } of await parseTfDir(MODULE_DIR)) {
      const declared = (hcl.variable ?? {}) as Record<string, Array<Record<string, unknown>>>;
      for (const [name, [body]] of Object.entries(declared))
        variables.set(name, { required: !body || !('default' in body) });
    }
  });

  it('covers the matrix: each allowed request renders, each refused one is refused', () => {
    const outcomes = matrix.map((input) => resolveRequest(input, policy, { requestId: 'r' }).ok);
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(50);
    // mariadb on Aurora and sizes outside an environment are refused.
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThan(20);
  });

  it.each(
    (['per-database', 'single-root'] as const).flatMap((layout) =>
      allowed.map((input) => ({ layout, ...input })),
    ),
  )(
    '$layout: $engine $deployment $environment $size parses, is fmt clean and calls the module with its declared inputs',
    async ({ layout, ...input }) => {
      const spec = specFor(input, undefined, layout);
      const text = renderTerraform(spec);
      expect(await formatHcl(text)).toBe(text);
      expect(terraformFmtRewrites(text)).toEqual([]);
      const call = await moduleCall(text, spec.dbName);
      expect(call.source).toBe(layout === 'single-root' ? '../modules/rds' : '../../../modules/rds');
      for (const arg of Object.keys(call)) {
        if (arg !== 'source') expect(variables.has(arg), `module has no variable ${arg}`).toBe(true);
      }
      for (const [name, v] of variables) {
        if (v.required) expect(call, `required module input ${name} missing`).toHaveProperty(name);
      }
      expect(call).toMatchObject({
        name: spec.dbName,
        deployment: spec.deployment,
        engine: spec.awsEngine,
        engine_version: spec.engineVersion,
        instances: spec.instances,
        deletion_protection: spec.deletionProtection,
        backup_retention_period: spec.backupRetentionDays,
        skip_final_snapshot: spec.skipFinalSnapshot,
        monitoring_interval: spec.monitoringInterval,
        performance_insights_enabled: spec.performanceInsights,
        tags: spec.tags,
        vpc_id:
          layout === 'single-root'
            ? `\${var.networks["${spec.environment}"].vpc_id}`
            : policy.environments[spec.environment]?.network?.vpc_id,
      });
      expect('instance_class' in call).toBe(spec.deployment !== 'aurora-serverless');
      expect('serverless_min_capacity' in call).toBe(spec.deployment === 'aurora-serverless');
      expect('allocated_storage' in call).toBe(spec.deployment === 'instance');
    },
  );

  it("never lets a database's file replace one of the single root's own files", async () => {
    const liveFiles = (await listTfFiles(SINGLE_ROOT_DIR)).map((f) => basename(f, '.tf'));
    expect(liveFiles.length).toBeGreaterThan(0);
    for (const name of liveFiles) expect(RESERVED_DB_NAMES).toContain(name);
  });

  it('gives the same bytes for the same request, and names the request in the header', () => {
    const input = { db_name: 'my-app-db', engine: 'mysql', environment: 'dev' };
    const first = renderTerraform(specFor(input, 'req-1'));
    expect(
      renderTerraform(specFor({ environment: 'dev', engine: 'mysql', db_name: 'my-app-db' }, 'req-1')),
    ).toBe(first);
    expect(first.split('\n')[0]).toBe('# Generated by rds-provisioner for request req-1.');
    expect(renderTerraform(specFor(input, 'req-2'))).not.toBe(first);
  });

  it('spells out literal network IDs when the policy gives them, in the single root too', async () => {
    const spec = specFor({ db_name: 'n', engine: 'postgres', environment: 'dev' }, undefined, 'single-root');
    const text = renderTerraform({
      ...spec,
      network: {
        kind: 'literal',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
        allowedSecurityGroupIds: ['sg-0123456789abcdef0'],
        allowedCidrBlocks: [],
      },
    });
    expect(await formatHcl(text)).toBe(text);
    expect(await moduleCall(text, 'n')).toMatchObject({
      vpc_id: 'vpc-0123456789abcdef0',
      subnet_ids: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      allowed_security_group_ids: ['sg-0123456789abcdef0'],
      allowed_cidr_blocks: [],
    });
  });

  // Reviewers read these: one file per deployment kind, exactly as a pull request would add it, in each
  // layout. The single root's sit at the top (the README links them); each database's own root under
  // per-database/, one of them with a role to assume.
  const EXAMPLES = [
    ['dev-aurora-serverless-mysql', { db_name: 'my-app-db', engine: 'mysql', environment: 'dev' }],
    [
      'prod-aurora-postgres',
      {
        db_name: 'orders',
        engine: 'postgres',
        environment: 'prod',
        owner: 'team-orders',
        tags: { app: 'orders' },
      },
    ],
    [
      'staging-instance-mariadb',
      { db_name: 'legacy-cms', engine: 'mariadb', environment: 'staging', size: 'medium' },
    ],
  ] as const;

  it.each(EXAMPLES)('matches the reviewed single-root example %s', async (name, input) => {
    await expect(renderTerraform(specFor(input, undefined, 'single-root'))).toMatchFileSnapshot(
      `../fixtures/rendered/${name}.tf`,
    );
  });

  it.each(EXAMPLES)('matches the reviewed per-database example %s', async (name, input) => {
    await expect(renderTerraform(specFor(input))).toMatchFileSnapshot(
      `../fixtures/rendered/per-database/${name}.tf`,
    );
  });

  it('matches the reviewed per-database example prod-aurora-postgres-assume-role', async () => {
    const spec = specFor(EXAMPLES[1][1]);
    const role = 'arn:aws:iam::123456789012:role/rds-provisioner-terraform';
    const account = { region: 'eu-central-1', roleArn: role };
    await expect(renderTerraform({ ...spec, account })).toMatchFileSnapshot(
      '../fixtures/rendered/per-database/prod-aurora-postgres-assume-role.tf',
    );
  });

  it("says in a database's own root where the shared backend settings are and whose account the provider is", () => {
    const spec = specFor({ db_name: 'orders', engine: 'postgres', environment: 'prod', owner: 'team-a' });
    const text = renderTerraform(spec);
    expect(text).toContain(
      [
        "  # The state key is this root's own; bucket, region, encryption and locking are shared by every",
        '  # root and given at init: terraform init -backend-config=../../backend.hcl',
        '  backend "s3" {',
      ].join('\n'),
    );
    expect(text).toContain(
      '\n\n# prod\'s account and region (environments.prod.aws in the policy).\nprovider "aws" {\n',
    );
    // managed-by, then the policy's default_tags (the single root's providers.tf sets the same two, so a
    // migrated root plans no tag change); identifier keys written bare as in a hand-written provider.
    expect(text).toContain(
      [
        '  default_tags {',
        '    tags = {',
        '      managed-by = "rds-provisioner"',
        '      repository = "github.com/REPLACE-ME/rds-provisioner"',
        '    }',
        '  }',
      ].join('\n'),
    );
  });
});

describe('generatedForRequest', () => {
  it('finds the request id in a generated file and nothing in any other', () => {
    const text = renderTerraform(specFor({ db_name: 'a', engine: 'mysql', environment: 'dev' }, 'req-42'));
    expect(generatedForRequest(text)).toBe('req-42');
    expect(generatedForRequest('module "a" {}\n')).toBeNull();
    expect(generatedForRequest('# Generated by rds-provisioner for request .\n')).toBeNull();
    expect(generatedForRequest('')).toBeNull();
  });
});
