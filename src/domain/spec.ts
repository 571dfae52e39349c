import type { DatabaseLocation } from './layout.js';
import { ownValue } from './own-keys.js';
import { DEPLOYMENTS, type Deployment, type Engine, type Size } from './request.js';

/** The deployments each engine runs as: MariaDB has no Aurora flavour, so it runs only as an instance. */
export const ENGINE_DEPLOYMENTS: Readonly<Record<Engine, readonly Deployment[]>> = {
  mysql: DEPLOYMENTS,
  postgres: DEPLOYMENTS,
  mariadb: ['instance'],
};

export const runsOn = (engine: Engine, deployment: Deployment): boolean =>
  ownValue(ENGINE_DEPLOYMENTS, engine)?.includes(deployment) ?? false;

/** The engine value AWS and the module use, from the requested engine and deployment. */
export type AwsEngine = 'aurora-mysql' | 'aurora-postgresql' | 'mysql' | 'postgres' | 'mariadb';

export function awsEngine(engine: Engine, deployment: Deployment): AwsEngine {
  if (deployment === 'instance') return engine;
  return engine === 'postgres' ? 'aurora-postgresql' : 'aurora-mysql';
}

/** Network references: spelled out from the policy, or read from terraform/live's `networks` variable. */
export type NetworkRef =
  | { kind: 'live-variable'; environment: string }
  | {
      kind: 'literal';
      vpcId: string;
      subnetIds: string[];
      allowedSecurityGroupIds: string[];
      allowedCidrBlocks: string[];
    };

/**
 * A fully resolved database: every setting the generated file spells out, nothing left to a default
 * that a reviewer cannot see. Settings that do not apply to the deployment are null.
 */
export interface DatabaseSpec {
  requestId: string;
  environment: string;
  dbName: string;
  /** Database created inside the engine (hyphens become underscores). */
  databaseName: string;
  engine: Engine;
  deployment: Deployment;
  size: Size;
  awsEngine: AwsEngine;
  engineVersion: string;
  /** Set once a change has upgraded the major version: RDS refuses a major upgrade without it. */
  allowMajorVersionUpgrade: boolean;
  /**
   * Whether AWS applies a change at once (true) or in the next maintenance window (false); the policy's.
   * Null in files written before the policy said (the module's default, false, applies).
   */
  applyImmediately: boolean | null;
  /** Aurora provisioned and instance deployments; null for Serverless v2 (db.serverless). */
  instanceClass: string | null;
  /** Aurora writer plus readers; 1 for an instance deployment. */
  instances: number;
  serverless: { minCapacity: number; maxCapacity: number } | null;
  storage: { allocatedGb: number; maxAllocatedGb: number; type: 'gp3' } | null;
  /** Instance deployments only. */
  multiAz: boolean | null;
  owner: string;
  deletionProtection: boolean;
  backupRetentionDays: number;
  skipFinalSnapshot: boolean;
  /**
   * The final snapshot's name, unique to this database's life (its creating request's short id), so a
   * name retired and asked for again never collides with the first one's snapshot. Null in files written
   * before (the module's default, `<name>-final`).
   */
  finalSnapshotIdentifier: string | null;
  backupWindow: string;
  maintenanceWindow: string;
  monitoringInterval: number;
  performanceInsights: boolean;
  /** Null when Performance Insights is off. */
  performanceInsightsRetentionDays: number | null;
  logRetentionDays: number;
  /** Settings the policy holds fixed in every environment, written out so review sees them. */
  iamDatabaseAuthentication: true;
  copyTagsToSnapshot: true;
  autoMinorVersionUpgrade: true;
  engineLifecycleSupport: 'open-source-rds-extended-support-disabled';
  network: NetworkRef;
  /** The environment's AWS region and role, when its databases have roots of their own; else null. */
  account: { region: string; roleArn: string | null } | null;
  /** The provider's default_tags in a root of its own: managed-by, then the policy's default_tags by key. */
  defaultTags: Record<string, string>;
  /** Where its Terraform lives: root, file, module source, state key (./layout.ts). */
  location: DatabaseLocation;
  /** Final tags: the requester's plus the four the service sets, sorted by key. */
  tags: Record<string, string>;
}

export const MANAGED_BY = 'rds-provisioner';
export const UNASSIGNED_OWNER = 'unassigned';
