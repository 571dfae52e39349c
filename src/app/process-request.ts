import { applyChange } from '../domain/change.js';
import { requestBranch } from '../domain/naming.js';
import { ownValue } from '../domain/own-keys.js';
import { describeIssues } from '../domain/policy.js';
import { foreignPullRequest, pullRequestInUseReason } from '../domain/pull-request-owner.js';
import { resolveRequest } from '../domain/resolve.js';
import { unprotectedSpec } from '../domain/retire.js';
import type { PullRequestRef, RequestRecord } from '../domain/status.js';
import { isTerminal } from '../domain/status.js';
import { type GitHost, GitHostError } from '../ports.js';
import { renderPullRequest } from '../render/pull-request.js';
import { renderChangePullRequest } from '../render/pull-request-change.js';
import { renderRetirePullRequest } from '../render/pull-request-retire.js';
import { generatedForRequest, renderTerraform } from '../render/terraform.js';
import type { AppContext } from './context.js';
import { databaseOnBase, notWrittenByUs } from './current-database.js';

/** What the queue should do with the message. */
export type ProcessOutcome =
  /** `opened`: this delivery recorded the pull request (false for a duplicate or a late redelivery). */
  | { kind: 'done'; status: RequestRecord['status'] | 'missing'; opened?: boolean }
  | { kind: 'failed'; reason: string }
  /** `step`: the step the attempt worked on; giving up fails that step only. */
  | { kind: 'retry'; error: string; step: number; retryAfterMs?: number };

class PermanentFailure extends Error {}
/** The request's file is on the base already: its pull request merged, and the merge settles it. */
class AlreadyOnBase extends Error {}

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
    // At the step this delivery worked on: a merge reported meanwhile may have moved the request on to
    // its next step, whose own delivery records that step's pull request.
    const moved = await ctx.store.transition(requestId, 'pr_open', {
      at: ctx.clock.now(),
      step: record.step,
      pullRequest,
      detail: `pull request #${pullRequest.number}`,
    });
    ctx.logger.info('pull request open', { request_id: requestId, pr: pullRequest.number, attempt });
    return { kind: 'done', status: moved?.record.status ?? 'pr_open', opened: moved?.changed === true };
  } catch (error) {
    if (error instanceof AlreadyOnBase) return { kind: 'done', status: record.status };
    return classify(ctx, record, attempt, error);
  }
}

/** The work each kind of request does; each returns the pull request it opened (or found open). */
async function openPullRequest(ctx: AppContext, record: RequestRecord): Promise<PullRequestRef> {
  if (record.kind === 'change') return openChange(ctx, record);
  if (record.kind === 'retire') return openRetire(ctx, record);
  return openCreate(ctx, record);
}

async function openCreate(ctx: AppContext, record: RequestRecord): Promise<PullRequestRef> {
  const { conventions, git } = ctx;
  const resolved = resolveRequest(record.request, ctx.policy.policy, { requestId: record.id });
  // The policy may have changed since the request was accepted.
  if (!resolved.ok)
    throw new PermanentFailure(`no longer allowed by the policy: ${describeIssues(resolved.issues)}`);
  const { spec } = resolved.value;
  const path = spec.location.file;
  const baseHead = await baseHeadOf(ctx);
  const onBase = await git.readFile(baseHead, path);
  if (onBase !== null && generatedForRequest(onBase) !== record.id) {
    throw new PermanentFailure(
      `${path} already exists on ${conventions.base} and was not written for this request`,
    );
  }
  const text = renderPullRequest({
    spec,
    requester: record.requester,
    policySource: ctx.policy.source,
    branch: requestBranch(ask(record), conventions),
    base: conventions.base,
  });
  return writeAndOpen(ctx, record, baseHead, spec.environment, {
    branch: requestBranch(ask(record), conventions),
    write: { path, content: renderTerraform(spec) },
    message: `Provision ${spec.engine} database ${spec.dbName} (${spec.environment})`,
    text,
  });
}

/** The database's generated file on the base branch as the worker finds it now, or a permanent failure. */
async function generatedOnBase(ctx: AppContext, record: RequestRecord, baseHead: string) {
  const onBase = await databaseOnBase(ctx, record.request.db_name, baseHead);
  if (!onBase)
    throw new PermanentFailure(`database ${record.request.db_name} is no longer on ${ctx.conventions.base}`);
  const refusal = notWrittenByUs(onBase);
  if (refusal || onBase.file.kind !== 'generated') throw new PermanentFailure(refusal ?? 'not generated');
  return { path: onBase.path, current: onBase.file };
}

async function openChange(ctx: AppContext, record: RequestRecord): Promise<PullRequestRef> {
  const baseHead = await baseHeadOf(ctx);
  const { path, current } = await generatedOnBase(ctx, record, baseHead);
  if (current.requestId === record.id) throw new AlreadyOnBase();
  const changed = applyChange(current, record.change ?? {}, ctx.policy.policy, record.id);
  if (!changed.ok) throw new PermanentFailure(`can no longer be applied: ${describeIssues(changed.issues)}`);
  const { spec, change } = changed.value;
  const branch = requestBranch(ask(record), ctx.conventions);
  const text = renderChangePullRequest({
    before: current.spec,
    after: spec,
    change,
    requester: record.requester,
    policySource: ctx.policy.source,
    branch,
    base: ctx.conventions.base,
  });
  return writeAndOpen(ctx, record, baseHead, spec.environment, {
    branch,
    write: { path, content: renderTerraform(spec) },
    message: text.title,
    text,
  });
}

/**
 * A retirement: first, when the database is protected or must gain a final snapshot, a pull request that
 * only lifts the protection (step 1); once that is merged, the one that removes the file.
 */
async function openRetire(ctx: AppContext, record: RequestRecord): Promise<PullRequestRef> {
  const baseHead = await baseHeadOf(ctx);
  // Gone already, from this request's own branch: its removal merged, and the merge settles it.
  const removal = requestBranch(ask(record), ctx.conventions);
  if (!(await databaseOnBase(ctx, record.request.db_name, baseHead)) && (await ctx.git.headOf(removal)))
    throw new AlreadyOnBase();
  const { path, current } = await generatedOnBase(ctx, record, baseHead);
  const env = ownValue(ctx.policy.policy.environments, current.spec.environment);
  if (!env) throw new PermanentFailure(`environment ${current.spec.environment} is no longer configured`);
  const unprotected = unprotectedSpec(current.spec, env, record.id);
  const common = {
    requestId: record.id,
    requester: record.requester,
    policySource: ctx.policy.source,
    base: ctx.conventions.base,
  };
  if (unprotected) {
    const branch = requestBranch({ ...ask(record), unprotect: true }, ctx.conventions);
    const text = renderRetirePullRequest({
      ...common,
      spec: current.spec,
      step: 'unprotect',
      unprotected,
      branch,
      keepsFinalSnapshot: !unprotected.skipFinalSnapshot,
    });
    return writeAndOpen(ctx, record, baseHead, current.spec.environment, {
      branch,
      write: { path, content: renderTerraform(unprotected) },
      message: text.title,
      text,
    });
  }
  const branch = removal;
  const previous = record.step > 1 && record.pullRequest ? record.pullRequest : undefined;
  const text = renderRetirePullRequest({
    ...common,
    spec: current.spec,
    step: 'remove',
    branch,
    keepsFinalSnapshot: !current.spec.skipFinalSnapshot,
    ...(previous ? { previousPullRequest: { number: previous.number, url: previous.url } } : {}),
  });
  return writeAndOpen(ctx, record, baseHead, current.spec.environment, {
    branch,
    remove: path,
    message: text.title,
    text,
  });
}

async function baseHeadOf(ctx: AppContext): Promise<string> {
  const baseHead = await ctx.git.headOf(ctx.conventions.base);
  if (!baseHead) throw new PermanentFailure(`the base branch ${ctx.conventions.base} does not exist`);
  return baseHead;
}

const ask = (record: RequestRecord) => ({ id: record.id, kind: record.kind, dbName: record.request.db_name });

interface Work {
  branch: string;
  write?: { path: string; content: string };
  remove?: string;
  message: string;
  text: { title: string; body: string };
}

/** The steps every kind shares: the branch, its one commit, the pull request, each idempotent. */
async function writeAndOpen(
  ctx: AppContext,
  record: RequestRecord,
  baseHead: string,
  environment: string,
  work: Work,
): Promise<PullRequestRef> {
  const { conventions, git } = ctx;
  const { branch } = work;
  const { created, head } = await git.ensureBranch(branch, baseHead);
  // A branch just made cannot carry a pull request. One that was there may carry another request's, still
  // open (that request was settled by a forged webhook, or its pull request was reopened): committing onto
  // it would hand that pull request, titled for the other request, to this one.
  if (!created) {
    const open = await git.openPullRequests(branch);
    const foreign = foreignPullRequest(open, record.id);
    if (foreign) throw new PermanentFailure(pullRequestInUseReason(foreign, branch));
    if (open.length === 0 && work.write)
      await startAfresh(git, record.id, work.write.path, branch, baseHead, head);
  }
  const message = `${work.message}\n\nrds-provisioner request ${record.id}`;
  if (work.write) await git.ensureFile({ branch, ...work.write, message });
  if (work.remove) await git.ensureFileRemoved({ branch, path: work.remove, message });
  const dress = ctx.policy.policy.pull_requests;
  const reviewers = ownValue(dress.reviewers, environment);
  const pr = await git.ensurePullRequest({
    branch,
    base: conventions.base,
    title: work.text.title,
    body: work.text.body,
    requestId: record.id,
    labels: dress.labels.map((label) => label.replaceAll('{environment}', environment)),
    draft: dress.draft,
    ...(reviewers ? { reviewers: { users: reviewers.users, teams: reviewers.teams } } : {}),
  });
  return { number: pr.number, url: pr.url, branch };
}

/**
 * A branch that was there already, with no pull request open on it and without this request's file at the
 * path it writes, was left by an earlier request: a creation's branch is never deleted, so the name created
 * again after its retirement finds it at the old, merged head. A commit on top of that head would make a pull
 * request that conflicts with the base, which removed the file since; so the branch starts again from the
 * base head. A branch that holds this request's file (a redelivery) is left as it is.
 */
async function startAfresh(
  git: GitHost,
  requestId: string,
  path: string,
  branch: string,
  baseHead: string,
  seen: string,
): Promise<void> {
  let head: string | null = seen;
  // Gone meanwhile (null): the file step finds it missing, and the next attempt makes it again.
  for (let look = 1; head !== null && head !== baseHead; look++) {
    const content = await git.readFile(head, path);
    if (content !== null && generatedForRequest(content) === requestId) return;
    if (await git.resetBranch(branch, baseHead, head)) return;
    // It moved since we looked (another delivery of this request, most likely): look once more.
    if (look >= 2)
      throw new GitHostError(`branch ${branch} kept moving while it was started afresh`, 'transient');
    head = await git.headOf(branch);
  }
}

async function classify(
  ctx: AppContext,
  record: RequestRecord,
  attempt: number,
  error: unknown,
): Promise<ProcessOutcome> {
  const requestId = record.id;
  const permanent =
    error instanceof PermanentFailure ||
    (error instanceof GitHostError && (error.kind === 'permanent' || error.kind === 'conflict'));
  const message = error instanceof Error ? error.message : String(error);
  if (permanent) {
    await ctx.store.transition(requestId, 'failed', {
      at: ctx.clock.now(),
      step: record.step,
      failureReason: message,
      detail: message,
    });
    ctx.logger.warn('request failed', { request_id: requestId, attempt, reason: message });
    return { kind: 'failed', reason: message };
  }
  ctx.logger.warn('attempt failed, will retry', { request_id: requestId, attempt, error: message });
  const retryAfterMs = error instanceof GitHostError ? error.retryAfterMs : undefined;
  return retryAfterMs === undefined
    ? { kind: 'retry', error: message, step: record.step }
    : { kind: 'retry', error: message, step: record.step, retryAfterMs };
}
