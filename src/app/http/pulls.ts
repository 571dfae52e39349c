import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Decision } from '../../domain/access.js';
import { GitHostError, type PullRequestReview } from '../../ports.js';
import type { AppContext } from '../context.js';
import { type ReviewOutcome, reviewDecisions, reviewPullRequest } from '../review-pull-request.js';
import { type ApiEnv, apiRoutes } from './api-routes.js';
import {
  FORBIDDEN_READ,
  forbidden,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  InvalidStateError,
  json,
  MergeConflictError,
  NotFoundError,
  PullNumberParam,
  PullRequestDetail,
  PullRequestList,
  PullRequestView,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
} from './schemas.js';
import { pullRequestCommentView, pullRequestView } from './views.js';

const NOT_FOUND = json(NotFoundError, 'No such pull request');
const BAD_NUMBER = json(InvalidRequestError, 'Invalid pull request number');

const listRoute = createRoute({
  method: 'get',
  path: '/pulls',
  summary: 'Pull requests of the local repository',
  security: SECURED,
  responses: {
    200: json(PullRequestList, 'Every pull request, newest first'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const showRoute = createRoute({
  method: 'get',
  path: '/pulls/{number}',
  summary: "A pull request with its diff and the service's comments (the plan CI reported)",
  security: SECURED,
  request: { params: PullNumberParam },
  responses: {
    200: json(PullRequestDetail, 'The pull request'),
    400: BAD_NUMBER,
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    404: NOT_FOUND,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const actionRoute = <Action extends 'merge' | 'close'>(action: Action) =>
  createRoute({
    method: 'post',
    path: `/pulls/{number}/${action}`,
    summary:
      action === 'merge'
        ? 'Merge: a merge commit on the base branch; the request becomes merged'
        : 'Close without merging; the request becomes closed',
    security: SECURED,
    description:
      action === 'merge'
        ? "Allowed by the policy in the request's environment (environments.<env>.access.merge; with separate_duties, never to whoever asked for the request). A pull request that names no request the service knows takes the merge roles in every environment. Refusals and merges are recorded in the audit."
        : "Allowed to the merge roles of the request's environment, or to whoever asked for the request (withdrawing their own). A pull request that names no request the service knows takes the merge roles in every environment. Refusals and closes are recorded in the audit.",
    request: { params: PullNumberParam },
    responses: {
      200: json(PullRequestView, action === 'merge' ? 'Merged' : 'Closed'),
      400: BAD_NUMBER,
      401: UNAUTHORIZED,
      403: forbidden(
        action === 'merge'
          ? "The caller's role may not merge in the request's environment, or (separate_duties) the caller asked for it; nothing merged"
          : "The caller may not close someone else's pull request in that environment; nothing closed",
      ),
      404: NOT_FOUND,
      409: json(
        z.union([InvalidStateError, MergeConflictError]),
        'Not open (merged, closed, or being merged: the loser of a merge and a close at once), or (merge) the branch conflicts with the base',
      ),
      431: HEADERS_TOO_LARGE,
      503: UNAVAILABLE,
    },
  });

/**
 * Review routes for the local git host: what GitHub's UI does for a hosted repository. Chained so that
 * their types make `PullsApi`, which the CLI's and the page's client use.
 */
export function pullsApi(ctx: AppContext, review: PullRequestReview) {
  const act = async (c: Context<ApiEnv>, action: 'merge' | 'close', number: number) => {
    let outcome: ReviewOutcome;
    try {
      outcome = await reviewPullRequest(ctx, review, c.get('principal'), action, number);
    } catch (error) {
      return reviewError(c, error);
    }
    if (outcome.kind === 'not_found')
      return c.json({ error: 'not_found' as const, message: 'no pull request with that number' }, 404);
    if (outcome.kind === 'forbidden')
      return c.json({ error: 'forbidden' as const, message: outcome.message }, 403);
    return c.json(pullRequestView(outcome.pr), 200);
  };
  return apiRoutes()
    .openapi(listRoute, async (c) =>
      c.json({ pull_requests: (await review.list()).map(pullRequestView) }, 200),
    )
    .openapi(showRoute, async (c) => {
      const pr = await review.get(c.req.valid('param').number);
      if (!pr)
        return c.json({ error: 'not_found' as const, message: 'no pull request with that number' }, 404);
      const may = await reviewDecisions(ctx, c.get('principal'), pr);
      const view = (d: Decision) => ({ allowed: d.allowed, reason: d.allowed ? null : d.reason });
      return c.json(
        {
          ...pullRequestView(pr),
          body: pr.body,
          diff: await review.diff(pr.number),
          comments: pr.comments.map(pullRequestCommentView),
          may: { merge: view(may.merge), close: view(may.close) },
        },
        200,
      );
    })
    .openapi(actionRoute('merge'), (c) => act(c, 'merge', c.req.valid('param').number))
    .openapi(actionRoute('close'), (c) => act(c, 'close', c.req.valid('param').number));
}

export type PullsApi = ReturnType<typeof pullsApi>;

function reviewError(c: Context, error: unknown) {
  if (!(error instanceof GitHostError)) throw error;
  if (error.kind === 'not_found') return c.json({ error: 'not_found' as const, message: error.message }, 404);
  if (error.kind === 'conflict')
    return c.json({ error: 'merge_conflict' as const, message: error.message }, 409);
  if (error.kind === 'invalid_state')
    return c.json({ error: 'invalid_state' as const, message: error.message }, 409);
  throw error;
}
