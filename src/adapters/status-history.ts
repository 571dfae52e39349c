import type { Status } from '../domain/status.js';
import type { StatusChange } from '../ports.js';

/** The statuses a failure's reason belongs to: the worker's `failed`, and the pipeline's `apply_failed`. */
const FAILURES: readonly Status[] = ['failed', 'apply_failed'];

/** The words a history entry gets for a move, the same in every status store. */
export function historyDetail(to: Status, change: StatusChange): string | null {
  const parts: string[] = [];
  // Only a move on to the next step goes back to queued: say which step it starts.
  if (to === 'queued' && change.step !== undefined) parts.push(`step ${change.step}`);
  if (to === 'processing' && change.attempt !== undefined) parts.push(`attempt ${change.attempt}`);
  if (change.detail !== undefined) parts.push(change.detail);
  else if (FAILURES.includes(to) && change.failureReason !== undefined) parts.push(change.failureReason);
  else if (to === 'pr_open' && change.pullRequest)
    parts.push(`pull request #${change.pullRequest.number}: ${change.pullRequest.url}`);
  return parts.length > 0 ? parts.join(': ') : null;
}

/**
 * The failure reason a move leaves on the record, the same in every status store: a move to a failure
 * records its reason; any other move drops the one it had (a failed request whose pull request merged
 * after all, a failed apply run again).
 */
export function failureReasonOf(to: Status, change: StatusChange): string | null {
  if (!FAILURES.includes(to)) return null;
  return change.failureReason ?? change.detail ?? to.replace('_', ' ');
}
