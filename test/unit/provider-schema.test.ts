/**
 * The Terraform in the repository uses the hashicorp/aws provider as its schema allows: every resource,
 * data source and provider block in the module, each example and the single root's files is checked against the schema
 * fixture (test/fixtures/aws-provider-schema.json, from `npm run schema:extract`). The second half proves
 * the checker can fail.
 */
import { readdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listTfFiles, type ParsedHclFile, parseHcl, parseTfDir, parseTfFile } from '../support/hcl.js';
import {
  checkAgainstSchema,
  checkModuleCalls,
  checkReferences,
  checkS3BackendArguments,
  formatProblems,
  loadProviderSchema,
  localModuleDirs,
  type ProblemCode,
  requiredProviderVersions,
  type SchemaProblem,
  versionSatisfies,
} from '../support/provider-schema.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const moduleDir = 'terraform/modules/rds';
const singleRootDir = 'terraform/layouts/single-root';
const backendConfig = 'terraform/live/backend.hcl';
const schema = loadProviderSchema();

/** Every directory under terraform/ that holds .tf files: a Terraform module or root of its own. */
const tfDirs = [
  ...new Set((await listTfFiles(resolve(root, 'terraform'))).map((f) => relative(root, dirname(f)))),
].sort();

async function parseDir(dir: string): Promise<ParsedHclFile[]> {
  return (await parseTfDir(resolve(root, dir))).map((p) => ({ ...p, file: relative(root, resolve(p.file)) }));
}
const baseDir = (file: string) => dirname(resolve(root, file));

/** A directory's files, and the files of the local modules they call (by absolute directory). */
async function parseWithModules(dir: string) {
  const files = await parseDir(dir);
  const modules = new Map<string, ParsedHclFile[]>();
  for (const moduleAbs of localModuleDirs(files, baseDir)) {
    modules.set(moduleAbs, await parseTfDir(moduleAbs).catch(() => []));
  }
  return { files, modules };
}

describe('the schema fixture', () => {
  it('is hashicorp/aws 6.25.0 from @cdktf/provider-aws 21.22.1', () => {
    expect(schema.source).toEqual({
      package: '@cdktf/provider-aws',
      package_version: '21.22.1',
      provider: 'registry.terraform.io/hashicorp/aws',
      provider_version: '6.25.0',
    });
  });

  it('holds the types the module is expected to use, with the arguments Terraform documents', () => {
    for (const type of [
      'aws_rds_cluster',
      'aws_rds_cluster_instance',
      'aws_db_instance',
      'aws_db_subnet_group',
      'aws_db_parameter_group',
      'aws_rds_cluster_parameter_group',
      'aws_security_group',
      'aws_vpc_security_group_ingress_rule',
      'aws_vpc_security_group_egress_rule',
      'aws_kms_key',
      'aws_kms_alias',
      'aws_cloudwatch_log_group',
      'aws_iam_role',
      'aws_iam_role_policy_attachment',
    ]) {
      expect(schema.resource_schemas[type], type).toBeDefined();
    }
    for (const type of [
      'aws_iam_policy_document',
      'aws_subnet',
      'aws_caller_identity',
      'aws_partition',
      'aws_region',
    ]) {
      expect(schema.data_source_schemas[type], type).toBeDefined();
    }
    const cluster = schema.resource_schemas.aws_rds_cluster?.block;
    expect(cluster?.attributes.engine).toEqual({ type: 'string', required: true });
    expect(cluster?.attributes.arn).toEqual({ computed: true });
    expect(cluster?.attributes.master_user_secret).toEqual({ computed: true });
    expect(cluster?.block_types.serverlessv2_scaling_configuration).toMatchObject({
      nesting_mode: 'list',
      max_items: 1,
    });
    expect(cluster?.block_types.serverlessv2_scaling_configuration?.block.attributes.max_capacity).toEqual({
      type: 'number',
      required: true,
    });
    const instance = schema.resource_schemas.aws_rds_cluster_instance?.block;
    expect(instance?.attributes.instance_class?.required).toBe(true);
    expect(instance?.attributes.cluster_identifier?.required).toBe(true);
    expect(schema.resource_schemas.aws_vpc_security_group_ingress_rule?.block.attributes.id).toEqual({
      computed: true,
    });
    expect(schema.resource_schemas.aws_security_group?.block.attributes.ingress?.type).toBe('set(object)');
    const statement = schema.data_source_schemas.aws_iam_policy_document?.block.block_types.statement;
    expect(statement?.block.block_types.principals?.block.attributes.type).toEqual({
      type: 'string',
      required: true,
    });
    expect(schema.provider.aws?.block.attributes.region).toEqual({ type: 'string', optional: true });
    expect(schema.provider.aws?.block.block_types.default_tags).toBeDefined();
  });
});

describe('the Terraform in the repository', () => {
  it('has the module, and every directory with .tf files is checked', () => {
    expect(tfDirs).toContain(moduleDir);
    expect(tfDirs.length).toBeGreaterThan(0);
  });

  it('has .tf files in the single root and every example directory, none in terraform/live', async () => {
    // terraform/live holds only what the service writes (each database's root, checked in
    // generated-roots.test.ts) and the shared backend settings.
    expect(tfDirs).toContain(singleRootDir);
    expect(tfDirs.filter((d) => d === 'terraform/live' || d.startsWith('terraform/live/'))).toEqual([]);
    const examplesDir = resolve(root, moduleDir, 'examples');
    const examples = (await readdir(examplesDir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory())
      .map((e) => `${moduleDir}/examples/${e.name}`);
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.filter((e) => !tfDirs.includes(e))).toEqual([]);
  });

  for (const dir of tfDirs) {
    describe(dir, () => {
      it('matches the aws provider schema', async () => {
        const files = await parseDir(dir);
        const problems = checkAgainstSchema(files, schema);
        expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
      });

      it('calls local modules with their variables', async () => {
        const { files, modules } = await parseWithModules(dir);
        const problems = checkModuleCalls(files, modules, baseDir);
        expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
      });

      it('refers only to declared variables, locals, resources, attributes and module outputs', async () => {
        const { files, modules } = await parseWithModules(dir);
        const problems = await checkReferences(files, schema, modules, baseDir);
        expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
      });

      it(`requires an aws provider version that admits the schema's ${schema.source.provider_version}`, async () => {
        const files = await parseDir(dir);
        for (const constraint of requiredProviderVersions(files, 'aws')) {
          expect(versionSatisfies(schema.source.provider_version, constraint), constraint).toBe(true);
        }
      });
    });
  }
});

describe(backendConfig, () => {
  it("sets only s3 backend arguments, and no key: each root's main.tf names its own", async () => {
    const { hcl } = await parseTfFile(resolve(root, backendConfig), backendConfig);
    const problems = checkS3BackendArguments(hcl, backendConfig);
    expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
    expect(hcl).not.toHaveProperty('key');
    expect(hcl).toMatchObject({ encrypt: true, use_lockfile: true });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The checker itself

async function check(text: string): Promise<SchemaProblem[]> {
  return checkAgainstSchema(await parseHcl('snippet.tf', text), schema, { file: 'snippet.tf' });
}
const summary = (problems: SchemaProblem[]) =>
  problems.map((p) => ({ code: p.code, block: p.block, type: p.type, name: p.name, path: p.path }));
const codes = (problems: SchemaProblem[]): ProblemCode[] => problems.map((p) => p.code);

const validCluster = `
resource "aws_rds_cluster" "this" {
  engine         = "aurora-postgresql"
  engine_version = "17.5"
  tags           = { Name = "x" }
}
`;

describe('checkAgainstSchema', () => {
  it('accepts a valid resource', async () => {
    expect(await check(validCluster)).toEqual([]);
  });

  it('reports an unknown argument, with a suggestion', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine          = "aurora-postgresql"
  engine_versions = "17.5"
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'unknown-argument',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'engine_versions',
      },
    ]);
    expect(problems[0]?.file).toBe('snippet.tf');
    expect(problems[0]?.message).toContain('did you mean "engine_version"?');
  });

  it('reports an unknown nested block, also inside a known one', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"
  serverless_v2_scaling_configuration {
    min_capacity = 0.5
    max_capacity = 4
  }
  restore_to_point_in_time {
    source_cluster_identifier = "x"
    window {
      hours = 1
    }
  }
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'unknown-block',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'restore_to_point_in_time.window',
      },
      {
        code: 'unknown-block',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'serverless_v2_scaling_configuration',
      },
    ]);
  });

  it('reports a missing required argument, at the top and in a nested block', async () => {
    const problems = await check(`
resource "aws_rds_cluster_instance" "one" {
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
}

resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"
  serverlessv2_scaling_configuration {
    min_capacity = 0.5
  }
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'missing-required',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'serverlessv2_scaling_configuration.max_capacity',
      },
      {
        code: 'missing-required',
        block: 'resource',
        type: 'aws_rds_cluster_instance',
        name: 'one',
        path: 'instance_class',
      },
    ]);
  });

  it('reports setting a computed-only attribute', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine   = "aurora-postgresql"
  endpoint = "db.example.com"
}

resource "aws_vpc_security_group_ingress_rule" "in" {
  security_group_id = "sg-1"
  ip_protocol       = "tcp"
  id                = "x"
}
`);
    expect(summary(problems)).toEqual([
      { code: 'computed-only', block: 'resource', type: 'aws_rds_cluster', name: 'this', path: 'endpoint' },
      {
        code: 'computed-only',
        block: 'resource',
        type: 'aws_vpc_security_group_ingress_rule',
        name: 'in',
        path: 'id',
      },
    ]);
  });

  it('accepts dynamic blocks and checks what they generate', async () => {
    expect(
      await check(`
resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"

  dynamic "serverlessv2_scaling_configuration" {
    for_each = var.serverless ? [1] : []
    content {
      min_capacity = 0.5
      max_capacity = 4
    }
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    dynamic "principals" {
      for_each = var.services
      iterator = service
      content {
        type        = "Service"
        identifiers = [service.value]
      }
    }
  }
}
`),
    ).toEqual([]);

    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"

  dynamic "serverlessv2_scaling_configuration" {
    for_each = [1]
    content {
      min_capacity = 0.5
      max_capacity = 4
      maximum      = 8
    }
  }

  dynamic "scaling_config" {
    for_each = []
    content {}
  }

  dynamic "engine_mode" {
    for_each = []
    content {}
  }
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'invalid-meta',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'dynamic.engine_mode',
      },
      {
        code: 'unknown-block',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'dynamic.scaling_config',
      },
      {
        code: 'unknown-argument',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'dynamic.serverlessv2_scaling_configuration.content.maximum',
      },
    ]);
  });

  it('counts a required block given by dynamic as present', async () => {
    // aws_db_parameter_group has no required block, so use a fake schema with one.
    const fake = structuredClone(schema);
    const block = fake.resource_schemas.aws_rds_cluster?.block;
    if (!block?.block_types.s3_import) throw new Error('fixture lacks aws_rds_cluster.s3_import');
    block.block_types.s3_import.min_items = 1;
    const withDynamic = await parseHcl(
      'snippet.tf',
      `
resource "aws_rds_cluster" "this" {
  engine = "aurora-mysql"
  dynamic "s3_import" {
    for_each = [1]
    content {
      bucket_name           = "b"
      ingestion_role        = "r"
      source_engine         = "mysql"
      source_engine_version = "8.0"
    }
  }
}
`,
    );
    expect(checkAgainstSchema(withDynamic, fake)).toEqual([]);
    const without = await parseHcl('snippet.tf', validCluster);
    expect(codes(checkAgainstSchema(without, fake))).toEqual(['missing-required']);
  });

  it('accepts the meta-arguments and checks lifecycle', async () => {
    expect(
      await check(`
resource "aws_rds_cluster_instance" "this" {
  count              = 2
  provider           = aws.replica
  depends_on         = [aws_rds_cluster.this]
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
  instance_class     = "db.r7g.large"

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [engine_version, tags["x"]]
    precondition {
      condition     = true
      error_message = "never"
    }
  }

  timeouts {
    create = "90m"
  }
}

data "aws_subnet" "each" {
  for_each = toset(var.subnet_ids)
  id       = each.value
  lifecycle {
    postcondition {
      condition     = self.vpc_id == var.vpc_id
      error_message = "wrong VPC"
    }
  }
}
`),
    ).toEqual([]);

    const problems = await check(`
resource "aws_kms_key" "this" {
  count    = 1
  for_each = {}
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [descripton]
    precondition {
      condition = true
    }
    destroy = false
  }
}

data "aws_region" "current" {
  lifecycle {
    create_before_destroy = true
  }
}
`);
    expect(summary(problems)).toEqual([
      { code: 'invalid-meta', block: 'resource', type: 'aws_kms_key', name: 'this', path: 'count' },
      {
        code: 'invalid-meta',
        block: 'resource',
        type: 'aws_kms_key',
        name: 'this',
        path: 'lifecycle.destroy',
      },
      {
        code: 'unknown-argument',
        block: 'resource',
        type: 'aws_kms_key',
        name: 'this',
        path: 'lifecycle.ignore_changes',
      },
      {
        code: 'missing-required',
        block: 'resource',
        type: 'aws_kms_key',
        name: 'this',
        path: 'lifecycle.precondition.error_message',
      },
      {
        code: 'invalid-meta',
        block: 'data',
        type: 'aws_region',
        name: 'current',
        path: 'lifecycle.create_before_destroy',
      },
    ]);
  });

  it('reports blocks written as arguments and arguments written as blocks', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine                             = "aurora-postgresql"
  serverlessv2_scaling_configuration = { min_capacity = 0.5, max_capacity = 4 }
  tags {
    Name = "x"
  }
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'not-an-attribute',
        block: 'resource',
        type: 'aws_rds_cluster',
        name: 'this',
        path: 'serverlessv2_scaling_configuration',
      },
      { code: 'not-a-block', block: 'resource', type: 'aws_rds_cluster', name: 'this', path: 'tags' },
    ]);
  });

  it('reports too many blocks where the schema allows one', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"
  serverlessv2_scaling_configuration {
    min_capacity = 0.5
    max_capacity = 4
  }
  serverlessv2_scaling_configuration {
    min_capacity = 1
    max_capacity = 8
  }
}
`);
    expect(codes(problems)).toEqual(['too-many-blocks']);
  });

  it('accepts attributes of object type in either syntax, and checks their fields', async () => {
    expect(
      await check(`
resource "aws_security_group" "a" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  egress = []
}
`),
    ).toEqual([]);
    const problems = await check(`
resource "aws_security_group" "a" {
  ingress = [{ from_port = 5432, to_port = 5432, protocol = "tcp", cidr_block = "10.0.0.0/8" }]
}
`);
    expect(summary(problems)).toEqual([
      {
        code: 'unknown-argument',
        block: 'resource',
        type: 'aws_security_group',
        name: 'a',
        path: 'ingress.cidr_block',
      },
    ]);
  });

  it('checks provider blocks, data sources and check blocks', async () => {
    expect(
      await check(`
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Team = "data" }
  }
}

provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}
`),
    ).toEqual([]);

    const problems = await check(`
provider "aws" {
  regoin = "eu-west-1"
  default_tags {
    tag = {}
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    principals {
      identifiers = ["x"]
    }
  }
}

check "caller" {
  data "aws_caller_identity" "me" {
    account = "1"
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
`);
    expect(summary(problems)).toEqual([
      { code: 'unknown-argument', block: 'provider', type: 'aws', name: 'default', path: 'default_tags.tag' },
      { code: 'unknown-argument', block: 'provider', type: 'aws', name: 'default', path: 'regoin' },
      { code: 'unknown-argument', block: 'data', type: 'aws_caller_identity', name: 'me', path: 'account' },
      {
        code: 'missing-required',
        block: 'data',
        type: 'aws_iam_policy_document',
        name: 'assume',
        path: 'statement.principals.type',
      },
    ]);
  });

  it('reports a type the fixture lacks, pointing at npm run schema:extract', async () => {
    const problems = await check(`
resource "aws_rds_global_cluster" "g" {
  global_cluster_identifier = "g"
}

data "aws_rds_engine_version" "v" {
  engine = "aurora-postgresql"
}

resource "random_password" "p" {
  length = 32
}
`);
    expect(summary(problems)).toEqual([
      { code: 'unknown-type', block: 'resource', type: 'aws_rds_global_cluster', name: 'g', path: '' },
      { code: 'unknown-type', block: 'resource', type: 'random_password', name: 'p', path: '' },
      { code: 'unknown-type', block: 'data', type: 'aws_rds_engine_version', name: 'v', path: '' },
    ]);
    expect(problems[0]?.message).toContain('npm run schema:extract');
    expect(problems[1]?.message).toContain('not covered');
  });

  it('reports duplicate addresses across the files of a module, and stray top-level blocks', async () => {
    const files: ParsedHclFile[] = [
      { file: 'a.tf', hcl: await parseHcl('a.tf', validCluster) },
      { file: 'b.tf', hcl: await parseHcl('b.tf', `${validCluster}\nresources "x" "y" {}\n`) },
    ];
    const problems = checkAgainstSchema(files, schema);
    expect(problems.map((p) => [p.file, p.code, p.path])).toEqual([
      ['b.tf', 'unknown-block', 'resources'],
      ['b.tf', 'duplicate', ''],
    ]);
    expect(problems[1]?.message).toContain('also in a.tf');
  });

  it('formats problems for a failure message', async () => {
    const problems = await check(`
resource "aws_rds_cluster" "this" {
  engine = "aurora-postgresql"
  arn    = "x"
}
`);
    expect(formatProblems(problems)).toBe(
      'snippet.tf: resource "aws_rds_cluster" "this": arn: "arn" is computed by the provider and cannot be set [computed-only]',
    );
  });
});

describe('checkModuleCalls', () => {
  it('reports unknown arguments and unset variables without a default', async () => {
    const moduleFiles: ParsedHclFile[] = [
      {
        file: 'mod/variables.tf',
        hcl: await parseHcl(
          'variables.tf',
          'variable "name" {\n  type = string\n}\nvariable "size" {\n  type    = number\n  default = null\n}\n',
        ),
      },
    ];
    const caller: ParsedHclFile[] = [
      {
        file: 'root/main.tf',
        hcl: await parseHcl(
          'main.tf',
          'module "db" {\n  source = "../mod"\n  count  = 1\n  sise   = 2\n}\nmodule "remote" {\n  source = "x/y/aws"\n}\n',
        ),
      },
    ];
    const base = (file: string) => dirname(resolve('/repo', file));
    expect(localModuleDirs(caller, base)).toEqual(['/repo/mod']);
    const problems = checkModuleCalls(caller, new Map([['/repo/mod', moduleFiles]]), base);
    expect(problems.map((p) => [p.code, p.name, p.path])).toEqual([
      ['missing-required', 'db', 'name'],
      ['unknown-argument', 'db', 'sise'],
    ]);
    expect(problems[1]?.message).toContain('did you mean "size"?');
  });
});

describe('checkReferences', () => {
  const refsIn = async (text: string) => {
    const files = [{ file: 'main.tf', hcl: await parseHcl('main.tf', text) }];
    return checkReferences(files, schema);
  };

  it('accepts references to what the module declares', async () => {
    expect(
      await refsIn(`
variable "name" {
  type = string
}
variable "subnets" {
  type = list(object({ id = string }))
}
locals {
  tags = { Name = var.name }
}
data "aws_region" "current" {}
resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = [for s in var.subnets : s.id]
  tags       = merge(local.tags, { region = data.aws_region.current.region })
}
resource "aws_rds_cluster" "this" {
  count                = 1
  engine               = "aurora-postgresql"
  cluster_identifier   = "\${var.name}-\${count.index}"
  db_subnet_group_name = aws_db_subnet_group.this.name
}
output "endpoints" {
  value = aws_rds_cluster.this[*].endpoint
}
output "arn" {
  value = aws_rds_cluster.this[0].arn
}
`),
    ).toEqual([]);
  });

  it('reports undeclared names, unknown attributes and wrong instance keys', async () => {
    const problems = await refsIn(`
variable "name" {
  type = string
}
resource "aws_db_subnet_group" "this" {
  name       = var.nmae
  subnet_ids = local.subnets
}
resource "aws_rds_cluster" "this" {
  count                = 1
  engine               = "aurora-postgresql"
  db_subnet_group_name = aws_db_subnet_group.this[0].name
  kms_key_id           = aws_kms_key.this.arn
}
output "endpoint" {
  value = aws_rds_cluster.this.endpoint
}
output "reader" {
  value = aws_rds_cluster.this[0].reader_endpoints
}
output "index" {
  value = count.index
}
`);
    expect(problems.map((p) => [p.code, p.block, p.name, p.path])).toEqual([
      ['undeclared-reference', 'resource', 'this', 'name'],
      ['undeclared-reference', 'resource', 'this', 'subnet_ids'],
      ['instance-key', 'resource', 'this', 'db_subnet_group_name'],
      ['undeclared-reference', 'resource', 'this', 'kms_key_id'],
      ['instance-key', 'output', 'endpoint', 'value'],
      ['invalid-meta', 'output', 'index', 'value'],
      ['unsupported-attribute', 'output', 'reader', 'value'],
    ]);
    expect(problems[0]?.message).toContain('did you mean "name"?');
    expect(problems[6]?.message).toContain('did you mean "reader_endpoint"?');
  });
});

describe('versionSatisfies', () => {
  it('reads Terraform version constraints', () => {
    expect(versionSatisfies('6.25.0', '~> 6.0')).toBe(true);
    expect(versionSatisfies('6.25.0', '>= 5.80, < 7.0')).toBe(true);
    expect(versionSatisfies('6.25.0', '~> 5.0')).toBe(false);
    expect(versionSatisfies('6.25.0', '~> 6.25.1')).toBe(false);
    expect(versionSatisfies('6.25.3', '~> 6.25.1')).toBe(true);
    expect(versionSatisfies('6.25.0', '6.25.0')).toBe(true);
    expect(versionSatisfies('6.25.0', '!= 6.25.0')).toBe(false);
  });
});
