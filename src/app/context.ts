import type { GitConventions } from '../domain/naming.js';
import type { LoadedPolicy } from '../domain/policy.js';
import type { Clock, GitHost, Intake, Logger, StatusStore } from '../ports.js';

/** What the use cases share, whatever the runtime: the policy, the conventions and the ports. */
export interface AppContext {
  policy: LoadedPolicy;
  conventions: GitConventions;
  store: StatusStore;
  intake: Intake;
  git: GitHost;
  clock: Clock;
  logger: Logger;
  newRequestId: () => string;
}
