import type { RequestRecord } from '../domain/status.js';
import type { AppContext } from './context.js';

export interface PullRequestEvent {
  requestId: string;
  action: 'merged' | 'closed';
  number: number;
  at: Date;
}

/**
 * A pull request was merged or closed (a local review, or GitHub's webhook). Replays and late events
 * change nothing: the status store refuses moves backwards or out of a terminal status.
 */
export async function applyPullRequestEvent(
  ctx: AppContext,
  event: PullRequestEvent,
): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
  const detail = `pull request #${event.number} ${event.action}`;
  const result = await ctx.store.transition(event.requestId, event.action, { at: event.at, detail });
  if (result?.changed) ctx.logger.info(detail, { request_id: event.requestId });
  return result;
}
