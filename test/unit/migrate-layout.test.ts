import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  type MigrationInput,
  type MigrationResult,
  planMigration,
  type RootFile,
} from '../../src/app/migrate-layout.js';
import type { Policy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { parseHcl } from '../support/hcl.js';
import { policyWithLayout } from '../support/layouts.js';

const singleRoot = policyWithLayout('single-root');
const perDatabase = policyWithLayout('per-database');

/** One request of each kind that changes how a root reads: every environment, every deployment. */
const REQUESTS = [
  { db_name: 'orders', engine: 'postgres', environment: 'dev' },
  { db_name: 'billing', engine: 'mysql', environment: 'staging', deployment: 'aurora', owner: 'team-b' },
  // prod's three subnets make subnet_ids a multi-line list: the network section is laid out anew.
  { db_name: 'ledger', engine: 'postgres', environment: 'prod', owner: 'team-l', tags: { app: 'ledger' } },
  { db_name: 'legacy', engine: 'mariadb', environment: 'prod', owner: 'team-m' },
] as const;

function rendered(request: object, policy: Policy, requestId: string) {
  const result = resolveRequest(request, policy, { requestId });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return { spec: result.value.spec, text: renderTerraform(result.value.spec) };
}

/** The single root's files as the original system leaves them: one generated file per database. */
const singleRootFiles = (requests: readonly object[] = REQUESTS): RootFile[] =>
  requests.map((request, i) => {
    const { spec, text } = rendered(request, singleRoot, `req-${i}`);
    return { path: spec.location.file, content: text };
  });

const EXISTING = new Set(['terraform/live/backend.hcl']);

function plan(overrides: Partial<MigrationInput> = {}): MigrationResult {
  return planMigration({
    policy: perDatabase,
    from: 'terraform/live/{db_name}.tf',
    files: [
      ...singleRootFiles(),
      { path: 'terraform/live/providers.tf', content: 'provider "aws" {}\n' },
      { path: 'terraform/live/README.md', content: '# live\n' },
    ],
    exists: (path) => EXISTING.has(path),
    ...overrides,
  });
}

const problemsOf = (result: MigrationResult) => (result.ok ? [] : result.problems);

describe('planMigration: single root to a root per database', () => {
  it('writes each database the root renderTerraform writes for the same request under the per-database policy, byte for byte', () => {
    const result = plan();
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.plan.oldRoot).toBe('terraform/live');
    expect(result.plan.moves.map((m) => [m.from, m.to.file])).toEqual([
      ['terraform/live/billing.tf', 'terraform/live/staging/billing/main.tf'],
      ['terraform/live/ledger.tf', 'terraform/live/prod/ledger/main.tf'],
      ['terraform/live/legacy.tf', 'terraform/live/prod/legacy/main.tf'],
      ['terraform/live/orders.tf', 'terraform/live/dev/orders/main.tf'],
    ]);
    for (const move of result.plan.moves) {
      const index = REQUESTS.findIndex((r) => r.db_name === move.dbName);
      const expected = rendered(REQUESTS[index] as object, perDatabase, `req-${index}`);
      expect(move.requestId).toBe(`req-${index}`);
      expect(move.environment).toBe(expected.spec.environment);
      expect(move.content).toBe(expected.text);
    }
  });

  it('changes nothing in the module block but its source and its network, spelled out', async () => {
    const result = plan();
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const ledger = result.plan.moves.find((m) => m.dbName === 'ledger');
    const old = singleRootFiles().find((f) => f.path === 'terraform/live/ledger.tf');
    const moduleOf = async (text: string) =>
      ((await parseHcl('main.tf', text)) as { module: Record<string, Array<Record<string, unknown>>> }).module
        .ledger?.[0] as Record<string, unknown>;
    const before = await moduleOf(old?.content ?? '');
    const after = await moduleOf(ledger?.content ?? '');
    const NETWORK = ['vpc_id', 'subnet_ids', 'allowed_security_group_ids', 'allowed_cidr_blocks'];
    const rest = (m: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'source' && !NETWORK.includes(k)));
    expect(rest(after)).toEqual(rest(before));
    expect(before.vpc_id).toMatch(/^\$\{var\.networks\["prod"\]\.vpc_id\}$/);
    expect(after).toMatchObject({
      source: '../../../modules/rds',
      vpc_id: 'vpc-00000000000000003',
      subnet_ids: ['subnet-00000000000000031', 'subnet-00000000000000032', 'subnet-00000000000000033'],
    });
  });

  it('writes a script that cuts the pulled state per database by module address, pushes it, and fails unless every plan is empty', () => {
    const result = plan();
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { script } = result.plan;
    execFileSync('bash', ['-n'], { input: script });
    expect(script).toContain(
      `terraform state mv -state="$WORK/single-root.tfstate" -state-out="$WORK"/'dev/orders.tfstate' 'module.orders' 'module.orders'`,
    );
    expect(script).toContain(
      `terraform -chdir='terraform/live/prod/ledger' init -input=false -backend-config='../../backend.hcl'`,
    );
    expect(script).toContain(
      `terraform -chdir='terraform/live/prod/ledger' state push "$WORK"/'prod/ledger.tfstate'`,
    );
    expect(script).toContain('cp "$WORK/single-root.tfstate" "$WORK/single-root.backup.tfstate"');
    expect(script).toContain('plan -input=false -lock=false -detailed-exitcode');
    expect(script).toContain(
      `for root in 'terraform/live/staging/billing' 'terraform/live/prod/ledger' 'terraform/live/prod/legacy' 'terraform/live/dev/orders' "$OLD_ROOT"; do`,
    );
    // The new roots' states are pushed before what remains goes back to the single root.
    expect(script.indexOf('state push "$WORK/single-root.tfstate"')).toBeGreaterThan(
      script.lastIndexOf('state push "$WORK"/\''),
    );
  });

  it('leaves files it did not generate alone', () => {
    const files = [
      ...singleRootFiles([REQUESTS[0]]),
      { path: 'terraform/live/hand-written.tf', content: 'module "hand-written" {}\n' },
    ];
    const result = plan({ files });
    expect(result.ok && result.plan.moves.map((m) => m.from)).toEqual(['terraform/live/orders.tf']);
  });
});

describe('planMigration: refusals name the file or setting, and plan nothing', () => {
  it('refuses a policy that is not per-database', () => {
    expect(problemsOf(plan({ policy: singleRoot }))).toEqual([
      {
        path: 'git.layout',
        message: 'is single-root: give the per-database policy the databases move to (--config)',
      },
    ]);
  });

  it('refuses a --from template that is not a single root', () => {
    expect(problemsOf(plan({ from: 'terraform/live/{environment}/{db_name}.tf' }))).toContainEqual({
      path: '--from',
      message: expect.stringContaining('must not contain a placeholder'),
    });
  });

  it('refuses a repository without generated single-root files', () => {
    const files = [{ path: 'terraform/live/providers.tf', content: 'provider "aws" {}\n' }];
    expect(problemsOf(plan({ files }))).toEqual([
      {
        path: 'terraform/live',
        message: expect.stringContaining('holds no file rds-provisioner generated'),
      },
    ]);
  });

  it('refuses a file whose environment is not in the policy, naming the file', () => {
    const { staging: _gone, ...environments } = perDatabase.environments;
    expect(problemsOf(plan({ policy: { ...perDatabase, environments } }))).toEqual([
      {
        path: 'terraform/live/billing.tf',
        message: 'its environment staging is not in the policy (environments: dev, prod)',
      },
    ]);
  });

  it('refuses a target root that already exists, naming it', () => {
    const exists = (path: string) => EXISTING.has(path) || path === 'terraform/live/dev/orders/main.tf';
    expect(problemsOf(plan({ exists }))).toEqual([
      {
        path: 'terraform/live/dev/orders/main.tf',
        message:
          'already exists: terraform/live/orders.tf would move there; a migration never overwrites a root',
      },
    ]);
  });

  it('refuses when the shared backend file the new roots initialise with is missing', () => {
    expect(problemsOf(plan({ exists: () => false }))).toEqual([
      {
        path: 'terraform/live/backend.hcl',
        message: expect.stringContaining(
          'does not exist: every new root initialises with this shared backend file',
        ),
      },
    ]);
  });

  it('refuses a file whose environment it cannot read, or whose header, tag and name disagree', () => {
    const [orders] = singleRootFiles([REQUESTS[0]]) as [RootFile];
    const edit = (from: string, to: string): RootFile => ({
      ...orders,
      content: orders.content.replace(from, to),
    });
    const cases: Array<[RootFile, string]> = [
      [edit('in dev, size', 'somewhere'), "cannot read its environment: the header's second line"],
      [
        edit('# orders: postgres', '# payments: postgres'),
        'its header names payments but its file name says orders',
      ],
      [
        edit('"environment" = "dev"', '"environment" = "prod"'),
        'its header says environment dev but its environment tag says prod',
      ],
      [
        edit('module "orders"', 'module "other"'),
        'has no module "orders" block as rds-provisioner writes it',
      ],
      [edit('var.networks["dev"].vpc_id', '"vpc-0123456789abcdef0"'), 'its network is neither var.networks'],
    ];
    for (const [file, message] of cases)
      expect(problemsOf(plan({ files: [file] }))).toEqual([
        { path: 'terraform/live/orders.tf', message: expect.stringContaining(message) },
      ]);
  });

  it('refuses a file name that is not a database name, which the script would otherwise spell', () => {
    const [orders] = singleRootFiles([REQUESTS[0]]) as [RootFile];
    const file = { path: "terraform/live/o'rders.tf", content: orders.content };
    expect(problemsOf(plan({ files: [file] }))).toEqual([
      {
        path: "terraform/live/o'rders.tf",
        message: expect.stringContaining("o'rders is not a database name"),
      },
    ]);
  });
});
