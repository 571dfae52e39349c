import type { InitRepoPlan } from '../app/init-repo.js';
import { CliError, EXIT } from './exit-codes.js';

/** One conflict and nothing is written: each conflicting file named. */
export function refuseConflicts(plan: InitRepoPlan, where: string): void {
  if (plan.conflicts.length === 0) return;
  throw new CliError(
    [
      ...plan.conflicts.map(
        (path) => `conflict: ${path} exists in ${where} with other content; init-repo never overwrites`,
      ),
      `nothing was written: move or merge ${plan.conflicts.length === 1 ? 'that file' : 'those files'} by hand, then run init-repo again (exit ${EXIT.conflict})`,
    ],
    EXIT.conflict,
  );
}
