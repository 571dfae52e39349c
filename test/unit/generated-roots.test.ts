/**
 * Every root the service writes is Terraform that would pass `terraform validate`, proven without Terraform
 * (the AWS provider cannot be downloaded here): per layout and per kind of database, the root as it would
 * stand in the repository parses with HashiCorp's parser, is `terraform fmt` clean, uses only arguments the
 * provider schema, the s3 backend and the module have, refers only to what it declares, and calls
 * terraform/modules/rds by a path that resolves from the root.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODULE_DIR } from '../../src/domain/layout.js';
import type { Policy } from '../../src/domain/policy.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { AWS_PROVIDER, renderTerraform, TERRAFORM_REQUIRED_VERSION } from '../../src/render/terraform.js';
import { afterChanges, createdDatabase } from '../support/database-life.js';
import {
  formatHcl,
  lineDiff,
  type ParsedHclFile,
  parseHcl,
  parseTfDir,
  terraformFmtRewrites,
} from '../support/hcl.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';
import {
  checkAgainstSchema,
  checkModuleCalls,
  checkReferences,
  checkS3BackendArguments,
  checkTerraformSettings,
  formatProblems,
  loadProviderSchema,
  requiredProviderVersions,
  versionSatisfies,
} from '../support/provider-schema.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SINGLE_ROOT_LAYOUT = 'terraform/layouts/single-root';
const BACKEND_CONFIG = 'terraform/live/backend.hcl';
const ROLE = 'arn:aws:iam::123456789012:role/rds-provisioner-terraform';
const schema = loadProviderSchema();

/** The packaged policy with a role to assume in every environment (prod in its own account, say). */
function withRole(policy: Policy, roleArn: string): Policy {
  const copy = structuredClone(policy);
  for (const env of Object.values(copy.environments)) if (env.aws) env.aws.role_arn = roleArn;
  return copy;
}

const POLICIES: Array<[string, Policy]> = [
  ['single-root', writeSingleRootPolicy().policy.policy],
  ['per-database', packagedPolicy.policy],
  ['per-database with a role to assume', withRole(packagedPolicy.policy, ROLE)],
];

const REQUESTS = [
  {
    db_name: 'my-app-db',
    engine: 'mysql',
    environment: 'dev',
    deployment: 'aurora-serverless',
  },
  {
    db_name: 'legacy-cms',
    engine: 'mariadb',
    environment: 'staging',
    deployment: 'instance',
    size: 'medium',
  },
  { db_name: 'orders', engine: 'postgres', environment: 'prod', deployment: 'aurora', owner: 'team-orders' },
];

/** Databases after a change: a major version upgrade sets allow_major_version_upgrade, beside apply_immediately. */
const CHANGED = [
  {
    request: {
      db_name: 'orders',
      engine: 'postgres',
      environment: 'prod',
      owner: 'team-orders',
      engine_version: '16.9',
    },
    change: { engine_version: '17.5', allow_major_version_upgrade: true, size: 'large', instances: 3 },
  },
  {
    request: {
      db_name: 'legacy-cms',
      engine: 'mysql',
      environment: 'staging',
      deployment: 'instance',
      engine_version: '8.0',
    },
    change: { engine_version: '8.4', allow_major_version_upgrade: true, size: 'medium' },
  },
];

const CASES = POLICIES.flatMap(([layout, policy]) => [
  ...REQUESTS.map((request) => ({ layout, policy, request, change: undefined, after: '' })),
  ...CHANGED.map(({ request, change }) => ({ layout, policy, request, change, after: ' after a change' })),
]);

function specFor(policy: Policy, request: object, change?: object): DatabaseSpec {
  const created = createdDatabase(request, policy);
  return (change === undefined ? created : afterChanges(created, [change], policy)).spec;
}

/** Parsed files named by their path in the repository, so `baseDir` finds the directory they run in. */
const baseDir = (file: string) => dirname(resolve(ROOT, file));

async function parseAs(file: string, text: string): Promise<ParsedHclFile> {
  return { file, hcl: await parseHcl(file, text) };
}

type Body = Record<string, unknown>;
const only = (value: unknown): Body => {
  expect(Array.isArray(value) && value.length === 1, JSON.stringify(value)).toBe(true);
  return (value as Body[])[0] as Body;
};

describe('every generated root', () => {
  let moduleFiles: ParsedHclFile[];
  let singleRootFiles: Array<{ name: string; text: string }>;

  beforeAll(async () => {
    moduleFiles = await parseTfDir(resolve(ROOT, MODULE_DIR));
    singleRootFiles = (await parseTfDir(resolve(ROOT, SINGLE_ROOT_LAYOUT))).map(({ file }) => ({
      name: basename(file),
      text: readFileSync(resolve(ROOT, file), 'utf8'),
    }));
  });

  /** The root directory's files as they would stand in the repository: the single root's own files too. */
  async function rootFiles(spec: DatabaseSpec, text: string): Promise<ParsedHclFile[]> {
    const generated = await parseAs(spec.location.file, text);
    if (spec.location.stateKey !== null) return [generated];
    const own = singleRootFiles.map(({ name, text }) => parseAs(`${spec.location.root}/${name}`, text));
    return [...(await Promise.all(own)), generated];
  }

  describe.each(CASES)(
    '$layout: $request.environment $request.deployment $request.engine$after',
    ({ policy, request, change }) => {
      const spec = specFor(policy, request, change);
      const text = renderTerraform(spec);
      if (change)
        it('carries the change: allow_major_version_upgrade and apply_immediately for the environment', async () => {
          const call = only(((await parseHcl('main.tf', text)).module as Body)[spec.dbName]);
          expect(call).toMatchObject({
            engine_version: change.engine_version,
            allow_major_version_upgrade: true,
            apply_immediately: policy.environments[spec.environment]?.apply_immediately,
            final_snapshot_identifier: `${spec.dbName}-final-9t1v3x5z`,
          });
        });

      it('parses and is terraform fmt clean', async () => {
        await parseHcl(spec.location.file, text);
        const formatted = await formatHcl(text);
        if (formatted !== text)
          expect.fail(`not fmt clean (- written, + formatted):\n${lineDiff(text, formatted)}`);
        expect(terraformFmtRewrites(text)).toEqual([]);
      });

      it('uses only arguments that exist: provider, terraform settings, s3 backend, module variables', async () => {
        const files = await rootFiles(spec, text);
        const modules = new Map([[resolve(ROOT, MODULE_DIR), moduleFiles]]);
        const problems = [
          ...checkAgainstSchema(files, schema),
          ...checkTerraformSettings(files),
          ...checkModuleCalls(files, modules, baseDir),
        ];
        expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
        for (const constraint of requiredProviderVersions(files, 'aws'))
          expect(versionSatisfies(schema.source.provider_version, constraint), constraint).toBe(true);
      });

      it('refers only to what its root declares, and calls the module by a path that resolves from the root', async () => {
        const files = await rootFiles(spec, text);
        const modules = new Map([[resolve(ROOT, MODULE_DIR), moduleFiles]]);
        const problems = await checkReferences(files, schema, modules, baseDir);
        expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
        const call = only(((await parseHcl('main.tf', text)).module as Body)[spec.dbName]);
        expect(relative(ROOT, resolve(ROOT, spec.location.root, call.source as string))).toBe(MODULE_DIR);
      });

      if (spec.location.stateKey === null) {
        it('holds only the module call: the single root keeps terraform, provider and backend in its own files', async () => {
          expect(Object.keys(await parseHcl('x.tf', text))).toEqual(['module']);
          expect(text).toContain(`var.networks["${spec.environment}"]`);
        });
        return;
      }

      it('is a root of its own: versions, its state key, its provider, then the module; no variables', async () => {
        const hcl = await parseHcl('main.tf', text);
        expect(Object.keys(hcl).sort()).toEqual(['module', 'provider', 'terraform']);
        expect(text.indexOf('\nterraform {')).toBeLessThan(text.indexOf('\nprovider "aws" {'));
        expect(text.indexOf('\nprovider "aws" {')).toBeLessThan(text.indexOf(`\nmodule "${spec.dbName}" {`));
        expect(text).not.toMatch(/\bvar\./);

        const terraform = only(hcl.terraform);
        expect(terraform.required_version).toBe(TERRAFORM_REQUIRED_VERSION);
        expect(only(terraform.required_providers)).toEqual({ aws: { ...AWS_PROVIDER } });
        // Only the key is the root's own; bucket, region and locking come from the shared backend file.
        expect(only((terraform.backend as Body).s3)).toEqual({ key: spec.location.stateKey });
        expect(spec.location.backendConfig).toBe(
          relative(resolve(ROOT, spec.location.root), resolve(ROOT, BACKEND_CONFIG)),
        );
        expect(text).toContain(`terraform init -backend-config=${spec.location.backendConfig}`);

        const provider = only((hcl.provider as Body).aws);
        const env = policy.environments[spec.environment];
        expect(provider.region).toBe(env?.aws?.region);
        if (env?.aws?.role_arn)
          expect(only(provider.assume_role)).toEqual({
            role_arn: env.aws.role_arn,
            session_name: `rds-provisioner-${spec.dbName}`,
          });
        else expect(provider).not.toHaveProperty('assume_role');
        expect(only(provider.default_tags)).toEqual({
          tags: { 'managed-by': 'rds-provisioner', ...policy.default_tags },
        });

        const call = only((hcl.module as Body)[spec.dbName]);
        expect(call).toMatchObject({
          vpc_id: env?.network?.vpc_id,
          subnet_ids: env?.network?.subnet_ids,
          allowed_security_group_ids: env?.network?.allowed_security_group_ids,
        });
      });

      it('with the shared backend file, gives the s3 backend everything it needs', async () => {
        const shared = await parseAs(BACKEND_CONFIG, readFileSync(resolve(ROOT, BACKEND_CONFIG), 'utf8'));
        const own = only((only((await parseHcl('main.tf', text)).terraform).backend as Body).s3);
        const combined = { ...shared.hcl, ...own };
        expect(checkS3BackendArguments(combined, BACKEND_CONFIG)).toEqual([]);
        expect(combined).toMatchObject({ encrypt: true, use_lockfile: true, key: spec.location.stateKey });
        expect(Object.keys(combined)).toEqual(expect.arrayContaining(['bucket', 'region']));
      });
    },
  );
});

describe('the versions generated roots require', () => {
  const requiredIn = async (file: string) => {
    const hcl = await parseHcl(file, readFileSync(resolve(ROOT, file), 'utf8'));
    const terraform = only(hcl.terraform);
    return {
      terraform: terraform.required_version as string,
      aws: (only(terraform.required_providers) as Record<string, unknown>).aws,
    };
  };

  it("are the single root's, and admit the module's", async () => {
    const single = await requiredIn(`${SINGLE_ROOT_LAYOUT}/providers.tf`);
    const module = await requiredIn(`${MODULE_DIR}/versions.tf`);
    expect(TERRAFORM_REQUIRED_VERSION).toBe(single.terraform);
    expect(AWS_PROVIDER).toEqual(single.aws);
    expect(AWS_PROVIDER).toEqual(module.aws);
    // The lowest Terraform a root admits must meet the module's own constraint.
    const lowest = /^>=\s*([0-9.]+)$/.exec(TERRAFORM_REQUIRED_VERSION)?.[1];
    expect(lowest, TERRAFORM_REQUIRED_VERSION).toBeDefined();
    expect(versionSatisfies(lowest as string, module.terraform), module.terraform).toBe(true);
  });
});

describe('checkTerraformSettings and checkS3BackendArguments', () => {
  it('report a misspelt setting, provider field or backend argument, and a deprecated one', async () => {
    const file = await parseAs(
      'bad.tf',
      [
        'terraform {',
        '  required_versions = ">= 1.10"',
        '  required_providers {',
        '    aws = { source = "hashicorp/aws", versions = "~> 6.0" }',
        '  }',
        '  backend "s3" {',
        '    keys           = "a"',
        '    dynamodb_table = "locks"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const problems = checkTerraformSettings([file]);
    expect(problems.map((p) => p.path).sort()).toEqual([
      'dynamodb_table',
      'keys',
      'required_providers.aws.versions',
      'required_versions',
    ]);
    expect(formatProblems(problems)).toContain('did you mean "key"?');
    expect(formatProblems(problems)).toContain('use use_lockfile');
  });
});
