/**
 * Terraform's JSON output format read with a schema, on real `terraform show -json` documents of each
 * deployment (test/fixtures/terraform-json: Terraform 1.11.4 and hashicorp/aws 5.100 against moto).
 */
import { describe, expect, it } from 'vitest';
import {
  forReport,
  type PlanDocument,
  parsePlanDocument,
  parseStateDocument,
  SENSITIVE_MESSAGE,
  type StateDocument,
} from '../../src/domain/terraform-json.js';
import { CONNECTION_ATTRIBUTES } from '../../src/domain/terraform-report.js';
import {
  DATABASE_OF,
  DEPLOYMENT_FIXTURES,
  type DeploymentFixture,
  type DocumentName,
  PLAN_FIXTURES,
  planDocument,
  SENSITIVE_LITERAL,
  terraformDocument,
} from '../support/terraform-json-documents.js';

type Json = Record<string, unknown>;

/** The deployments whose roots hold nothing sensitive but what Terraform already leaves null. */
const CLEAN = DEPLOYMENT_FIXTURES.filter((d) => d !== 'instance');
const PLANS = (deployment: DeploymentFixture): DocumentName[] =>
  deployment === 'aurora' ? [...PLAN_FIXTURES, 'upgrade-plan'] : [...PLAN_FIXTURES];

function plan(input: unknown, field?: string): PlanDocument {
  const parsed = parsePlanDocument(input, field);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues, null, 2));
  return parsed.value;
}

function state(input: unknown): StateDocument {
  const parsed = parseStateDocument(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues, null, 2));
  return parsed.value;
}

/** A resource change without its values. */
const identity = ({ before: _before, after: _after, ...rest }: PlanDocument['resourceChanges'][number]) =>
  rest;

const issuesOf = (parsed: { ok: boolean; issues?: Array<{ path: string; message: string }> }) =>
  parsed.ok ? [] : (parsed.issues ?? []);
const paths = (parsed: Parameters<typeof issuesOf>[0]) =>
  issuesOf(parsed)
    .map((i) => i.path)
    .sort();

/** The first resource change (or drift) of a document at `address`. */
function changeAt(document: Json, address: string, list = 'resource_changes'): Json {
  const found = (document[list] as Json[]).find((rc) => rc.address === address);
  if (!found) throw new Error(`no ${address} in ${list}`);
  return found.change as Json;
}

/** The state resource at `address`, in any child module. */
function stateResource(document: Json, address: string): Json {
  const modules = [(document.values as Json).root_module as Json];
  for (const module of modules) {
    modules.push(...((module.child_modules as Json[] | undefined) ?? []));
    const found = ((module.resources as Json[] | undefined) ?? []).find((r) => r.address === address);
    if (found) return found;
  }
  throw new Error(`no ${address} in the state`);
}

describe('parsePlanDocument and parseStateDocument on real terraform show -json documents', () => {
  describe.each(CLEAN)('%s', (deployment) => {
    const dbName = DATABASE_OF[deployment];

    it.each(PLANS(deployment))(
      '%s parses: format 1.2, every resource change flattened with its module, before and after as Terraform wrote them',
      (name) => {
        const document = terraformDocument(deployment, name);
        const parsed = plan(document);
        expect(parsed.formatVersion).toBe('1.2');
        expect(parsed.terraformVersion).toBe('1.11.4');
        expect(parsed.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
        const raw = document.resource_changes as Json[];
        expect(parsed.resourceChanges).toHaveLength(raw.length);
        for (const [i, rc] of parsed.resourceChanges.entries()) {
          const source = raw[i] as Json;
          expect(rc.address).toBe(source.address);
          expect(rc.moduleAddress).toBe(`module.${dbName}`);
          expect(rc.actions).toEqual((source.change as Json).actions);
          expect(rc.before).toBe((source.change as Json).before);
          expect(rc.after).toBe((source.change as Json).after);
        }
        expect(parsed.resourceDrift).toHaveLength(((document.resource_drift as Json[]) ?? []).length);
      },
    );

    it('the state after apply parses: format 1.0, the module’s resources flattened with their module address', () => {
      const parsed = state(terraformDocument(deployment, 'state'));
      expect(parsed.formatVersion).toBe('1.0');
      expect(parsed.terraformVersion).toBe('1.11.4');
      expect(parsed.resources.length).toBeGreaterThan(8);
      expect(new Set(parsed.resources.map((r) => r.moduleAddress))).toEqual(new Set([`module.${dbName}`]));
      const cluster = parsed.resources.find((r) => r.type === 'aws_rds_cluster');
      expect(cluster?.address).toBe(`module.${dbName}.aws_rds_cluster.this[0]`);
      expect(cluster?.values.endpoint).toMatch(new RegExp(`^${dbName}\\.cluster-`));
    });

    it('the cluster’s master_password is marked sensitive but null (RDS manages the password): not an issue', () => {
      const document = terraformDocument(deployment, 'state');
      const cluster = stateResource(document, `module.${dbName}.aws_rds_cluster.this[0]`);
      expect((cluster.sensitive_values as Json).master_password).toBe(true);
      expect((cluster.values as Json).master_password).toBeNull();
      expect(parseStateDocument(document).ok).toBe(true);
    });
  });

  describe('instance (its root keeps an application secret: a sensitive variable, secret version and output)', () => {
    const secretVersion = 'aws_secretsmanager_secret_version.app.secret_string';

    it.each(PLANS('instance'))('%s is refused, naming every sensitive value by its address', (name) => {
      const document = terraformDocument('instance', name);
      const parsed = parsePlanDocument(document);
      // The destroy plan's after is null: the secret is still in its before, prior state and variables.
      expect(paths(parsed)).toEqual([secretVersion, 'output.db_password', 'var.app_password'].sort());
      for (const issue of issuesOf(parsed)) expect(issue.message).toBe(SENSITIVE_MESSAGE);
      expect(SENSITIVE_MESSAGE).toMatch(/Terraform marks this value sensitive.*reporter.*drops/);
    });

    it('the state is refused, naming the secret version’s secret_string and the sensitive output; its empty secret_binary is nothing to reveal', () => {
      const document = terraformDocument('instance', 'state');
      const parsed = parseStateDocument(document);
      expect(paths(parsed)).toEqual([secretVersion, 'output.db_password']);
      expect(JSON.stringify(issuesOf(parsed))).not.toContain(SENSITIVE_LITERAL);
      const version = stateResource(document, 'aws_secretsmanager_secret_version.app');
      expect([
        (version.values as Json).secret_binary,
        (version.sensitive_values as Json).secret_binary,
      ]).toEqual(['', true]);
    });
  });

  it('a sensitive value inside a database module is named by its address and attribute path', () => {
    const document = terraformDocument('aurora', 'change-plan');
    const cluster = changeAt(document, 'module.orders.aws_rds_cluster.this[0]');
    (cluster.after as Json).master_password = 'hunter2-in-the-module';
    const stateDocument = terraformDocument('aurora', 'state');
    const resource = stateResource(stateDocument, 'module.orders.aws_rds_cluster.this[0]');
    (resource.values as Json).master_password = 'hunter2-in-the-state';

    expect(issuesOf(parsePlanDocument(document))).toEqual([
      { path: 'module.orders.aws_rds_cluster.this[0].master_password', message: SENSITIVE_MESSAGE },
    ]);
    expect(paths(parseStateDocument(stateDocument))).toEqual([
      'module.orders.aws_rds_cluster.this[0].master_password',
    ]);
  });

  it('nested marks name the attribute path: a map key, a list element, a block’s attribute; false marks and absent values are not issues', () => {
    const document = planDocument(
      [],
      [
        {
          address: 'module.orders.aws_db_parameter_group.this',
          before: { tags: { 'db-password': 'x1', team: 'a' }, parameter: [{ value: 'p' }, { value: 'q' }] },
          after: { tags: { 'db-password': 'x2', team: 'b' }, parameter: [{ value: 'p' }, { value: 'r' }] },
          before_sensitive: { tags: { 'db-password': true, team: false }, parameter: [{}, { value: true }] },
          after_sensitive: { tags: { 'db-password': true, constructor: true }, parameter: [false, true] },
        },
      ],
    );
    expect(paths(parsePlanDocument(document))).toEqual([
      'module.orders.aws_db_parameter_group.this.parameter[1]',
      'module.orders.aws_db_parameter_group.this.parameter[1].value',
      'module.orders.aws_db_parameter_group.this.tags["db-password"]',
    ]);
  });

  it('state: every nested child module is flattened, each resource with its own module address', () => {
    const resource = (address: string, values: Json = {}) => ({
      address,
      mode: 'managed',
      type: address.split('.').at(-2),
      name: 'this',
      values,
      sensitive_values: {},
    });
    const parsed = state({
      format_version: '1.0',
      terraform_version: '1.11.4',
      values: {
        root_module: {
          resources: [resource('aws_s3_bucket.this')],
          child_modules: [
            {
              address: 'module.orders',
              resources: [resource('module.orders.aws_rds_cluster.this', { port: 5432 })],
              child_modules: [
                {
                  address: 'module.orders.module.alarms',
                  resources: [resource('module.orders.module.alarms.aws_sns_topic.this')],
                },
              ],
            },
          ],
        },
      },
    });
    expect(parsed.resources.map((r) => [r.address, r.moduleAddress, r.type])).toEqual([
      ['aws_s3_bucket.this', null, 'aws_s3_bucket'],
      ['module.orders.aws_rds_cluster.this', 'module.orders', 'aws_rds_cluster'],
      ['module.orders.module.alarms.aws_sns_topic.this', 'module.orders.module.alarms', 'aws_sns_topic'],
    ]);
    expect(parsed.resources[1]?.values).toEqual({ port: 5432 });
  });

  it('an empty state (Terraform writes its format_version alone) has no resources', () => {
    expect(state({ format_version: '1.0' })).toEqual({
      formatVersion: '1.0',
      terraformVersion: '',
      resources: [],
    });
  });

  describe('format_version', () => {
    it.each([
      ['2.0', 'must be 1.x'],
      ['0.2', 'must be 1.x'],
      ['1', 'must be 1.x'],
      [1.2, 'required'],
      [undefined, 'required'],
    ])('%s is refused naming plan.format_version, and nothing else is judged', (version, message) => {
      const document = { ...terraformDocument('aurora', 'change-plan'), format_version: version };
      const issues = issuesOf(parsePlanDocument(document));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toBe('plan.format_version');
      expect(issues[0]?.message).toContain(message);
    });

    it('1.0 to 1.x are read (minor versions only add); the state’s is named state.format_version, or the field given', () => {
      for (const version of ['1.0', '1.1', '1.2', '1.17'])
        expect(parsePlanDocument({ format_version: version, terraform_version: '1.11.4' }).ok).toBe(true);
      expect(paths(parseStateDocument({ format_version: '3.0' }))).toEqual(['state.format_version']);
      expect(paths(parsePlanDocument({ format_version: '3.0' }, 'body.plan'))).toEqual([
        'body.plan.format_version',
      ]);
    });
  });

  describe('malformed shapes', () => {
    it.each([null, 'plan', 42, [], [{ format_version: '1.2' }]])(
      '%j is not a document: named plan',
      (input) => {
        expect(paths(parsePlanDocument(input))).toEqual(['plan']);
        expect(paths(parseStateDocument(input))).toEqual(['state']);
      },
    );

    it('every problem in one answer: each bad field named under plan., and a sensitive value beside them', () => {
      const document = terraformDocument('aurora', 'drift-plan');
      const changes = document.resource_changes as Json[];
      delete (changes[0] as Json).address;
      ((changes[1] as Json).change as Json).actions = ['explode'];
      (changes[2] as Json).mode = 'ephemeral';
      document.resource_drift = { not: 'a list' };
      document.terraform_version = 11;
      const cluster = changeAt(document, 'module.orders.aws_rds_cluster.this[0]');
      (cluster.before as Json).master_password = 'hunter2';
      expect(paths(parsePlanDocument(document))).toEqual(
        [
          'plan.resource_changes[0].address',
          'plan.resource_changes[1].change.actions[0]',
          'plan.resource_changes[2].mode',
          'plan.resource_drift',
          'plan.terraform_version',
          'module.orders.aws_rds_cluster.this[0].master_password',
        ].sort(),
      );
    });

    it('a state resource without an address or with values that are not an object is named', () => {
      const document = terraformDocument('aurora', 'state');
      const module = ((document.values as Json).root_module as Json).child_modules as Json[];
      const resources = (module[0] as Json).resources as Json[];
      delete (resources[0] as Json).address;
      (resources[1] as Json).values = 'endpoint';
      expect(paths(parseStateDocument(document))).toEqual([
        'state.values.root_module.child_modules[0].resources[0].address',
        'state.values.root_module.child_modules[0].resources[1].values',
      ]);
    });
  });
});

describe('forReport: what the reporter sends', () => {
  const documents = DEPLOYMENT_FIXTURES.flatMap((deployment) =>
    [...PLANS(deployment), 'state' as const].map((name) => [deployment, name] as const),
  );

  it.each(documents)(
    '%s %s: still parses, with nothing Terraform marks sensitive and nothing the service never reads',
    (deployment, name) => {
      const document = terraformDocument(deployment, name);
      const reported = forReport(document);
      const parsed = name === 'state' ? parseStateDocument(reported) : parsePlanDocument(reported);
      expect(issuesOf(parsed)).toEqual([]);
      const text = JSON.stringify(reported);
      expect(text).not.toContain(SENSITIVE_LITERAL);
      // The provider's configuration (with its keys) and the module's expressions are gone.
      expect(text).not.toContain('secret_key');
      expect(text).not.toContain('"testing"');
      expect(Object.keys(reported as Json).sort()).toEqual(
        name === 'state'
          ? ['format_version', 'terraform_version', 'values']
          : ['format_version', 'resource_changes', 'resource_drift', 'terraform_version', 'timestamp'],
      );
      expect(text.length).toBeLessThan(JSON.stringify(document).length / 3);
    },
  );

  it('the instance’s documents carried the secret before (a sensitive variable, output and secret version)', () => {
    for (const name of [...PLANS('instance'), 'state' as const])
      expect(JSON.stringify(terraformDocument('instance', name))).toContain(SENSITIVE_LITERAL);
  });

  it.each(CLEAN.flatMap((d) => PLANS(d).map((name) => [d, name] as const)))(
    '%s %s: the same resource changes, each keeping of before and after only the attributes that differ',
    (deployment, name) => {
      const document = terraformDocument(deployment, name);
      const raw = plan(document);
      const reported = plan(forReport(document));
      expect(reported.timestamp).toBe(raw.timestamp);
      for (const [list, rawList] of [
        [reported.resourceChanges, raw.resourceChanges],
        [reported.resourceDrift, raw.resourceDrift],
      ] as const) {
        expect(list.map(identity)).toEqual(rawList.map(identity));
        for (const [i, rc] of list.entries()) {
          const source = rawList[i];
          if (!source) throw new Error('lists differ');
          if (source.actions.join() === 'no-op') {
            expect([rc.before, rc.after]).toEqual([{}, {}]);
            continue;
          }
          for (const side of ['before', 'after'] as const) {
            const kept = rc[side] as Json | null;
            if (kept === null) {
              expect(source[side]).toBeNull();
              continue;
            }
            for (const [key, value] of Object.entries(kept))
              expect(value).toEqual((source[side] as Json)[key]);
          }
        }
      }
    },
  );

  it('an update keeps exactly the attributes it moves, and what it knows only after apply (absent from after)', () => {
    const document = terraformDocument('aurora-serverless', 'change-plan');
    const reported = forReport(document) as Json;
    const cluster = changeAt(reported, 'module.events.aws_rds_cluster.this[0]');
    expect(Object.keys(cluster.after as Json).sort()).toEqual([
      'engine_lifecycle_support',
      'scaling_configuration',
      'serverlessv2_scaling_configuration',
    ]);
    expect(cluster.after).toMatchObject({
      serverlessv2_scaling_configuration: [expect.objectContaining({ min_capacity: 1, max_capacity: 8 })],
    });
    expect(Object.keys(cluster.before as Json).sort()).toEqual(Object.keys(cluster.after as Json).sort());
    // A created resource keeps the attributes it sets; what is known only after apply stays absent.
    const reader = changeAt(
      forReport(terraformDocument('aurora', 'change-plan')) as Json,
      'module.orders.aws_rds_cluster_instance.this[1]',
    );
    expect(reader.before).toBeNull();
    expect(reader.after).toMatchObject({ identifier: 'orders-2', instance_class: 'db.t4g.medium' });
    expect(reader.after).not.toHaveProperty('endpoint');
    expect(Object.values(reader.after as Json)).not.toContain(null);
  });

  it('the drift plan keeps what changed outside Terraform (resource_drift) with its before and after', () => {
    const reported = forReport(terraformDocument('aurora', 'drift-plan')) as Json;
    const drift = changeAt(reported, 'module.orders.aws_rds_cluster.this[0]', 'resource_drift');
    expect(drift).toEqual({
      actions: ['update'],
      before: expect.objectContaining({ backup_retention_period: 1 }),
      after: expect.objectContaining({ backup_retention_period: 5 }),
    });
  });

  it('the instance’s secret version keeps no secret_string, on either side, in any plan; its output and variable are gone', () => {
    for (const name of PLANS('instance')) {
      const reported = forReport(terraformDocument('instance', name)) as Json;
      const change = changeAt(reported, 'aws_secretsmanager_secret_version.app');
      for (const side of [change.before, change.after])
        if (side !== null) expect(side).not.toHaveProperty('secret_string');
    }
  });

  it('a state keeps only the managed resources, with only the attributes connectionFromState reads, marked ones dropped', () => {
    for (const deployment of DEPLOYMENT_FIXTURES) {
      const reported = state(forReport(terraformDocument(deployment, 'state')));
      expect(reported.resources.every((r) => r.mode === 'managed')).toBe(true);
      for (const r of reported.resources)
        for (const key of Object.keys(r.values)) expect(CONNECTION_ATTRIBUTES.has(key)).toBe(true);
      const database = reported.resources.find(
        (r) => r.type === 'aws_rds_cluster' || r.type === 'aws_db_instance',
      );
      expect(database?.values).toHaveProperty('master_user_secret');
      expect(database?.values).toHaveProperty('port');
    }
  });

  it('a value marked sensitive as a whole list element is nulled, keeping the list’s positions', () => {
    const document = planDocument([
      {
        address: 'aws_x.y',
        before: { keys: ['a', 'b'], nested: [{ token: 't1', id: 1 }] },
        after: { keys: ['a', 'c'], nested: [{ token: 't2', id: 2 }] },
        before_sensitive: { keys: [false, true], nested: [{ token: true }] },
        after_sensitive: { keys: [false, true], nested: [{ token: true }] },
      },
    ]);
    const reported = forReport(document) as Json;
    expect(changeAt(reported, 'aws_x.y')).toEqual({
      actions: ['update'],
      before: { nested: [{ id: 1 }] },
      after: { nested: [{ id: 2 }] },
    });
    expect(parsePlanDocument(reported).ok).toBe(true);
  });

  it('what is not a document is passed through for parse to refuse', () => {
    expect(forReport('nonsense')).toBe('nonsense');
    expect(forReport(null)).toBeNull();
  });
});
