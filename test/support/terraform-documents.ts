/**
 * Small documents in Terraform's JSON output format (`terraform show -json`), shaped as HashiCorp
 * documents them, for tests that need a precise plan or state (a destroy, a drift, a sensitive value).
 * Real documents made by Terraform against moto are in test/fixtures/terraform-json/.
 */
import type { ChangeAction } from '../../src/domain/terraform-json.js';

export interface Change {
  /** Database (module) name; the address is module.<db>.<type>.<name>. */
  db: string;
  type: string;
  name: string;
  actions: ChangeAction[];
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  afterSensitive?: Record<string, unknown>;
}

function resourceChange(change: Change) {
  return {
    address: `module.${change.db}.${change.type}.${change.name}`,
    module_address: `module.${change.db}`,
    mode: 'managed',
    type: change.type,
    name: change.name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: {
      actions: change.actions,
      before: change.before ?? (change.actions.includes('create') && change.actions.length === 1 ? null : {}),
      after: change.after ?? (change.actions.includes('delete') && change.actions.length === 1 ? null : {}),
      after_unknown: {},
      before_sensitive: {},
      after_sensitive: change.afterSensitive ?? {},
    },
  };
}

export function planDocument(options: {
  changes: Change[];
  drift?: Change[];
  timestamp?: string;
}): Record<string, unknown> {
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    resource_changes: options.changes.map(resourceChange),
    ...(options.drift ? { resource_drift: options.drift.map(resourceChange) } : {}),
    applyable: true,
    complete: true,
    errored: false,
  };
}

/** The state of an Aurora cluster with one writer, as the module leaves it. */
export function auroraState(db: string, region = 'eu-west-1', account = '123456789012') {
  const arn = (kind: string, name: string) => `arn:aws:rds:${region}:${account}:${kind}:${name}`;
  const resource = (type: string, name: string, values: Record<string, unknown>) => ({
    address: `module.${db}.${type}.${name}`,
    mode: 'managed',
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    schema_version: 0,
    values,
    sensitive_values: {},
  });
  return {
    format_version: '1.0',
    terraform_version: '1.11.4',
    values: {
      root_module: {
        child_modules: [
          {
            address: `module.${db}`,
            resources: [
              resource('aws_rds_cluster', 'this', {
                arn: arn('cluster', db),
                endpoint: `${db}.cluster-abc.${region}.rds.amazonaws.com`,
                reader_endpoint: `${db}.cluster-ro-abc.${region}.rds.amazonaws.com`,
                port: 5432,
                master_user_secret: [
                  {
                    kms_key_id: `arn:aws:kms:${region}:${account}:key/1`,
                    secret_arn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!cluster-1-AbCdEf`,
                    secret_status: 'active',
                  },
                ],
              }),
              resource('aws_rds_cluster_instance', 'this', {
                arn: arn('db', `${db}-one`),
                endpoint: `${db}-one.abc.${region}.rds.amazonaws.com`,
                port: 5432,
              }),
            ],
          },
        ],
      },
    },
  };
}

/** A state with no resources: after a database's root was destroyed. */
export const emptyState = () => ({ format_version: '1.0', terraform_version: '1.11.4' });
