import { ownValue } from './own-keys.js';
import { type EnvironmentPolicy, type Policy, versionsFor } from './policy.js';
import type { Deployment, Engine, FieldIssue, RequestV1, Size } from './request.js';
import { ENGINE_DEPLOYMENTS, runsOn } from './spec.js';
import { didYouMean } from './suggest.js';

/** Every choice the policy makes for a request, defaults filled in. */
export interface PolicyChoices {
  environment: string;
  env: EnvironmentPolicy;
  engine: Engine;
  deployment: Deployment;
  size: Size;
  engineVersion: string;
  instances: number;
}

export interface PolicyOutcome {
  issues: FieldIssue[];
  /** Set only when every rule ran and none was broken. */
  choices?: PolicyChoices;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The environment policy's rules, each stated once. `request` holds the fields that passed the schema;
 * `refused` names those the schema refused. A rule runs only when its inputs are known (valid, or absent
 * with a policy default), so a refused field is never judged twice and a missing one never guessed.
 */
export function applyPolicy(
  request: Partial<RequestV1>,
  policy: Policy,
  refused: ReadonlySet<string> = NONE,
): PolicyOutcome {
  const { environment, engine } = request;
  if (environment === undefined) return { issues: [] };
  const env = ownValue(policy.environments, environment);
  if (!env) {
    const known = Object.keys(policy.environments);
    const message = `environment ${environment} is not configured; choose one of: ${known.join(', ')}`;
    return { issues: [{ path: 'environment', message: `${message}${didYouMean(environment, known)}` }] };
  }

  const issues: FieldIssue[] = [];
  const violation = (path: keyof RequestV1, message: string) => issues.push({ path, message });
  const known = (field: keyof RequestV1) => !refused.has(field);

  if (engine !== undefined && !env.engines.includes(engine))
    violation(
      'engine',
      `engine ${engine} is not allowed in ${environment}; allowed: ${env.engines.join(', ')}`,
    );

  const deployment = known('deployment') ? chooseDeployment(request.deployment, engine, env) : undefined;
  let deploymentOk = false;
  if (deployment !== undefined) {
    if (engine !== undefined && !runsOn(engine, deployment)) {
      violation('deployment', `${engine} runs only as deployment ${ENGINE_DEPLOYMENTS[engine].join(', ')}`);
    } else if (!env.deployments.allowed.includes(deployment)) {
      violation(
        'deployment',
        `deployment ${deployment} is not allowed in ${environment}; allowed: ${env.deployments.allowed.join(', ')}`,
      );
    } else {
      deploymentOk = true;
    }
  }

  const size = known('size') ? (request.size ?? env.sizes.default) : undefined;
  if (size !== undefined && !env.sizes.allowed.includes(size))
    violation(
      'size',
      `size ${size} is not allowed in ${environment}; allowed: ${env.sizes.allowed.join(', ')}`,
    );

  // The version can only be judged once the engine and the deployment are right.
  let engineVersion: string | undefined;
  if (engine !== undefined && deployment !== undefined && deploymentOk && known('engine_version')) {
    const versions = versionsFor(policy, env, engine, deployment);
    if (!versions) {
      violation('engine_version', `no ${engine} versions are configured for deployment ${deployment}`);
    } else {
      engineVersion = request.engine_version ?? versions.default;
      if (!versions.allowed.includes(engineVersion))
        violation(
          'engine_version',
          `engine_version ${engineVersion} is not allowed for ${engine} on ${deployment} in ${environment}; allowed: ${versions.allowed.join(', ')}`,
        );
    }
  }

  let instances: number | undefined;
  if (deployment === 'instance' && known('instances')) {
    instances = 1;
    if (request.instances !== undefined && request.instances !== 1)
      violation(
        'instances',
        'deployment instance runs a single database instance; choose aurora or aurora-serverless for readers',
      );
  } else if (deployment !== undefined && known('instances')) {
    instances = request.instances ?? env.instances.default;
    if (instances < env.instances.min)
      violation('instances', `${environment} requires at least ${env.instances.min} instances`);
    if (instances > env.instances.max)
      violation('instances', `${environment} allows at most ${env.instances.max} instances`);
  }

  if (known('owner') && env.owner_required && !request.owner)
    violation('owner', `${environment} requires owner`);

  if (
    issues.length > 0 ||
    engine === undefined ||
    deployment === undefined ||
    size === undefined ||
    engineVersion === undefined ||
    instances === undefined
  )
    return { issues };
  return { issues, choices: { environment, env, engine, deployment, size, engineVersion, instances } };
}

/**
 * The requested deployment, else the environment's default if the engine runs on it, else the engine's
 * own (MariaDB: `instance`). Unknown while neither the deployment nor the engine is.
 */
function chooseDeployment(
  requested: Deployment | undefined,
  engine: Engine | undefined,
  env: EnvironmentPolicy,
): Deployment | undefined {
  if (requested !== undefined) return requested;
  if (engine === undefined) return undefined;
  return runsOn(engine, env.deployments.default) ? env.deployments.default : ENGINE_DEPLOYMENTS[engine][0];
}
