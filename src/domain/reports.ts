/**
 * What the pipeline reports back, as the service keeps it: the plan of a pull request, the connection
 * details an apply leaves, and drift. Types and the small rules around them; Terraform's JSON documents
 * are read in ./terraform-json.ts and summarised in ./terraform-report.ts.
 */

/** Resource counts of one database in a plan, as Terraform counts them (a replacement is not an add). */
export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
  /** Delete-and-create pairs (either order); counted here only, not in add or destroy. */
  replace: number;
}

/** One database's part of a plan: the resource changes under `module.<db_name>`. */
export interface PlanDatabaseSummary extends PlanCounts {
  dbName: string;
  /** Addresses destroyed outright, and addresses replaced, sorted. */
  destroyed: string[];
  replaced: string[];
  /** The database itself (its cluster, cluster instance or DB instance) is destroyed or replaced. */
  databaseDestroyed: boolean;
  /** databaseDestroyed, and the request did not ask to retire that database: flagged loudly. */
  unexpected: boolean;
}

/** The latest plan the pipeline reported for a request's pull request. */
export interface PlanReport {
  /** The pull request's head commit the plan was made at. */
  commit: string;
  pullRequest: number;
  /** sha256 of what the service took from it (commit, counts, addresses): the same plan again is a replay. */
  digest: string;
  reportedAt: string;
  terraformVersion: string;
  /** Sorted by name; only databases with something to do are listed. */
  databases: PlanDatabaseSummary[];
  /** Resources outside any database's module (a provider-level resource, a stray). */
  other: PlanCounts;
}

/** How to reach a database, from the state after apply. Never a password or any sensitive value. */
export interface ConnectionDetails {
  writerEndpoint: string;
  /** Aurora's reader endpoint; null for an instance. */
  readerEndpoint: string | null;
  port: number;
  /** The secret RDS manages for the master user; the password is fetched from it, never reported. */
  masterUserSecretArn: string | null;
  /** Every resource ARN of the database's module, sorted. */
  resourceArns: string[];
}

/** What the last successful apply left, and which commit and request it came from. */
export interface AppliedState {
  details: ConnectionDetails;
  commit: string;
  requestId: string;
  /** When the request merged: orders applies, so an older commit's report never overwrites a newer one. */
  mergedAt: string;
  appliedAt: string;
}

/** Attributes that differ, per resource address. */
export interface AttributeChanges {
  address: string;
  attributes: string[];
}

export type DriftStatus = 'clean' | 'drifted' | 'pending';

/**
 * The nightly plan's verdict on one database. `drifted`: AWS holds what the files do not say (the plan's
 * `resource_drift`, or a change nobody merged). `pending`: only a merged and applied change waiting for
 * the maintenance window (apply_immediately false) is left, shown as such and not as drift.
 */
export interface DriftState {
  status: DriftStatus;
  /** When it was first found drifted, kept while it stays drifted; null when clean. */
  since: string | null;
  drifted: AttributeChanges[];
  pending: AttributeChanges[];
  commit: string;
  /** The plan's own timestamp: orders drift reports. */
  planTimestamp: string;
  reportedAt: string;
}

/** Per database, what the pipeline reported; `version` is the store's compare-and-swap counter. */
export interface DatabaseReport {
  dbName: string;
  /** 0 for one not stored yet. */
  version: number;
  connection: AppliedState | null;
  drift: DriftState | null;
}

export const emptyDatabaseReport = (dbName: string): DatabaseReport => ({
  dbName,
  version: 0,
  connection: null,
  drift: null,
});

/** The one command that fetches the master password: from the secret RDS manages, never from us. */
export function passwordCommand(secretArn: string): string {
  const region = /^arn:aws[\w-]*:secretsmanager:([a-z0-9-]+):/.exec(secretArn)?.[1];
  return `aws secretsmanager get-secret-value --secret-id ${secretArn}${region ? ` --region ${region}` : ''} --query SecretString --output text`;
}
