/**
 * What the service takes from Terraform's documents (./terraform-json.ts), per database: a database's
 * resources are those under `module.<db_name>`, in either layout.
 */
import type { AttributeChanges, ConnectionDetails, PlanCounts, PlanDatabaseSummary } from './reports.js';
import { isValidDbName } from './request.js';
import {
  type ChangeAction,
  differingAttributes,
  type PlanDocument,
  type ResourceChange,
  type StateDocument,
  type StateResource,
} from './terraform-json.js';

/** The resources that are the database itself: destroying or replacing one loses its data. */
export const DATABASE_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'aws_rds_cluster',
  'aws_rds_cluster_instance',
  'aws_db_instance',
]);

/** The state attributes connectionFromState reads: all the reporter keeps of a state's resources. */
export const CONNECTION_ATTRIBUTES: ReadonlySet<string> = new Set([
  'arn',
  'endpoint',
  'reader_endpoint',
  'address',
  'port',
  'master_user_secret',
]);

const MODULE = /^module\.([^.[]+)(?:\.|$)/;

/** The database a module address belongs to (`module.orders` → orders); null at the root or nested elsewhere. */
export function databaseOfModule(moduleAddress: string | null): string | null {
  const name = moduleAddress === null ? undefined : MODULE.exec(moduleAddress)?.[1];
  return name !== undefined && isValidDbName(name) ? name : null;
}

type PlanKind = 'add' | 'change' | 'destroy' | 'replace';

/** How Terraform counts a change in its summary ("Plan: 1 to add, …"); null for no-op, read, forget. */
function kindOf(actions: readonly ChangeAction[]): PlanKind | null {
  const creates = actions.includes('create');
  const deletes = actions.includes('delete');
  if (creates && deletes) return 'replace';
  if (creates) return 'add';
  if (deletes) return 'destroy';
  if (actions.includes('update')) return 'change';
  return null;
}

const isChange = (actions: readonly ChangeAction[]) =>
  actions.some((action) => action !== 'no-op' && action !== 'read');

const emptyCounts = (): PlanCounts => ({ add: 0, change: 0, destroy: 0, replace: 0 });

/** Code-unit order: the same on every machine, whatever its locale. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (values: Iterable<string>) => [...values].sort(compare);

/** Counts and destroyed/replaced addresses per database with something to do, sorted by name. */
export function summarisePlan(plan: PlanDocument): {
  databases: Array<Omit<PlanDatabaseSummary, 'unexpected'>>;
  other: PlanCounts;
} {
  const databases = new Map<string, Omit<PlanDatabaseSummary, 'unexpected'>>();
  const other = emptyCounts();
  for (const rc of plan.resourceChanges) {
    const kind = kindOf(rc.actions);
    if (kind === null) continue;
    const dbName = databaseOfModule(rc.moduleAddress);
    if (dbName === null) {
      other[kind]++;
      continue;
    }
    let summary = databases.get(dbName);
    if (!summary) {
      summary = { dbName, ...emptyCounts(), destroyed: [], replaced: [], databaseDestroyed: false };
      databases.set(dbName, summary);
    }
    summary[kind]++;
    if (kind === 'destroy') summary.destroyed.push(rc.address);
    if (kind === 'replace') summary.replaced.push(rc.address);
    if ((kind === 'destroy' || kind === 'replace') && DATABASE_RESOURCE_TYPES.has(rc.type))
      summary.databaseDestroyed = true;
  }
  const list = [...databases.values()].sort((a, b) => compare(a.dbName, b.dbName));
  for (const summary of list) {
    summary.destroyed = sorted(summary.destroyed);
    summary.replaced = sorted(summary.replaced);
  }
  return { databases: list, other };
}

/** The databases a plan touches (any action but no-op and read), sorted. */
export function databasesChanged(plan: PlanDocument): string[] {
  const names = new Set<string>();
  for (const rc of plan.resourceChanges) {
    const dbName = isChange(rc.actions) ? databaseOfModule(rc.moduleAddress) : null;
    if (dbName !== null) names.add(dbName);
  }
  return sorted(names);
}

/** The databases with resources in a state, sorted. */
export function databasesInState(state: StateDocument): string[] {
  const names = new Set<string>();
  for (const resource of state.resources) {
    const dbName = databaseOfModule(resource.moduleAddress);
    if (dbName !== null) names.add(dbName);
  }
  return sorted(names);
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The secret RDS manages for the master user: `master_user_secret[0].secret_arn`. */
function masterUserSecretArn(values: Record<string, unknown>): string | null {
  const secrets = values.master_user_secret;
  const first: unknown = Array.isArray(secrets) ? secrets[0] : undefined;
  return typeof first === 'object' && first !== null && Object.hasOwn(first, 'secret_arn')
    ? text((first as Record<string, unknown>).secret_arn)
    : null;
}

/** The endpoints of the database's own resource: an Aurora cluster's, or a DB instance's address. */
function endpointsOf(
  resource: StateResource,
): Pick<ConnectionDetails, 'writerEndpoint' | 'readerEndpoint'> | null {
  const { values } = resource;
  if (resource.type === 'aws_rds_cluster') {
    const writerEndpoint = text(values.endpoint);
    return writerEndpoint === null ? null : { writerEndpoint, readerEndpoint: text(values.reader_endpoint) };
  }
  if (resource.type === 'aws_db_instance') {
    const writerEndpoint = text(values.address);
    return writerEndpoint === null ? null : { writerEndpoint, readerEndpoint: null };
  }
  return null;
}

/** A database's endpoints, port, secret ARN and resource ARNs from the state; null when it has none. */
export function connectionFromState(state: StateDocument, dbName: string): ConnectionDetails | null {
  const resources = state.resources.filter(
    (r) => r.mode === 'managed' && databaseOfModule(r.moduleAddress) === dbName,
  );
  for (const resource of resources) {
    const endpoints = endpointsOf(resource);
    if (!endpoints) continue;
    const { port } = resource.values;
    const arns = new Set(resources.map((r) => text(r.values.arn)).filter((arn) => arn !== null));
    return {
      ...endpoints,
      port: typeof port === 'number' ? port : 0,
      masterUserSecretArn: masterUserSecretArn(resource.values),
      resourceArns: sorted(arns),
    };
  }
  return null;
}

/** Per resource address, the attributes that differ between before and after, sorted by address. */
function attributeChanges(changes: ResourceChange[]): AttributeChanges[] {
  return changes
    .map((rc) => ({ address: rc.address, attributes: sorted(differingAttributes(rc.before, rc.after)) }))
    .sort((a, b) => compare(a.address, b.address));
}

/**
 * Per database the plan covers (any resource_changes entry, no-op included): the attributes changed
 * outside Terraform (`resource_drift`), and the attributes the plan would still change (non-no-op
 * `resource_changes`), each per resource address, sorted.
 */
export function driftByDatabase(
  plan: PlanDocument,
): Map<string, { drifted: AttributeChanges[]; changed: AttributeChanges[] }> {
  const drifted = new Map<string, ResourceChange[]>();
  const changed = new Map<string, ResourceChange[]>();
  const add = (into: Map<string, ResourceChange[]>, dbName: string, rc?: ResourceChange) => {
    const list = into.get(dbName) ?? [];
    if (rc) list.push(rc);
    into.set(dbName, list);
  };
  for (const rc of plan.resourceChanges) {
    const dbName = databaseOfModule(rc.moduleAddress);
    if (dbName !== null) add(changed, dbName, isChange(rc.actions) ? rc : undefined);
  }
  for (const rc of plan.resourceDrift) {
    const dbName = databaseOfModule(rc.moduleAddress);
    if (dbName !== null) add(drifted, dbName, rc);
  }
  const result = new Map<string, { drifted: AttributeChanges[]; changed: AttributeChanges[] }>();
  for (const dbName of sorted(new Set([...changed.keys(), ...drifted.keys()])))
    result.set(dbName, {
      drifted: attributeChanges(drifted.get(dbName) ?? []),
      changed: attributeChanges(changed.get(dbName) ?? []),
    });
  return result;
}

export { applyFailureReason } from './apply-failure.js';
