/**
 * `terraform validate` with the real Terraform binary on roots the service writes after a change: a major
 * upgrade (allow_major_version_upgrade = true), and apply_immediately as each environment's policy says.
 * Terraform itself checks the root's call against the module's variables, their types and their
 * validation rules, and the module's resources against the AWS provider's schema. Skipped where Terraform
 * or the provider mirror (/opt/tf-plugins; the registry cannot be reached here) is missing.
 *
 * The module asks for hashicorp/aws ~> 6.0. When the mirror holds no 6.x (this machine has 5.100.0), the
 * module and root are validated against the mirror's provider instead, in a copy whose version
 * constraints admit it and whose one 6.x spelling (data "aws_region"'s `region`, called `name` before
 * 6.0) is written the 5.x way; any other difference fails the test, as it should. The provider-schema
 * tests check the module against the 6.x schema itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODULE_DIR } from '../../src/domain/layout.js';
import type { Policy } from '../../src/domain/policy.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { AWS_PROVIDER, renderTerraform } from '../../src/render/terraform.js';
import { ROOT } from '../support/cli.js';
import { afterChanges, createdDatabase } from '../support/database-life.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';
import { versionSatisfies } from '../support/provider-schema.js';

const MIRROR = '/opt/tf-plugins';
const PROVIDER_DIR = join(MIRROR, 'registry.terraform.io/hashicorp/aws');
const SINGLE_ROOT_LAYOUT = 'terraform/layouts/single-root';

/** The mirror's newest AWS provider, preferring one the module's constraint admits. */
function mirrorProvider(): { version: string; admitted: boolean } | null {
  if (!existsSync(PROVIDER_DIR)) return null;
  const versions = readdirSync(PROVIDER_DIR).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const byAge = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).reverse();
  const admitted = byAge.find((v) => versionSatisfies(v, AWS_PROVIDER.version));
  if (admitted) return { version: admitted, admitted: true };
  return byAge[0] ? { version: byAge[0], admitted: false } : null;
}

const provider = mirrorProvider();
const usable =
  spawnSync('terraform', ['version'], { env: { PATH: process.env.PATH } }).status === 0 && provider !== null;

/** Spellings the module uses that came with provider 6.0, as 5.x spells them. */
const BEFORE_6 = [['data.aws_region.current.region', 'data.aws_region.current.name']] as const;

const work = mkdtempSync(join(tmpdir(), 'rdsp-validate-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: work,
  TF_CLI_CONFIG_FILE: join(work, 'terraformrc'),
  TF_IN_AUTOMATION: '1',
};
writeFileSync(
  env.TF_CLI_CONFIG_FILE,
  `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`,
);

/** A fresh copy of the module, and of the single root's own files, as the mirror's provider can load them. */
function repositoryCopy(): string {
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

/** A text whose aws provider constraint becomes the mirror's version, when the mirror lacks an admitted one. */
const admitMirror = (text: string) =>
  provider && !provider.admitted
    ? text.replaceAll(`version = "${AWS_PROVIDER.version}"`, `version = "${provider.version}"`)
    : text;

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

/** Writes the root as the repository would hold it, then `terraform init` and `validate -json` in it. */
function validate(
  spec: DatabaseSpec,
  text = renderTerraform(spec),
): { valid: boolean; diagnostics: Diagnostic[] } {
  const repo = repositoryCopy();
  const root = join(repo, spec.location.root);
  mkdirSync(root, { recursive: true });
  if (spec.location.stateKey === null)
    for (const file of readdirSync(join(repo, SINGLE_ROOT_LAYOUT)).filter((f) => /\.tf(vars)?$/.test(f)))
      writeFileSync(
        join(root, file),
        admitMirror(readFileSync(join(repo, SINGLE_ROOT_LAYOUT, file), 'utf8')),
      );
  mkdirSync(dirname(join(repo, spec.location.file)), { recursive: true });
  writeFileSync(join(repo, spec.location.file), admitMirror(text));
  execFileSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  const run = spawnSync('terraform', ['validate', '-json', '-no-color'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  const result = JSON.parse(run.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
  return { valid: result.valid && run.status === 0, diagnostics: result.diagnostics };
}

const describeDiagnostics = (diagnostics: Diagnostic[]) =>
  diagnostics.map((d) => `${d.severity}: ${d.summary}: ${d.detail ?? ''}`).join('\n');

const CASES: Array<{ name: string; policy: Policy; request: object; changes: object[] }> = [
  {
    name: 'per-database: prod Aurora PostgreSQL, larger, more instances, 16 to 17',
    policy: packagedPolicy.policy,
    request: {
      db_name: 'orders',
      engine: 'postgres',
      environment: 'prod',
      owner: 'team-orders',
      engine_version: '16.9',
    },
    changes: [
      { size: 'large', instances: 3 },
      { engine_version: '17.5', allow_major_version_upgrade: true },
    ],
  },
  {
    name: 'per-database: staging MySQL instance, 8.0 to 8.4',
    policy: packagedPolicy.policy,
    request: {
      db_name: 'cms',
      engine: 'mysql',
      environment: 'staging',
      deployment: 'instance',
      engine_version: '8.0',
    },
    changes: [{ engine_version: '8.4', allow_major_version_upgrade: true }, { size: 'large' }],
  },
  {
    name: 'single-root: dev Aurora Serverless MySQL, a minor version and Aurora provisioned',
    policy: writeSingleRootPolicy(mkdtempSync(join(work, 'policy-'))).policy.policy,
    request: {
      db_name: 'my-app-db',
      engine: 'mysql',
      environment: 'dev',
      engine_version: '8.0.mysql_aurora.3.04.4',
    },
    changes: [{ engine_version: '8.0.mysql_aurora.3.08.2' }, { deployment: 'aurora', size: 'medium' }],
  },
];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!usable)(
  `terraform validate on roots after a change (hashicorp/aws ${provider?.version})`,
  () => {
    for (const { name, policy, request, changes } of CASES)
      it(`${name}: valid, with allow_major_version_upgrade and apply_immediately`, () => {
        const spec = afterChanges(createdDatabase(request, policy), changes, policy).spec;
        const text = renderTerraform(spec);
        const upgraded = changes.some((c) => 'allow_major_version_upgrade' in c);
        expect(text.includes('allow_major_version_upgrade = true')).toBe(upgraded);
        expect(text).toMatch(
          new RegExp(
            `\\n {2}apply_immediately += ${policy.environments[spec.environment]?.apply_immediately}\\n`,
          ),
        );
        const { valid, diagnostics } = validate(spec, text);
        expect(describeDiagnostics(diagnostics)).toBe('');
        expect(valid).toBe(true);
      }, 120_000);

    it("is refused by terraform validate when a value breaks the module's rules, so a pass means something", () => {
      const spec = createdDatabase(CASES[0]?.request ?? {}, packagedPolicy.policy).spec;
      const { valid, diagnostics } = validate({ ...spec, finalSnapshotIdentifier: 'orders--final' });
      expect(valid).toBe(false);
      expect(describeDiagnostics(diagnostics)).toContain(
        'final_snapshot_identifier must start with a letter',
      );
    }, 120_000);
  },
);
