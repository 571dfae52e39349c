import type { EnvironmentPolicy } from './policy.js';
import type { DatabaseSpec } from './spec.js';

/**
 * Retiring a database: who may, and the steps that take it away without leaving it half-destroyed.
 * Terraform cannot destroy a cluster or instance under deletion protection, and a destroy uses the
 * final-snapshot settings already in the state, so those must be applied before the file goes.
 */

/** Whether the environment keeps a final snapshot when a database is retired. */
export const keepsFinalSnapshot = (env: EnvironmentPolicy): boolean =>
  env.retire.final_snapshot ?? !env.skip_final_snapshot;

/**
 * Why this requester may not retire the database (403), or null when they may. `creator` is the identity
 * recorded for the request that created it (null when the service has no record of it).
 */
export function retireRefusal(
  env: EnvironmentPolicy,
  environment: string,
  requester: string,
  creator: string | null,
): string | null {
  if (!env.retire.allowed)
    return `the policy does not allow retiring databases in ${environment} through rds-provisioner (environments.${environment}.retire.allowed)`;
  if (env.retire.owner_only && creator !== requester)
    return creator === null
      ? `only whoever asked for a database may retire it in ${environment}, and this service has no record of who asked for this one`
      : `only whoever asked for a database may retire it in ${environment} (environments.${environment}.retire.owner_only)`;
  return null;
}

/**
 * The first step of a retirement, when one is needed: the database as it must be applied before its
 * file can go (deletion protection off, and a final snapshot on wherever the policy keeps one). Null
 * when the file can go at once.
 */
export function unprotectedSpec(
  spec: DatabaseSpec,
  env: EnvironmentPolicy,
  requestId: string,
): DatabaseSpec | null {
  const keep = keepsFinalSnapshot(env);
  const snapshotMissing = keep && spec.skipFinalSnapshot;
  if (!spec.deletionProtection && !snapshotMissing) return null;
  return {
    ...spec,
    requestId,
    deletionProtection: false,
    skipFinalSnapshot: keep ? false : spec.skipFinalSnapshot,
  };
}
