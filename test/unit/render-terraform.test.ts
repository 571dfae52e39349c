import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, ENGINES, RESERVED_DB_NAMES, SIZES } from '../../src/domain/request.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { generatedForRequest, renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { formatHcl, listTfFiles, parseHcl, parseTfDir, terraformFmtRewrites } from '../support/hcl.js';

const { policy } = loadPolicyFile();
const MODULE_DIR = fileURLToPath(new URL('../../terraform/modules/rds', import.meta.url));
const LIVE_DIR = fileURLToPath(new URL('../../terraform/live', import.meta.url));

type ModuleCall = Record<string, unknown>;

/** The one module block of a rendered file, by its label. */
async function moduleCall(text: string, label: string): Promise<ModuleCall> {
  const parsed = (await parseHcl('rendered.tf', text)) as { module?: Record<string, ModuleCall[]> };
  expect(Object.keys(parsed)).toEqual(['module']);
  expect(Object.keys(parsed.module ?? {})).toEqual([label]);
  const calls = parsed.module?.[label] ?? [];
  expect(calls).toHaveLength(1);
  return calls[0] as ModuleCall;
}

function specFor(input: object, requestId = '01JD6Z3Q8W4M2N5P7R9T1V3X5Z'): DatabaseSpec {
  const result = resolveRequest(input, policy, { requestId });
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

  it.each(matrix.filter((input) => resolveRequest(input, policy, { requestId: 'r' }).ok))(
    '$engine $deployment $environment $size parses, is fmt clean and calls the module with its declared inputs',
    async (input) => {
      const spec = specFor(input);
      const text = renderTerraform(spec);
      expect(await formatHcl(text)).toBe(text);
      expect(terraformFmtRewrites(text)).toEqual([]);
      const call = await moduleCall(text, spec.dbName);
      expect(call.source).toBe('../modules/rds');
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
        vpc_id: `\${var.networks["${spec.environment}"].vpc_id}`,
      });
      expect('instance_class' in call).toBe(spec.deployment !== 'aurora-serverless');
      expect('serverless_min_capacity' in call).toBe(spec.deployment === 'aurora-serverless');
      expect('allocated_storage' in call).toBe(spec.deployment === 'instance');
    },
  );

  it("never lets a database's file replace one of terraform/live's own files", async () => {
    const liveFiles = (await listTfFiles(LIVE_DIR)).map((f) => basename(f, '.tf'));
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

  it('spells out literal network IDs when the policy gives them', async () => {
    const spec = specFor({ db_name: 'n', engine: 'postgres', environment: 'dev' });
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

  // Reviewers read these: one file per deployment kind, exactly as a pull request would add it.
  it.each([
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
  ])('matches the reviewed example %s', async (name, input) => {
    await expect(renderTerraform(specFor(input))).toMatchFileSnapshot(`../fixtures/rendered/${name}.tf`);
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
