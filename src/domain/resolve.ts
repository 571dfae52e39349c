import { engineDatabaseName } from './naming.js';
import { type EnvironmentPolicy, type Policy, type VersionPolicy, versionFamily } from './policy.js';
import { type Deployment, type FieldIssue, parseRequest, type RequestV1, type Result } from './request.js';
import { awsEngine, type DatabaseSpec, MANAGED_BY, type NetworkRef, UNASSIGNED_OWNER } from './spec.js';

export interface ResolveContext {
  /** The id the service gave the request; it goes into the file header and the request-id tag. */
  requestId: string;
}

const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Applies the environment's policy to a schema-valid request: either a spec with every setting
 * explicit, or every policy violation in plain words. Pure and deterministic.
 */
export function resolve(request: RequestV1, policy: Policy, ctx: ResolveContext): Result<DatabaseSpec> {
  if (!REQUEST_ID.test(ctx.requestId))
    throw new Error(`invalid request id: ${JSON.stringify(ctx.requestId)}`);
  const envName = request.environment;
  const env = policy.environments[envName];
  if (!env) {
    const known = Object.keys(policy.environments).join(', ');
    return fail([
      { path: 'environment', message: `environment ${envName} is not configured; choose one of: ${known}` },
    ]);
  }

  const issues: FieldIssue[] = [];
  const violation = (path: string, message: string) => issues.push({ path, message });
  const { engine } = request;

  if (!env.engines.includes(engine))
    violation('engine', `engine ${engine} is not allowed in ${envName}; allowed: ${env.engines.join(', ')}`);

  const deployment = chooseDeployment(request, env);
  const deploymentOk =
    !(engine === 'mariadb' && deployment !== 'instance') && env.deployments.allowed.includes(deployment);
  if (engine === 'mariadb' && deployment !== 'instance') {
    violation('deployment', 'mariadb runs only as deployment instance');
  } else if (!deploymentOk) {
    violation(
      'deployment',
      `deployment ${deployment} is not allowed in ${envName}; allowed: ${env.deployments.allowed.join(', ')}`,
    );
  }

  const size = request.size ?? env.sizes.default;
  if (!env.sizes.allowed.includes(size))
    violation('size', `size ${size} is not allowed in ${envName}; allowed: ${env.sizes.allowed.join(', ')}`);

  const family = versionFamily(deployment);
  const versions: VersionPolicy | undefined =
    env.engine_versions?.[engine]?.[family] ?? policy.engines[engine][family];
  const engineVersion = request.engine_version ?? versions?.default ?? '';
  if (!deploymentOk) {
    // The version can only be judged once the deployment is right.
  } else if (!versions) {
    violation('engine_version', `no ${engine} versions are configured for deployment ${deployment}`);
  } else if (!versions.allowed.includes(engineVersion)) {
    violation(
      'engine_version',
      `engine_version ${engineVersion} is not allowed for ${engine} on ${deployment} in ${envName}; allowed: ${versions.allowed.join(', ')}`,
    );
  }

  let instances: number;
  if (deployment === 'instance') {
    instances = 1;
    if (request.instances !== undefined && request.instances !== 1)
      violation(
        'instances',
        'deployment instance runs a single database instance; choose aurora or aurora-serverless for readers',
      );
  } else {
    instances = request.instances ?? env.instances.default;
    if (instances < env.instances.min)
      violation('instances', `${envName} requires at least ${env.instances.min} instances`);
    if (instances > env.instances.max)
      violation('instances', `${envName} allows at most ${env.instances.max} instances`);
  }

  if (env.owner_required && !request.owner) violation('owner', `${envName} requires owner`);

  if (issues.length > 0) return fail(issues);

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

/** MariaDB has no Aurora flavour, so without an explicit deployment it gets `instance`. */
function chooseDeployment(request: RequestV1, env: EnvironmentPolicy): Deployment {
  if (request.deployment) return request.deployment;
  if (request.engine === 'mariadb') return 'instance';
  return env.deployments.default;
}

function networkRef(environment: string, env: EnvironmentPolicy): NetworkRef {
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

/** Schema check, then policy: what both the HTTP API and the CLI run on raw input. */
export function resolveRequest(
  input: unknown,
  policy: Policy,
  ctx: ResolveContext,
): Result<{ request: RequestV1; spec: DatabaseSpec }> {
  const parsed = parseRequest(input);
  if (!parsed.ok) return parsed;
  const resolved = resolve(parsed.value, policy, ctx);
  if (!resolved.ok) return resolved;
  return { ok: true, value: { request: parsed.value, spec: resolved.value } };
}
