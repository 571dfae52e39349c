import { newRequestId, systemClock } from '../adapters/system.js';
import type { AppContext } from '../app/context.js';

/** The use cases' context from a runtime's adapters: the policy's git conventions, the system clock and ids. */
export function appContext(
  parts: Pick<AppContext, 'policy' | 'store' | 'intake' | 'git' | 'logger' | 'audit'>,
): AppContext {
  return {
    ...parts,
    conventions: parts.policy.policy.git,
    clock: systemClock,
    newRequestId: (at?: Date) => newRequestId(at?.getTime()),
  };
}
