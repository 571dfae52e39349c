import { branchName } from '../domain/naming.js';
import { ownValue } from '../domain/own-keys.js';
import { describeIssues } from '../domain/policy.js';
import { foreignPullRequest, pullRequestInUseReason } from '../domain/pull-request-owner.js';
import { resolveRequest } from '../domain/resolve.js';
import type { RequestRecord } from '../domain/status.js';
import { isTerminal } from '../domain/status.js';
import { GitHostError } from '../ports.js';
import { renderPullRequest } from '../render/pull-request.js';
import { generatedForRequest, renderTerraform } from '../render/terraform.js';
import type { AppContext } from './context.js';

/** What the queue should do with the message. */
export type ProcessOutcome =
  /** `opened`: this delivery recorded the pull request (false for a duplicate or a late redelivery). */
  | { kind: 'done'; status: RequestRecord['status'] | 'missing'; opened?: boolean }
  | { kind: 'failed'; reason: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

class PermanentFailure extends Error {}

/**
 * The worker's steps for one delivery. Each is idempotent, so a crash or a duplicate delivery at any
 * point ends the same way: one branch, one commit, one pull request.
 */
export async function processRequest(
  ctx: AppContext,
  requestId: string,
  attempt: number,
): Promise<ProcessOutcome> {
  const record = await ctx.store.get(requestId);
  if (!record) {
    ctx.logger.warn('message for an unknown request dropped', { request_id: requestId });
    return { kind: 'done', status: 'missing' };
  }
  // Already past the worker's part: a duplicate or a late redelivery.
  if (record.status === 'pr_open' || isTerminal(record.status))
    return { kind: 'done', status: record.status };

  await ctx.store.transition(requestId, 'processing', { at: ctx.clock.now(), attempt });
  try {
    const pullRequest = await openPullRequest(ctx, record);
    const moved = await ctx.store.transition(requestId, 'pr_open', {
      at: ctx.clock.now(),
      pullRequest,
      detail: `pull request #${pullRequest.number}`,
    });
    ctx.logger.info('pull request open', { request_id: requestId, pr: pullRequest.number, attempt });
    return { kind: 'done', status: moved?.record.status ?? 'pr_open', opened: moved?.changed === true };
  } catch (error) {
    return classify(ctx, requestId, attempt, error);
  }
}

async function openPullRequest(ctx: AppContext, record: RequestRecord) {
  const { conventions, git } = ctx;
  const resolved = resolveRequest(record.request, ctx.policy.policy, { requestId: record.id });
  // The policy may have changed since the request was accepted.
  if (!resolved.ok)
    throw new PermanentFailure(`no longer allowed by the policy: ${describeIssues(resolved.issues)}`);
  const { spec } = resolved.value;
  const path = spec.location.file;
  const branch = branchName(spec.dbName, conventions);

  const baseHead = await git.headOf(conventions.base);
  if (!baseHead) throw new PermanentFailure(`the base branch ${conventions.base} does not exist`);
  const onBase = await git.readFile(baseHead, path);
  if (onBase !== null && generatedForRequest(onBase) !== record.id) {
    throw new PermanentFailure(
      `${path} already exists on ${conventions.base} and was not written for this request`,
    );
  }

  const { created } = await git.ensureBranch(branch, baseHead);
  // A branch just made cannot carry a pull request. One that was there may carry another request's, still
  // open (that request was settled by a forged webhook, or its pull request was reopened): committing onto
  // it would hand that pull request, titled for the other request, to this one.
  if (!created) {
    const foreign = foreignPullRequest(await git.openPullRequests(branch), record.id);
    if (foreign) throw new PermanentFailure(pullRequestInUseReason(foreign, branch));
  }
  await git.ensureFile({
    branch,
    path,
    content: renderTerraform(spec),
    message: `Provision ${spec.engine} database ${spec.dbName} (${spec.environment})\n\nrds-provisioner request ${record.id}`,
  });
  const text = renderPullRequest({
    spec,
    requester: record.requester,
    policySource: ctx.policy.source,
    branch,
    base: conventions.base,
  });
  const dress = ctx.policy.policy.pull_requests;
  const reviewers = ownValue(dress.reviewers, spec.environment);
  const pr = await git.ensurePullRequest({
    branch,
    base: conventions.base,
    title: text.title,
    body: text.body,
    requestId: record.id,
    labels: dress.labels.map((label) => label.replaceAll('{environment}', spec.environment)),
    draft: dress.draft,
    ...(reviewers ? { reviewers: { users: reviewers.users, teams: reviewers.teams } } : {}),
  });
  return { number: pr.number, url: pr.url, branch };
}

async function classify(
  ctx: AppContext,
  requestId: string,
  attempt: number,
  error: unknown,
): Promise<ProcessOutcome> {
  const permanent =
    error instanceof PermanentFailure ||
    (error instanceof GitHostError && (error.kind === 'permanent' || error.kind === 'conflict'));
  const message = error instanceof Error ? error.message : String(error);
  if (permanent) {
    await ctx.store.transition(requestId, 'failed', {
      at: ctx.clock.now(),
      failureReason: message,
      detail: message,
    });
    ctx.logger.warn('request failed', { request_id: requestId, attempt, reason: message });
    return { kind: 'failed', reason: message };
  }
  ctx.logger.warn('attempt failed, will retry', { request_id: requestId, attempt, error: message });
  const retryAfterMs = error instanceof GitHostError ? error.retryAfterMs : undefined;
  return retryAfterMs === undefined
    ? { kind: 'retry', error: message }
    : { kind: 'retry', error: message, retryAfterMs };
}
