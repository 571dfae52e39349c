/**
 * `terraform validate` with the real Terraform binary on roots the service writes after a change: a major
 * upgrade (allow_major_version_upgrade = true), and apply_immediately as each environment's policy says.
 * Terraform itself checks the root's call against the module's variables, their types and their
 * validation rules, and the module's resources against the AWS provider's schema. Skipped where Terraform
 * or the provider mirror (/opt/tf-plugins; the registry cannot be reached here) is missing. Against a
 * mirror without 6.x, they run in the copy test/support/terraform-mirror.ts makes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { afterChanges, createdDatabase } from '../support/database-life.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';
import {
  admitMirror,
  provider,
  repositoryCopy,
  SINGLE_ROOT_LAYOUT,
  terraformEnv,
  terraformUsable,
} from '../support/terraform-mirror.js';

const work = mkdtempSync(join(tmpdir(), 'rdsp-validate-'));
const env = terraformEnv(work);

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
  const repo = repositoryCopy(work);
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
    name: 'single-root: dev Aurora Serverless MySQL, a minor version, then bigger with a reader',
    policy: writeSingleRootPolicy(mkdtempSync(join(work, 'policy-'))).policy.policy,
    request: {
      db_name: 'my-app-db',
      engine: 'mysql',
      environment: 'dev',
      engine_version: '8.0.mysql_aurora.3.04.4',
    },
    changes: [{ engine_version: '8.0.mysql_aurora.3.08.2' }, { size: 'medium', instances: 2 }],
  },
  {
    name: 'single-root: dev Aurora Serverless PostgreSQL moved to Aurora provisioned',
    policy: writeSingleRootPolicy(mkdtempSync(join(work, 'policy-'))).policy.policy,
    request: { db_name: 'pg-app', engine: 'postgres', environment: 'dev' },
    changes: [{ deployment: 'aurora', size: 'medium' }],
  },
];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!terraformUsable)(
  `terraform validate on roots after a change (hashicorp/aws ${provider?.version})`,
  () => {
    for (const { name, policy, request, changes } of CASES)
      it(`${name}: valid, with allow_major_version_upgrade and apply_immediately`, () => {
        const spec = afterChanges(createdDatabase(request, policy), changes, policy).spec;
        const text = renderTerraform(spec);
        const upgraded = changes.some((c) => 'allow_major_version_upgrade' in c);
        expect(/allow_major_version_upgrade += true/.test(text)).toBe(upgraded);
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
