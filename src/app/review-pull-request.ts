import { type Decision, mayInEnvironment, type Principal } from '../domain/access.js';
import type { PullRequestInfo, PullRequestReview } from '../ports.js';
import { applyPullRequestEvent } from './apply-pull-request-event.js';
import { recordAudit } from './audit.js';
import type { AppContext } from './context.js';

export type ReviewAction = 'merge' | 'close';

export type ReviewOutcome =
  | { kind: 'done'; pr: PullRequestInfo }
  | { kind: 'not_found' }
  | { kind: 'forbidden'; message: string };

/**
 * Merges or closes a pull request of the local git host for a principal: allowed by the policy in the
 * environment of the request it was opened for (merge roles; separation of duties; whoever asked may
 * close their own), then done and settled on the request. Refusals and what was done are recorded in the
 * audit. A GitHostError (conflict, not open) passes through: nothing was done.
 *
 * The check reads what cannot change under it: a pull request's number names one pull request for good,
 * its request id is fixed when it is opened, and a request's requester and environment never change. So
 * a refusal here cannot turn into a merge by a race; a pull request merged or closed meanwhile makes the
 * merge itself fail (not open).
 */
export async function reviewPullRequest(
  ctx: AppContext,
  review: PullRequestReview,
  principal: Principal,
  action: ReviewAction,
  number: number,
): Promise<ReviewOutcome> {
  const found = await review.get(number);
  if (!found) return { kind: 'not_found' };
  const { decision, environment } = await mayReview(ctx, principal, action, found);
  const audited = {
    actor: principal,
    action: action === 'merge' ? ('pull.merge' as const) : ('pull.close' as const),
    target: `pull:${number}`,
    environment,
  };
  if (!decision.allowed) {
    await recordAudit(ctx, { ...audited, outcome: 'denied', detail: decision.reason });
    return { kind: 'forbidden', message: decision.reason };
  }
  const pr =
    action === 'merge'
      ? await review.merge(number, ctx.clock.now())
      : await review.close(number, ctx.clock.now());
  await recordAudit(ctx, {
    ...audited,
    outcome: 'allowed',
    detail: pr.requestId ? `request ${pr.requestId}` : 'a pull request that names no request',
  });
  if (pr.requestId) {
    await applyPullRequestEvent(ctx, {
      requestId: pr.requestId,
      action: action === 'merge' ? 'merged' : 'closed',
      number: pr.number,
      headBranch: pr.branch,
      ...(pr.mergeCommit ? { mergeCommit: pr.mergeCommit } : {}),
      at: ctx.clock.now(),
    });
  }
  return { kind: 'done', pr };
}

/**
 * What the principal may do to a pull request, each with the policy's reason when not: GET
 * /pulls/{number} says so, and the web page offers only what is allowed (the same rule as the action).
 */
export async function reviewDecisions(
  ctx: AppContext,
  principal: Principal,
  pr: PullRequestInfo,
): Promise<Record<ReviewAction, Decision>> {
  const [merge, close] = await Promise.all([
    mayReview(ctx, principal, 'merge', pr),
    mayReview(ctx, principal, 'close', pr),
  ]);
  return { merge: merge.decision, close: close.decision };
}

/**
 * The policy's answer for the request the pull request was opened for, in its environment. A pull
 * request that names no request this service knows (made by hand) could change any environment and has
 * no requester to keep apart: it takes the action's roles in every environment of the policy.
 */
async function mayReview(
  ctx: AppContext,
  principal: Principal,
  action: ReviewAction,
  pr: PullRequestInfo,
): Promise<{ decision: Decision; environment: string | null }> {
  const { policy } = ctx.policy;
  const record = pr.requestId ? await ctx.store.get(pr.requestId) : undefined;
  if (record) {
    const environment = record.request.environment;
    return {
      decision: mayInEnvironment(principal, action, environment, policy, { requester: record.requester }),
      environment,
    };
  }
  for (const environment of Object.keys(policy.environments)) {
    const decision = mayInEnvironment(principal, action, environment, policy);
    if (!decision.allowed)
      return {
        decision: {
          allowed: false,
          reason: `pull request #${pr.number} names no request this service knows, so it may change any environment and takes the ${action} roles in each: ${decision.reason}`,
        },
        environment: null,
      };
  }
  return { decision: { allowed: true }, environment: null };
}
