/**
 * The pipeline's Terraform steps with real Terraform (the pinned 1.11.4 on this machine), a real S3 backend
 * (moto's server, S3-native locking) and the AWS provider from this machine's filesystem mirror
 * (/opt/tf-plugins; the registry cannot be reached here). The roots hold a terraform_data resource instead
 * of the module, so no AWS API beyond S3 is needed: what is proven is the pipeline, not the module
 * (test/unit and test/integration prove the generated Terraform with the HCL parser, the provider schema
 * and checkov). The detect, plan and apply steps run exactly as .github/workflows/terraform.yml spells
 * them: a first push with no base creates every root; then a change removes one database and edits
 * another: only those two are planned, the removed one is destroyed from its own state, the others are
 * untouched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type MotoServer, startMoto } from '../support/moto.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const MIRROR = '/opt/tf-plugins';
const PROVIDER = 'registry.terraform.io/hashicorp/aws';
const usable =
  spawnSync('terraform', ['version']).status === 0 &&
  existsSync(join(MIRROR, PROVIDER)) &&
  existsSync(join(root, '.venv/bin/moto_server')) &&
  existsSync(join(root, 'dist/cli/main.js')) &&
  spawnSync('jq', ['--version']).status === 0;

type Obj = Record<string, unknown>;
const gh = parse(readFileSync(join(root, '.github/workflows/terraform.yml'), 'utf8')) as Obj;
const steps = (job: string) => ((gh.jobs as Obj)[job] as Obj).steps as Obj[];
const detectRun = String(steps('detect').find((s) => s.id === 'roots')?.run);
const planRun = String(steps('plan').find((s) => s.id === 'plan')?.run);
const applyRun = String(steps('apply').find((s) => /ci-apply-roots\.sh/.test(String(s.run)))?.run);
const driftRun = String(steps('drift').find((s) => /ci-drift-roots\.sh/.test(String(s.run)))?.run);

const BUCKET = 'pipeline-state';
const ROOTS = [
  ['dev', 'alpha'],
  ['dev', 'bravo'],
  ['prod', 'delta'],
] as const;

describe.skipIf(!usable)('the Terraform pipeline with real Terraform, S3 state and the AWS provider', () => {
  let moto: MotoServer;
  const work = mkdtempSync(join(tmpdir(), 'pipeline-terraform-'));
  const repo = join(work, 'repo');
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const mainTf = (env: string, db: string, input: string) => `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  backend "s3" {
    key = "rds-provisioner/${env}/${db}/terraform.tfstate"
  }
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "terraform_data" "${db}_${env}" {
  input = "${input}"
}
`;
  let env: Record<string, string>;
  let run = 0;

  /** One pipeline run on main: detect from BASE, every plan batch, then both apply gates. */
  function pipeline(base: string) {
    const head = git('rev-parse', 'HEAD');
    const planDir = join(work, `run-${run}`);
    const runEnv = {
      ...env,
      PLAN_DIR: planDir,
      RUN_COMMIT: head,
      RUN_ID: `run-${run}`,
      GITHUB_OUTPUT: join(work, `output-${run}`),
      GITHUB_STEP_SUMMARY: join(work, `summary-${run++}.md`),
    };
    const step = (script: string, extra: Record<string, string> = {}) => {
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...runEnv, ...extra },
      });
      expect(r.status, `${script}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    step(detectRun, { BASE: base, HEAD: head });
    const matrix = JSON.parse(readFileSync(join(planDir, 'matrix.json'), 'utf8')) as {
      include: { batch: number; gate: string }[];
    };
    for (const b of matrix.include) step(planRun, { BATCH: String(b.batch) });
    const applied: string[] = [];
    for (const b of matrix.include) {
      const out = step(applyRun, {
        BATCH: String(b.batch),
        APPLY_GATE: b.gate === 'prod' ? 'prod' : 'nonprod',
      });
      applied.push(...(/applied \d+ root\(s\): (.*)$/m.exec(out)?.[1]?.split(' ') ?? []));
    }
    const roots = JSON.parse(readFileSync(join(planDir, 'roots.json'), 'utf8')) as {
      root: string;
      action: string;
    }[];
    return { planDir, roots: roots.map((r) => `${r.action} ${r.root}`), applied };
  }

  /** A root's state, read from the S3 backend (moto). */
  async function state(
    env: string,
    db: string,
  ): Promise<{ resources: { name: string; instances: { attributes: { input: { value: string } } }[] }[] }> {
    const response = await fetch(`${moto.endpoint}/${BUCKET}/rds-provisioner/${env}/${db}/terraform.tfstate`);
    expect(response.status).toBe(200);
    return (await response.json()) as never;
  }

  beforeAll(async () => {
    moto = await startMoto();
    expect((await fetch(`${moto.endpoint}/${BUCKET}`, { method: 'PUT' })).status).toBe(200);
    // The test reads the states without signing requests.
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
      ],
    };
    const put = await fetch(`${moto.endpoint}/${BUCKET}?policy`, {
      method: 'PUT',
      body: JSON.stringify(policy),
    });
    expect(put.status).toBeLessThan(300);
    writeFileSync(
      join(work, 'terraformrc'),
      `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`,
    );
    env = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      ...moto.env,
      TF_CLI_CONFIG_FILE: join(work, 'terraformrc'),
      // The mirror's layout is the plugin cache's: roots link the provider instead of copying 700 MB.
      TF_PLUGIN_CACHE_DIR: MIRROR,
      TF_IN_AUTOMATION: 'true',
      PROD_ENVIRONMENTS: 'prod',
    };
    mkdirSync(repo);
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    for (const [e, db] of ROOTS) write(`terraform/live/${e}/${db}/main.tf`, mainTf(e, db, 'v1'));
    write('terraform/modules/rds/main.tf', 'variable "name" {}\n');
    write(
      'terraform/live/backend.hcl',
      [
        `bucket = "${BUCKET}"`,
        'region = "us-east-1"',
        'use_lockfile = true',
        'use_path_style = true',
        'skip_credentials_validation = true',
        'skip_requesting_account_id = true',
        'skip_metadata_api_check = true',
        `endpoints = { s3 = "${moto.endpoint}" }`,
        '',
      ].join('\n'),
    );
    write('config/policy.yaml', readFileSync(join(root, 'config/policy.yaml'), 'utf8'));
    write('.gitignore', '/dist\n/bin\n/scripts\n.terraform/\n.terraform.lock.hcl\n');
    git('add', '-A');
    git('commit', '-qm', 'three databases');
    for (const link of ['dist', 'bin', 'scripts']) symlinkSync(join(root, link), join(repo, link));
  }, 90_000);
  afterAll(async () => {
    await moto?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a first push creates every root; then only the changed and the removed root are planned and applied', async () => {
    const first = pipeline('0'.repeat(40));
    expect(first.roots).toEqual([
      'plan terraform/live/dev/alpha',
      'plan terraform/live/dev/bravo',
      'plan terraform/live/prod/delta',
    ]);
    expect(first.applied.sort()).toEqual([
      'terraform/live/dev/alpha',
      'terraform/live/dev/bravo',
      'terraform/live/prod/delta',
    ]);
    for (const [e, db] of ROOTS) expect((await state(e, db)).resources).toHaveLength(1);
    // Each plan kept the lock file its init wrote: the mirror's provider, pinned by hash.
    expect(
      readFileSync(join(first.planDir, 'roots/terraform/live/prod/delta/terraform.lock.hcl'), 'utf8'),
    ).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\n\s+version\s+= "5\.100\.0"/);

    const base = git('rev-parse', 'HEAD');
    git('rm', '-rq', 'terraform/live/dev/bravo');
    write('terraform/live/dev/alpha/main.tf', mainTf('dev', 'alpha', 'v2'));
    git('commit', '-qam', 'retire bravo, change alpha');
    const second = pipeline(base);
    expect(second.roots).toEqual(['plan terraform/live/dev/alpha', 'destroy terraform/live/dev/bravo']);
    expect(second.applied).toEqual(['terraform/live/dev/alpha', 'terraform/live/dev/bravo']);
    expect((await state('dev', 'bravo')).resources).toEqual([]);
    expect((await state('dev', 'alpha')).resources[0]?.instances[0]?.attributes.input.value).toBe('v2');
    expect((await state('prod', 'delta')).resources[0]?.instances[0]?.attributes.input.value).toBe('v1');
  }, 300_000);

  it('the drift check plans every root with -detailed-exitcode: a root whose state differs has changes (exit 2 is no failure), the others none', async () => {
    // What the last apply left (alpha at v2) against a configuration that says v3: a difference to report.
    write('terraform/live/dev/alpha/main.tf', mainTf('dev', 'alpha', 'v3'));
    const head = git('rev-parse', 'HEAD');
    const planDir = join(work, 'drift');
    const runEnv = {
      ...env,
      PLAN_DIR: planDir,
      RUN_COMMIT: head,
      GITHUB_STEP_SUMMARY: join(work, 'drift.md'),
    };
    const step = (script: string, extra: Record<string, string> = {}) =>
      spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...runEnv, ...extra },
      });
    const detect = step(detectRun, { BASE: '', HEAD: head, GITHUB_OUTPUT: join(work, 'drift-output') });
    expect(detect.status, detect.stderr).toBe(0);
    const drift = step(driftRun, { BATCH: '' });
    expect(drift.status, `${drift.stdout}\n${drift.stderr}`).toBe(0);
    expect(readFileSync(join(planDir, 'drift.md'), 'utf8')).toBe(
      [
        '- `terraform/live/dev/alpha`: changes: drift, or a merged change waiting for its maintenance window',
        '- `terraform/live/prod/delta`: no changes',
        '',
      ].join('\n'),
    );
    // Read only: the state is as the apply left it.
    expect((await state('dev', 'alpha')).resources[0]?.instances[0]?.attributes.input.value).toBe('v2');
    expect(drift.stdout).toContain('report: not sent');
  }, 300_000);
});
