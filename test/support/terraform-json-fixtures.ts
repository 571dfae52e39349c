/**
 * Regenerates test/fixtures/terraform-json/: real `terraform show -json` documents of each deployment's
 * root as the service writes it, planned and applied with this machine's Terraform and the mirror's AWS
 * provider against moto (see that folder's README.md). Takes several minutes, most of it the provider's
 * waits after each RDS call.
 *
 *   node --import ./test/support/ts-register.mjs test/support/terraform-json-fixtures.ts [name...]
 *
 * (names: aurora, aurora-serverless, instance, apply-failure; none: all of them, side by side).
 *
 * For each deployment: the plan of its creation, the state after applying it, a change plan, a drift plan
 * (a setting changed in moto behind Terraform's back, then a normal plan: `resource_drift` lists it) and a
 * destroy plan. The instance's root also keeps an application secret of its own (a sensitive variable, a
 * Secrets Manager secret version and a sensitive output), so its documents carry values Terraform marks
 * sensitive. Beside them, a failed apply's output in its three forms (apply-failure/).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Policy } from '../../src/domain/policy.js';
import { afterChanges, createdDatabase } from './database-life.js';
import { type MotoServer, startMoto } from './moto.js';
import { motoNetwork, motoQuery, policyInNetwork } from './moto-rds.js';
import { MotoTerraformRoot } from './moto-terraform-root.js';
import {
  DATABASE_OF,
  type DeploymentFixture,
  FIXTURES,
  SENSITIVE_LITERAL,
} from './terraform-json-documents.js';
import { MIRROR, provider, terraformEnv, terraformUsable } from './terraform-mirror.js';

const REGION = 'eu-west-1';

const SENSITIVE_ROOT = `# Not the service's: an application secret the root keeps beside the database, so that this root's
# documents carry values Terraform marks sensitive (test/fixtures/terraform-json/README.md).
variable "app_password" {
  type      = string
  sensitive = true
  default   = "${SENSITIVE_LITERAL}"
}

resource "aws_secretsmanager_secret" "app" {
  name = "cms-app-credentials"
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id     = aws_secretsmanager_secret.app.id
  secret_string = var.app_password
}

output "db_password" {
  value     = var.app_password
  sensitive = true
}
`;

interface Deployment {
  name: DeploymentFixture;
  request: Record<string, unknown>;
  /** Each extra plan's name and the change it makes, planned against the database as created. */
  changes: Array<[name: string, change: object]>;
  /** A setting changed in moto directly, which the drift plan finds. */
  drift: (moto: MotoServer) => Promise<unknown>;
  sensitive?: boolean;
}

const DEPLOYMENTS: Deployment[] = [
  {
    name: 'aurora',
    request: {
      db_name: DATABASE_OF.aurora,
      engine: 'postgres',
      environment: 'dev',
      deployment: 'aurora',
      engine_version: '16.9',
    },
    changes: [
      ['change-plan', { instances: 2 }],
      ['upgrade-plan', { engine_version: '17.5', allow_major_version_upgrade: true }],
    ],
    drift: (moto) =>
      motoQuery(moto, 'rds', {
        Action: 'ModifyDBCluster',
        DBClusterIdentifier: DATABASE_OF.aurora,
        BackupRetentionPeriod: '5',
        ApplyImmediately: 'true',
      }),
  },
  {
    name: 'aurora-serverless',
    request: {
      db_name: DATABASE_OF['aurora-serverless'],
      engine: 'mysql',
      environment: 'dev',
      deployment: 'aurora-serverless',
    },
    changes: [['change-plan', { size: 'medium' }]],
    drift: (moto) =>
      motoQuery(moto, 'rds', {
        Action: 'ModifyDBCluster',
        DBClusterIdentifier: DATABASE_OF['aurora-serverless'],
        PreferredMaintenanceWindow: 'sat:01:00-sat:02:00',
        ApplyImmediately: 'true',
      }),
  },
  {
    name: 'instance',
    request: {
      db_name: DATABASE_OF.instance,
      engine: 'mysql',
      environment: 'dev',
      deployment: 'instance',
      engine_version: '8.0',
    },
    changes: [['change-plan', { size: 'medium' }]],
    drift: (moto) =>
      motoQuery(moto, 'rds', {
        Action: 'ModifyDBInstance',
        DBInstanceIdentifier: DATABASE_OF.instance,
        BackupRetentionPeriod: '3',
        ApplyImmediately: 'true',
      }),
    sensitive: true,
  },
];

/** One document, byte for byte as Terraform wrote it. */
function save(deployment: string, name: string, json: string) {
  JSON.parse(json);
  const dir = join(FIXTURES, deployment);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), json);
  console.log(`${deployment}: ${name}.json`);
}

async function generate(deployment: Deployment, work: string, env: Record<string, string>) {
  const moto = await startMoto(REGION);
  try {
    const policy: Policy = policyInNetwork(await motoNetwork(moto), ['dev']);
    const created = createdDatabase(deployment.request, policy);
    const root = await MotoTerraformRoot.init(created.spec, moto, work, env);
    if (deployment.sensitive) writeFileSync(join(root.dir, 'app_secret.tf'), SENSITIVE_ROOT);

    const create = await root.plan('create');
    save(deployment.name, 'create-plan', create.json);
    await root.apply(create.file);
    save(deployment.name, 'state', await root.terraform('show', '-json'));

    for (const [name, change] of deployment.changes) {
      root.write(afterChanges(created, [change], policy).spec);
      save(deployment.name, name, (await root.plan(name)).json);
    }
    root.write(created.spec);

    await deployment.drift(moto);
    save(deployment.name, 'drift-plan', (await root.plan('drift')).json);
    save(deployment.name, 'destroy-plan', (await root.plan('destroy', '-destroy')).json);
  } finally {
    await moto.stop();
  }
}

/**
 * A failed apply's output, as `terraform apply` prints it plainly (-no-color), in colour and with -json:
 * the module's subnet group created through an RDS endpoint nobody listens on.
 */
async function failedApply(work: string, env: Record<string, string>) {
  const dir = join(work, 'failed-apply');
  mkdirSync(join(dir, 'db'), { recursive: true });
  writeFileSync(
    join(dir, 'main.tf'),
    `provider "aws" {
  region                      = "${REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1

  endpoints {
    rds = "http://127.0.0.1:1"
  }
}

module "orders" {
  source = "./db"
}
`,
  );
  writeFileSync(
    join(dir, 'db/main.tf'),
    `terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "${provider?.version}" }
  }
}

resource "aws_db_subnet_group" "this" {
  name       = "orders"
  subnet_ids = ["subnet-1", "subnet-2"]
}
`,
  );
  const terraform = (...args: string[]) =>
    new Promise<string>((done) =>
      execFile('terraform', args, { cwd: dir, env }, (_error, stdout, stderr) => done(stdout + stderr)),
    );
  await terraform('init', '-input=false', `-plugin-dir=${MIRROR}`);
  const out = join(FIXTURES, 'apply-failure');
  mkdirSync(out, { recursive: true });
  for (const [name, args] of [
    ['plain.log', ['-no-color']],
    ['colour.log', []],
    ['json.log', ['-json']],
  ] as const) {
    writeFileSync(join(out, name), await terraform('apply', '-auto-approve', '-input=false', ...args));
    console.log(`apply-failure: ${name}`);
  }
}

async function main(names: string[]) {
  if (!terraformUsable) throw new Error('terraform and the provider mirror (/opt/tf-plugins) are needed');
  const all = names.length === 0;
  const chosen = DEPLOYMENTS.filter((d) => all || names.includes(d.name));
  const unknown = names.filter((n) => n !== 'apply-failure' && !DEPLOYMENTS.some((d) => d.name === n));
  if (unknown.length > 0)
    throw new Error(
      `unknown: ${unknown.join(', ')}; choose from apply-failure, ${DEPLOYMENTS.map((d) => d.name).join(', ')}`,
    );
  const work = mkdtempSync(join(tmpdir(), 'rdsp-tf-json-'));
  try {
    const env = { ...terraformEnv(work), AWS_EC2_METADATA_DISABLED: 'true' };
    console.log(`terraform with hashicorp/aws ${provider?.version}, in ${work}`);
    await Promise.all([
      ...chosen.map((d) => generate(d, work, env)),
      ...(all || names.includes('apply-failure') ? [failedApply(work, env)] : []),
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main(process.argv.slice(2));
