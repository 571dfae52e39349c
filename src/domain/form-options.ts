import { type Deployment, type Engine, type Policy, type VersionPolicy, versionsFor } from './policy.js';
import { runsOn } from './spec.js';

/** What one engine may be in an environment: its deployments and, per deployment, its versions. */
export interface EngineOptions {
  deployments: Deployment[];
  default_deployment: Deployment;
  engine_versions: Partial<Record<Deployment, VersionPolicy>>;
}

/** What a request form offers for one environment, defaults first: exactly what resolve() accepts. */
export interface EnvironmentOptions {
  engines: Partial<Record<Engine, EngineOptions>>;
  sizes: { default: string; allowed: string[] };
  /** Aurora writer plus readers; an `instance` deployment always has exactly one. */
  instances: { default: number; min: number; max: number };
  owner_required: boolean;
}

export interface FormOptions {
  default_environment: string;
  environments: Record<string, EnvironmentOptions>;
}

/**
 * The policy as a form needs it: per environment, only the choices it allows, with its defaults. Derived
 * from the same rules resolve() applies (mariadb only as `instance`, versions per deployment family,
 * an environment's own versions before the global ones), so a form built from it offers nothing the
 * API would refuse on policy grounds.
 */
export function formOptions(policy: Policy): FormOptions {
  const environments: Record<string, EnvironmentOptions> = {};
  for (const [name, env] of Object.entries(policy.environments)) {
    const engines: Partial<Record<Engine, EngineOptions>> = {};
    for (const engine of env.engines) {
      const deployments = env.deployments.allowed.filter((d) => runsOn(engine, d));
      if (deployments.length === 0) continue;
      const engineVersions: Partial<Record<Deployment, VersionPolicy>> = {};
      for (const deployment of deployments) {
        const versions = versionsFor(policy, env, engine, deployment);
        if (versions)
          engineVersions[deployment] = { default: versions.default, allowed: [...versions.allowed] };
      }
      const offered = deployments.filter((d) => engineVersions[d] !== undefined);
      if (offered.length === 0) continue;
      const preferred = env.deployments.default;
      engines[engine] = {
        deployments: offered,
        default_deployment: offered.includes(preferred) ? preferred : (offered[0] as Deployment),
        engine_versions: engineVersions,
      };
    }
    environments[name] = {
      engines,
      sizes: { default: env.sizes.default, allowed: [...env.sizes.allowed] },
      instances: { default: env.instances.default, min: env.instances.min, max: env.instances.max },
      owner_required: env.owner_required,
    };
  }
  const names = Object.keys(environments);
  return {
    default_environment: names.includes('dev') ? 'dev' : (names[0] ?? ''),
    environments,
  };
}
