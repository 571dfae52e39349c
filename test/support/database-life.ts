/**
 * A database's life as the service lives it, for tests of what it writes: created by a request, then
 * changed by one request per change (applyChange on the previous outcome). Throws on a refusal, naming it.
 */
import { applyChange, type CurrentDatabase } from '../../src/domain/change.js';
import type { Policy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';

/** The request id of a database's creation in these tests; its short id names the final snapshot. */
export const CREATED_BY = '01JD6Z3Q8W4M2N5P7R9T1V3X5Z';

/** A database as its creating request leaves it: its settings and spec. */
export function createdDatabase(request: object, policy: Policy, requestId = CREATED_BY): CurrentDatabase {
  const result = resolveRequest(request, policy, { requestId });
  if (!result.ok) throw new Error(`${JSON.stringify(request)}: ${JSON.stringify(result.issues)}`);
  return result.value;
}

/** The database after each change in turn, each by a request of its own. */
export function afterChanges(
  current: CurrentDatabase,
  changes: readonly object[],
  policy: Policy,
): CurrentDatabase {
  return changes.reduce<CurrentDatabase>((database, change, n) => {
    const outcome = applyChange(
      database,
      change,
      policy,
      `01JD7A000${n}CHANGE${database.spec.dbName}`.slice(0, 64),
    );
    if (!outcome.ok) throw new Error(`${JSON.stringify(change)}: ${JSON.stringify(outcome.issues)}`);
    return outcome.value;
  }, current);
}
