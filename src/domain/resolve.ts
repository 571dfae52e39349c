import { locate } from './layout.js';
import { engineDatabaseName, shortId } from './naming.js';
import type { EnvironmentPolicy, Policy } from './policy.js';
import { applyPolicy } from './policy-rules.js';
import type { FieldIssue, RequestV1, Result } from './request.js';
import { awsEngine, type DatabaseSpec, MANAGED_BY, type NetworkRef, UNASSIGNED_OWNER } from './spec.js';
import { checkRequest } from './validate.js';

export interface ResolveContext {
  /** The id the service gave the request; it goes into the file header and the request-id tag. */
  requestId: string;
}

/** What a request id looks like; a generated file names one in its header and its request-id tag. */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Applies the environment's policy to a schema-valid request: either a spec with every setting
 * explicit, or every policy violation in plain words. Pure and deterministic.
 */
export function resolve(request: RequestV1, policy: Policy, ctx: ResolveContext): Result<DatabaseSpec> {
  if (!REQUEST_ID.test(ctx.requestId))
    throw new Error(`invalid request id: ${JSON.stringify(ctx.requestId)}`);
  const { issues, choices } = applyPolicy(request, policy);
  if (!choices) return fail(issues);
  const { environment: envName, env, engine, deployment, size, engineVersion, instances } = choices;

  const sizing = policy.sizes[size];
  const owner = request.owner ?? UNASSIGNED_OWNER;
  const spec: DatabaseSpec = {
    requestId: ctx.requestId,
    environment: envName,
    dbName: request.db_name,
    databaseName: engineDatabaseName(request.db_name),
    engine,
    deployment,
    size,
    awsEngine: awsEngine(engine, deployment),
    engineVersion,
    allowMajorVersionUpgrade: false,
    applyImmediately: env.apply_immediately,
    instanceClass: deployment === 'aurora-serverless' ? null : sizing.instance_class,
    instances,
    serverless:
      deployment === 'aurora-serverless'
        ? { minCapacity: sizing.serverless.min_capacity, maxCapacity: sizing.serverless.max_capacity }
        : null,
    storage:
      deployment === 'instance'
        ? {
            allocatedGb: sizing.storage.allocated_gb,
            maxAllocatedGb: sizing.storage.max_allocated_gb,
            type: 'gp3',
          }
        : null,
    multiAz: deployment === 'instance' ? env.multi_az : null,
    owner,
    deletionProtection: env.deletion_protection,
    backupRetentionDays: env.backup_retention_days,
    skipFinalSnapshot: env.skip_final_snapshot,
    finalSnapshotIdentifier: `${request.db_name}-final-${shortId(ctx.requestId)}`,
    backupWindow: env.backup_window,
    maintenanceWindow: env.maintenance_window,
    monitoringInterval: env.monitoring_interval,
    performanceInsights: env.performance_insights,
    performanceInsightsRetentionDays: env.performance_insights
      ? env.performance_insights_retention_days
      : null,
    logRetentionDays: env.log_retention_days,
    iamDatabaseAuthentication: true,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
    engineLifecycleSupport: 'open-source-rds-extended-support-disabled',
    network: networkRef(envName, env),
    account: accountOf(env),
    defaultTags: defaultTagsOf(policy),
    location: locate(policy.git, request.db_name, envName),
    tags: sortKeys({
      ...request.tags,
      environment: envName,
      owner,
      'managed-by': MANAGED_BY,
      'request-id': ctx.requestId,
    }),
  };
  return { ok: true, value: spec };
}

/** The environment's account and region, for a root of its own; null when it gives none. */
export function accountOf(env: EnvironmentPolicy): DatabaseSpec['account'] {
  return env.aws ? { region: env.aws.region, roleArn: env.aws.role_arn ?? null } : null;
}

/** A root's provider default_tags: managed-by, then the policy's by key. */
export function defaultTagsOf(policy: Policy): Record<string, string> {
  return { 'managed-by': MANAGED_BY, ...sortKeys(policy.default_tags) };
}

/** The policy's literal network for the environment, or its entry in terraform/live's `networks` variable. */
export function networkRef(environment: string, env: EnvironmentPolicy): NetworkRef {
  if (!env.network) return { kind: 'live-variable', environment };
  return {
    kind: 'literal',
    vpcId: env.network.vpc_id,
    subnetIds: [...env.network.subnet_ids],
    allowedSecurityGroupIds: [...env.network.allowed_security_group_ids],
    allowedCidrBlocks: [...env.network.allowed_cidr_blocks],
  };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const fail = (issues: FieldIssue[]): Result<never> => ({ ok: false, issues });

/** Every schema and policy problem, or the request and its spec: what the HTTP API and the CLI run on raw input. */
export function resolveRequest(
  input: unknown,
  policy: Policy,
  ctx: ResolveContext,
): Result<{ request: RequestV1; spec: DatabaseSpec }> {
  const checked = checkRequest(input, policy);
  if (!checked.ok) return checked;
  const resolved = resolve(checked.value, policy, ctx);
  if (!resolved.ok) return resolved;
  return { ok: true, value: { request: checked.value, spec: resolved.value } };
}
