import type { DatabaseSpec } from '../domain/spec.js';
import { literal } from './pull-request.js';

/**
 * The resources terraform/modules/rds creates for one database, by address inside the module call, as
 * the module's `count` and `for_each` conditions decide them for the arguments a generated file passes
 * (renderTerraform). A generated file leaves kms_key_id, monitoring_role_arn and
 * enabled_cloudwatch_logs_exports at the module's defaults, so the module creates the KMS key, the
 * monitoring role (when monitoring is on) and the engine's default log groups itself.
 * test/unit/pull-request-lifecycle.test.ts evaluates the module's own conditions against this list.
 */

export interface ModuleResource {
  /** The address inside the module call, e.g. `aws_rds_cluster_instance.this[1]`. */
  address: string;
  /** What it is, in a reviewer's words (Markdown; values in code spans). */
  what: string;
}

/** The module's kms_key_deletion_window_in_days default, which generated files do not set. */
export const KMS_KEY_DELETION_WINDOW_DAYS = 30;

/** The final snapshot's name: the file's, or the module's default `<name>-final` for files without one. */
export const finalSnapshotName = (spec: DatabaseSpec): string =>
  spec.finalSnapshotIdentifier ?? `${spec.dbName}-final`;

/** The module's default log exports (enabled_cloudwatch_logs_exports = null): one log group each. */
function logExports(spec: DatabaseSpec): string[] {
  return spec.engine === 'postgres' ? ['postgresql'] : ['audit', 'error', 'slowquery'];
}

/** The audit plugin's option group: an RDS instance exporting the audit log (MySQL and MariaDB). */
export const hasOptionGroup = (spec: DatabaseSpec): boolean =>
  spec.deployment === 'instance' && logExports(spec).includes('audit');

/** A resource's full address in the root: the module call is named after the database. */
export const rootAddress = (spec: DatabaseSpec, address: string): string =>
  `module.${spec.dbName}.${address}`;

/** The parameter and option groups, which a major version upgrade replaces with the new family's. */
export function parameterGroups(spec: DatabaseSpec): ModuleResource[] {
  const cluster = spec.deployment !== 'instance';
  return [
    ...(cluster
      ? [{ address: 'aws_rds_cluster_parameter_group.this[0]', what: 'cluster parameter group' }]
      : []),
    {
      address: 'aws_db_parameter_group.this',
      what: cluster ? 'instance parameter group' : 'parameter group',
    },
    ...(hasOptionGroup(spec)
      ? [{ address: 'aws_db_option_group.this[0]', what: 'option group (audit plugin)' }]
      : []),
  ];
}

export function moduleResources(spec: DatabaseSpec): ModuleResource[] {
  const key = (value: string) => `["${value}"]`;
  const database: ModuleResource[] =
    spec.deployment === 'instance'
      ? [{ address: 'aws_db_instance.this[0]', what: `the DB instance ${literal(spec.dbName)}` }]
      : [
          { address: 'aws_rds_cluster.this[0]', what: `the Aurora cluster ${literal(spec.dbName)}` },
          ...Array.from({ length: spec.instances }, (_, i) => ({
            address: `aws_rds_cluster_instance.this[${i}]`,
            what: `the cluster instance ${literal(`${spec.dbName}-${i + 1}`)}${i === 0 ? ' (writer)' : ''}`,
          })),
        ];
  const network = spec.network;
  const ingress: ModuleResource[] =
    network.kind === 'literal'
      ? [
          ...network.allowedSecurityGroupIds.map((id) => ({
            address: `aws_vpc_security_group_ingress_rule.from_security_group${key(id)}`,
            what: `ingress rule from ${literal(id)}`,
          })),
          ...network.allowedCidrBlocks.map((cidr) => ({
            address: `aws_vpc_security_group_ingress_rule.from_cidr${key(cidr)}`,
            what: `ingress rule from ${literal(cidr)}`,
          })),
        ]
      : [
          {
            address: 'aws_vpc_security_group_ingress_rule.from_security_group[*]',
            what: `ingress rules, one per allowed security group in ${literal(`var.networks["${network.environment}"]`)}`,
          },
          {
            address: 'aws_vpc_security_group_ingress_rule.from_cidr[*]',
            what: `ingress rules, one per allowed CIDR block in ${literal(`var.networks["${network.environment}"]`)}`,
          },
        ];
  const logKind = spec.deployment === 'instance' ? 'instance' : 'cluster';
  return [
    ...database,
    ...parameterGroups(spec),
    { address: 'aws_db_subnet_group.this', what: 'DB subnet group' },
    { address: 'aws_security_group.this', what: 'security group' },
    ...ingress,
    ...logExports(spec).map((log) => ({
      address: `aws_cloudwatch_log_group.this${key(log)}`,
      what: `log group ${literal(`/aws/rds/${logKind}/${spec.dbName}/${log}`)} and the logs in it`,
    })),
    ...(spec.monitoringInterval > 0
      ? [
          { address: 'aws_iam_role.monitoring[0]', what: 'Enhanced Monitoring role' },
          {
            address: 'aws_iam_role_policy_attachment.monitoring[0]',
            what: "the monitoring role's policy attachment",
          },
        ]
      : []),
    {
      address: 'aws_kms_key.this[0]',
      what: `KMS key (scheduled for deletion, after ${KMS_KEY_DELETION_WINDOW_DAYS} days)`,
    },
    { address: 'aws_kms_alias.this[0]', what: `KMS alias ${literal(`alias/rds/${spec.dbName}`)}` },
  ];
}
