/**
 * What the service takes from Terraform's documents (./terraform-json.ts), per database: a database's
 * resources are those under `module.<db_name>`, in either layout. (Contract: bodies are filled in by
 * the Terraform JSON work.)
 */
import type { AttributeChanges, ConnectionDetails, PlanCounts, PlanDatabaseSummary } from './reports.js';
import type { PlanDocument, StateDocument } from './terraform-json.js';

/** The database a module address belongs to (`module.orders` → orders); null at the root or nested elsewhere. */
export function databaseOfModule(moduleAddress: string | null): string | null {
  throw new Error('not implemented yet');
}

/** Counts and destroyed/replaced addresses per database with something to do, sorted by name. */
export function summarisePlan(plan: PlanDocument): {
  databases: Array<Omit<PlanDatabaseSummary, 'unexpected'>>;
  other: PlanCounts;
} {
  throw new Error('not implemented yet');
}

/** The databases a plan touches (any action but no-op and read), sorted. */
export function databasesChanged(plan: PlanDocument): string[] {
  throw new Error('not implemented yet');
}

/** The databases with resources in a state, sorted. */
export function databasesInState(state: StateDocument): string[] {
  throw new Error('not implemented yet');
}

/** A database's endpoints, port, secret ARN and resource ARNs from the state; null when it has none. */
export function connectionFromState(state: StateDocument, dbName: string): ConnectionDetails | null {
  throw new Error('not implemented yet');
}

/**
 * Per database the plan covers (any resource_changes entry, no-op included): the attributes changed
 * outside Terraform (`resource_drift`), and the attributes the plan would still change (non-no-op
 * `resource_changes`), each per resource address, sorted.
 */
export function driftByDatabase(
  plan: PlanDocument,
): Map<string, { drifted: AttributeChanges[]; changed: AttributeChanges[] }> {
  throw new Error('not implemented yet');
}

/**
 * Why an apply failed, from Terraform's output (plain text or `-json` lines): its error diagnostics,
 * with anything secret-looking removed, at most 1,000 characters.
 */
export function applyFailureReason(log: string): string {
  throw new Error('not implemented yet');
}
