import type { PullRequestReview } from '../ports.js';
import { applyPullRequestEvent } from './apply-pull-request-event.js';
import type { AppContext } from './context.js';

/**
 * Brings requests in line with their pull requests. A merge or close is recorded on the pull request
 * first and on the request second; a crash between the two would leave the request open forever, so
 * start-up replays every merged or closed pull request. Replays of settled requests change nothing.
 * First, merges a crash cut short (the base moved, the pull request still open) are recorded as merged,
 * so that the file is on the base if and only if the request is merged.
 */
export async function reconcilePullRequests(ctx: AppContext, review: PullRequestReview): Promise<number> {
  const finished = await review.finishInterruptedMerges();
  if (finished > 0) ctx.logger.warn('merges interrupted by a restart finished', { count: finished });
  let settled = 0;
  for (const pr of await review.list()) {
    if (pr.state === 'open' || !pr.requestId) continue;
    const result = await applyPullRequestEvent(ctx, {
      requestId: pr.requestId,
      action: pr.state,
      number: pr.number,
      headBranch: pr.branch,
      ...(pr.mergeCommit ? { mergeCommit: pr.mergeCommit } : {}),
      at: ctx.clock.now(),
    });
    if (result?.changed) settled++;
  }
  if (settled > 0)
    ctx.logger.warn('requests settled from their pull requests after a restart', { count: settled });
  return settled;
}
