/**
 * What the files the service writes do to a database, measured with real Terraform and the AWS provider
 * from this machine's mirror against moto's server (issue 12, "Proof"): each change updates the database
 * in place, never replaces it; a major upgrade replaces only the parameter and option groups, created
 * before destroyed; a retirement first plans only updates (deletion protection off, the final snapshot
 * as the policy says) and then destroys the database, keeping the final snapshot where the policy says.
 *
 * Each database's root is the file the service renders, in a copy of the repository whose module admits
 * the mirror's provider (test/support/terraform-mirror.ts), plus an override file that points the
 * provider at its own moto server and keeps the state in a local backend instead of S3. The database is
 * created with `terraform apply`; then each change, read back from the file the previous one wrote, is
 * planned (`plan -out`, `show -json`) against that real state. Applying every change in turn would take
 * minutes per change (the provider waits at least 30 s after each RDS call, and moto answers
 * rds-ca-default for a new instance, so the provider modifies and reboots each one), so the changes are
 * planned against the database as created and each change's own effect is what moves between its plan
 * and the previous one. The instance's changes are then applied together (all but what moto cannot
 * apply, said when skipped) and it is retired in two steps; the dev cluster is retired in one. The two
 * databases run side by side, eight to ten minutes here, most of it the provider's waits.
 *
 * moto does not keep or echo back a few settings, so every plan against it shows them as updates
 * (MOTO_DRIFT): the plan of the unchanged file proves that they, and nothing else, move.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import type { CurrentDatabase } from '../../src/domain/change.js';
import type { Policy } from '../../src/domain/policy.js';
import { unprotectedSpec } from '../../src/domain/retire.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { ROOT } from '../support/cli.js';
import { afterChanges, createdDatabase } from '../support/database-life.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import { motoNetwork, motoQuery, policyInNetwork, xmlField } from '../support/moto-rds.js';
import { MotoTerraformRoot } from '../support/moto-terraform-root.js';
import { provider, terraformEnv, terraformUsable } from '../support/terraform-mirror.js';

const usable = terraformUsable && existsSync(join(ROOT, '.venv/bin/moto_server'));
const REGION = 'eu-west-1';
const RETIRE_ID = '01JD7B0000RETIRE0000CMS000';

type Attributes = Record<string, unknown>;
interface ResourceChange {
  address: string;
  mode: string;
  type: string;
  change: {
    actions: string[];
    before: Attributes | null;
    after: Attributes | null;
    after_unknown: Attributes | null;
  };
}
/** A saved plan's managed resources, keyed by address within the database's module. */
type Plan = Map<string, ResourceChange>;

/**
 * What moto does not keep or echo back, by resource type: every plan against moto shows these as updates
 * of the resource (the plan of the unchanged file asserts that nothing else moves).
 */
const MOTO_DRIFT: Record<string, { keys: string[]; why: string }> = {
  aws_rds_cluster: {
    keys: ['engine_lifecycle_support', 'scaling_configuration'],
    why: 'moto keeps no EngineLifecycleSupport, and answers an empty ScalingConfigurationInfo for a provisioned cluster',
  },
  aws_db_instance: {
    keys: [
      'engine_lifecycle_support',
      'performance_insights_enabled',
      'performance_insights_kms_key_id',
      'performance_insights_retention_period',
    ],
    why: 'moto keeps neither EngineLifecycleSupport nor Performance Insights for an instance',
  },
  aws_db_parameter_group: {
    keys: ['parameter'],
    why: "moto's DescribeDBParameters (Source=user) returns none of a MySQL group's parameters",
  },
  aws_vpc_security_group_ingress_rule: {
    keys: ['description', 'referenced_security_group_id'],
    why: "moto's DescribeSecurityGroupRules drops the description and answers the group as account/sg-…",
  },
};

/** The resources that are the database: none may ever be replaced. */
const DATABASE_TYPES = new Set(['aws_rds_cluster', 'aws_rds_cluster_instance', 'aws_db_instance']);

const json = (value: unknown) => JSON.stringify(value ?? null);
const unknown = (value: unknown) => json(value).includes('true');
const isReplace = (actions: string[]) => actions.includes('create') && actions.includes('delete');

/** Read-only attributes that move with the clock, not with the file (RDS and moto both refresh them). */
const CLOCK = new Set(['latest_restorable_time']);

/** Attribute names whose planned value differs between two views of one resource. */
function differing(a: Attributes | null, b: Attributes | null, aUnknown = {}, bUnknown = {}): string[] {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys]
    .filter(
      (k) =>
        (!CLOCK.has(k) && json(a?.[k]) !== json(b?.[k])) ||
        unknown((aUnknown as Attributes)[k]) !== unknown((bUnknown as Attributes)[k]),
    )
    .sort();
}

/** Per resource, what a plan moves from the state ('(create)', '(delete)' for a whole resource). */
function fromState(plan: Plan): Record<string, string[]> {
  const moved: Record<string, string[]> = {};
  for (const [address, { change }] of plan) {
    if (change.actions.includes('no-op')) continue;
    if (isReplace(change.actions) || change.actions.length !== 1 || change.actions[0] !== 'update')
      moved[address] = [`(${change.actions.join(',')})`];
    else moved[address] = differing(change.before, change.after, {}, change.after_unknown ?? {});
  }
  return moved;
}

/** Per resource, what one plan moves beyond the previous one (both against the same state). */
function movedBetween(previous: Plan, plan: Plan): Record<string, string[]> {
  const moved: Record<string, string[]> = {};
  for (const address of new Set([...previous.keys(), ...plan.keys()])) {
    const before = previous.get(address);
    const after = plan.get(address);
    if (!before || !after) {
      moved[address] = [before ? '(gone)' : '(new)'];
      continue;
    }
    const keys = differing(
      before.change.after,
      after.change.after,
      before.change.after_unknown ?? {},
      after.change.after_unknown ?? {},
    );
    if (keys.length > 0) moved[address] = keys;
  }
  return moved;
}

/** What moves from the state beyond moto's drift. */
function beyondDrift(plan: Plan): Record<string, string[]> {
  const moved: Record<string, string[]> = {};
  for (const [address, keys] of Object.entries(fromState(plan))) {
    const drift = MOTO_DRIFT[plan.get(address)?.type ?? '']?.keys ?? [];
    const own = keys.filter((k) => !drift.includes(k));
    if (own.length > 0) moved[address] = own;
  }
  return moved;
}

/** The plan's actions, resource by resource, no-ops left out. */
function actionsOf(plan: Plan): Record<string, string> {
  return Object.fromEntries(
    [...plan]
      .filter(([, rc]) => !rc.change.actions.includes('no-op'))
      .map(([address, rc]) => [address, rc.change.actions.join(',')]),
  );
}

/** Every resource whose planned attributes have tags: a tag change moves exactly tags and tags_all there. */
function tagged(plan: Plan): Record<string, string[]> {
  return Object.fromEntries(
    [...plan]
      .filter(([, rc]) => rc.change.after !== null && 'tags' in rc.change.after)
      .map(([address]) => [address, ['tags', 'tags_all']]),
  );
}

/** Whether moto can create an option group for this engine's major version (moto 5.2.5 knows no MySQL 8.4). */
async function motoCreatesOptionGroup(moto: MotoServer, engine: string, major: string): Promise<boolean> {
  const name = `probe-${engine}-${major.replace('.', '-')}`;
  try {
    await motoQuery(moto, 'rds', {
      Action: 'CreateOptionGroup',
      OptionGroupName: name,
      EngineName: engine,
      MajorEngineVersion: major,
      OptionGroupDescription: 'does moto know this major version',
    });
  } catch (error) {
    if (String(error).includes(`Cannot find major version ${major}`)) return false;
    throw error;
  }
  await motoQuery(moto, 'rds', { Action: 'DeleteOptionGroup', OptionGroupName: name });
  return true;
}

describe.skipIf(!usable)(
  `a database's life with real Terraform and hashicorp/aws ${provider?.version} against moto`,
  () => {
    // Made in beforeAll: the describe's body runs even when it is skipped, and afterAll then does not.
    let work: string;
    let env: Record<string, string>;
    /**
     * Each database has a moto server of its own: moto gives every DB instance the same DbiResourceId
     * (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U), and the provider finds an aws_db_instance by it, so it cannot
     * find the MySQL instance once the Aurora cluster's instances share its server.
     */
    interface Emulator {
      moto: MotoServer;
      policy: Policy;
    }
    let forCluster: Emulator;
    let forInstance: Emulator;

    /** A moto server, and the packaged policy in its network with a minor version to move to in each family. */
    async function emulator(): Promise<Emulator> {
      const moto = await startMoto(REGION);
      const policy = policyInNetwork(
        await motoNetwork(moto),
        ['dev', 'staging'],
        [
          [
            ['engines', 'postgres', 'aurora', 'allowed'],
            ['17.5', '16.9', '16.6'],
          ],
          [
            ['engines', 'mysql', 'instance', 'allowed'],
            ['8.4', '8.0', '8.0.41', '8.0.40'],
          ],
        ],
      );
      return { moto, policy };
    }

    /** A database's root as the service writes it (MotoTerraformRoot), its plans read by address. */
    class Root {
      private constructor(
        private readonly root: MotoTerraformRoot,
        private readonly dbName: string,
      ) {}

      static async init(spec: DatabaseSpec, moto: MotoServer): Promise<Root> {
        return new Root(await MotoTerraformRoot.init(spec, moto, work, env), spec.dbName);
      }

      write(spec: DatabaseSpec) {
        this.root.write(spec);
      }

      terraform(...args: string[]): Promise<string> {
        return this.root.terraform(...args);
      }

      /** `plan -out` and `show -json`: the plan's managed resources, by address within the module. */
      async plan(name: string, mode: '-destroy' | '' = ''): Promise<{ file: string; plan: Plan }> {
        const { file, json } = await this.root.plan(name, ...(mode ? [mode] : []));
        const shown = JSON.parse(json) as {
          resource_changes?: ResourceChange[];
        };
        const prefix = `module.${this.dbName}.`;
        const plan: Plan = new Map(
          (shown.resource_changes ?? [])
            .filter((rc) => rc.mode === 'managed')
            .map((rc) => [rc.address.startsWith(prefix) ? rc.address.slice(prefix.length) : rc.address, rc]),
        );
        return { file, plan };
      }

      apply(file: string) {
        return this.root.apply(file);
      }
    }

    /**
     * The report: each plan's actions, resource by resource, and what `label` says moves there (the
     * step's own effect, or moto's drift for the unchanged file); an update with nothing under the label
     * is moto's drift, or an earlier change the plan still carries.
     */
    function report(
      database: string,
      step: string,
      plan: Plan,
      moved: Record<string, string[]>,
      label = 'moves',
    ) {
      const lines = Object.entries(actionsOf(plan)).map(([address, actions]) => {
        const own = moved[address];
        return `    ${address}: [${actions}]${own ? ` ${label} ${own.join(', ')}` : ''}`;
      });
      console.log(`${database}: ${step}\n${lines.join('\n') || '    (no changes)'}`);
    }

    /** No resource of the database itself is ever replaced, and only the listed groups are. */
    function expectNoReplacement(plan: Plan, replaced: string[] = []) {
      const replacements = [...plan].filter(([, rc]) => isReplace(rc.change.actions));
      expect(replacements.map(([address]) => address).sort()).toEqual([...replaced].sort());
      for (const [, rc] of replacements) {
        expect(DATABASE_TYPES.has(rc.type)).toBe(false);
        // create_before_destroy: the new group exists before the database moves to it.
        expect(rc.change.actions).toEqual(['create', 'delete']);
      }
    }

    /** The database's own resources have exactly these actions (the others at most update, for drift). */
    function expectDatabaseActions(plan: Plan, expected: Record<string, string>) {
      const database = Object.fromEntries(
        Object.entries(actionsOf(plan)).filter(([address]) =>
          DATABASE_TYPES.has(plan.get(address)?.type ?? ''),
        ),
      );
      expect(database).toEqual(expected);
    }

    /** The plan of the unchanged file, just after the apply: moto's drift and nothing else. */
    async function expectOnlyDrift(root: Root, database: string, name: string): Promise<Plan> {
      const { plan } = await root.plan(name);
      const drift = fromState(plan);
      report(database, `${name} (the file unchanged)`, plan, drift, 'drift:');
      const why = new Set(
        Object.keys(drift).map((address) => MOTO_DRIFT[plan.get(address)?.type ?? '']?.why),
      );
      console.log(`    (${[...why].filter(Boolean).join('; ')})`);
      for (const [address, keys] of Object.entries(drift)) {
        const type = plan.get(address)?.type ?? '';
        expect(
          keys.filter((k) => !MOTO_DRIFT[type]?.keys.includes(k)),
          `${address} moves`,
        ).toEqual([]);
      }
      return plan;
    }

    /** A change as the service takes it, and what its plan must show. */
    interface ChangeStep {
      name: string;
      change: object;
      /** The actions of the database's own resources (an update may also carry moto's drift). */
      actions: Record<string, string>;
      /** What this change alone moves, resource by resource (the groups it replaces left out). */
      moved: (plan: Plan) => Record<string, string[]>;
      /** The groups it replaces, created before destroyed. */
      replaced?: string[];
    }

    /** A database created with `terraform apply` from the file its request leaves, in its own moto. */
    interface Life {
      name: string;
      emulator: Emulator;
      root: Root;
      created: CurrentDatabase;
      /** The plan of the file unchanged, just after the apply. */
      baseline: Plan;
    }

    async function create(name: string, emulator: Emulator, request: object): Promise<Life> {
      const created = createdDatabase(request, emulator.policy);
      const root = await Root.init(created.spec, emulator.moto);
      await root.terraform('apply', '-input=false', '-auto-approve');
      return { name, emulator, root, created, baseline: await expectOnlyDrift(root, name, 'as created') };
    }

    /**
     * Each change in turn, read back from the file the previous one wrote, planned against the database as
     * created: its own effect is what moves between its plan and the previous one.
     */
    async function planChanges(
      expect: ExpectStatic,
      life: Life,
      steps: ChangeStep[],
    ): Promise<Array<{ file: string; database: CurrentDatabase; plan: Plan }>> {
      const planned: Array<{ file: string; database: CurrentDatabase; plan: Plan }> = [];
      let previous = { database: life.created, plan: life.baseline };
      for (const [n, step] of steps.entries()) {
        const database = afterChanges(previous.database, [step.change], life.emulator.policy);
        life.root.write(database.spec);
        const { file, plan } = await life.root.plan(`change-${n + 1}`);
        const moved = movedBetween(previous.plan, plan);
        report(life.name, step.name, plan, moved);
        expectNoReplacement(plan, step.replaced);
        expectDatabaseActions(plan, step.actions);
        const groups = new Set(step.replaced ?? []);
        expect
          .soft(Object.fromEntries(Object.entries(moved).filter(([a]) => !groups.has(a))), step.name)
          .toEqual(step.moved(plan));
        previous = { database, plan };
        planned.push({ file, database, plan });
      }
      return planned;
    }

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'rdsp-plan-moto-'));
      env = { ...terraformEnv(work), AWS_EC2_METADATA_DISABLED: 'true' };
      // The staging instance's monitoring role attaches an AWS managed policy, which moto loads only so.
      const previous = process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
      process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = 'true';
      try {
        [forCluster, forInstance] = await Promise.all([emulator(), emulator()]);
      } finally {
        if (previous === undefined) delete process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
        else process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = previous;
      }
    }, 120_000);

    afterAll(async () => {
      await Promise.all([forCluster?.moto.stop(), forInstance?.moto.stop()]);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it.concurrent('dev Aurora PostgreSQL (provisioned): size, a reader, a minor version, tags and owner update the cluster in place; 16 → 17 with allow_major_version_upgrade replaces only its parameter groups, created before destroyed; retired in one step, destroyed without a final snapshot as dev says', async ({
      expect,
    }) => {
      const life = await create('orders (dev, Aurora PostgreSQL)', forCluster, {
        db_name: 'orders',
        engine: 'postgres',
        environment: 'dev',
        deployment: 'aurora',
        engine_version: '16.6',
      });
      const { moto, policy } = forCluster;
      const { name: db, root, created } = life;

      const cluster = 'aws_rds_cluster.this[0]';
      const writer = 'aws_rds_cluster_instance.this[0]';
      const reader = 'aws_rds_cluster_instance.this[1]';
      const clusterGroup = 'aws_rds_cluster_parameter_group.this[0]';
      const instanceGroup = 'aws_db_parameter_group.this';
      expectDatabaseActions(life.baseline, { [cluster]: 'update' });
      const steps: ChangeStep[] = [
        {
          name: 'size small → medium',
          change: { size: 'medium' },
          actions: { [cluster]: 'update', [writer]: 'update' },
          moved: () => ({ [writer]: ['instance_class'] }),
        },
        {
          name: 'instances 1 → 2',
          change: { instances: 2 },
          actions: { [cluster]: 'update', [writer]: 'update', [reader]: 'create' },
          moved: () => ({ [reader]: ['(new)'] }),
        },
        {
          name: 'minor version 16.6 → 16.9',
          change: { engine_version: '16.9' },
          actions: { [cluster]: 'update', [writer]: 'update', [reader]: 'create' },
          moved: () => ({
            [cluster]: ['engine_version'],
            [writer]: ['engine_version'],
            [reader]: ['engine_version'],
          }),
        },
        {
          name: 'tags (team = payments)',
          change: { tags: { team: 'payments' } },
          actions: { [cluster]: 'update', [writer]: 'update', [reader]: 'create' },
          moved: tagged,
        },
        {
          name: 'owner unassigned → team-orders',
          change: { owner: 'team-orders' },
          actions: { [cluster]: 'update', [writer]: 'update', [reader]: 'create' },
          moved: tagged,
        },
        {
          name: 'major version 16.9 → 17.5 with allow_major_version_upgrade',
          change: { engine_version: '17.5', allow_major_version_upgrade: true },
          actions: { [cluster]: 'update', [writer]: 'update', [reader]: 'create' },
          replaced: [clusterGroup, instanceGroup],
          moved: () => ({
            [cluster]: [
              'allow_major_version_upgrade',
              'db_cluster_parameter_group_name',
              'db_instance_parameter_group_name',
              'engine_version',
            ],
            [writer]: ['db_parameter_group_name', 'engine_version'],
            [reader]: ['db_parameter_group_name', 'engine_version'],
          }),
        },
      ];

      const planned = await planChanges(expect, life, steps);
      const last = planned.at(-1);
      if (!last) throw new Error('no change planned');
      // The groups a major upgrade replaces are the new major version's.
      expect(last.plan.get(clusterGroup)?.change.after?.family).toBe('aurora-postgresql17');
      expect(last.plan.get(instanceGroup)?.change.after?.family).toBe('aurora-postgresql17');

      // dev keeps no final snapshot and has no deletion protection: the file goes at once.
      const environment = policy.environments.dev;
      if (!environment) throw new Error('no dev environment');
      expect(unprotectedSpec(last.database.spec, environment, RETIRE_ID)).toBeNull();
      const { file, plan } = await root.plan('retire', '-destroy');
      report(db, 'retire: the file removed, plan -destroy', plan, {});
      expect(new Set(Object.values(actionsOf(plan)))).toEqual(new Set(['delete']));
      expect(plan.get(cluster)?.change.before).toMatchObject({
        deletion_protection: false,
        skip_final_snapshot: true,
        final_snapshot_identifier: created.spec.finalSnapshotIdentifier,
      });
      await root.apply(file);
      const clusters = await motoQuery(moto, 'rds', { Action: 'DescribeDBClusters' });
      expect(clusters).not.toContain('<DBClusterIdentifier>orders</DBClusterIdentifier>');
      const snapshots = await motoQuery(moto, 'rds', { Action: 'DescribeDBClusterSnapshots' });
      expect(snapshots).not.toContain('orders-final-');
    }, 1_200_000);

    it.concurrent('staging MySQL instance: size, a minor version, tags and owner update the instance in place; 8.0 → 8.4 with allow_major_version_upgrade replaces only its parameter and option groups, created before destroyed; retired in two steps: deletion protection off (an update only), then destroyed, keeping the final snapshot', async ({
      expect,
    }) => {
      const life = await create('cms (staging, MySQL instance)', forInstance, {
        db_name: 'cms',
        engine: 'mysql',
        environment: 'staging',
        deployment: 'instance',
        engine_version: '8.0.40',
      });
      const { moto, policy } = forInstance;
      const { name: db, root, created } = life;
      const instance = 'aws_db_instance.this[0]';
      const parameters = 'aws_db_parameter_group.this';
      const options = 'aws_db_option_group.this[0]';
      // The instance is updated in every plan: moto's drift, then each change.
      const actions = { [instance]: 'update' };
      expectDatabaseActions(life.baseline, actions);
      const steps: ChangeStep[] = [
        {
          name: 'size small → medium',
          change: { size: 'medium' },
          actions,
          moved: () => ({ [instance]: ['allocated_storage', 'instance_class', 'max_allocated_storage'] }),
        },
        {
          name: 'minor version 8.0.40 → 8.0.41',
          change: { engine_version: '8.0.41' },
          actions,
          moved: () => ({ [instance]: ['engine_version'] }),
        },
        { name: 'tags (team = content)', change: { tags: { team: 'content' } }, actions, moved: tagged },
        { name: 'owner unassigned → team-cms', change: { owner: 'team-cms' }, actions, moved: tagged },
        {
          name: 'major version 8.0.41 → 8.4 with allow_major_version_upgrade',
          change: { engine_version: '8.4', allow_major_version_upgrade: true },
          actions,
          replaced: [parameters, options],
          moved: () => ({
            [instance]: [
              'allow_major_version_upgrade',
              'engine_version',
              'option_group_name',
              'parameter_group_name',
            ],
          }),
        },
      ];

      const planned = await planChanges(expect, life, steps);
      const major = planned.at(-1)?.plan;
      expect(major?.get(parameters)?.change.after?.family).toBe('mysql8.4');
      expect(major?.get(options)?.change.after?.major_engine_version).toBe('8.4');

      // The changes applied at once (each plan holds the ones before it): the database as they left it.
      // The unprotect plan below moves nothing else beyond moto's drift, so the apply converged.
      let applied = planned.at(-1);
      if (!(await motoCreatesOptionGroup(moto, 'mysql', '8.4'))) {
        console.warn(
          `${db}: skipped applying the major upgrade (planned above): moto's CreateOptionGroup knows no MySQL 8.4 ("Cannot find major version 8.4 for mysql"); the changes before it are applied instead`,
        );
        applied = planned.at(-2);
      }
      if (!applied) throw new Error('no change planned');
      await root.apply(applied.file);

      // Retirement, step 1: the pull request that turns deletion protection off, applied before the file goes.
      const environment = policy.environments.staging;
      if (!environment) throw new Error('no staging environment');
      const unprotected = unprotectedSpec(applied.database.spec, environment, RETIRE_ID);
      if (!unprotected)
        throw new Error('staging protects its databases: the retirement must unprotect first');
      expect(unprotected).toMatchObject({ deletionProtection: false, skipFinalSnapshot: false });
      root.write(unprotected);
      const first = await root.plan('retire-unprotect');
      report(db, 'retire step 1: unprotect', first.plan, beyondDrift(first.plan));
      expectNoReplacement(first.plan);
      expect(new Set(Object.values(actionsOf(first.plan)))).toEqual(new Set(['update']));
      expect(beyondDrift(first.plan)).toEqual({ [instance]: ['deletion_protection'] });
      expect(first.plan.get(instance)?.change.after).toMatchObject({
        deletion_protection: false,
        skip_final_snapshot: false,
      });
      await root.apply(first.file);

      // Step 2: the file goes; the pipeline plans -destroy from the base's file and the root's state.
      const second = await root.plan('retire', '-destroy');
      report(db, 'retire step 2: the file removed, plan -destroy', second.plan, {});
      expect(new Set(Object.values(actionsOf(second.plan)))).toEqual(new Set(['delete']));
      const finalSnapshot = created.spec.finalSnapshotIdentifier ?? '';
      expect(finalSnapshot).toMatch(/^cms-final-[a-z0-9]{8}$/);
      expect(second.plan.get(instance)?.change.before).toMatchObject({
        deletion_protection: false,
        skip_final_snapshot: false,
        final_snapshot_identifier: finalSnapshot,
      });
      await root.apply(second.file);
      const snapshot = await motoQuery(moto, 'rds', {
        Action: 'DescribeDBSnapshots',
        DBSnapshotIdentifier: finalSnapshot,
      });
      expect(xmlField(snapshot, 'DBInstanceIdentifier')).toBe('cms');
      const instances = await motoQuery(moto, 'rds', { Action: 'DescribeDBInstances' });
      expect(instances).not.toContain('<DBInstanceIdentifier>cms</DBInstanceIdentifier>');
    }, 1_200_000);
  },
);
