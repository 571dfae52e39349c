/**
 * A database's root as the service writes it, in its own copy of the repository (whose module admits the
 * mirror's provider, ./terraform-mirror.ts), plus an override file that points the provider at a moto
 * server and keeps the state in a local backend instead of S3.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { renderTerraform } from '../../src/render/terraform.js';
import type { MotoServer } from './moto.js';
import { admitMirror, MIRROR, repositoryCopy } from './terraform-mirror.js';

const run = promisify(execFile);

/** The AWS services the module's resources call. */
const SERVICES = ['rds', 'ec2', 'iam', 'kms', 'logs', 'sts', 'secretsmanager'];

export class MotoTerraformRoot {
  private constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** A root under `work` for `spec`, initialised from the mirror; `env` from terraformEnv(work). */
  static async init(
    spec: DatabaseSpec,
    moto: MotoServer,
    work: string,
    env: Record<string, string>,
  ): Promise<MotoTerraformRoot> {
    const dir = join(repositoryCopy(work), spec.location.root);
    mkdirSync(dir, { recursive: true });
    const endpoints = SERVICES.map((service) => `    ${service} = "${moto.endpoint}"`).join('\n');
    writeFileSync(
      join(dir, 'moto_override.tf'),
      `terraform {
  backend "local" {
    path = "terraform.tfstate"
  }
}

provider "aws" {
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true

  endpoints {
${endpoints}
  }
}
`,
    );
    const root = new MotoTerraformRoot(dir, env);
    root.write(spec);
    await root.terraform('init', '-input=false', `-plugin-dir=${MIRROR}`);
    return root;
  }

  /** The file as the service writes it (the mirror's provider version admitted). */
  write(spec: DatabaseSpec) {
    writeFileSync(join(this.dir, 'main.tf'), admitMirror(renderTerraform(spec)));
  }

  /** Runs terraform in the root; its stdout, or an error with the end of its output. */
  async terraform(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('terraform', [...args, '-no-color'], {
        cwd: this.dir,
        env: this.env,
        maxBuffer: 256 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `terraform ${args.join(' ')} failed:\n${(stderr || stdout || String(error)).slice(-6000)}`,
      );
    }
  }

  /** `plan -out` (extra arguments such as `-destroy` after), then `show -json` of it: the file and the text. */
  async plan(name: string, ...extra: string[]): Promise<{ file: string; json: string }> {
    const file = `${name}.tfplan`;
    await this.terraform('plan', '-input=false', '-lock-timeout=60s', `-out=${file}`, ...extra);
    return { file, json: await this.terraform('show', '-json', file) };
  }

  async apply(file: string) {
    await this.terraform('apply', '-input=false', '-lock-timeout=60s', file);
  }
}
