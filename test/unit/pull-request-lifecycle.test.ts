/**
 * The pull request text of a change and of a retirement (src/render/pull-request-change.ts and
 * pull-request-retire.ts): a before/after table of only what moves, what applying it does in AWS, and for
 * a retirement exactly what is destroyed, checked against the module's own count and for_each conditions.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { applyChange, type ChangeV1 } from '../../src/domain/change.js';
import type { Policy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { unprotectedSpec } from '../../src/domain/retire.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import {
  finalSnapshotName,
  KMS_KEY_DELETION_WINDOW_DAYS,
  moduleResources,
} from '../../src/render/module-resources.js';
import { renderChangePullRequest } from '../../src/render/pull-request-change.js';
import { requestIdFromBody, requestIdMarker } from '../../src/render/pull-request-marker.js';
import { renderRetirePullRequest } from '../../src/render/pull-request-retire.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { type HclJson, parseHcl, parseTfDir } from '../support/hcl.js';
import { policyWithLayout } from '../support/layouts.js';

const packaged = loadPolicyFile().policy;
const gfm = new MarkdownIt({ html: true, linkify: true });
const CREATED = 'req-create-1';
const CHANGE = 'req-change-2';
const RETIRE = 'req-retire-3';

/** The packaged policy with each environment's apply_immediately set, so the tests do not follow its edits. */
function policyWith(applyImmediately: boolean, base: Policy = packaged): Policy {
  const environments = Object.fromEntries(
    Object.entries(base.environments).map(([name, env]) => [
      name,
      { ...env, apply_immediately: applyImmediately },
    ]),
  );
  return { ...base, environments };
}
const deferred = policyWith(false);
const immediate = policyWith(true);

function created(input: object, policy: Policy = deferred) {
  const result = resolveRequest({ db_name: 'orders', ...input }, policy, { requestId: CREATED });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

/** A database as created, then changed through the domain's own rules. */
function changed(input: object, change: ChangeV1, policy: Policy = deferred) {
  const current = created(input, policy);
  const result = applyChange(current, change, policy, CHANGE);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return { before: current.spec, after: result.value.spec, change: result.value.change };
}

function changePr(before: DatabaseSpec, after: DatabaseSpec, change: ChangeV1, requester = 'alice') {
  return renderChangePullRequest({
    before,
    after,
    change,
    requester,
    policySource: 'config/policy.yaml',
    branch: 'feature/change-rds-orders-req-chan',
    base: 'main',
  });
}

const prOf = (input: object, change: ChangeV1, policy: Policy = deferred) => {
  const { before, after } = changed(input, change, policy);
  return changePr(before, after, change);
};

/** A body's section, from its `## heading` to the next. */
function section(body: string, heading: string): string {
  const start = body.indexOf(`## ${heading}\n`);
  if (start === -1) throw new Error(`no section ${heading}`);
  const next = body.indexOf('\n## ', start + 1);
  return body.slice(start, next === -1 ? undefined : next);
}

/** The before/after table as rows of [setting, before, after]. */
function tableOf(body: string): string[][] {
  return section(body, 'What changes')
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Setting') && !l.startsWith('| ---'))
    .map((l) => l.slice(2, -2).split(' | '));
}
const settingsOf = (body: string) => tableOf(body).map(([setting]) => setting);
const effectsOf = (body: string) => section(body, 'What applying it does');

describe('change pull request: title, marker and facts', () => {
  const pr = prOf({ engine: 'postgres', environment: 'prod', owner: 'team-a' }, { size: 'large' });

  it('has a title naming the engine, database, environment and what changes', () => {
    expect(pr.title).toBe('Change postgres database orders (prod): size medium → large');
  });

  it('starts with the marker of the change request, before anything a requester wrote', () => {
    expect(pr.body.split('\n')[0]).toBe(requestIdMarker(CHANGE));
    expect(requestIdFromBody(pr.body)).toBe(CHANGE);
  });

  it('names who asked, what was asked, the file, the root and its state key, and the policy', () => {
    expect(pr.body).toContain('- Asked for: `size`');
    expect(pr.body).toContain('- Requested by: `alice`');
    expect(pr.body).toContain(
      '- File: `terraform/live/prod/orders/main.tf` on `feature/change-rds-orders-req-chan`, into `main`',
    );
    expect(pr.body).toContain(
      '- Terraform root: `terraform/live/prod/orders`, its own state `rds-provisioner/prod/orders/terraform.tfstate`',
    );
    expect(pr.body).toContain('- Policy: environment `prod` of `config/policy.yaml`');
  });

  it('names the shared root in the single-root layout', () => {
    const single = policyWith(false, policyWithLayout('single-root'));
    const { body } = prOf({ engine: 'mysql', environment: 'dev' }, { size: 'medium' }, single);
    expect(body).toContain('- File: `terraform/live/orders.tf`');
    expect(body).toContain('- Terraform root: `terraform/live`, shared by every database');
  });

  it('shows only the settings that change, before and after', () => {
    expect(tableOf(pr.body)).toEqual([['Size', '`medium`: `db.r7g.large`', '`large`: `db.r7g.xlarge`']]);
    const owner = prOf({ engine: 'postgres', environment: 'prod', owner: 'team-a' }, { owner: 'team-b' });
    expect(settingsOf(owner.body)).toEqual(['Owner', 'Tag `owner`']);
    expect(owner.title).toBe('Change postgres database orders (prod): owner');
    const tags = prOf(
      { engine: 'mysql', environment: 'dev', tags: { app: 'a', cost: 'c' } },
      { tags: { app: 'b', cost: null, team: 't' } },
    );
    expect(tableOf(tags.body)).toEqual([
      ['Tag `app`', '`a`', '`b`'],
      ['Tag `cost`', '`c`', 'not set'],
      ['Tag `team`', 'not set', '`t`'],
    ]);
    expect(tags.title).toBe('Change mysql database orders (dev): tags');
  });
});

describe('change pull request: what applying it does', () => {
  it('instance class on Aurora: each cluster instance restarts, the writer by failover, in the maintenance window', () => {
    const { before, after, change } = changed(
      { engine: 'postgres', environment: 'prod', owner: 'o' },
      { size: 'large' },
    );
    const effects = effectsOf(changePr(before, after, change).body);
    expect(effects).toContain(
      '**Instance class** `db.r7g.large` → `db.r7g.xlarge`: each of the 2 existing cluster instances restarts with the new class, in the next maintenance window, ',
    );
    expect(effects).toContain(`\`${after.maintenanceWindow}\` UTC, not when the apply runs`);
    expect(effects).toContain('`apply_immediately = false` in this environment');
    expect(effects).toContain('every plan shows the same update again');
    expect(effects).toContain("the writer's restart is a failover");
  });

  it('instance class with apply_immediately true: at once; a single writer means downtime', () => {
    const body = prOf(
      { engine: 'mysql', environment: 'dev', deployment: 'aurora' },
      { size: 'medium' },
      immediate,
    ).body;
    const effects = effectsOf(body);
    expect(effects).toContain(
      'each of the 1 existing cluster instance restarts with the new class, as soon as the apply runs (`apply_immediately = true` in this environment)',
    );
    expect(effects).toContain('with no reader to fail over to, the database is unavailable');
    expect(effects).not.toContain('maintenance window');
    expect(tableOf(body)).toContainEqual(['Size', '`small`: `db.t4g.medium`', '`medium`: `db.r7g.large`']);
  });

  it("apply_immediately not in the file: the module's default, false, applies", () => {
    const { before, after, change } = changed(
      { engine: 'postgres', environment: 'prod', owner: 'o' },
      { size: 'large' },
    );
    const old = { ...before, applyImmediately: null };
    const body = changePr(old, { ...after, applyImmediately: null }, change).body;
    expect(effectsOf(body)).toContain(
      "the file does not set `apply_immediately`, so the module's default, false, applies",
    );
    // Written down now: a row, and a sentence that it changes nothing in AWS.
    const written = changePr(old, after, change).body;
    expect(tableOf(written)).toContainEqual([
      'Changes reach AWS',
      'in the maintenance window (the module default; the file does not set `apply_immediately`)',
      'in the maintenance window (`apply_immediately = false`)',
    ]);
    expect(effectsOf(written)).toContain('writing it down changes nothing in AWS');
  });

  it('instance class on an RDS instance: the instance restarts; Multi-AZ fails over to the standby', () => {
    const single = effectsOf(
      prOf({ engine: 'mysql', environment: 'dev', deployment: 'instance' }, { size: 'medium' }).body,
    );
    expect(single).toContain('the instance restarts with the new class, in the next maintenance window');
    expect(single).toContain('unavailable for several minutes');
    const multi = effectsOf(
      prOf({ engine: 'mysql', environment: 'prod', deployment: 'instance', owner: 'o' }, { size: 'large' })
        .body,
    );
    expect(multi).toContain('RDS changes the Multi-AZ standby first and fails over to it');
  });

  it('storage: a larger size grows it in place; a smaller size keeps it, since RDS cannot shrink storage', () => {
    const grow = prOf({ engine: 'mariadb', environment: 'staging', size: 'small' }, { size: 'medium' });
    expect(effectsOf(grow.body)).toContain(
      '**Storage** 20-100 GiB → 100-500 GiB: grows in place, no restart',
    );
    expect(tableOf(grow.body)).toEqual([
      ['Size', '`small`: `db.t4g.medium`, 20-100 GiB gp3', '`medium`: `db.r7g.large`, 100-500 GiB gp3'],
    ]);
    const shrink = prOf({ engine: 'mariadb', environment: 'staging', size: 'medium' }, { size: 'small' });
    expect(effectsOf(shrink.body)).toContain(
      '**Storage** stays at 100-500 GiB: RDS cannot shrink storage, so the `small` size keeps what is allocated.',
    );
    expect(tableOf(shrink.body)).toEqual([
      ['Size', '`medium`: `db.r7g.large`, 100-500 GiB gp3', '`small`: `db.t4g.medium`, 100-500 GiB gp3'],
    ]);
  });

  it('Serverless v2 capacity: the scaling range changes in place, no restart', () => {
    const pr = prOf({ engine: 'mysql', environment: 'dev' }, { size: 'medium' });
    expect(effectsOf(pr.body)).toContain(
      "**Serverless v2 capacity** 0.5-2 → 1-8 ACU: the cluster's scaling range changes in place; no restart.",
    );
    expect(effectsOf(pr.body)).not.toContain('Instance class');
  });

  it('readers: adding creates instances with no downtime; removing deletes the highest-numbered ones', () => {
    const add = prOf({ engine: 'postgres', environment: 'prod', owner: 'o' }, { instances: 4 });
    expect(effectsOf(add.body)).toContain(
      '**Instances** 2 → 4: creates 2 readers, `orders-3`, `orders-4`, at once and with no downtime',
    );
    expect(tableOf(add.body)).toEqual([['Instances', '2 (writer and 1 reader)', '4 (writer and 3 readers)']]);
    expect(add.title).toBe('Change postgres database orders (prod): instances 2 → 4');
    const remove = prOf(
      { engine: 'postgres', environment: 'prod', owner: 'o', instances: 4 },
      { instances: 2 },
    );
    expect(effectsOf(remove.body)).toContain(
      '**Instances** 4 → 2: deletes the highest-numbered 2 instances, `orders-3`, `orders-4`, at once',
    );
    expect(remove.body).toContain('destroy the removed instances');
  });

  it('a minor engine upgrade restarts in the maintenance window; automatic minor upgrades stay on', () => {
    const pr = prOf(
      {
        engine: 'mysql',
        environment: 'dev',
        deployment: 'aurora',
        engine_version: '8.0.mysql_aurora.3.04.4',
      },
      { engine_version: '8.0.mysql_aurora.3.08.2' },
    );
    const effects = effectsOf(pr.body);
    expect(effects).toContain(
      '**Engine version** `8.0.mysql_aurora.3.04.4` → `8.0.mysql_aurora.3.08.2`, a minor upgrade: the database restarts to upgrade, every instance of the cluster at once, in the next maintenance window',
    );
    expect(effects).toContain('Automatic minor version upgrades stay on.');
    expect(settingsOf(pr.body)).toEqual(['Engine']);
    expect(pr.body).toContain('replace nothing');
  });

  it('a major upgrade: downtime, the parameter and option groups replaced (created before destroyed), not reversible', () => {
    const mysql = prOf(
      { engine: 'mysql', environment: 'dev', deployment: 'instance', engine_version: '8.0' },
      { engine_version: '8.4', allow_major_version_upgrade: true },
    );
    const effects = effectsOf(mysql.body);
    expect(effects).toContain(
      '**Engine version** `8.0` → `8.4`, a major upgrade (the file now says `allow_major_version_upgrade = true`, which RDS requires): the database restarts with downtime',
    );
    expect(effects).toContain(
      'It replaces the parameter group `module.orders.aws_db_parameter_group.this`, option group (audit plugin) `module.orders.aws_db_option_group.this[0]` with ones for the new version, each new one created before the old one is destroyed.',
    );
    expect(effects).toContain('It cannot be reversed');
    expect(tableOf(mysql.body)).toEqual([
      ['Engine', '`mysql` `8.0`', '`mysql` `8.4`'],
      ['Major version upgrades', 'not allowed', 'allowed (`allow_major_version_upgrade = true`)'],
    ]);
    expect(mysql.body).toContain('replace the groups named above');

    const aurora = prOf(
      { engine: 'postgres', environment: 'prod', owner: 'o', engine_version: '16.9' },
      { engine_version: '17.5', allow_major_version_upgrade: true },
    );
    expect(effectsOf(aurora.body)).toContain(
      'It replaces the cluster parameter group `module.orders.aws_rds_cluster_parameter_group.this[0]`, instance parameter group `module.orders.aws_db_parameter_group.this` with ones',
    );
  });

  it('aurora → aurora-serverless: every instance moves to db.serverless and the cluster gains a scaling range; and back', () => {
    const to = prOf(
      { engine: 'postgres', environment: 'prod', owner: 'o' },
      { deployment: 'aurora-serverless' },
    );
    expect(effectsOf(to.body)).toContain(
      '**Deployment** Aurora (provisioned) → Aurora Serverless v2, the same cluster: each of the 2 existing cluster instances changes its class from `db.r7g.large` to `db.serverless`, a restart per instance like an instance class change, in the next maintenance window',
    );
    expect(effectsOf(to.body)).toContain('The cluster gains the Serverless v2 scaling range, 1-8 ACU');
    expect(effectsOf(to.body)).not.toContain('**Instance class**');
    expect(settingsOf(to.body)).toEqual(['Deployment', 'Size']);
    const back = prOf({ engine: 'postgres', environment: 'dev' }, { deployment: 'aurora' }, immediate);
    expect(effectsOf(back.body)).toContain(
      'changes its class from `db.serverless` to `db.t4g.medium`, a restart per instance like an instance class change, as soon as the apply runs',
    );
    expect(effectsOf(back.body)).toContain(
      "The cluster's Serverless v2 scaling range (0.5-2 ACU) is removed.",
    );
  });

  it('owner and tags change in place, with no restart', () => {
    const owner = prOf({ engine: 'postgres', environment: 'prod', owner: 'team-a' }, { owner: 'team-b' });
    expect(effectsOf(owner.body)).toContain(
      "**Owner** `team-a` → `team-b`: the file's header and the `owner` tag change in place on every resource of the database, at once; no restart.",
    );
    const tags = prOf({ engine: 'mysql', environment: 'dev' }, { tags: { app: 'x' } });
    expect(effectsOf(tags.body)).toContain(
      '**Tags**: the tags above change in place on every resource of the database, at once; no restart.',
    );
    expect(effectsOf(tags.body)).not.toContain('restarts');
  });
});

/**
 * markdown-it with HTML and linkify on stands in for GitHub's renderer: what it leaves outside `<code>` is
 * what GitHub would act on (mentions, links, HTML).
 */
function outsideCode(body: string): string {
  return gfm.render(body).replace(/<code>[\s\S]*?<\/code>/g, '<code></code>');
}

describe('change pull request with requester-chosen text', () => {
  const hostile = '@someone <img src=x> [x](http://e) | `tick`';
  const { before } = changed({ engine: 'mysql', environment: 'dev', owner: 'team-a' }, { owner: 'team-b' });
  // The schema refuses these characters; the text stays inert even if one ever got through.
  const after: DatabaseSpec = {
    ...before,
    requestId: CHANGE,
    owner: hostile,
    tags: { ...before.tags, owner: hostile, [hostile]: hostile },
  };
  const pr = changePr(before, after, { owner: hostile, tags: { [hostile]: hostile } }, `eve ${hostile}`);

  it('shows each value inert, inside code only', () => {
    const outside = outsideCode(pr.body);
    for (const live of ['@someone', '<img', '<a', 'http://e', 'tick']) expect(outside).not.toContain(live);
    expect(gfm.render(pr.body)).not.toContain('<img');
    expect(pr.title).toBe('Change mysql database orders (dev): owner, tags');
  });

  it('keeps the table whole: three cells in every row', () => {
    const rows = [...gfm.render(section(pr.body, 'What changes')).matchAll(/<tr>([\s\S]*?)<\/tr>/g)];
    expect(rows.length).toBe(4);
    for (const [, row] of rows) expect(row?.match(/<t[hd]>/g)).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The module's resources, by its own count and for_each conditions

const moduleDir = resolvePath(fileURLToPath(import.meta.url), '../../../terraform/modules/rds');
const moduleFiles = await parseTfDir(moduleDir);
type Block = Record<string, unknown>;
/** hcl2json's shape: `resource "type" "name" {}` is `{resource: {type: {name: [body]}}}`, `variable "x" {}` is `{variable: {x: [body]}}`. */
const blocksOf = (kind: string): Array<[string, unknown]> =>
  moduleFiles.flatMap(({ hcl }) => Object.entries((hcl[kind] as Block | undefined) ?? {}));
const firstBody = (bodies: unknown) => (bodies as Block[])[0] ?? {};
const resources = blocksOf('resource').flatMap(([type, byName]) =>
  Object.entries(byName as Block).map(([name, bodies]) => ({
    address: `${type}.${name}`,
    body: firstBody(bodies),
  })),
);
const locals: Block = Object.assign({}, ...moduleFiles.flatMap(({ hcl }) => (hcl.locals as Block[]) ?? []));
const variableDefaults: Block = Object.fromEntries(
  blocksOf('variable').map(([name, bodies]) => [name, firstBody(bodies).default ?? null]),
);

/**
 * A count or for_each expression of the module, evaluated for the arguments a generated file passes. The
 * module's conditions use the part of HCL that JavaScript spells the same way (?:, ==, &&, !, >, lists,
 * strings), plus contains() and toset(); any other syntax fails the test loudly rather than guess.
 */
function evaluate(value: unknown, args: Block): unknown {
  if (typeof value !== 'string' || !value.startsWith('${') || !value.endsWith('}')) return value;
  const js = value
    .slice(2, -1)
    .replace(/\bvar\./g, 'v.')
    .replace(/\blocal\./g, 'l.');
  const v = { ...variableDefaults, ...args };
  const l: Block = new Proxy({}, { get: (_, name: string) => evaluate(locals[name], args) });
  const contains = (list: unknown[], item: unknown) => list.includes(item);
  const toset = (list: unknown[]) => [...new Set(list)];
  return new Function('v', 'l', 'contains', 'toset', `return (${js});`)(v, l, contains, toset);
}

/** Every address the module plans for a database: its rendered file's arguments through the module's conditions. */
async function plannedAddresses(spec: DatabaseSpec): Promise<string[]> {
  const file = (await parseHcl('main.tf', renderTerraform(spec))) as HclJson;
  const args = ((file.module as Record<string, Block[]>)[spec.dbName] ?? [])[0] as Block;
  return resources
    .flatMap(({ address, body }) => {
      if ('count' in body) {
        const count = evaluate(body.count, args) as number;
        return Array.from({ length: count }, (_, i) => `${address}[${i}]`);
      }
      if ('for_each' in body)
        return (evaluate(body.for_each, args) as string[]).map((key) => `${address}["${key}"]`);
      return [address];
    })
    .sort();
}

const listed = (spec: DatabaseSpec) =>
  moduleResources(spec)
    .map((r) => r.address)
    .sort();

describe('what a retirement destroys, against the module', () => {
  const cases: Array<[string, object]> = [
    [
      'aurora postgres with 2 instances, monitoring on',
      { engine: 'postgres', environment: 'prod', owner: 'o' },
    ],
    [
      'aurora mysql with 3 instances, monitoring on',
      { engine: 'mysql', environment: 'staging', deployment: 'aurora', instances: 3 },
    ],
    ['aurora serverless mysql, monitoring off', { engine: 'mysql', environment: 'dev' }],
    ['mysql instance, monitoring off', { engine: 'mysql', environment: 'dev', deployment: 'instance' }],
    [
      'mariadb instance, monitoring on',
      { engine: 'mariadb', environment: 'staging', deployment: 'instance' },
    ],
    [
      'postgres instance, monitoring on',
      { engine: 'postgres', environment: 'prod', deployment: 'instance', owner: 'o' },
    ],
  ];
  for (const [name, input] of cases)
    it(`${name}: the list is exactly what the module's conditions create`, async () => {
      const { spec } = created(input);
      expect(listed(spec)).toEqual(await plannedAddresses(spec));
    });

  it('the conditions matter: cluster instances, option group and monitoring role come and go as the module says', async () => {
    const aurora = created({ engine: 'postgres', environment: 'prod', owner: 'o' }).spec;
    expect(listed(aurora)).toEqual(
      expect.arrayContaining([
        'aws_rds_cluster_instance.this[0]',
        'aws_rds_cluster_instance.this[1]',
        'aws_iam_role.monitoring[0]',
      ]),
    );
    expect(listed(aurora)).not.toContain('aws_rds_cluster_instance.this[2]');
    expect(listed(aurora)).not.toContain('aws_db_option_group.this[0]');
    const mariadb = created({ engine: 'mariadb', environment: 'staging', deployment: 'instance' }).spec;
    expect(listed(mariadb)).toContain('aws_db_option_group.this[0]');
    expect(listed({ ...mariadb, monitoringInterval: 0 })).not.toContain('aws_iam_role.monitoring[0]');
    expect(await plannedAddresses({ ...mariadb, monitoringInterval: 0 })).toEqual(
      listed({ ...mariadb, monitoringInterval: 0 }),
    );
    const postgres = created({
      engine: 'postgres',
      environment: 'prod',
      deployment: 'instance',
      owner: 'o',
    }).spec;
    expect(listed(postgres)).not.toContain('aws_db_option_group.this[0]');
  });

  it("uses the module's KMS deletion window and final snapshot name defaults", () => {
    expect(variableDefaults.kms_key_deletion_window_in_days).toBe(KMS_KEY_DELETION_WINDOW_DAYS);
    expect(locals.final_snapshot_identifier).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL as hcl2json gives it, not a template
      '${coalesce(var.final_snapshot_identifier, "${var.name}-final")}',
    );
    const spec = created({ engine: 'mysql', environment: 'dev' }).spec;
    expect(finalSnapshotName({ ...spec, finalSnapshotIdentifier: null })).toBe('orders-final');
    expect(finalSnapshotName(spec)).toBe(spec.finalSnapshotIdentifier);
  });

  it('in the single root, names the ingress rules by the networks variable they come from', () => {
    const single = policyWith(false, policyWithLayout('single-root'));
    const spec = created({ engine: 'mysql', environment: 'dev' }, single).spec;
    const ingress = moduleResources(spec).filter((r) =>
      r.address.startsWith('aws_vpc_security_group_ingress_rule'),
    );
    expect(ingress.map((r) => r.address)).toEqual([
      'aws_vpc_security_group_ingress_rule.from_security_group[*]',
      'aws_vpc_security_group_ingress_rule.from_cidr[*]',
    ]);
    expect(ingress[0]?.what).toContain('`var.networks["dev"]`');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Retirement pull requests

const context = {
  requester: 'alice',
  policySource: 'config/policy.yaml',
  branch: 'feature/retire-rds-orders-req-reti',
  base: 'main',
  requestId: RETIRE,
};

describe('retirement, step 1 of 2: lift deletion protection', () => {
  const { spec } = created({ engine: 'postgres', environment: 'prod', owner: 'o' });
  const env = deferred.environments.prod;
  if (!env) throw new Error('prod');
  // Protected, and a file that skipped its final snapshot, which prod keeps.
  const before: DatabaseSpec = { ...spec, skipFinalSnapshot: true };
  const unprotected = unprotectedSpec(before, env, RETIRE);
  if (!unprotected) throw new Error('expected a first step');
  const pr = renderRetirePullRequest({
    ...context,
    spec: before,
    step: 'unprotect',
    unprotected,
    keepsFinalSnapshot: true,
  });

  it('has the step in its title and the retire request marker first', () => {
    expect(pr.title).toBe(
      'Retire orders (prod), step 1 of 2: lift deletion protection and turn on the final snapshot',
    );
    expect(pr.body.split('\n')[0]).toBe(requestIdMarker(RETIRE));
    expect(pr.body).toContain('- Request id: `req-retire-3`');
  });

  it('shows deletion protection on → off and the final snapshot skipped → taken with its name, nothing else', () => {
    expect(tableOf(pr.body)).toEqual([
      ['Deletion protection', 'on', 'off'],
      ['Final snapshot', 'skipped', `taken, as \`${spec.finalSnapshotIdentifier}\``],
    ]);
  });

  it('says why two steps, that nothing is destroyed, and that step 2 follows when it merges', () => {
    expect(section(pr.body, 'Why two steps')).toContain(
      'Terraform cannot destroy a database under deletion protection',
    );
    expect(section(pr.body, 'Why two steps')).toContain('a destroy uses the final-snapshot');
    expect(pr.body).toContain('Nothing is destroyed by this pull request.');
    expect(pr.body).toContain(
      'Deletion protection goes off on `module.orders.aws_rds_cluster.this[0]` at once',
    );
    expect(pr.body).toContain('When it merges, the service opens step 2');
  });

  it('names only what it does when protection is the only thing to lift', () => {
    const staging = created({ engine: 'mysql', environment: 'staging', deployment: 'instance' }).spec;
    const stagingEnv = deferred.environments.staging;
    if (!stagingEnv) throw new Error('staging');
    const next = unprotectedSpec(staging, stagingEnv, RETIRE);
    if (!next) throw new Error('expected a first step');
    const text = renderRetirePullRequest({
      ...context,
      spec: staging,
      step: 'unprotect',
      unprotected: next,
      keepsFinalSnapshot: true,
    });
    expect(text.title).toBe('Retire orders (staging), step 1 of 2: lift deletion protection');
    expect(tableOf(text.body)).toEqual([['Deletion protection', 'on', 'off']]);
    expect(text.body).toContain('`module.orders.aws_db_instance.this[0]`');
  });
});

describe('retirement, the removal', () => {
  const prod = created({ engine: 'postgres', environment: 'prod', owner: 'o' }).spec;
  const step2: DatabaseSpec = { ...prod, deletionProtection: false, skipFinalSnapshot: false };
  const previous = { number: 41, url: 'https://github.com/acme/infra/pull/41' };
  const pr = renderRetirePullRequest({
    ...context,
    spec: step2,
    step: 'remove',
    keepsFinalSnapshot: true,
    previousPullRequest: previous,
  });

  it('has a title with the step, the marker first, then a loud warning', () => {
    expect(pr.title).toBe('Retire postgres database orders (prod), step 2 of 2');
    const lines = pr.body.split('\n');
    expect(lines[0]).toBe(requestIdMarker(RETIRE));
    expect(lines[2]).toBe('> [!CAUTION]');
    expect(lines[3]).toContain('**destroys** the postgres database `orders` in `prod`');
  });

  it('lists every resource destroyed by its address in the root', () => {
    const destroyed = section(pr.body, 'What is destroyed');
    for (const r of moduleResources(step2)) expect(destroyed).toContain(`\`module.orders.${r.address}\``);
    expect(destroyed).toContain(
      '| `module.orders.aws_rds_cluster_instance.this[1]` | the cluster instance `orders-2` |',
    );
    expect(destroyed).toContain(
      `KMS key (scheduled for deletion, after ${KMS_KEY_DELETION_WINDOW_DAYS} days)`,
    );
  });

  it('keeps the final snapshot by name, and warns that its KMS key is scheduled for deletion', () => {
    const snapshot = section(pr.body, 'Final snapshot');
    expect(snapshot).toContain(`RDS takes a final snapshot, \`${prod.finalSnapshotIdentifier}\``);
    expect(snapshot).toContain(
      "encrypted with this database's KMS key, which this pull request schedules for deletion",
    );
    expect(snapshot).toContain(
      'copy it with another KMS key within those 30 days (`aws rds copy-db-cluster-snapshot',
    );
  });

  it('links step 1 and says to merge only after it has been applied', () => {
    expect(pr.body).toContain(
      'step 2 of 2 (step 1: [pull request #41](<https://github.com/acme/infra/pull/41>))',
    );
    expect(pr.body).toContain(
      'Merge this only after step 1 ([pull request #41](<https://github.com/acme/infra/pull/41>)) has been applied',
    );
    const links = [...gfm.render(pr.body).matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(links)).toEqual(new Set([previous.url]));
  });

  it('without a snapshot says the data is gone; a file without a snapshot name gets the module default', () => {
    const dev = created({ engine: 'mysql', environment: 'dev' }).spec;
    const gone = renderRetirePullRequest({
      ...context,
      spec: dev,
      step: 'remove',
      keepsFinalSnapshot: false,
    });
    expect(gone.title).toBe('Retire mysql database orders (dev)');
    expect(gone.body).toContain('No final snapshot is taken: **the data is gone**');
    expect(gone.body).not.toContain('Merge this only after step 1');
    const old = renderRetirePullRequest({
      ...context,
      spec: { ...step2, finalSnapshotIdentifier: null },
      step: 'remove',
      keepsFinalSnapshot: true,
    });
    expect(old.body).toContain('RDS takes a final snapshot, `orders-final`,');
  });

  it('takes the settings of step 1 when given with the file before it', () => {
    const both = renderRetirePullRequest({
      ...context,
      spec: prod,
      unprotected: step2,
      step: 'remove',
      keepsFinalSnapshot: true,
    });
    expect(both.body).toContain('RDS takes a final snapshot');
  });

  it('refuses to render a destroy that would fail or lose the snapshot the policy keeps', () => {
    expect(() =>
      renderRetirePullRequest({ ...context, spec: prod, step: 'remove', keepsFinalSnapshot: true }),
    ).toThrow(/deletion protection/);
    expect(() =>
      renderRetirePullRequest({
        ...context,
        spec: { ...step2, skipFinalSnapshot: true },
        step: 'remove',
        keepsFinalSnapshot: true,
      }),
    ).toThrow(/final snapshot/);
  });

  it('needs the unprotected settings for step 1', () => {
    expect(() =>
      renderRetirePullRequest({ ...context, spec: prod, step: 'unprotect', keepsFinalSnapshot: true }),
    ).toThrow(/unprotected settings/);
  });

  it('keeps requester text inert', () => {
    const hostile = '@someone <img src=x> [x](http://e)';
    const text = renderRetirePullRequest({
      ...context,
      requester: hostile,
      spec: { ...step2, owner: hostile, tags: { ...step2.tags, note: hostile } },
      step: 'remove',
      keepsFinalSnapshot: true,
    });
    const outside = outsideCode(text.body);
    for (const live of ['@someone', '<img', 'http://e']) expect(outside).not.toContain(live);
  });
});
