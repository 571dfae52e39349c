/**
 * What the service takes from Terraform's documents, per database, on real `terraform show -json`
 * documents of each deployment (test/fixtures/terraform-json), and why an apply failed from real output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  forReport,
  type PlanDocument,
  parsePlanDocument,
  parseStateDocument,
  type StateDocument,
} from '../../src/domain/terraform-json.js';
import {
  applyFailureReason,
  connectionFromState,
  databaseOfModule,
  databasesChanged,
  databasesInState,
  driftByDatabase,
  summarisePlan,
} from '../../src/domain/terraform-report.js';
import {
  DATABASE_OF,
  DEPLOYMENT_FIXTURES,
  type DeploymentFixture,
  type DocumentName,
  FIXTURES,
  planDocument,
  terraformDocument,
} from '../support/terraform-json-documents.js';

type Json = Record<string, unknown>;

/** A fixture as the service receives it: through the reporter, then parsed. */
function reportedPlan(deployment: DeploymentFixture, name: DocumentName): PlanDocument {
  const parsed = parsePlanDocument(forReport(terraformDocument(deployment, name)));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function reportedState(deployment: DeploymentFixture): StateDocument {
  const parsed = parseStateDocument(forReport(terraformDocument(deployment, 'state')));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** A plan of hand-written resource changes, parsed. */
function planOf(...sketches: Parameters<typeof planDocument>): PlanDocument {
  const parsed = parsePlanDocument(planDocument(...sketches));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

describe('databaseOfModule', () => {
  it.each([
    ['module.orders', 'orders'],
    ['module.orders.module.alarms', 'orders'],
    ['module.my-app-db', 'my-app-db'],
    [null, null],
    // Not a database's module as the service writes it: an index, a name no database can have.
    ['module.orders[0]', null],
    ['module.dbs["orders"]', null],
    ['module.shared_network', null],
    ['module.Orders', null],
    ['module.networks', null],
    ['module.constructor', 'constructor'],
  ])('%s → %s', (address, dbName) => {
    expect(databaseOfModule(address)).toBe(dbName);
  });
});

describe('summarisePlan, as Terraform counts a plan', () => {
  it.each([
    ['aurora', 'orders', 10],
    ['aurora-serverless', 'events', 12],
    ['instance', 'cms', 11],
  ] as const)('%s creation: %s adds %i resources', (deployment, dbName, add) => {
    const { databases, other } = summarisePlan(reportedPlan(deployment, 'create-plan'));
    expect(databases).toEqual([
      {
        dbName,
        add,
        change: 0,
        destroy: 0,
        replace: 0,
        destroyed: [],
        replaced: [],
        databaseDestroyed: false,
      },
    ]);
    // The instance root's own secret and its version sit outside any database's module.
    expect(other).toEqual({ add: deployment === 'instance' ? 2 : 0, change: 0, destroy: 0, replace: 0 });
  });

  it('aurora, a reader added: one to add, the cluster and moto’s ingress rule to change, no-ops not counted', () => {
    expect(summarisePlan(reportedPlan('aurora', 'change-plan')).databases).toEqual([
      {
        dbName: 'orders',
        add: 1,
        change: 2,
        destroy: 0,
        replace: 0,
        destroyed: [],
        replaced: [],
        databaseDestroyed: false,
      },
    ]);
  });

  it('aurora, 16 → 17: the parameter groups replaced (create before destroy), counted as replacements only; the database is not', () => {
    expect(summarisePlan(reportedPlan('aurora', 'upgrade-plan')).databases).toEqual([
      {
        dbName: 'orders',
        add: 0,
        change: 3,
        destroy: 0,
        replace: 2,
        destroyed: [],
        replaced: [
          'module.orders.aws_db_parameter_group.this',
          'module.orders.aws_rds_cluster_parameter_group.this[0]',
        ],
        databaseDestroyed: false,
      },
    ]);
  });

  it.each([
    ['aurora', 'orders', 10, 'module.orders.aws_rds_cluster.this[0]'],
    ['aurora-serverless', 'events', 12, 'module.events.aws_rds_cluster.this[0]'],
    ['instance', 'cms', 11, 'module.cms.aws_db_instance.this[0]'],
  ] as const)(
    '%s destroyed: %s destroys %i resources, the database among them',
    (deployment, dbName, destroy, database) => {
      const { databases, other } = summarisePlan(reportedPlan(deployment, 'destroy-plan'));
      expect(databases).toHaveLength(1);
      const [summary] = databases;
      expect(summary).toMatchObject({
        dbName,
        add: 0,
        change: 0,
        destroy,
        replace: 0,
        replaced: [],
        databaseDestroyed: true,
      });
      expect(summary?.destroyed).toHaveLength(destroy);
      expect(summary?.destroyed).toContain(database);
      expect(summary?.destroyed).toEqual([...(summary?.destroyed ?? [])].sort());
      expect(other.destroy).toBe(deployment === 'instance' ? 2 : 0);
    },
  );

  it('a replacement in either order is one replace; a replaced instance or cluster instance is the database destroyed; databases sorted', () => {
    const { databases, other } = summarisePlan(
      planOf([
        { address: 'module.zeta.aws_db_instance.this[0]', actions: ['delete', 'create'] },
        { address: 'module.alpha.aws_rds_cluster_instance.this[1]', actions: ['create', 'delete'] },
        { address: 'module.alpha.aws_security_group.this', actions: ['delete'] },
        { address: 'module.alpha.data.aws_partition.current', actions: ['read'] },
        { address: 'module.beta.aws_kms_key.this[0]', actions: ['no-op'] },
        { address: 'aws_s3_bucket.logs', actions: ['update'] },
        { address: 'module.shared_network.aws_vpc.this', actions: ['create'] },
      ]),
    );
    expect(databases).toEqual([
      {
        dbName: 'alpha',
        add: 0,
        change: 0,
        destroy: 1,
        replace: 1,
        destroyed: ['module.alpha.aws_security_group.this'],
        replaced: ['module.alpha.aws_rds_cluster_instance.this[1]'],
        databaseDestroyed: true,
      },
      {
        dbName: 'zeta',
        add: 0,
        change: 0,
        destroy: 0,
        replace: 1,
        destroyed: [],
        replaced: ['module.zeta.aws_db_instance.this[0]'],
        databaseDestroyed: true,
      },
    ]);
    expect(other).toEqual({ add: 1, change: 1, destroy: 0, replace: 0 });
  });

  it('a destroyed security group alone is not the database destroyed', () => {
    const { databases } = summarisePlan(
      planOf([{ address: 'module.orders.aws_security_group.this', actions: ['delete'] }]),
    );
    expect(databases[0]?.databaseDestroyed).toBe(false);
  });
});

describe('databasesChanged and databasesInState', () => {
  it.each(DEPLOYMENT_FIXTURES)('%s: each plan changes its database; its state holds it', (deployment) => {
    for (const name of ['create-plan', 'change-plan', 'drift-plan', 'destroy-plan'] as const)
      expect(databasesChanged(reportedPlan(deployment, name))).toEqual([DATABASE_OF[deployment]]);
    expect(databasesInState(reportedState(deployment))).toEqual([DATABASE_OF[deployment]]);
  });

  it('no-op and read touch nothing; root resources belong to no database; sorted', () => {
    expect(
      databasesChanged(
        planOf([
          { address: 'module.orders.aws_kms_key.this[0]', actions: ['no-op'] },
          { address: 'module.orders.data.aws_partition.current', actions: ['read'] },
          { address: 'aws_s3_bucket.logs', actions: ['update'] },
          { address: 'module.zeta.aws_kms_key.this[0]', actions: ['update'] },
          { address: 'module.beta.module.alarms.aws_sns_topic.this', actions: ['create'] },
        ]),
      ),
    ).toEqual(['beta', 'zeta']);
  });
});

describe('connectionFromState', () => {
  it('aurora: the cluster’s writer and reader endpoints, port, the secret RDS manages, every ARN of the module sorted', () => {
    expect(connectionFromState(reportedState('aurora'), 'orders')).toEqual({
      writerEndpoint: 'orders.cluster-btheikrm3rbp.eu-west-1.rds.amazonaws.com',
      readerEndpoint: 'orders.cluster-ro-btheikrm3rbp.eu-west-1.rds.amazonaws.com',
      port: 5432,
      masterUserSecretArn:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-dfe2c499-c822-42b5-9a46-dc8706253fe0-alYjnl',
      resourceArns: [
        'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-270d1bd9f645351c7',
        'arn:aws:ec2:eu-west-1::security-group-rule/sgr-af5b7e8ea6a9495c1',
        'arn:aws:kms:eu-west-1:123456789012:alias/rds/orders',
        'arn:aws:kms:eu-west-1:123456789012:key/42651b43-249a-4a9e-8aaf-fdbcc4812c4d',
        'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/rds/cluster/orders/postgresql',
        'arn:aws:rds:eu-west-1:123456789012:cluster-pg:orders-20261206183644134400000001',
        'arn:aws:rds:eu-west-1:123456789012:cluster:orders',
        'arn:aws:rds:eu-west-1:123456789012:db:orders-1',
        'arn:aws:rds:eu-west-1:123456789012:pg:orders-20261206183644140500000002',
        'arn:aws:rds:eu-west-1:123456789012:subgrp:orders',
      ],
    });
  });

  it('aurora-serverless: the cluster’s endpoints (MySQL port 3306) and secret', () => {
    expect(connectionFromState(reportedState('aurora-serverless'), 'events')).toMatchObject({
      writerEndpoint: 'events.cluster-zio6jgw0lsav.eu-west-1.rds.amazonaws.com',
      readerEndpoint: 'events.cluster-ro-zio6jgw0lsav.eu-west-1.rds.amazonaws.com',
      port: 3306,
      masterUserSecretArn:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-80db619f-2c4b-4bfd-b7c9-4259ee6f29a8-llZJVn',
    });
  });

  it('instance: the instance’s address, no reader endpoint, its secret; the root’s own secret is not the database’s', () => {
    const details = connectionFromState(reportedState('instance'), 'cms');
    expect(details).toEqual({
      writerEndpoint: 'cms.aaaaaaaaaa.eu-west-1.rds.amazonaws.com',
      readerEndpoint: null,
      port: 3306,
      masterUserSecretArn:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-37cdf16c-bb4a-4e4b-9cf0-78cf27ee76f1-cOjSau',
      resourceArns: expect.arrayContaining(['arn:aws:rds:eu-west-1:123456789012:db:cms']),
    });
    expect(details?.resourceArns).toHaveLength(11);
    expect(details?.resourceArns.some((arn) => arn.includes('cms-app-credentials'))).toBe(false);
  });

  it('the same details from the raw state as from the reporter’s copy', () => {
    for (const deployment of ['aurora', 'aurora-serverless'] as const) {
      const raw = parseStateDocument(terraformDocument(deployment, 'state'));
      if (!raw.ok) throw new Error('the raw state parses');
      const dbName = DATABASE_OF[deployment];
      expect(connectionFromState(reportedState(deployment), dbName)).toEqual(
        connectionFromState(raw.value, dbName),
      );
    }
  });

  it('null for a database the state does not hold, or one without its cluster or instance yet', () => {
    expect(connectionFromState(reportedState('aurora'), 'events')).toBeNull();
    const state = reportedState('aurora');
    const withoutCluster = {
      ...state,
      resources: state.resources.filter((r) => r.type !== 'aws_rds_cluster'),
    };
    expect(connectionFromState(withoutCluster, 'orders')).toBeNull();
  });
});

describe('driftByDatabase', () => {
  it('aurora: backup retention changed in AWS behind Terraform’s back is drift (resource_drift), and the plan would change it back', () => {
    const drift = driftByDatabase(reportedPlan('aurora', 'drift-plan'));
    expect([...drift.keys()]).toEqual(['orders']);
    const orders = drift.get('orders');
    expect(orders?.drifted).toContainEqual({
      address: 'module.orders.aws_rds_cluster.this[0]',
      attributes: ['backup_retention_period', 'cluster_members'],
    });
    expect(orders?.changed).toEqual([
      {
        address: 'module.orders.aws_rds_cluster.this[0]',
        // moto keeps no EngineLifecycleSupport and answers an empty ScalingConfigurationInfo.
        attributes: ['backup_retention_period', 'engine_lifecycle_support', 'scaling_configuration'],
      },
      {
        address:
          'module.orders.aws_vpc_security_group_ingress_rule.from_security_group["sg-9c4f0aaff01ba5dca"]',
        attributes: ['description', 'referenced_security_group_id'],
      },
    ]);
  });

  it('aurora-serverless: the maintenance window moved in AWS is drift', () => {
    const events = driftByDatabase(reportedPlan('aurora-serverless', 'drift-plan')).get('events');
    expect(
      events?.drifted.find((d) => d.address === 'module.events.aws_rds_cluster.this[0]')?.attributes,
    ).toContain('preferred_maintenance_window');
    expect(
      events?.changed.find((d) => d.address === 'module.events.aws_rds_cluster.this[0]')?.attributes,
    ).toContain('preferred_maintenance_window');
  });

  it('instance: backup retention drifted; the root’s own secret belongs to no database', () => {
    const drift = driftByDatabase(reportedPlan('instance', 'drift-plan'));
    expect([...drift.keys()]).toEqual(['cms']);
    expect(
      drift.get('cms')?.drifted.find((d) => d.address === 'module.cms.aws_db_instance.this[0]')?.attributes,
    ).toContain('backup_retention_period');
  });

  it('a change plan: the size change is what the plan would change, not drift (the refresh found only the cluster’s member)', () => {
    const events = driftByDatabase(reportedPlan('aurora-serverless', 'change-plan')).get('events');
    expect(events?.drifted.find((d) => d.address === 'module.events.aws_rds_cluster.this[0]')).toEqual({
      address: 'module.events.aws_rds_cluster.this[0]',
      attributes: ['cluster_members'],
    });
    expect(
      events?.changed.find((d) => d.address === 'module.events.aws_rds_cluster.this[0]')?.attributes,
    ).toContain('serverlessv2_scaling_configuration');
  });

  it('the same answer from the raw plan as from the reporter’s copy', () => {
    for (const deployment of ['aurora', 'aurora-serverless'] as const)
      for (const name of ['drift-plan', 'change-plan', 'create-plan', 'destroy-plan'] as const) {
        const raw = parsePlanDocument(terraformDocument(deployment, name));
        if (!raw.ok) throw new Error('the raw plan parses');
        expect(driftByDatabase(reportedPlan(deployment, name))).toEqual(driftByDatabase(raw.value));
      }
  });

  it('every database the plan covers appears, a clean one (only no-ops) with empty lists; sorted by address', () => {
    const drift = driftByDatabase(
      planOf(
        [
          {
            address: 'module.orders.aws_kms_key.this[0]',
            actions: ['no-op'],
            before: { a: 1 },
            after: { a: 1 },
          },
          {
            address: 'module.cms.aws_db_instance.this[0]',
            actions: ['update'],
            before: { a: 1, b: 2 },
            after: { a: 1, b: 3 },
          },
          { address: 'module.cms.aws_db_instance.this[0]', actions: ['no-op'], before: {}, after: {} },
          { address: 'module.cms.aws_kms_key.this[0]', actions: ['update'], before: { t: 1 }, after: {} },
          { address: 'aws_s3_bucket.logs', actions: ['update'], before: { a: 1 }, after: { a: 2 } },
        ],
        [
          {
            address: 'module.cms.aws_db_instance.this[0]',
            before: { x: [1], y: 'same' },
            after: { x: [2], y: 'same' },
          },
        ],
      ),
    );
    expect([...drift.entries()]).toEqual([
      [
        'cms',
        {
          drifted: [{ address: 'module.cms.aws_db_instance.this[0]', attributes: ['x'] }],
          changed: [
            { address: 'module.cms.aws_db_instance.this[0]', attributes: ['b'] },
            // Known only after apply: absent from after.
            { address: 'module.cms.aws_kms_key.this[0]', attributes: ['t'] },
          ],
        },
      ],
      ['orders', { drifted: [], changed: [] }],
    ]);
  });
});

describe('applyFailureReason', () => {
  const log = (name: string) => readFileSync(join(FIXTURES, 'apply-failure', name), 'utf8');
  const refused =
    'module.orders.aws_db_subnet_group.this: creating RDS DB Subnet Group (orders): operation error RDS: CreateDBSubnetGroup, exceeded maximum number of attempts, 1, https response error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused';

  it.each(['plain.log', 'colour.log', 'json.log'])(
    'Terraform 1.11.4’s real output (%s): the error and its resource, nothing of the plan around it',
    (name) => {
      expect(applyFailureReason(log(name))).toBe(refused);
    },
  );

  it('plain output: each error with its detail, the source location and snippet left out', () => {
    const output = [
      'module.orders.aws_rds_cluster.this[0]: Creating...',
      '',
      'Error: creating RDS Cluster (orders): InvalidParameterCombination: The engine version is not available',
      '',
      '  with module.orders.aws_rds_cluster.this[0],',
      '  on ../../modules/rds/cluster.tf line 1, in resource "aws_rds_cluster" "this":',
      '   1: resource "aws_rds_cluster" "this" {',
      '',
      'Choose a version the region offers:',
      'aws rds describe-db-engine-versions.',
      '',
      'Error: deleting KMS Alias (alias/rds/orders): AccessDenied',
      '',
      '  with module.orders.aws_kms_alias.this[0],',
      '  on ../../modules/rds/kms.tf line 9, in resource "aws_kms_alias" "this":',
      '   9: resource "aws_kms_alias" "this" {',
      '',
    ].join('\n');
    expect(applyFailureReason(output)).toBe(
      [
        'module.orders.aws_rds_cluster.this[0]: creating RDS Cluster (orders): InvalidParameterCombination: The engine version is not available — Choose a version the region offers: aws rds describe-db-engine-versions.',
        'module.orders.aws_kms_alias.this[0]: deleting KMS Alias (alias/rds/orders): AccessDenied',
      ].join('\n'),
    );
  });

  it('boxed output (a terminal’s): the detail inside the box, the expression values under the snippet left out', () => {
    const output = [
      '╷',
      '│ Error: Invalid count argument',
      '│ ',
      '│   on ../../modules/rds/cluster.tf line 2, in resource "aws_rds_cluster" "this":',
      '│    2:   count = local.is_cluster ? 1 : 0',
      '│     ├────────────────',
      '│     │ local.is_cluster is unknown',
      '│ ',
      '│ The "count" value depends on resource attributes that cannot be determined until apply.',
      '╵',
      'Releasing state lock. This may take a few moments...',
    ].join('\n');
    expect(applyFailureReason(output)).toBe(
      'Invalid count argument — The "count" value depends on resource attributes that cannot be determined until apply.',
    );
  });

  it('-json lines: error diagnostics with summary, detail and address; warnings and other messages left out', () => {
    const lines = [
      { type: 'version', terraform: '1.11.4' },
      {
        type: 'diagnostic',
        diagnostic: { severity: 'warning', summary: 'Deprecated attribute', detail: 'x' },
      },
      {
        type: 'diagnostic',
        diagnostic: {
          severity: 'error',
          summary: 'creating RDS DB Instance (cms): DBInstanceAlreadyExists',
          detail: 'An instance named cms\nalready exists.',
          address: 'module.cms.aws_db_instance.this[0]',
        },
      },
      { type: 'apply_errored', hook: { resource: { addr: 'module.cms.aws_db_instance.this[0]' } } },
    ].map((l) => JSON.stringify(l));
    expect(applyFailureReason(['not json {', ...lines].join('\n'))).toBe(
      'module.cms.aws_db_instance.this[0]: creating RDS DB Instance (cms): DBInstanceAlreadyExists — An instance named cms already exists.',
    );
  });

  it.each([
    [
      'password=hunter2 in a URL',
      'Error: connecting: postgres://u@h/db?password=hunter2&sslmode=require',
      'hunter2',
    ],
    [
      'a JSON password',
      'Error: bad request body {"master_password": "s3cr3t-Value!", "port": 5432}',
      's3cr3t-Value!',
    ],
    ['a quoted HCL value', 'Error: invalid value\n\n  master_password = "p@ss word"\n', 'p@ss word'],
    ['an AWS access key id', 'Error: signing with AKIAIOSFODNN7EXAMPLE failed', 'AKIAIOSFODNN7EXAMPLE'],
    [
      'an AWS secret key',
      'Error: key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY rejected',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
    [
      'a bearer token',
      'Error: 401 from https://api: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig',
      'eyJhbGciOiJIUzI1NiJ9',
    ],
    [
      'a PEM block',
      'Error: bad key\n\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----\n',
      'MIIEpAIBAAKCAQEA7',
    ],
  ])('redacts %s', (_what, output, secret) => {
    const reason = applyFailureReason(output);
    expect(reason).not.toContain(secret);
    expect(reason).toContain('[redacted]');
  });

  it('keeps what only looks long: a commit, an ARN of a secret, the word token', () => {
    const reason = applyFailureReason(
      'Error: at 0123456789abcdef0123456789abcdef01234567: the security token included in the request is invalid for arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1',
    );
    expect(reason).not.toContain('[redacted]');
  });

  it('at most 1,000 characters, redacted before it is cut', () => {
    const reason = applyFailureReason(`Error: ${'x'.repeat(990)} password=${'s'.repeat(40)}`);
    expect(reason).toHaveLength(1_000);
    expect(reason.endsWith('…')).toBe(true);
    expect(reason).not.toMatch(/s{5}/);
  });

  it.each(['', 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.', '{"type":"version"}'])(
    'a generic sentence when the output holds no error (%j)',
    (output) => {
      expect(applyFailureReason(output)).toMatch(/^Terraform's apply failed without an error message/);
    },
  );
});

describe('the documents these tests read are real', () => {
  it('every deployment’s plans are Terraform 1.11.4’s format 1.2 with resource_drift in the drift plan', () => {
    for (const deployment of DEPLOYMENT_FIXTURES) {
      const drift = terraformDocument(deployment, 'drift-plan') as Json;
      expect(drift).toMatchObject({ format_version: '1.2', terraform_version: '1.11.4' });
      expect((drift.resource_drift as unknown[]).length).toBeGreaterThan(0);
    }
  });
});
