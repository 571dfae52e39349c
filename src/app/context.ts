import type { GitConventions } from '../domain/naming.js';
import type { LoadedPolicy } from '../domain/policy.js';
import type { AuditLog, Clock, GitHost, Intake, Logger, StatusStore } from '../ports.js';

/** What the use cases share, whatever the runtime: the policy, the conventions and the ports. */
export interface AppContext {
  policy: LoadedPolicy;
  conventions: GitConventions;
  store: StatusStore;
  intake: Intake;
  git: GitHost;
  clock: Clock;
  logger: Logger;
  /** Who did what: every mutation and every refusal, recorded by the use cases and the HTTP app. */
  audit: AuditLog;
  /** A new id (UUID version 7), for `at` when given (its time is the id's first bits), else now. */
  newRequestId: (at?: Date) => string;
}
