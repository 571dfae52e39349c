/**
 * What the service takes from Terraform's documents (./terraform-json.ts), per database: a database's
 * resources are those under `module.<db_name>`, in either layout. (Contract: bodies are filled in by
 * the Terraform JSON work.)
 */
import type { AttributeChanges, ConnectionDetails, PlanCounts, PlanDatabaseSummary } from './reports.js';
import type { PlanDocument, StateDocument } from './terraform-json.js';

/** The database a module address belongs to (`module.orders` → orders); null at the root or nested elsewhere. */
export declare function databaseOfModule(moduleAddress: string | null): string | null;

/** Counts and destroyed/replaced addresses per database with something to do, sorted by name. */
export declare function summarisePlan(plan: PlanDocument): {
  databases: Array<Omit<PlanDatabaseSummary, 'unexpected'>>;
  other: PlanCounts;
};

/** The databases a plan touches (any action but no-op and read), sorted. */
export declare function databasesChanged(plan: PlanDocument): string[];

/** The databases with resources in a state, sorted. */
export declare function databasesInState(state: StateDocument): string[];

/** A database's endpoints, port, secret ARN and resource ARNs from the state; null when it has none. */
export declare function connectionFromState(state: StateDocument, dbName: string): ConnectionDetails | null;

/**
 * Per database the plan covers (any resource_changes entry, no-op included): the attributes changed
 * outside Terraform (`resource_drift`), and the attributes the plan would still change (non-no-op
 * `resource_changes`), each per resource address, sorted.
 */
export declare function driftByDatabase(
  plan: PlanDocument,
): Map<string, { drifted: AttributeChanges[]; changed: AttributeChanges[] }>;

/**
 * Why an apply failed, from Terraform's output (plain text or `-json` lines): its error diagnostics,
 * with anything secret-looking removed, at most 1,000 characters.
 */
export declare function applyFailureReason(log: string): string;
