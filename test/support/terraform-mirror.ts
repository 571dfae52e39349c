/**
 * Real Terraform against this machine's provider mirror (/opt/tf-plugins; the registry cannot be reached
 * here), for tests that run `terraform` on the module and the roots the service writes.
 *
 * The module asks for hashicorp/aws ~> 6.0. When the mirror holds no 6.x (this machine has 5.100.0), the
 * module and root run against the mirror's provider instead, in a copy whose version constraints admit it
 * and whose one 6.x spelling (data "aws_region"'s `region`, called `name` before 6.0) is written the 5.x
 * way; any other difference fails the tests, as it should. The provider-schema tests check the module
 * against the 6.x schema itself.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_DIR } from '../../src/domain/layout.js';
import { AWS_PROVIDER } from '../../src/render/terraform.js';
import { ROOT } from './cli.js';
import { versionSatisfies } from './provider-schema.js';

export const MIRROR = '/opt/tf-plugins';
const PROVIDER_DIR = join(MIRROR, 'registry.terraform.io/hashicorp/aws');
export const SINGLE_ROOT_LAYOUT = 'terraform/layouts/single-root';

/** The mirror's newest AWS provider, preferring one the module's constraint admits. */
function mirrorProvider(): { version: string; admitted: boolean } | null {
  if (!existsSync(PROVIDER_DIR)) return null;
  const versions = readdirSync(PROVIDER_DIR).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const byAge = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).reverse();
  const admitted = byAge.find((v) => versionSatisfies(v, AWS_PROVIDER.version));
  if (admitted) return { version: admitted, admitted: true };
  return byAge[0] ? { version: byAge[0], admitted: false } : null;
}

export const provider = mirrorProvider();

/** Terraform is on the PATH and the mirror holds an AWS provider. */
export const terraformUsable =
  spawnSync('terraform', ['version'], { env: { PATH: process.env.PATH } }).status === 0 && provider !== null;

/** Spellings the module uses that came with provider 6.0, as 5.x spells them. */
const BEFORE_6 = [['data.aws_region.current.region', 'data.aws_region.current.name']] as const;

/** A text whose aws provider constraint becomes the mirror's version, when the mirror lacks an admitted one. */
export const admitMirror = (text: string) =>
  provider && !provider.admitted
    ? text.replaceAll(`version = "${AWS_PROVIDER.version}"`, `version = "${provider.version}"`)
    : text;

/**
 * A fresh copy under `work` of the module, and of the single root's own files, as the mirror's provider
 * can load them; the committed module is never touched.
 */
export function repositoryCopy(work: string): string {
  const repo = mkdtempSync(join(work, 'repo-'));
  cpSync(join(ROOT, MODULE_DIR), join(repo, MODULE_DIR), { recursive: true });
  cpSync(join(ROOT, SINGLE_ROOT_LAYOUT), join(repo, SINGLE_ROOT_LAYOUT), { recursive: true });
  if (provider && !provider.admitted)
    for (const file of readdirSync(join(repo, MODULE_DIR)).filter((f) => f.endsWith('.tf'))) {
      const path = join(repo, MODULE_DIR, file);
      let text = admitMirror(readFileSync(path, 'utf8'));
      for (const [from, to] of BEFORE_6) text = text.replaceAll(from, to);
      writeFileSync(path, text);
    }
  return repo;
}

/**
 * The environment Terraform runs in: HOME and the CLI configuration under `work` (installing from the
 * mirror, which links the provider rather than copying its 700 MB), nothing from this machine's user.
 */
export function terraformEnv(work: string): Record<string, string> {
  const config = join(work, 'terraformrc');
  writeFileSync(config, `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`);
  return {
    PATH: process.env.PATH ?? '',
    HOME: work,
    TF_CLI_CONFIG_FILE: config,
    TF_IN_AUTOMATION: '1',
  };
}
