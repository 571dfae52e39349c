import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';
import { ROOT, runCli } from '../support/cli.js';
import { parseHcl } from '../support/hcl.js';
import { policyWithLayout, writePolicyWithLayout } from '../support/layouts.js';
import { tempDir } from '../support/server.js';

/**
 * The migration end to end, with real git and real Terraform 1.11.4: a repository in the single-root
 * layout, its files rendered by the real renderer, moved by `rds-provisioner migrate-layout`, and the
 * state cut per database by the script it writes. The AWS provider cannot be installed here, so the roots
 * are never planned: the module inputs are compared instead (docs/migration.md says what ran where).
 */

const singleRoot = policyWithLayout('single-root');
const perDatabase = policyWithLayout('per-database');
const REQUESTS = [
  { db_name: 'orders', engine: 'postgres', environment: 'dev' },
  { db_name: 'billing', engine: 'mysql', environment: 'staging', deployment: 'instance' },
  { db_name: 'ledger', engine: 'postgres', environment: 'prod', owner: 'team-l', tags: { app: 'ledger' } },
] as const;
const requestId = (i: number) => `01JMIGRATE${i}`;
const LAYOUT_FILES = ['providers.tf', 'networks.tf', 'networks.auto.tfvars', 'providers.auto.tfvars'];

function specOf(request: object, policy: typeof singleRoot, id: string) {
  const result = resolveRequest(request, policy, { requestId: id });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
}

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
/** Terraform without the machine's CLI configuration or any TF_CLI_ARGS, so only the flags given count. */
const TERRAFORM_ENV = Object.fromEntries(
  Object.entries({ ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', TF_IN_AUTOMATION: '1' }).filter(
    ([key]) => !key.startsWith('TF_CLI_ARGS'),
  ),
);
const terraform = (cwd: string, ...args: string[]) =>
  execFileSync('terraform', args, { cwd, env: TERRAFORM_ENV, encoding: 'utf8' });

interface StateResource {
  module?: string;
  mode: string;
  type: string;
  name: string;
  instances: Array<{ index_key?: string | number; attributes: Record<string, unknown> }>;
}
interface State {
  serial: number;
  lineage: string;
  resources: StateResource[];
}
const readState = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as State;
/** Every resource instance's address, as `terraform state list` spells it. */
const addresses = (state: State) =>
  state.resources
    .flatMap((r) =>
      r.instances.map((i) => {
        const key = i.index_key === undefined ? '' : `[${JSON.stringify(i.index_key)}]`;
        return `${r.module ? `${r.module}.` : ''}${r.type}.${r.name}${key}`;
      }),
    )
    .sort();

/** Resources in Terraform's order (it sorts what it writes), for comparing states whole. */
const sorted = (resources: StateResource[]) =>
  [...resources].sort((a, b) => {
    const key = (r: StateResource) => `${r.module ?? ''} ${r.type} ${r.name}`;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  });

/** A state as the single root holds it after applying the three databases, plus one resource of its own. */
function singleRootState(): State & Record<string, unknown> {
  const provider = 'provider["registry.terraform.io/hashicorp/aws"]';
  const resource = (
    module: string | undefined,
    type: string,
    name: string,
    keys: Array<string | number | undefined>,
  ) => ({
    ...(module ? { module } : {}),
    mode: 'managed',
    type,
    name,
    provider,
    instances: keys.map((key) => ({
      ...(key === undefined ? {} : { index_key: key }),
      schema_version: 0,
      attributes: {
        id: `${module ?? 'root'}-${type}-${key ?? 'x'}`,
        arn: `arn:aws:${type}:${module ?? 'root'}`,
      },
      sensitive_attributes: [],
    })),
  });
  return {
    version: 4,
    terraform_version: '1.11.4',
    serial: 42,
    lineage: '5f0d8f3e-1c9a-4b1e-9d57-3a2f6b0c8e11',
    outputs: {},
    resources: [
      ...REQUESTS.flatMap(({ db_name }) => [
        resource(`module.${db_name}`, 'aws_kms_key', 'this', [undefined]),
        resource(`module.${db_name}`, 'aws_db_subnet_group', 'this', [undefined]),
        resource(`module.${db_name}`, 'aws_rds_cluster_instance', 'this', ['one', 'two']),
        resource(`module.${db_name}`, 'aws_cloudwatch_log_group', 'this', ['postgresql', 'upgrade']),
      ]),
      resource(undefined, 'aws_s3_bucket', 'kept', [undefined]),
    ],
    check_results: null,
  };
}

describe('rds-provisioner migrate-layout: single root to a root per database', () => {
  let repo: string;
  let policyFile: string;
  const oldFiles = new Map<string, string>();

  beforeAll(() => {
    repo = tempDir('migrate-repo');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'test@example.com');
    git(repo, 'config', 'user.name', 'test');
    const put = (path: string, content: string) => {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), content);
    };
    // The single root as the original system left it (its local state stands in for S3: no backend.tf).
    mkdirSync(join(repo, 'terraform/live'), { recursive: true });
    for (const file of LAYOUT_FILES)
      copyFileSync(join(ROOT, 'terraform/layouts/single-root', file), join(repo, 'terraform/live', file));
    put('terraform/live/backend.hcl', readFileSync(join(ROOT, 'terraform/live/backend.hcl'), 'utf8'));
    REQUESTS.forEach((request, i) => {
      const spec = specOf(request, singleRoot, requestId(i));
      const text = renderTerraform(spec);
      oldFiles.set(request.db_name, text);
      put(spec.location.file, text);
    });
    put('terraform/live/terraform.tfstate', `${JSON.stringify(singleRootState(), null, 2)}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'single root');
    policyFile = DEFAULT_POLICY_PATH;
  });

  it('refuses bad input naming the file or setting, and writes nothing', async () => {
    const before = git(repo, 'status', '--porcelain');
    const singleRootPolicy = writePolicyWithLayout('single-root');
    const notPerDatabase = await runCli([
      'migrate-layout',
      '--config',
      singleRootPolicy,
      '--repo',
      repo,
      '--write',
    ]);
    expect(notPerDatabase).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `${singleRootPolicy}: git.layout: is single-root: give the per-database policy the databases move to (--config)\n`,
    });
    const empty = tempDir('migrate-empty');
    const noFiles = await runCli(['migrate-layout', '--config', policyFile, '--repo', empty, '--write']);
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toContain('terraform/live/backend.hcl: does not exist');
    expect(noFiles.stderr).toContain('terraform/live: holds no file rds-provisioner generated');
    mkdirSync(join(repo, 'terraform/live/dev/orders'), { recursive: true });
    writeFileSync(join(repo, 'terraform/live/dev/orders/main.tf'), '# already here\n');
    const taken = await runCli(['migrate-layout', '--config', policyFile, '--repo', repo, '--write']);
    execFileSync('rm', ['-r', join(repo, 'terraform/live/dev')]);
    expect(taken).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'terraform/live/dev/orders/main.tf: already exists: terraform/live/orders.tf would move there; a migration never overwrites a root\n',
    });
    expect(git(repo, 'status', '--porcelain')).toBe(before);
    expect(existsSync(join(repo, 'migrate-state.sh'))).toBe(false);
  });

  it('says what it would do without --write, and changes nothing', async () => {
    const run = await runCli(['migrate-layout', '--config', policyFile, '--repo', repo]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        'would move terraform/live/billing.tf -> terraform/live/staging/billing/main.tf (module.billing, state key rds-provisioner/staging/billing/terraform.tfstate)',
        'would move terraform/live/ledger.tf -> terraform/live/prod/ledger/main.tf (module.ledger, state key rds-provisioner/prod/ledger/terraform.tfstate)',
        'would move terraform/live/orders.tf -> terraform/live/dev/orders/main.tf (module.orders, state key rds-provisioner/dev/orders/terraform.tfstate)',
        'would write migrate-state.sh; run again with --write',
        '',
      ].join('\n'),
    );
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  describe('with --write', () => {
    beforeAll(async () => {
      const run = await runCli(['migrate-layout', '--config', policyFile, '--repo', repo, '--write']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
    });

    it("writes each root as renderTerraform writes it under the per-database policy, and removes the single root's files of it", async () => {
      for (const [i, request] of REQUESTS.entries()) {
        const spec = specOf(request, perDatabase, requestId(i));
        const written = readFileSync(join(repo, spec.location.file), 'utf8');
        expect(written).toBe(renderTerraform(spec));
        expect(await parseHcl('main.tf', written)).toEqual(await parseHcl('main.tf', renderTerraform(spec)));
        expect(existsSync(join(repo, `terraform/live/${request.db_name}.tf`))).toBe(false);
      }
      const status = git(repo, 'status', '--porcelain', '--untracked-files=all')
        .split('\n')
        .filter(Boolean)
        .sort();
      expect(status).toEqual([
        ' D terraform/live/billing.tf',
        ' D terraform/live/ledger.tf',
        ' D terraform/live/orders.tf',
        '?? migrate-state.sh',
        '?? terraform/live/dev/orders/main.tf',
        '?? terraform/live/prod/ledger/main.tf',
        '?? terraform/live/staging/billing/main.tf',
      ]);
    });

    it("keeps every module's address and its inputs, once var.networks is read from networks.auto.tfvars", async () => {
      const tfvars = (await parseHcl(
        'networks.auto.tfvars',
        readFileSync(join(ROOT, 'terraform/layouts/single-root/networks.auto.tfvars'), 'utf8'),
      )) as { networks: Record<string, Record<string, unknown>> };
      type Modules = { module: Record<string, Array<Record<string, unknown>>> };
      for (const [i, request] of REQUESTS.entries()) {
        const location = specOf(request, perDatabase, requestId(i)).location;
        const before = (await parseHcl('old.tf', oldFiles.get(request.db_name) as string)) as Modules;
        const after = (await parseHcl('main.tf', readFileSync(join(repo, location.file), 'utf8'))) as Modules;
        expect(Object.keys(after.module)).toEqual([request.db_name]);
        const resolved = Object.fromEntries(
          Object.entries(before.module[request.db_name]?.[0] ?? {}).map(([name, value]) => {
            const ref =
              typeof value === 'string' && /^\$\{var\.networks\["([a-z]+)"\]\.([a-z_]+)\}$/.exec(value);
            return [name, ref ? tfvars.networks[ref[1] as string]?.[ref[2] as string] : value];
          }),
        );
        const { source: oldSource, ...oldInputs } = resolved;
        const { source: newSource, ...newInputs } = after.module[request.db_name]?.[0] ?? {};
        expect(newInputs).toEqual(oldInputs);
        expect([oldSource, newSource]).toEqual(['../modules/rds', '../../../modules/rds']);
      }
    });

    it("cuts the single root's state with real terraform state mv: each database's resources in its own file at the same addresses, a backup, nothing lost", () => {
      const work = tempDir('migrate-work');
      const script = join(repo, 'migrate-state.sh');
      const original = readState(join(repo, 'terraform/live/terraform.tfstate'));
      const run = (step: string) =>
        execFileSync('bash', [script, step, work], { cwd: repo, env: TERRAFORM_ENV, encoding: 'utf8' });
      const out = run('split');
      expect(out).toContain(`backup: ${work}/single-root.backup.tfstate`);
      const backup = readState(join(work, 'single-root.backup.tfstate'));
      expect({ ...backup, resources: sorted(backup.resources) }).toEqual({
        ...original,
        resources: sorted(original.resources),
      });

      const moved: string[] = [];
      for (const { db_name, environment } of REQUESTS) {
        const state = readState(join(work, environment, `${db_name}.tfstate`));
        const expected = addresses(original).filter((a) => a.startsWith(`module.${db_name}.`));
        expect(expected).toHaveLength(6);
        expect(addresses(state)).toEqual(expected);
        // Terraform's own reading of the file agrees.
        expect(
          terraform(work, 'state', 'list', `-state=${environment}/${db_name}.tfstate`)
            .trim()
            .split('\n')
            .sort(),
        ).toEqual(expected);
        expect(sorted(state.resources)).toEqual(
          sorted(original.resources.filter((r) => r.module === `module.${db_name}`)),
        );
        moved.push(...expected);
      }
      const rest = readState(join(work, 'single-root.tfstate'));
      expect(addresses(rest)).toEqual(['aws_s3_bucket.kept']);
      expect([...moved, ...addresses(rest)].sort()).toEqual(addresses(original));
      // Same lineage, a higher serial: the single root accepts what remains without -force.
      expect(rest.lineage).toBe(original.lineage);
      expect(rest.serial).toBeGreaterThan(original.serial);

      // Run again: nothing moves twice.
      run('split');
      expect(readState(join(work, 'single-root.tfstate'))).toEqual(rest);

      // Rollback puts the backup back in the single root (the new roots were never initialised here).
      terraform(join(repo, 'terraform/live'), 'state', 'push', join(work, 'single-root.tfstate'));
      expect(addresses(readState(join(repo, 'terraform/live/terraform.tfstate')))).toEqual([
        'aws_s3_bucket.kept',
      ]);
      run('rollback');
      expect(addresses(readState(join(repo, 'terraform/live/terraform.tfstate')))).toEqual(
        addresses(original),
      );
    });
  });
});
